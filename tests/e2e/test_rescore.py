"""`python -m graph rescore` (`make rescore`) as an operator runs it, on PostgreSQL.

Rows written before the analyzer (migration 0003 leaves them with analyzer
"textblob-1" and no label) are scored again in batches; a kill mid-run loses
nothing and half-writes nothing, and running it again finishes the job.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import LEGACY_ANALYZER, Chat, Message, User
from db.session import create_engine
from graph.domain import sentiment
from tests.support.services import fresh_postgres_database

ROWS = 300
BATCH = 10
TEXTS = ["great, another delay :(", "Can't wait to see you!!!", "See you at six."]


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _legacy_rows(engine: AsyncEngine) -> None:
    """A chat with ROWS messages as the migration left them."""
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        users: list[int] = []
        for name in ("alice", "bob"):
            user_id = await connection.scalar(
                insert(User)
                .values(
                    username=name, username_key=name, password_hash="x", created_at=now
                )
                .returning(User.id)
            )
            assert user_id is not None
            users.append(user_id)
        chat_id = await connection.scalar(
            insert(Chat)
            .values(
                user_low_id=min(users),
                user_high_id=max(users),
                last_seq=ROWS,
                last_version=ROWS,
                created_at=now,
            )
            .returning(Chat.id)
        )
        await connection.execute(
            insert(Message),
            [
                {
                    "chat_id": chat_id,
                    "seq": seq,
                    "sender_id": users[seq % 2],
                    # Senders alternate: each has sent (seq + 1) // 2 by then.
                    "sender_ordinal": (seq + 1) // 2,
                    "version": seq,  # each send took the chat's next version
                    "recipient_id": users[1 - seq % 2],
                    "body": TEXTS[seq % len(TEXTS)],
                    "polarity": 0.0,
                    "subjectivity": 0.0,
                    "created_at": now,
                }
                for seq in range(1, ROWS + 1)
            ],
        )


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    current = sentiment.current_analyzer()
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                Message.analyzer,
                Message.label.is_(None),
                Message.reasons.is_(None),
                func.count(),
            ).group_by(
                Message.analyzer, Message.label.is_(None), Message.reasons.is_(None)
            )
        )
        counts: dict[str, int] = {}
        for analyzer, no_label, no_reasons, count in rows:
            if analyzer == current and not no_label and not no_reasons:
                kind = "rescored"
            elif analyzer == LEGACY_ANALYZER and no_label and no_reasons:
                kind = "legacy"
            else:
                kind = "half-written"
            counts[kind] = counts.get(kind, 0) + count
    return counts


def _command(database_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "APPLY_MIGRATIONS": "false"}
    return subprocess.Popen(
        [sys.executable, "-m", "graph", "rescore", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_killed_rescore_loses_nothing_and_a_second_run_finishes(
    database_url: str, engine: AsyncEngine
) -> None:
    await _legacy_rows(engine)
    assert await _counts(engine) == {"legacy": ROWS}

    first = _command(database_url, "--batch-size", str(BATCH), "--pause", "0.2")
    try:
        assert first.stdout is not None
        line = first.stdout.readline()  # waits for the first committed batch
        assert line.startswith("batch 1: 10 messages rescored with sentichat-"), line
        first.kill()
    finally:
        first.kill()
        first.communicate(timeout=30)  # reaps it and closes its pipes

    midway = await _counts(engine)
    assert "half-written" not in midway
    assert BATCH <= midway["rescored"] < ROWS
    assert midway["rescored"] % BATCH == 0  # whole batches, or none
    assert midway["rescored"] + midway["legacy"] == ROWS

    second = _command(database_url)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    left = ROWS - midway["rescored"]
    assert out.splitlines()[-1].startswith(f"done: {left} messages rescored"), out
    assert await _counts(engine) == {"rescored": ROWS}

    third = _command(database_url)
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert out.splitlines() == [
        f"done: 0 messages rescored with {sentiment.current_analyzer()};"
        " none scored by another analyzer is left"
    ]


async def test_rescored_rows_read_as_a_fresh_send_would_score_them(
    database_url: str, engine: AsyncEngine
) -> None:
    await _legacy_rows(engine)
    done = _command(database_url, "--batch-size", "64")
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err

    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Message.body, Message.label, Message.score).distinct()
        )
        stored = {body: (label, score) for body, label, score in rows}
    for text in TEXTS:
        fresh = sentiment.preview(text)
        assert stored[text] == (fresh.label.value, fresh.score)
