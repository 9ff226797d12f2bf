"""The loop behind `newMessage` and `messageChanges`: live, with the database
filling whatever the live feed missed.

Each event has a position that numbers its chat's events 1, 2, 3 ... in
commit order with no gaps (a message's `seq`, or a change's `version`). The
feed is attached before the database is read, so nothing committed in
between is missed. A live event at the next position is yielded as it is;
one that skips ahead, a `GAP` (a dropped buffer, a lost Redis connection) or
an event whose position is unknown (0: from a process older than it) is
followed by a read of the database from the last position yielded, which
holds the missed events too. Positions at or below the last are dropped, so
none is yielded twice.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from graph.domain.records import MessageRecord
from graph.realtime import DeliveryStats, Gap

Position = Callable[[MessageRecord], int]
StoredAfter = Callable[[int], AsyncIterator[MessageRecord]]


async def follow(
    feed: AsyncIterator[MessageRecord | Gap],
    last: int,
    *,
    position: Position,
    stored_after: StoredAfter,
    check_lag: Callable[[int], Awaitable[None]],
    stats: DeliveryStats,
) -> AsyncGenerator[MessageRecord, None]:
    """Stored events after `last`, then live ones, each position once, in order.

    `check_lag(last)` runs at each `GAP`, and ends the stream by raising
    when the subscriber has fallen too far behind.
    """
    async for stored in stored_after(last):
        yield stored
        last = position(stored)
    async for live in feed:
        if isinstance(live, Gap):
            await check_lag(last)
        else:
            at = position(live)
            if 0 < at <= last:
                continue  # delivered already, from the database
            if at == last + 1:
                stats.delivered_live += 1
                yield live
                last = at
                continue
        async for stored in stored_after(last):
            yield stored
            last = position(stored)
