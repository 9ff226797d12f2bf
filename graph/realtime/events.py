"""Typed events and their JSON form on the wire between processes.

An event carries the whole committed record, so live delivery needs no
database read; the database stays the source of truth for catch-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from graph.domain.mood import MemberMood, MoodChangedRecord, MoodState
from graph.domain.reactions import reactions_from_pairs
from graph.domain.records import (
    NOTHING_READ,
    ActivityRecord,
    BlockRecord,
    ChatRecord,
    MessageRecord,
    ReadReceiptRecord,
    ReadState,
    TypingRecord,
    UserRecord,
)
from graph.domain.sentiment import Scores, SentimentLabel, reasons_from_pairs

EVENT_VERSION = 1


def _user(user: UserRecord) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": user.id, "username": user.username}
    if user.shares_sentiment is not None:
        shown["shares"] = user.shares_sentiment
    return shown


def _user_from(data: dict[str, Any]) -> UserRecord:
    # No "shares" where it was not read, and from processes older than the
    # setting: their events then show no one's sentiment to the other member.
    shares = data.get("shares")
    return UserRecord(
        int(data["id"]), str(data["username"]), None if shares is None else bool(shares)
    )


NEW_MESSAGE = "new_message"
MESSAGE_CHANGED = "message_changed"


def encode_message(message: MessageRecord, kind: str = NEW_MESSAGE) -> str:
    """A message event: `new_message` for a send, `message_changed` for an
    edit, a deletion or a reaction; both carry the message as it is now."""
    payload: dict[str, Any] = {
        "v": EVENT_VERSION,
        "type": kind,
        "id": message.id,
        "seq": message.seq,
        "channel": message.channel,
        "from_user": _user(message.from_user),
        "to_user": _user(message.to_user),
        "message": message.message,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "version": message.version,
    }
    sentiment = message.sentiment
    if sentiment is not None:
        # TextBlob's two scores stay at the top for processes from before
        # the analyzer; they read the rest as a legacy row.
        payload["polarity"] = sentiment.polarity
        payload["subjectivity"] = sentiment.subjectivity
        payload["sentiment"] = {
            "label": sentiment.label.value,
            "score": sentiment.score,
            "confidence": sentiment.confidence,
            "reasons": sentiment.reasons,
            "analyzer": sentiment.analyzer,
        }
    # Only where set: a new message has none of these.
    if message.edited_at is not None:
        payload["edited_at"] = message.edited_at.isoformat()
    if message.deleted_at is not None:
        payload["deleted_at"] = message.deleted_at.isoformat()
    if message.previous_change is not None:
        payload["previous_change"] = message.previous_change
    if message.reactions:
        payload["reactions"] = [
            [reaction.emoji, reaction.user_ids] for reaction in message.reactions
        ]
    return orjson.dumps(payload).decode()


def decode_message(raw: str | bytes) -> MessageRecord | BlockRecord:
    """A new message (`newMessage`'s feed), or its chat's block changing."""
    data = _load(raw, NEW_MESSAGE, BLOCK)
    return _block_from(data) if data["type"] == BLOCK else _message_from(data)


def decode_change(raw: str | bytes) -> MessageRecord | BlockRecord:
    """A message as an edit, deletion or reaction left it (`messageChanges`),
    or its chat's block changing."""
    data = _load(raw, MESSAGE_CHANGED, BLOCK)
    return _block_from(data) if data["type"] == BLOCK else _message_from(data)


BLOCK = "block"


def encode_block(block: BlockRecord) -> str:
    """A pair's block state: on the chat's feeds and both members'
    notification channels, so each feed sees it in order with its events."""
    payload = {
        "v": EVENT_VERSION,
        "type": BLOCK,
        "low_id": block.low_id,
        "high_id": block.high_id,
        "blocked": block.blocked,
    }
    return orjson.dumps(payload).decode()


def _block_from(data: dict[str, Any]) -> BlockRecord:
    return BlockRecord(int(data["low_id"]), int(data["high_id"]), bool(data["blocked"]))


def _message_from(data: dict[str, Any]) -> MessageRecord:
    return MessageRecord(
        id=int(data["id"]),
        seq=int(data["seq"]),
        channel=str(data["channel"]),
        from_user=_user_from(data["from_user"]),
        to_user=_user_from(data["to_user"]),
        message=str(data["message"]),
        client_id=data["client_id"],
        created_at=datetime.fromisoformat(data["created_at"]),
        sentiment=_sentiment_from(data),
        # 0 from a process older than versions: subscribers read the database.
        version=int(data.get("version", 0)),
        edited_at=_time_or_none(data.get("edited_at")),
        deleted_at=_time_or_none(data.get("deleted_at")),
        reactions=reactions_from_pairs(data.get("reactions", [])),
        previous_change=data.get("previous_change"),
    )


def _time_or_none(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _sentiment_from(data: dict[str, Any]) -> Scores | None:
    if "polarity" not in data:  # a deleted message
        return None
    polarity, subjectivity = float(data["polarity"]), float(data["subjectivity"])
    verdict = data.get("sentiment")
    if verdict is None:  # from a process older than the analyzer
        return Scores.legacy(polarity, subjectivity)
    return Scores(
        polarity,
        subjectivity,
        SentimentLabel(verdict["label"]),
        float(verdict["score"]),
        float(verdict["confidence"]),
        reasons_from_pairs(verdict["reasons"]),
        str(verdict["analyzer"]),
    )


def encode_chat(chat: ChatRecord) -> str:
    payload = {
        "v": EVENT_VERSION,
        "type": "new_chat",
        "channel_name": chat.channel_name,
        "from_user": _user(chat.from_user),
        "to_user": _user(chat.to_user),
        "last_seq": chat.last_seq,
        "last_version": chat.last_version,
        "from_read": [chat.from_read.read_seq, chat.from_read.unread],
        "to_read": [chat.to_read.read_seq, chat.to_read.unread],
    }
    if chat.mood_values is not None:
        payload["mood"] = chat.mood_values  # db.queries.MoodValues
    return orjson.dumps(payload).decode()


def _mood(state: MoodState) -> dict[str, Any]:
    def member(part: MemberMood) -> list[Any]:
        return [
            _user(part.user),
            part.messages,
            part.sum,
            part.weight,
            part.fast_sum,
            part.fast_weight,
        ]

    return {
        "channel": state.channel,
        "version": state.version,
        "low": member(state.low),
        "high": member(state.high),
    }


def _mood_from(data: dict[str, Any]) -> MoodState:
    def member(values: list[Any]) -> MemberMood:
        user, messages, *parts = values
        return MemberMood(_user_from(user), int(messages), *map(float, parts))

    return MoodState(
        str(data["channel"]),
        int(data["version"]),
        member(data["low"]),
        member(data["high"]),
    )


def decode_chat(raw: str | bytes) -> ChatRecord | BlockRecord:
    data = _load(raw, "new_chat", BLOCK)
    return _block_from(data) if data["type"] == BLOCK else _chat_from(data)


def _chat_from(data: dict[str, Any]) -> ChatRecord:
    return ChatRecord(
        channel_name=str(data["channel_name"]),
        from_user=_user_from(data["from_user"]),
        to_user=_user_from(data["to_user"]),
        # Absent from events of processes older than the field: a rolling
        # deploy's subscriber then replays the chat from its start.
        last_seq=int(data.get("last_seq", 0)),
        from_read=_read_state(data.get("from_read")),
        to_read=_read_state(data.get("to_read")),
        last_version=int(data.get("last_version", 0)),
        mood_values=tuple(data["mood"]) if "mood" in data else None,
    )


def _read_state(pair: Any) -> ReadState:
    # Absent from events of processes older than read state.
    if pair is None:
        return NOTHING_READ
    read_seq, unread = pair
    return ReadState(int(read_seq), int(unread))


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """A user's presence changed, on some process: the user by id only (each
    subscriber already knows its peers' names)."""

    user_id: int
    online: bool
    last_seen_at: datetime | None


def encode_activity(activity: ActivityRecord) -> str:
    payload: dict[str, Any] = {
        "v": EVENT_VERSION,
        "type": "activity",
        "channel": activity.channel,
    }
    if isinstance(activity, MoodChangedRecord):
        payload["mood_before"] = _mood(activity.before)
        payload["mood_after"] = _mood(activity.after)
    elif isinstance(activity, ReadReceiptRecord):
        payload["user"] = _user(activity.user)
        payload["read_seq"] = activity.seq
    else:
        payload["user"] = _user(activity.user)
        payload["typing"] = activity.typing
    return orjson.dumps(payload).decode()


def decode_activity(raw: str | bytes) -> ActivityRecord | BlockRecord:
    data = _load(raw, "activity", BLOCK)
    if data["type"] == BLOCK:
        return _block_from(data)
    if "mood_after" in data:
        return MoodChangedRecord(
            _mood_from(data["mood_before"]), _mood_from(data["mood_after"])
        )
    channel, user = str(data["channel"]), _user_from(data["user"])
    if "read_seq" in data:
        return ReadReceiptRecord(channel, user, int(data["read_seq"]))
    return TypingRecord(channel, user, bool(data["typing"]))


def decode_presence_or_chat(
    raw: str | bytes,
) -> PresenceEvent | ChatRecord | BlockRecord:
    data = _load(raw, "presence", "new_chat", BLOCK)
    if data["type"] == "presence":
        return _presence_from(data)
    if data["type"] == BLOCK:
        return _block_from(data)
    return _chat_from(data)


def encode_presence(event: PresenceEvent) -> str:
    seen = event.last_seen_at
    payload = {
        "v": EVENT_VERSION,
        "type": "presence",
        "user_id": event.user_id,
        "online": event.online,
        "last_seen_at": None if seen is None else seen.isoformat(),
    }
    return orjson.dumps(payload).decode()


def decode_presence(raw: str | bytes) -> PresenceEvent:
    return _presence_from(_load(raw, "presence"))


def _presence_from(data: dict[str, Any]) -> PresenceEvent:
    seen = data["last_seen_at"]
    return PresenceEvent(
        user_id=int(data["user_id"]),
        online=bool(data["online"]),
        last_seen_at=None if seen is None else datetime.fromisoformat(seen),
    )


class EventDecodeError(ValueError):
    """An event on the wire that this version cannot read."""


def _load(raw: str | bytes, *expected_types: str) -> dict[str, Any]:
    data = orjson.loads(raw)
    if not isinstance(data, dict) or data.get("type") not in expected_types:
        raise EventDecodeError(f"not a {' or '.join(expected_types)} event")
    if data.get("v") != EVENT_VERSION:
        raise EventDecodeError(f"unsupported event version {data.get('v')!r}")
    return data


SUSPENSION = "suspension"


@dataclass(frozen=True, slots=True)
class SuspensionEvent:
    """An account was suspended (`suspended`) or no longer is, after the commit."""

    user_id: int
    suspended: bool


def encode_suspension(event: SuspensionEvent) -> str:
    payload = {
        "v": EVENT_VERSION,
        "type": SUSPENSION,
        "user_id": event.user_id,
        "suspended": event.suspended,
    }
    return orjson.dumps(payload).decode()


def decode_suspension(raw: str | bytes) -> SuspensionEvent:
    data = _load(raw, SUSPENSION)
    return SuspensionEvent(int(data["user_id"]), bool(data["suspended"]))
