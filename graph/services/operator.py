"""The operator's commands (`python -m graph moderators ...`, `users unsuspend`).

Roles are granted only here, never through the API. Each command that
changes something is one transaction with its audit row (no moderator: the
command line). A lifted suspension is then published on the broadcaster when
it is Redis, so that every process lets the user in at once; a server on
`memory://` is another process that no event of this one can reach, and
finds it when it next reads the suspended accounts from the database
(`SUSPENSION_REFRESH_SECONDS`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import audit, moderation
from db.models import MODERATOR_ROLE, USER_ROLE, utcnow
from graph.domain.moderation import AuditAction
from graph.platform.logs import describe
from graph.platform.settings import Settings, is_redis_url
from graph.realtime import EventBus, create_event_bus
from graph.services.container import migrated_engine
from graph.services.moderation import audit_entry

logger = logging.getLogger(__name__)


class UnknownUser(LookupError):
    """No account has this username."""

    def __init__(self, username: str) -> None:
        super().__init__(f"No user is named {username!r}.")


@dataclass(frozen=True, slots=True)
class Outcome:
    username: str  # as registered
    changed: bool  # False: it already was so; nothing written


class Operator:
    def __init__(self, engine: AsyncEngine, bus: EventBus | None) -> None:
        self._engine = engine
        self._bus = bus

    async def add_moderator(self, username: str) -> Outcome:
        return await self._set_role(username, MODERATOR_ROLE, AuditAction.ADD_MODERATOR)

    async def remove_moderator(self, username: str) -> Outcome:
        return await self._set_role(username, USER_ROLE, AuditAction.REMOVE_MODERATOR)

    async def unsuspend(self, username: str) -> Outcome:
        """Lift a suspension: the user may sign in, and their tokens work again."""
        async with self._engine.begin() as connection:
            account = await _account(connection, username)
            changed = await moderation.unsuspend(connection, account.id)
            if changed:
                await _log(connection, AuditAction.UNSUSPEND, account.id)
        if changed and self._bus is not None:
            await self._bus.publish_suspension(account.id, False)
        return Outcome(account.username, changed)

    async def _set_role(self, username: str, role: str, action: AuditAction) -> Outcome:
        async with self._engine.begin() as connection:
            account = await _account(connection, username)
            changed = await moderation.set_role(connection, account.id, role)
            if changed:
                await _log(connection, action, account.id)
        return Outcome(account.username, changed)


async def _account(connection: AsyncConnection, username: str) -> moderation.Account:
    account = await moderation.account_named(connection, username)
    if account is None:
        raise UnknownUser(username)
    return account


async def _log(connection: AsyncConnection, action: AuditAction, user_id: int) -> None:
    entry = audit_entry(action, at=utcnow(), target_id=user_id)
    await audit.log_actions(connection, [entry])


@asynccontextmanager
async def open_operator(settings: Settings) -> AsyncIterator[Operator]:
    """The database (migrated first when the settings say so, as the server
    does) and, on Redis, the broadcaster; both closed on exit."""
    engine = await migrated_engine(settings)
    bus = await _connected_bus(settings)
    try:
        yield Operator(engine, bus)
    finally:
        if bus is not None:
            await bus.disconnect()
        await engine.dispose()


async def _connected_bus(settings: Settings) -> EventBus | None:
    """The broadcaster when it is Redis (None otherwise, or when it cannot be
    reached: the servers then see the change at their next read)."""
    if not is_redis_url(settings.broadcast_url):
        return None
    bus = create_event_bus(
        settings.broadcast_url,
        prefix=settings.broadcast_prefix,
        timeout=settings.broadcast_timeout_seconds,
    )
    try:
        await bus.connect()
    except Exception as exc:  # noqa: BLE001 -- the database change still stands
        logger.warning("broadcaster unreachable (%s): not published", describe(exc))
        return None
    return bus
