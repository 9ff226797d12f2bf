"""Prometheus metrics of delivery, served at /metrics.

The hot path only bumps plain integers (`DeliveryStats`, the Redis backend's
reconnect count, the connection count below); this collector reads them when
Prometheus scrapes. Each process has its own /metrics: scrape every process
and sum, as for any multi-process service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from graph.domain import sentiment
from graph.platform import runtime
from graph.realtime.pusher import DROP_REASONS, PusherFanout
from graph.services import Services


class Connections:
    """The number of open WebSocket connections, kept by
    `graph.api.transport.DirectWebSocket`.

    Once at least `RELEASE_AFTER` sockets were open and half of them have
    closed (a deploy elsewhere, a network blip, the evening ending), freed
    memory is given back to the system a few seconds later, when the wave of
    closes is over (`runtime.release_memory`: a full collection, then the C
    heap trimmed; a pause of tens of milliseconds, once per such drop).
    """

    RELEASE_AFTER = 500
    RELEASE_DELAY_SECONDS = 5.0

    def __init__(self) -> None:
        self.open = 0
        self._peak = 0
        self._release: asyncio.TimerHandle | None = None

    def opened(self) -> None:
        self.open += 1
        self._peak = max(self._peak, self.open)

    def closed(self) -> None:
        self.open -= 1
        if (
            self._release is None
            and self._peak >= self.RELEASE_AFTER
            and self.open <= self._peak // 2
        ):
            loop = asyncio.get_running_loop()
            self._release = loop.call_later(self.RELEASE_DELAY_SECONDS, self._released)

    def _released(self) -> None:
        runtime.release_memory()
        self._release = None
        self._peak = self.open


class DeliveryCollector(Collector):
    def __init__(
        self, services: Callable[[], Services | None], connections: Connections
    ) -> None:
        self._services = services
        self._connections = connections

    def collect(self) -> Iterator[Metric]:
        yield _gauge(
            "sentichat_websocket_connections",
            "Open WebSocket connections.",
            self._connections.open,
        )
        yield _gauge(
            "sentichat_asyncio_tasks",
            "Tasks alive on the event loop.",
            len(asyncio.all_tasks()),
        )
        gc_pauses = CounterMetricFamily(
            "sentichat_gc_pause_seconds",
            "Time the garbage collector stopped the process, per generation.",
            labels=["generation"],
        )
        longest = GaugeMetricFamily(
            "sentichat_gc_longest_pause_seconds",
            "The longest garbage collection pause, per generation.",
            labels=["generation"],
        )
        for generation in range(3):
            gc_pauses.add_metric([str(generation)], runtime.pauses.seconds[generation])
            longest.add_metric([str(generation)], runtime.pauses.longest[generation])
        yield gc_pauses
        yield longest
        yield CounterMetricFamily(
            "sentichat_sentiment_scored",
            "Texts scored for sentiment: one per stored message, none on reads.",
            value=sentiment.counter.scored,
        )
        services = self._services()
        if services is None:
            return  # not started yet, or shut down
        bus = services.bus
        stats = bus.stats
        published = CounterMetricFamily(
            "sentichat_events_published",
            "Events handed to the broadcast backend after their commit.",
            labels=["event"],
        )
        published.add_metric(["new_message"], stats.published_messages)
        published.add_metric(["new_chat"], stats.published_chats)
        yield published
        for name, documentation, value in (
            (
                "sentichat_publish_failures",
                "Publishes the broadcast backend refused (logged; a message's "
                "is published again later).",
                stats.publish_failures,
            ),
            (
                "sentichat_messages_republished",
                "Messages whose publish had failed, published again at last.",
                bus.redial.redialled,
            ),
            (
                "sentichat_messages_delivered_live",
                "Messages subscriptions yielded from the live feed.",
                stats.delivered_live,
            ),
            (
                "sentichat_messages_caught_up",
                "Messages subscriptions yielded from the database (replay, gaps).",
                stats.caught_up,
            ),
            (
                "sentichat_subscription_buffers_dropped",
                "Subscription buffers dropped because their reader fell behind.",
                stats.buffers_dropped,
            ),
            (
                "sentichat_subscription_gaps",
                "Times a subscription was told to catch up from the database.",
                stats.gaps,
            ),
            (
                "sentichat_subscriptions_lagged",
                "Subscriptions ended with SUBSCRIPTION_LAGGED.",
                stats.lagged_out,
            ),
            (
                "sentichat_events_held_back",
                "Events a subscription dropped because its pair of users is "
                "blocked (messages are read again once the block is lifted).",
                stats.held_back,
            ),
        ):
            yield CounterMetricFamily(name, documentation, value=value)
        redis = bus.redis
        yield CounterMetricFamily(
            "sentichat_redis_reconnects",
            "Times the Redis subscriber connection was restored after a loss.",
            value=0 if redis is None else redis.reconnects,
        )
        yield _gauge(
            "sentichat_redis_connected",
            "1 while the Redis subscriber connection is up (1 without Redis).",
            1 if redis is None or redis.connected else 0,
        )
        hub = bus.hub
        yield _gauge(
            "sentichat_subscriptions",
            "Live event-bus subscriptions in this process: one per channel each "
            "GraphQL subscription follows (presence follows one per chat peer).",
            hub.subscriber_count(),
        )
        yield _gauge(
            "sentichat_broadcast_channels",
            "Channels this process is subscribed to on the broadcast backend "
            "for its clients' subscriptions (besides its own: suspensions).",
            hub.channel_count(),
        )
        yield _gauge(
            "sentichat_buffered_events",
            "Events waiting in subscription buffers.",
            hub.buffered_events(),
        )
        yield _gauge(
            "sentichat_online_users",
            "Users with at least one open, signed-in WebSocket on this process.",
            bus.presence.local_users,
        )
        if services.pusher is not None:
            yield from _pusher_metrics(services.pusher)


def _pusher_metrics(pusher: PusherFanout) -> Iterator[Metric]:
    stats = pusher.stats
    for name, documentation, value in (
        ("queued", "Events accepted into the Pusher queue.", stats.queued),
        ("sent", "Events Pusher accepted.", stats.sent),
        ("requests", "Batch trigger requests made, retries included.", stats.requests),
        (
            "retries",
            "Batch trigger requests that repeated a failed one.",
            stats.retries,
        ),
        (
            "compacted",
            "Events over Pusher's 10 KB limit, sent as a reference.",
            stats.compacted,
        ),
    ):
        yield CounterMetricFamily(
            f"sentichat_pusher_{name}", documentation, value=value
        )
    dropped = CounterMetricFamily(
        "sentichat_pusher_dropped",
        "Events not sent to Pusher: queue full, refused, gave up, or shutdown.",
        labels=["reason"],
    )
    for reason in DROP_REASONS:
        dropped.add_metric([reason], stats.dropped[reason])
    yield dropped
    yield _gauge(
        "sentichat_pusher_pending",
        "Events queued or in flight to Pusher.",
        pusher.pending,
    )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class Metrics:
    """One registry per app, so several apps in one process stay apart."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self.connections = Connections()
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)
        self.registry.register(DeliveryCollector(services, self.connections))

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
