"""Fixtures of the persistence tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import create_engine
from tests.support.services import empty_tables


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await empty_tables(postgres_url)
    # One pooled connection, so that "the same connection" is observable.
    engine = create_engine(postgres_url, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()
