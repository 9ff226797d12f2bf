"""Optional fan-out to Pusher Channels: signing, the REST client, the queue."""

from graph.realtime.pusher.client import (
    Outcome,
    PusherClient,
    PusherConfig,
    PusherEvent,
)
from graph.realtime.pusher.fanout import Backoff, PusherFanout, Slot
from graph.realtime.pusher.signing import (
    MAX_CHANNEL_NAME_CHARS,
    channel_auth,
    is_channel_name,
    is_socket_id,
)
from graph.realtime.pusher.stats import PusherStats

__all__ = [
    "MAX_CHANNEL_NAME_CHARS",
    "Backoff",
    "Outcome",
    "PusherClient",
    "PusherConfig",
    "PusherEvent",
    "PusherFanout",
    "PusherStats",
    "Slot",
    "channel_auth",
    "is_channel_name",
    "is_socket_id",
]
