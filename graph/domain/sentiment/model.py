"""The trained weights that turn a text's evidence into a label, a score and reasons.

A multinomial logistic regression over the features of
`graph.domain.sentiment.evidence`, trained by `make sentiment-model`
(`tests/sentiment/train.py`) on the human-rated data in
`../shared/data/sentiment/`. NEUTRAL is the reference class, so each feature
carries two weights: its push towards POSITIVE and towards NEGATIVE, in
log-odds against NEUTRAL.

The artefact, `model.tsv` beside this file, is one line per feature
(`feature<TAB>positive<TAB>negative`) after a header naming the version; it is
committed, and rebuilt bit for bit by the make target. Nothing is downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from graph.domain.sentiment.evidence import Evidence
from graph.domain.sentiment.labels import SentimentLabel

ARTEFACT = "model.tsv"
HEADER = "# sentichat sentiment model"
MAX_REASONS = 5
MIN_REASON_WEIGHT = 0.05  # pushes smaller than this are not worth showing
MAX_REASON_CHARS = 32
# A reason weaker than this share of the strongest is noise, not a reason.
MIN_REASON_SHARE = 0.1
# Words that carry grammar, not mood: their weights are the model's
# bookkeeping of where they tend to occur, never a reason worth showing.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "and",
        "or",
        "if",
        "so",
        "than",
        "then",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "how",
    ]
)


@dataclass(frozen=True, slots=True)
class Judgement:
    positive: float  # probability people would call the text POSITIVE
    neutral: float
    negative: float
    reasons: tuple[tuple[str, float], ...]  # (anchor, push towards POSITIVE)

    @property
    def label(self) -> SentimentLabel:
        """The most probable class (a tie goes to POSITIVE, then NEUTRAL)."""
        chances = (
            (self.positive, SentimentLabel.POSITIVE),
            (self.neutral, SentimentLabel.NEUTRAL),
            (self.negative, SentimentLabel.NEGATIVE),
        )
        return max(chances, key=lambda chance: chance[0])[1]

    @property
    def confidence(self) -> float:
        """The probability of `label`."""
        return max(self.positive, self.neutral, self.negative)

    @property
    def score(self) -> float:
        """-1 .. 1: the chance of POSITIVE minus the chance of NEGATIVE."""
        return self.positive - self.negative


@dataclass(frozen=True, slots=True)
class Model:
    version: str
    weights: dict[str, tuple[float, float]]  # feature -> (to POSITIVE, to NEGATIVE)

    def judge(self, evidence: Iterable[Evidence]) -> Judgement:
        weight_of = self.weights.get
        to_positive = to_negative = 0.0
        pushes: dict[str, float] = {}
        pushed = pushes.get
        for feature, value, anchor in evidence:
            pair = weight_of(feature)
            if pair is None:
                continue
            up, down = pair
            to_positive += up * value
            to_negative += down * value
            if anchor is not None and anchor not in FUNCTION_WORDS:
                pushes[anchor] = pushed(anchor, 0.0) + (up - down) * value
        top = max(to_positive, to_negative, 0.0)
        exp_positive = math.exp(to_positive - top)
        exp_negative = math.exp(to_negative - top)
        exp_neutral = math.exp(-top)
        total = exp_positive + exp_negative + exp_neutral
        return Judgement(
            positive=exp_positive / total,
            neutral=exp_neutral / total,
            negative=exp_negative / total,
            reasons=_strongest(pushes),
        )


def _strongest(pushes: dict[str, float]) -> tuple[tuple[str, float], ...]:
    ranked = sorted(pushes.items(), key=lambda item: (-abs(item[1]), item[0]))
    if not ranked:
        return ()
    floor = max(MIN_REASON_WEIGHT, abs(ranked[0][1]) * MIN_REASON_SHARE)
    return tuple(
        (_shortened(anchor), round(push, 3))
        for anchor, push in ranked[:MAX_REASONS]
        if abs(push) >= floor
    )


def _shortened(anchor: str) -> str:
    if len(anchor) <= MAX_REASON_CHARS:
        return anchor
    return anchor[: MAX_REASON_CHARS - 1] + "\u2026"


def parse(text: str) -> Model:
    lines = text.splitlines()
    if not lines or not lines[0].startswith(HEADER):
        msg = f"not a sentiment model: the first line must start with {HEADER!r}"
        raise ValueError(msg)
    version = lines[0][len(HEADER) :].strip()
    weights: dict[str, tuple[float, float]] = {}
    for line in lines[1:]:
        feature, positive, negative = line.split("\t")
        weights[feature] = (float(positive), float(negative))
    return Model(version, weights)


def read() -> str:
    """The committed artefact's text."""
    return resources.files(__package__).joinpath(ARTEFACT).read_text("utf-8")


def load() -> Model:
    return parse(read())


def render(version: str, weights: dict[str, tuple[float, float]]) -> str:
    """The artefact's text: what `parse` reads back."""
    lines = [f"{HEADER} {version}"]
    lines.extend(
        f"{feature}\t{positive!r}\t{negative!r}"
        for feature, (positive, negative) in sorted(weights.items())
    )
    return "\n".join(lines) + "\n"
