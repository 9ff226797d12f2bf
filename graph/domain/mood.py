"""The mood of a conversation: recency-weighted means of its message scores.

Each member's messages are weighed on the chat's clock: every message sent
in the chat, by either member, multiplies every earlier weight by `DECAY`,
so the newest message weighs 1, the one ten messages back 0.5, twenty back
0.25. A member's mood is the weighted mean of their messages' scores; the
chat's is the weighted mean of everyone's the viewer may see. Two such
means are kept, with half-lives of `HALF_LIFE` and `FAST_HALF_LIFE`
messages; the trend is the fast one minus the slow one: above 0 the last
few messages are warmer than the conversation so far.

The database keeps, per member, each mean's numerator and denominator
(`sum`, `weight`), updated by every send in its statement (db.messages) and
adjusted exactly by an edit or a deletion (`adjusted`): a message `k`
sends back weighs DECAY**k. A deleted message leaves the means, as it
leaves the history; it still counts among the member's `messages`.

A member who does not share their sentiment is left out of the other
member's view: their score is None there, and the chat's score, label and
trend are the viewer's own. Their message counts stay: how much someone
wrote is not how they felt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from graph.domain.sentiment import SentimentLabel
from graph.domain.users import UserRecord

HALF_LIFE = 10  # messages
FAST_HALF_LIFE = 3
DECAY = 0.5 ** (1 / HALF_LIFE)
FAST_DECAY = 0.5 ** (1 / FAST_HALF_LIFE)
# A mood at or above this reads POSITIVE, at or below its negative NEGATIVE.
# A message's score is P(POSITIVE) - P(NEGATIVE); a mean of 0.2 is a
# conversation clearly leaning one way, not one kind word among neutral ones.
LABEL_AT = 0.2
# Below this a mean has nothing (left) to average: a member with no scored
# messages, or whose every message was deleted.
NO_WEIGHT = 1e-9


# A member's stored means: sum, weight, fast_sum, fast_weight.
Parts = tuple[float, float, float, float]


def adjusted(parts: Parts, ago: int, old: float | None, new: float | None) -> Parts:
    """`parts` after the score of a message `ago` messages back (0: the
    newest) went from `old` to `new` (None: no score, as when deleted): it
    weighs DECAY**ago in the mean, FAST_DECAY**ago in the fast one."""
    total, weight, fast_total, fast_weight = parts
    slow, fast = DECAY**ago, FAST_DECAY**ago
    before, counted_before = (0.0, 0.0) if old is None else (old, 1.0)
    now, counted_now = (0.0, 0.0) if new is None else (new, 1.0)
    return (
        total + slow * (now - before),
        weight + slow * (counted_now - counted_before),
        fast_total + fast * (now - before),
        fast_weight + fast * (counted_now - counted_before),
    )


def mood_label(score: float) -> SentimentLabel:
    if score >= LABEL_AT:
        return SentimentLabel.POSITIVE
    if score <= -LABEL_AT:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


class MemberMood(NamedTuple):
    """One member's part of a chat's mood, as stored.

    Named tuples, this and MoodState: every chat of a list of 500 carries
    one, and as frozen dataclasses they took 7 µs a chat to build.
    """

    user: UserRecord
    messages: int  # written in the chat, deleted ones too
    sum: float
    weight: float
    fast_sum: float
    fast_weight: float

    @property
    def score(self) -> float:
        return _mean(self.sum, self.weight)

    @property
    def parts(self) -> Parts:
        return self.sum, self.weight, self.fast_sum, self.fast_weight

    def adjusted(self, ago: int, old: float | None, new: float | None) -> MemberMood:
        """The part after the score of a message `ago` messages back (0: the
        newest) went from `old` to `new` (None: no score, as when deleted)."""
        return MemberMood(
            self.user, self.messages, *adjusted(self.parts, ago, old, new)
        )

    def before_send(self, score: float | None) -> MemberMood:
        """The part before its newest send, which is its member's if `score`
        is given (that message's), else the other member's."""
        sent, counted = (0.0, 0.0) if score is None else (score, 1.0)
        return MemberMood(
            self.user,
            self.messages - (0 if score is None else 1),
            (self.sum - sent) / DECAY,
            (self.weight - counted) / DECAY,
            (self.fast_sum - sent) / FAST_DECAY,
            (self.fast_weight - counted) / FAST_DECAY,
        )


@dataclass(frozen=True, slots=True)
class UserMoodView:
    user: UserRecord
    score: float | None  # None: they keep their sentiment to themselves
    messages: int


@dataclass(frozen=True, slots=True)
class MoodView:
    """A chat's mood as one of its members may see it."""

    score: float
    label: SentimentLabel
    trend: float
    by_user: tuple[UserMoodView, ...]  # the viewer first


def _mean(total: float, weight: float) -> float:
    if weight < NO_WEIGHT:
        return 0.0
    # Clamped: an edit's adjustment in floating point can overshoot by ulps.
    return max(-1.0, min(1.0, total / weight))


def shows(member: UserRecord, viewer_id: int) -> bool:
    """Whether `viewer_id` may see `member`'s sentiment."""
    return member.id == viewer_id or member.shares_sentiment is True


class MoodState(NamedTuple):
    """A chat's stored mood when its version was `version`."""

    channel: str
    version: int
    low: MemberMood
    high: MemberMood

    def view(self, viewer_id: int) -> MoodView:
        mine, theirs = (
            (self.low, self.high)
            if viewer_id == self.low.user.id
            else (self.high, self.low)
        )
        seen: Sequence[MemberMood] = (
            (mine, theirs) if shows(theirs.user, viewer_id) else (mine,)
        )
        score = _mean(sum(m.sum for m in seen), sum(m.weight for m in seen))
        fast = _mean(sum(m.fast_sum for m in seen), sum(m.fast_weight for m in seen))
        weighed = sum(m.weight for m in seen) >= NO_WEIGHT
        return MoodView(
            score=score,
            label=mood_label(score),
            trend=fast - score if weighed else 0.0,
            by_user=tuple(
                UserMoodView(
                    member.user,
                    member.score if shows(member.user, viewer_id) else None,
                    member.messages,
                )
                for member in (mine, theirs)
            ),
        )


def stored_mood(
    channel: str,
    version: int,
    low: UserRecord,
    high: UserRecord,
    values: Sequence[Any],
) -> MoodState:
    """The mood as statements return it (db.queries.MoodValues: each
    member's count, whether each shares, then their means' parts)."""
    low_sent, high_sent, _, _, *parts = values
    return MoodState(
        channel,
        version,
        MemberMood(low, low_sent, *parts[:4]),
        MemberMood(high, high_sent, *parts[4:]),
    )


@dataclass(frozen=True, slots=True)
class MoodChangedRecord:
    """A chat's mood moved from `before` to `after` (a send or a change);
    sent on its activity feed when either member's view changed label."""

    before: MoodState
    after: MoodState

    @property
    def channel(self) -> str:
        return self.after.channel

    def changes_label_for(self, viewer_id: int) -> bool:
        return self.before.view(viewer_id).label != self.after.view(viewer_id).label

    @property
    def changes_a_label(self) -> bool:
        return any(
            self.changes_label_for(member.user.id)
            for member in (self.after.low, self.after.high)
        )


@dataclass(frozen=True, slots=True)
class RunMood:
    """One member's messages in a run of a chat (`moodHistory`)."""

    messages: int  # written in the run, deleted ones too
    scored: int  # of them, those with a score (not deleted)
    total: float  # the sum of their scores


@dataclass(frozen=True, slots=True)
class MoodPointRecord:
    """A run of a chat's messages, seq `from_seq` to `to_seq`, and its mood."""

    from_seq: int
    to_seq: int
    started_at: datetime  # the first message's createdAt
    low: tuple[UserRecord, RunMood]
    high: tuple[UserRecord, RunMood]

    def view(self, viewer_id: int) -> tuple[float, tuple[UserMoodView, ...]]:
        """The run's plain mean of what the viewer may see, and each member's."""
        mine, theirs = (
            (self.low, self.high)
            if viewer_id == self.low[0].id
            else (self.high, self.low)
        )
        total = scored = 0.0
        parts = []
        for user, run in (mine, theirs):
            visible = shows(user, viewer_id)
            if visible:
                total += run.total
                scored += run.scored
            mean = run.total / run.scored if run.scored else 0.0
            parts.append(UserMoodView(user, mean if visible else None, run.messages))
        return (total / scored if scored else 0.0), tuple(parts)


def runs(last_seq: int, buckets: int) -> list[tuple[int, int]]:
    """Seq 1..last_seq split into at most `buckets` runs, as equal as can be
    (their lengths differ by at most one), oldest first: (from, to)."""
    count = min(buckets, last_seq)
    if count <= 0:
        return []
    size, longer = divmod(last_seq, count)
    result = []
    start = 1
    for index in range(count):
        length = size + (1 if index < longer else 0)
        result.append((start, start + length - 1))
        start += length
    return result
