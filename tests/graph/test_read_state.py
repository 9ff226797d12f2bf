"""Read positions and unread counts, stored: what a member has not read yet
survives a reload, and two tabs and two members agree on it."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from sqlalchemy import func, select

from db.models import Chat, Message
from tests.support.api import Account, Api

READ_STATE = """
query Chats { chats { channelName unreadCount lastReadSeq peerLastReadSeq lastSeq } }
"""
UNREAD_TOTAL = "query { unreadTotal }"
MARK_READ = """
mutation Read($channel: String!, $seq: Int!) {
  markRead(channel: $channel, seq: $seq) {
    channelName unreadCount lastReadSeq peerLastReadSeq lastSeq
  }
}"""
ACTIVITY = """
subscription Activity($channel: String!) {
  chatActivity(channel: $channel) {
    __typename
    ... on ReadReceipt { channel user { id username } seq }
    ... on Typing { channel user { id } typing }
  }
}"""


async def state_of(api: Api, reader: Account, channel: str) -> dict[str, Any]:
    chats = (await api.data(READ_STATE, token=reader.token))["chats"]
    (chat,) = [chat for chat in chats if chat["channelName"] == channel]
    return dict(chat)


async def unread_total(api: Api, reader: Account) -> int:
    total: int = (await api.data(UNREAD_TOTAL, token=reader.token))["unreadTotal"]
    return total


async def mark_read(api: Api, reader: Account, channel: str, seq: int) -> Any:
    variables = {"channel": channel, "seq": seq}
    return (await api.data(MARK_READ, variables, reader.token))["markRead"]


async def counted_unread(api: Api, reader: Account, channel: str) -> int:
    """The reader's unread messages counted row by row: the truth to compare with."""
    async with api.services.accounts._sessions() as session:
        chat = await session.scalar(
            select(Chat).where(
                Chat.user_low_id == min(int(reader.id), _other(reader, channel)),
                Chat.user_high_id == max(int(reader.id), _other(reader, channel)),
            )
        )
        assert chat is not None
        position = (
            chat.low_read_seq
            if chat.user_low_id == int(reader.id)
            else chat.high_read_seq
        )
        count = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.chat_id == chat.id,
                Message.seq > position,
                Message.sender_id != int(reader.id),
            )
        )
    return int(count or 0)


def _other(reader: Account, channel: str) -> int:
    low, high = channel.removeprefix("private-chat_").split("_")
    return int(high) if low == reader.id else int(low)


async def test_eight_messages_to_an_away_member_are_eight_unread_then_none(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    for n in range(8):
        await api.send(alice, channel, f"message {n}")

    assert await state_of(api, bob, channel) == {
        "channelName": channel,
        "unreadCount": 8,
        "lastReadSeq": 0,
        "peerLastReadSeq": 0,
        "lastSeq": 8,
    }
    assert await unread_total(api, bob) == 8
    # Her own messages are never unread for the sender, without a markRead.
    assert (await state_of(api, alice, channel))["unreadCount"] == 0
    assert await unread_total(api, alice) == 0

    read = await mark_read(api, bob, channel, 8)

    assert (read["unreadCount"], read["lastReadSeq"]) == (0, 8)
    assert await unread_total(api, bob) == 0
    # Alice sees that Bob has read up to 8: "Seen".
    assert (await state_of(api, alice, channel))["peerLastReadSeq"] == 8


async def test_reading_part_of_a_conversation_leaves_the_rest_unread(api: Api) -> None:
    alice, bob, channel = await api.pair()
    for n in range(5):
        await api.send(alice, channel, f"from alice {n}")  # seq 1..5
    await api.send(bob, channel, "from bob")  # seq 6
    for n in range(3):
        await api.send(alice, channel, f"again {n}")  # seq 7..9

    assert (await state_of(api, bob, channel))["unreadCount"] == 8
    assert (await mark_read(api, bob, channel, 3))["unreadCount"] == 5
    # Read up to his own message: alice's 4 and 5 are read too.
    assert (await mark_read(api, bob, channel, 6))["unreadCount"] == 3
    assert (await state_of(api, alice, channel))["unreadCount"] == 1
    assert (await mark_read(api, alice, channel, 9))["unreadCount"] == 0


async def test_unread_counts_match_a_row_count_through_a_random_conversation(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    chooser = random.Random(19)
    sent = 0
    for _ in range(60):
        move = chooser.random()
        who = alice if chooser.random() < 0.5 else bob
        if move < 0.7:
            await api.send(who, channel, "hello")
            sent += 1
        elif sent:
            await mark_read(api, who, channel, chooser.randint(0, sent))
        for member in (alice, bob):
            state = await state_of(api, member, channel)
            assert state["unreadCount"] == await counted_unread(api, member, channel)


async def test_a_position_never_moves_back_and_a_lower_seq_is_not_an_error(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    for n in range(4):
        await api.send(alice, channel, f"message {n}")
    await mark_read(api, bob, channel, 3)

    again = await mark_read(api, bob, channel, 1)

    assert (again["lastReadSeq"], again["unreadCount"]) == (3, 1)
    assert (await mark_read(api, bob, channel, 0))["lastReadSeq"] == 3


async def test_concurrent_mark_reads_from_two_tabs_keep_the_highest(api: Api) -> None:
    alice, bob, channel = await api.pair()
    for n in range(30):
        await api.send(alice, channel, f"message {n}")
    seqs = list(range(1, 31))
    random.Random(7).shuffle(seqs)

    await asyncio.gather(*(mark_read(api, bob, channel, seq) for seq in seqs))

    state = await state_of(api, bob, channel)
    assert (state["lastReadSeq"], state["unreadCount"]) == (30, 0)


async def test_marking_past_the_newest_message_is_refused_and_changes_nothing(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, "only one")
    variables = {"channel": channel, "seq": 2}

    code, message = await api.refusal(MARK_READ, variables, bob.token)

    assert code == "BAD_USER_INPUT"
    assert "past the newest message (1)" in message
    assert (await state_of(api, bob, channel))["lastReadSeq"] == 0


async def test_mark_read_is_for_members_of_an_existing_chat_only(api: Api) -> None:
    alice, bob, channel = await api.pair()
    eve = await api.register("eve")
    await api.send(alice, channel, "private")

    refused = await api.refusal(MARK_READ, {"channel": channel, "seq": 1}, eve.token)
    negative = await api.refusal(MARK_READ, {"channel": channel, "seq": -1}, bob.token)
    missing = f"private-chat_{alice.id}_{eve.id}"
    no_chat = await api.refusal(MARK_READ, {"channel": missing, "seq": 0}, eve.token)
    unsigned = await api.refusal(MARK_READ, {"channel": channel, "seq": 1})

    assert refused[0] == "FORBIDDEN"
    assert negative[0] == "BAD_USER_INPUT"
    assert no_chat[0] == "NOT_FOUND"
    assert unsigned[0] == "UNAUTHENTICATED"
    assert (await state_of(api, bob, channel))["lastReadSeq"] == 0


async def test_unread_total_adds_up_every_chat(api: Api) -> None:
    bob = await api.register("bob")
    senders = [await api.register(f"sender{n}") for n in range(3)]
    for count, sender in enumerate(senders, start=1):
        channel = await api.open_chat(sender, bob)
        for n in range(count):
            await api.send(sender, channel, f"hi {n}")

    assert await unread_total(api, bob) == 1 + 2 + 3
    states = (await api.data(READ_STATE, token=bob.token))["chats"]
    assert sorted(chat["unreadCount"] for chat in states) == [1, 2, 3]


async def test_a_read_receipt_reaches_the_other_member_and_my_other_tabs(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    for n in range(3):
        await api.send(alice, channel, f"message {n}")
    variables = {"channel": channel}

    async with (
        api.subscribe(ACTIVITY, variables, alice.token) as alices,
        api.subscribe(ACTIVITY, variables, bob.token) as bobs_other_tab,
    ):
        await mark_read(api, bob, channel, 2)
        await mark_read(api, bob, channel, 1)  # no move: no receipt
        await mark_read(api, bob, channel, 3)

        for tab in (alices, bobs_other_tab):
            first, second = await tab.messages(2)
            assert first == {
                "__typename": "ReadReceipt",
                "channel": channel,
                "user": {"id": bob.id, "username": bob.username},
                "seq": 2,
            }
            assert second["seq"] == 3
        assert alices.pending() == bobs_other_tab.pending() == 0


async def test_chat_activity_is_for_members_of_an_existing_chat_only(
    api: Api,
) -> None:
    alice, _bob, channel = await api.pair()
    eve = await api.register("eve")

    async with api.subscribe(ACTIVITY, {"channel": channel}, eve.token) as stranger:
        refused = await stranger.next()
    missing = {"channel": f"private-chat_{alice.id}_{eve.id}"}
    async with api.subscribe(ACTIVITY, missing, eve.token) as nothing:
        not_found = await nothing.next()

    assert refused.errors
    assert refused.errors[0].extensions
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"
    assert not_found.errors
    assert not_found.errors[0].extensions
    assert not_found.errors[0].extensions["code"] == "NOT_FOUND"


async def test_a_new_chat_carries_the_invitees_unread_count(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, "before bob listened")
    new_chat = "subscription { newChat { channelName unreadCount lastReadSeq } }"

    async with api.subscribe(new_chat, None, bob.token) as chats:
        await api.open_chat(alice, bob)
        announced = await chats.message()

    assert announced == {"channelName": channel, "unreadCount": 1, "lastReadSeq": 0}
