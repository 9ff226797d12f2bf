"""Redis stopped while two members on two processes exchange messages."""

from __future__ import annotations

import time

from tests.e2e.conftest import eventually_reports
from tests.support.delivery import (
    Ledger,
    Receiver,
    Sender,
    delivery_counts,
    persisted_seqs,
)
from tests.support.figures import record
from tests.support.metrics import scrape
from tests.support.redis_server import RedisServer
from tests.support.remote import open_chat, register, unique
from tests.support.server import Server

ROUNDS = 10  # per phase, each a message from either member


async def test_messages_sent_around_a_redis_outage_arrive_once_in_order(
    outage: tuple[RedisServer, Server, Server, str],
) -> None:
    redis, a, b, database_url = outage
    alice, bob = await register(a, unique("alice")), await register(b, unique("bob"))
    channel = await open_chat(a, alice, bob)
    alices, bobs = Receiver(alice, channel), Receiver(bob, channel)
    await alices.attach(a, after_seq=0)
    await bobs.attach(b, after_seq=0)
    from_alice, from_bob = Sender(alice, channel), Sender(bob, channel)

    def acknowledged() -> set[int]:
        return set(from_alice.acknowledged + from_bob.acknowledged)

    async def exchange(phase: str) -> None:
        for n in range(ROUNDS):
            await from_alice.send(a, f"{phase} {n}: hello from alice")
            await from_bob.send(b, f"{phase} {n}: hello from bob")

    await exchange("before")
    for receiver in (alices, bobs):
        await receiver.until(acknowledged(), timeout=10)

    redis.stop()
    for server in (a, b):
        await eventually_reports(server, "unreachable")
    await exchange("during")  # stored; the publishes are skipped
    during = acknowledged()

    restarted = time.monotonic()
    redis.start()
    for receiver in (alices, bobs):
        await receiver.until(during, timeout=20)
    recovered_in = time.monotonic() - restarted
    for server in (a, b):
        await eventually_reports(server, "ok")

    await exchange("after")
    for receiver in (alices, bobs):
        await receiver.until(acknowledged(), timeout=10)

    ledger = Ledger(
        acknowledged=sorted(acknowledged()),
        persisted=await persisted_seqs(database_url, channel),
        received={"alice": alices.seqs, "bob": bobs.seqs},
    )
    counts = await delivery_counts(a, b)
    reconnects = [
        (await scrape(s.http_url))["sentichat_redis_reconnects_total"] for s in (a, b)
    ]
    record(
        "redis outage",
        sent=from_alice.attempts + from_bob.attempts,
        **ledger.figures(),
        live=counts["live"],
        caught_up=counts["caught_up"],
        gaps=counts["gaps"],
        recovery_seconds=round(recovered_in, 3),
    )
    await alices.close()
    await bobs.close()
    await from_alice.close()
    await from_bob.close()

    assert from_alice.refusals + from_bob.refusals == []
    assert ledger.acknowledged == ledger.persisted == list(range(1, 6 * ROUNDS + 1))
    for name in ("alice", "bob"):
        assert ledger.lost(name) == []
        assert ledger.duplicates(name) == 0
        assert ledger.in_order(name)
    assert counts["caught_up"] >= 2 * 2 * ROUNDS - 2  # the outage's messages
    assert counts["live"] >= 2 * 2 * ROUNDS  # before and after it
    assert reconnects == [1, 1]
    for server in (a, b):
        assert "Traceback" not in server.log()
