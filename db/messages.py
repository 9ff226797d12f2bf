"""The two hottest statements, each one round trip: a send and a history page.

Both are keyed by the chat's pair of users, so neither needs the chat read
first. The statements are built once; their compiled forms are cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import (
    Float,
    Integer,
    String,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.exc import IntegrityError

from db.models import Chat, Message
from db.mood import block_rollup_from
from db.queries import (
    CHAT_MOOD_COLUMNS,
    HIGH_USER,
    LOW_USER,
    MESSAGE_COLUMNS,
    SENTIMENT_TYPES,
    Executor,
    MessageRow,
    MoodValues,
    SentimentColumns,
    sent_counters,
)

_ASYNCPG = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


class DriverStatement:
    """A Core statement compiled once for asyncpg, to run on its connection.

    The SQL is SQLAlchemy's own rendering (`$n` parameters), so the statement
    is still written once, in Core; only its execution skips SQLAlchemy.
    """

    def __init__(self, statement: Any) -> None:
        compiled = statement.compile(dialect=_ASYNCPG)
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # The literals bound in the statement (a `+ 1`, say); a parameter
        # with no value of its own must be given, or KeyError says which.
        self._literals: dict[str, Any] = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if not bind.required
        }

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments: `values` by name, else the literal."""
        literals = self._literals
        return [
            values[name] if name in values else literals[name] for name in self._names
        ]


@dataclass(frozen=True, slots=True)
class Stored:
    """A message just committed: what the database chose for it."""

    id: int
    seq: int
    version: int
    created_at: datetime
    low_username: str
    high_username: str
    mood: MoodValues  # the chat's, with this message in it


def _store_statement() -> Any:
    sender_id = bindparam("sender_id", type_=Integer)
    score = bindparam("score", type_=Float)
    claimed = (
        update(Chat)
        .where(
            Chat.user_low_id == bindparam("low_id", type_=Integer),
            Chat.user_high_id == bindparam("high_id", type_=Integer),
            # A blocked pair's chat takes nothing new, in this statement: the
            # block costs a send no round trip of its own.
            Chat.blocked.is_(False),
        )
        .values(sent_counters(sender_id, score))
        .returning(
            Chat.id,
            Chat.last_seq,
            Chat.last_version,
            Chat.user_low_id,
            Chat.user_high_id,
            Chat.low_sent,
            Chat.high_sent,
            *CHAT_MOOD_COLUMNS,
        )
        .cte("claimed")
    )
    # The sender's count after this message: its ordinal among theirs.
    ordinal = case(
        (claimed.c.user_low_id == sender_id, claimed.c.low_sent),
        else_=claimed.c.high_sent,
    )
    values = select(
        claimed.c.id,
        claimed.c.last_seq,
        claimed.c.last_version,
        sender_id,
        ordinal,
        bindparam("recipient_id", type_=Integer),
        bindparam("body", type_=String),
        bindparam("client_id", type_=String),
        *(bindparam(name, type_=kind) for name, kind in SENTIMENT_TYPES.items()),
        # Evaluated per row of `claimed`, so after the row lock is taken:
        # createdAt follows seq.
        func.clock_timestamp(),
    )
    stored = (
        insert(Message)
        .from_select(
            [
                "chat_id",
                "seq",
                "version",
                "sender_id",
                "sender_ordinal",
                "recipient_id",
                "body",
                "client_id",
                *SENTIMENT_TYPES,
                "created_at",
            ],
            values,
        )
        .returning(
            Message.id,
            Message.chat_id,
            Message.seq,
            Message.version,
            Message.created_at,
        )
        .cte("stored")
    )
    # The message into its 64-message mood rollup: referenced by nothing,
    # so added to the statement explicitly; PostgreSQL runs every
    # data-modifying CTE once, whether read or not.
    rolled = block_rollup_from(stored, claimed, sender_id, score).cte("rolled")
    return (
        select(
            stored.c.id,
            stored.c.seq,
            stored.c.version,
            stored.c.created_at,
            LOW_USER.username,
            HIGH_USER.username,
            claimed.c.low_sent,
            claimed.c.high_sent,
            LOW_USER.share_sentiment,
            HIGH_USER.share_sentiment,
            *(claimed.c[column.key] for column in CHAT_MOOD_COLUMNS),
        )
        .select_from(stored)
        .join(claimed, claimed.c.id == stored.c.chat_id)
        .join(LOW_USER, LOW_USER.id == claimed.c.user_low_id)
        .join(HIGH_USER, HIGH_USER.id == claimed.c.user_high_id)
        .add_cte(rolled)
    )


_STORE = _store_statement()
_STORE_ON_DRIVER = DriverStatement(_STORE)


async def store_message(
    connection: asyncpg.Connection,
    *,
    low_id: int,
    high_id: int,
    sender_id: int,
    recipient_id: int,
    body: str,
    client_id: str | None,
    sentiment: SentimentColumns,
    decays: tuple[float, float],
) -> Stored | None:
    """Claim the pair's next seq and insert the message, in one statement.

    PostgreSQL only (SQLite has no data-modifying CTE), on asyncpg's own
    connection (`db.session.driver_connection`). Run in autocommit, the
    statement is its own transaction: the chat's row lock is held from the
    claim to the commit, so seq order is commit order, and a failure rolls
    both back, leaving no gap: a used clientId fails the unique index, raised
    as SQLAlchemy's IntegrityError like any other refused insert. None when
    the pair has no chat, or its chat is blocked.
    """
    parameters = {
        "low_id": low_id,
        "high_id": high_id,
        "sender_id": sender_id,
        "recipient_id": recipient_id,
        "body": body,
        "client_id": client_id,
        **sentiment,
        "decay": decays[0],
        "fast_decay": decays[1],
    }
    arguments = _STORE_ON_DRIVER.arguments(parameters)
    try:
        row = await connection.fetchrow(_STORE_ON_DRIVER.sql, *arguments)
    except asyncpg.UniqueViolationError as exc:
        raise IntegrityError(_STORE_ON_DRIVER.sql, arguments, exc) from exc
    if row is None:
        return None
    values: tuple[Any, ...] = tuple(row)
    head = cast("tuple[int, int, int, datetime, str, str]", values[:6])
    return Stored(*head, values[6:])


@dataclass(frozen=True, slots=True)
class Page:
    """Messages of a pair's chat, oldest first, with the members' names."""

    rows: Sequence[MessageRow]
    low_username: str
    high_username: str
    # Whether each member shares their sentiment (graph.domain.mood.shows).
    low_shares: bool
    high_shares: bool


def _page_statement(*, after: bool, before: bool) -> Any:
    # The chat's id as a scalar subquery, not the pair on the joined chat:
    # given the pair, PostgreSQL read and sorted every message of the chat
    # (65-77 ms a page at 100,000 messages, by the mood benchmark's seed);
    # given the id, it walks (chat_id, seq) backwards and stops at `limit`
    # (0.2 ms).
    chat_id = (
        select(Chat.id)
        .where(
            Chat.user_low_id == bindparam("low_id", type_=Integer),
            Chat.user_high_id == bindparam("high_id", type_=Integer),
        )
        .correlate(None)
        .scalar_subquery()
    )
    statement = (
        select(
            *MESSAGE_COLUMNS,
            LOW_USER.username,
            HIGH_USER.username,
            LOW_USER.share_sentiment,
            HIGH_USER.share_sentiment,
        )
        .join(Chat, Chat.id == Message.chat_id)
        .join(LOW_USER, LOW_USER.id == Chat.user_low_id)
        .join(HIGH_USER, HIGH_USER.id == Chat.user_high_id)
        .where(Message.chat_id == chat_id)
    )
    if after:
        statement = statement.where(Message.seq > bindparam("after", type_=Integer))
    if before:
        statement = statement.where(Message.seq < bindparam("before", type_=Integer))
    limit = bindparam("limit", type_=Integer)
    return statement.order_by(Message.seq.desc()).limit(limit)


# Built once per combination of bounds: building a statement on every request
# cost about as much as running it.
_PAGES = {
    (after, before): _page_statement(after=after, before=before)
    for after in (False, True)
    for before in (False, True)
}


# The same statements for asyncpg's own connection (PostgreSQL): a page read
# through SQLAlchemy's execution layer and result rows cost 16 % more CPU
# than the same read on the driver (2026-12-06; see `latest_of_pair`).
_PAGES_ON_DRIVER = {
    bounds: DriverStatement(statement) for bounds, statement in _PAGES.items()
}


async def latest_of_pair(
    connection: Executor | asyncpg.Connection,
    low_id: int,
    high_id: int,
    *,
    after: int | None,
    before: int | None,
    limit: int,
) -> Page | None:
    """The newest `limit` messages strictly between the bounds, oldest first.

    None when there are none: the caller tells an empty chat from a missing one.
    On asyncpg's connection (`db.session.driver_connection`) the statement
    skips SQLAlchemy's execution layer; the rows are the same values.
    """
    bounds = (after is not None, before is not None)
    parameters = {
        "low_id": low_id,
        "high_id": high_id,
        "after": after,
        "before": before,
        "limit": limit,
    }
    newest_first: Sequence[Any]
    if isinstance(connection, asyncpg.Connection):
        on_driver = _PAGES_ON_DRIVER[bounds]
        newest_first = await connection.fetch(
            on_driver.sql, *on_driver.arguments(parameters)
        )
    else:
        newest_first = (await connection.execute(_PAGES[bounds], parameters)).all()
    if not newest_first:
        return None
    newest = newest_first[0]
    rows = cast("Sequence[MessageRow]", newest_first[::-1])
    low_name, high_name, low_shares, high_shares = newest[-4:]
    return Page(rows, str(low_name), str(high_name), low_shares, high_shares)
