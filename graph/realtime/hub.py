"""broadcaster's Broadcast, with subscribe made safe under concurrency.

Stock `Broadcast.subscribe` loses a subscriber when two tasks subscribe to a
new channel at once (the second overwrites the first's queue set), and lets a
second subscriber go on before the backend has confirmed the channel. Here a
per-channel lock orders backend subscribe/unsubscribe, every subscriber waits
for the confirmation, and the listener survives a failing backend.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from broadcaster import Broadcast, Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._base import Subscriber

logger = logging.getLogger(__name__)


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that a library swallowed.

    On Python 3.11, `asyncio.wait_for` (used inside redis-py and database
    drivers) can drop a cancel that lands as the awaited call completes; the
    task then goes on with `cancelling()` set, holding a subscription that its
    client has already closed.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@dataclass
class _Topic:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queues: set[asyncio.Queue[Event | None]] = field(default_factory=set)
    holders: int = 0  # subscribers inside or waiting for the lock


class Hub(Broadcast):
    def __init__(self, backend: BroadcastBackend) -> None:
        super().__init__(backend=backend)
        self._topics: dict[str, _Topic] = {}

    @property
    def backend(self) -> BroadcastBackend:
        return self._backend

    def subscriber_count(self) -> int:
        return sum(len(topic.queues) for topic in self._topics.values())

    def channel_count(self) -> int:
        return sum(1 for topic in self._topics.values() if topic.queues)

    async def _listener(self) -> None:
        while True:
            try:
                event = await self._backend.next_published()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("broadcast backend failed; listening again")
                await asyncio.sleep(0.5)
                continue
            self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        topic = self._topics.get(event.channel)
        if topic is None:
            return
        for queue in topic.queues:
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        """Yield a subscriber once the backend delivers the channel's events."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        topic = self._topics.setdefault(channel, _Topic())
        topic.holders += 1
        try:
            async with topic.lock:
                if not topic.queues:
                    await self._subscribe_backend(channel)
                topic.queues.add(queue)
            yield Subscriber(queue)
        finally:
            await self._leave(channel, topic, queue)

    async def _subscribe_backend(self, channel: str) -> None:
        try:
            await self._backend.subscribe(channel)
            raise_if_cancelled()
        except BaseException:
            await self._unsubscribe_backend(channel)
            raise

    async def _leave(
        self, channel: str, topic: _Topic, queue: asyncio.Queue[Event | None]
    ) -> None:
        try:
            async with topic.lock:
                if queue in topic.queues:
                    topic.queues.discard(queue)
                    if not topic.queues:
                        await self._unsubscribe_backend(channel)
        finally:
            topic.holders -= 1
            if topic.holders == 0 and self._topics.get(channel) is topic:
                del self._topics[channel]

    async def _unsubscribe_backend(self, channel: str) -> None:
        try:
            await self._backend.unsubscribe(channel)
        except Exception as exc:  # noqa: BLE001 -- a broken broker must not break cleanup
            logger.warning("could not unsubscribe %s: %r", channel, exc)
