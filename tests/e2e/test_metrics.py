"""/metrics: what Prometheus scrapes from each process."""

from __future__ import annotations

import httpx

from tests.support.api import NEW_MESSAGE
from tests.support.metrics import parse, scrape, wait_for
from tests.support.remote import chat_pair, send
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket


async def test_metrics_count_publishes_and_live_deliveries(
    embedded_server: Server,
) -> None:
    alice, bob, channel = await chat_pair(embedded_server)
    before = await scrape(embedded_server.http_url)

    async with GraphQLWebSocket(embedded_server.ws_url) as ws:
        await ws.init(bob.token)
        await ws.subscribe("feed", NEW_MESSAGE, {"channel": channel})
        during = await wait_for(
            embedded_server.http_url, "sentichat_subscriptions", lambda n: n == 1
        )
        await send(embedded_server, alice, channel, "counted")
        assert (await ws.next_data("feed"))["newMessage"]["seq"] == 1
        after = await scrape(embedded_server.http_url)

    def grew(name: str) -> float:
        return after[name] - before[name]

    assert grew("sentichat_events_published_total{event=new_message}") == 1
    assert grew("sentichat_messages_delivered_live_total") == 1
    assert grew("sentichat_messages_caught_up_total") == 0
    # Scored once, when stored; the delivery read the stored scores.
    assert grew("sentichat_sentiment_scored_total") == 1
    assert during["sentichat_websocket_connections"] == 1
    assert during["sentichat_subscriptions"] == 1
    assert during["sentichat_broadcast_channels"] == 1
    assert after["sentichat_redis_connected"] == 1  # no Redis: nothing to lose
    assert after["process_resident_memory_bytes"] > 0


async def test_metrics_are_prometheus_text(embedded_server: Server) -> None:
    async with httpx.AsyncClient(base_url=embedded_server.http_url) as client:
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = parse(response.text)
    for name in (
        "sentichat_publish_failures_total",
        "sentichat_messages_republished_total",
        "sentichat_subscription_buffers_dropped_total",
        "sentichat_subscription_gaps_total",
        "sentichat_subscriptions_lagged_total",
        "sentichat_redis_reconnects_total",
        "sentichat_buffered_events",
        "sentichat_asyncio_tasks",
        "sentichat_sentiment_scored_total",
        "sentichat_gc_pause_seconds_total{generation=2}",
        "sentichat_gc_longest_pause_seconds{generation=0}",
    ):
        assert name in samples
