"""Services: the only code that opens sessions, scores sentiment and publishes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graph.realtime import EventBus
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
    )


__all__ = ["Services", "build_services"]
