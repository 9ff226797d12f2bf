"""A real server process with PUSHER_* set, against the local fake Pusher.

Events travel as in production: uvicorn, PostgreSQL and Redis in the server,
the signed batch trigger over TCP to the fake, which verifies each signature.
Send latency with Pusher healthy, slow and down is measured and reported with
the delivery figures (never asserted on time); what is asserted is that no
send waits for Pusher.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import figures
from tests.support.api import SEND, Account
from tests.support.fake_pusher import FakePusher
from tests.support.metrics import scrape
from tests.support.remote import chat_pair
from tests.support.server import Server

SENDS_PER_MODE = 40


@dataclass
class Setup:
    server: Server
    fake: FakePusher


@pytest.fixture(scope="module")
async def setup(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Setup]:
    fake = await FakePusher().start()
    env = {**cluster_env, **fake.env(), "PUSHER_DRAIN_SECONDS": "1"}
    log = Path(tmp_path_factory.mktemp("pusher")) / "server.log"
    server = await asyncio.to_thread(Server(env, log).start)
    yield Setup(server, fake)
    # In a thread: the server's last triggers need this loop to be answered.
    await asyncio.to_thread(server.stop)
    await fake.stop()
    assert "Traceback" not in server.log(), server.log()


async def test_a_server_process_sends_chats_and_messages_to_pusher(
    setup: Setup,
) -> None:
    server, fake = setup.server, setup.fake

    alice, bob, channel = await chat_pair(server)
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        sent = await send(http, alice, channel, "I love this, what a wonderful day!")

    invite = f"private-notification_user_{bob.id}"
    await fake.wait_for(lambda: bool(fake.on(invite) and fake.on(channel)))
    (chat_event,), (message_event,) = fake.on(invite), fake.on(channel)
    assert (chat_event.name, chat_event.data["channel_name"]) == ("new_chat", channel)
    assert message_event.name == "new_message"
    assert message_event.data["id"] == sent["id"]
    assert message_event.data["sentiment"] == sent["sentiment"]
    metrics = await scrape(server.http_url)
    assert metrics["sentichat_pusher_sent_total"] >= 2


async def test_pusher_auth_over_http_signs_members_only(setup: Setup) -> None:
    server, credentials = setup.server, setup.fake.credentials
    alice, bob, channel = await chat_pair(server)
    _, carol, _ = await chat_pair(server)

    async with httpx.AsyncClient(base_url=server.http_url) as http:
        answers = {
            who.username: await http.post(
                "/pusher/auth",
                data={"socket_id": "123.456", "channel_name": channel},
                headers={"Authorization": f"Bearer {who.token}"},
            )
            for who in (alice, bob, carol)
        }

    signature = hmac.new(
        credentials.secret.encode(), f"123.456:{channel}".encode(), hashlib.sha256
    ).hexdigest()
    expected = {"auth": f"{credentials.key}:{signature}"}
    assert answers[alice.username].json() == expected
    assert answers[bob.username].json() == expected
    assert answers[carol.username].status_code == 403


async def test_no_send_waits_for_a_slow_or_absent_pusher(setup: Setup) -> None:
    server, fake = setup.server, setup.fake
    alice, _, channel = await chat_pair(server)
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        await send(http, alice, channel, "warm-up")
        healthy = await timed_sends(http, alice, channel, "healthy")
        with fake.holding():
            slow = await timed_sends(http, alice, channel, "slow")
            # All answered while Pusher holds the first trigger unanswered.
            assert fake.in_flight >= 1
            assert not [e for e in fake.on(channel) if "slow" in e.data["message"]]
        await fake.stop()
        try:
            down = await timed_sends(http, alice, channel, "down")
        finally:
            await fake.start()

    report = {"healthy": healthy, "slow": slow, "down": down}
    figures.record(
        "pusher_send_latency_ms",
        **{
            f"{mode}_{stat}": round(value * 1000, 2)
            for mode, samples in report.items()
            for stat, value in summary(samples).items()
        },
        slow_to_healthy_p50=round(median(slow) / median(healthy), 2),
        down_to_healthy_p50=round(median(down) / median(healthy), 2),
    )


async def send(
    http: httpx.AsyncClient, sender: Account, channel: str, text: str
) -> dict[str, object]:
    variables = {"channel": channel, "message": text}
    response = await http.post(
        "/graphql",
        json={"query": SEND, "variables": variables},
        headers={"Authorization": f"Bearer {sender.token}"},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    message: dict[str, object] = body["data"]["sendMessage"]
    return message


async def timed_sends(
    http: httpx.AsyncClient, sender: Account, channel: str, mode: str
) -> list[float]:
    seconds = []
    for number in range(SENDS_PER_MODE):
        started = time.perf_counter()
        await send(http, sender, channel, f"{mode} {number}")
        seconds.append(time.perf_counter() - started)
    return seconds


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": median(ordered),
        "p95": ordered[int(len(ordered) * 0.95) - 1],
        "max": ordered[-1],
    }
