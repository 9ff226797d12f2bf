"""Doorbells a failed publish still owes: rung again until one gets through.

A message is committed before it is published, and a failed publish never
fails the send. A live subscriber that missed the event catches up from the
database by `seq`, but only once something tells it to look: the next event
of its chat, or a `GAP`. When the publishing side's connection fails while
the subscribers' stays up, no `GAP` comes, and a chat that goes quiet after
the failure would leave them waiting for good.

So each chat channel whose publish failed keeps its newest event here, and
one task publishes it again with backoff until Redis takes it. A later event
of the same channel that is published settles the debt (subscribers fill the
seqs between from the database); an event published twice is harmless, as a
subscription drops a `seq` it has already yielded. The debts are bounded: past
`capacity` channels the oldest is forgotten, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from graph.platform.logs import describe

logger = logging.getLogger(__name__)

Publish = Callable[[str, str], Awaitable[None]]

FIRST_DELAY_SECONDS = 0.2
MAX_DELAY_SECONDS = 5.0
DEFAULT_CAPACITY = 10_000


class Redial:
    """The newest undelivered event of each channel, and the task that resends."""

    def __init__(
        self,
        publish: Publish,
        *,
        capacity: int = DEFAULT_CAPACITY,
        first_delay: float = FIRST_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
    ) -> None:
        self._publish = publish
        self._capacity = capacity
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._owed: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None
        self.redialled = 0  # owed events published at last
        self.forgotten = 0  # owed events dropped past the capacity

    def __len__(self) -> int:
        return len(self._owed)

    def owe(self, channel: str, payload: str) -> None:
        """Remember `payload` as `channel`'s newest event nobody heard."""
        self._owed.pop(channel, None)  # to the end: the newest debt
        if len(self._owed) >= self._capacity:
            forgotten = next(iter(self._owed))
            del self._owed[forgotten]
            self.forgotten += 1
            logger.warning("too many undelivered channels: %s forgotten", forgotten)
        self._owed[channel] = payload
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="event-bus-redial")

    def settle(self, channel: str) -> None:
        """A newer event of `channel` got through: nothing is owed there."""
        self._owed.pop(channel, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = self._first_delay
        while self._owed:
            await asyncio.sleep(delay)
            if await self._ring_all():
                delay = self._first_delay
            else:
                delay = min(delay * 2, self._max_delay)

    async def _ring_all(self) -> bool:
        """Publish each debt once; False at the first that fails again."""
        for channel, payload in list(self._owed.items()):
            try:
                await self._publish(channel, payload)
            except Exception as exc:  # noqa: BLE001 -- retried; never raised
                logger.info("publish to %s still failing: %s", channel, describe(exc))
                return False
            if self._owed.get(channel) is payload:
                del self._owed[channel]
            self.redialled += 1
        return True
