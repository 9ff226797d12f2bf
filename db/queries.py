"""Every statement Sentichat runs. Each takes the caller's session first.

Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict, cast

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from db.models import Chat, Message, User, utcnow

# The hot message statements are Core and run on a bare connection (no ORM
# session to set up); the rest take an ORM session.
Executor = AsyncSession | AsyncConnection


class SentimentColumns(TypedDict):
    """A message's stored sentiment, as columns (graph.domain.sentiment.Scores)."""

    polarity: float
    subjectivity: float
    label: str | None
    score: float | None
    confidence: float | None
    reasons: str | None  # JSON: [[text, weight], ...]
    analyzer: str


SENTIMENT_COLUMNS = (
    Message.polarity,
    Message.subjectivity,
    Message.label,
    Message.score,
    Message.confidence,
    Message.reasons,
    Message.analyzer,
)
# The SQL types of the sentiment columns, by name, for statements' bind
# parameters.
SENTIMENT_TYPES = {column.key: column.type for column in SENTIMENT_COLUMNS}


class MessageRow(Protocol):
    """A stored message as read: plain columns, no ORM instance (reads are hot)."""

    @property
    def id(self) -> int: ...
    @property
    def chat_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def sender_id(self) -> int: ...
    @property
    def recipient_id(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    def __getitem__(self, index: slice) -> tuple[Any, ...]: ...


# A message's columns in MESSAGE_COLUMNS' order, as `message_values` gives
# them: its own, then SENTIMENT_COLUMNS'.
MessageValues = tuple[
    int,
    int,
    int,
    int,
    int,
    str,
    str | None,
    datetime,
    float,
    float,
    str | None,
    float | None,
    float | None,
    str | None,
    str,
]


def message_values(row: MessageRow) -> MessageValues:
    """The row's columns by position: a Row's attribute lookups cost several
    times more, and a page reads fifty rows."""
    return cast("MessageValues", row[: len(MESSAGE_COLUMNS)])


MESSAGE_COLUMNS = (
    Message.id,
    Message.chat_id,
    Message.seq,
    Message.sender_id,
    Message.recipient_id,
    Message.body,
    Message.client_id,
    Message.created_at,
    *SENTIMENT_COLUMNS,
)


def _upsert_insert(session: AsyncSession, entity: type[Any]) -> Any:
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


async def ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    statement = select(User).where(User.username_key == username.lower())
    return await session.scalar(statement)


async def insert_user(
    session: AsyncSession, *, username: str, password_hash: str
) -> User | None:
    """The new user, or None when the username is taken in any letter case."""
    statement = (
        _upsert_insert(session, User)
        .values(
            username=username,
            username_key=username.lower(),
            password_hash=password_hash,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[User.username_key])
        .returning(User)
    )
    user: User | None = await session.scalar(statement)
    return user


async def list_users_except(
    session: AsyncSession, user_id: int, *, after: str | None, limit: int
) -> Sequence[User]:
    """Up to `limit` users but `user_id`, by username, after `after` (any case)."""
    statement = select(User).where(User.id != user_id)
    if after is not None:
        statement = statement.where(User.username_key > after.lower())
    statement = statement.order_by(User.username_key).limit(limit)
    return (await session.scalars(statement)).all()


async def ensure_chat(
    session: AsyncSession, low_id: int, high_id: int, *, requested_by: int
) -> ChatState:
    """The pair's chat, created if missing; concurrent callers get the same row.

    `requested_by` is recorded only when this call creates the chat.
    """
    statement = (
        _upsert_insert(session, Chat)
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


@dataclass(frozen=True, slots=True)
class ChatRow:
    """A chat as messages need it: its head and its members' names."""

    id: int
    user_low_id: int
    user_high_id: int
    last_seq: int
    low_username: str
    high_username: str


LOW_USER = aliased(User)
HIGH_USER = aliased(User)


def _username(user_id: Any) -> Any:
    name = select(User.username).where(User.id == user_id)
    return name.correlate(Chat).scalar_subquery()


_CHAT_OF_PAIR = (
    select(
        Chat.id,
        Chat.user_low_id,
        Chat.user_high_id,
        Chat.last_seq,
        LOW_USER.username,
        HIGH_USER.username,
    )
    .join(LOW_USER, LOW_USER.id == Chat.user_low_id)
    .join(HIGH_USER, HIGH_USER.id == Chat.user_high_id)
    .where(
        Chat.user_low_id == bindparam("low_id"),
        Chat.user_high_id == bindparam("high_id"),
    )
)


async def chat_of_pair(session: Executor, low_id: int, high_id: int) -> ChatRow | None:
    """The pair's chat with its members' names, in one Core query (no ORM load)."""
    parameters = {"low_id": low_id, "high_id": high_id}
    row = (await session.execute(_CHAT_OF_PAIR, parameters)).first()
    return None if row is None else ChatRow(*row)


async def chat_exists(session: AsyncSession, low_id: int, high_id: int) -> bool:
    statement = select(Chat.id).where(
        Chat.user_low_id == low_id, Chat.user_high_id == high_id
    )
    return await session.scalar(statement) is not None


@dataclass(frozen=True, slots=True)
class ChatState:
    """A chat with its members' names and its read state, as one row."""

    id: int
    user_low_id: int
    user_high_id: int
    requested_by_id: int | None
    last_seq: int
    low_sent: int
    high_sent: int
    low_read_seq: int
    high_read_seq: int
    low_read_count: int
    high_read_count: int
    low_username: str
    high_username: str

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
    Chat.low_sent,
    Chat.high_sent,
    Chat.low_read_seq,
    Chat.high_read_seq,
    Chat.low_read_count,
    Chat.high_read_count,
)
_CHAT_STATES = (
    select(*_CHAT_STATE_COLUMNS, LOW_USER.username, HIGH_USER.username)
    .join(LOW_USER, LOW_USER.id == Chat.user_low_id)
    .join(HIGH_USER, HIGH_USER.id == Chat.user_high_id)
)
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


async def list_chats(session: Executor, user_id: int, *, limit: int) -> list[ChatState]:
    """The user's newest `limit` chats, newest first, with their read state."""
    parameters = {"user_id": user_id, "limit": limit}
    rows = (await session.execute(_CHATS_OF_USER, parameters)).all()
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
        )
        .values({f"{reader}_read_seq": seq, f"{reader}_read_count": at_position})
        .returning(
            *_CHAT_STATE_COLUMNS,
            _username(Chat.user_low_id),
            _username(Chat.user_high_id),
        )
        .execution_options(synchronize_session=False)
    )


_MARK_READ = {reader: _mark_read_statement(reader) for reader in ("low", "high")}


async def mark_read(
    session: Executor, low_id: int, high_id: int, *, reader_id: int, seq: int
) -> ChatState | None:
    """The chat after moving `reader_id`'s position up to `seq`; None when it
    did not move (already there or beyond, `seq` past the newest message, or
    no such chat: the caller reads the chat to tell which)."""
    statement = _MARK_READ["low" if reader_id == low_id else "high"]
    parameters = {"low_id": low_id, "high_id": high_id, "seq": seq}
    row = (await session.execute(statement, parameters)).first()
    return None if row is None else _chat_state(row)


_CHAT_HEAD = select(Chat.last_seq).where(Chat.id == bindparam("chat_id"))


async def chat_head(session: Executor, chat_id: int) -> int:
    """The seq of the chat's newest committed message (0 when it has none)."""
    result = await session.execute(_CHAT_HEAD, {"chat_id": chat_id})
    head: int = result.scalar_one()
    return head


@dataclass(frozen=True, slots=True)
class Claimed:
    """A chat's next seq, claimed under its row lock, with its members' names."""

    chat_id: int
    seq: int
    sender_ordinal: int
    low_username: str
    high_username: str


def sent_counters(sender_id: Any) -> dict[str, Any]:
    """A send's changes to its chat row: the next seq, and the sender's count."""
    one: Any = literal_column("1")
    zero: Any = literal_column("0")
    return {
        "last_seq": Chat.last_seq + one,
        "low_sent": Chat.low_sent
        + case((Chat.user_low_id == sender_id, one), else_=zero),
        "high_sent": Chat.high_sent
        + case((Chat.user_high_id == sender_id, one), else_=zero),
    }


# Built once: the hot path reuses the statement and its cache key.
_CLAIM_NEXT_SEQ = (
    update(Chat)
    .where(
        Chat.user_low_id == bindparam("low_id"),
        Chat.user_high_id == bindparam("high_id"),
    )
    .values(sent_counters(bindparam("sender_id")))
    .returning(
        Chat.id,
        Chat.last_seq,
        case(
            (Chat.user_low_id == bindparam("sender_id"), Chat.low_sent),
            else_=Chat.high_sent,
        ),
        _username(Chat.user_low_id),
        _username(Chat.user_high_id),
    )
    .execution_options(synchronize_session=False)
)


async def claim_next_seq(
    session: Executor, low_id: int, high_id: int, sender_id: int
) -> Claimed | None:
    """Number the pair's next message, holding its row lock until commit.

    The lock queues concurrent senders, so seq order is commit order and a
    rolled-back transaction returns its number: no gaps. One statement (the
    members' names come back with the number); None when there is no chat.
    """
    parameters = {"low_id": low_id, "high_id": high_id, "sender_id": sender_id}
    row = (await session.execute(_CLAIM_NEXT_SEQ, parameters)).one_or_none()
    return None if row is None else Claimed(*row)


async def find_message_by_client_id(
    session: Executor, sender_id: int, client_id: str
) -> MessageRow | None:
    statement = select(*MESSAGE_COLUMNS).where(
        Message.sender_id == sender_id, Message.client_id == client_id
    )
    row = (await session.execute(statement)).first()
    return None if row is None else cast("MessageRow", row)


_INSERT_MESSAGE = insert(Message).returning(Message.id)


async def insert_message(session: Executor, **values: Any) -> int:
    """Insert one message (a Core INSERT ... RETURNING id); its new id."""
    message_id: int = (await session.execute(_INSERT_MESSAGE, values)).scalar_one()
    return message_id


_MESSAGES_AFTER = (
    select(*MESSAGE_COLUMNS)
    .where(Message.chat_id == bindparam("chat_id"), Message.seq > bindparam("after"))
    .order_by(Message.seq)
    .limit(bindparam("limit"))
)


async def messages_after(
    session: Executor, chat_id: int, *, after: int, limit: int
) -> Sequence[MessageRow]:
    """Up to `limit` messages with seq > after, oldest first."""
    parameters = {"chat_id": chat_id, "after": after, "limit": limit}
    result = await session.execute(_MESSAGES_AFTER, parameters)
    return cast("Sequence[MessageRow]", result.all())


_SCORED_BY_OTHERS = (
    select(Message.id, Message.body)
    .where(
        Message.id > bindparam("after_id"),
        Message.analyzer != bindparam("analyzer"),
    )
    .order_by(Message.id)
    .limit(bindparam("limit"))
)


async def messages_scored_by_others(
    session: Executor, analyzer: str, *, after_id: int, limit: int
) -> Sequence[tuple[int, str]]:
    """(id, body) of up to `limit` messages after `after_id` not by `analyzer`."""
    parameters = {"analyzer": analyzer, "after_id": after_id, "limit": limit}
    result = await session.execute(_SCORED_BY_OTHERS, parameters)
    return [(int(row[0]), str(row[1])) for row in result]


_STORE_RESCORED = (
    update(Message)
    .where(
        Message.id == bindparam("message_id"),
        Message.analyzer != bindparam("current"),
    )
    .values({name: bindparam(name) for name in SENTIMENT_TYPES})
)


async def store_rescored(
    session: Executor,
    analyzer: str,
    rescored: Sequence[tuple[int, SentimentColumns]],
) -> None:
    """Write new sentiment columns where a row is still scored by another analyzer.

    One executemany; a row some other run rescored meanwhile is left alone.
    """
    parameters = [
        {"message_id": message_id, "current": analyzer, **columns}
        for message_id, columns in rescored
    ]
    await session.execute(_STORE_RESCORED, parameters)


def _peers_statement(user_id: int, among: Sequence[int] | None) -> Any:
    sides = []
    for mine, theirs in (
        (Chat.user_low_id, Chat.user_high_id),
        (Chat.user_high_id, Chat.user_low_id),
    ):
        side = (
            select(User.id, User.username)
            .join(Chat, User.id == theirs)
            .where(mine == user_id)
        )
        if among is not None:
            side = side.where(theirs.in_(among))
        sides.append(side)
    return sides[0].union_all(sides[1])


async def peers(
    session: Executor, user_id: int, *, among: Sequence[int] | None = None
) -> dict[int, str]:
    """The users who share a chat with `user_id` (of `among`, if given), by id,
    with their names."""
    rows = (await session.execute(_peers_statement(user_id, among))).all()
    return {int(row[0]): str(row[1]) for row in rows}
