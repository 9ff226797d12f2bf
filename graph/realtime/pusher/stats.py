"""Pusher fan-out counters: plain integers on the hot path, read by /metrics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Why an event was dropped instead of sent.
QUEUE_FULL = "queue_full"  # the bounded queue had no room
REJECTED = "rejected"  # Pusher refused the batch (4xx other than 429)
GAVE_UP = "gave_up"  # no success after the last attempt
SHUTDOWN = "shutdown"  # still queued when the process stopped
DROP_REASONS = (QUEUE_FULL, REJECTED, GAVE_UP, SHUTDOWN)


@dataclass(slots=True)
class PusherStats:
    queued: int = 0  # events accepted into the queue
    sent: int = 0  # events Pusher accepted
    requests: int = 0  # batch trigger requests made, retries included
    retries: int = 0  # requests that repeated a failed one
    compacted: int = 0  # events over the size limit, sent as a reference
    dropped: Counter[str] = field(default_factory=Counter)
