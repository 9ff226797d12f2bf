"""Column values the db tests store, where the values themselves do not matter."""

from __future__ import annotations

from db.queries import SentimentColumns

SENTIMENT: SentimentColumns = {
    "polarity": 0.0,
    "subjectivity": 0.0,
    "label": "NEUTRAL",
    "score": 0.0,
    "confidence": 0.5,
    "reasons": "[]",
    "analyzer": "test",
}
