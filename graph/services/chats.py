"""Chats: one channel per pair of users, and the notifications of new ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from graph.errors import BadUserInput, NotFound, Unauthenticated
from graph.realtime import EventBus, Gap, chat_channel
from graph.records import ChatRecord
from graph.services.accounts import user_record


class ChatService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bus: EventBus
    ) -> None:
        self._sessions = sessions
        self._bus = bus

    async def request_chat(self, user_id: int, to_user_id: int) -> ChatRecord:
        """Create or reuse the pair's channel, then notify the other user.

        The pair is unique in the database, so concurrent requests from both
        sides end with one chat. The notification goes out after the commit.
        """
        if to_user_id == user_id:
            raise BadUserInput("You cannot open a chat with yourself.", field="toUser")
        async with self._sessions.begin() as session:
            caller = await queries.get_user(session, user_id)
            other = await queries.get_user(session, to_user_id)
            if caller is None:
                raise Unauthenticated("This account no longer exists.")
            if other is None:
                raise NotFound("No such user.", field="toUser")
            await queries.ensure_chat(session, *sorted((user_id, to_user_id)))
        chat = ChatRecord(
            channel_name=chat_channel(user_id, to_user_id),
            from_user=user_record(caller),
            to_user=user_record(other),
        )
        await self._bus.publish_chat(chat)
        return chat

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
