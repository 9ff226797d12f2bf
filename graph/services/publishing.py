"""After a commit: subscribers through the event bus, and Pusher when it is on.

Pusher events keep the original tutorial's names and fields, so its clients
(pusher-js, the mobile SDKs) work unchanged: `new_chat` on the invitee's
notification channel, `new_message` on the chat's channel. Edits, deletions
and reactions are `message_changed` on the chat's channel, with the same
payload as the message now is. Ids are decimal
strings, as in the GraphQL API, since a 64-bit id does not fit a JS number.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from graph.domain.mood import MoodChangedRecord
from graph.domain.records import ChatRecord, MessageRecord
from graph.domain.sentiment import Scores
from graph.realtime import EventBus, notification_channel
from graph.realtime.pusher import PusherEvent, PusherFanout, Slot

logger = logging.getLogger(__name__)

# Pusher refuses event data over 10 KB (HTTP 413).
MAX_PUSHER_DATA_BYTES = 10_240


class Publisher:
    """Announces committed chats and messages; never raises, never waits on Pusher."""

    def __init__(self, bus: EventBus, pusher: PusherFanout | None) -> None:
        self._bus = bus
        self._pusher = pusher

    @property
    def reserves_slots(self) -> bool:
        """Whether a send must `reserve` a slot under its chat's row lock."""
        return self._pusher is not None

    def reserve(self, channel: str) -> Slot | None:
        """A place in Pusher's queue for a message about to be committed.

        Taken under the chat's row lock, it keeps Pusher's events in `seq`
        order; fill it with `message()` after the commit, or void it.
        """
        return None if self._pusher is None else self._pusher.reserve(channel)

    async def message(self, message: MessageRecord, slot: Slot | None = None) -> None:
        self._to_pusher(message, slot, "new_message")
        await self._bus.publish_message(message)

    async def change(
        self, message: MessageRecord, slot: Slot | None = None, *, blocked: bool = False
    ) -> None:
        """An edit, deletion or reaction: `message_changed` on Pusher, unless
        its pair is `blocked` (a deletion, the one change made then): both
        members may hold the chat's Pusher channel from before the block,
        and Pusher cannot hold anything back. The bus still carries it; its
        subscribers hold it back until the block is lifted."""
        if not blocked:
            self._to_pusher(message, slot, "message_changed")
        await self._bus.publish_change(message)

    async def mood(self, moved: MoodChangedRecord) -> None:
        """`MoodChanged` to chatActivity's subscribers, when the move changed
        the label either member sees (each subscriber then delivers it only
        if their own view's label changed). Not on Pusher: its chat channel
        is shared by both members, and each may see a different mood."""
        if moved.changes_a_label:
            await self._bus.publish_activity(moved)

    async def chat(self, chat: ChatRecord) -> None:
        if self._pusher is not None:
            self._pusher.offer(chat_event(chat))
        await self._bus.publish_chat(chat)

    def _to_pusher(self, message: MessageRecord, slot: Slot | None, name: str) -> None:
        """Fill the message's slot (one reserved now if none was) with its
        event, when Pusher is on."""
        if self._pusher is None:
            return
        if slot is None:
            slot = self._pusher.reserve(message.channel)
        try:
            event, compacted = self._message_event(message, name)
        except Exception:  # a bug; the commit stands and subscribers still hear
            logger.exception("could not build the Pusher event of a message")
            slot.void()
            return
        if slot.fill(event) and compacted:
            self._pusher.stats.compacted += 1

    def _message_event(
        self, message: MessageRecord, name: str
    ) -> tuple[PusherEvent, bool]:
        payload = message_payload(message)
        data = orjson.dumps(payload)
        compacted = len(data) > MAX_PUSHER_DATA_BYTES
        if compacted:
            # Too big for Pusher: send a reference, and the client reads the
            # message by its channel and seq.
            del payload["message"], payload["client_id"]
            payload["message_omitted"] = True
            data = orjson.dumps(payload)
        return PusherEvent(message.channel, name, data.decode()), compacted


def message_payload(message: MessageRecord) -> dict[str, Any]:
    """The message as it is now; `sentiment` is null once it is deleted, and
    when its sender keeps their sentiment to themselves: both members read
    the chat's channel, and the other may not see it (the sender has it from
    their mutation's answer).

    `reactions` lists each emoji with who put it there: both members may
    read the chat's channel, and each tells "mine" by their own id.
    """
    payload = {
        "id": str(message.id),
        "seq": message.seq,
        "channel": message.channel,
        "from_user": str(message.from_user.id),
        "to_user": str(message.to_user.id),
        "from_username": message.from_user.username,
        "to_username": message.to_user.username,
        "message": message.message,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "version": message.version,
        "edited_at": _iso_or_none(message.edited_at),
        "deleted_at": _iso_or_none(message.deleted_at),
        "reactions": [
            {
                "emoji": reaction.emoji,
                "count": len(reaction.user_ids),
                "users": [str(user_id) for user_id in reaction.user_ids],
            }
            for reaction in message.reactions
        ],
        "sentiment": _sentiment_payload(message.sentiment)
        if message.from_user.shares_sentiment is True
        else None,
    }
    return payload


def _sentiment_payload(sentiment: Scores | None) -> dict[str, Any] | None:
    if sentiment is None:
        return None
    return {
        "polarity": sentiment.polarity,
        "subjectivity": sentiment.subjectivity,
        "label": sentiment.label.value,
        "emoji": sentiment.emoji,
        "score": sentiment.score,
        "confidence": sentiment.confidence,
        "reasons": [
            {"text": text, "weight": weight} for text, weight in sentiment.reasons
        ],
        "analyzer": sentiment.analyzer,
    }


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def chat_event(chat: ChatRecord) -> PusherEvent:
    to_channel = notification_channel(chat.to_user.id)
    payload = {
        "channel_name": chat.channel_name,
        "from_user": str(chat.from_user.id),
        "to_user": str(chat.to_user.id),
        "from_username": chat.from_user.username,
        "to_username": chat.to_user.username,
        "from_user_notification_channel": notification_channel(chat.from_user.id),
        "to_user_notification_channel": to_channel,
        "last_seq": chat.last_seq,
    }
    return PusherEvent(to_channel, "new_chat", orjson.dumps(payload).decode())
