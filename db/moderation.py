"""Reports, roles, suspensions and the audit log.

A report keeps its evidence in its own row (the message's text, sentiment
and send time as they were), so nothing the sender does later reaches it.
Resolving takes the open reports of one message under row locks, in id
order, so two moderators resolving reports of the same message queue behind
each other instead of deadlocking. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from db.models import Message, ModerationEntry, Report, User
from db.queries import SENTIMENT_COLUMNS, Executor

_REPORTER = aliased(User)
_SENDER = aliased(User)
_RESOLVER = aliased(User)
_MODERATOR = aliased(User)
_TARGET = aliased(User)

# The evidence, in `db.queries.SENTIMENT_COLUMNS` order after the text.
EVIDENCE_SENTIMENT = tuple(column.key for column in SENTIMENT_COLUMNS)


@dataclass(frozen=True, slots=True)
class ReportableMessage:
    """A message as its recipient may report it."""

    sender_id: int
    body: str
    created_at: datetime
    deleted_at: datetime | None
    sentiment: tuple[Any, ...]  # SENTIMENT_COLUMNS' values


_REPORTABLE = select(
    Message.sender_id,
    Message.body,
    Message.created_at,
    Message.deleted_at,
    *SENTIMENT_COLUMNS,
).where(
    Message.id == bindparam("message_id"),
    Message.recipient_id == bindparam("reporter_id"),
)


async def reportable_message(
    session: Executor, message_id: int, reporter_id: int
) -> ReportableMessage | None:
    """The message, if `reporter_id` received it; None otherwise (no such
    message, not theirs, or sent by them)."""
    parameters = {"message_id": message_id, "reporter_id": reporter_id}
    row = (await session.execute(_REPORTABLE, parameters)).first()
    if row is None:
        return None
    values: tuple[Any, ...] = tuple(row)
    sender_id, body, created_at, deleted_at = values[:4]
    return ReportableMessage(sender_id, body, created_at, deleted_at, values[4:])


async def save_report(session: Executor, values: dict[str, Any]) -> int:
    """Insert a report, or update the reporter's open report of the same
    message (reason, note, evidence, `updated_at`); its id either way. One
    statement: two reports racing end in one row."""
    changed = {
        key: value
        for key, value in values.items()
        if key not in ("message_id", "reporter_id", "sender_id", "created_at")
    }
    dialect = postgresql if _dialect(session) == "postgresql" else sqlite
    statement = (
        dialect.insert(Report)
        .values(values)
        .on_conflict_do_update(
            index_elements=[Report.message_id, Report.reporter_id],
            index_where=Report.resolved_at.is_(None),
            set_=changed,
        )
        .returning(Report.id)
    )
    report_id: int = (await session.execute(statement)).scalar_one()
    return report_id


@dataclass(frozen=True, slots=True)
class StoredReport:
    id: int
    reason: str
    note: str | None
    message_id: int
    seq: int
    reporter_id: int
    reporter_name: str
    sender_id: int
    sender_name: str
    sender_shares: bool
    body: str
    sent_at: datetime
    sentiment: tuple[Any, ...]  # SENTIMENT_COLUMNS' values; polarity None: none
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolver_name: str | None
    action: str | None


_REPORTS = (
    select(
        Report.id,
        Report.reason,
        Report.note,
        Report.message_id,
        Message.seq,
        Report.reporter_id,
        _REPORTER.username,
        Report.sender_id,
        _SENDER.username,
        _SENDER.share_sentiment,
        Report.body,
        Report.sent_at,
        *(getattr(Report, key) for key in EVIDENCE_SENTIMENT),
        Report.created_at,
        Report.updated_at,
        Report.resolved_at,
        Report.resolved_by_id,
        _RESOLVER.username,
        Report.action,
    )
    .join(Message, Message.id == Report.message_id)
    .join(_REPORTER, _REPORTER.id == Report.reporter_id)
    .join(_SENDER, _SENDER.id == Report.sender_id)
    .outerjoin(_RESOLVER, _RESOLVER.id == Report.resolved_by_id)
)
_SENTIMENT_AT = 12


def _stored_report(row: Sequence[Any]) -> StoredReport:
    values: tuple[Any, ...] = tuple(row)
    end = _SENTIMENT_AT + len(EVIDENCE_SENTIMENT)
    sentiment = values[_SENTIMENT_AT:end]
    fields: tuple[Any, ...] = (*values[:_SENTIMENT_AT], sentiment, *values[end:])
    return StoredReport(*fields)


async def report_by_id(session: Executor, report_id: int) -> StoredReport | None:
    row = (await session.execute(_REPORTS.where(Report.id == report_id))).first()
    return None if row is None else _stored_report(row)


async def reports_page(
    session: Executor, *, resolved: bool, after: int | None, limit: int
) -> list[StoredReport]:
    """Open reports oldest first (the longest waiting at the top); resolved
    ones newest first. `after`: the last id of the previous page."""
    if resolved:
        statement = _REPORTS.where(Report.resolved_at.is_not(None))
        if after is not None:
            statement = statement.where(Report.id < after)
        statement = statement.order_by(Report.id.desc())
    else:
        statement = _REPORTS.where(Report.resolved_at.is_(None))
        if after is not None:
            statement = statement.where(Report.id > after)
        statement = statement.order_by(Report.id)
    rows = await session.execute(statement.limit(limit))
    return [_stored_report(row) for row in rows]


async def lock_open_reports(session: Executor, message_id: int) -> list[int]:
    """The ids of the message's open reports, locked until the commit (on
    PostgreSQL; SQLite's writers queue for the whole database)."""
    statement = (
        select(Report.id)
        .where(Report.message_id == message_id, Report.resolved_at.is_(None))
        .order_by(Report.id)
        .with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def mark_resolved(
    session: Executor,
    report_ids: Iterable[int],
    *,
    moderator_id: int,
    action: str,
    at: datetime,
) -> None:
    statement = (
        update(Report)
        .where(Report.id.in_(list(report_ids)), Report.resolved_at.is_(None))
        .values(resolved_at=at, resolved_by_id=moderator_id, action=action)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def log_actions(session: Executor, entries: Sequence[dict[str, Any]]) -> None:
    """Append to the audit log: moderator_id, action, report_id, target_id,
    message_id and created_at per entry."""
    if entries:
        await session.execute(insert(ModerationEntry), list(entries))


@dataclass(frozen=True, slots=True)
class StoredEntry:
    id: int
    action: str
    moderator_id: int | None
    moderator_name: str | None
    report_id: int | None
    target_id: int | None
    target_name: str | None
    message_id: int | None
    created_at: datetime


_LOG = (
    select(
        ModerationEntry.id,
        ModerationEntry.action,
        ModerationEntry.moderator_id,
        _MODERATOR.username,
        ModerationEntry.report_id,
        ModerationEntry.target_id,
        _TARGET.username,
        ModerationEntry.message_id,
        ModerationEntry.created_at,
    )
    .outerjoin(_MODERATOR, _MODERATOR.id == ModerationEntry.moderator_id)
    .outerjoin(_TARGET, _TARGET.id == ModerationEntry.target_id)
)


async def log_page(
    session: Executor, *, before: int | None, limit: int
) -> list[StoredEntry]:
    """The audit log, newest first; `before`: the last id of the previous page."""
    statement = _LOG
    if before is not None:
        statement = statement.where(ModerationEntry.id < before)
    rows = await session.execute(
        statement.order_by(ModerationEntry.id.desc()).limit(limit)
    )
    return [StoredEntry(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str
    suspended_at: datetime | None


async def account_named(session: Executor, username: str) -> Account | None:
    """The account of `username`, in any letter case."""
    statement = select(User.id, User.username, User.role, User.suspended_at).where(
        User.username_key == username.lower()
    )
    row = (await session.execute(statement)).first()
    return None if row is None else Account(*row)


async def role_of(session: Executor, user_id: int) -> str | None:
    role: str | None = await session.scalar(select(User.role).where(User.id == user_id))
    return role


async def set_role(session: Executor, user_id: int, role: str) -> bool:
    """Whether the role changed (False: the user already had it)."""
    statement = (
        update(User)
        .where(User.id == user_id, User.role != role)
        .values(role=role)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def suspend(session: Executor, user_id: int, at: datetime) -> bool:
    """Whether the user was not suspended before (an earlier time is kept)."""
    statement = (
        update(User)
        .where(User.id == user_id, User.suspended_at.is_(None))
        .values(suspended_at=at)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def unsuspend(session: Executor, user_id: int) -> bool:
    """Whether the user was suspended."""
    statement = (
        update(User)
        .where(User.id == user_id, User.suspended_at.is_not(None))
        .values(suspended_at=None)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def suspended_ids(session: Executor) -> set[int]:
    statement = select(User.id).where(User.suspended_at.is_not(None))
    return set((await session.execute(statement)).scalars())


def _dialect(session: Executor) -> str:
    if isinstance(session, AsyncConnection):
        return session.dialect.name
    return session.get_bind().dialect.name
