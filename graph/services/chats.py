"""Chats: one channel per pair of users, and the notifications of new ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from db.models import Chat
from graph.domain.errors import BadUserInput, NotFound, Unauthenticated
from graph.domain.records import ChatRecord
from graph.realtime import EventBus, Gap, chat_channel
from graph.services.accounts import user_record
from graph.services.pages import check_page_size
from graph.services.publishing import Publisher
from graph.services.throttle import Limit, Throttle

MAX_CHATS_PAGE = 500


class ChatService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        publisher: Publisher,
        throttle: Throttle,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._publisher = publisher
        self._throttle = throttle

    async def request_chat(self, user_id: int, to_user_id: int) -> ChatRecord:
        """Create or reuse the pair's channel, then notify the other user.

        The pair is unique in the database, so concurrent requests from both
        sides end with one chat. The notification goes out after the commit.
        Each call notifies, so calls are limited per user.
        """
        if to_user_id == user_id:
            raise BadUserInput("You cannot open a chat with yourself.", field="toUser")
        await self._throttle.check(Limit.REQUEST_CHAT_PER_USER, user_id)
        async with self._sessions.begin() as session:
            caller = await queries.get_user(session, user_id)
            other = await queries.get_user(session, to_user_id)
            if caller is None:
                raise Unauthenticated("This account no longer exists.")
            if other is None:
                raise NotFound("No such user.", field="toUser")
            row = await queries.ensure_chat(
                session, *sorted((user_id, to_user_id)), requested_by=user_id
            )
        chat = ChatRecord(
            channel_name=chat_channel(user_id, to_user_id),
            from_user=user_record(caller),
            to_user=user_record(other),
            last_seq=row.last_seq,
        )
        await self._publisher.chat(chat)
        return chat

    async def list_chats(self, user_id: int, first: int) -> list[ChatRecord]:
        """The user's newest `first` chats, newest first.

        `from_user` is whoever first asked for the chat (the lower id for
        chats older than that record).
        """
        check_page_size("first", first, MAX_CHATS_PAGE)
        async with self._sessions() as session:
            rows = await queries.list_chats(session, user_id, limit=first)
        return [_chat_record(row) for row in rows]

    async def new_chats(self, user_id: int) -> AsyncIterator[ChatRecord]:
        """Chats other users open with `user_id`, from now on.

        Notifications are live only: one lost in a gap (a dropped buffer, a
        Redis outage) is not replayed, as nothing records who asked for a chat
        when. The chat itself is in the database, and a `messages` or
        `newMessage` call on its channel works whenever the client learns of it.
        """
        async with self._bus.chat_feed(user_id) as feed:
            async for chat in feed:
                if not isinstance(chat, Gap):
                    yield chat


def _chat_record(row: Chat) -> ChatRecord:
    requester, other = row.user_low, row.user_high
    if row.requested_by_id == other.id:
        requester, other = other, requester
    return ChatRecord(
        channel_name=chat_channel(row.user_low_id, row.user_high_id),
        from_user=user_record(requester),
        to_user=user_record(other),
        last_seq=row.last_seq,
    )
