from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event

from graph.platform.settings import Settings
from graph.services import Services, open_services
from tests.support.api import NEW_MESSAGE, Api
from tests.support.waiting import wait_until

HAPPY = "What a wonderful day, I love it!"


async def test_a_member_receives_a_live_message_with_its_sentiment(api: Api) -> None:
    alice, bob, channel = await api.pair()

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        sent = await api.send(alice, channel, HAPPY)
        received = await feed.message()

    assert received == sent
    assert received["sentiment"]["label"] == "POSITIVE"


async def test_both_members_receive_each_message_once(api: Api) -> None:
    alice, bob, channel = await api.pair()
    variables = {"channel": channel}

    async with (
        api.subscribe(NEW_MESSAGE, variables, alice.token) as alices,
        api.subscribe(NEW_MESSAGE, variables, bob.token) as bobs,
    ):
        await api.send(alice, channel, "one")
        await api.send(bob, channel, "two")
        for feed in (alices, bobs):
            assert [m["message"] for m in await feed.messages(2)] == ["one", "two"]
            assert feed.pending() == 0


async def test_without_after_seq_the_feed_is_live_only(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, "before")

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.send(alice, channel, "after")
        received = await feed.message()

    assert (received["seq"], received["message"]) == (2, "after")


async def test_after_seq_zero_replays_the_whole_channel_then_goes_live(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    for n in range(1, 4):
        await api.send(alice, channel, f"stored {n}")

    variables = {"channel": channel, "afterSeq": 0}
    async with api.subscribe(NEW_MESSAGE, variables, bob.token) as feed:
        replayed = await feed.messages(3)
        await api.send(bob, channel, "live")
        live = await feed.message()

    assert [m["seq"] for m in replayed] == [1, 2, 3]
    assert (live["seq"], live["message"]) == (4, "live")


async def test_after_seq_replays_only_what_came_after_it(api: Api) -> None:
    alice, bob, channel = await api.pair()
    for n in range(1, 6):
        await api.send(alice, channel, f"m{n}")

    variables = {"channel": channel, "afterSeq": 3}
    async with api.subscribe(NEW_MESSAGE, variables, bob.token) as feed:
        replayed = await feed.messages(2)

    assert [m["seq"] for m in replayed] == [4, 5]


async def test_messages_sent_during_catch_up_arrive_once_in_order(api: Api) -> None:
    alice, bob, channel = await api.pair()
    for n in range(1, 11):
        await api.send(alice, channel, f"early {n}")

    variables = {"channel": channel, "afterSeq": 0}
    sending = asyncio.gather(
        *(api.send(alice, channel, f"late {n}") for n in range(30))
    )
    async with api.subscribe(NEW_MESSAGE, variables, bob.token) as feed:
        await sending
        received = await feed.messages(40, timeout=20)
        await api.send(alice, channel, "last")
        tail = await feed.message()

    assert [m["seq"] for m in received] == list(range(1, 41))
    assert tail["seq"] == 41


async def test_a_live_event_that_skips_ahead_is_preceded_by_the_gap(api: Api) -> None:
    alice, bob, channel = await api.pair()

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.send(alice, channel, "first")
        assert (await feed.message())["seq"] == 1
        await api.store_unpublished(alice, bob, "unannounced")
        await api.send(alice, channel, "third")
        rest = await feed.messages(2)

    assert [(m["seq"], m["message"]) for m in rest] == [
        (2, "unannounced"),
        (3, "third"),
    ]


async def test_a_non_member_cannot_subscribe(api: Api) -> None:
    _, _, channel = await api.pair()
    mallory = await api.register("mallory")

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, mallory.token) as feed:
        result = await feed.next()

    assert result.errors is not None
    assert (result.errors[0].extensions or {})["code"] == "FORBIDDEN"
    assert api.services.bus.hub.subscriber_count() == 0


async def test_a_subscription_without_a_token_is_unauthenticated(api: Api) -> None:
    _, _, channel = await api.pair()

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, "not-a-token") as feed:
        result = await feed.next()

    assert result.errors is not None
    assert (result.errors[0].extensions or {})["code"] == "UNAUTHENTICATED"


async def test_a_finished_subscription_leaves_no_subscriber_behind(api: Api) -> None:
    alice, bob, channel = await api.pair()
    hub = api.services.bus.hub

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.send(alice, channel, "hello")
        await feed.message()
        assert hub.subscriber_count() == 1

    assert (hub.subscriber_count(), hub.channel_count()) == (0, 0)


async def test_live_events_published_out_of_order_arrive_in_seq_order(api: Api) -> None:
    alice, bob, channel = await api.pair()
    bus = api.services.bus

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        first = await api.store_unpublished(alice, bob, "one")
        second = await api.store_unpublished(alice, bob, "two")
        await bus.publish_message(second)  # the later publish lands first
        await bus.publish_message(first)
        await api.send(alice, channel, "three")
        received = await feed.messages(3)

    assert [m["seq"] for m in received] == [1, 2, 3]
    assert feed.pending() == 0


async def test_after_seq_past_the_newest_message_is_bad_input(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, "only one")

    variables = {"channel": channel, "afterSeq": 5}
    async with api.subscribe(NEW_MESSAGE, variables, bob.token) as feed:
        result = await feed.next()

    assert result.errors is not None
    assert (result.errors[0].extensions or {})["code"] == "BAD_USER_INPUT"


async def test_a_repeated_client_id_publishes_no_second_event(api: Api) -> None:
    alice, bob, channel = await api.pair()

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        await api.send(alice, channel, "once", client_id="k1")
        await api.send(alice, channel, "once", client_id="k1")
        await api.send(alice, channel, "next")
        received = await feed.messages(2)

    assert [(m["seq"], m["message"]) for m in received] == [(1, "once"), (2, "next")]
    assert feed.pending() == 0


async def test_a_message_committed_while_a_live_feed_attaches_is_delivered(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, channel = await api.pair()
    bus = api.services.bus
    attach = bus.message_feed

    @asynccontextmanager
    async def attach_after_a_send(name: str) -> AsyncIterator[Any]:
        await api.send(alice, channel, "sent while attaching")
        async with attach(name) as feed:
            yield feed

    monkeypatch.setattr(bus, "message_feed", attach_after_a_send)
    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        received = await feed.message()

    assert (received["seq"], received["message"]) == (1, "sent while attaching")


async def test_a_burst_of_subscribes_is_served_and_shares_its_reads(
    services: Services, settings: Settings
) -> None:
    """A page of chats opening after a reconnect: hundreds of subscriptions at
    once. Each used to take a pooled connection for its membership check and
    another for its catch-up, and a burst waited on the pool until some were
    refused (SERVICE_UNAVAILABLE). Now every one starts and gets the next
    message, and their checks share a few reads."""
    burst = 600
    # A pool that gives up after half a second: a burst that queued on it
    # would be refused.
    hurried = settings.model_copy(update={"db_connect_timeout_seconds": 0.5})
    async with open_services(hurried) as hurried_services:
        api = Api(hurried_services, hurried)
        alice, bob, channel = await api.pair()
        hub = hurried_services.bus.hub
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(Engine, "before_cursor_execute", count)
        try:
            async with AsyncExitStack() as stack:
                feeds = await asyncio.gather(
                    *(
                        stack.enter_async_context(
                            api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token)
                        )
                        for _ in range(burst)
                    )
                )
                await wait_until(lambda: hub.subscriber_count() >= burst, 30)
                reads = len(statements)
                sent = await api.send(alice, channel, "after the burst")
                received = await asyncio.gather(*(feed.message(30) for feed in feeds))
        finally:
            event.remove(Engine, "before_cursor_execute", count)

    assert all(message == sent for message in received)
    # Two checks a subscription: 1,200 statements one by one, and one pooled
    # connection each. Read together, they are a fraction of that (about 100
    # here, as the subscribes arrive); at most half a statement a subscription.
    assert reads <= burst // 2, statements[:reads]
