"""Message sentiment: TextBlob's polarity and subjectivity, and their labels.

The only importer of textblob. Scores are computed once, when a message is
written, and stored; everything downstream classifies the stored numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# TextBlob's default analyser, called without building a TextBlob: the blob's
# tokenizer and its lazy properties cost more than the scoring itself, and the
# scores are identical (tests/unit/test_sentiment.py compares them).
from textblob.en import sentiment as _pattern_sentiment

from graph.platform.settings import Settings


class SentimentLabel(enum.Enum):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"


EMOJI: dict[SentimentLabel, str] = {
    SentimentLabel.POSITIVE: "\U0001f600",  # grinning face
    SentimentLabel.NEUTRAL: "\U0001f610",  # neutral face
    SentimentLabel.NEGATIVE: "\U0001f61f",  # worried face
}


@dataclass(frozen=True, slots=True)
class Scores:
    polarity: float  # -1 .. 1
    subjectivity: float  # 0 .. 1


@dataclass(frozen=True, slots=True)
class Thresholds:
    positive_above: float = 0.5
    negative_below: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            positive_above=settings.sentiment_positive_above,
            negative_below=settings.sentiment_negative_below,
        )


class Counter:
    """Texts this process has scored: one per stored message, none on reads."""

    __slots__ = ("scored",)

    def __init__(self) -> None:
        self.scored = 0


counter = Counter()


def analyze(text: str) -> Scores:
    """Score a text with TextBlob's pattern analyser (no corpus download)."""
    polarity, subjectivity = _pattern_sentiment(text)
    counter.scored += 1
    return Scores(polarity=float(polarity), subjectivity=float(subjectivity))


def warm() -> None:
    """Load the lexicon (parsed on first use), without counting a score."""
    _pattern_sentiment("warm")


def classify(polarity: float, thresholds: Thresholds) -> SentimentLabel:
    if polarity > thresholds.positive_above:
        return SentimentLabel.POSITIVE
    if polarity < thresholds.negative_below:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL
