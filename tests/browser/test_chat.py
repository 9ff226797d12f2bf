"""Two people chatting in two browsers, each on its own Sentichat process."""

from __future__ import annotations

import re
from dataclasses import replace

from playwright.async_api import expect

from tests.browser.conftest import Pages
from tests.browser.pages import HAPPY, NEUTRAL, SAD, Shown
from tests.support.remote import register, unique
from tests.support.server import Server

HAPPY_TEXT = "I love this, what a wonderful day!"
NEUTRAL_TEXT = "I am at the station."
SAD_TEXT = "This is terrible, I feel awful."


async def test_two_people_chat_live_with_the_mood_of_every_message(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    carol = await register(cluster[1], unique("carol"))
    alice, bob = await pages.new_pair(cluster)
    alice_name, bob_name = alice.username, bob.username

    # Bob is busy in another chat when Alice opens hers and writes.
    await bob.open_chat(carol.username)
    await alice.open_chat(bob_name)
    await alice.send(HAPPY_TEXT)

    await expect(bob.badge(alice_name)).to_have_text("1")
    await expect(bob.badge(alice_name)).to_have_attribute(
        "aria-label", "1 unread message"
    )
    await bob.screenshot("live-chat", "badge")

    await bob.open_chat(alice_name)
    await expect(bob.badge(alice_name)).to_have_count(0)
    await bob.expect_texts([HAPPY_TEXT])
    emoji, hover = await bob.mood_of(HAPPY_TEXT)
    assert emoji == HAPPY
    assert hover == "Polarity +0.75 (positive) · subjectivity 0.80"

    await bob.send(NEUTRAL_TEXT)
    await bob.send(SAD_TEXT)

    expected = [
        Shown(HAPPY_TEXT, HAPPY, mine=True),
        Shown(NEUTRAL_TEXT, NEUTRAL, mine=False),
        Shown(SAD_TEXT, SAD, mine=False),
    ]
    await alice.expect_texts([HAPPY_TEXT, NEUTRAL_TEXT, SAD_TEXT])
    assert await alice.shown() == expected
    await bob.expect_texts([HAPPY_TEXT, NEUTRAL_TEXT, SAD_TEXT])
    assert await bob.shown() == [replace(row, mine=not row.mine) for row in expected]
    assert (await alice.mood_of(SAD_TEXT))[1] == (
        "Polarity \u22121.00 (negative) · subjectivity 1.00"
    )
    assert (await alice.mood_of(NEUTRAL_TEXT))[1] == (
        "Polarity 0.00 (neutral) · subjectivity 0.00"
    )
    await alice.screenshot("live-chat", "after-exchange")
    await bob.screenshot("live-chat", "after-exchange")

    # A reload keeps the session and the history.
    for page in (alice, bob):
        await page.page.reload()
        await page.expect_texts([HAPPY_TEXT, NEUTRAL_TEXT, SAD_TEXT])
    assert await alice.shown() == expected
    await alice.screenshot("live-chat", "after-reload")


async def test_messages_sent_while_the_server_restarts_appear_without_a_reload(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    a = cluster[0]
    # While A is down, Alice's browser cannot reach it: that is expected.
    pages.expected_problems += [
        re.compile(r"WebSocket connection to .* failed"),
        re.compile(r"Failed to load resource: net::ERR_CONNECTION_REFUSED"),
    ]
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await alice.send("Before the restart.")
    await bob.open_chat(alice.username)
    await bob.expect_texts(["Before the restart."])

    a.stop()
    await expect(alice.offline).to_be_visible()
    await bob.send("Sent while your server was down.")
    await bob.send("And a second one.")
    await alice.send("Written while offline.")  # kept, shown, sent once back
    await expect(alice.page.get_by_test_id("pending")).to_contain_text("Not sent")
    await alice.screenshot("restart", "offline")

    a.start()
    await expect(alice.offline).to_be_hidden()
    everything = [
        "Before the restart.",
        "Sent while your server was down.",
        "And a second one.",
        "Written while offline.",
    ]
    await alice.expect_texts(everything)
    await expect(alice.page.get_by_test_id("pending")).to_have_count(0)
    await bob.expect_texts(everything)
    await alice.screenshot("restart", "back")
    await bob.screenshot("restart", "back")


async def test_messages_sent_while_the_network_is_lost_appear_when_it_returns(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    pages.expected_problems += [
        re.compile(r"WebSocket connection to .* failed"),
        re.compile(r"Failed to load resource: net::ERR_INTERNET_DISCONNECTED"),
    ]
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)

    await alice.page.context.set_offline(True)
    await expect(alice.offline).to_be_visible()
    await bob.send("Are you there?")
    await bob.expect_texts(["Are you there?"])
    await alice.page.context.set_offline(False)

    await expect(alice.offline).to_be_hidden()
    await alice.expect_texts(["Are you there?"])
    await alice.send("Back now.")
    await bob.expect_texts(["Are you there?", "Back now."])


async def test_errors_in_words_log_out_and_a_session_that_survives_reload(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    a, _ = cluster
    taken = await register(a, unique("taken"))
    page = await pages.open(a, "visitor")

    await page.sign_up(taken.username.upper())
    await expect(page.page.get_by_role("alert")).to_have_text("That username is taken.")

    await page.log_in(taken.username, "not the password")
    await expect(page.page.get_by_role("alert")).to_have_text(
        "Wrong username or password."
    )

    await page.log_in(taken.username)
    await page.expect_signed_in(taken.username)
    await page.page.reload()
    await page.expect_signed_in(taken.username)

    await page.page.get_by_role("button", name="Log out").click()
    await expect(page.page.get_by_role("form", name="Log in")).to_be_visible()
    await page.page.reload()
    await expect(page.page.get_by_role("form", name="Log in")).to_be_visible()
    await page.goto("/")
    await expect(page.page).to_have_url(re.compile(r"/login$"))
