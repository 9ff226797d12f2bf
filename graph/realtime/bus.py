"""The event bus services publish to and subscribe through.

Publishing is best effort by design: it happens after the commit, and a
failure is logged, never raised, because the database already holds the
truth and subscribers catch up from it by `seq`. A message whose publish
failed is published again later (`Redial`), so that its subscribers learn
that there is something to catch up on. A feed yields decoded
records, and `GAP` where events may be missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Generic, TypeVar

from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend

from graph.domain.records import (
    ActivityRecord,
    BlockRecord,
    ChatRecord,
    MessageRecord,
)
from graph.platform.logs import describe
from graph.platform.settings import is_redis_url
from graph.realtime import events
from graph.realtime.channels import (
    SUSPENSIONS_TOPIC,
    activity_topic,
    changes_topic,
    chat_channel,
    notification_channel,
    presence_topic,
)
from graph.realtime.events import PresenceEvent, SuspensionEvent
from graph.realtime.hub import (
    DEFAULT_INBOX_CAPACITY,
    Closed,
    Gap,
    Hub,
    Inbox,
    Membership,
    Subscription,
    raise_if_cancelled,
)
from graph.realtime.presence import (
    DEFAULT_TTL_SECONDS,
    LocalPresence,
    Presence,
    RedisPresence,
)
from graph.realtime.redial import Redial
from graph.realtime.redis_backend import RedisBackend
from graph.realtime.stats import DeliveryStats

logger = logging.getLogger(__name__)

# Between a pair's channel and a topic in the key of an owed announcement
# (no channel or topic name holds it).
_OWED_SEPARATOR = "#"

T = TypeVar("T")


def create_backend(
    url: str, *, prefix: str = "", timeout: float = 5.0
) -> BroadcastBackend:
    """`memory://` for one process, `redis://` (or `rediss://`) for several."""
    scheme = url.split(":", 1)[0]
    if scheme == "memory":
        return MemoryBackend(url)
    if is_redis_url(url):
        return RedisBackend(url, prefix=prefix, timeout=timeout)
    raise ValueError(f"unsupported BROADCAST_URL scheme {scheme!r}")


def create_event_bus(
    url: str,
    *,
    prefix: str = "",
    timeout: float = 5.0,
    inbox_capacity: int = DEFAULT_INBOX_CAPACITY,
    presence_ttl: float = DEFAULT_TTL_SECONDS,
) -> EventBus:
    backend = create_backend(url, prefix=prefix, timeout=timeout)
    bus = EventBus(Hub(backend, inbox_capacity=inbox_capacity))
    if is_redis_url(url):
        bus.presence = RedisPresence(
            bus.publish_presence, url, prefix=prefix, ttl=presence_ttl, timeout=timeout
        )
    return bus


class EventBus:
    def __init__(self, hub: Hub, redial: Redial | None = None) -> None:
        self.hub = hub
        self.redial = redial or Redial(self.hub.publish)
        # Block announcements that failed, owed per pair and feed until one
        # gets through: a subscriber's process that saw no gap would
        # otherwise never hear of the block (its presence feed above all,
        # which does not read the database per event). Apart from `redial`,
        # which a chat's next message settles: a block's is settled only by
        # a newer announcement of the same pair.
        self.block_redial = Redial(self._publish_owed_block)
        # Who holds a socket where; in memory unless create_event_bus sets
        # Redis's (BROADCAST_URL redis://).
        self.presence: Presence = LocalPresence(self.publish_presence)

    @property
    def stats(self) -> DeliveryStats:
        return self.hub.stats

    @property
    def redis(self) -> RedisBackend | None:
        backend = self.hub.backend
        return backend if isinstance(backend, RedisBackend) else None

    async def connect(self) -> None:
        await self.hub.connect()
        await self.presence.start()

    async def disconnect(self) -> None:
        # First: a clean stop announces this process's users offline.
        await self.presence.close()
        await self.redial.close()
        await self.block_redial.close()
        await self.hub.disconnect()

    async def ping(self) -> bool:
        """Whether events published now would reach this process's subscribers."""
        if not self.hub.listening:
            return False
        redis = self.redis
        if redis is None:
            return True
        return redis.listening and await redis.ping()

    async def publish_message(self, message: MessageRecord) -> bool:
        payload = events.encode_message(message)
        published = await self._publish_owed(message.channel, payload)
        self.stats.published_messages += published
        return published

    async def publish_change(self, message: MessageRecord) -> bool:
        """An edit, deletion or reaction, as the message now is: on its own
        topic, so `newMessage` subscribers never wake for it. Owed like a
        new message when the publish fails."""
        payload = events.encode_message(message, events.MESSAGE_CHANGED)
        return await self._publish_owed(changes_topic(message.channel), payload)

    async def publish_chat(self, chat: ChatRecord) -> bool:
        """To both members: the invitee's `newChat`, and the presence feeds
        of both, which follow each new peer."""
        payload = events.encode_chat(chat)
        published = await self._publish(notification_channel(chat.to_user.id), payload)
        await self._publish(notification_channel(chat.from_user.id), payload)
        self.stats.published_chats += published
        return published

    async def publish_activity(self, activity: ActivityRecord) -> bool:
        """A read receipt or typing: live only, never stored."""
        topic = activity_topic(activity.channel)
        return await self._publish(topic, events.encode_activity(activity))

    async def publish_block(self, block: BlockRecord) -> bool:
        """A pair's block state, on every feed that carries something between
        the two: the chat's messages, changes and activity, and both members'
        notification channels (their `newChat` and presence feeds). Each feed
        sees it in order with its own events, so whatever it takes after a
        block is held back. True when all of them took it."""
        channel = chat_channel(*block.pair)
        payload = events.encode_block(block)
        topics = (
            channel,
            changes_topic(channel),
            activity_topic(channel),
            notification_channel(block.low_id),
            notification_channel(block.high_id),
        )
        published = True
        for topic in topics:
            owed = f"{channel}{_OWED_SEPARATOR}{topic}"
            if await self._publish(topic, payload):
                self.block_redial.settle(owed)
            else:
                self.block_redial.owe(owed, payload)
                published = False
        return published

    async def _publish_owed_block(self, owed: str, payload: str) -> None:
        await self.hub.publish(owed.split(_OWED_SEPARATOR, 1)[1], payload)

    async def publish_presence(
        self, user_id: int, online: bool, last_seen_at: datetime | None
    ) -> None:
        event = PresenceEvent(user_id, online, last_seen_at)
        await self._publish(presence_topic(user_id), events.encode_presence(event))

    async def _publish_owed(self, channel: str, payload: str) -> bool:
        """Publish; one that fails is owed (`Redial`) until this channel's
        next event, or the redial, gets through."""
        published = await self._publish(channel, payload)
        if published:
            self.redial.settle(channel)
        else:
            self.redial.owe(channel, payload)
        return published

    async def _publish(self, channel: str, payload: str) -> bool:
        try:
            await self.hub.publish(channel, payload)
        except Exception as exc:  # noqa: BLE001 -- publishing must never fail a send
            self.stats.publish_failures += 1
            logger.warning(
                "publish to %s failed (%s); subscribers catch up from the database",
                channel,
                describe(exc),
            )
            return False
        return True

    def message_feed(self, channel: str) -> Subscribed[MessageRecord | BlockRecord]:
        """Live messages of a chat channel, subscribed when the block starts."""
        return Subscribed(self.hub.subscribe(channel), events.decode_message)

    def change_feed(self, channel: str) -> Subscribed[MessageRecord | BlockRecord]:
        """A chat's edits, deletions and reactions, subscribed when the block
        starts (`messageChanges`). Its sends travel elsewhere: each change
        names the change before it, so none are needed to see a gap."""
        return Subscribed(
            self.hub.subscribe(changes_topic(channel)), events.decode_change
        )

    def chat_feed(self, user_id: int) -> Subscribed[ChatRecord | BlockRecord]:
        """Chats opened with or by the user, subscribed when the block starts."""
        return Subscribed(
            self.hub.subscribe(notification_channel(user_id)), events.decode_chat
        )

    def activity_feed(self, channel: str) -> Subscribed[ActivityRecord | BlockRecord]:
        """A chat's read receipts and typing, subscribed when the block starts."""
        return Subscribed(
            self.hub.subscribe(activity_topic(channel)), events.decode_activity
        )

    async def publish_suspension(self, user_id: int, suspended: bool) -> bool:
        """An account suspended or no longer, after the commit. Not owed when
        it fails: every process also reads the suspended accounts from the
        database every few seconds (graph.services.suspensions)."""
        event = SuspensionEvent(user_id, suspended)
        return await self._publish(SUSPENSIONS_TOPIC, events.encode_suspension(event))

    def suspension_feed(self) -> Subscribed[SuspensionEvent]:
        """Every account suspended or no longer, subscribed when the block starts."""
        return Subscribed(
            self.hub.subscribe_own(SUSPENSIONS_TOPIC), events.decode_suspension
        )

    @asynccontextmanager
    async def presence_feed(self, user_id: int) -> AsyncIterator[PresenceFeed]:
        """The user's chats as they are opened (to follow new peers), and the
        presence of the peers followed with `follow`."""
        async with self.hub.subscribe_many() as membership:
            await membership.join(notification_channel(user_id))
            yield PresenceFeed(membership)


class Expired:
    """No event came within the wait given to `Feed.next`."""

    __slots__ = ()


EXPIRED = Expired()


class Feed(Generic[T]):
    """Decoded events of an inbox, read with an optional time limit, or
    iterated (until the bus shuts down).

    Objects with slots, not generators, here and in `Subscribed` and the
    hub's subscriptions: a live subscription holds each layer for its whole
    life, and a generator with its frame (and its entry in the event loop's
    set of async generators) costs several times as much.
    """

    __slots__ = ("_decode", "_inbox")

    def __init__(self, inbox: Inbox, decode: Callable[[str], T]) -> None:
        self._inbox = inbox
        self._decode = decode

    def __aiter__(self) -> Feed[T]:
        return self

    async def __anext__(self) -> T | Gap:
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
        assert not isinstance(item, Expired)  # no time limit was given
        return item

    async def next(self, within: float | None = None) -> T | Gap | Expired | None:
        """The next event or `GAP`; `EXPIRED` after `within` seconds without
        one; None once the bus has shut down."""
        while True:
            raise_if_cancelled()
            try:
                async with asyncio.timeout(within):
                    event = await self._inbox.get()
            except TimeoutError:
                return EXPIRED
            except Closed:
                return None
            if isinstance(event, Gap):
                return event
            try:
                return self._decode(event.message)
            except (ValueError, KeyError, TypeError):
                logger.warning("dropped an unreadable event on %s", event.channel)


class PresenceFeed:
    """A user's new chats and their peers' presence changes, in one inbox."""

    __slots__ = ("_membership",)

    def __init__(self, membership: Membership) -> None:
        self._membership = membership

    async def follow(self, user_id: int) -> None:
        await self._membership.join(presence_topic(user_id))

    def __aiter__(
        self,
    ) -> AsyncIterator[ChatRecord | PresenceEvent | BlockRecord | Gap]:
        return Feed(self._membership.inbox, events.decode_presence_or_chat)


class Subscribed(Generic[T]):
    """A hub subscription whose block gets its events decoded, as a `Feed`."""

    __slots__ = ("_decode", "_subscription")

    def __init__(self, subscription: Subscription, decode: Callable[[str], T]) -> None:
        self._subscription = subscription
        self._decode = decode

    async def __aenter__(self) -> Feed[T]:
        return Feed(await self._subscription.__aenter__(), self._decode)

    async def __aexit__(self, *exc_info: object) -> None:
        await self._subscription.__aexit__()
