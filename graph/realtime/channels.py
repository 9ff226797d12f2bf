"""Channel names, shared with Pusher and the original tutorial's clients."""

from __future__ import annotations

import re

from graph.domain.records import MAX_ID

CHAT_PREFIX = "private-chat_"
NOTIFICATION_PREFIX = "private-notification_user_"

_CHAT = re.compile(r"private-chat_([1-9][0-9]{0,18})_([1-9][0-9]{0,18})")


def chat_channel(user_a: int, user_b: int) -> str:
    """The pair's channel: ids in numeric order, so both sides name it alike."""
    low, high = sorted((user_a, user_b))
    return f"{CHAT_PREFIX}{low}_{high}"


def notification_channel(user_id: int) -> str:
    return f"{NOTIFICATION_PREFIX}{user_id}"


def parse_chat_channel(name: str) -> tuple[int, int] | None:
    """The (lower, higher) ids of a well-formed chat channel name, else None.

    Only the canonical spelling parses: ids in increasing order, no leading
    zeros, within a 64-bit id, so one pair has exactly one name.
    """
    match = _CHAT.fullmatch(name)
    if match is None:
        return None
    low, high = int(match[1]), int(match[2])
    if not low < high <= MAX_ID:
        return None
    return low, high


# Broadcaster topics of live activity, internal to Sentichat's processes (no
# client subscribes to them by name, so they need no "private-" prefix).
ACTIVITY_PREFIX = "activity:"
PRESENCE_PREFIX = "presence:"
CHANGES_PREFIX = "changes:"


def activity_topic(chat_channel_name: str) -> str:
    """Where a chat's read receipts and typing travel between processes."""
    return f"{ACTIVITY_PREFIX}{chat_channel_name}"


def presence_topic(user_id: int) -> str:
    """Where a user's presence changes travel between processes."""
    return f"{PRESENCE_PREFIX}{user_id}"


def changes_topic(chat_channel_name: str) -> str:
    """Where a chat's edits, deletions and reactions travel between processes
    (its new messages travel on the chat's own channel)."""
    return f"{CHANGES_PREFIX}{chat_channel_name}"


# Where accounts being suspended, or no longer, travel between processes:
# one topic, which every process follows for its set of suspended users.
SUSPENSIONS_TOPIC = "suspensions"
