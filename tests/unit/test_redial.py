"""Redial: a channel's newest unpublished event is published again until it goes."""

from __future__ import annotations

import asyncio

import pytest

from graph.realtime.redial import Redial


class Broker:
    """Refuses the first `failures` publishes, then records what it is given."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts = 0
        self.published: list[tuple[str, str]] = []
        self.changed = asyncio.Condition()

    async def publish(self, channel: str, payload: str) -> None:
        async with self.changed:
            self.attempts += 1
            self.changed.notify_all()
            if self.attempts <= self.failures:
                raise ConnectionError("refused")
            self.published.append((channel, payload))

    async def until(self, attempts: int) -> None:
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: self.attempts >= attempts)


def redial(broker: Broker, capacity: int = 100) -> Redial:
    return Redial(broker.publish, capacity=capacity, first_delay=0.001, max_delay=0.01)


async def test_an_owed_event_is_published_once_the_broker_takes_it() -> None:
    broker = Broker(failures=3)
    owed = redial(broker)
    owed.owe("private-chat_1_2", "seq 7")

    await broker.until(4)
    await owed.close()

    assert broker.published == [("private-chat_1_2", "seq 7")]
    assert (len(owed), owed.redialled) == (0, 1)


async def test_only_the_newest_event_of_a_channel_is_owed() -> None:
    broker = Broker()
    owed = redial(broker)
    owed.owe("private-chat_1_2", "seq 7")
    owed.owe("private-chat_1_2", "seq 8")
    owed.owe("private-chat_1_3", "seq 2")

    await broker.until(2)
    await owed.close()

    assert sorted(broker.published) == [
        ("private-chat_1_2", "seq 8"),
        ("private-chat_1_3", "seq 2"),
    ]


async def test_a_newer_event_that_got_through_settles_the_debt() -> None:
    broker = Broker()
    owed = redial(broker)
    owed.owe("private-chat_1_2", "seq 7")
    owed.settle("private-chat_1_2")
    owed.owe("private-chat_1_3", "seq 2")

    await broker.until(1)
    await owed.close()

    assert broker.published == [("private-chat_1_3", "seq 2")]


async def test_past_its_capacity_the_oldest_debt_is_forgotten(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = Broker()
    owed = redial(broker, capacity=2)
    for n in range(3):
        owed.owe(f"private-chat_1_{n + 2}", f"seq {n}")

    await broker.until(2)
    await owed.close()

    assert sorted(broker.published) == [
        ("private-chat_1_3", "seq 1"),
        ("private-chat_1_4", "seq 2"),
    ]
    assert owed.forgotten == 1
    assert "private-chat_1_2 forgotten" in caplog.text


async def test_closing_stops_the_retries() -> None:
    broker = Broker(failures=10**9)
    owed = redial(broker)
    owed.owe("private-chat_1_2", "seq 7")
    await broker.until(1)

    await owed.close()
    attempts = broker.attempts

    assert len(owed) == 1
    await asyncio.sleep(0)  # a task left running would try again here
    assert broker.attempts == attempts
