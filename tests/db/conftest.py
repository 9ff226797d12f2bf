"""Fixtures of the persistence tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.session import create_engine
from tests.support.services import (
    empty_tables,
    fresh_postgres_database,
    migrated_sqlite,
)


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await empty_tables(postgres_url)
    # One pooled connection, so that "the same connection" is observable.
    engine = create_engine(postgres_url, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of its own at head, for migrations to move up and down."""
    if request.param == "sqlite":
        yield await migrated_sqlite(str(tmp_path / "upgrade.db"))
    else:
        async with fresh_postgres_database() as url:
            yield url


async def insert_pair(connection: AsyncConnection) -> None:
    """Users 1 ("low") and 2 ("high"), in any schema version's columns."""
    for user_id, name in ((1, "low"), (2, "high")):
        await connection.execute(
            text(
                "INSERT INTO user_account (id, username, username_key, "
                "password_hash, created_at) VALUES (:id, :n, :n, 'x', "
                "CURRENT_TIMESTAMP)"
            ),
            {"id": user_id, "n": name},
        )
