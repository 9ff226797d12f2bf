from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import strawberry

from graph.api.accounts.types import User
from graph.api.messages.types import SentimentLabel
from graph.domain.mood import LABEL_AT, MoodPointRecord, MoodView, UserMoodView
from graph.domain.records import UserRecord
from graph.domain.sentiment import EMOJI

PRIVATE = (
    "null when they keep their sentiment to themselves (setShareSentiment) "
    "and you are not them"
)


@strawberry.type(description="One member's part of a chat's mood.")
class UserMood:
    user: User
    score: float | None = strawberry.field(
        description="The mean of their messages' scores, -1 to 1 (0 with "
        f"none); {PRIVATE}."
    )
    messages: int = strawberry.field(
        description="How many messages they have written (in the run, on a "
        "MoodPoint), deleted ones too."
    )

    @classmethod
    def of(cls, part: UserMoodView, user: Callable[[UserRecord], User]) -> UserMood:
        return cls(user=user(part.user), score=part.score, messages=part.messages)


@strawberry.type(
    description="How a conversation feels: the scores of its messages, the "
    "newest weighing most. Kept up to date by every message, never "
    "recomputed on a read."
)
class ChatMood:
    score: float = strawberry.field(
        description="-1 to 1: the mean of the message scores you may see, "
        "each weighing half as much as one 10 messages newer (0 with none). "
        "A member who keeps their sentiment to themselves is left out of "
        "the other member's."
    )
    label: SentimentLabel = strawberry.field(
        description=f"POSITIVE at a score of {LABEL_AT} or more, NEGATIVE at "
        f"-{LABEL_AT} or less, else NEUTRAL."
    )
    emoji: str = strawberry.field(description="The label's, as Sentiment.emoji.")
    trend: float = strawberry.field(
        description="The same mean with a half-life of 3 messages minus "
        "`score`: above 0 the last few messages are warmer than the "
        "conversation so far, below 0 cooler."
    )
    by_user: list[UserMood] = strawberry.field(description="Both members, you first.")

    @classmethod
    def of(
        cls, view: MoodView, user: Callable[[UserRecord], User] = User.member
    ) -> ChatMood:
        return cls(
            score=view.score,
            label=view.label,
            emoji=EMOJI[view.label],
            trend=view.trend,
            by_user=[UserMood.of(part, user) for part in view.by_user],
        )


@strawberry.type(description="A run of a chat's messages and how it felt.")
class MoodPoint:
    from_seq: int = strawberry.field(description="Its first message's seq.")
    to_seq: int = strawberry.field(description="Its last message's seq.")
    started_at: datetime = strawberry.field(
        description="When its first message was sent."
    )
    score: float = strawberry.field(
        description="The plain mean of the run's message scores you may see, "
        "-1 to 1 (0 with none: deleted, or private)."
    )
    by_user: list[UserMood] = strawberry.field(
        description="Both members over the run, you first."
    )

    @classmethod
    def of(cls, point: MoodPointRecord, viewer_id: int) -> MoodPoint:
        score, parts = point.view(viewer_id)
        return cls(
            from_seq=point.from_seq,
            to_seq=point.to_seq,
            started_at=point.started_at,
            score=score,
            by_user=[UserMood.of(part, User.member) for part in parts],
        )
