"""Waiting for a condition with a deadline, instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.005


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(POLL_SECONDS)


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 5.0, every: float = 0.05
) -> None:
    """Poll an async check (an HTTP probe, a scrape) until it holds."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(every)
