"""Train the sentiment model: `make sentiment-model`.

`python -m tests.sentiment.train [--out PATH]`.

Reproducible bit for bit: the same data, lexicon and code give the same
`graph/domain/sentiment/model.tsv` (tests/sentiment/test_model.py retrains
and compares). The recipe, chosen by 5-fold cross-validation on
`tweets-dev.tsv` only:

- features: `graph.domain.sentiment.evidence.gather`, exactly what the
  server computes; word and two-word features seen in at least two texts;
- all four rated files, each text once, with "frustratingly easy" domain
  adaptation (Daume III, 2007): every feature is given twice, once shared by
  all domains and once for its own domain, so reviews and editorials teach
  the shared weights what words mean while tweets keep their own calibration
  of where neutral ends; the shipped weights are shared + tweets, the domain
  closest to chat;
- a multinomial logistic regression (L-BFGS, L2 with C = 0.1).

The held-out half of the tweets is never read.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from scipy import sparse, special
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from textblob.en import sentiment as pattern_sentiment

from graph.domain.sentiment import SentimentLabel, evidence, lexicon, model
from graph.domain.sentiment.evidence import Evidence
from tests.sentiment import data

MODEL_VERSION = "1"
ARTEFACT = Path(model.__file__).with_name(model.ARTEFACT)
CHAT_DOMAIN = "tweets"  # the domain whose weights ship
SHARED = "all"
NGRAM_PREFIXES = ("w:", "b:")
CLASSES = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Recipe:
    c: float = 0.2  # inverse L2 strength
    # Spread each text's label by how sure its mean rating is (standard error
    # of a mean of ~20 ratings); 0 trains on the hard labels.
    softness: float = 0.25
    min_count: int = 2  # texts an n-gram must appear in to be a feature
    max_iter: int = 3000
    # How much a text of the other domains (reviews, editorials) counts
    # against a tweet in the fit.
    other_weight: float = 2.0
    # Word and two-word features enter the fit scaled by this, so the L2
    # penalty holds them back more than the few features of the whole text
    # (the artefact's weights are scaled back: at run time they count 1).
    ngram_scale: float = 1.0
    # Added to NEUTRAL's log-odds: the model is fitted to each text's most
    # likely label, and a little more room for NEUTRAL is chosen by
    # cross-validation (it buys macro-F1 at no cost in accuracy).
    neutral_bias: float = 0.2
    # Weights smaller than this are dropped from the artefact: they change
    # no label measurably (the cross-validation runs on the pruned model) and
    # would be most of its size.
    prune: float = 0.02


RECIPE = Recipe()


@dataclass(frozen=True, slots=True)
class Example:
    domain: str
    rated: data.Rated
    evidence: list[Evidence]

    @property
    def label(self) -> int:
        return CLASSES.index(self.rated.label)


def examples_of(sets: Mapping[str, Sequence[data.Rated]]) -> list[Example]:
    words = lexicon.load()
    found = []
    for domain, rows in sets.items():
        for rated in rows:
            polarity, subjectivity = pattern_sentiment(rated.text)
            gathered = evidence.gather(
                rated.text, float(polarity), float(subjectivity), words
            )
            found.append(Example(domain, rated, gathered))
    return found


def _summed(gathered: Iterable[Evidence]) -> dict[str, float]:
    features: dict[str, float] = {}
    for feature, value, _ in gathered:
        features[feature] = features.get(feature, 0.0) + value
    return features


def _adapted(features: Mapping[str, float], domain: str) -> dict[str, float]:
    doubled = {}
    for feature, value in features.items():
        doubled[f"{SHARED}|{feature}"] = value
        doubled[f"{domain}|{feature}"] = value
    return doubled


def fit(examples: Sequence[Example], recipe: Recipe) -> model.Model:
    """The model for chat messages, trained on `examples` (any domains)."""
    summed = [_summed(example.evidence) for example in examples]
    seen = Counter(
        feature
        for features in summed
        for feature in features
        if feature.startswith(NGRAM_PREFIXES)
    )
    scale = recipe.ngram_scale
    kept = [
        {
            feature: value * scale if feature.startswith(NGRAM_PREFIXES) else value
            for feature, value in features.items()
            if not feature.startswith(NGRAM_PREFIXES)
            or seen[feature] >= recipe.min_count
        }
        for features in summed
    ]
    vectorizer = DictVectorizer(sort=True)
    matrix = vectorizer.fit_transform(
        [
            _adapted(features, ex.domain)
            for features, ex in zip(kept, examples, strict=True)
        ]
    )
    regression = LogisticRegression(
        C=recipe.c, max_iter=recipe.max_iter, fit_intercept=False
    )
    counts = np.array(
        [1.0 if ex.domain == CHAT_DOMAIN else recipe.other_weight for ex in examples]
    )
    if recipe.softness:
        targets, spread = _soft_targets(examples, recipe.softness)
        regression.fit(
            sparse.vstack([matrix, matrix, matrix]).tocsr(),
            targets,
            sample_weight=spread * np.tile(counts, 3),
        )
    else:
        labels = np.array([example.label for example in examples])
        regression.fit(matrix, labels, sample_weight=counts)
    if list(regression.classes_) != [0, 1, 2]:
        msg = "the training data lacks one of the three labels"
        raise ValueError(msg)

    coef = regression.coef_
    per_feature: dict[str, np.ndarray] = {}
    for column, name in enumerate(vectorizer.get_feature_names_out()):
        domain, _, feature = str(name).partition("|")
        if domain in (SHARED, CHAT_DOMAIN):
            so_far = per_feature.get(feature)
            column_weights = coef[:, column]
            if feature.startswith(NGRAM_PREFIXES):
                column_weights = column_weights * scale
            per_feature[feature] = (
                column_weights if so_far is None else so_far + column_weights
            )
    negative, neutral, positive = (CLASSES.index(label) for label in CLASSES)
    weights: dict[str, tuple[float, float]] = {}
    per_feature["bias"] = per_feature.get("bias", np.zeros(3)) + np.array(
        [0.0, recipe.neutral_bias, 0.0]
    )
    for feature, classes in per_feature.items():
        up = round(float(classes[positive] - classes[neutral]), 4)
        down = round(float(classes[negative] - classes[neutral]), 4)
        if max(abs(up), abs(down)) >= recipe.prune or not feature.startswith(
            NGRAM_PREFIXES
        ):
            weights[feature] = (up, down)
    return model.Model(MODEL_VERSION, weights)


def _soft_targets(
    examples: Sequence[Example], softness: float
) -> tuple[np.ndarray, np.ndarray]:
    ratings = np.array([example.rated.rating for example in examples])
    negative = special.ndtr((-0.5 - ratings) / softness)
    positive = special.ndtr((ratings - 0.5) / softness)
    neutral = np.clip(1.0 - negative - positive, 0.0, 1.0)
    weights = np.concatenate([negative, neutral, positive])
    return np.repeat([0, 1, 2], len(examples)), weights


def folds_of(examples: Sequence[Example], domain: str, folds: int = FOLDS) -> list[int]:
    """Each example's fold: stratified by label, in id order; -1 outside `domain`."""
    ranked = sorted(
        (
            (example.label, example.rated.id, index)
            for index, example in enumerate(examples)
            if example.domain == domain
        ),
        key=lambda item: (item[0], _id_key(item[1])),
    )
    assigned = [-1] * len(examples)
    for position, (_, _, index) in enumerate(ranked):
        assigned[index] = position % folds
    return assigned


def _id_key(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


def cross_validated(
    examples: Sequence[Example],
    domain: str,
    recipe: Recipe,
    folds: int = FOLDS,
) -> dict[int, model.Judgement]:
    """Each `domain` example judged by a model that never saw it, by index.

    The folds are fitted in parallel, one process per core (forked, so the
    examples are shared, not copied).
    """
    assigned = folds_of(examples, domain, folds)
    global _FOLDING  # read by the forked workers
    _FOLDING = (examples, assigned, recipe)
    workers = min(folds, os.cpu_count() or 1)
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            models = list(pool.map(_fit_without, range(folds)))
    finally:
        _FOLDING = None
    judged: dict[int, model.Judgement] = {}
    for index, fold in enumerate(assigned):
        if fold >= 0:
            judged[index] = models[fold].judge(examples[index].evidence)
    return judged


_FOLDING: tuple[Sequence[Example], list[int], Recipe] | None = None


def _fit_without(fold: int) -> model.Model:
    assert _FOLDING is not None
    examples, assigned, recipe = _FOLDING
    return fit(
        [ex for ex, f in zip(examples, assigned, strict=True) if f != fold], recipe
    )


def build(root: Path, recipe: Recipe = RECIPE) -> str:
    """The artefact's text, trained on every rated file under `root`."""
    trained = fit(examples_of(data.load_all(root)), recipe)
    return model.render(trained.version, trained.weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ARTEFACT)
    args = parser.parse_args()
    started = time.perf_counter()
    text = build(data.require_folder())
    args.out.write_text(text, encoding="utf-8")
    features = text.count("\n") - 1
    print(
        f"wrote {args.out} ({features:,} features, {len(text.encode()) / 1024:.0f} KiB)"
        f" in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
