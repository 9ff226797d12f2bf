"""The web client as a user sees it: a page object per signed-in browser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    ViewportSize,
    expect,
)

from tests.support.server import ROOT

ARTIFACTS = ROOT / ".artifacts" / "browser"
PASSWORD = "correct horse battery"
HAPPY, NEUTRAL, SAD = "\U0001f600", "\U0001f610", "\U0001f61f"
DELETED = "message deleted"  # what a deleted message shows in place of its text
THUMBS_UP, HEART, LAUGHING = "\U0001f44d", "\u2764\ufe0f", "\U0001f602"
# Long enough for a server restart and the client's reconnect backoff.
LIVE_TIMEOUT_MS = 20_000
DESKTOP: ViewportSize = {"width": 1100, "height": 720}
APP_TITLE = "Sentichat"
# What a page sees when its tab goes to the background or comes back: a
# headless browser keeps every page visible, so the page is told so itself.
_SET_VISIBILITY = """hidden => {
    const state = hidden ? 'hidden' : 'visible'
    for (const [name, value] of [['visibilityState', state], ['hidden', hidden]]) {
        Object.defineProperty(document, name, { configurable: true, get: () => value })
    }
    document.dispatchEvent(new Event('visibilitychange'))
}"""


@dataclass(frozen=True)
class Shown:
    """One message as the page shows it."""

    text: str
    emoji: str
    mine: bool


@dataclass(frozen=True)
class Mood:
    """A message's mood as the page shows it."""

    emoji: str
    # What hovering the emoji shows (its title).
    hover: str
    # What a screen reader reads instead of the emoji.
    aria_label: str


@dataclass
class ChatPage:
    page: Page
    base_url: str
    name: str
    problems: list[str] = field(default_factory=list)
    # Who signed in last in this page, once someone has.
    username: str = ""

    @classmethod
    async def open(
        cls,
        browser: Browser,
        base_url: str,
        name: str,
        viewport: ViewportSize | None = None,
    ) -> ChatPage:
        context = await browser.new_context(viewport=viewport or DESKTOP)
        context.set_default_timeout(LIVE_TIMEOUT_MS)
        page = await context.new_page()
        opened = cls(page, base_url, name)
        page.on("pageerror", lambda error: opened.problems.append(f"error: {error}"))
        page.on("console", opened._console)
        return opened

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.problems.append(f"{message.type}: {message.text}")

    async def goto(self, path: str = "/") -> None:
        await self.page.goto(self.base_url + path)

    async def sign_up(self, username: str, password: str = PASSWORD) -> None:
        await self.goto("/signup")
        await self._submit(username, password, "Sign up")

    async def log_in(self, username: str, password: str = PASSWORD) -> None:
        await self.goto("/login")
        await self._submit(username, password, "Log in")

    async def _submit(self, username: str, password: str, button: str) -> None:
        self.username = username
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name=button).click()

    async def expect_signed_in(self, username: str) -> None:
        await expect(self.page.locator(".whoami")).to_have_text(
            f"Signed in as {username}"
        )

    def person(self, username: str) -> Locator:
        return self.page.get_by_role("navigation", name="People").locator(
            f'a[data-username="{username}"]'
        )

    def badge(self, username: str) -> Locator:
        return self.person(username).get_by_test_id("unread")

    def online(self, username: str) -> Locator:
        """The dot that says `username` is online, by its accessible name."""
        return self.person(username).get_by_role("img", name="online", exact=True)

    def last_seen(self, username: str) -> Locator:
        """The "last seen 5 min ago" under `username` in the list of people."""
        return self.person(username).get_by_test_id("last-seen")

    async def expect_title(self, unread: int) -> None:
        """Wait until the tab's title shows `unread` (nothing when 0)."""
        title = f"({unread}) {APP_TITLE}" if unread else APP_TITLE
        await expect(self.page).to_have_title(title)

    async def set_visible(self, visible: bool) -> None:
        """Send the tab to the background (False) or bring it back."""
        await self.page.evaluate(_SET_VISIBILITY, not visible)

    async def open_chat(self, username: str) -> None:
        await self.person(username).click()
        await expect(self.page.get_by_role("heading", name=username)).to_be_visible()
        await expect(self.composer).to_be_enabled()

    @property
    def composer(self) -> Locator:
        return self.page.get_by_role("textbox", name="Message")

    async def send(self, text: str) -> None:
        """Type the message and press Enter, as a person does."""
        await self.composer.fill(text)
        await self.composer.press("Enter")

    @property
    def typing(self) -> Locator:
        """The open chat's header line that says the other member is typing."""
        return self.page.get_by_role("status").and_(self.page.get_by_test_id("typing"))

    @property
    def messages(self) -> Locator:
        return self.page.get_by_test_id("message")

    def message(self, text: str) -> Locator:
        """The confirmed message whose text is exactly `text`."""
        return self.messages.filter(
            has=self.page.locator(".text", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    @property
    def seen(self) -> Locator:
        """Every "Seen" in the open chat (there is at most one)."""
        return self.page.get_by_test_id("seen")

    @property
    def offline(self) -> Locator:
        return self.page.get_by_test_id("offline")

    async def shown(self) -> list[Shown]:
        """Every confirmed message in the open chat, top to bottom."""
        rows = await self.messages.evaluate_all(
            """rows => rows.map(row => ({
                text: row.querySelector('.text').textContent,
                emoji: row.querySelector('[data-testid=mood]').textContent,
                mine: row.classList.contains('mine'),
            }))"""
        )
        return [Shown(**row) for row in rows]

    async def expect_texts(self, texts: list[str]) -> None:
        """Wait until the open chat shows exactly `texts`, in order."""
        await expect(self.messages.locator(".text")).to_have_text(texts)

    def mood(self, text: str) -> Locator:
        """The mood element (the emoji) beside the message `text`."""
        return self.message(text).get_by_test_id("mood")

    async def mood_of(self, text: str) -> Mood:
        """The emoji beside a message, what hovering it shows, and its label."""
        mood = self.mood(text)
        return Mood(
            emoji=await mood.inner_text(),
            hover=await mood.get_attribute("title") or "",
            aria_label=await mood.get_attribute("aria-label") or "",
        )

    # Editing, deleting and reacting (issue 20).

    def actions_button(self, text: str) -> Locator:
        """The button that opens the menu of the message `text`."""
        return self.message(text).get_by_role("button", name="Message actions")

    @property
    def action_menu(self) -> Locator:
        """The open menu of a message (there is at most one)."""
        return self.page.get_by_role("menu", name="Message actions")

    async def choose_action(self, text: str, action: str) -> None:
        """Open the menu of the message `text` and choose `action` ("Edit", ...)."""
        await self.actions_button(text).click()
        await self.action_menu.get_by_role("menuitem", name=action).click()

    async def edit(self, text: str, new_text: str) -> None:
        """Edit the message `text` in place to `new_text`; Enter saves."""
        await self.choose_action(text, "Edit")
        editor = self.page.get_by_role("textbox", name="Edit message")
        await editor.fill(new_text)
        await editor.press("Enter")
        await expect(editor).to_have_count(0)

    async def delete(self, text: str) -> None:
        """Delete the message `text`, confirming when asked."""
        await self.choose_action(text, "Delete…")
        confirm = self.page.get_by_role("group", name="Delete this message?")
        await confirm.get_by_role("button", name="Delete").click()
        await expect(confirm).to_have_count(0)

    async def react(self, text: str, name: str) -> None:
        """Put the emoji called `name` ("thumbs up") on the message `text`,
        from the picker its menu opens."""
        await self.choose_action(text, "React…")
        picker = self.page.get_by_role("group", name="Pick a reaction")
        await picker.get_by_role("button", name=f"React with {name}").click()
        await expect(picker).to_have_count(0)

    def reaction(self, text: str, emoji: str) -> Locator:
        """The chip of `emoji` under the message `text`: its aria-label is
        "<emoji> <count>", aria-pressed says whether the reader's is on."""
        return self.message(text).locator(
            f'[data-testid="reaction"][data-emoji="{emoji}"]'
        )

    def edited(self, text: str) -> Locator:
        """The "edited" beside the message `text`."""
        return self.message(text).get_by_test_id("edited")

    @property
    def reactions(self) -> Locator:
        """Every reaction chip in the open chat."""
        return self.page.get_by_test_id("reaction")

    # The conversation's mood and the composer's tone check (issue 21).

    @property
    def chat_mood(self) -> Locator:
        """The open chat's mood in its header: an emoji and a sparkline."""
        return self.page.get_by_test_id("chat-mood")

    @property
    def mood_summary(self) -> Locator:
        """The sparkline as an image, named by the mood in words
        ("Mostly positive, getting warmer.")."""
        return self.chat_mood.get_by_role("img")

    def mood_line(self, username: str) -> Locator:
        """The path of `username`'s line in the open chat's sparkline; its
        `data-points` says how many runs of messages it goes through."""
        return self.chat_mood.locator(
            f'[data-testid="sparkline-series"][data-person="{username}"] path'
        )

    @property
    def mood_lines(self) -> Locator:
        """Every line in the open chat's sparkline (one per person who shares)."""
        return self.chat_mood.get_by_test_id("sparkline-series")

    @property
    def tone_hint(self) -> Locator:
        """The composer's polite "may read as negative: ..." line (empty
        when the draft gives no reason for it)."""
        return self.page.get_by_role("status").and_(
            self.page.get_by_test_id("tone-hint")
        )

    @property
    def draft_mood(self) -> Locator:
        """The emoji the draft in the composer would get."""
        return self.page.get_by_test_id("draft-mood")

    async def draft(self, text: str) -> None:
        """Type `text` into the composer without sending it."""
        await self.composer.fill(text)

    @property
    def share_mood(self) -> Locator:
        """The setting that lets the other member see one's messages' mood."""
        return self.page.get_by_role("checkbox", name="Share my messages' mood")

    # Blocking, reporting and moderating (issue 23).

    def person_menu(self, username: str) -> Locator:
        """The button that opens the menu on `username` in the list of people."""
        return self.page.get_by_role("navigation", name="People").get_by_role(
            "button", name=f"Actions for {username}", exact=True
        )

    def chat_menu(self, username: str) -> Locator:
        """The button that opens the menu on `username` in their chat's header."""
        return self.page.get_by_role(
            "region", name=f"Chat with {username}"
        ).get_by_role("button", name=f"Actions for {username}", exact=True)

    async def choose_on_person(
        self, button: Locator, username: str, action: str
    ) -> None:
        """Open a person's menu from `button` and choose `action` ("Block", ...)."""
        await button.click()
        menu = self.page.get_by_role("menu", name=f"Actions for {username}")
        await menu.get_by_role("menuitem", name=action, exact=True).click()
        await expect(menu).to_have_count(0)

    def blocked_tag(self, username: str) -> Locator:
        """The "blocked" beside `username` in the list of people."""
        return self.person(username).get_by_test_id("blocked")

    @property
    def blocked_note(self) -> Locator:
        """What a chat with someone the reader blocks shows instead of the composer."""
        return self.page.get_by_role("group", name="Blocked")

    @property
    def pending(self) -> Locator:
        """Messages on their way out, or refused ("Not sent: ...")."""
        return self.page.get_by_test_id("pending")

    async def report(self, text: str, reason: str, note: str = "") -> None:
        """Report the received message `text` with `reason` ("Spam", ...)."""
        await self.choose_action(text, "Report…")
        form = self.page.get_by_role("form", name="Report this message")
        await form.get_by_role("radio", name=reason, exact=True).check()
        if note:
            await form.get_by_label("Note for the moderators (optional)").fill(note)
        await form.get_by_role("button", name="Report", exact=True).click()
        await expect(form).to_have_count(0)

    def reported(self, text: str) -> Locator:
        """The "Reported" under the message `text`, once the server took the report."""
        return (
            self.message(text)
            .get_by_role("status")
            .and_(self.page.get_by_test_id("reported"))
        )

    @property
    def reports_link(self) -> Locator:
        """The top bar's way to the Reports view (moderators only)."""
        return self.page.get_by_role("link", name="Reports", exact=True)

    async def open_reports(self) -> None:
        await self.reports_link.click()
        await expect(self.page.get_by_role("heading", name="Reports")).to_be_visible()

    def report_of(self, text: str) -> Locator:
        """The open report of the message `text` in the Reports view."""
        return self.page.get_by_test_id("report").filter(
            has=self.page.locator(
                '[data-testid="report-text"]',
                has_text=re.compile(f"^{re.escape(text)}$"),
            )
        )

    async def resolve(self, text: str, action: str) -> None:
        """Resolve the report of `text` with `action` ("Dismiss", "Delete
        message", "Suspend sender"), confirming when asked."""
        report = self.report_of(text)
        await (
            report.get_by_role("group", name="Resolve this report")
            .get_by_role("button", name=action, exact=True)
            .click()
        )
        confirm = report.get_by_role("group", name=f"{action}?")
        if action != "Dismiss":
            await confirm.get_by_role("button", name=action, exact=True).click()

    def notice(self, text: str) -> Locator:
        """A notice on the sign-in page ("Your session has expired ...")."""
        return self.page.get_by_role("status").filter(has_text=text)

    async def screenshot(self, test: str, moment: str) -> Path:
        path = ARTIFACTS / f"{test}--{self.name}--{moment}.png"
        await self.page.screenshot(path=path)
        return path

    async def close(self) -> None:
        await self.page.context.close()
