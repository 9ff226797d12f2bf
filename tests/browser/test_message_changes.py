"""Editing, deleting and reacting as two people see them (issue 20).

Alice's browser is on one Sentichat process and Bob's on another: every
change crosses between them through Redis, on the open chat's messageChanges
feed, which a dropped socket resumes after the highest version it holds.
"""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import Pages
from tests.browser.pages import (
    DELETED,
    HEART,
    LAUGHING,
    LIVE_TIMEOUT_MS,
    THUMBS_UP,
    ChatPage,
)
from tests.support.server import Server


async def expect_reaction(
    page: ChatPage, text: str, emoji: str, count: int, mine: bool
) -> None:
    """The chip of `emoji` under `text` shows `count`, pressed iff `mine`."""
    chip = page.reaction(text, emoji)
    await expect(chip).to_have_attribute("aria-label", f"{emoji} {count}")
    await expect(chip).to_have_attribute("aria-pressed", "true" if mine else "false")


async def test_edits_reactions_and_deletions_reach_the_other_member_live(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    await alice.send("See you at five")
    await bob.expect_texts(["See you at five"])
    # Bob may only react to Alice's message, or report it: no Edit or Delete for him.
    await bob.actions_button("See you at five").click()
    await expect(bob.action_menu.get_by_role("menuitem")).to_have_text(
        ["React…", "Report…"]
    )
    await bob.page.keyboard.press("Escape")
    await expect(bob.action_menu).to_have_count(0)

    # The menu by keyboard: Enter opens it on its first item, Escape closes
    # it and puts focus back on its button.
    button = alice.actions_button("See you at five")
    await button.focus()
    await alice.page.keyboard.press("Enter")
    items = alice.action_menu.get_by_role("menuitem")
    await expect(items).to_have_text(["React…", "Edit", "Delete…"])
    await expect(items.first).to_be_focused()
    await alice.page.keyboard.press("ArrowDown")
    await expect(items.nth(1)).to_be_focused()
    await alice.page.keyboard.press("Escape")
    await expect(alice.action_menu).to_have_count(0)
    await expect(button).to_be_focused()

    # Alice edits; Bob sees the new text, marked "edited".
    await alice.edit("See you at five", "See you at six")
    await alice.expect_texts(["See you at six"])
    await bob.expect_texts(["See you at six"])
    await expect(bob.edited("See you at six")).to_have_text("edited")
    await expect(alice.edited("See you at six")).to_have_text("edited")
    await bob.screenshot("message-changes", "edited")

    # Bob reacts; Alice sees the count, adds hers, and Bob takes his off.
    await bob.react("See you at six", "thumbs up")
    await expect_reaction(alice, "See you at six", THUMBS_UP, 1, mine=False)
    await expect_reaction(bob, "See you at six", THUMBS_UP, 1, mine=True)
    await alice.reaction("See you at six", THUMBS_UP).click()
    await expect_reaction(alice, "See you at six", THUMBS_UP, 2, mine=True)
    await expect_reaction(bob, "See you at six", THUMBS_UP, 2, mine=True)
    await alice.screenshot("message-changes", "reacted")
    await bob.reaction("See you at six", THUMBS_UP).click()
    await expect_reaction(bob, "See you at six", THUMBS_UP, 1, mine=False)
    await expect_reaction(alice, "See you at six", THUMBS_UP, 1, mine=True)
    # And Alice's off too: the chip goes.
    await alice.reaction("See you at six", THUMBS_UP).click()
    await expect(bob.reactions).to_have_count(0)
    await expect(alice.reactions).to_have_count(0)

    # Alice deletes: both see "message deleted", with no mood and no menu.
    await bob.react("See you at six", "heart")
    await expect_reaction(alice, "See you at six", HEART, 1, mine=False)
    await alice.delete("See you at six")
    for page in (alice, bob):
        await page.expect_texts([DELETED])
        await expect(page.message(DELETED).get_by_test_id("mood")).to_have_count(0)
        await expect(page.actions_button(DELETED)).to_have_count(0)
        await expect(page.edited(DELETED)).to_have_count(0)
        await expect(page.reactions).to_have_count(0)
    await bob.screenshot("message-changes", "deleted")

    # What the server holds: the same after a reload.
    await bob.page.reload()
    await bob.open_chat(alice.username)
    await bob.expect_texts([DELETED])


async def test_changes_made_while_offline_are_caught_up_on_reconnect(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    pages.expected_problems += [
        re.compile(r"WebSocket connection to .* failed"),
        re.compile(r"Failed to load resource: net::ERR_INTERNET_DISCONNECTED"),
    ]
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    for text in ("One", "Two", "Three"):
        await alice.send(text)
    await bob.expect_texts(["One", "Two", "Three"])
    await bob.react("Two", "laughing")
    await bob.react("Three", "thumbs up")
    await expect_reaction(alice, "Three", THUMBS_UP, 1, mine=False)
    await alice.reaction("Three", THUMBS_UP).click()
    await expect_reaction(bob, "Three", THUMBS_UP, 2, mine=True)

    await bob.page.context.set_offline(True)
    await expect(bob.offline).to_be_visible()
    # While Bob is away: an edit, a deletion (with his reaction on it), a
    # reaction taken off and one put on, and a new message edited after it
    # was sent.
    await alice.edit("One", "One, edited")
    await alice.delete("Two")
    await alice.reaction("Three", THUMBS_UP).click()
    await expect_reaction(alice, "Three", THUMBS_UP, 1, mine=False)
    await alice.react("Three", "heart")
    await alice.send("Four")
    await alice.edit("Four", "Four, edited")
    final = ["One, edited", DELETED, "Three", "Four, edited"]
    await alice.expect_texts(final)
    await expect_reaction(alice, "Three", HEART, 1, mine=True)
    # Bob's page still shows the state before he went.
    await bob.expect_texts(["One", "Two", "Three"])
    await expect_reaction(bob, "Two", LAUGHING, 1, mine=True)
    await expect_reaction(bob, "Three", THUMBS_UP, 2, mine=True)
    await bob.screenshot("message-changes", "offline")

    await bob.page.context.set_offline(False)
    await expect(bob.offline).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    await expect(bob.messages.locator(".text")).to_have_text(
        final, timeout=LIVE_TIMEOUT_MS
    )
    await expect(bob.edited("One, edited")).to_be_visible()
    await expect(bob.edited("Four, edited")).to_be_visible()
    await expect(bob.edited("Three")).to_have_count(0)
    # Exactly the final reactions, on "Three": Bob's thumbs up alone, and
    # Alice's heart; none on the deleted message.
    await expect_reaction(bob, "Three", THUMBS_UP, 1, mine=True)
    await expect_reaction(bob, "Three", HEART, 1, mine=False)
    await expect(bob.reactions).to_have_count(2)
    await expect(bob.message(DELETED).get_by_test_id("mood")).to_have_count(0)
    await bob.screenshot("message-changes", "caught-up")

    # And live again afterwards.
    await alice.edit("Three", "Three, edited")
    await bob.expect_texts(["One, edited", DELETED, "Three, edited", "Four, edited"])
