"""How events move between processes and to clients; the database stays the truth.

- `channels`: the chat and notification channel names (the contract's);
- `events`: committed records as JSON on the wire;
- `hub`: one broadcaster subscription per channel per process, fanned out to
  bounded inboxes, with `GAP` where events may have been missed;
- `redis_backend`: broadcaster's backend on Redis, made for this hub;
- `bus`: what services publish to and subscribe through;
- `redial`: a chat's newest message whose publish failed, published again;
- `presence`: who holds an open socket, on any process (memory or Redis);
- `stats`: delivery counters for /metrics;
- `pusher/`: the optional fan-out to Pusher Channels and its auth endpoint.

Services use this package through its face (this module and
`graph.realtime.pusher`); the GraphQL surface only names channels.
"""

from graph.realtime.bus import (
    EXPIRED,
    EventBus,
    Expired,
    PresenceFeed,
    create_event_bus,
)
from graph.realtime.channels import (
    chat_channel,
    notification_channel,
    parse_chat_channel,
)
from graph.realtime.events import PresenceEvent, SuspensionEvent
from graph.realtime.hub import GAP, Gap
from graph.realtime.stats import DeliveryStats

__all__ = [
    "EXPIRED",
    "GAP",
    "DeliveryStats",
    "EventBus",
    "Expired",
    "Gap",
    "PresenceEvent",
    "PresenceFeed",
    "SuspensionEvent",
    "chat_channel",
    "create_event_bus",
    "notification_channel",
    "parse_chat_channel",
]
