"""A conversation's mood, the composer's tone check and keeping one's mood
private, as two people see them (issue 21).

Alice's browser is on one Sentichat process and Bob's on another. The chat
header's sparkline is read back through its lines' paths: one per person who
shares their mood, through one point per run of messages (each message is
its own run while a chat holds at most 30).
"""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import Pages
from tests.browser.pages import SAD, ChatPage
from tests.support.server import Server

KIND = [
    "thank you, this is lovely",
    "I love it, what a wonderful idea!",
    "great news, I am so happy for you",
]
HARSH = [
    "I hate this, it is awful and stupid",
    "This is terrible, I feel awful.",
    "what a horrible, miserable mess",
    "You ruined everything, I am furious.",
    "This is the worst day, I am so angry.",
    "Ugh, disgusting and pathetic.",
]
POSITIVE = re.compile(r"^Mostly positive, ")
NEGATIVE = re.compile(r"^Mostly negative, ")


async def chatting(
    pages: Pages, cluster: tuple[Server, Server]
) -> tuple[ChatPage, ChatPage]:
    """Alice and Bob, each with their chat open."""
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    return alice, bob


async def test_the_sparkline_follows_the_conversation(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await chatting(pages, cluster)
    # No one has written: no mood to show.
    await expect(alice.chat_mood).to_have_count(0)

    await alice.send(KIND[0])
    await bob.expect_texts([KIND[0]])
    await bob.send(KIND[1])
    await alice.expect_texts(KIND[:2])
    await alice.send(KIND[2])
    for page in (alice, bob):
        await page.expect_texts(KIND)
        await expect(page.mood_summary).to_have_attribute("aria-label", POSITIVE)
        await expect(page.mood_lines).to_have_count(2)
        await expect(page.mood_line(alice.username)).to_have_attribute(
            "data-points", "2"
        )
        await expect(page.mood_line(bob.username)).to_have_attribute("data-points", "1")
    kind_line = await alice.mood_line(bob.username).get_attribute("d")
    await alice.screenshot("mood", "kind")

    # Bob turns sour: his line on Alice's screen goes down, the label with it.
    for text in HARSH:
        await bob.send(text)
    await alice.expect_texts(KIND + HARSH)
    await expect(alice.mood_line(bob.username)).to_have_attribute("data-points", "7")
    await expect(alice.mood_line(bob.username)).not_to_have_attribute(
        "d", kind_line or ""
    )
    await expect(alice.mood_summary).to_have_attribute(
        "aria-label", "Mostly negative, cooling down."
    )
    await expect(alice.chat_mood.get_by_text(SAD)).to_be_visible()
    await expect(bob.mood_summary).to_have_attribute("aria-label", NEGATIVE)
    await alice.screenshot("mood", "harsh")

    # What the server holds: the same after a reload.
    await alice.page.reload()
    await alice.open_chat(bob.username)
    await expect(alice.mood_line(bob.username)).to_have_attribute("data-points", "7")
    await expect(alice.mood_summary).to_have_attribute("aria-label", NEGATIVE)


async def test_the_tone_hint_advises_and_never_blocks_a_send(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await chatting(pages, cluster)
    # A harsh draft: flagged, with the words that made it so, as Alice pauses.
    await alice.draft(HARSH[0])
    await expect(alice.tone_hint).to_contain_text("may read as negative: ")
    for word in ("hate", "awful"):
        await expect(
            alice.tone_hint.locator("em", has_text=re.compile(f"^{word}$"))
        ).to_have_count(1)
    await expect(alice.draft_mood).to_have_attribute("data-label", "NEGATIVE")
    await alice.screenshot("mood", "tone-hint")

    # A kind one: no flag, and the draft's mood says so.
    await alice.draft(KIND[0])
    await expect(alice.draft_mood).to_have_attribute("data-label", "POSITIVE")
    await expect(alice.tone_hint).to_have_text("")
    await alice.screenshot("mood", "kind-draft")

    # The flag is advice: the harsh message goes, as soon as Enter is pressed
    # and again while the flag shows; then the composer is clear.
    await alice.send(HARSH[1])
    await alice.draft(HARSH[0])
    await expect(alice.tone_hint).to_contain_text("hate")
    await alice.composer.press("Enter")
    await bob.expect_texts([HARSH[1], HARSH[0]])
    await expect(alice.composer).to_have_value("")
    await expect(alice.tone_hint).to_have_text("")
    await expect(alice.draft_mood).to_have_count(0)


async def test_a_member_who_keeps_their_mood_private_has_no_line(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await chatting(pages, cluster)
    await alice.send(KIND[0])
    await bob.expect_texts([KIND[0]])
    await bob.send(KIND[1])
    await expect(alice.mood_lines).to_have_count(2)

    await expect(bob.share_mood).to_be_checked()
    await bob.share_mood.uncheck()
    await expect(bob.share_mood).not_to_be_checked()
    await bob.send(KIND[2])
    await alice.expect_texts(KIND)
    # Alice sees neither the mood of Bob's new message nor his line; Bob does.
    await expect(alice.mood(KIND[2])).to_have_count(0)
    await expect(bob.mood(KIND[2])).to_have_count(1)
    await expect(alice.mood_lines).to_have_count(1)
    await expect(alice.mood_line(alice.username)).to_have_count(1)
    await expect(alice.mood_summary).to_have_attribute(
        "aria-label", re.compile(rf"{re.escape(bob.username)}'s mood is private\.$")
    )
    await expect(bob.mood_lines).to_have_count(2)
    await alice.screenshot("mood", "private")

    # Kept: after reloads Bob's box is still clear, and none of his moods show.
    await bob.page.reload()
    await expect(bob.share_mood).not_to_be_checked()
    await alice.page.reload()
    await alice.open_chat(bob.username)
    await expect(alice.mood(KIND[0])).to_have_count(1)
    await expect(alice.mood(KIND[1])).to_have_count(0)
