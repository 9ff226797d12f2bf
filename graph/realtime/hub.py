"""broadcaster's Broadcast, with bounded subscriber buffers and gap markers.

Stock `Broadcast.subscribe` loses a subscriber when two tasks subscribe to a
new channel at once (the second overwrites the first's queue set), lets a
second subscriber go on before the backend has confirmed the channel, and
gives every subscriber an unbounded queue. Here a per-channel lock orders
backend subscribe/unsubscribe, every subscriber waits for the confirmation,
the listener survives a failing backend, and each subscriber has an `Inbox`
of bounded size.

Events may be lost in two ways: a subscriber's inbox overflows (it is
dropped), or the backend lost its connection (it publishes `GAP` on each
channel it has subscribed again). Either way the subscriber reads one `GAP`
marker where events are missing, and catches up from the database by `seq`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final

from broadcaster import Broadcast, Event
from broadcaster._backends.base import BroadcastBackend

from graph.realtime.stats import DeliveryStats

logger = logging.getLogger(__name__)

DEFAULT_INBOX_CAPACITY = 2048


class Gap:
    """Events of this channel may have been lost: catch up from the database."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "GAP"


GAP: Final = Gap()


class Closed(Exception):
    """The hub shut down under a subscriber."""


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


class Inbox:
    """One subscriber's buffer: at most `capacity` events, or a gap.

    A full inbox is emptied and marked with a gap instead of growing, so a
    subscriber that stops reading costs bounded memory however busy its
    channel is; when it reads again it gets `GAP`, then what arrived since.
    Its buffer exists only while it holds events: an empty deque is 624 bytes,
    and most subscribers are idle most of the time.
    """

    __slots__ = ("_capacity", "_closed", "_events", "_gap", "_stats", "_waiter")

    def __init__(self, capacity: int, stats: DeliveryStats) -> None:
        self._capacity = capacity
        self._stats = stats
        self._events: deque[Event] | None = None
        self._gap = False
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return 0 if self._events is None else len(self._events)

    def put(self, event: Event) -> None:
        message: object = event.message  # a backend may publish GAP itself
        if message is GAP:
            self.mark_gap()
            return
        events = self._events
        if events is None:
            events = self._events = deque()
        elif len(events) >= self._capacity:
            self._stats.buffers_dropped += 1
            self.mark_gap()
            return
        events.append(event)
        self._wake()

    def mark_gap(self) -> None:
        """Forget the buffered events: the reader catches up from the database."""
        self._events = None
        if not self._gap:
            self._gap = True
            self._stats.gaps += 1
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    async def get(self) -> Event | Gap:
        """The next event or gap; raises `Closed` once the hub has shut down."""
        while True:
            if self._gap:
                self._gap = False
                return GAP
            events = self._events
            if events:
                event = events.popleft()
                if not events:
                    self._events = None
                return event
            if self._closed:
                raise Closed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


@dataclass(slots=True)  # one per chat with a subscriber on this process
class _Topic:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    inboxes: set[Inbox] = field(default_factory=set)
    holders: int = 0  # subscribers inside or waiting for the lock


class Membership:
    """An inbox joined to a growing set of a hub's channels."""

    __slots__ = ("_hub", "_topics", "inbox")

    def __init__(self, hub: Hub, inbox: Inbox) -> None:
        self._hub = hub
        self._topics: dict[str, _Topic] = {}
        self.inbox = inbox

    def __contains__(self, channel: str) -> bool:
        return channel in self._topics

    async def join(self, channel: str) -> None:
        """Receive `channel`'s events from now on (once the backend confirms)."""
        if channel not in self._topics:
            self._topics[channel] = await self._hub._join(channel, self.inbox)

    async def leave_all(self) -> None:
        topics, self._topics = self._topics, {}
        for channel, topic in topics.items():
            await self._hub._leave(channel, topic, self.inbox)


class Subscription:
    """`Hub.subscribe`: the channel joined on entry, left on exit."""

    __slots__ = ("_channel", "_hub", "_inbox", "_topic")

    def __init__(self, hub: Hub, channel: str, inbox: Inbox) -> None:
        self._hub = hub
        self._channel = channel
        self._inbox = inbox
        self._topic: _Topic | None = None

    async def __aenter__(self) -> Inbox:
        self._topic = await self._hub._join(self._channel, self._inbox)
        return self._inbox

    async def __aexit__(self, *exc_info: object) -> None:
        topic, self._topic = self._topic, None
        if topic is not None:
            await self._hub._leave(self._channel, topic, self._inbox)


class Hub(Broadcast):
    def __init__(
        self,
        backend: BroadcastBackend,
        *,
        inbox_capacity: int = DEFAULT_INBOX_CAPACITY,
    ) -> None:
        super().__init__(backend=backend)
        self._topics: dict[str, _Topic] = {}
        self._inbox_capacity = inbox_capacity
        self.stats = DeliveryStats()
        # Channels the process follows for itself, not for a client
        # (`subscribe_own`): left out of the counts, which are the clients'.
        self._own: set[str] = set()

    @property
    def backend(self) -> BroadcastBackend:
        return self._backend

    @property
    def listening(self) -> bool:
        """Whether the task that dispatches the backend's events runs."""
        task = getattr(self, "_listener_task", None)
        return task is not None and not task.done()

    def subscriber_count(self) -> int:
        """Subscribers on behalf of clients (not `subscribe_own`'s)."""
        return sum(len(topic.inboxes) for topic in self._client_topics())

    def channel_count(self) -> int:
        """Channels followed on behalf of clients (not `subscribe_own`'s)."""
        return sum(1 for topic in self._client_topics() if topic.inboxes)

    def _client_topics(self) -> list[_Topic]:
        return [topic for name, topic in self._topics.items() if name not in self._own]

    def buffered_events(self) -> int:
        """Events waiting in all inboxes: bounded by subscribers x capacity."""
        return sum(
            len(inbox) for topic in self._topics.values() for inbox in topic.inboxes
        )

    async def disconnect(self) -> None:
        for topic in self._topics.values():
            for inbox in topic.inboxes:
                inbox.close()
        listener = getattr(self, "_listener_task", None)
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        await self._backend.disconnect()

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
        for inbox in topic.inboxes:
            inbox.put(event)

    def subscribe(self, channel: str) -> Subscription:  # type: ignore[override]
        """An inbox, entered once the backend delivers the channel's events."""
        return Subscription(self, channel, Inbox(self._inbox_capacity, self.stats))

    def subscribe_own(self, channel: str) -> Subscription:
        """`subscribe`, for the process itself (its set of suspended users):
        not counted with the clients' subscriptions."""
        self._own.add(channel)
        return self.subscribe(channel)

    @asynccontextmanager
    async def subscribe_many(self) -> AsyncIterator[Membership]:
        """One inbox for any number of channels, joined as the caller goes.

        For a subscriber of many small channels (a user's peers' presence):
        one buffer instead of one per channel. Events keep their channel.
        """
        membership = Membership(self, Inbox(self._inbox_capacity, self.stats))
        try:
            yield membership
        finally:
            await membership.leave_all()

    async def _join(self, channel: str, inbox: Inbox) -> _Topic:
        topic = self._topics.get(channel)
        if topic is None:
            topic = self._topics[channel] = _Topic()
        topic.holders += 1
        try:
            async with topic.lock:
                if not topic.inboxes:
                    await self._subscribe_backend(channel)
                topic.inboxes.add(inbox)
        except BaseException:
            await self._leave(channel, topic, inbox)
            raise
        return topic

    async def _subscribe_backend(self, channel: str) -> None:
        try:
            await self._backend.subscribe(channel)
            raise_if_cancelled()
        except BaseException:
            await self._unsubscribe_backend(channel)
            raise

    async def _leave(self, channel: str, topic: _Topic, inbox: Inbox) -> None:
        try:
            async with topic.lock:
                if inbox in topic.inboxes:
                    topic.inboxes.discard(inbox)
                    if not topic.inboxes:
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
