"""Delivery when events are lost: dropped buffers, broker gaps, lagging readers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from broadcaster import Event

from graph.platform.settings import Settings
from graph.realtime import GAP
from graph.services import open_services
from tests.support.api import MESSAGE_CHANGES, NEW_MESSAGE, Api
from tests.support.services import empty_tables

BUFFER = 8


@pytest.fixture
async def tight(settings: Settings) -> AsyncIterator[Api]:
    """The API with tiny subscription buffers and a low lag limit."""
    tight = settings.model_copy(
        update={"subscription_buffer": BUFFER, "subscription_max_lag": 100}
    )
    await empty_tables(tight.database_url)
    async with open_services(tight) as services:
        yield Api(services, tight)


def seqs(messages: list[dict[str, object]]) -> list[object]:
    return [message["seq"] for message in messages]


async def test_a_reader_that_stalls_catches_up_once_in_order(tight: Api) -> None:
    alice, bob, channel = await tight.pair()
    hub = tight.services.bus.hub
    variables = {"channel": channel}

    async with tight.subscribe(NEW_MESSAGE, variables, bob.token) as feed:
        feed.stop_reading()
        for n in range(1, 61):
            await tight.send(alice, channel, f"message {n}")
        buffered_while_stalled = hub.buffered_events()
        feed.read_again()
        received = await feed.messages(60)

    assert buffered_while_stalled <= BUFFER
    assert seqs(received) == list(range(1, 61))
    assert feed.pending() == 0
    stats = tight.services.bus.stats
    assert stats.buffers_dropped >= 1
    assert stats.caught_up >= 60 - BUFFER - 1


async def test_a_gap_from_the_broker_is_filled_from_the_database(api: Api) -> None:
    alice, bob, channel = await api.pair()
    hub = api.services.bus.hub

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.store_unpublished(alice, bob, "published while Redis was away")
        hub._dispatch(Event(channel=channel, message=GAP))  # type: ignore[arg-type]
        received = await feed.message()

    assert (received["seq"], received["message"]) == (
        1,
        "published while Redis was away",
    )


async def test_a_gap_with_nothing_missing_delivers_nothing_twice(api: Api) -> None:
    alice, bob, channel = await api.pair()
    hub = api.services.bus.hub

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.send(alice, channel, "one")
        assert (await feed.message())["seq"] == 1
        hub._dispatch(Event(channel=channel, message=GAP))  # type: ignore[arg-type]
        await api.send(alice, channel, "two")
        received = await feed.message()

    assert received["seq"] == 2
    assert feed.pending() == 0


async def test_a_reader_past_the_lag_limit_is_told_where_to_resume(
    tight: Api,
) -> None:
    alice, bob, channel = await tight.pair()
    variables = {"channel": channel}

    async with tight.subscribe(NEW_MESSAGE, variables, bob.token) as feed:
        feed.stop_reading()
        for n in range(1, 131):
            await tight.send(alice, channel, f"message {n}")
        feed.read_again()
        first = await feed.message()
        ended = await feed.next()

    assert first["seq"] == 1
    assert ended.errors is not None
    error = ended.errors[0]
    assert error.extensions == {"code": "SUBSCRIPTION_LAGGED", "afterSeq": 1}
    assert "subscribe again with afterSeq: 1" in error.message
    assert tight.services.bus.stats.lagged_out == 1

    resumed = {"channel": channel, "afterSeq": 1}
    async with tight.subscribe(NEW_MESSAGE, resumed, bob.token) as feed:
        rest = await feed.messages(129)
    assert seqs(rest) == list(range(2, 131))


async def test_readiness_fails_when_the_event_listener_has_died(api: Api) -> None:
    listener = api.services.bus.hub._listener_task
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)

    readiness = await api.services.health.readiness()

    assert (readiness.database, readiness.broadcast) == (True, False)


async def test_a_message_whose_publish_failed_still_reaches_the_subscriber(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The publishing side's connection fails while the subscriber's stays up:
    # no gap is signalled, and nothing else is sent in the chat afterwards.
    alice, bob, channel = await api.pair()
    backend = api.services.bus.hub.backend
    publish = backend.publish
    refused = asyncio.Event()

    async def refuse_once(channel: str, message: object) -> None:
        monkeypatch.setattr(backend, "publish", publish)
        refused.set()
        raise ConnectionError("the broker did not answer")

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.send(alice, channel, "one")
        assert (await feed.message())["seq"] == 1
        monkeypatch.setattr(backend, "publish", refuse_once)
        await api.send(alice, channel, "two")  # acknowledged, not published
        assert refused.is_set()
        received = await feed.message()

    assert (received["seq"], received["message"]) == (2, "two")
    assert feed.pending() == 0
    stats = api.services.bus.stats
    assert (stats.publish_failures, api.services.bus.redial.redialled) == (1, 1)


async def test_a_changes_reader_that_stalls_gets_each_final_state_once(
    tight: Api,
) -> None:
    alice, bob, channel = await tight.pair()
    sent = [await tight.send(alice, channel, f"message {n}") for n in range(5)]
    variables = {"channel": channel}

    async with tight.subscribe(MESSAGE_CHANGES, variables, bob.token) as feed:
        feed.stop_reading()
        for n in range(40):
            await tight.edit(alice, sent[n % 5]["id"], f"edit {n}")
        feed.read_again()
        # The first was in flight when it stalled; the rest come from the
        # database, each message once, as it now is.
        first = await feed.message()
        rest = await feed.messages(5)

    assert first["version"] == 6
    assert [m["version"] for m in rest] == list(range(41, 46))
    assert [m["message"] for m in rest] == [f"edit {n}" for n in range(35, 40)]
    assert feed.pending() == 0
    assert tight.services.bus.stats.buffers_dropped >= 1


async def test_a_changes_reader_past_the_lag_limit_is_told_its_version(
    tight: Api,
) -> None:
    alice, bob, channel = await tight.pair()
    sent = await tight.send(alice, channel, "react to me, over and over")
    variables = {"channel": channel}

    async with tight.subscribe(MESSAGE_CHANGES, variables, bob.token) as feed:
        feed.stop_reading()
        for n in range(130):
            await tight.react(bob, sent["id"], "👍", on=n % 2 == 0)
        feed.read_again()
        first = await feed.message()
        ended = await feed.next()

    assert first["version"] == 2
    assert ended.errors is not None
    error = ended.errors[0]
    assert error.extensions == {"code": "SUBSCRIPTION_LAGGED", "afterVersion": 2}
    assert "subscribe again with afterVersion: 2" in error.message

    resumed = {"channel": channel, "afterVersion": 2}
    async with tight.subscribe(MESSAGE_CHANGES, resumed, bob.token) as feed:
        (latest,) = await feed.messages(1)
    assert latest["version"] == 131
    assert latest["reactions"] == []
    assert feed.pending() == 0
