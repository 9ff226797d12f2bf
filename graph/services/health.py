"""Readiness: can this process reach its database and its broadcast backend?"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from graph.realtime import EventBus

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Readiness:
    database: bool
    broadcast: bool

    @property
    def ready(self) -> bool:
        return self.database and self.broadcast


class HealthService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        timeout: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._timeout = timeout

    async def readiness(self) -> Readiness:
        database, broadcast = await asyncio.gather(
            self._within(self._ping_database(), "database"),
            self._within(self._bus.ping(), "broadcast"),
        )
        return Readiness(database=database, broadcast=broadcast)

    async def _ping_database(self) -> bool:
        async with self._sessions() as session:
            await queries.ping(session)
        return True

    async def _within(self, check: Awaitable[bool], name: str) -> bool:
        try:
            return bool(await asyncio.wait_for(check, self._timeout))
        except Exception as exc:  # noqa: BLE001 -- any failure means "not ready"
            logger.warning("readiness: %s unreachable: %r", name, exc)
            return False
