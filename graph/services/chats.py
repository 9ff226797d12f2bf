"""Chats: one channel per pair of users, and the notifications of new ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from db import blocks, chats
from db.chats import ChatState
from db.session import autocommit, driver_connection
from graph.domain.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from graph.domain.records import (
    ChatRecord,
    ReadReceiptRecord,
    ReadState,
    UserRecord,
)
from graph.realtime import EventBus, chat_channel
from graph.services.blocks import blocked_refusal
from graph.services.membership import NO_CHAT, member_pair
from graph.services.pages import check_page_size
from graph.services.publishing import Publisher
from graph.services.throttle import Limit, Throttle

MAX_CHATS_PAGE = 500
NO_NEW_CHAT = "You cannot open a chat with this user."


class ChatService:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        publisher: Publisher,
        throttle: Throttle,
    ) -> None:
        # Core statements on bare connections where one statement will do.
        self._engine = engine
        self._on_driver = engine.dialect.name == "postgresql"
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
            # Both users' rows locked first, as a block locks them: a block
            # committed meanwhile is seen here, and one after sees this chat.
            present = await blocks.lock_pair(session, user_id, to_user_id)
            if user_id not in present:
                raise Unauthenticated("This account no longer exists.")
            if to_user_id not in present:
                raise NotFound("No such user.", field="toUser")
            if await blocks.blocked_either_way(session, user_id, to_user_id):
                raise await blocked_refusal(
                    session, user_id, to_user_id, Forbidden(NO_NEW_CHAT)
                )
            state = await chats.ensure_chat(
                session, *sorted((user_id, to_user_id)), requested_by=user_id
            )
        # This request's caller is its from_user, whoever first asked.
        chat = chat_record(state, requester=user_id)
        # A block committed since (the locks order the commits, not the
        # announcements): announced to nobody, Pusher included.
        if not await self._blocked(user_id, to_user_id):
            await self._publisher.chat(chat)
        return chat

    async def _blocked(self, user_id: int, other_id: int) -> bool:
        async with self._sessions() as session:
            return await blocks.blocked_either_way(session, user_id, other_id)

    async def list_chats(self, user_id: int, first: int) -> list[ChatRecord]:
        """The user's newest `first` chats, newest first.

        `from_user` is whoever first asked for the chat (the lower id for
        chats older than that record).
        """
        check_page_size("first", first, MAX_CHATS_PAGE)
        if self._on_driver:
            async with driver_connection(self._engine) as driver:
                rows = await chats.list_chats(driver, user_id, limit=first)
        else:
            async with autocommit(self._engine) as connection:
                rows = await chats.list_chats(connection, user_id, limit=first)
        users: dict[int, UserRecord] = {}
        return [chat_record(row, users=users) for row in rows]

    async def mark_read(self, user_id: int, channel: str, seq: int) -> ChatRecord:
        """Move the user's read position forward to `seq`; never back.

        A `seq` at or below the position changes nothing, and so does any in
        a blocked chat (the blocker read it all when blocking: db.blocks); one
        past the newest message is refused. Where it moved, both members' subscribers of
        `chatActivity` hear a read receipt, after the commit.
        """
        low, high = member_pair(user_id, channel)
        if seq < 0:
            raise BadUserInput("`seq` is a seq, 0 or more.", field="seq")
        await self._throttle.check(Limit.MARK_READ_PER_USER, user_id)
        # One statement, its own transaction on PostgreSQL, with no BEGIN or
        # COMMIT round trips. On SQLite an UPDATE ... RETURNING in aiosqlite's
        # autocommit was not kept (tests/graph/test_read_state.py found the
        # position unmoved), so there it runs in a transaction. The chat is
        # read apart only when the position did not move.
        writing = autocommit(self._engine) if self._on_driver else self._engine.begin()
        async with writing as connection:
            moved = await chats.mark_read(
                connection, low, high, reader_id=user_id, seq=seq
            )
            state = moved or await chats.chat_state(connection, low, high)
        if state is None:
            raise NotFound(NO_CHAT)
        if moved is None and seq > state.last_seq:
            raise BadUserInput(
                f"seq {seq} is past the newest message ({state.last_seq}).",
                field="seq",
            )
        chat = chat_record(state)
        if moved is not None:
            reader = chat.from_user if chat.from_user.id == user_id else chat.to_user
            await self._bus.publish_activity(ReadReceiptRecord(channel, reader, seq))
        return chat

    async def unread_total(self, user_id: int) -> int:
        """The user's unread messages over all their chats."""
        async with autocommit(self._engine) as connection:
            return await chats.unread_total(connection, user_id)

    async def new_chats(self, user_id: int) -> AsyncIterator[ChatRecord]:
        """Chats other users open with `user_id`, from now on.

        Notifications are live only: one lost in a gap (a dropped buffer, a
        Redis outage) is not replayed, as nothing records who asked for a chat
        when. The chat itself is in the database, and a `messages` or
        `newMessage` call on its channel works whenever the client learns of it.

        A chat whose pair is blocked by the time its notification arrives is
        not delivered (the database is asked: new chats are rare).
        """
        async with self._bus.chat_feed(user_id) as feed:
            async for chat in feed:
                # The feed also carries the chats this user opened.
                if not isinstance(chat, ChatRecord) or chat.to_user.id != user_id:
                    continue
                if await self._blocked(user_id, chat.from_user.id):
                    self._bus.stats.held_back += 1
                    continue
                yield chat


def chat_record(
    state: ChatState,
    *,
    requester: int | None = None,
    users: dict[int, UserRecord] | None = None,
) -> ChatRecord:
    """The chat as records: `from_user` is `requester` if given, else whoever
    first asked for the chat (the lower id on chats older than that record).

    `users`: records already made, shared by a list's chats (the viewer is a
    member of all of them).
    """
    if users is None:
        users = {}
    low = users.get(state.user_low_id)
    if low is None:
        low = users[state.user_low_id] = UserRecord(
            state.user_low_id, state.low_username, state.low_shares
        )
    high = users.get(state.user_high_id)
    if high is None:
        high = users[state.user_high_id] = UserRecord(
            state.user_high_id, state.high_username, state.high_shares
        )
    low_read = ReadState(state.low_read_seq, state.low_unread)
    high_read = ReadState(state.high_read_seq, state.high_unread)
    first = state.requested_by_id if requester is None else requester
    channel = chat_channel(low.id, high.id)
    mood = state.mood_values
    if first == high.id:
        return ChatRecord(
            channel,
            high,
            low,
            state.last_seq,
            high_read,
            low_read,
            state.last_version,
            mood,
            state.blocked,
        )
    return ChatRecord(
        channel,
        low,
        high,
        state.last_seq,
        low_read,
        high_read,
        state.last_version,
        mood,
        state.blocked,
    )
