"""Sentichat's Redis backend for broadcaster, against real redis-server processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from broadcaster import Event
from redis.asyncio import Redis

from graph.realtime.hub import GAP, Hub
from graph.realtime.redis_backend import RedisBackend
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def backend(redis_server: RedisServer) -> AsyncIterator[RedisBackend]:
    backend = RedisBackend(redis_server.url, timeout=1.0, health_interval=0.5)
    await backend.connect()
    await wait_until(lambda: backend.connected)
    yield backend
    await backend.disconnect()


async def next_event(backend: RedisBackend) -> Event:
    return await asyncio.wait_for(backend.next_published(), 5)


async def test_the_first_subscription_hears_the_first_publish(
    backend: RedisBackend,
) -> None:
    await backend.subscribe("chan")
    await backend.publish("chan", "first")

    assert await next_event(backend) == Event("chan", "first")


async def test_only_subscribed_channels_are_heard(backend: RedisBackend) -> None:
    await backend.subscribe("mine")
    await backend.publish("theirs", "not for me")
    await backend.publish("mine", "for me")

    assert await next_event(backend) == Event("mine", "for me")


async def test_an_unsubscribed_channel_falls_silent(backend: RedisBackend) -> None:
    await backend.subscribe("a")
    await backend.subscribe("b")
    await backend.unsubscribe("a")
    await backend.publish("a", "gone")
    await backend.publish("b", "here")

    assert await next_event(backend) == Event("b", "here")


async def test_channels_are_subscribed_again_after_redis_restarts(
    backend: RedisBackend, redis_server: RedisServer
) -> None:
    await backend.subscribe("chan")
    await backend.subscribe("other")
    redis_server.stop()
    await wait_until(lambda: not backend.connected, timeout=10)

    redis_server.start()
    # Each channel reports a gap once Redis confirms it again; whatever is
    # published after that is heard.
    gaps = [await next_event(backend), await next_event(backend)]
    publisher = Redis.from_url(redis_server.url)
    receivers = await publisher.publish("chan", "after the restart")
    await publisher.aclose()

    assert sorted((event.channel, event.message) for event in gaps) == [  # type: ignore[comparison-overlap]
        ("chan", GAP),
        ("other", GAP),
    ]
    assert receivers == 1
    assert await next_event(backend) == Event("chan", "after the restart")
    assert backend.reconnects == 1


async def test_a_subscription_made_while_redis_is_down_reports_a_gap_when_live(
    backend: RedisBackend, redis_server: RedisServer
) -> None:
    redis_server.stop()
    await wait_until(lambda: not backend.connected, timeout=10)

    await asyncio.wait_for(backend.subscribe("chan"), 1)  # pending, not failed
    redis_server.start()

    assert await next_event(backend) == Event("chan", GAP)  # type: ignore[arg-type]


async def test_a_prefix_keeps_deployments_apart(redis_server: RedisServer) -> None:
    ours = RedisBackend(redis_server.url, prefix="ours:")
    theirs = RedisBackend(redis_server.url, prefix="theirs:")
    await ours.connect()
    await theirs.connect()
    try:
        await wait_until(lambda: ours.connected and theirs.connected)
        await ours.subscribe("chan")
        await theirs.publish("chan", "wrong deployment")
        await ours.publish("chan", "right deployment")

        assert await next_event(ours) == Event("chan", "right deployment")
    finally:
        await ours.disconnect()
        await theirs.disconnect()


async def test_subscriptions_cancelled_at_any_point_leave_nothing_behind(
    redis_server: RedisServer,
) -> None:
    hub = Hub(RedisBackend(redis_server.url, timeout=2.0))
    await hub.connect()
    backend = hub.backend
    assert isinstance(backend, RedisBackend)
    await wait_until(lambda: backend.connected)
    held = asyncio.Event()

    async def subscriber(channel: str) -> None:
        async with hub.subscribe(channel):
            held.set()
            await asyncio.Event().wait()

    try:
        # Cancel after 0..7 loop turns: before, during and after SUBSCRIBE.
        for attempt in range(80):
            task = asyncio.create_task(subscriber(f"chan-{attempt % 5}"))
            for _ in range(attempt % 8):
                await asyncio.sleep(0)
            task.cancel()
            async with asyncio.timeout(5):  # a swallowed cancel would hang here
                await asyncio.gather(task, return_exceptions=True)
        # And once surely after SUBSCRIBE, however slow Redis answered above.
        task = asyncio.create_task(subscriber("chan-0"))
        async with asyncio.timeout(5):
            await held.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

        client = Redis.from_url(redis_server.url)
        channels = [f"chan-{n}" for n in range(5)]
        await wait_until(lambda: not backend._channels)
        async with asyncio.timeout(5):
            while any(count for _, count in await client.pubsub_numsub(*channels)):
                await asyncio.sleep(0.01)
        await client.aclose()
    finally:
        await hub.disconnect()

    assert (hub.subscriber_count(), hub.channel_count()) == (0, 0)


async def test_disconnecting_at_any_point_of_connecting_returns(
    redis_server: RedisServer,
) -> None:
    # redis-py may swallow a cancel that lands inside connect(); the reader
    # must stop anyway, or shutting down hangs.
    for attempt in range(40):
        backend = RedisBackend(redis_server.url, timeout=1.0)
        await backend.connect()
        for _ in range(attempt % 10):
            await asyncio.sleep(0)
        async with asyncio.timeout(5):
            await backend.disconnect()
        assert not backend.listening
