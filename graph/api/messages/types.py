from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import strawberry

from graph.api.accounts.types import User
from graph.domain import sentiment as scoring
from graph.domain.records import MessageRecord, UserRecord

strawberry.enum(
    scoring.SentimentLabel,
    description="POSITIVE above the positive threshold, NEGATIVE below the "
    "negative one, NEUTRAL between.",
)
SentimentLabel = scoring.SentimentLabel


@strawberry.type(description="A message's mood, scored once when it was sent.")
class Sentiment:
    polarity: float = strawberry.field(description="-1 (negative) to 1 (positive).")
    subjectivity: float = strawberry.field(description="0 (objective) to 1.")
    label: SentimentLabel
    emoji: str = strawberry.field(description="U+1F600, U+1F610 or U+1F61F.")

    @classmethod
    def from_scores(
        cls, polarity: float, subjectivity: float, thresholds: scoring.Thresholds
    ) -> Sentiment:
        label = scoring.classify(polarity, thresholds)
        return cls(
            polarity=polarity,
            subjectivity=subjectivity,
            label=label,
            emoji=scoring.EMOJI[label],
        )


@strawberry.type(description="A message in a chat.")
class Message:
    id: strawberry.ID
    seq: int = strawberry.field(
        description="1, 2, 3 ... within its channel, no gaps, in commit order."
    )
    channel: str
    from_user: User
    to_user: User
    message: str
    client_id: str | None = strawberry.field(
        description="The sender's idempotency key, if it gave one."
    )
    created_at: datetime
    sentiment: Sentiment = strawberry.field(
        description="Read from the stored scores; never recomputed."
    )

    @classmethod
    def from_record(
        cls,
        message: MessageRecord,
        thresholds: scoring.Thresholds,
        user: Callable[[UserRecord], User] = User.from_record,
    ) -> Message:
        return cls(
            id=strawberry.ID(str(message.id)),
            seq=message.seq,
            channel=message.channel,
            from_user=user(message.from_user),
            to_user=user(message.to_user),
            message=message.message,
            client_id=message.client_id,
            created_at=message.created_at,
            sentiment=Sentiment.from_scores(
                message.polarity, message.subjectivity, thresholds
            ),
        )

    @classmethod
    def page(
        cls, messages: Iterable[MessageRecord], thresholds: scoring.Thresholds
    ) -> list[Message]:
        """Messages of one chat: its two users are built once, not per message."""
        users: dict[int, User] = {}

        def user(record: UserRecord) -> User:
            built = users.get(record.id)
            if built is None:
                built = users[record.id] = User.from_record(record)
            return built

        return [cls.from_record(message, thresholds, user) for message in messages]
