from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import strawberry

from graph.api.accounts.types import User
from graph.domain import sentiment as scoring
from graph.domain.records import MessageRecord, UserRecord

strawberry.enum(
    scoring.SentimentLabel,
    description="What people would call the text's mood: the analyzer's most "
    "probable class (people's mean rating above 0.5 on a -4..4 scale is "
    "POSITIVE, below -0.5 NEGATIVE).",
)
SentimentLabel = scoring.SentimentLabel


@strawberry.type(description="A word, emoji, phrase or rule that moved a text's score.")
class SentimentReason:
    text: str = strawberry.field(
        description='As it reads in the text, lower-cased ("love", "not bad", '
        '":(", "!"), at most 32 characters.'
    )
    weight: float = strawberry.field(
        description="Its push on the score: above 0 towards POSITIVE, below 0 "
        "towards NEGATIVE (log-odds)."
    )


@strawberry.type(
    description="A text's mood, scored once when its message was sent and stored."
)
class Sentiment:
    polarity: float = strawberry.field(
        description="TextBlob's polarity, -1 (negative) to 1 (positive)."
    )
    subjectivity: float = strawberry.field(
        description="TextBlob's subjectivity, 0 (objective) to 1."
    )
    label: SentimentLabel
    emoji: str = strawberry.field(
        description="U+1F600 (POSITIVE), U+1F610 (NEUTRAL) or U+1F61F (NEGATIVE)."
    )
    score: float = strawberry.field(
        description="-1 (surely negative) to 1 (surely positive): the chance "
        "people call it POSITIVE minus the chance they call it NEGATIVE."
    )
    confidence: float = strawberry.field(
        description="0 to 1: the analyzer's probability for `label`; 0 on "
        "messages scored before the analyzer (analyzer textblob-1)."
    )
    reasons: list[SentimentReason] = strawberry.field(
        description="What moved the score, strongest first, at most 5."
    )
    analyzer: str = strawberry.field(
        description='The analyzer version that scored it ("textblob-1": '
        "TextBlob's polarity with thresholds 0.5 and 0, before Sentichat's own)."
    )

    @classmethod
    def from_scores(cls, scores: scoring.Scores) -> Sentiment:
        return cls(
            polarity=scores.polarity,
            subjectivity=scores.subjectivity,
            label=scores.label,
            emoji=scores.emoji,
            score=scores.score,
            confidence=scores.confidence,
            reasons=[
                SentimentReason(text=text, weight=weight)
                for text, weight in scores.reasons
            ],
            analyzer=scores.analyzer,
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
        user: Callable[[UserRecord], User] = User.member,
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
            sentiment=Sentiment.from_scores(message.sentiment),
        )

    @classmethod
    def page(cls, messages: Iterable[MessageRecord]) -> list[Message]:
        """Messages of one chat: its two users are built once, not per message."""
        users: dict[int, User] = {}

        def user(record: UserRecord) -> User:
            built = users.get(record.id)
            if built is None:
                built = users[record.id] = User.member(record)
            return built

        return [cls.from_record(message, user) for message in messages]
