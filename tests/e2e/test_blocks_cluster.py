"""Blocking on two processes sharing PostgreSQL and Redis, with Pusher on: a
block made on one process silences at once what the other process holds open,
every path refuses or stays silent, and unblocking (on the other process)
brings it all back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_pusher import FakePusher
from tests.support.metrics import scrape, wait_for
from tests.support.remote import chat_pair, data, pusher_auth, refusal, send
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket

SUBSCRIPTIONS = "sentichat_subscriptions"
HELD_BACK = "sentichat_events_held_back_total"
BLOCK = "mutation B($user: ID!) { blockUser(user: $user) { blockedByMe } }"
UNBLOCK = "mutation U($user: ID!) { unblockUser(user: $user) { blockedByMe } }"
NEW_MESSAGE = """
subscription N($channel: String!) { newMessage(channel: $channel) { seq message } }"""
ACTIVITY = """
subscription A($channel: String!) {
  chatActivity(channel: $channel) {
    __typename
    ... on Typing { user { id } typing }
    ... on ReadReceipt { user { id } seq }
  }
}"""
PRESENCE = "subscription { presence { user { id online } online lastSeenAt } }"
SEND = """
mutation S($channel: String!, $message: String!) {
  sendMessage(channel: $channel, message: $message) { seq }
}"""
SEND_ID = """
mutation S($channel: String!, $message: String!) {
  sendMessage(channel: $channel, message: $message) { id }
}"""
DELETE = "mutation D($id: ID!) { deleteMessage(id: $id) { deletedAt } }"
TYPING = "mutation T($channel: String!) { setTyping(channel: $channel, typing: true) }"
REQUEST = "mutation R($to: ID!) { requestChat(toUser: $to) { channelName } }"
MARK_READ = """
mutation M($channel: String!, $seq: Int!) {
  markRead(channel: $channel, seq: $seq) { lastReadSeq }
}"""
USERS = "query { users { id online blockedByMe } }"
HISTORY = "query H($channel: String!) { messages(channel: $channel) { message } }"

NOT_A_MEMBER = ("FORBIDDEN", "You are not a member of this chat.")
YOU_BLOCKED = ("FORBIDDEN", "You blocked this person: unblock them to write to them.")


@dataclass
class Cluster:
    a: Server
    b: Server
    fake: FakePusher


@pytest.fixture(scope="module")
async def cluster(
    cluster_env: dict[str, str],
    pusher: FakePusher,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Cluster]:
    env = {**cluster_env, **pusher.env(), "PUSHER_DRAIN_SECONDS": "1"}
    logs = Path(tmp_path_factory.mktemp("blocks"))
    a = await asyncio.to_thread(Server(env, logs / "a.log").start)
    b = await asyncio.to_thread(Server(env, logs / "b.log").start)
    yield Cluster(a, b, pusher)
    await asyncio.to_thread(a.stop)
    await asyncio.to_thread(b.stop)
    for server in (a, b):
        assert "Traceback" not in server.log(), server.log()


async def held_open(server: Server, at_least: float) -> None:
    await wait_for(server.http_url, SUBSCRIPTIONS, lambda held: held >= at_least)


async def next_typing(ws: GraphQLWebSocket) -> dict[str, Any]:
    """The next Typing, past any mood change or read receipt (an unblock
    sends the positions and mood as they then are)."""
    while True:
        event: dict[str, Any] = (await ws.next_data("live", timeout=10))["chatActivity"]
        if event["__typename"] == "Typing":
            return event


async def test_a_block_on_one_process_silences_the_other_and_unblock_restores(
    cluster: Cluster,
) -> None:
    a, b, fake = cluster.a, cluster.b, cluster.fake
    alice, bob, channel = await chat_pair(a)
    await send(a, bob, channel, "before")
    regret = await data(a, SEND_ID, bob.token, channel=channel, message="take back")
    on_a = (await scrape(a.http_url))[SUBSCRIPTIONS]
    held_back = (await scrape(a.http_url))[HELD_BACK]

    async with (
        GraphQLWebSocket(a.ws_url) as messages,
        GraphQLWebSocket(a.ws_url) as activity,
        GraphQLWebSocket(a.ws_url) as presence,
    ):
        # Alice's subscriptions, all on A, opened before the block.
        for ws, query in (
            (messages, NEW_MESSAGE),
            (activity, ACTIVITY),
            (presence, PRESENCE),
        ):
            await ws.init(alice.token)
            variables = {} if query is PRESENCE else {"channel": channel}
            await ws.subscribe("live", query, variables)
        # newMessage, chatActivity, and presence's two (her chats, and Bob).
        await held_open(a, on_a + 4)
        bobs_tab = await GraphQLWebSocket(b.ws_url).open()
        await bobs_tab.init(bob.token)
        online = (await presence.next_data("live"))["presence"]
        await data(b, TYPING, bob.token, channel=channel)
        typing = await next_typing(activity)

        # Bob blocks Alice, on the other process.
        blocked = await data(b, BLOCK, bob.token, user=alice.id)
        stopped = await next_typing(activity)
        hidden = (await presence.next_data("live"))["presence"]

        refusals = {
            "bob sends": await refusal(
                a, SEND, bob.token, channel=channel, message="hi"
            ),
            "alice sends": await refusal(
                b, SEND, alice.token, channel=channel, message="hi"
            ),
            "alice types": await refusal(a, TYPING, alice.token, channel=channel),
            "alice requests": await refusal(b, REQUEST, alice.token, to=bob.id),
        }
        # Bob read all when he blocked; markRead moves nothing now, and no
        # receipt reaches Alice. He may take back what he wrote: Pusher
        # carries none of it, and Alice's feeds hold it back.
        read = await data(a, MARK_READ, bob.token, channel=channel, seq=1)
        await data(a, DELETE, bob.token, id=regret["sendMessage"]["id"])
        auth_while = [
            await pusher_auth(a, alice.token, channel),
            await pusher_auth(b, bob.token, channel),
        ]
        users = {
            "alice": (await data(a, USERS, alice.token))["users"],
            "bob": (await data(b, USERS, bob.token))["users"],
        }
        history = (await data(b, HISTORY, alice.token, channel=channel))["messages"]
        # Bob's socket closes and opens again: Alice's presence feed takes
        # both changes and holds them back.
        await bobs_tab.socket.close()
        bobs_tab = await GraphQLWebSocket(b.ws_url).open()
        await bobs_tab.init(bob.token)
        await wait_for(a.http_url, HELD_BACK, lambda n: n >= held_back + 2)

        # Unblocked on the first process; each feed's next event is news.
        await data(a, UNBLOCK, bob.token, user=alice.id)
        shown = (await presence.next_data("live"))["presence"]
        await send(b, bob, channel, "after")
        after = (await messages.next_data("live"))["newMessage"]
        await data(a, TYPING, bob.token, channel=channel)
        typing_again = await next_typing(activity)
        auth_after = await pusher_auth(a, alice.token, channel)
        await bobs_tab.socket.close()

    assert (online["user"]["id"], online["online"]) == (bob.id, True)
    assert typing == {"__typename": "Typing", "user": {"id": bob.id}, "typing": True}
    assert blocked == {"blockUser": {"blockedByMe": True}}
    assert stopped == {
        "__typename": "Typing",
        "user": {"id": bob.id},
        "typing": False,
    }
    # As an ordinary logout would look.
    assert hidden["user"] == {"id": bob.id, "online": None}
    assert hidden["online"] is False
    assert hidden["lastSeenAt"] is not None
    assert read == {"markRead": {"lastReadSeq": 2}}
    assert refusals == {
        "bob sends": YOU_BLOCKED,
        "alice sends": NOT_A_MEMBER,
        "alice types": NOT_A_MEMBER,
        "alice requests": ("FORBIDDEN", "You cannot open a chat with this user."),
    }
    assert auth_while == [403, 403]
    assert users["alice"] == [{"id": bob.id, "online": None, "blockedByMe": False}]
    assert users["bob"] == [{"id": alice.id, "online": None, "blockedByMe": True}]
    assert history == [{"message": "before"}, {"message": ""}]
    assert (shown["user"], shown["online"]) == ({"id": bob.id, "online": True}, True)
    assert after == {"seq": 3, "message": "after"}
    assert typing_again["typing"] is True
    assert auth_after == 200
    # Pusher carried the messages accepted, and nothing of the block: not
    # the deletion made during it either.
    await fake.wait_for(lambda: len(fake.on(channel)) >= 3)
    assert [(event.name, event.data["message"]) for event in fake.on(channel)] == [
        ("new_message", "before"),
        ("new_message", "take back"),
        ("new_message", "after"),
    ]
