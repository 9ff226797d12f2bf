"""Roles and suspensions: who may moderate, and who may not sign in.

Each change says whether it changed anything, so that the caller writes an
audit entry only for a real change. Nothing here commits. (Reports:
db.reports; the audit log: db.audit.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update

from db.models import User
from db.queries import Executor


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
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else Account(**row)


async def role_of(session: Executor, user_id: int) -> str | None:
    role: str | None = await session.scalar(select(User.role).where(User.id == user_id))
    return role


async def set_role(session: Executor, user_id: int, role: str) -> bool:
    """Whether the role changed (False: the user already had it)."""
    return await _changed(session, user_id, User.role != role, role=role)


async def suspend(session: Executor, user_id: int, at: datetime) -> bool:
    """Whether the user was not suspended before (an earlier time is kept)."""
    return await _changed(
        session, user_id, User.suspended_at.is_(None), suspended_at=at
    )


async def unsuspend(session: Executor, user_id: int) -> bool:
    """Whether the user was suspended."""
    return await _changed(
        session, user_id, User.suspended_at.is_not(None), suspended_at=None
    )


async def _changed(
    session: Executor, user_id: int, unless_done: ColumnElement[bool], **values: Any
) -> bool:
    """Set `values` on the user where `unless_done` holds: whether it did."""
    statement = (
        update(User)
        .where(User.id == user_id, unless_done)
        .values(**values)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def suspended_ids(session: Executor) -> set[int]:
    statement = select(User.id).where(User.suspended_at.is_not(None))
    return set((await session.execute(statement)).scalars())
