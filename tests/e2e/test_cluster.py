"""Several server processes on one PostgreSQL and one Redis behave as one server."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from tests.support.api import NEW_CHAT, NEW_MESSAGE
from tests.support.remote import open_chat, register, send, unique
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket


async def attach(ws: GraphQLWebSocket, channel: str) -> None:
    """Subscribe from seq 0 on a channel holding one message, and receive it.

    The live feed is attached before the replay is read, so once the stored
    message arrives, anything published later must arrive live.
    """
    await ws.subscribe("feed", NEW_MESSAGE, {"channel": channel, "afterSeq": 0})
    replayed = (await ws.next_data("feed"))["newMessage"]
    assert replayed["seq"] == 1


async def test_a_fresh_process_first_subscription_hears_the_first_event(
    cluster: tuple[Server, Server],
    cluster_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    a, _ = cluster
    alice, bob = await register(a, unique("alice")), await register(a, unique("bob"))
    channel = await open_chat(a, alice, bob)
    await send(a, alice, channel, "stored before the new process started")
    log = tmp_path_factory.mktemp("fresh") / "fresh.log"

    with Server(cluster_env, log) as fresh:
        async with GraphQLWebSocket(fresh.ws_url) as ws:
            await ws.init(bob.token)
            await attach(ws, channel)
            await send(a, alice, channel, "the first event after it subscribed")
            live = (await ws.next_data("feed"))["newMessage"]

    assert (live["seq"], live["message"]) == (2, "the first event after it subscribed")


async def test_a_message_sent_through_one_process_reaches_the_other(
    cluster: tuple[Server, Server],
) -> None:
    a, b = cluster
    alice, bob = await register(a, unique("alice")), await register(b, unique("bob"))
    channel = await open_chat(a, alice, bob)
    await send(a, alice, channel, "hello")

    async with GraphQLWebSocket(a.ws_url) as ws:
        await ws.init(bob.token)
        await attach(ws, channel)
        await send(b, alice, channel, "This is awful, I hate it.")
        live = (await ws.next_data("feed"))["newMessage"]

    assert live["seq"] == 2
    assert live["fromUser"]["id"] == alice.id
    assert live["sentiment"]["label"] == "NEGATIVE"
    assert live["sentiment"]["emoji"] == "\U0001f61f"


async def test_a_chat_opened_through_one_process_is_announced_on_the_other(
    cluster: tuple[Server, Server],
) -> None:
    a, b = cluster
    alice, bob = await register(a, unique("alice")), await register(a, unique("bob"))

    async with GraphQLWebSocket(a.ws_url) as ws:
        await ws.init(bob.token)
        await ws.subscribe("chats", NEW_CHAT)
        # newChat has no replay to show it is attached: request until one
        # arrives (each request announces again), within a deadline.
        async with asyncio.timeout(10):
            while True:
                channel = await open_chat(b, alice, bob)
                try:
                    chat = (await ws.next_data("chats", timeout=0.5))["newChat"]
                    break
                except TimeoutError:
                    continue

    assert chat["channelName"] == channel
    assert chat["fromUser"]["id"] == alice.id
    assert chat["toUser"]["id"] == bob.id


def test_no_process_logged_a_traceback(cluster: tuple[Server, Server]) -> None:
    for server in cluster:
        assert "Traceback" not in server.log()


async def test_subscriptions_completed_or_dropped_leave_no_redis_channel(
    cluster: tuple[Server, Server], cluster_env: dict[str, str]
) -> None:
    a, _ = cluster
    alice, bob = await register(a, unique("alice")), await register(a, unique("bob"))
    channel = await open_chat(a, alice, bob)
    redis = Redis.from_url(cluster_env["BROADCAST_URL"])
    wire_channel = cluster_env["BROADCAST_PREFIX"] + channel

    for round_ in range(40):
        async with GraphQLWebSocket(a.ws_url) as ws:
            await ws.init(bob.token)
            await ws.subscribe("1", NEW_MESSAGE, {"channel": channel})
            if round_ % 2:  # complete it, else just drop the socket
                await ws.send({"id": "1", "type": "complete"})

    async with asyncio.timeout(10):
        while (await redis.pubsub_numsub(wire_channel))[0][1]:
            await asyncio.sleep(0.02)
    await redis.aclose()
    await send(a, alice, channel, "after every subscriber left")
    assert "Traceback" not in a.log()
