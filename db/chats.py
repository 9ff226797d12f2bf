"""Chats: one per pair of users, with each member's read state.

Unread counts are arithmetic on the chat row (see `db.models.Chat`), so
listing 500 chats or adding up their unread messages reads 500 rows, however
many messages they hold. Nothing here commits: the caller owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import Integer, bindparam, case, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.messages import DriverStatement
from db.models import Chat, Message, User, utcnow
from db.queries import (
    CHAT_MOOD_COLUMNS,
    Executor,
    member_shares,
    member_username,
    upsert,
)


async def ensure_chat(
    session: AsyncSession, low_id: int, high_id: int, *, requested_by: int
) -> ChatState:
    """The pair's chat, created if missing; concurrent callers get the same row.

    `requested_by` is recorded only when this call creates the chat.
    """
    statement = (
        upsert(session, Chat)
        .values(
            user_low_id=low_id,
            user_high_id=high_id,
            requested_by_id=requested_by,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[Chat.user_low_id, Chat.user_high_id])
    )
    await session.execute(statement)
    chat = await chat_state(session, low_id, high_id)
    assert chat is not None, "the chat was just inserted or already there"
    return chat


class ChatState(NamedTuple):
    """A chat with its members' names and its read state, as one row.

    A named tuple: a list of 500 chats makes 500 of these, and a frozen
    dataclass of 14 fields took five times longer to build (1.5 against
    0.3 µs).
    """

    id: int
    user_low_id: int
    user_high_id: int
    requested_by_id: int | None
    last_seq: int
    last_version: int
    low_sent: int
    high_sent: int
    low_read_seq: int
    high_read_seq: int
    low_read_count: int
    high_read_count: int
    low_username: str
    high_username: str
    # db.queries.MoodValues' last ten: whether each member shares their
    # sentiment, and each member's mood parts.
    low_shares: bool
    high_shares: bool
    low_mood_sum: float
    low_mood_weight: float
    low_mood_fast_sum: float
    low_mood_fast_weight: float
    high_mood_sum: float
    high_mood_weight: float
    high_mood_fast_sum: float
    high_mood_fast_weight: float
    # Whether either member blocks the other (db.blocks).
    blocked: bool

    @property
    def mood_values(self) -> tuple[Any, ...]:
        """db.queries.MoodValues, for graph.services.moods.mood_state."""
        return (self.low_sent, self.high_sent, *self[14:24])

    @property
    def low_unread(self) -> int:
        """The high member's messages above the low member's read position."""
        return self.high_sent - self.low_read_count

    @property
    def high_unread(self) -> int:
        return self.low_sent - self.high_read_count


_CHAT_STATE_COLUMNS = (
    Chat.id,
    Chat.user_low_id,
    Chat.user_high_id,
    Chat.requested_by_id,
    Chat.last_seq,
    Chat.last_version,
    Chat.low_sent,
    Chat.high_sent,
    Chat.low_read_seq,
    Chat.high_read_seq,
    Chat.low_read_count,
    Chat.high_read_count,
)
# The names by correlated subqueries, each an index lookup: joins made
# PostgreSQL plan, for a user with many chats, two scans of user_account into
# hash joins (5.6 ms against 1 ms with 10,500 users, by the benchmark's seed).
_CHAT_STATE_TAIL = (
    member_username(Chat.user_low_id),
    member_username(Chat.user_high_id),
    member_shares(Chat.user_low_id),
    member_shares(Chat.user_high_id),
    *CHAT_MOOD_COLUMNS,
    Chat.blocked,
)
_CHAT_STATES = select(*_CHAT_STATE_COLUMNS, *_CHAT_STATE_TAIL)
_CHAT_STATE_OF_PAIR = _CHAT_STATES.where(
    Chat.user_low_id == bindparam("low_id"),
    Chat.user_high_id == bindparam("high_id"),
)
# Both sides of the OR are indexed: (user_low_id, user_high_id) by the
# pair's unique constraint, user_high_id by its own index.
_CHATS_OF_USER = (
    _CHAT_STATES.where(
        or_(
            Chat.user_low_id == bindparam("user_id"),
            Chat.user_high_id == bindparam("user_id"),
        )
    )
    .order_by(Chat.id.desc())
    .limit(bindparam("limit"))
)


def _chat_state(row: Any) -> ChatState:
    return ChatState(*row)


async def chat_state(session: Executor, low_id: int, high_id: int) -> ChatState | None:
    """The pair's chat with its members' names and read state (one Core query)."""
    parameters = {"low_id": low_id, "high_id": high_id}
    row = (await session.execute(_CHAT_STATE_OF_PAIR, parameters)).first()
    return None if row is None else _chat_state(row)


def _chats_of_user_laterally() -> Any:
    """`_CHATS_OF_USER` for PostgreSQL, each member's name and setting from
    one lookup (a LATERAL subquery) rather than one subquery each: with the
    sharing setting, four lookups a chat made a page of 500 take 5.1 ms of
    PostgreSQL's time against 2.0 without it."""
    members = []
    for side in (Chat.user_low_id, Chat.user_high_id):
        member = (
            select(User.username, User.share_sentiment)
            .where(User.id == side)
            # LIMIT 1 keeps the planner from pulling it up into a join.
            .limit(1)
            .correlate(Chat)
            .lateral()
        )
        members.append(member)
    low, high = members
    return (
        select(
            *_CHAT_STATE_COLUMNS,
            low.c.username,
            high.c.username,
            low.c.share_sentiment,
            high.c.share_sentiment,
            *CHAT_MOOD_COLUMNS,
            Chat.blocked,
        )
        .select_from(Chat)
        .join(low, true())
        .join(high, true())
        .where(
            or_(
                Chat.user_low_id == bindparam("user_id"),
                Chat.user_high_id == bindparam("user_id"),
            )
        )
        .order_by(Chat.id.desc())
        .limit(bindparam("limit"))
    )


_CHATS_OF_USER_ON_DRIVER = DriverStatement(_chats_of_user_laterally())


async def list_chats(
    connection: Executor | asyncpg.Connection, user_id: int, *, limit: int
) -> list[ChatState]:
    """The user's newest `limit` chats, newest first, with their read state.

    On asyncpg's own connection (`db.session.driver_connection`) where there
    is one: a page of 500 rows through SQLAlchemy's result layer cost about
    as much again as the query (2.6 against 1.3 ms, on the benchmark's seed).
    """
    parameters = {"user_id": user_id, "limit": limit}
    if isinstance(connection, asyncpg.Connection):
        arguments = _CHATS_OF_USER_ON_DRIVER.arguments(parameters)
        records = await connection.fetch(_CHATS_OF_USER_ON_DRIVER.sql, *arguments)
        return [ChatState(*record) for record in records]
    rows = (await connection.execute(_CHATS_OF_USER, parameters)).all()
    return [_chat_state(row) for row in rows]


_UNREAD_TOTAL = select(
    func.coalesce(
        func.sum(
            case(
                (
                    Chat.user_low_id == bindparam("user_id"),
                    Chat.high_sent - Chat.low_read_count,
                ),
                else_=Chat.low_sent - Chat.high_read_count,
            )
        ),
        0,
    )
).where(
    or_(
        Chat.user_low_id == bindparam("user_id"),
        Chat.user_high_id == bindparam("user_id"),
    )
)


async def unread_total(session: Executor, user_id: int) -> int:
    """The user's unread messages in all their chats: a sum over their chat
    rows, whatever the number of messages."""
    result = await session.execute(_UNREAD_TOTAL, {"user_id": user_id})
    return int(result.scalar_one())


def _mark_read_statement(reader: str) -> Any:
    """Move the `reader` ("low" or "high") member's read position forward.

    One statement: the WHERE admits only a forward move to an existing seq,
    and PostgreSQL re-checks it on the row it locked, so of two concurrent
    calls the lower can never land after the higher. The read count comes
    from the message at the new position: its sender's ordinal, or, when it
    is the reader's own, the rest of the seqs up to it.
    """
    other = "high" if reader == "low" else "low"
    seq = bindparam("seq", type_=Integer)
    read_seq = getattr(Chat, f"{reader}_read_seq")
    at_position = (
        select(
            case(
                (
                    Message.sender_id == getattr(Chat, f"user_{other}_id"),
                    Message.sender_ordinal,
                ),
                else_=seq - Message.sender_ordinal,
            )
        )
        .where(Message.chat_id == Chat.id, Message.seq == seq)
        .correlate(Chat)
        .scalar_subquery()
    )
    return (
        update(Chat)
        .where(
            Chat.user_low_id == bindparam("low_id"),
            Chat.user_high_id == bindparam("high_id"),
            read_seq < seq,
            seq <= Chat.last_seq,
            # No move while blocked: it would reach the other member.
            Chat.blocked.is_(False),
        )
        .values({f"{reader}_read_seq": seq, f"{reader}_read_count": at_position})
        .returning(*_CHAT_STATE_COLUMNS, *_CHAT_STATE_TAIL)
        .execution_options(synchronize_session=False)
    )


_MARK_READ = {reader: _mark_read_statement(reader) for reader in ("low", "high")}


async def mark_read(
    session: Executor, low_id: int, high_id: int, *, reader_id: int, seq: int
) -> ChatState | None:
    """The chat after moving `reader_id`'s position up to `seq`; None when it
    did not move (already there or beyond, `seq` past the newest message, a
    blocked chat, or no such chat: the caller reads the chat to tell which)."""
    statement = _MARK_READ["low" if reader_id == low_id else "high"]
    parameters = {"low_id": low_id, "high_id": high_id, "seq": seq}
    row = (await session.execute(statement, parameters)).first()
    return None if row is None else _chat_state(row)


def _peers_statement(user_id: int, among: Sequence[int] | None) -> Any:
    sides = []
    for mine, theirs in (
        (Chat.user_low_id, Chat.user_high_id),
        (Chat.user_high_id, Chat.user_low_id),
    ):
        side = (
            select(User.id, User.username)
            .join(Chat, User.id == theirs)
            .where(mine == user_id, Chat.blocked.is_(False))
        )
        if among is not None:
            side = side.where(theirs.in_(among))
        sides.append(side)
    return sides[0].union_all(sides[1])


async def peers(
    session: Executor, user_id: int, *, among: Sequence[int] | None = None
) -> dict[int, str]:
    """The users who share a chat with `user_id` (of `among`, if given), by id,
    with their names; not those of a blocked chat, whose presence neither
    member may see."""
    rows = (await session.execute(_peers_statement(user_id, among))).all()
    return {int(row[0]): str(row[1]) for row in rows}
