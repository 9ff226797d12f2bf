"""Migration 0005 numbers existing messages as their chat's changes, and its
downgrade keeps what a deleted message left behind readable by the older code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from alembic import command
from db.migrations import alembic_config
from db.session import create_engine
from tests.db.conftest import insert_pair

MESSAGES = 5


async def _seed(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await insert_pair(connection)
        await connection.execute(
            text(
                "INSERT INTO chat (id, user_low_id, user_high_id, last_seq, "
                "low_sent, created_at) VALUES (1, 1, 2, :last, :last, "
                "CURRENT_TIMESTAMP)"
            ),
            {"last": MESSAGES},
        )
        for seq in range(1, MESSAGES + 1):
            await connection.execute(
                text(
                    "INSERT INTO message (chat_id, seq, sender_id, recipient_id, "
                    "sender_ordinal, body, polarity, subjectivity, created_at) "
                    "VALUES (1, :seq, 1, 2, :seq, 'hi', 0.5, 0.5, "
                    "CURRENT_TIMESTAMP)"
                ),
                {"seq": seq},
            )


@pytest.fixture
async def upgraded(database_url: str) -> AsyncIterator[tuple[Config, AsyncEngine]]:
    """The database seeded at 0004, then upgraded to head."""
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0004")
    engine = create_engine(database_url)
    try:
        await _seed(engine)
        await asyncio.to_thread(command.upgrade, config, "head")
        yield config, engine
    finally:
        await engine.dispose()


async def test_upgrading_gives_each_message_its_seq_as_version(
    upgraded: tuple[Config, AsyncEngine],
) -> None:
    _, engine = upgraded
    async with engine.connect() as connection:
        versions = (
            await connection.execute(
                text("SELECT seq, version FROM message ORDER BY seq")
            )
        ).all()
        head = (
            await connection.execute(text("SELECT last_version FROM chat"))
        ).scalar_one()

    assert [tuple(row) for row in versions] == [(n, n) for n in range(1, 6)]
    assert head == MESSAGES


async def test_downgrading_gives_a_deleted_message_neutral_scores(
    upgraded: tuple[Config, AsyncEngine],
) -> None:
    config, engine = upgraded
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE message SET body = '', polarity = NULL, "
                "subjectivity = NULL, deleted_at = CURRENT_TIMESTAMP, "
                "version = 6 WHERE seq = 2"
            )
        )
    await asyncio.to_thread(command.downgrade, config, "0004")
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT body, polarity, subjectivity FROM message ORDER BY seq")
            )
        ).all()
    await asyncio.to_thread(command.upgrade, config, "head")

    assert tuple(rows[1]) == ("", 0, 0)
    assert tuple(rows[0]) == ("hi", 0.5, 0.5)
