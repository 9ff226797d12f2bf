"""The three moods a reader sees, and their emoji."""

from __future__ import annotations

import enum


class SentimentLabel(enum.Enum):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"


EMOJI: dict[SentimentLabel, str] = {
    SentimentLabel.POSITIVE: "\U0001f600",  # grinning face
    SentimentLabel.NEUTRAL: "\U0001f610",  # neutral face
    SentimentLabel.NEGATIVE: "\U0001f61f",  # worried face
}
