"""Subscribed clients that vanish (TCP reset, no close frame) leave nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection

from tests.support.api import Account
from tests.support.delivery import SEQ_ONLY, Receiver, Sender, abort
from tests.support.figures import record
from tests.support.metrics import scrape, wait_for
from tests.support.remote import chat_pair
from tests.support.server import Server
from tests.support.waiting import eventually
from tests.support.wsclient import GraphQLWebSocket

CONNECTIONS = 1000
WAVE = 100  # subscribed at once, then reset together
PAIRS = 10
COUNTED = (
    "sentichat_asyncio_tasks",
    "sentichat_websocket_connections",
    "sentichat_subscriptions",
    "sentichat_broadcast_channels",
)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def server(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with Server(cluster_env, tmp_path_factory.mktemp("abrupt") / "s.log") as server:
        yield server


async def subscribed(
    server: Server, account: Account, channel: str
) -> ClientConnection:
    ws = GraphQLWebSocket(
        server.ws_url, open_timeout=20, ping_interval=None, compression=None
    )
    await ws.open()
    await ws.init(account.token, timeout=20)
    await ws.subscribe("1", SEQ_ONLY, {"channel": channel})
    return ws.socket


async def redis_channels(url: str, prefix: str) -> int:
    client = Redis.from_url(url)
    try:
        return len(await client.pubsub_channels(f"{prefix}*"))
    finally:
        await client.aclose()


async def test_a_thousand_abrupt_disconnects_leave_nothing_behind(
    server: Server, cluster_env: dict[str, str]
) -> None:
    redis_url, prefix = cluster_env["BROADCAST_URL"], cluster_env["BROADCAST_PREFIX"]
    members: list[tuple[Account, str]] = []
    for _ in range(PAIRS):
        alice, bob, channel = await chat_pair(server)
        members += [(alice, channel), (bob, channel)]
    baseline = await scrape(server.http_url)
    baseline_redis = await redis_channels(redis_url, prefix)
    peak = dict.fromkeys(COUNTED, 0.0)
    started = time.monotonic()

    for wave in range(CONNECTIONS // WAVE):
        clients = await asyncio.gather(
            *(
                subscribed(server, *members[(wave * WAVE + n) % len(members)])
                for n in range(WAVE)
            )
        )
        held = await wait_for(
            server.http_url,
            "sentichat_subscriptions",
            lambda n: n >= baseline["sentichat_subscriptions"] + WAVE,
            timeout=30,
        )
        for name in COUNTED:
            peak[name] = max(peak[name], held[name])
        peak_redis = await redis_channels(redis_url, prefix)
        for client in clients:
            abort(client)
    reset_at = time.monotonic()

    async def back_to_baseline() -> bool:
        now = await scrape(server.http_url)
        return all(now[name] <= baseline[name] for name in COUNTED)

    await eventually(back_to_baseline, timeout=30)
    recovered_in = time.monotonic() - reset_at

    async def redis_released() -> bool:
        return await redis_channels(redis_url, prefix) == baseline_redis

    await eventually(redis_released, timeout=30)
    after = await scrape(server.http_url)
    record(
        "abrupt disconnects",
        connections=CONNECTIONS,
        seconds=round(reset_at - started, 1),
        baseline={name: baseline[name] for name in COUNTED},
        peak={name: peak[name] for name in COUNTED},
        after={name: after[name] for name in COUNTED},
        redis_channels={"baseline": baseline_redis, "wave": peak_redis},
        back_to_baseline_seconds=round(recovered_in, 2),
    )

    # The server still serves: a new subscriber hears a new message.
    alice, channel = members[0]
    bob = members[1][0]
    bobs = Receiver(bob, channel)
    await bobs.attach(server)
    sender = Sender(alice, channel)
    seq = (await sender.send(server, "still here")).seq
    assert seq is not None
    await bobs.until({seq}, timeout=10)
    await bobs.close()
    await sender.close()

    assert peak["sentichat_websocket_connections"] >= WAVE
    # Its chats, on top of what the process follows for itself (suspensions).
    assert peak_redis == baseline_redis + PAIRS
    assert after["sentichat_subscriptions"] == baseline["sentichat_subscriptions"]
    assert after["sentichat_websocket_connections"] == 0
    assert "Traceback" not in server.log()
