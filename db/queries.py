"""Every statement Sentichat runs. Each takes the caller's session first.

Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict, cast

from sqlalchemy import (
    Float,
    bindparam,
    case,
    insert,
    literal_column,
    select,
    text,
    tuple_,
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
    """A message's stored sentiment, as columns (graph.domain.sentiment.Scores).

    All None but `analyzer` on a deleted message: its scores are erased.
    """

    polarity: float | None
    subjectivity: float | None
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
# them: its own, its changes', then SENTIMENT_COLUMNS'.
MessageValues = tuple[
    int,
    int,
    int,
    int,
    int,
    str,
    str | None,
    datetime,
    int,
    datetime | None,
    datetime | None,
    str | None,
    float | None,
    float | None,
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
    Message.version,
    Message.edited_at,
    Message.deleted_at,
    Message.reactions,
    *SENTIMENT_COLUMNS,
)
# Where the sentiment columns start in MESSAGE_COLUMNS.
SENTIMENT_AT = len(MESSAGE_COLUMNS) - len(SENTIMENT_COLUMNS)
assert SENTIMENT_AT == 12, "graph.services.feeds.stored_record slices at 12"


def upsert(session: Executor, entity: type[Any]) -> Any:
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL or SQLite)."""
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    if bind.dialect.name == "postgresql":
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
        upsert(session, User)
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


async def set_share_sentiment(
    session: AsyncSession, user_id: int, share: bool
) -> User | None:
    """The user after setting whether they share their sentiment."""
    statement = (
        update(User)
        .where(User.id == user_id)
        .values(share_sentiment=share)
        .returning(User)
        .execution_options(synchronize_session=False)
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


@dataclass(frozen=True, slots=True)
class ChatRow:
    """A chat as messages need it: its head and its members' names."""

    id: int
    user_low_id: int
    user_high_id: int
    last_seq: int
    last_version: int
    low_username: str
    high_username: str
    low_shares: bool
    high_shares: bool
    blocked: bool  # either member blocks the other (db.blocks)


def _chat_row(row: Any) -> ChatRow:
    return ChatRow(*row)


LOW_USER = aliased(User)
HIGH_USER = aliased(User)


def member_username(user_id: Any) -> Any:
    name = select(User.username).where(User.id == user_id)
    return name.correlate(Chat).scalar_subquery()


_CHAT_COLUMNS = (
    select(
        Chat.id,
        Chat.user_low_id,
        Chat.user_high_id,
        Chat.last_seq,
        Chat.last_version,
        LOW_USER.username,
        HIGH_USER.username,
        LOW_USER.share_sentiment,
        HIGH_USER.share_sentiment,
        Chat.blocked,
    )
    .join(LOW_USER, LOW_USER.id == Chat.user_low_id)
    .join(HIGH_USER, HIGH_USER.id == Chat.user_high_id)
)
_CHAT_OF_PAIR = _CHAT_COLUMNS.where(
    Chat.user_low_id == bindparam("low_id"),
    Chat.user_high_id == bindparam("high_id"),
)
# Pairs as row values, `IN ((1, 2), (3, 4))`, on the pair's unique index.
_CHATS_OF_PAIRS = _CHAT_COLUMNS.where(
    tuple_(Chat.user_low_id, Chat.user_high_id).in_(bindparam("pairs", expanding=True))
)


async def chat_of_pair(session: Executor, low_id: int, high_id: int) -> ChatRow | None:
    """The pair's chat with its members' names, in one Core query (no ORM load)."""
    parameters = {"low_id": low_id, "high_id": high_id}
    row = (await session.execute(_CHAT_OF_PAIR, parameters)).first()
    return None if row is None else _chat_row(row)


async def chats_of_pairs(
    session: Executor, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], ChatRow]:
    """`chat_of_pair` for many pairs in one query: the pairs that have a chat."""
    rows = (await session.execute(_CHATS_OF_PAIRS, {"pairs": list(pairs)})).all()
    return {(row[1], row[2]): _chat_row(row) for row in rows}


async def open_chat_exists(session: AsyncSession, low_id: int, high_id: int) -> bool:
    """Whether the pair has a chat that neither member blocks."""
    statement = select(Chat.id).where(
        Chat.user_low_id == low_id,
        Chat.user_high_id == high_id,
        Chat.blocked.is_(False),
    )
    return await session.scalar(statement) is not None


_CHAT_HEAD = select(Chat.last_seq, Chat.last_version, Chat.blocked).where(
    Chat.id == bindparam("chat_id")
)


async def chat_head(session: Executor, chat_id: int) -> tuple[int, int, bool]:
    """The seq of the chat's newest committed message (0 when it has none),
    the version of its latest committed change, and whether it is blocked."""
    result = await session.execute(_CHAT_HEAD, {"chat_id": chat_id})
    seq, version, blocked = result.one()
    return int(seq), int(version), bool(blocked)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A chat's next seq, claimed under its row lock, with its members' names."""

    chat_id: int
    seq: int
    version: int
    sender_ordinal: int
    low_username: str
    high_username: str
    mood: MoodValues


def sent_counters(sender_id: Any, score: Any) -> dict[str, Any]:
    """A send's changes to its chat row: the next seq and version, the
    sender's count, and both members' moods (`mood_terms`)."""
    one: Any = literal_column("1")
    zero: Any = literal_column("0")
    return {
        "last_seq": Chat.last_seq + one,
        "last_version": Chat.last_version + one,
        "low_sent": Chat.low_sent
        + case((Chat.user_low_id == sender_id, one), else_=zero),
        "high_sent": Chat.high_sent
        + case((Chat.user_high_id == sender_id, one), else_=zero),
        **mood_terms(sender_id, score),
    }


SIDES = ("low", "high")
# Per member, in this order: graph.domain.mood.MemberMood's sum, weight,
# fast_sum and fast_weight.
MOOD_PARTS = ("mood_sum", "mood_weight", "mood_fast_sum", "mood_fast_weight")
CHAT_MOOD_COLUMNS = tuple(
    getattr(Chat, f"{side}_{part}") for side in SIDES for part in MOOD_PARTS
)


def mood_terms(sender_id: Any, score: Any) -> dict[str, Any]:
    """A send's change to its chat's moods (graph.domain.mood): every weight
    decays by one message (bind parameters `decay` and `fast_decay`), and
    the sender's means take in `score` at weight 1."""
    decays = {
        "mood": bindparam("decay", type_=Float),
        "mood_fast": bindparam("fast_decay", type_=Float),
    }
    one: Any = literal_column("1.0")
    zero: Any = literal_column("0.0")
    terms: dict[str, Any] = {}
    for side in SIDES:
        mine = getattr(Chat, f"user_{side}_id") == sender_id
        for prefix, decay in decays.items():
            total = getattr(Chat, f"{side}_{prefix}_sum")
            weight = getattr(Chat, f"{side}_{prefix}_weight")
            terms[total.key] = total * decay + case((mine, score), else_=zero)
            terms[weight.key] = weight * decay + case((mine, one), else_=zero)
    return terms


def member_shares(user_id: Any) -> Any:
    """Whether the member shares their sentiment, as a correlated subquery."""
    shares = select(User.share_sentiment).where(User.id == user_id)
    return shares.correlate(Chat).scalar_subquery()


# A chat's mood as stored, as statements return it: how many messages each
# member has written, whether each shares their sentiment, then
# CHAT_MOOD_COLUMNS (graph.services.moods.mood_state reads it).
MoodValues = tuple[Any, ...]


def chat_mood_columns() -> tuple[Any, ...]:
    """MoodValues' columns, on a statement about one chat row."""
    return (
        Chat.low_sent,
        Chat.high_sent,
        member_shares(Chat.user_low_id),
        member_shares(Chat.user_high_id),
        *CHAT_MOOD_COLUMNS,
    )


# Built once: the hot path reuses the statement and its cache key.
_CLAIM_NEXT_SEQ = (
    update(Chat)
    .where(
        Chat.user_low_id == bindparam("low_id"),
        Chat.user_high_id == bindparam("high_id"),
        # A blocked pair's chat takes nothing new: no row, as for no chat.
        Chat.blocked.is_(False),
    )
    .values(sent_counters(bindparam("sender_id"), bindparam("score", type_=Float)))
    .returning(
        Chat.id,
        Chat.last_seq,
        Chat.last_version,
        case(
            (Chat.user_low_id == bindparam("sender_id"), Chat.low_sent),
            else_=Chat.high_sent,
        ),
        member_username(Chat.user_low_id),
        member_username(Chat.user_high_id),
        *chat_mood_columns(),
    )
    .execution_options(synchronize_session=False)
)


async def claim_next_seq(
    session: Executor,
    low_id: int,
    high_id: int,
    sender_id: int,
    *,
    score: float,
    decays: tuple[float, float],
) -> Claimed | None:
    """Number the pair's next message, holding its row lock until commit.

    The lock queues concurrent senders, so seq order is commit order and a
    rolled-back transaction returns its number: no gaps. One statement (the
    members' names come back with the number); None when there is no chat,
    or it is blocked.
    """
    decay, fast_decay = decays
    parameters = {
        "low_id": low_id,
        "high_id": high_id,
        "sender_id": sender_id,
        "score": score,
        "decay": decay,
        "fast_decay": fast_decay,
    }
    row = (await session.execute(_CLAIM_NEXT_SEQ, parameters)).one_or_none()
    if row is None:
        return None
    values: tuple[Any, ...] = tuple(row)
    head = cast("tuple[int, int, int, int, str, str]", values[:6])
    return Claimed(*head, values[6:])


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
        Message.deleted_at.is_(None),
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
        # Scored from the text it had; an edit since stored its own scores
        # (by the current analyzer), and a deleted message has none.
        Message.body == bindparam("scored_body"),
        Message.deleted_at.is_(None),
    )
    .values({name: bindparam(name) for name in SENTIMENT_TYPES})
)


async def store_rescored(
    session: Executor,
    analyzer: str,
    rescored: Sequence[tuple[int, str, SentimentColumns]],
) -> None:
    """Write new sentiment columns where a row still has the text they were
    scored from and is still scored by another analyzer.

    One executemany; a row some other run rescored meanwhile, or that was
    edited or deleted, is left alone.
    """
    parameters = [
        {"message_id": message_id, "current": analyzer, "scored_body": body, **columns}
        for message_id, body, columns in rescored
    ]
    await session.execute(_STORE_RESCORED, parameters)
