"""The process holding a subscription is killed; the client resumes elsewhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.support.delivery import (
    Ledger,
    Receiver,
    Sender,
    delivery_counts,
    persisted_seqs,
)
from tests.support.figures import record
from tests.support.remote import chat_pair
from tests.support.server import Server

MESSAGES = 150


@pytest.fixture
def pair_of_servers(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    logs = tmp_path_factory.mktemp("killed")
    with (
        Server(cluster_env, logs / "survivor.log") as survivor,
        Server(cluster_env, logs / "victim.log") as victim,
    ):
        yield survivor, victim


async def test_a_client_resumes_on_another_process_with_every_message_once(
    pair_of_servers: tuple[Server, Server], cluster_env: dict[str, str]
) -> None:
    survivor, victim = pair_of_servers
    alice, bob, channel = await chat_pair(survivor)
    bobs = Receiver(bob, channel)
    await bobs.attach(victim, after_seq=0)
    sender = Sender(alice, channel)

    async def keep_sending() -> None:
        for n in range(MESSAGES):
            outcome = await sender.send(survivor, f"message {n}, steady and calm")
            assert outcome.seq is not None, outcome

    sending = asyncio.create_task(keep_sending())
    await bobs.until(set(range(1, 31)), timeout=20)
    live_before_kill = (await delivery_counts(victim))["live"]

    victim.kill()
    killed = time.monotonic()
    await bobs.until_disconnected(timeout=10)
    received_before = len(bobs.seqs)
    await bobs.attach(survivor, after_seq=bobs.last_seq)
    resumed_in = time.monotonic() - killed

    await sending
    await bobs.until(set(sender.acknowledged), timeout=20)
    ledger = Ledger(
        acknowledged=sender.acknowledged,
        persisted=await persisted_seqs(cluster_env["DATABASE_URL"], channel),
        received={"bob": bobs.seqs},
    )
    counts = await delivery_counts(survivor)
    record(
        "process killed (SIGKILL)",
        sent=sender.attempts,
        **ledger.figures(),
        received_before_kill=received_before,
        live_before_kill=live_before_kill,
        live_after=counts["live"],
        caught_up_after=counts["caught_up"],
        resubscribed_seconds=round(resumed_in, 3),
    )
    await bobs.close()
    await sender.close()

    assert ledger.acknowledged == ledger.persisted == list(range(1, MESSAGES + 1))
    assert ledger.lost("bob") == []
    assert ledger.duplicates("bob") == 0
    assert ledger.in_order("bob")
    assert bobs.sessions == 2
    assert "Traceback" not in survivor.log()
