from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import strawberry

from graph.api.accounts.types import User
from graph.domain import sentiment as scoring
from graph.domain.mood import shows
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


@strawberry.type(description="An emoji on a message, and how many put it there.")
class Reaction:
    emoji: str = strawberry.field(
        description="One emoji, fully qualified (a heart sent as U+2764 reads "
        "U+2764 U+FE0F)."
    )
    count: int = strawberry.field(
        description="How many members reacted with it (1 or 2)."
    )
    mine: bool = strawberry.field(description="Whether you are one of them.")


@strawberry.type(description="A message in a chat.")
class Message:
    id: strawberry.ID
    seq: int = strawberry.field(
        description="1, 2, 3 ... within its channel, no gaps, in commit order."
    )
    channel: str
    from_user: User
    to_user: User
    message: str = strawberry.field(
        description='The text, as last edited; "" once deleted.'
    )
    client_id: str | None = strawberry.field(
        description="The sender's idempotency key, if it gave one."
    )
    created_at: datetime
    sentiment: Sentiment | None = strawberry.field(
        description="Read from the stored scores (scored again once per edit, "
        "never on a read); null once the message is deleted, since the scores "
        "are erased with the text, and null to the other member while its "
        "sender keeps their sentiment to themselves (setShareSentiment)."
    )
    version: int = strawberry.field(
        description="The chat's version at the message's latest change: its "
        "send, edit, deletion or reaction. Resume messageChanges with "
        "afterVersion: the highest it delivered (or the chat's lastVersion)."
    )
    edited_at: datetime | None = strawberry.field(
        description="When its sender last edited it; null if never."
    )
    deleted_at: datetime | None = strawberry.field(
        description="When its sender deleted it; null if not. A deleted message "
        'keeps its seq, with message "", no sentiment and no reactions.'
    )
    reactions: list[Reaction] = strawberry.field(
        description="Its emoji reactions, in the order each emoji first came."
    )

    @classmethod
    def from_record(
        cls,
        message: MessageRecord,
        viewer_id: int,
        user: Callable[[UserRecord], User] = User.member,
    ) -> Message:
        """The message as `viewer_id`, a member of its chat, sees it: without
        its sentiment if its sender keeps theirs to themselves."""
        sentiment = message.sentiment if shows(message.from_user, viewer_id) else None
        return cls(
            id=strawberry.ID(str(message.id)),
            seq=message.seq,
            channel=message.channel,
            from_user=user(message.from_user),
            to_user=user(message.to_user),
            message=message.message,
            client_id=message.client_id,
            created_at=message.created_at,
            sentiment=None if sentiment is None else Sentiment.from_scores(sentiment),
            version=message.version,
            edited_at=message.edited_at,
            deleted_at=message.deleted_at,
            reactions=[
                Reaction(
                    emoji=reaction.emoji,
                    count=len(reaction.user_ids),
                    mine=viewer_id in reaction.user_ids,
                )
                for reaction in message.reactions
            ]
            if message.reactions
            else [],
        )

    @classmethod
    def page(cls, messages: Iterable[MessageRecord], viewer_id: int) -> list[Message]:
        """Messages of one chat: its two users are built once, not per message."""
        users: dict[int, User] = {}

        def user(record: UserRecord) -> User:
            built = users.get(record.id)
            if built is None:
                built = users[record.id] = User.member(record)
            return built

        return [cls.from_record(message, viewer_id, user) for message in messages]
