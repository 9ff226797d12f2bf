"""Migration 0006 builds each chat's mood and its 64-message rollups from the
messages already stored, as the sends would have."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from alembic import command
from db.migrations import alembic_config
from db.session import create_engine
from graph.domain.mood import DECAY, FAST_DECAY
from tests.db.conftest import insert_pair

MESSAGES = 150
DELETED = 70


def score_of(seq: int) -> float | None:
    """Every third message by the analyzer, the rest TextBlob's polarity
    (rows from before the analyzer); one deleted, with neither."""
    if seq == DELETED:
        return None
    return ((seq * 37) % 21 - 10) / 10


def sender_of(seq: int) -> int:
    return 1 if seq % 3 else 2


async def _seed(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await insert_pair(connection)
        await connection.execute(
            text(
                "INSERT INTO chat (id, user_low_id, user_high_id, last_seq, "
                "last_version, created_at) VALUES (1, 1, 2, :last, :last, "
                "CURRENT_TIMESTAMP)"
            ),
            {"last": MESSAGES},
        )
        for seq in range(1, MESSAGES + 1):
            score = score_of(seq)
            by_analyzer = seq % 3 == 0 and score is not None
            await connection.execute(
                text(
                    "INSERT INTO message (chat_id, seq, version, sender_id, "
                    "recipient_id, sender_ordinal, body, polarity, subjectivity, "
                    "label, score, confidence, created_at) VALUES (1, :seq, :seq, "
                    ":sender, :recipient, :seq, 'hi', :polarity, 0.5, :label, "
                    ":score, :confidence, CURRENT_TIMESTAMP)"
                ),
                {
                    "seq": seq,
                    "sender": sender_of(seq),
                    "recipient": 3 - sender_of(seq),
                    # An analyzer row's polarity differs from its score: the
                    # score is what counts.
                    "polarity": None
                    if score is None
                    else (0.0 if by_analyzer else score),
                    "label": "NEUTRAL" if by_analyzer else None,
                    "score": score if by_analyzer else None,
                    "confidence": 0.5 if by_analyzer else None,
                },
            )


@pytest.fixture
async def upgraded(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The database seeded at 0005, then upgraded to head."""
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0005")
    engine = create_engine(database_url)
    try:
        await _seed(engine)
        await asyncio.to_thread(command.upgrade, config, "head")
        yield engine
    finally:
        await engine.dispose()


async def test_upgrading_rolls_up_every_64_messages(upgraded: AsyncEngine) -> None:
    async with upgraded.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT block, low_messages, low_scored, low_total, "
                    "high_messages, high_scored, high_total FROM mood_block "
                    "WHERE chat_id = 1 ORDER BY block"
                )
            )
        ).all()

    assert [row[0] for row in rows] == [0, 1, 2]
    for block, *sums in rows:
        seqs = range(block * 64 + 1, min(block * 64 + 64, MESSAGES) + 1)
        expected = []
        for member in (1, 2):
            mine = [seq for seq in seqs if sender_of(seq) == member]
            scores = [score_of(seq) for seq in mine]
            scored = [score for score in scores if score is not None]
            expected += [len(mine), len(scored), pytest.approx(sum(scored))]
        assert sums == expected


async def test_upgrading_weighs_each_members_messages_newest_first(
    upgraded: AsyncEngine,
) -> None:
    async with upgraded.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT low_mood_sum, low_mood_weight, low_mood_fast_sum, "
                    "low_mood_fast_weight, high_mood_sum, high_mood_weight, "
                    "high_mood_fast_sum, high_mood_fast_weight FROM chat"
                )
            )
        ).one()

    expected = []
    for member in (1, 2):
        for decay in (DECAY, FAST_DECAY):
            scored = [
                (seq, score)
                for seq in range(1, MESSAGES + 1)
                if sender_of(seq) == member and (score := score_of(seq)) is not None
            ]
            weights = [decay ** (MESSAGES - seq) for seq, _ in scored]
            total = sum(w * s for w, (_, s) in zip(weights, scored, strict=True))
            expected += [pytest.approx(total), pytest.approx(sum(weights))]
    assert list(row) == expected


async def test_users_share_their_sentiment_after_upgrading(
    upgraded: AsyncEngine,
) -> None:
    async with upgraded.connect() as connection:
        shares = (
            await connection.execute(
                text("SELECT share_sentiment FROM user_account ORDER BY id")
            )
        ).all()

    assert [bool(row[0]) for row in shares] == [True, True]
