"""Read state, typing and presence on two processes sharing PostgreSQL and Redis."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from tests.support.figures import record
from tests.support.metrics import scrape, wait_for
from tests.support.remote import chat_pair, graphql, register, send, unique
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket

SUBSCRIPTIONS = "sentichat_subscriptions"
TYPING_TTL = 1.0
PRESENCE_TTL = 3.0
ACTIVITY = """
subscription Activity($channel: String!) {
  chatActivity(channel: $channel) {
    __typename
    ... on ReadReceipt { user { id } seq }
    ... on Typing { user { id } typing }
  }
}"""
PRESENCE = "subscription { presence { user { id } online lastSeenAt } }"
SET_TYPING = """
mutation T($channel: String!, $typing: Boolean!) {
  setTyping(channel: $channel, typing: $typing)
}"""
MARK_READ = """
mutation R($channel: String!, $seq: Int!) {
  markRead(channel: $channel, seq: $seq) { unreadCount lastReadSeq }
}"""
CHATS = "query { chats { channelName unreadCount peerLastReadSeq } unreadTotal }"
USERS = "query { users { id online } }"
PEER_ONLINE = "query { chats { fromUser { id online lastSeenAt } } }"


def quick_env(cluster_env: dict[str, str]) -> dict[str, str]:
    """Typing and presence that lapse in seconds, so tests see them end."""
    return {
        **cluster_env,
        "TYPING_TTL_SECONDS": str(TYPING_TTL),
        "PRESENCE_TTL_SECONDS": str(PRESENCE_TTL),
    }


@pytest.fixture(scope="module")
def quick_cluster(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    logs = tmp_path_factory.mktemp("activity")
    env = quick_env(cluster_env)
    with Server(env, logs / "a.log") as a, Server(env, logs / "b.log") as b:
        yield a, b


async def data(server: Server, query: str, token: str, **variables: Any) -> Any:
    body = await graphql(server, query, variables, token)
    assert "errors" not in body, body
    return body["data"]


async def listen(
    ws: GraphQLWebSocket, token: str, query: str, **variables: Any
) -> None:
    await ws.init(token)
    await ws.subscribe("live", query, variables)


async def subscriptions(server: Server) -> float:
    """The event-bus subscriptions the process holds, as /metrics reports them
    (one is counted once the broker has confirmed it)."""
    return (await scrape(server.http_url))[SUBSCRIPTIONS]


async def until_subscribed(server: Server, at_least: float) -> None:
    await wait_for(server.http_url, SUBSCRIPTIONS, lambda held: held >= at_least)


async def test_unread_counts_agree_on_both_processes(
    quick_cluster: tuple[Server, Server],
) -> None:
    a, b = quick_cluster
    alice, bob, channel = await chat_pair(a)
    for n in range(8):
        await send(a if n % 2 else b, alice, channel, f"message {n}")

    on_b = await data(b, CHATS, bob.token)
    read = await data(b, MARK_READ, bob.token, channel=channel, seq=8)
    on_a = await data(a, CHATS, bob.token)
    seen = await data(a, CHATS, alice.token)

    assert on_b["chats"][0]["unreadCount"] == on_b["unreadTotal"] == 8
    assert read["markRead"] == {"unreadCount": 0, "lastReadSeq": 8}
    assert on_a["chats"][0]["unreadCount"] == on_a["unreadTotal"] == 0
    assert seen["chats"][0]["peerLastReadSeq"] == 8


async def test_a_read_receipt_keeps_two_tabs_on_two_processes_in_step(
    quick_cluster: tuple[Server, Server],
) -> None:
    a, b = quick_cluster
    alice, bob, channel = await chat_pair(a)
    for n in range(3):
        await send(a, alice, channel, f"message {n}")

    async with (
        GraphQLWebSocket(a.ws_url) as bobs_tab_on_a,
        GraphQLWebSocket(b.ws_url) as bobs_tab_on_b,
        GraphQLWebSocket(b.ws_url) as alices_tab,
    ):
        on_a, on_b = await subscriptions(a), await subscriptions(b)
        tabs = ((bobs_tab_on_a, bob), (bobs_tab_on_b, bob), (alices_tab, alice))
        for ws, who in tabs:
            await listen(ws, who.token, ACTIVITY, channel=channel)
        await until_subscribed(a, on_a + 1)
        await until_subscribed(b, on_b + 2)
        await data(a, MARK_READ, bob.token, channel=channel, seq=3)

        receipts = [
            (await ws.next_data("live", timeout=10))["chatActivity"]
            for ws in (bobs_tab_on_a, bobs_tab_on_b, alices_tab)
        ]

    expected = {"__typename": "ReadReceipt", "user": {"id": bob.id}, "seq": 3}
    assert receipts == [expected] * 3


async def test_typing_crosses_processes_and_ends_by_itself(
    quick_cluster: tuple[Server, Server],
) -> None:
    a, b = quick_cluster
    alice, bob, channel = await chat_pair(a)

    async with GraphQLWebSocket(a.ws_url) as bobs:
        await listen(bobs, bob.token, ACTIVITY, channel=channel)
        started_at = time.monotonic()
        # Retried until the subscription on A is attached and hears it.
        while True:
            await data(b, SET_TYPING, alice.token, channel=channel, typing=True)
            try:
                started = (await bobs.next_data("live", timeout=0.5))["chatActivity"]
                break
            except TimeoutError:
                assert time.monotonic() - started_at < 10, "typing never arrived"
        stopped = (await bobs.next_data("live", timeout=TYPING_TTL * 5))["chatActivity"]
        lapsed_after = time.monotonic() - started_at

    assert started == {"__typename": "Typing", "user": {"id": alice.id}, "typing": True}
    assert stopped == {
        "__typename": "Typing",
        "user": {"id": alice.id},
        "typing": False,
    }
    record("typing", lapsed_after_seconds=round(lapsed_after, 2), ttl=TYPING_TTL)


async def test_presence_follows_the_last_socket_across_processes(
    quick_cluster: tuple[Server, Server],
) -> None:
    a, b = quick_cluster
    alice, bob, _ = await chat_pair(a)
    stranger = await register(a, unique("eve"))

    async def alice_as_seen_by(viewer_token: str) -> dict[str, Any]:
        chats = (await data(b, PEER_ONLINE, viewer_token))["chats"]
        return dict(chats[0]["fromUser"]) if chats else {}

    async with GraphQLWebSocket(b.ws_url) as bobs:
        before = await subscriptions(b)
        await listen(bobs, bob.token, PRESENCE)
        await until_subscribed(b, before + 2)  # bob's chats, and alice
        async with (
            GraphQLWebSocket(a.ws_url) as first_tab,
            GraphQLWebSocket(b.ws_url) as second_tab,
        ):
            await first_tab.init(alice.token)
            online = (await bobs.next_data("live"))["presence"]
            await second_tab.init(alice.token)
            await first_tab.socket.close()
            both_seen = await alice_as_seen_by(bob.token)
            await second_tab.socket.close()
            offline = (await bobs.next_data("live"))["presence"]
        users = (await data(b, "query { users { id online } }", stranger.token))[
            "users"
        ]

    assert (online["user"]["id"], online["online"]) == (alice.id, True)
    assert both_seen["online"] is True
    assert (offline["user"]["id"], offline["online"]) == (alice.id, False)
    assert offline["lastSeenAt"] is not None
    assert (await alice_as_seen_by(bob.token))["online"] is False
    assert {user["id"]: user["online"] for user in users}[alice.id] is None


async def test_a_killed_processs_users_go_offline_within_the_presence_ttl(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With the default PRESENCE_TTL_SECONDS (25): about 30 s at most."""
    logs = tmp_path_factory.mktemp("presence-kill")
    with (
        Server(cluster_env, logs / "survivor.log") as survivor,
        Server(cluster_env, logs / "victim.log") as victim,
    ):
        alice, bob, _ = await chat_pair(survivor)
        async with GraphQLWebSocket(survivor.ws_url) as bobs:
            before = await subscriptions(survivor)
            await listen(bobs, bob.token, PRESENCE)
            await until_subscribed(survivor, before + 2)  # bob's chats, and alice
            alices = await GraphQLWebSocket(victim.ws_url).open()
            await alices.init(alice.token)
            online = (await bobs.next_data("live"))["presence"]

            victim.kill()
            killed = time.monotonic()
            offline = (await bobs.next_data("live", timeout=40))["presence"]
            took = time.monotonic() - killed

    assert (online["user"]["id"], online["online"]) == (alice.id, True)
    assert (offline["user"]["id"], offline["online"]) == (alice.id, False)
    assert took <= 31, f"offline only {took:.1f} s after the kill"
    record("presence_after_kill", offline_after_seconds=round(took, 1), ttl=25)


async def test_a_token_of_a_deleted_account_is_refused_at_connection_init(
    quick_cluster: tuple[Server, Server], cluster_env: dict[str, str]
) -> None:
    a, _ = quick_cluster
    ghost = await register(a, unique("ghost"))
    url = cluster_env["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "DELETE FROM user_account WHERE id = $1", int(ghost.id)
        )
    finally:
        await connection.close()

    async with GraphQLWebSocket(a.ws_url) as ws:
        await ws.send(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {ghost.token}"},
            }
        )
        code = await ws.closed_with()

    assert code == 4403


MOOD_CHANGED = """
subscription Mood($channel: String!) {
  chatActivity(channel: $channel) {
    __typename
    ... on MoodChanged { channel mood { label score } }
  }
}"""
MOOD = "query { chats { channelName mood { label score } } }"
WARM = ["I love this, it is wonderful!", "Thank you so much, that is lovely."]
COLD = ["This is terrible and I hate it.", "Awful. I hate everything about this."]


async def test_mood_changed_reaches_each_member_once_per_label_across_processes(
    quick_cluster: tuple[Server, Server],
) -> None:
    a, b = quick_cluster
    alice, bob, channel = await chat_pair(a)
    texts = WARM * 2 + COLD * 4 + WARM * 4
    async with (
        GraphQLWebSocket(a.ws_url) as bobs,
        GraphQLWebSocket(b.ws_url) as alices,
    ):
        on_a, on_b = await subscriptions(a), await subscriptions(b)
        await listen(bobs, bob.token, MOOD_CHANGED, channel=channel)
        await listen(alices, alice.token, MOOD_CHANGED, channel=channel)
        await until_subscribed(a, on_a + 1)
        await until_subscribed(b, on_b + 1)
        labels = ["NEUTRAL"]
        for n, text in enumerate(texts):
            # Each member writes from the other process than they listen on.
            await send(b if n % 2 else a, bob if n % 2 else alice, channel, text)
            mood = (await data(a, MOOD, bob.token))["chats"][0]["mood"]
            labels.append(mood["label"])
        changes = [
            after for before, after in itertools.pairwise(labels) if after != before
        ]
        assert len(changes) >= 2, labels

        for ws in (bobs, alices):
            heard = [
                (await ws.next_data("live", timeout=10))["chatActivity"]
                for _ in changes
            ]
            assert [event["mood"]["label"] for event in heard] == changes
            assert {event["__typename"] for event in heard} == {"MoodChanged"}
        # One more change: the next event on each is it, so none came twice.
        turn = COLD[0] if changes[-1] != "NEGATIVE" else WARM[0]
        while (await data(a, MOOD, bob.token))["chats"][0]["mood"]["label"] == labels[
            -1
        ]:
            await send(b, alice, channel, turn)
        final = (await data(b, MOOD, alice.token))["chats"][0]["mood"]["label"]
        for ws in (bobs, alices):
            event = (await ws.next_data("live", timeout=10))["chatActivity"]
            assert event["mood"]["label"] == final


NEW_MESSAGE = """
subscription Live($channel: String!) {
  newMessage(channel: $channel) { seq fromUser { id } sentiment { label } }
}"""
SHARE = "mutation S($share: Boolean!) { setShareSentiment(share: $share) { id } }"
HISTORY = """
query H($channel: String!) { messages(channel: $channel) { seq sentiment { label } } }
"""


async def test_private_sentiment_stays_private_on_the_other_process(
    quick_cluster: tuple[Server, Server],
) -> None:
    a, b = quick_cluster
    alice, bob, channel = await chat_pair(a)
    await data(b, SHARE, alice.token, share=False)

    async with GraphQLWebSocket(a.ws_url) as bobs:
        before = await subscriptions(a)
        await listen(bobs, bob.token, NEW_MESSAGE, channel=channel)
        await until_subscribed(a, before + 1)
        await send(b, alice, channel, WARM[0])
        live = (await bobs.next_data("live", timeout=10))["newMessage"]

    assert live == {"seq": 1, "fromUser": {"id": alice.id}, "sentiment": None}
    on_a = await data(a, HISTORY, bob.token, channel=channel)
    assert on_a["messages"] == [{"seq": 1, "sentiment": None}]
    own = await data(a, HISTORY, alice.token, channel=channel)
    assert own["messages"] == [{"seq": 1, "sentiment": {"label": "POSITIVE"}}]
