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
QUEUE_FULL_LOG_SECONDS = 10.0


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


class PusherFanout:
    """Sends offered events to Pusher in batches, from bounded queues.

    Events are spread over `workers` queues by channel, each drained by one
    task that sends up to `batch_size` waiting events per request and waits
    for the answer before the next, so a channel's events reach Pusher in the
    order they were offered. A batch that got no answer, a 429 or a 5xx is
    sent again after a backoff, at most `max_attempts` times in all; any other
    refusal drops it at once.
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
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff()
        per_queue = max(1, -(-capacity // workers))
        self._queues = [asyncio.Queue[PusherEvent](per_queue) for _ in range(workers)]
        self._tasks: list[asyncio.Task[None]] = []
        self._pending = 0  # offered, neither sent nor dropped yet
        self._closing = False
        self._full_since_log = 0
        self._full_logged_at = -QUEUE_FULL_LOG_SECONDS

    @property
    def pending(self) -> int:
        return self._pending

    def offer(self, event: PusherEvent) -> bool:
        """Queue an event to send; False (counted, logged) if it was dropped."""
        if self._closing:
            self._dropped(SHUTDOWN, 1)
            return False
        shard = zlib.crc32(event.channel.encode()) % len(self._queues)
        try:
            self._queues[shard].put_nowait(event)
        except asyncio.QueueFull:
            self._dropped(QUEUE_FULL, 1)
            self._log_queue_full()
            return False
        self.stats.queued += 1
        self._pending += 1
        return True

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(queue), name=f"pusher-fanout-{number}")
            for number, queue in enumerate(self._queues)
        ]

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Send what is queued for up to `drain_seconds`, then drop the rest."""
        self._closing = True
        try:
            async with asyncio.timeout(drain_seconds):
                for queue in self._queues:
                    await queue.join()
        except TimeoutError:
            pass
        dropped_before = self.stats.dropped[SHUTDOWN]
        for task in self._tasks:
            task.cancel()  # an unfinished batch counts as dropped at shutdown
        await asyncio.gather(*self._tasks, return_exceptions=True)
        left = sum(queue.qsize() for queue in self._queues)
        self._dropped(SHUTDOWN, left)
        self._pending -= left
        dropped = self.stats.dropped[SHUTDOWN] - dropped_before
        if dropped:
            logger.warning("dropped %d Pusher events still queued at shutdown", dropped)
        await self.client.aclose()

    async def _work(self, queue: asyncio.Queue[PusherEvent]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self._batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._deliver(batch)
            except asyncio.CancelledError:
                self._dropped(SHUTDOWN, len(batch))
                raise
            except Exception:  # a bug: keep the worker alive for the next batch
                logger.exception("Pusher batch of %d events failed", len(batch))
                self._dropped(GAVE_UP, len(batch))
            finally:
                self._pending -= len(batch)
                for _ in batch:
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
                logger.warning(
                    "Pusher refused a batch of %d events (%s); dropped",
                    len(batch),
                    outcome.detail,
                )
                self._dropped(REJECTED, len(batch))
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
        logger.warning(
            "Pusher took no batch of %d events in %d attempts (%s); dropped",
            len(batch),
            self._max_attempts,
            outcome.detail,
        )
        self._dropped(GAVE_UP, len(batch))

    def _dropped(self, reason: str, count: int) -> None:
        if count:
            self.stats.dropped[reason] += count

    def _log_queue_full(self) -> None:
        # One line per interval, not one per event, when a backlog overflows.
        self._full_since_log += 1
        now = time.monotonic()
        if now - self._full_logged_at < QUEUE_FULL_LOG_SECONDS:
            return
        logger.warning(
            "Pusher queue full: dropped %d events since the last report",
            self._full_since_log,
        )
        self._full_since_log = 0
        self._full_logged_at = now
