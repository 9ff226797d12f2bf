"""Blocking, reporting and moderating as people see them (issue 23).

Alice's browser is on one Sentichat process and Bob's on another; the
moderator's is on Alice's, so that a suspension crosses to Bob's process.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys

from playwright.async_api import expect

from tests.browser.conftest import Pages
from tests.browser.pages import SAD
from tests.support.remote import register, unique
from tests.support.server import ROOT, Server

ABUSE = "You are pathetic and I hate you."
SUSPENDED = "Your account has been suspended."


async def make_moderator(server: Server, username: str) -> None:
    """`python -m graph moderators add NAME`, as an operator runs it, on the
    database the server uses."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graph",
        "moderators",
        "add",
        username,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(ROOT), **server.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


async def test_a_blocked_person_cannot_reach_me_until_i_unblock_them(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    await bob.send("Hi Alice")
    await alice.expect_texts(["Hi Alice"])

    # Alice blocks Bob from his entry in her list of people.
    await alice.choose_on_person(alice.person_menu(bob.username), bob.username, "Block")
    await expect(alice.blocked_note).to_contain_text("You blocked this person")
    await expect(alice.composer).to_have_count(0)
    await expect(alice.blocked_tag(bob.username)).to_have_text("blocked")
    # The chat's header offers the way back too.
    await alice.chat_menu(bob.username).click()
    await expect(
        alice.page.get_by_role("menu", name=f"Actions for {bob.username}").get_by_role(
            "menuitem"
        )
    ).to_have_text(["Unblock"])
    await alice.page.keyboard.press("Escape")
    await alice.screenshot("safety", "blocked")

    # Bob is refused, and sees it; nothing reaches Alice.
    await bob.send("Why don't you answer?")
    await expect(bob.pending).to_contain_text("Not sent")
    await bob.screenshot("safety", "refused")
    await alice.expect_texts(["Hi Alice"])

    # Reloaded on the chat's address, the history stays readable to both:
    # Alice still has the note and its Unblock, Bob the composer.
    for page in (alice, bob):
        await page.page.reload()
        await page.expect_signed_in(page.username)
    await alice.expect_texts(["Hi Alice"])
    await expect(alice.blocked_note).to_contain_text("You blocked this person")
    await bob.expect_texts(["Hi Alice"])
    await expect(bob.composer).to_be_enabled()
    await bob.send("Still there?")
    await expect(bob.pending).to_contain_text("Not sent")

    # Alice unblocks from the chat: the composer is back, and Bob gets through.
    await alice.blocked_note.get_by_role("button", name="Unblock").click()
    await expect(alice.blocked_note).to_have_count(0)
    await expect(alice.composer).to_be_enabled()
    await expect(alice.blocked_tag(bob.username)).to_have_count(0)
    await bob.send("Sorry, I will wait.")
    # What was refused while blocked never arrives.
    await alice.expect_texts(["Hi Alice", "Sorry, I will wait."])
    await alice.send("Thanks.")
    await bob.expect_texts(["Hi Alice", "Sorry, I will wait.", "Thanks."])


async def test_a_report_reaches_a_moderator_who_suspends_the_sender(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    alice, bob = await pages.new_pair(cluster)
    moderator = await register(cluster[0], unique("mod"))
    await make_moderator(cluster[0], moderator.username)
    await alice.open_chat(bob.username)
    await bob.open_chat(alice.username)
    await bob.send(ABUSE)
    await alice.expect_texts([ABUSE])

    await alice.report(ABUSE, "Harassment", note="He writes this every day.")
    await expect(alice.reported(ABUSE)).to_have_text("Reported")
    await alice.screenshot("safety", "reported")
    # Only moderators have the Reports view. The mood setting is usable once
    # the server has answered `me`, the request that also says whether to
    # offer Reports: only then is the link's absence an answer.
    await expect(alice.share_mood).to_be_enabled()
    await expect(alice.reports_link).to_have_count(0)

    mod = await pages.signed_in(cluster[0], moderator, "moderator")
    await mod.open_reports()
    report = mod.report_of(ABUSE)
    await expect(report.get_by_test_id("report-reason")).to_have_text("Harassment")
    await expect(report.get_by_test_id("report-note")).to_have_text(
        "He writes this every day."
    )
    await expect(report.get_by_test_id("report-sender")).to_have_text(bob.username)
    await expect(report.get_by_test_id("report-reporter")).to_have_text(alice.username)
    mood = report.get_by_role("img").and_(report.get_by_test_id("mood"))
    await expect(mood).to_have_text(SAD)
    await expect(mood).to_have_attribute("aria-label", re.compile(r"^Mood: negative"))
    await mod.screenshot("safety", "reports")

    await mod.resolve(ABUSE, "Suspend sender")
    await expect(report).to_have_count(0)

    # Bob's page, on the other process, is signed out and told why.
    await expect(bob.notice(SUSPENDED)).to_be_visible()
    await expect(bob.page.get_by_role("button", name="Log in")).to_be_visible()
    await bob.screenshot("safety", "suspended")
    # And he cannot sign in again.
    await bob.log_in(bob.username)
    await expect(bob.page.get_by_role("alert")).to_have_text(
        "This account is suspended."
    )
