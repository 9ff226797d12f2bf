"""Debian's chromium, driven by Playwright, against real Sentichat processes.

No browser is ever downloaded: Playwright launches `/usr/bin/chromium` (or
`$CHROMIUM`). Outside CI a missing chromium or web build skips these tests
with the reason; with CI=true they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ViewportSize, async_playwright

from tests.browser.pages import ARTIFACTS, ChatPage
from tests.support.api import Account
from tests.support.remote import unique
from tests.support.server import Server
from tests.support.services import IN_CI

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# What a root user in a container needs, and no calls to Google's services,
# which this network refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI=true, so the browser tests fail, never skip")
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser(web_build: Path) -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"no chromium at {CHROMIUM} (`apt-get install chromium`)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()


class Pages:
    """Opens signed-out browser pages; closes them after the test."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.opened: list[ChatPage] = []
        # Console lines a test expects (a refused socket while a server is down).
        self.expected_problems: list[re.Pattern[str]] = []

    async def open(
        self, server: Server, name: str, viewport: ViewportSize | None = None
    ) -> ChatPage:
        page = await ChatPage.open(self.browser, server.http_url, name, viewport)
        self.opened.append(page)
        return page

    async def signed_in(
        self,
        server: Server,
        account: Account,
        name: str,
        viewport: ViewportSize | None = None,
    ) -> ChatPage:
        """A page where `account` has logged in."""
        page = await self.open(server, name, viewport)
        await page.log_in(account.username)
        await page.expect_signed_in(account.username)
        return page

    async def new_pair(
        self, servers: tuple[Server, Server]
    ) -> tuple[ChatPage, ChatPage]:
        """Alice on the first server and Bob on the second, both just signed up.

        Bob signs up first, so Alice's list of people holds him from the start.
        """
        a, b = servers
        alice = await self.open(a, "alice")
        bob = await self.open(b, "bob")
        for page in (bob, alice):
            await page.sign_up(unique(page.name))
            await page.expect_signed_in(page.username)
        return alice, bob

    def unexpected_problems(self) -> list[str]:
        return [
            f"{page.name}: {problem}"
            for page in self.opened
            for problem in page.problems
            if not any(pattern.search(problem) for pattern in self.expected_problems)
        ]


@pytest.fixture
async def pages(browser: Browser) -> AsyncIterator[Pages]:
    opened = Pages(browser)
    try:
        yield opened
        # No script error, CSP violation or failed request the test did not expect.
        assert opened.unexpected_problems() == []
    finally:
        for page in opened.opened:
            await page.close()
