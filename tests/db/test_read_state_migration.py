"""Migration 0004 fills the read state of chats that existed before it."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from alembic import command
from db.migrations import alembic_config
from db.session import create_engine
from tests.db.conftest import insert_pair

# Who sent each seq of the one chat: user 1 is the low member, 2 the high.
SENDERS = [1, 1, 2, 1, 2, 2, 2, 1]


async def test_upgrading_numbers_each_senders_messages_and_counts_them(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0003")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await insert_pair(connection)
            await connection.execute(
                text(
                    "INSERT INTO chat (id, user_low_id, user_high_id, last_seq, "
                    "created_at) VALUES (1, 1, 2, :last, CURRENT_TIMESTAMP)"
                ),
                {"last": len(SENDERS)},
            )
            for seq, sender in enumerate(SENDERS, start=1):
                await connection.execute(
                    text(
                        "INSERT INTO message (chat_id, seq, sender_id, recipient_id, "
                        "body, polarity, subjectivity, created_at) VALUES "
                        "(1, :seq, :sender, :recipient, 'hi', 0, 0, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"seq": seq, "sender": sender, "recipient": 3 - sender},
                )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            ordinals = (
                await connection.execute(
                    text("SELECT sender_ordinal FROM message ORDER BY seq")
                )
            ).scalars()
            counters = (
                await connection.execute(
                    text(
                        "SELECT low_sent, high_sent, low_read_seq, high_read_seq, "
                        "low_read_count, high_read_count FROM chat"
                    )
                )
            ).one()
    finally:
        await engine.dispose()

    assert list(ordinals) == [1, 2, 1, 3, 2, 3, 4, 4]
    # Everything from before the upgrade counts as read: no flood of badges.
    assert tuple(counters) == (4, 4, 8, 8, 4, 4)
