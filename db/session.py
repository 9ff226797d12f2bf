"""Engine and session factory for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from db.errors import is_unavailable

DATABASE_POOL_SIZE = 10
# Pooled connections found closed at one checkout before using the last one
# anyway (its statement then fails as an outage): after a server restart,
# every idle connection is closed.
_MAX_CLOSED_IN_A_ROW = 2 * DATABASE_POOL_SIZE + 1


def create_engine(
    url: str,
    *,
    command_timeout: float = 10.0,
    connect_timeout: float = 5.0,
    pool_size: int = DATABASE_POOL_SIZE,
) -> AsyncEngine:
    """An engine with bounded waits: no request hangs on a dead database."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": command_timeout})
        _serialise_sqlite_writes(engine)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=connect_timeout,
        # No pre-ping: it costs a round trip on every checkout. A connection
        # found dead fails its request, and the pool then drops every
        # connection older than the failure, so the next request reconnects.
        connect_args={"command_timeout": command_timeout, "timeout": connect_timeout},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _serialise_sqlite_writes(engine: AsyncEngine) -> None:
    """Make SQLite transactions take the write lock up front.

    With pysqlite's deferred BEGIN, two transactions that read and then write
    deadlock into "database is locked"; BEGIN IMMEDIATE queues them instead,
    which is what gives seq numbers in commit order on the embedded default.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def open_connections(engine: AsyncEngine, count: int) -> None:
    """Open `count` pooled connections now, so that the first requests after
    start-up do not each pay for a connection (TCP, TLS negotiation, auth).

    Raises what connecting raises; the caller decides whether that matters.
    """
    if engine.dialect.name == "sqlite":
        return
    connections = []
    try:
        for _ in range(count):
            connections.append(await engine.connect())
    finally:
        for connection in connections:
            await connection.close()


@asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A bare connection in autocommit, for Core statements: no ORM session,
    and no BEGIN, COMMIT or ROLLBACK round trips.

    Each statement is its own transaction and sees its own snapshot: all that
    a read of committed messages by `seq` needs, and what a send's single
    statement (claim, insert) relies on to commit at once.
    """
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg connection itself, for the hottest
    statements (PostgreSQL only): one statement through SQLAlchemy's
    execution layer cost as much CPU again as asyncpg running it.

    The connection is SQLAlchemy's, checked out and back in as any other, and
    runs in asyncpg's autocommit (SQLAlchemy begins no transaction on it). A
    connection the server has closed while it sat in the pool is replaced
    before use; one that fails with an outage, or that the server closed
    under its statement, is dropped from the pool (and the latter's failure
    raised as the outage it is).
    """
    # The pool's own checkout (`raw_connection`), not a Core connection
    # around it: `engine.connect()`, `get_raw_connection()` and the close
    # each crossed into a greenlet and back, three crossings a use against
    # two. Checking back in runs no statement: SQLAlchemy began no
    # transaction on the connection.
    pooled = await engine.raw_connection()
    try:
        for _ in range(_MAX_CLOSED_IN_A_ROW - 1):
            if not _driver(pooled).is_closed():
                break
            pooled.invalidate()  # the next one comes from the pool
            await greenlet_spawn(pooled.close)
            pooled = await engine.raw_connection()
        driver = _driver(pooled)
        try:
            yield driver
        except BaseException as exc:
            lost = driver.is_closed()
            if lost or is_unavailable(exc):
                pooled.invalidate(exc)
            if lost and not is_unavailable(exc):
                # The server ended the connection under the statement, and
                # asyncpg said so in its own words (seen: an InternalClientError
                # "cannot switch to state ..."): an outage all the same.
                raise asyncpg.ConnectionDoesNotExistError(
                    "the database closed the connection"
                ) from exc
            raise
    finally:
        # In a greenlet: the pool closes a connection it has no room for
        # (one of the overflow), and closing awaits the server.
        await greenlet_spawn(pooled.close)


def _driver(pooled: PoolProxiedConnection) -> asyncpg.Connection:
    driver: asyncpg.Connection | None = pooled.driver_connection
    if driver is None:  # only once invalidated, which is followed by close
        raise asyncpg.ConnectionDoesNotExistError("the connection was dropped")
    return driver
