"""The background queue that carries events to Pusher, off the request path.

Pusher is a doorbell, like Redis: the database holds every message, and a
client that missed an event reads the chat by `seq`. So nothing here may slow
down or fail a send. `offer` never waits and never raises; a full queue, a
refusal or an outage costs events (logged and counted), never a request.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from graph.realtime.pusher.client import PusherClient, PusherEvent
from graph.realtime.pusher.stats import (
    GAVE_UP,
    QUEUE_FULL,
    REJECTED,
    SHUTDOWN,
    PusherStats,
)

logger = logging.getLogger(__name__)

MAX_BATCH = 10  # Pusher's batch trigger takes at most 10 events per call
REPORT_SECONDS = 10.0  # drops are logged at most this often, summed
# A slot not filled or voided in this time is given up (its send is stuck).
SLOT_TIMEOUT_SECONDS = 30.0
REASONS = {
    QUEUE_FULL: "found the queue full",
    REJECTED: "refused by Pusher",
    GAVE_UP: "not taken after the last attempt",
    SHUTDOWN: "unsent at shutdown",
}


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter; a longer Retry-After is honoured."""

    base: float = 0.5
    cap: float = 10.0
    max_retry_after: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay


class Slot:
    """A place in a channel's queue: taken in commit order, filled after commit.

    A send takes its slot while it holds the chat's row lock, so slots of one
    channel queue up in `seq` order even when concurrent sends finish their
    commits in another order; the worker sends nothing past an unfilled slot.
    """

    __slots__ = ("_future",)

    def __init__(self, future: asyncio.Future[PusherEvent | None]) -> None:
        self._future = future

    def fill(self, event: PusherEvent) -> bool:
        """Hand over the event; False if the slot was dropped or voided."""
        if self._future.done():
            return False
        self._future.set_result(event)
        return True

    def void(self) -> None:
        """Give the slot up (the transaction rolled back)."""
        if not self._future.done():
            self._future.set_result(None)

    @property
    def voided(self) -> bool:
        return self._future.done() and self._future.result() is None

    async def event(self) -> PusherEvent | None:
        try:
            async with asyncio.timeout(SLOT_TIMEOUT_SECONDS):
                return await asyncio.shield(self._future)
        except TimeoutError:
            logger.warning("a Pusher slot was never filled; skipped")
            self.void()
            return None


class PusherFanout:
    """Sends events to Pusher in batches, from a bounded queue.

    Events are spread over `workers` queues by channel, each drained by one
    task that sends up to `batch_size` waiting events per request and waits
    for the answer before the next, so a channel's events reach Pusher in the
    order their slots were taken. A batch that got no answer, a 429 or a 5xx
    is sent again after a backoff, at most `max_attempts` times in all; any
    other refusal drops it at once. Past `capacity` events waiting in all, new
    ones are dropped. Drops are counted, and logged at most every
    REPORT_SECONDS.
    """

    def __init__(
        self,
        client: PusherClient,
        *,
        capacity: int = 10_000,
        workers: int = 4,
        batch_size: int = MAX_BATCH,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size is 1 to {MAX_BATCH}")
        self.stats = PusherStats()
        self.client = client
        self._capacity = capacity
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff()
        self._queues = [asyncio.Queue[Slot]() for _ in range(workers)]
        self._tasks: list[asyncio.Task[None]] = []
        self._pending = 0  # slots taken, neither sent nor dropped nor voided yet
        self._stopped = False
        self._unreported: Counter[str] = Counter()
        self._details: dict[str, str] = {}
        self._reported_at = -REPORT_SECONDS

    @property
    def pending(self) -> int:
        return self._pending

    def reserve(self, channel: str) -> Slot:
        """A slot in `channel`'s queue, to fill with its event (or void)."""
        future: asyncio.Future[PusherEvent | None] = (
            asyncio.get_running_loop().create_future()
        )
        slot = Slot(future)
        if self._stopped or self._pending >= self._capacity:
            self._dropped(SHUTDOWN if self._stopped else QUEUE_FULL, 1)
            slot.void()
            return slot
        shard = zlib.crc32(channel.encode()) % len(self._queues)
        self._queues[shard].put_nowait(slot)
        self.stats.queued += 1
        self._pending += 1
        return slot

    def offer(self, event: PusherEvent) -> bool:
        """Queue an event to send; False (counted, logged) if it was dropped."""
        return self.reserve(event.channel).fill(event)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(queue), name=f"pusher-fanout-{number}")
            for number, queue in enumerate(self._queues)
        ]
        self._tasks.append(asyncio.create_task(self._report_every_interval()))

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Send what is queued for up to `drain_seconds`, then drop the rest."""
        if self._stopped:
            return
        self._stopped = True
        try:
            async with asyncio.timeout(drain_seconds):
                for queue in self._queues:
                    await queue.join()
        except TimeoutError:
            pass
        finally:
            for task in self._tasks:
                task.cancel()  # an unfinished batch counts as unsent
            await asyncio.gather(*self._tasks, return_exceptions=True)
            left = [
                queue.get_nowait()
                for queue in self._queues
                for _ in range(queue.qsize())
            ]
            self._pending -= len(left)
            self._dropped(SHUTDOWN, sum(not slot.voided for slot in left))
            self._report()
            await self.client.aclose()

    async def _work(self, queue: asyncio.Queue[Slot]) -> None:
        while True:
            slots = [await queue.get()]
            while len(slots) < self._batch_size and not queue.empty():
                slots.append(queue.get_nowait())
            try:
                batch = [event for slot in slots if (event := await slot.event())]
                if batch:
                    await self._deliver(batch)
            except asyncio.CancelledError:
                self._dropped(SHUTDOWN, sum(not slot.voided for slot in slots))
                raise
            except Exception:  # a bug: keep the worker alive for the next batch
                logger.exception("Pusher batch of %d events failed", len(slots))
                self._dropped(GAVE_UP, len(slots))
            finally:
                self._pending -= len(slots)
                for _ in slots:
                    queue.task_done()

    async def _deliver(self, batch: Sequence[PusherEvent]) -> None:
        stats = self.stats
        for attempt in range(1, self._max_attempts + 1):
            stats.requests += 1
            if attempt > 1:
                stats.retries += 1
            outcome = await self.client.trigger_batch(batch)
            if outcome.ok:
                stats.sent += len(batch)
                return
            if not outcome.retryable:
                self._dropped(REJECTED, len(batch), _explained(outcome.detail))
                return
            if attempt < self._max_attempts:
                delay = self._backoff.delay(attempt, outcome.retry_after)
                logger.info(
                    "Pusher trigger failed (%s); retrying in %.1fs (attempt %d of %d)",
                    outcome.detail,
                    delay,
                    attempt + 1,
                    self._max_attempts,
                )
                await asyncio.sleep(delay)
        detail = f"{self._max_attempts} attempts, last: {outcome.detail}"
        self._dropped(GAVE_UP, len(batch), detail)

    def _dropped(self, reason: str, count: int, detail: str = "") -> None:
        if not count:
            return
        self.stats.dropped[reason] += count
        self._unreported[reason] += count
        if detail:
            self._details[reason] = detail
        if self._stopped or time.monotonic() - self._reported_at >= REPORT_SECONDS:
            self._report()

    def _report(self) -> None:
        """Log the drops not logged yet, as one line."""
        if not self._unreported:
            return
        parts = []
        for reason, count in self._unreported.items():
            detail = self._details.pop(reason, "")
            parts.append(
                f"{count} {REASONS[reason]}" + (f" ({detail})" if detail else "")
            )
        logger.warning("dropped Pusher events: %s", "; ".join(parts))
        self._unreported.clear()
        self._reported_at = time.monotonic()

    async def _report_every_interval(self) -> None:
        while True:
            await asyncio.sleep(REPORT_SECONDS)
            self._report()


def _explained(detail: str) -> str:
    if detail.startswith("HTTP 401"):
        return f"{detail}; check PUSHER_KEY, PUSHER_SECRET and the clock"
    return detail
