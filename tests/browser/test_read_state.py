"""Read state, typing and presence as two people see them (issue 19).

Alice's browser is on one Sentichat process and Bob's on another: receipts,
typing and presence cross between them through Redis.
"""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import Pages
from tests.support.server import Server

LAST_SEEN = re.compile(r"^last seen (just now|\d+ min ago)$")


async def test_unread_badges_come_from_the_server_and_clear_once_read(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    # Bob is elsewhere in Sentichat: no chat open.
    for n in range(1, 4):
        await alice.send(f"Message {n}")
    await expect(bob.badge(alice.username)).to_have_text("3")
    await expect(bob.badge(alice.username)).to_have_attribute(
        "aria-label", "3 unread messages"
    )
    await bob.expect_title(3)

    # Not a count the page kept: the server's, after a reload ...
    await bob.page.reload()
    await expect(bob.badge(alice.username)).to_have_text("3")
    await bob.expect_title(3)
    await bob.screenshot("read-state", "badge-after-reload")

    # ... and right after signing in, with what came while signed out.
    await bob.page.get_by_role("button", name="Log out").click()
    await alice.send("Message 4")
    await alice.expect_texts([f"Message {n}" for n in range(1, 5)])
    await bob.log_in(bob.username)
    await bob.expect_signed_in(bob.username)
    await expect(bob.badge(alice.username)).to_have_text("4")
    await bob.expect_title(4)
    await expect(alice.seen).to_have_count(0)  # Bob has read none of it

    await bob.open_chat(alice.username)
    await bob.expect_texts([f"Message {n}" for n in range(1, 5)])
    await expect(bob.badge(alice.username)).to_have_count(0)
    await bob.expect_title(0)

    # Alice sees that Bob read it: "Seen" under her newest message, once.
    await expect(alice.message("Message 4").get_by_test_id("seen")).to_have_text("Seen")
    await expect(alice.seen).to_have_count(1)
    await alice.screenshot("read-state", "seen")

    # The server has it: nothing is unread after a reload either.
    await bob.goto("/")
    await expect(bob.person(alice.username)).to_be_visible()
    await expect(bob.badge(alice.username)).to_have_count(0)
    await bob.expect_title(0)


async def test_reading_on_another_device_clears_the_badge_here(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await alice.send("One")
    await alice.send("Two")
    await expect(bob.badge(alice.username)).to_have_text("2")

    # Bob again, elsewhere (another browser, another server), reads them.
    elsewhere = await pages.open(cluster[0], "bob-elsewhere")
    await elsewhere.log_in(bob.username)
    await elsewhere.expect_signed_in(bob.username)
    await expect(elsewhere.badge(alice.username)).to_have_text("2")
    await elsewhere.open_chat(alice.username)
    await elsewhere.expect_texts(["One", "Two"])

    # The first page hears of it by a read receipt, without a reload.
    await expect(bob.badge(alice.username)).to_have_count(0)
    await bob.expect_title(0)


async def test_an_open_chat_in_a_background_tab_is_read_only_when_it_comes_back(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    await alice.send("Are you there?")
    await bob.expect_texts(["Are you there?"])
    await expect(alice.message("Are you there?").get_by_test_id("seen")).to_be_visible()

    await bob.set_visible(False)
    await alice.send("Hello?")
    await bob.expect_texts(["Are you there?", "Hello?"])
    await expect(bob.badge(alice.username)).to_have_text("1")
    await alice.send("Anyone?")
    await expect(bob.badge(alice.username)).to_have_text("2")
    await bob.expect_title(2)
    # Shown, but not seen: "Seen" stays where it was.
    await expect(alice.seen).to_have_count(1)
    await expect(alice.message("Are you there?").get_by_test_id("seen")).to_be_visible()
    await bob.screenshot("background-tab", "unread-while-hidden")

    await bob.set_visible(True)
    await expect(bob.badge(alice.username)).to_have_count(0)
    await bob.expect_title(0)
    await expect(alice.message("Anyone?").get_by_test_id("seen")).to_be_visible()
    await expect(alice.seen).to_have_count(1)


async def test_typing_shows_in_the_header_until_sent_or_cleared(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    await expect(bob.typing).to_have_text("")

    # Key by key, as a person types.
    await alice.composer.press_sequentially("Hello the")
    await expect(bob.typing).to_have_text(f"{alice.username} is typing…")
    await expect(bob.typing).to_be_visible()
    await expect(alice.typing).to_have_text("")  # never one's own
    await bob.screenshot("typing", "typing")

    await alice.composer.press_sequentially("re!")
    await alice.composer.press("Enter")
    await bob.expect_texts(["Hello there!"])
    await expect(bob.typing).to_have_text("")

    # Typing and then emptying the composer is not typing either.
    await alice.composer.press_sequentially("Wait")
    await expect(bob.typing).to_have_text(f"{alice.username} is typing…")
    await alice.composer.press("Control+a")
    await alice.composer.press("Backspace")
    await expect(bob.typing).to_have_text("")
    await bob.screenshot("typing", "stopped")


async def test_people_show_who_is_online_and_when_they_were_last_seen(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    a, _ = cluster
    alice, bob = await pages.new_pair(cluster)
    # No chat shared yet: not Alice's to know whether Bob is here.
    await expect(alice.person(bob.username)).to_be_visible()
    await expect(alice.online(bob.username)).to_have_count(0)
    await expect(alice.last_seen(bob.username)).to_have_count(0)

    await alice.open_chat(bob.username)
    await expect(bob.online(alice.username)).to_be_visible()
    await expect(bob.online(alice.username)).to_have_attribute("title", "online")
    await expect(alice.online(bob.username)).to_be_visible()
    await bob.screenshot("presence", "online")

    # Alice closes Sentichat: Bob sees her go, and when.
    await alice.close()
    await expect(bob.online(alice.username)).to_have_count(0)
    await expect(bob.last_seen(alice.username)).to_have_text(LAST_SEEN)
    await bob.screenshot("presence", "last-seen")

    # And come back.
    again = await pages.open(a, "alice-again")
    await again.log_in(alice.username)
    await again.expect_signed_in(alice.username)
    await expect(bob.online(alice.username)).to_be_visible()
    await expect(bob.last_seen(alice.username)).to_have_count(0)
