"""A subscriber that stops reading while 10,000 messages flow."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.support.delivery import (
    WHOLE_MESSAGE,
    Ledger,
    Receiver,
    Sender,
    delivery_counts,
    persisted_seqs,
)
from tests.support.figures import record
from tests.support.metrics import scrape
from tests.support.remote import chat_pair
from tests.support.server import Server

MESSAGES = 10_000
SENDERS = 16
DEFAULT_BUFFER = 2048  # SUBSCRIPTION_BUFFER's default
MIB = 1024 * 1024
WORDS = ("river", "calm", "evening", "light", "soft", "harbour", "lantern", "quiet",
         "meadow", "silver", "rain", "window", "morning", "letter", "garden",
         "bright", "stone", "bridge", "wander", "autumn", "velvet")  # fmt: skip


def long_text(n: int) -> str:
    """About 3,000 characters that differ from message to message, so the
    stalled subscriber's backlog (some 30 MB) dwarfs any bounded buffer."""
    rng = random.Random(n)
    return f"message {n}: " + " ".join(rng.choice(WORDS) for _ in range(450))


pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def servers(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """One process serves the stalled subscriber, another the senders.

    The subscriber's stall outlasts uvicorn's default WebSocket keepalive
    (a ping every 20 s, 20 s for its pong), which would close the socket and
    send the client to resubscribe with afterSeq; this test is about the
    stall itself, so the keepalive is set longer than the test.
    """
    logs = tmp_path_factory.mktemp("slow")
    keepalive = ("--ws-ping-interval", "600", "--ws-ping-timeout", "600")
    with (
        Server(cluster_env, logs / "subscriber.log", keepalive) as subscriber,
        Server(cluster_env, logs / "senders.log") as senders,
    ):
        yield subscriber, senders


def small_receive_buffer(port: int) -> socket.socket:
    """A client socket with a small receive window, so the stall reaches the
    server quickly instead of filling megabytes of kernel buffers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.connect(("127.0.0.1", port))
    return sock


class Peaks:
    """The subscriber process's resident memory and buffered events, sampled."""

    def __init__(self, server: Server) -> None:
        assert server.process is not None
        self.process = psutil.Process(server.process.pid)
        self.server = server
        self.baseline = self.process.memory_info().rss
        self.rss = {"stalled": self.baseline, "draining": self.baseline}
        self.phase = "stalled"
        self.buffered = 0.0

    def growth_mib(self, phase: str) -> float:
        return round((self.rss[phase] - self.baseline) / MIB, 1)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            rss = self.process.memory_info().rss
            self.rss[self.phase] = max(self.rss[self.phase], rss)
            samples = await scrape(self.server.http_url)
            self.buffered = max(self.buffered, samples["sentichat_buffered_events"])
            await asyncio.sleep(0.05)  # the sampling period


SUBSCRIBER_FIGURES = (
    "sentichat_messages_delivered_live_total",
    "sentichat_messages_caught_up_total",
    "sentichat_subscription_gaps_total",
    "sentichat_subscription_buffers_dropped_total",
    "sentichat_subscriptions_lagged_total",
    "sentichat_buffered_events",
    "sentichat_subscriptions",
    "sentichat_redis_connected",
    "sentichat_redis_reconnects_total",
    "sentichat_asyncio_tasks",
)
# A publish that failed rings no doorbell: its subscribers hear nothing.
SENDER_FIGURES = (
    "sentichat_events_published_total{event=new_message}",
    "sentichat_publish_failures_total",
)


async def stuck_figures(subscriber: Server, senders: Server) -> dict[str, object]:
    """Where each process stands, so a stall says which side stopped."""
    figures: dict[str, object] = {}
    for role, server, names in (
        ("subscriber", subscriber, SUBSCRIBER_FIGURES),
        ("senders", senders, SENDER_FIGURES),
    ):
        try:
            samples = await scrape(server.http_url)
        except httpx.HTTPError as exc:  # a hung server must not hide the stall
            figures[role] = f"unanswered: {exc!r}"
            continue
        figures[role] = {name: samples[name] for name in names if name in samples}
    return figures


async def test_a_stalled_subscriber_costs_bounded_memory_and_misses_nothing(
    servers: tuple[Server, Server], cluster_env: dict[str, str]
) -> None:
    subscriber, senders = servers
    alice, bob, channel = await chat_pair(senders)
    bobs = Receiver(bob, channel, WHOLE_MESSAGE)
    await bobs.attach(
        subscriber,
        after_seq=0,
        sock=small_receive_buffer(subscriber.port),
        max_queue=1,
        ping_interval=None,  # a stalled client does not read its pongs either
        compression=None,  # what reaches the socket is what the server holds
    )
    sender = Sender(alice, channel)
    peaks = Peaks(subscriber)
    stop = asyncio.Event()
    watching = asyncio.create_task(peaks.watch(stop))

    bobs.stop_reading()
    started = time.monotonic()
    numbers = iter(range(MESSAGES))

    async def send_share() -> None:
        for n in numbers:
            outcome = await sender.send(senders, long_text(n))
            assert outcome.seq is not None, outcome

    await asyncio.gather(*(send_share() for _ in range(SENDERS)))
    sent_in = time.monotonic() - started
    while_stalled = await scrape(subscriber.http_url)
    peaks.phase = "draining"
    bobs.read_again()
    try:
        await bobs.until(set(range(1, MESSAGES + 1)), timeout=180)
    except AssertionError as stuck:
        # Where the server stands: delivered (live + caught up) against what
        # the client received tells a stuck send from a stuck stream.
        figures = await stuck_figures(subscriber, senders)
        raise AssertionError(f"{stuck}; server: {figures}") from None
    drained_in = time.monotonic() - started - sent_in
    stop.set()
    await watching

    ledger = Ledger(
        acknowledged=sorted(sender.acknowledged),
        persisted=await persisted_seqs(cluster_env["DATABASE_URL"], channel),
        received={"bob": bobs.seqs},
    )
    counts = await delivery_counts(subscriber)
    record(
        "slow consumer",
        sent=sender.attempts,
        **ledger.figures(),
        live=counts["live"],
        caught_up=counts["caught_up"],
        buffers_dropped=counts["buffers_dropped"],
        peak_buffered_events=peaks.buffered,
        rss_baseline_mib=round(peaks.baseline / MIB, 1),
        rss_growth_stalled_mib=peaks.growth_mib("stalled"),
        rss_growth_draining_mib=peaks.growth_mib("draining"),
        send_seconds=round(sent_in, 1),
        drain_seconds=round(drained_in, 1),
    )
    await bobs.close()
    await sender.close()

    assert while_stalled["sentichat_subscription_buffers_dropped_total"] >= 1
    assert peaks.buffered <= DEFAULT_BUFFER
    # Holding every event would take over 30 MiB; the bounded buffer and the
    # socket's write buffers take a fraction of it.
    assert peaks.growth_mib("stalled") < 24
    assert ledger.acknowledged == ledger.persisted == list(range(1, MESSAGES + 1))
    assert ledger.lost("bob") == []
    assert ledger.duplicates("bob") == 0
    assert ledger.in_order("bob")
    assert counts["caught_up"] > 0
    assert "Traceback" not in subscriber.log()
