"""Reports of messages, with their evidence.

A report keeps its evidence in its own row (the message's text, sentiment
and send time as they were when it was made), so nothing the sender does
later reaches it; reporting again changes the reason and the note only.
Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, select, update
from sqlalchemy.orm import aliased

from db.models import Message, Report, User
from db.queries import SENTIMENT_COLUMNS, Executor, upsert

_REPORTER = aliased(User)
_SENDER = aliased(User)
_RESOLVER = aliased(User)

# A report's evidence columns are named as the message's own.
_EVIDENCE_SENTIMENT = tuple(column.key for column in SENTIMENT_COLUMNS)


@dataclass(frozen=True, slots=True)
class ReportableMessage:
    """A message as its recipient may report it."""

    sender_id: int
    deleted_at: datetime | None
    # The report's evidence columns by name: body, sent_at and the sentiment.
    evidence: dict[str, Any]


_REPORTABLE = select(
    Message.sender_id,
    Message.deleted_at,
    Message.body,
    Message.created_at.label("sent_at"),
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
    row = (await session.execute(_REPORTABLE, parameters)).mappings().first()
    if row is None:
        return None
    evidence = dict(row)
    return ReportableMessage(
        evidence.pop("sender_id"), evidence.pop("deleted_at"), evidence
    )


async def save_report(
    session: Executor,
    message_id: int,
    reporter_id: int,
    message: ReportableMessage,
    *,
    reason: str,
    note: str | None,
    at: datetime,
) -> int:
    """Insert a report with `message`'s evidence, or update the reporter's
    open report of the same message: its reason, note and `updated_at`, never
    its evidence. Its id either way. One statement: two reports racing end
    in one row."""
    statement = (
        upsert(session, Report)
        .values(
            message_id=message_id,
            reporter_id=reporter_id,
            sender_id=message.sender_id,
            reason=reason,
            note=note,
            created_at=at,
            updated_at=at,
            **message.evidence,
        )
        .on_conflict_do_update(
            index_elements=[Report.message_id, Report.reporter_id],
            index_where=Report.resolved_at.is_(None),
            set_={"reason": reason, "note": note, "updated_at": at},
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


# Labelled as StoredReport's fields; the sentiment by its columns' names.
_REPORTS = (
    select(
        Report.id,
        Report.reason,
        Report.note,
        Report.message_id,
        Message.seq,
        Report.reporter_id,
        _REPORTER.username.label("reporter_name"),
        Report.sender_id,
        _SENDER.username.label("sender_name"),
        _SENDER.share_sentiment.label("sender_shares"),
        Report.body,
        Report.sent_at,
        *(getattr(Report, key) for key in _EVIDENCE_SENTIMENT),
        Report.created_at,
        Report.updated_at,
        Report.resolved_at,
        Report.resolved_by_id,
        _RESOLVER.username.label("resolver_name"),
        Report.action,
    )
    .join(Message, Message.id == Report.message_id)
    .join(_REPORTER, _REPORTER.id == Report.reporter_id)
    .join(_SENDER, _SENDER.id == Report.sender_id)
    .outerjoin(_RESOLVER, _RESOLVER.id == Report.resolved_by_id)
)


def _stored_report(row: RowMapping) -> StoredReport:
    fields = dict(row)
    sentiment = tuple(fields.pop(key) for key in _EVIDENCE_SENTIMENT)
    return StoredReport(**fields, sentiment=sentiment)


async def report_by_id(session: Executor, report_id: int) -> StoredReport | None:
    statement = _REPORTS.where(Report.id == report_id)
    row = (await session.execute(statement)).mappings().first()
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
    rows = (await session.execute(statement.limit(limit))).mappings()
    return [_stored_report(row) for row in rows]


async def resolve_open(
    session: Executor, report_id: int, *, moderator_id: int, action: str, at: datetime
) -> bool:
    """Resolve the report if it is still open; whether it was. The row stays
    locked until the commit (on PostgreSQL; SQLite's writers queue for the
    whole database), so a moderator resolving it at the same time waits,
    then finds it resolved."""
    statement = (
        update(Report)
        .where(Report.id == report_id, Report.resolved_at.is_(None))
        .values(resolved_at=at, resolved_by_id=moderator_id, action=action)
        .returning(Report.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None
