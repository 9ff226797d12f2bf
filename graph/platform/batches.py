"""Calls made while a batch is under way, gathered into the next one.

For work that costs a round trip however much of it there is: the chats of
many subscriptions about to start (`graph.services.feeds.ChatLookups`), the
presence of many sockets opening or closing (`graph.realtime.presence`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Batch = list[tuple[T, "asyncio.Future[R]"]]


class Batches(Generic[T, R]):
    """`await batches(item)` answers `item` with the others made meanwhile.

    `handle` is given up to `size` items with their futures, in the order the
    calls were made, and sets each future; an exception it raises is each
    unanswered future's. At most `at_once` batches are handled at a time
    (with one, items are handled in the order they came). A lone call is
    handled at once.
    """

    def __init__(
        self,
        handle: Callable[[Batch[T, R]], Awaitable[None]],
        *,
        size: int,
        at_once: int = 1,
    ) -> None:
        self._handle = handle
        self._size = size
        self._at_once = at_once
        self._waiting: Batch[T, R] = []
        self._handlers: set[asyncio.Task[None]] = set()

    async def __call__(self, item: T) -> R:
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        if len(self._handlers) < self._at_once:
            self._handlers.add(asyncio.create_task(self._run()))
        return await answer

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._size]
                del self._waiting[: self._size]
                await self._handle_one(batch)
        finally:
            # Gone from the set in the step that found nothing left, not by a
            # done callback a turn of the loop later: a call made in between
            # would have waited for this handler for ever (seen: 2 of 200
            # subscriptions never started; tests/unit/test_chat_lookups.py).
            handler = asyncio.current_task()
            if handler is not None:
                self._handlers.discard(handler)

    async def _handle_one(self, batch: Batch[T, R]) -> None:
        try:
            await self._handle(batch)
        except Exception as exc:  # noqa: BLE001 (each caller raises it)
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
        except BaseException:
            for _, answer in batch:
                answer.cancel()
            raise
