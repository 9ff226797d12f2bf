"""Reaching the real PostgreSQL and Redis the tests run against.

Outside CI a missing service skips the tests that need it, with the reason;
with CI=true it fails them, so a green CI run always exercised both.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.migrations import upgrade_to_head
from db.session import create_engine

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Children first: SQLite deletes in this order.
TABLES = (
    "moderation_log",
    "report",
    "user_block",
    "mood_block",
    "message",
    "chat",
    "user_account",
)


def unavailable(service: str, error: BaseException) -> NoReturn:
    reason = f"{service} is unreachable ({error!r})"
    if IN_CI:
        pytest.fail(f"{reason}; CI=true, so tests that need it fail, never skip")
    pytest.skip(reason)


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, migrated database, dropped afterwards; yields its SQLAlchemy URL."""
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        unavailable("PostgreSQL", exc)
    name = f"sentichat_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(
        drivername="postgresql+asyncpg", database=name
    )
    rendered = url.render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade_to_head, rendered)
        yield rendered
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def require_redis() -> str:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except OSError as exc:
        unavailable("Redis", exc)
    except Exception as exc:  # redis-py's own ConnectionError family
        unavailable("Redis", exc)
    finally:
        await client.aclose()
    return REDIS_URL


async def migrated_sqlite(path: str) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade_to_head, url)
    return url


async def empty_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                joined = ", ".join(TABLES)
                await connection.execute(text(f"TRUNCATE {joined} RESTART IDENTITY"))
            else:
                for table in TABLES:
                    await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await engine.dispose()


async def forget_presence(broadcast_url: str, prefix: str) -> None:
    """Drop the presence kept in Redis under `prefix`: tables emptied between
    tests hand the same user ids out again, and a user's last-seen time must
    not outlive the user."""
    if not broadcast_url.startswith("redis"):
        return  # in memory: it goes with the services
    redis = Redis.from_url(broadcast_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}presence:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()
