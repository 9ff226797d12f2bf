"""Fan-out: channel names, typed events, and broadcaster with our Redis backend."""

from graph.realtime.bus import EventBus, create_event_bus
from graph.realtime.channels import (
    chat_channel,
    notification_channel,
    parse_chat_channel,
)
from graph.realtime.hub import GAP, Gap
from graph.realtime.stats import DeliveryStats

__all__ = [
    "GAP",
    "DeliveryStats",
    "EventBus",
    "Gap",
    "chat_channel",
    "create_event_bus",
    "notification_channel",
    "parse_chat_channel",
]
