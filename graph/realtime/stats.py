"""Delivery counters, kept as plain integers on the hot path and read by /metrics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class DeliveryStats:
    published_messages: int = 0  # new_message events handed to the backend
    published_chats: int = 0  # new_chat events handed to the backend
    publish_failures: int = 0  # publishes the backend refused (logged, skipped)
    delivered_live: int = 0  # messages a subscription yielded from the live feed
    caught_up: int = 0  # messages a subscription yielded from the database
    buffers_dropped: int = 0  # subscriber buffers dropped because they were full
    gaps: int = 0  # feeds told to catch up (dropped buffer or lost connection)
    lagged_out: int = 0  # subscriptions ended for falling too far behind
    held_back: int = 0  # events a feed dropped because its pair is blocked
