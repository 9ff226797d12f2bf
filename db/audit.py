"""The moderation audit log: appended to, read newest first, never changed
(on PostgreSQL a trigger refuses UPDATE and DELETE). Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import aliased

from db.models import ModerationEntry, User
from db.queries import Executor

_MODERATOR = aliased(User)
_TARGET = aliased(User)


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


# Labelled as StoredEntry's fields.
_LOG = (
    select(
        ModerationEntry.id,
        ModerationEntry.action,
        ModerationEntry.moderator_id,
        _MODERATOR.username.label("moderator_name"),
        ModerationEntry.report_id,
        ModerationEntry.target_id,
        _TARGET.username.label("target_name"),
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
    statement = statement.order_by(ModerationEntry.id.desc()).limit(limit)
    rows = (await session.execute(statement)).mappings()
    return [StoredEntry(**row) for row in rows]
