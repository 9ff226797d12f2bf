"""The services, built from the settings: opened at start-up, closed at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrations import upgrade_to_head
from db.session import (
    DATABASE_POOL_SIZE,
    create_engine,
    create_sessionmaker,
    open_connections,
)
from graph.platform.logs import describe
from graph.platform.ratelimit import RateLimiter, create_rate_limiter
from graph.platform.settings import Settings
from graph.realtime import EventBus, create_event_bus
from graph.realtime.pusher import Backoff, PusherClient, PusherConfig, PusherFanout
from graph.services.accounts import AccountService
from graph.services.activity import ActivityService
from graph.services.blocks import BlockService
from graph.services.changes import ChangeService
from graph.services.channel_auth import ChannelAuthService
from graph.services.chats import ChatService
from graph.services.health import HealthService
from graph.services.messages import MessageService
from graph.services.moderation import ModerationService
from graph.services.moods import MoodService
from graph.services.presence import PresenceService
from graph.services.publishing import Publisher
from graph.services.security import Passwords, Tokens
from graph.services.sentiment import SentimentService
from graph.services.suspensions import Suspensions, SuspensionWatcher
from graph.services.throttle import Throttle

logger = logging.getLogger(__name__)

# A rate-limit check is on the path of every login and send: past this, the
# process limits on its own rather than wait for Redis.
RATE_LIMIT_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    chats: ChatService
    messages: MessageService
    changes: ChangeService
    activity: ActivityService
    blocks: BlockService
    moods: MoodService
    presence: PresenceService
    sentiment: SentimentService
    health: HealthService
    moderation: ModerationService
    # This process's set of suspended accounts, checked on every request.
    suspensions: Suspensions
    tokens: Tokens
    passwords: Passwords
    throttle: Throttle
    bus: EventBus
    # Both None unless the PUSHER_* settings are present.
    pusher: PusherFanout | None = None
    channel_auth: ChannelAuthService | None = None


def build_services(
    engine: AsyncEngine,
    bus: EventBus,
    settings: Settings,
    limiter: RateLimiter,
    pusher: PusherFanout | None = None,
) -> Services:
    sessions = create_sessionmaker(engine)
    tokens = Tokens(settings)
    passwords = Passwords(settings)
    throttle = Throttle(limiter, settings)
    publisher = Publisher(bus, pusher)
    sentiment = SentimentService(throttle, settings)
    changes = ChangeService(engine, bus, publisher, throttle, sentiment, settings)
    suspensions = Suspensions()
    channel_auth = None
    if pusher is not None:
        channel_auth = ChannelAuthService(
            sessions, tokens, throttle, pusher.client, suspensions
        )
    return Services(
        accounts=AccountService(sessions, passwords, tokens, throttle),
        chats=ChatService(engine, sessions, bus, publisher, throttle),
        messages=MessageService(engine, bus, publisher, throttle, sentiment, settings),
        changes=changes,
        activity=ActivityService(sessions, bus, throttle, settings),
        blocks=BlockService(sessions, bus, throttle),
        moods=MoodService(engine),
        presence=PresenceService(sessions, bus),
        sentiment=sentiment,
        health=HealthService(sessions, bus),
        moderation=ModerationService(engine, changes, suspensions, bus, throttle),
        suspensions=suspensions,
        tokens=tokens,
        passwords=passwords,
        throttle=throttle,
        bus=bus,
        pusher=pusher,
        channel_auth=channel_auth,
    )


def create_pusher_fanout(settings: Settings) -> PusherFanout | None:
    """The Pusher fan-out the settings ask for, or None (nothing runs)."""
    config = PusherConfig.from_settings(settings)
    if config is None:
        if settings.pusher_cluster or settings.pusher_host:
            logger.warning(
                "PUSHER_CLUSTER or PUSHER_HOST is set but the credentials are not "
                "(PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET): Pusher stays off"
            )
        return None
    logger.info("Pusher fan-out on: app %s at %s", config.app_id, config.base_url)
    client = PusherClient(config, max_connections=settings.pusher_workers)
    return PusherFanout(
        client,
        capacity=settings.pusher_queue_size,
        workers=settings.pusher_workers,
        batch_size=settings.pusher_batch_size,
        max_attempts=settings.pusher_max_attempts,
        backoff=Backoff(
            base=settings.pusher_retry_base_seconds,
            cap=settings.pusher_retry_max_seconds,
        ),
    )


async def migrated_engine(settings: Settings) -> AsyncEngine:
    """The settings' database, with their timeouts; migrated first when the
    settings ask for it (by default on the embedded SQLite only). The server
    and each command line (`rescore`, the operator's) open it so."""
    if settings.migrate_on_start:
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
    return create_engine(
        settings.database_url,
        command_timeout=settings.db_command_timeout_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open the database and the event bus, and close them on exit.

    Migrations run first when the settings ask for it (by default on the
    embedded SQLite only; PostgreSQL is migrated with `alembic upgrade head`).
    Whatever was opened is closed, in reverse order, also when a later step
    of start-up fails.
    """
    engine = await migrated_engine(settings)
    async with AsyncExitStack() as opened:
        opened.push_async_callback(engine.dispose)
        try:
            await open_connections(engine, DATABASE_POOL_SIZE)
        except (OSError, TimeoutError, SQLAlchemyError) as exc:
            # Not fatal: the process starts, /readyz says the database is
            # down, and connections are made on demand once it is back.
            logger.warning("could not open database connections: %s", describe(exc))
        bus = create_event_bus(
            settings.broadcast_url,
            prefix=settings.broadcast_prefix,
            timeout=settings.broadcast_timeout_seconds,
            inbox_capacity=settings.subscription_buffer,
            presence_ttl=settings.presence_ttl_seconds,
        )
        await bus.connect()
        opened.push_async_callback(bus.disconnect)
        limiter = create_rate_limiter(
            settings.broadcast_url,
            prefix=settings.broadcast_prefix,
            timeout=min(settings.broadcast_timeout_seconds, RATE_LIMIT_TIMEOUT_SECONDS),
        )
        opened.push_async_callback(limiter.close)
        pusher = create_pusher_fanout(settings)
        if pusher is not None:
            await pusher.start()
            opened.push_async_callback(pusher.stop, settings.pusher_drain_seconds)
        services = build_services(engine, bus, settings, limiter, pusher)
        opened.callback(services.passwords.close)
        watcher = SuspensionWatcher(
            engine,
            bus,
            services.suspensions,
            refresh_seconds=settings.suspension_refresh_seconds,
        )
        await watcher.start(wait=settings.broadcast_timeout_seconds)
        opened.push_async_callback(watcher.stop)
        yield services
