"""The hot statements on asyncpg's own connection: pooled as SQLAlchemy pools
it, replaced when the server closed it, dropped after an outage."""

from __future__ import annotations

import asyncio
import gc
import warnings

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from db import chats, messages, queries
from db.errors import is_unavailable
from db.session import create_sessionmaker, driver_connection
from tests.db.rows import SENTIMENT
from tests.support.services import POSTGRES_ADMIN_URL
from tests.support.waiting import eventually, wait_until


async def _backend_pid(engine: AsyncEngine) -> int:
    async with driver_connection(engine) as connection:
        return int(await connection.fetchval("SELECT pg_backend_pid()"))


async def _terminate(pid: int) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def _chat(engine: AsyncEngine) -> tuple[int, int]:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        alice = await queries.insert_user(session, username="alice", password_hash="-")
        bob = await queries.insert_user(session, username="bob", password_hash="-")
        assert alice is not None
        assert bob is not None
        low, high = sorted((alice.id, bob.id))
        await chats.ensure_chat(session, low, high, requested_by=low)
    return low, high


async def test_the_connection_is_the_pools_and_is_reused(engine: AsyncEngine) -> None:
    assert await _backend_pid(engine) == await _backend_pid(engine)


async def test_a_connection_the_server_closed_in_the_pool_is_replaced_unseen(
    engine: AsyncEngine,
) -> None:
    async with driver_connection(engine) as connection:
        closed_later = connection
        pid = int(await connection.fetchval("SELECT pg_backend_pid()"))
    await _terminate(pid)  # as a restart does to every idle connection
    await wait_until(closed_later.is_closed)

    # No request fails for it: the next checkout opens a new one.
    assert await _backend_pid(engine) != pid


async def test_a_connection_lost_mid_statement_fails_as_an_outage_and_is_dropped(
    engine: AsyncEngine,
) -> None:
    pid = 0

    async def lose_it_mid_statement() -> None:
        nonlocal pid
        async with driver_connection(engine) as connection:
            pid = int(await connection.fetchval("SELECT pg_backend_pid()"))
            await _terminate(pid)
            await connection.fetchval("SELECT 1")

    with pytest.raises(Exception) as caught:  # noqa: PT011 -- the type is asyncpg's
        await lose_it_mid_statement()
    assert is_unavailable(caught.value)
    assert await _backend_pid(engine) != pid


async def test_overflow_connections_are_closed_when_handed_back(
    engine: AsyncEngine,
) -> None:
    # The pool keeps one; the second is its overflow, which it closes as it
    # comes back. Closing waits on the server, so it must not be
    # skipped (left for the collector, an unclosed connection warned of).
    held = asyncio.Event()
    pids: list[int] = []

    async def hold() -> None:
        async with driver_connection(engine) as connection:
            pids.append(int(await connection.fetchval("SELECT pg_backend_pid()")))
            await held.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(2)]
    await wait_until(lambda: len(pids) == 2)
    held.set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await asyncio.gather(*tasks)
        gc.collect()

    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
    assert engine.pool.status().endswith("Current Checked out connections: 0")
    assert await _backend_pid(engine) in pids

    async def only_the_pooled_one_left() -> bool:
        return await _alive(pids) == 1

    await eventually(only_the_pooled_one_left)


async def _alive(pids: list[int]) -> int:
    """How many of these server processes are still there."""
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        query = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])"
        return int(await admin.fetchval(query, pids))
    finally:
        await admin.close()


async def test_a_refused_statement_keeps_its_connection(engine: AsyncEngine) -> None:
    pid = await _backend_pid(engine)
    with pytest.raises(asyncpg.UndefinedTableError):
        async with driver_connection(engine) as connection:
            await connection.fetchval("SELECT * FROM no_such_table")
    assert await _backend_pid(engine) == pid
    async with driver_connection(engine) as connection:
        # Still in autocommit: no transaction was left open by the failure.
        assert await connection.fetchval("SELECT 1") == 1
        assert not connection.is_in_transaction()


async def test_a_store_claims_seqs_in_order_and_names_the_members(
    engine: AsyncEngine,
) -> None:
    low, high = await _chat(engine)
    stored = []
    for n in range(3):
        async with driver_connection(engine) as connection:
            stored.append(
                await messages.store_message(
                    connection,
                    low_id=low,
                    high_id=high,
                    sender_id=low,
                    recipient_id=high,
                    body=f"hello {n}",
                    client_id=f"c{n}",
                    sentiment=SENTIMENT,
                    decays=(0.9, 0.8),
                )
            )
    assert [s.seq for s in stored if s is not None] == [1, 2, 3]
    assert {(s.low_username, s.high_username) for s in stored if s} == {
        ("alice", "bob")
    }
    created = [s.created_at for s in stored if s is not None]
    assert created == sorted(created)
    assert all(moment.tzinfo is not None for moment in created)


async def _store_from_high(
    engine: AsyncEngine, pair: tuple[int, int], body: str, client_id: str
) -> messages.Stored | None:
    low, high = pair
    async with driver_connection(engine) as connection:
        return await messages.store_message(
            connection,
            low_id=low,
            high_id=high,
            sender_id=high,
            recipient_id=low,
            body=body,
            client_id=client_id,
            sentiment=SENTIMENT,
            decays=(0.9, 0.8),
        )


async def test_a_used_client_id_is_an_integrity_error_and_claims_no_seq(
    engine: AsyncEngine,
) -> None:
    pair = await _chat(engine)
    first = await _store_from_high(engine, pair, "first", "once")
    with pytest.raises(IntegrityError):
        await _store_from_high(engine, pair, "again", "once")
    after = await _store_from_high(engine, pair, "next", "next")
    assert first is not None
    assert after is not None
    assert (first.seq, after.seq) == (1, 2)  # the refused insert left no gap


async def test_a_pair_without_a_chat_stores_nothing(engine: AsyncEngine) -> None:
    async with driver_connection(engine) as connection:
        stored = await messages.store_message(
            connection,
            low_id=1,
            high_id=2,
            sender_id=1,
            recipient_id=2,
            body="hello",
            client_id=None,
            sentiment=SENTIMENT,
            decays=(0.9, 0.8),
        )
    assert stored is None
