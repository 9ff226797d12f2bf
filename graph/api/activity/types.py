from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graph.api.accounts.types import User
from graph.api.moods.types import ChatMood
from graph.domain.mood import MoodState
from graph.domain.records import (
    Activity,
    PresenceRecord,
    ReadReceiptRecord,
)


@strawberry.type(description="A member's read position moved forward.")
class ReadReceipt:
    channel: str
    user: User = strawberry.field(description="Whose position moved.")
    seq: int = strawberry.field(description="The highest seq they have now read.")


@strawberry.type(description="A member started or stopped typing.")
class Typing:
    channel: str
    user: User
    typing: bool = strawberry.field(
        description="false also when a `true` was not renewed within about 5 s."
    )


@strawberry.type(
    description="The label of the chat's mood, as you see it, changed: sent "
    "once per change, live (and after a reconnect's gap, if it moved meanwhile)."
)
class MoodChanged:
    channel: str
    mood: ChatMood


ChatActivity = Annotated[
    ReadReceipt | Typing | MoodChanged,
    strawberry.union(
        "ChatActivity",
        description="Something a chat's members do, or how it feels; live only.",
    ),
]


def activity(record: Activity, viewer_id: int) -> ReadReceipt | Typing | MoodChanged:
    if isinstance(record, MoodState):
        return MoodChanged(
            channel=record.channel, mood=ChatMood.of(record.view(viewer_id))
        )
    user = User.member(record.user)
    if isinstance(record, ReadReceiptRecord):
        return ReadReceipt(channel=record.channel, user=user, seq=record.seq)
    return Typing(channel=record.channel, user=user, typing=record.typing)


@strawberry.type(description="One of your chat peers came online or went offline.")
class PresenceChange:
    user: User
    online: bool
    last_seen_at: datetime | None = strawberry.field(
        description="When they were last online (now, if they are)."
    )

    @classmethod
    def from_record(cls, change: PresenceRecord) -> PresenceChange:
        return cls(
            # Hidden (a block): no longer known to share a chat.
            user=User.member(change.user)
            if change.visible
            else User.from_record(change.user),
            online=change.online,
            last_seen_at=change.last_seen_at,
        )
