"""A subscriber's inbox: bounded, and a gap where events were dropped."""

from __future__ import annotations

import asyncio

import pytest
from broadcaster import Event

from graph.realtime.hub import GAP, Closed, Inbox
from graph.realtime.stats import DeliveryStats


def event(n: int) -> Event:
    return Event(channel="c", message=str(n))


async def drain(inbox: Inbox) -> list[object]:
    taken: list[object] = []
    while len(inbox) or inbox._gap:
        item = await inbox.get()
        taken.append(item if item is GAP else item.message)  # type: ignore[union-attr]
    return taken


async def test_events_come_out_in_order() -> None:
    inbox = Inbox(4, DeliveryStats())
    for n in range(3):
        inbox.put(event(n))

    assert await drain(inbox) == ["0", "1", "2"]


async def test_a_full_inbox_is_dropped_for_a_gap_then_fills_again() -> None:
    stats = DeliveryStats()
    inbox = Inbox(3, stats)
    for n in range(5):  # the fourth overflows: 0..2 are dropped
        inbox.put(event(n))

    assert len(inbox) <= 3
    assert await drain(inbox) == [GAP, "4"]
    assert (stats.buffers_dropped, stats.gaps) == (1, 1)


async def test_gaps_before_the_reader_comes_back_count_once() -> None:
    stats = DeliveryStats()
    inbox = Inbox(2, stats)
    for n in range(10):
        inbox.put(event(n))

    assert await drain(inbox) == [GAP, "9"]
    assert stats.buffers_dropped == 3  # at 2, 5 and 8
    assert stats.gaps == 1  # one catch-up covers them all


async def test_a_gap_published_by_the_backend_drops_what_is_buffered() -> None:
    inbox = Inbox(8, DeliveryStats())
    inbox.put(event(1))
    inbox.put(Event(channel="c", message=GAP))  # type: ignore[arg-type]
    inbox.put(event(2))

    assert await drain(inbox) == [GAP, "2"]


async def test_a_waiting_reader_wakes_for_a_put() -> None:
    inbox = Inbox(8, DeliveryStats())
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)  # let it wait
    inbox.put(event(7))

    assert (await asyncio.wait_for(reader, 1)) == event(7)


async def test_a_closed_inbox_ends_its_reader_after_what_it_holds() -> None:
    inbox = Inbox(8, DeliveryStats())
    inbox.put(event(1))
    inbox.close()

    assert await inbox.get() == event(1)
    with pytest.raises(Closed):
        await inbox.get()
