"""Message sentiment: what people would call a text's mood, with the reasons.

`analyze(text)` gives everything a message stores about its mood:

- TextBlob's `polarity` and `subjectivity`, unchanged in meaning (this
  package is the only importer of textblob);
- the reader-facing `label`, `score`, `confidence` and `reasons`, from
  Sentichat's own analyzer: VADER's lexicons, rules for negation,
  intensifiers, capitals, "but" and emoticons (`evidence`), weighed by a model
  trained on people's ratings (`model`). The label is the class the model
  finds most probable, `confidence` that probability, and `score` the
  probability of POSITIVE minus that of NEGATIVE (-1 .. 1);
- `analyzer`: the version that scored it, so `make rescore` can find rows
  scored by an older one.

Scores are computed once, when a message is written, and stored; reads
never recompute. Rows written before this analyzer (analyzer
`textblob-1`) are read with the label TextBlob's thresholds gave them until
they are rescored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import orjson

# TextBlob's default analyser, called without building a TextBlob: the blob's
# tokenizer and its lazy properties cost more than the scoring itself, and the
# scores are identical (tests/unit/test_sentiment.py compares them).
from textblob.en import sentiment as _pattern_sentiment

from graph.domain.sentiment import evidence, lexicon, model

# Re-exported: the face of the package.
from graph.domain.sentiment.labels import EMOJI as EMOJI
from graph.domain.sentiment.labels import SentimentLabel as SentimentLabel

LEGACY_ANALYZER = "textblob-1"
# TextBlob's thresholds that labelled messages before this analyzer.
LEGACY_POSITIVE_ABOVE = 0.5
LEGACY_NEGATIVE_BELOW = 0.0


Reason = tuple[str, float]  # (word, emoji or rule; its push towards POSITIVE)


class Scores(NamedTuple):
    """A text's mood as stored with its message.

    A named tuple, not a frozen dataclass: as immutable, and built in a
    third of the time (a frozen dataclass sets each field through
    `object.__setattr__`); a page of history builds fifty.
    """

    polarity: float  # TextBlob, -1 .. 1
    subjectivity: float  # TextBlob, 0 .. 1
    label: SentimentLabel
    score: float  # -1 .. 1
    confidence: float  # 0 .. 1
    reasons: tuple[Reason, ...]  # strongest first, at most 5
    analyzer: str

    @property
    def emoji(self) -> str:
        return EMOJI[self.label]

    @classmethod
    def stored(
        cls,
        polarity: float,
        subjectivity: float,
        label: str | None,
        score: float | None,
        confidence: float | None,
        reasons: str | None,
        analyzer: str,
    ) -> Scores:
        """Scores read back from where they were kept (columns, an event)."""
        if label is None or score is None or confidence is None:
            return cls.legacy(polarity, subjectivity)
        return cls(
            polarity,
            subjectivity,
            SentimentLabel(label),
            score,
            confidence,
            reasons_from_json(reasons),
            analyzer,
        )

    @classmethod
    def legacy(cls, polarity: float, subjectivity: float) -> Scores:
        """A row scored by TextBlob alone, before the analyzer existed."""
        if polarity > LEGACY_POSITIVE_ABOVE:
            label = SentimentLabel.POSITIVE
        elif polarity < LEGACY_NEGATIVE_BELOW:
            label = SentimentLabel.NEGATIVE
        else:
            label = SentimentLabel.NEUTRAL
        return cls(polarity, subjectivity, label, polarity, 0.0, (), LEGACY_ANALYZER)


def reasons_to_json(reasons: tuple[Reason, ...]) -> str:
    return orjson.dumps(reasons).decode()


def reasons_from_json(text: str | None) -> tuple[Reason, ...]:
    return reasons_from_pairs(orjson.loads(text)) if text else ()


def reasons_from_pairs(pairs: Iterable[Sequence[Any]]) -> tuple[Reason, ...]:
    """Reasons from their JSON form: [text, weight] pairs."""
    return tuple((str(text), float(weight)) for text, weight in pairs)


class Counter:
    """Texts this process has scored: one per stored message, none on reads."""

    __slots__ = ("scored",)

    def __init__(self) -> None:
        self.scored = 0


counter = Counter()


@dataclass(frozen=True, slots=True)
class _Analyzer:
    lexicon: lexicon.Lexicon
    model: model.Model
    version: str


@cache
def _analyzer() -> _Analyzer:
    artefact = model.read()
    trained = model.parse(artefact)
    return _Analyzer(lexicon.load(), trained, version_of(trained.version, artefact))


def version_of(model_version: str, artefact: str) -> str:
    """The analyzer's name: the model's version and a digest of its artefact.

    The artefact is `model.render`'s text, so the same weights always give
    the same name and any change to them a new one.
    """
    digest = hashlib.sha256(artefact.encode()).hexdigest()
    return f"sentichat-{model_version}+{digest[:8]}"


def current_analyzer() -> str:
    return _analyzer().version


def analyze(text: str) -> Scores:
    """Score a text (no network, no corpus download); counts one score."""
    scores = _score(text)
    counter.scored += 1
    return scores


def preview(text: str) -> Scores:
    """What `analyze` would store for this text, without counting a score."""
    return _score(text)


def _score(text: str) -> Scores:
    polarity, subjectivity = _pattern_sentiment(text)
    polarity, subjectivity = float(polarity), float(subjectivity)
    analyzer = _analyzer()
    found = evidence.gather(text, polarity, subjectivity, analyzer.lexicon)
    judgement = analyzer.model.judge(found)
    return Scores(
        polarity=polarity,
        subjectivity=subjectivity,
        label=judgement.label,
        score=round(judgement.score, 4),
        confidence=round(judgement.confidence, 4),
        reasons=judgement.reasons,
        analyzer=analyzer.version,
    )


def warm() -> None:
    """Load the lexicons and the model (read on first use), without counting a score."""
    _score("warm")
