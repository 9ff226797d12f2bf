"""The event bus services publish to and subscribe through.

Publishing is best effort by design: it happens after the commit, and a
failure is logged, never raised, because the database already holds the
truth and subscribers catch up from it by `seq`. A message whose publish
failed is published again later (`Redial`), so that its subscribers learn
that there is something to catch up on. A feed yields decoded
records, and `GAP` where events may be missing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend

from graph.domain.records import ChatRecord, MessageRecord
from graph.platform.logs import describe
from graph.platform.settings import is_redis_url
from graph.realtime import events
from graph.realtime.channels import notification_channel
from graph.realtime.hub import (
    DEFAULT_INBOX_CAPACITY,
    Closed,
    Gap,
    Hub,
    Inbox,
    raise_if_cancelled,
)
from graph.realtime.redial import Redial
from graph.realtime.redis_backend import RedisBackend
from graph.realtime.stats import DeliveryStats

logger = logging.getLogger(__name__)

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
) -> EventBus:
    backend = create_backend(url, prefix=prefix, timeout=timeout)
    return EventBus(Hub(backend, inbox_capacity=inbox_capacity))


class EventBus:
    def __init__(self, hub: Hub, redial: Redial | None = None) -> None:
        self.hub = hub
        self.redial = redial or Redial(self.hub.publish)

    @property
    def stats(self) -> DeliveryStats:
        return self.hub.stats

    @property
    def redis(self) -> RedisBackend | None:
        backend = self.hub.backend
        return backend if isinstance(backend, RedisBackend) else None

    async def connect(self) -> None:
        await self.hub.connect()

    async def disconnect(self) -> None:
        await self.redial.close()
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
        channel, payload = message.channel, events.encode_message(message)
        published = await self._publish(channel, payload)
        self.stats.published_messages += published
        if published:
            self.redial.settle(channel)
        else:
            self.redial.owe(channel, payload)
        return published

    async def publish_chat(self, chat: ChatRecord) -> bool:
        channel = notification_channel(chat.to_user.id)
        published = await self._publish(channel, events.encode_chat(chat))
        self.stats.published_chats += published
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

    @asynccontextmanager
    async def message_feed(
        self, channel: str
    ) -> AsyncIterator[AsyncIterator[MessageRecord | Gap]]:
        """Live messages of a chat channel, subscribed when the block starts."""
        async with self.hub.subscribe(channel) as inbox:
            yield _decoded(inbox, events.decode_message)

    @asynccontextmanager
    async def chat_feed(
        self, user_id: int
    ) -> AsyncIterator[AsyncIterator[ChatRecord | Gap]]:
        """Chats others open with the user, subscribed when the block starts."""
        async with self.hub.subscribe(notification_channel(user_id)) as inbox:
            yield _decoded(inbox, events.decode_chat)


async def _decoded(inbox: Inbox, decode: Callable[[str], T]) -> AsyncIterator[T | Gap]:
    while True:
        raise_if_cancelled()
        try:
            event = await inbox.get()
        except Closed:
            return
        if isinstance(event, Gap):
            yield event
            continue
        try:
            item = decode(event.message)
        except (ValueError, KeyError, TypeError):
            logger.warning("dropped an unreadable event on %s", event.channel)
            continue
        yield item
