"""A statement whose connection the server ends is an outage on every path the
app runs statements on, and that connection is never handed out again.

The paths: Core on an autocommit connection (the message service's reads),
the ORM in a session's transaction (accounts, chats, health), and asyncpg's
own connection (a send's statement).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, NoReturn

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db import messages, queries
from db.errors import is_unavailable
from db.session import autocommit, create_sessionmaker, driver_connection
from tests.db.rows import SENTIMENT
from tests.support.services import POSTGRES_ADMIN_URL
from tests.support.waiting import eventually

Read = Callable[[], Coroutine[Any, Any, object]]
# A way the app runs a statement: the asyncpg connection under it, and the statement.
Route = Callable[[AsyncEngine], AbstractAsyncContextManager[tuple[Any, Read]]]


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def _autocommit_read(engine: AsyncEngine) -> AsyncIterator[tuple[Any, Read]]:
    async with autocommit(engine) as connection:
        raw = await connection.get_raw_connection()
        yield raw.driver_connection, lambda: queries.chat_of_pair(connection, 1, 2)


@asynccontextmanager
async def _session_read(engine: AsyncEngine) -> AsyncIterator[tuple[Any, Read]]:
    async with create_sessionmaker(engine)() as session:
        raw = await (await session.connection()).get_raw_connection()
        yield raw.driver_connection, lambda: queries.get_user(session, 1)


@asynccontextmanager
async def _driver_store(engine: AsyncEngine) -> AsyncIterator[tuple[Any, Read]]:
    async with driver_connection(engine) as driver:
        yield driver, lambda: _store_without_a_chat(driver)


async def _store_without_a_chat(driver: asyncpg.Connection) -> object:
    return await messages.store_message(
        driver,
        low_id=1,
        high_id=2,
        sender_id=1,
        recipient_id=2,
        body="hello",
        client_id=None,
        sentiment=SENTIMENT,
        decays=(0.9, 0.8),
    )


EVERY_PATH = pytest.mark.parametrize(
    "route",
    [_autocommit_read, _session_read, _driver_store],
    ids=["autocommit", "session", "driver"],
)


async def _backend_pid(engine: AsyncEngine) -> int:
    """The backend of the connection the pool hands out next (its only one)."""
    async with autocommit(engine) as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return int(pid)


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = getattr(error, "orig", None) or error.__cause__


@asynccontextmanager
async def _tables_locked(postgres_url: str) -> AsyncIterator[None]:
    """Another session holds the tables, so that a statement on them waits on
    the server: mid-statement for as long as the test needs."""
    url = make_url(postgres_url).set(drivername="postgresql")
    holder = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        async with holder.transaction():
            await holder.execute("LOCK chat, user_account IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await holder.close()


async def _waiting_on_a_lock(admin: asyncpg.Connection, pid: int) -> None:
    async def waiting() -> bool:
        event = await admin.fetchval(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
        )
        return bool(event == "Lock")

    await eventually(waiting, every=0.005)


async def _ended_midway(
    engine: AsyncEngine, route: Route, admin: asyncpg.Connection, pid: int
) -> None:
    async with route(engine) as (_, read):
        running = asyncio.create_task(read())
        await _waiting_on_a_lock(admin, pid)
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        await running


@EVERY_PATH
async def test_a_statement_the_server_ends_midway_is_an_outage_on_a_dropped_connection(
    engine: AsyncEngine, postgres_url: str, admin: asyncpg.Connection, route: Route
) -> None:
    pid = await _backend_pid(engine)
    async with _tables_locked(postgres_url):
        with pytest.raises(Exception) as caught:  # noqa: PT011 -- the path's own type
            await _ended_midway(engine, route, admin, pid)
    assert is_unavailable(caught.value)
    assert await _backend_pid(engine) != pid


def _error_response(**fields: str) -> bytes:
    body = b"".join(f"{code}{value}\0".encode() for code, value in fields.items())
    return b"E" + struct.pack("!i", len(body) + 5) + body + b"\0"


# What the server sends a connection it ends, before it closes the socket.
_TERMINATING = _error_response(
    S="FATAL",
    V="FATAL",
    C="57P01",
    M="terminating connection due to administrator command",
)


async def _ended_with_its_close_unread(driver: Any, admin: asyncpg.Connection) -> None:
    """The server ends the connection, and asyncpg has read its last message
    but not yet the end of the stream: the order a busy event loop can give
    (seen in a quarter to a half of the statements started just after the
    server ended an idle connection).

    Reading is paused so that the server's own bytes stay unread, and
    asyncpg's protocol is handed that same message as the socket would.
    """
    driver._transport.pause_reading()
    assert await admin.fetchval(
        "SELECT pg_terminate_backend($1)", driver.get_server_pid()
    )
    driver._protocol.data_received(_TERMINATING)


async def _run_with_its_close_unread(
    engine: AsyncEngine, route: Route, admin: asyncpg.Connection
) -> None:
    async with route(engine) as (driver, read):
        await _ended_with_its_close_unread(driver, admin)
        await read()


@EVERY_PATH
async def test_asyncpgs_internal_error_on_a_connection_it_closed_is_an_outage(
    engine: AsyncEngine, admin: asyncpg.Connection, route: Route
) -> None:
    pid = await _backend_pid(engine)
    with pytest.raises(Exception) as caught:  # noqa: PT011 -- the path's own type
        await _run_with_its_close_unread(engine, route, admin)
    internal = [
        e for e in _causes(caught.value) if isinstance(e, asyncpg.InternalClientError)
    ]
    assert internal, "asyncpg refused the statement in its own words"
    assert "cannot switch to state" in str(internal[0])
    assert is_unavailable(caught.value)
    assert await _backend_pid(engine) != pid


async def _refuse(*_: object, **__: object) -> NoReturn:
    raise asyncpg.InternalClientError("unknown error in protocol implementation")


async def _run_refused(
    engine: AsyncEngine, route: Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg fails the statement in its own words, its connection still up."""
    async with route(engine) as (_, read):
        with monkeypatch.context() as patched:
            # Every path's statement is looked up here, cached or not.
            patched.setattr(asyncpg.Connection, "_get_statement", _refuse)
            await read()


@EVERY_PATH
async def test_asyncpgs_internal_error_on_a_live_connection_is_a_fault_and_keeps_it(
    engine: AsyncEngine, route: Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await _backend_pid(engine)
    with pytest.raises(Exception) as caught:  # noqa: PT011 -- the path's own type
        await _run_refused(engine, route, monkeypatch)
    assert any(
        isinstance(e, asyncpg.InternalClientError) for e in _causes(caught.value)
    )
    assert not is_unavailable(caught.value)
    assert await _backend_pid(engine) == pid
