"""Optional fan-out to Pusher Channels, and the endpoint that signs its sockets in.

- `client`: the `pusher` package's REST trigger and subscription signature,
  sent through its backend interface on our async HTTP client;
- `fanout`: the background queue that batches and retries, off the send path;
- `auth`: `POST /pusher/auth`, which signs a socket into the caller's own
  channels, through an authorizer the services provide.
"""

from graph.realtime.pusher.auth import ChannelAuthorizer, PusherAuthEndpoint
from graph.realtime.pusher.client import (
    MAX_CHANNEL_NAME_CHARS,
    Outcome,
    PusherClient,
    PusherConfig,
    PusherEvent,
    is_channel_name,
    is_socket_id,
)
from graph.realtime.pusher.fanout import Backoff, PusherFanout, Slot
from graph.realtime.pusher.stats import DROP_REASONS, PusherStats

__all__ = [
    "DROP_REASONS",
    "MAX_CHANNEL_NAME_CHARS",
    "Backoff",
    "ChannelAuthorizer",
    "Outcome",
    "PusherAuthEndpoint",
    "PusherClient",
    "PusherConfig",
    "PusherEvent",
    "PusherFanout",
    "PusherStats",
    "Slot",
    "is_channel_name",
    "is_socket_id",
]
