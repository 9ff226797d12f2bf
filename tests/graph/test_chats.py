from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from db.models import Chat
from tests.support.api import CHATS, NEW_CHAT, REQUEST_CHAT, Api


async def chat_count(api: Api) -> int:
    async with api.services.accounts._sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Chat)) or 0)


async def test_request_chat_names_the_pair_channel_in_numeric_order(api: Api) -> None:
    users = [await api.register(f"user{n}") for n in range(10)]
    low, high = users[1], users[9]  # ids 2 and 10: "10" < "2" as text

    data = await api.data(REQUEST_CHAT, {"toUser": low.id}, high.token)

    assert data["requestChat"] == {
        "channelName": f"private-chat_{low.id}_{high.id}",
        "fromUser": {"id": high.id, "username": high.username},
        "toUser": {"id": low.id, "username": low.username},
        "fromUserNotificationChannel": f"private-notification_user_{high.id}",
        "toUserNotificationChannel": f"private-notification_user_{low.id}",
        "lastSeq": 0,
    }


async def test_both_sides_reuse_the_one_channel_of_their_pair(api: Api) -> None:
    alice, bob = await api.register("alice"), await api.register("bob")

    first = await api.open_chat(alice, bob)
    again = await api.open_chat(alice, bob)
    reverse = await api.open_chat(bob, alice)

    assert first == again == reverse
    assert await chat_count(api) == 1


async def test_fifty_concurrent_requests_from_both_sides_make_one_chat(
    api: Api,
) -> None:
    alice, bob = await api.register("alice"), await api.register("bob")
    calls = [api.open_chat(alice, bob) for _ in range(25)]
    calls += [api.open_chat(bob, alice) for _ in range(25)]

    channels = await asyncio.gather(*calls)

    assert set(channels) == {f"private-chat_{alice.id}_{bob.id}"}
    assert await chat_count(api) == 1


async def test_a_chat_with_oneself_is_refused(api: Api) -> None:
    alice = await api.register("alice")

    code, _ = await api.refusal(REQUEST_CHAT, {"toUser": alice.id}, alice.token)

    assert code == "BAD_USER_INPUT"
    assert await chat_count(api) == 0


async def test_a_chat_with_an_unknown_user_is_not_found(api: Api) -> None:
    alice = await api.register("alice")

    code, _ = await api.refusal(REQUEST_CHAT, {"toUser": "999"}, alice.token)

    assert code == "NOT_FOUND"
    assert await chat_count(api) == 0


@pytest.mark.parametrize(
    "to_user", ["abc", "-1", "0", "1.5", "", "1" * 20, "9223372036854775808", "\u0661"]
)
async def test_a_malformed_user_id_is_bad_input(api: Api, to_user: str) -> None:
    alice = await api.register("alice")

    code, _ = await api.refusal(REQUEST_CHAT, {"toUser": to_user}, alice.token)

    assert code == "BAD_USER_INPUT"


async def test_requesting_a_chat_needs_a_token(api: Api) -> None:
    await api.register("alice")

    code, _ = await api.refusal(REQUEST_CHAT, {"toUser": "1"})

    assert code == "UNAUTHENTICATED"


async def test_the_other_user_is_notified_of_the_new_chat(api: Api) -> None:
    alice, bob = await api.register("alice"), await api.register("bob")

    async with api.subscribe(NEW_CHAT, None, bob.token) as bobs_chats:
        channel = await api.open_chat(alice, bob)
        chat = await bobs_chats.message()

    assert chat["channelName"] == channel
    assert chat["fromUser"] == {"id": alice.id, "username": "alice"}
    assert chat["toUser"] == {"id": bob.id, "username": "bob"}


async def test_the_requester_is_not_notified_of_its_own_request(api: Api) -> None:
    alice, bob, carol = [await api.register(name) for name in ("alice", "bob", "carol")]

    async with api.subscribe(NEW_CHAT, None, alice.token) as alices_chats:
        await api.open_chat(alice, bob)
        await api.open_chat(carol, alice)  # a later event that is for alice
        chat = await alices_chats.message()

    assert chat["fromUser"]["username"] == "carol"
    assert alices_chats.pending() == 0


async def test_a_reused_chat_reports_its_newest_seq(api: Api) -> None:
    alice, bob, channel = await api.pair()
    for text in ("one", "two", "three"):
        await api.send(alice, channel, text)

    async with api.subscribe(NEW_CHAT, None, alice.token) as alices_chats:
        data = await api.data(REQUEST_CHAT, {"toUser": alice.id}, bob.token)
        announced = await alices_chats.message()

    assert data["requestChat"]["lastSeq"] == 3
    assert announced["lastSeq"] == 3


async def test_chats_lists_the_callers_chats_newest_first(api: Api) -> None:
    alice, bob, carol, dave = [
        await api.register(name) for name in ("alice", "bob", "carol", "dave")
    ]
    with_bob = await api.open_chat(alice, bob)
    with_carol = await api.open_chat(carol, alice)
    await api.open_chat(bob, dave)  # not alice's
    await api.send(carol, with_carol, "hello")

    chats = (await api.data(CHATS, None, alice.token))["chats"]

    assert [chat["channelName"] for chat in chats] == [with_carol, with_bob]
    assert [chat["lastSeq"] for chat in chats] == [1, 0]
    # fromUser stays whoever asked, however the caller relates to it.
    assert chats[0]["fromUser"]["username"] == "carol"
    assert chats[0]["toUser"]["username"] == "alice"
    assert chats[1]["fromUser"]["username"] == "alice"
    assert chats[1]["toUser"]["username"] == "bob"


async def test_asking_again_does_not_change_who_asked_first(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await api.open_chat(bob, alice)

    chats = (await api.data(CHATS, None, bob.token))["chats"]

    assert chats[0]["channelName"] == channel
    assert chats[0]["fromUser"]["username"] == "alice"


async def test_chats_takes_the_newest_first_n(api: Api) -> None:
    alice = await api.register("alice")
    others = [await api.register(f"user{n}") for n in range(3)]
    for other in others:
        await api.open_chat(alice, other)

    chats = (await api.data(CHATS, {"first": 2}, alice.token))["chats"]

    assert [chat["toUser"]["username"] for chat in chats] == ["user2", "user1"]


@pytest.mark.parametrize("first", [0, -1, 501])
async def test_chats_refuses_a_page_size_out_of_bounds(api: Api, first: int) -> None:
    alice = await api.register("alice")

    code, message = await api.refusal(CHATS, {"first": first}, alice.token)

    assert (code, message) == ("BAD_USER_INPUT", "`first` is 1 to 500.")


async def test_chats_needs_a_token(api: Api) -> None:
    code, _ = await api.refusal(CHATS)

    assert code == "UNAUTHENTICATED"
