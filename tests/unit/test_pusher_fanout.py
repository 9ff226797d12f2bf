"""The Pusher queue against a local Pusher: batches, order, retries, drops.

Nothing here waits a fixed time: each test waits, with a deadline, for the
events or answers the fake Pusher records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest

from graph.realtime.pusher import Backoff, PusherClient, PusherEvent, PusherFanout
from tests.support.fake_pusher import FakePusher
from tests.support.waiting import wait_until

QUICK = Backoff(base=0.01, cap=0.05)
CHANNEL = "private-chat_1_2"


def event(seq: int, channel: str = CHANNEL) -> PusherEvent:
    return PusherEvent(channel, "new_message", orjson.dumps({"seq": seq}).decode())


@asynccontextmanager
async def running(fake: FakePusher, **options: Any) -> AsyncIterator[PusherFanout]:
    fanout = PusherFanout(PusherClient(fake.config()), backoff=QUICK, **options)
    await fanout.start()
    try:
        yield fanout
    finally:
        await fanout.stop(drain_seconds=5)


def seqs(fake: FakePusher, channel: str = CHANNEL) -> list[int]:
    return [event.data["seq"] for event in fake.on(channel)]


async def test_waiting_events_go_in_batches_of_at_most_ten(
    fake_pusher: FakePusher,
) -> None:
    fanout = PusherFanout(PusherClient(fake_pusher.config()), workers=1)
    for seq in range(1, 26):
        assert fanout.offer(event(seq))
    await fanout.start()
    await fake_pusher.wait_for_events(25)
    await fanout.stop()

    assert [len(answer.carried) for answer in fake_pusher.answered] == [10, 10, 5]
    assert all(a.path == "/apps/4242/batch_events" for a in fake_pusher.answered)
    assert seqs(fake_pusher) == list(range(1, 26))
    assert (fanout.stats.sent, fanout.stats.requests, fanout.pending) == (25, 3, 0)


async def test_a_single_event_is_sent_at_once(fake_pusher: FakePusher) -> None:
    async with running(fake_pusher) as fanout:
        fanout.offer(event(1))
        events = await fake_pusher.wait_for_events(1)

    assert [(e.channel, e.name, e.data) for e in events] == [
        (CHANNEL, "new_message", {"seq": 1})
    ]


async def test_each_channel_keeps_its_order_through_failures_and_retries(
    fake_pusher: FakePusher,
) -> None:
    channels = [f"private-chat_{n}_{n + 1}" for n in range(1, 21)]
    async with running(fake_pusher, workers=4, max_attempts=10) as fanout:
        for seq in range(1, 16):
            if seq in (3, 9):
                fake_pusher.answer_next(503, times=2)
                fake_pusher.answer_next(429, times=1)
            requests = fanout.stats.requests
            for channel in channels:
                fanout.offer(event(seq, channel))
            # Offer the next round while this one is in flight or retrying.
            await wait_until(lambda: fanout.stats.requests > requests)  # noqa: B023
        await fake_pusher.wait_for_events(len(channels) * 15)

    for channel in channels:
        assert seqs(fake_pusher, channel) == list(range(1, 16)), channel
    assert fanout.stats.retries == 6
    assert not fanout.stats.dropped


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_a_batch_answered_429_or_5xx_is_sent_again(
    fake_pusher: FakePusher, status: int
) -> None:
    fake_pusher.answer_next(status, times=2)
    async with running(fake_pusher) as fanout:
        fanout.offer(event(1))
        await fake_pusher.wait_for_events(1)

    answers = fake_pusher.answered
    assert [answer.status for answer in answers] == [status, status, 200]
    assert answers[0].carried == answers[2].carried
    assert seqs(fake_pusher) == [1]
    assert fanout.stats.retries == 2


def test_backoff_doubles_to_its_cap_and_honours_a_longer_retry_after() -> None:
    backoff = Backoff(base=0.5, cap=4.0, max_retry_after=30.0)

    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        assert ceiling / 2 <= backoff.delay(attempt) <= ceiling
    assert backoff.delay(1, retry_after=7.0) == 7.0
    assert backoff.delay(1, retry_after=3600.0) == 30.0


async def test_a_batch_is_dropped_after_the_last_attempt_and_logged(
    fake_pusher: FakePusher, caplog: pytest.LogCaptureFixture
) -> None:
    fake_pusher.answer_next(503, times=3)
    async with running(fake_pusher, max_attempts=3) as fanout:
        fanout.offer(event(1))
        await wait_until(lambda: fanout.stats.dropped["gave_up"] == 1)
        fanout.offer(event(2))
        await fake_pusher.wait_for_events(1)

    assert [answer.status for answer in fake_pusher.answered] == [503, 503, 503, 200]
    assert seqs(fake_pusher) == [2]
    assert (
        "dropped Pusher events: 1 not taken after the last attempt "
        "(3 attempts, last: HTTP 503" in caplog.text
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
async def test_a_refused_batch_is_dropped_without_retrying(
    fake_pusher: FakePusher, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    fake_pusher.answer_next(status)
    async with running(fake_pusher) as fanout:
        fanout.offer(event(1))
        await wait_until(lambda: fanout.stats.dropped["rejected"] == 1)

    assert [answer.status for answer in fake_pusher.answered] == [status]
    assert f"dropped Pusher events: 1 refused by Pusher (HTTP {status}" in caplog.text
    hint = "check PUSHER_KEY, PUSHER_SECRET and the clock"
    assert (hint in caplog.text) is (status == 401)


async def test_events_wait_out_a_pusher_that_does_not_answer(
    fake_pusher: FakePusher,
) -> None:
    await fake_pusher.stop()
    backoff = Backoff(base=0.05, cap=0.1)
    fanout = PusherFanout(
        PusherClient(fake_pusher.config()), backoff=backoff, max_attempts=100
    )
    await fanout.start()
    fanout.offer(event(1))
    await wait_until(lambda: fanout.stats.requests >= 2)  # refused, retried
    await fake_pusher.start()
    await fake_pusher.wait_for_events(1)
    await fanout.stop()

    assert seqs(fake_pusher) == [1]
    assert fanout.stats.retries >= 1


async def test_a_full_queue_drops_new_events_at_once_and_says_so(
    fake_pusher: FakePusher, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(fake_pusher, workers=2, capacity=5) as fanout:
        with fake_pusher.holding():
            fanout.offer(event(1))
            await fake_pusher.wait_for(lambda: fake_pusher.in_flight == 1)
            # The limit is for all channels together, whatever their queue.
            accepted = [
                fanout.offer(event(seq, f"private-chat_1_{seq + 1}"))
                for seq in range(2, 10)
            ]
        await fake_pusher.wait_for_events(5)

    assert accepted == [True] * 4 + [False] * 4
    assert fanout.stats.dropped["queue_full"] == 4
    assert sorted(e.data["seq"] for e in fake_pusher.events) == [1, 2, 3, 4, 5]
    # The first drop is logged at once, the rest summed when the fan-out stops.
    assert "dropped Pusher events: 1 found the queue full" in caplog.text
    assert "dropped Pusher events: 3 found the queue full" in caplog.text


async def test_stopping_sends_what_is_queued(fake_pusher: FakePusher) -> None:
    fanout = PusherFanout(PusherClient(fake_pusher.config()))
    await fanout.start()
    for seq in range(1, 31):
        fanout.offer(event(seq))
    await fanout.stop(drain_seconds=10)

    assert seqs(fake_pusher) == list(range(1, 31))
    assert fanout.pending == 0


async def test_stopping_drops_what_pusher_does_not_take_in_time(
    fake_pusher: FakePusher, caplog: pytest.LogCaptureFixture
) -> None:
    fanout = PusherFanout(PusherClient(fake_pusher.config()), workers=1)
    await fanout.start()
    with fake_pusher.holding():
        fanout.offer(event(1))
        await fake_pusher.wait_for(lambda: fake_pusher.in_flight == 1)
        fanout.offer(event(2))
        await fanout.stop(drain_seconds=0.1)
        after_stop = fanout.offer(event(3))
        await fanout.stop()  # a second stop changes nothing

    assert after_stop is False
    assert fanout.stats.dropped["shutdown"] == 3
    assert fanout.pending == 0
    logged = [
        r.getMessage() for r in caplog.records if "unsent at shutdown" in r.getMessage()
    ]
    assert logged == [
        "dropped Pusher events: 1 unsent at shutdown",
        "dropped Pusher events: 1 unsent at shutdown",
        "dropped Pusher events: 1 unsent at shutdown",
    ]


async def test_a_slot_holds_back_its_channel_until_filled_or_voided(
    fake_pusher: FakePusher,
) -> None:
    async with running(fake_pusher, workers=1) as fanout:
        first, second, third = (fanout.reserve(CHANNEL) for _ in range(3))
        third.fill(event(3))
        second.void()  # as when a transaction rolls back
        assert fake_pusher.answered == []
        first.fill(event(1))
        await fake_pusher.wait_for_events(2)

    assert seqs(fake_pusher) == [1, 3]
    assert (fanout.stats.sent, fanout.pending) == (2, 0)
