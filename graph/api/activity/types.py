from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graph.api.accounts.types import User
from graph.domain.records import (
    ActivityRecord,
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


ChatActivity = Annotated[
    ReadReceipt | Typing,
    strawberry.union(
        "ChatActivity", description="Something a chat's members do, live only."
    ),
]


def activity(record: ActivityRecord) -> ReadReceipt | Typing:
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
            user=User.member(change.user),
            online=change.online,
            last_seen_at=change.last_seen_at,
        )
