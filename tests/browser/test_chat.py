"""Two people chatting in two browsers, each on its own Sentichat process."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from playwright.async_api import expect

from tests.browser.conftest import Pages
from tests.browser.pages import HAPPY, NEUTRAL, SAD, Mood, Shown
from tests.support.remote import register, unique
from tests.support.server import Server

HAPPY_TEXT = "I love this, what a wonderful day!"
NEUTRAL_TEXT = "I am at the station."
SAD_TEXT = "This is terrible, I feel awful."

# "Positive (97% sure) · love +2.1, ! +0.6": the label, how sure the analyzer
# is (left out for messages scored before it), and what moved the score.
_HOVER = re.compile(
    r"(?P<label>Positive|Neutral|Negative)"
    r"(?: \((?P<sure>\d{1,3})% sure\))?"
    r"(?: · (?P<reasons>.+))?"
)
_REASON = re.compile(r"(?P<text>.+) (?P<weight>[+\u2212]\d+\.\d|0\.0)")
# "Mood: positive, 97% sure, because of love, !": the same without numbers.
_ARIA = re.compile(
    r"Mood: (?P<label>positive|neutral|negative)"
    r"(?:, (?P<sure>\d{1,3})% sure)?"
    r"(?:, because of (?P<reasons>.+))?"
)


@dataclass(frozen=True)
class Reading:
    """A mood's hover text and screen-reader label, read back."""

    label: str  # lower case
    sure: int  # percent
    reasons: dict[str, float]  # as the hover names them, strongest first


def read(mood: Mood, text: str) -> Reading:
    """Read a mood's hover and aria-label, checking that they agree and that
    every reason is a piece of the message `text`."""
    hover = _HOVER.fullmatch(mood.hover)
    aria = _ARIA.fullmatch(mood.aria_label)
    assert hover, mood.hover
    assert aria, mood.aria_label
    assert hover["label"].lower() == aria["label"]
    assert hover["sure"], "a message scored by the analyzer says how sure it is"
    assert hover["sure"] == aria["sure"]
    shown = hover["reasons"].split(", ") if hover["reasons"] else []
    reasons: dict[str, float] = {}
    for each in shown:
        reason = _REASON.fullmatch(each)
        assert reason, each
        reasons[reason["text"]] = float(reason["weight"].replace("\u2212", "-"))
    assert len(reasons) == len(shown) <= 5
    assert aria["reasons"] == (", ".join(reasons) or None)
    assert all(reason in text.lower() for reason in reasons), reasons
    return Reading(aria["label"], int(hover["sure"]), reasons)


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
    happy = await bob.mood_of(HAPPY_TEXT)
    assert happy.emoji == HAPPY
    # The hover names the words that made it positive, and so does the label.
    assert happy.hover.startswith("Positive (")
    assert happy.aria_label.startswith("Mood: positive, ")
    assert "love" in happy.aria_label
    reading = read(happy, HAPPY_TEXT)
    assert reading.sure >= 50
    assert next(iter(reading.reasons)) in {"love", "wonderful"}
    assert reading.reasons["love"] > 0
    assert reading.reasons["wonderful"] > 0

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
    sad = await alice.mood_of(SAD_TEXT)
    assert sad.hover.startswith("Negative (")
    assert "awful \u2212" in sad.hover  # a push towards negative, signed so
    assert sad.aria_label.startswith("Mood: negative, ")
    assert "awful" in sad.aria_label
    reading = read(sad, SAD_TEXT)
    assert reading.sure >= 50
    assert next(iter(reading.reasons)) in {"terrible", "awful"}
    assert reading.reasons["terrible"] < 0
    assert reading.reasons["awful"] < 0

    neutral = await alice.mood_of(NEUTRAL_TEXT)
    assert neutral.hover.startswith("Neutral (")
    assert neutral.aria_label.startswith("Mood: neutral, ")
    # Whatever nudged it (perhaps nothing) was too weak to give it a mood.
    assert read(neutral, NEUTRAL_TEXT).label == "neutral"
    await alice.screenshot("live-chat", "after-exchange")
    await bob.screenshot("live-chat", "after-exchange")

    # A reload keeps the session and the history.
    for page in (alice, bob):
        await page.page.reload()
        await page.expect_texts([HAPPY_TEXT, NEUTRAL_TEXT, SAD_TEXT])
    assert await alice.shown() == expected
    # The history shows the moods as they came live: stored with their reasons.
    assert await alice.mood_of(SAD_TEXT) == sad
    assert await alice.mood_of(NEUTRAL_TEXT) == neutral
    assert await alice.mood_of(HAPPY_TEXT) == happy
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
