"""Services: the only code that opens sessions, scores sentiment and publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.migrations import upgrade_to_head
from db.session import create_engine, create_sessionmaker
from graph.realtime import EventBus, create_event_bus
from graph.services.accounts import AccountService
from graph.services.chats import ChatService
from graph.services.health import HealthService
from graph.services.messages import MessageService
from graph.services.security import Passwords, Tokens
from graph.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    chats: ChatService
    messages: MessageService
    health: HealthService
    tokens: Tokens
    bus: EventBus


def build_services(
    sessions: async_sessionmaker[AsyncSession], bus: EventBus, settings: Settings
) -> Services:
    tokens = Tokens(settings)
    return Services(
        accounts=AccountService(sessions, Passwords(settings), tokens),
        chats=ChatService(sessions, bus),
        messages=MessageService(sessions, bus, settings),
        health=HealthService(sessions, bus),
        tokens=tokens,
        bus=bus,
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open the database and the event bus, and close them on exit.

    Migrations run first when the settings ask for it (by default on the
    embedded SQLite only; PostgreSQL is migrated with `alembic upgrade head`).
    """
    if settings.migrate_on_start:
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
    engine = create_engine(
        settings.database_url,
        command_timeout=settings.db_command_timeout_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
    )
    bus = create_event_bus(
        settings.broadcast_url,
        prefix=settings.broadcast_prefix,
        timeout=settings.broadcast_timeout_seconds,
        inbox_capacity=settings.subscription_buffer,
    )
    await bus.connect()
    try:
        yield build_services(create_sessionmaker(engine), bus, settings)
    finally:
        await bus.disconnect()
        await engine.dispose()


__all__ = ["Services", "build_services", "open_services"]
