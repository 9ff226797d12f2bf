"""History pages, client routes, the keyboard and a phone-sized screen."""

from __future__ import annotations

from playwright.async_api import ViewportSize, expect

from tests.browser.conftest import Pages
from tests.support.remote import chat_pair, send
from tests.support.server import Server

PHONE: ViewportSize = {"width": 390, "height": 844}


async def test_older_pages_load_when_scrolling_up(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    a, _ = cluster
    alice, bob, channel = await chat_pair(a)
    for n in range(1, 121):
        await send(a, bob, channel, f"message {n}")
    page = await pages.signed_in(a, alice, "alice")

    # A client route, loaded directly: the server answers with the page.
    await page.goto(f"/chat/{bob.id}")
    await page.expect_texts([f"message {n}" for n in range(71, 121)])

    scroller = page.page.get_by_label("Messages", exact=True)
    await scroller.evaluate("el => { el.scrollTop = 0 }")
    await page.expect_texts([f"message {n}" for n in range(21, 121)])
    await scroller.evaluate("el => { el.scrollTop = 0 }")
    await page.expect_texts([f"message {n}" for n in range(1, 121)])
    await expect(
        page.page.get_by_text("This is the start of your chat.")
    ).to_be_visible()
    await page.screenshot("history", "start-of-chat")


async def test_a_chat_opens_on_its_newest_message(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    a, _ = cluster
    alice, bob, channel = await chat_pair(a)
    for n in range(1, 101):
        await send(a, bob, channel, f"old {n}")
    page = await pages.signed_in(a, alice, "alice")
    # The counts are the server's: all 100 are unread, though none came live.
    await expect(page.badge(bob.username)).to_have_text("100")

    # Two arrive live while no chat is open, and count on top.
    await send(a, bob, channel, "new 1")
    await send(a, bob, channel, "new 2")
    await expect(page.badge(bob.username)).to_have_text("102")

    await page.open_chat(bob.username)
    await expect(page.messages).to_have_count(50)  # the newest page: 53 to 102
    await expect(page.messages.last).to_contain_text("new 2")
    await expect(page.messages.last).to_be_in_viewport()
    # The newest is on screen, so all of it is read.
    await expect(page.badge(bob.username)).to_have_count(0)


async def test_keyboard_and_a_phone_sized_screen(
    pages: Pages, cluster: tuple[Server, Server]
) -> None:
    a, _ = cluster
    alice, bob, _ = await chat_pair(a)
    page = await pages.signed_in(a, alice, "alice-phone", viewport=PHONE)
    people = page.page.get_by_role("navigation", name="People")
    await expect(people).to_be_visible()
    await page.screenshot("phone", "people")

    await page.open_chat(bob.username)
    await expect(people).to_be_hidden()  # the chat takes the whole screen

    # Enter sends; Shift+Enter is a new line within the message.
    await page.composer.focus()
    await page.page.keyboard.type("First line")
    await page.page.keyboard.press("Shift+Enter")
    await page.page.keyboard.type("second line")
    await page.page.keyboard.press("Enter")
    await expect(page.messages).to_have_count(1)
    assert [row.text for row in await page.shown()] == ["First line\nsecond line"]
    await expect(page.composer).to_have_value("")
    width = await page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing scrolls sideways on a phone"
    await page.screenshot("phone", "chat")

    await page.page.get_by_role("link", name="Back to people").click()
    await expect(people).to_be_visible()
