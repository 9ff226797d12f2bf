"""Typed events and their JSON form on the wire between processes.

An event carries the whole committed record, so live delivery needs no
database read; the database stays the source of truth for catch-up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from graph.domain.records import ChatRecord, MessageRecord, UserRecord
from graph.domain.sentiment import Scores, SentimentLabel, reasons_from_pairs

EVENT_VERSION = 1


def _user(user: UserRecord) -> dict[str, Any]:
    return {"id": user.id, "username": user.username}


def _user_from(data: dict[str, Any]) -> UserRecord:
    return UserRecord(id=int(data["id"]), username=str(data["username"]))


def encode_message(message: MessageRecord) -> str:
    sentiment = message.sentiment
    payload = {
        "v": EVENT_VERSION,
        "type": "new_message",
        "id": message.id,
        "seq": message.seq,
        "channel": message.channel,
        "from_user": _user(message.from_user),
        "to_user": _user(message.to_user),
        "message": message.message,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        # TextBlob's two scores stay at the top for processes from before
        # the analyzer; they read the rest as a legacy row.
        "polarity": sentiment.polarity,
        "subjectivity": sentiment.subjectivity,
        "sentiment": {
            "label": sentiment.label.value,
            "score": sentiment.score,
            "confidence": sentiment.confidence,
            "reasons": sentiment.reasons,
            "analyzer": sentiment.analyzer,
        },
    }
    return orjson.dumps(payload).decode()


def decode_message(raw: str | bytes) -> MessageRecord:
    data = _load(raw, "new_message")
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
    )


def _sentiment_from(data: dict[str, Any]) -> Scores:
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
    }
    return orjson.dumps(payload).decode()


def decode_chat(raw: str | bytes) -> ChatRecord:
    data = _load(raw, "new_chat")
    return ChatRecord(
        channel_name=str(data["channel_name"]),
        from_user=_user_from(data["from_user"]),
        to_user=_user_from(data["to_user"]),
        # Absent from events of processes older than the field: a rolling
        # deploy's subscriber then replays the chat from its start.
        last_seq=int(data.get("last_seq", 0)),
    )


class EventDecodeError(ValueError):
    """An event on the wire that this version cannot read."""


def _load(raw: str | bytes, expected_type: str) -> dict[str, Any]:
    data = orjson.loads(raw)
    if not isinstance(data, dict) or data.get("type") != expected_type:
        raise EventDecodeError(f"not a {expected_type} event")
    if data.get("v") != EVENT_VERSION:
        raise EventDecodeError(f"unsupported event version {data.get('v')!r}")
    return data
