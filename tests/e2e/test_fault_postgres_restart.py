"""PostgreSQL restarted mid-stream: clear refusals while down, nothing lost."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.delivery import (
    Ledger,
    Outcome,
    Receiver,
    Sender,
    delivery_counts,
    persisted_seqs,
)
from tests.support.figures import record
from tests.support.postgres_server import PostgresServer
from tests.support.remote import TEST_SECRET, chat_pair, readiness
from tests.support.server import Server
from tests.support.services import require_redis
from tests.support.waiting import eventually

UNAVAILABLE = "The service is temporarily unavailable; try again shortly."
LEAKS = ("asyncpg", "sqlalchemy", "connect", "refused", "errno", "traceback", "127.0")


@pytest.fixture
async def restartable(tmp_path: Path) -> AsyncIterator[tuple[PostgresServer, Server]]:
    redis_url = await require_redis()
    postgres = PostgresServer()
    try:
        postgres.create()
        postgres.start()
        await postgres.migrate()
        env = {
            "DATABASE_URL": postgres.url,
            "BROADCAST_URL": redis_url,
            "BROADCAST_PREFIX": f"pg-restart-{uuid.uuid4().hex[:8]}:",
            "DB_CONNECT_TIMEOUT_SECONDS": "2",
            "DB_COMMAND_TIMEOUT_SECONDS": "5",
            "JWT_SECRET": TEST_SECRET,
        }
        with Server(env, tmp_path / "server.log") as server:
            yield postgres, server
    finally:
        postgres.remove()


async def test_sends_fail_clearly_while_postgres_is_down_and_nothing_is_lost(
    restartable: tuple[PostgresServer, Server],
) -> None:
    postgres, server = restartable
    alice, bob, channel = await chat_pair(server)
    bobs = Receiver(bob, channel)
    await bobs.attach(server, after_seq=0)
    sender = Sender(alice, channel)

    for n in range(20):
        assert (await sender.send(server, f"before {n}")).seq is not None

    postgres.stop("fast")
    down = time.monotonic()
    unanswered: list[tuple[str, str]] = []
    refusals: list[Outcome] = []
    for n in range(10):
        await asyncio.sleep(0.25)  # the sender's pace: the outage spans ~2.5 s
        client_id, text = uuid.uuid4().hex, f"during {n}"
        outcome = await sender.send(server, text, client_id)
        if outcome.seq is None:
            refusals.append(outcome)
            unanswered.append((client_id, text))
    readiness_while_down = (await readiness(server)).json()["database"]

    postgres.start()
    restarted = time.monotonic()
    outage_seconds = restarted - down

    async def retried() -> bool:
        # The client's retry: the same clientIds, so nothing is stored twice.
        while unanswered:
            client_id, text = unanswered[0]
            if (await sender.send(server, text, client_id)).seq is None:
                return False
            unanswered.pop(0)
        return True

    await eventually(retried, timeout=30, every=0.2)
    recovered_in = time.monotonic() - restarted
    for n in range(20):
        assert (await sender.send(server, f"after {n}")).seq is not None
    await bobs.until(set(sender.acknowledged), timeout=20)

    ledger = Ledger(
        acknowledged=sorted(set(sender.acknowledged)),
        persisted=await persisted_seqs(postgres.url, channel),
        received={"bob": bobs.seqs},
    )
    counts = await delivery_counts(server)
    record(
        "postgres restart",
        sent=sender.attempts,
        **ledger.figures(),
        refused_while_down=len(refusals),
        slowest_refusal_seconds=round(max(o.seconds for o in refusals), 3),
        outage_seconds=round(outage_seconds, 3),
        sends_ok_again_after_seconds=round(recovered_in, 3),
        live=counts["live"],
        caught_up=counts["caught_up"],
    )
    await bobs.close()
    await sender.close()

    assert readiness_while_down == "unreachable"
    assert len(refusals) == 10
    for refusal in refusals:
        assert (refusal.status, refusal.code) == (200, "SERVICE_UNAVAILABLE")
        assert refusal.message == UNAVAILABLE
        assert refusal.seconds < 15  # bounded: the connect timeout is 2 s
    assert not any(leak in str(refusals).lower() for leak in LEAKS)
    assert ledger.acknowledged == ledger.persisted == list(range(1, 51))
    assert ledger.lost("bob") == []
    assert ledger.duplicates("bob") == 0
    assert ledger.in_order("bob")
    assert "Traceback" not in server.log()
