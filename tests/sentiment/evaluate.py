"""`make sentiment-eval` (`python -m tests.sentiment.evaluate [--fast]`).

Sentichat's analyzer, TextBlob with the thresholds Sentichat used before it
(above 0.5 POSITIVE, below 0 NEGATIVE) and VADER's compound score (above
0.05 POSITIVE, below -0.05 NEGATIVE, its authors' rule), on each rated file:
3-class accuracy and macro-F1 against the people's label, and the Pearson
correlation of each one's score with the people's mean rating.

The model trains on every file, so on each file Sentichat is measured by
5-fold cross-validation: each text is judged by a model trained without the
fifth of that file it belongs to (the recipe and the code are the shipped
ones). `--fast` measures tweets-dev.tsv alone, as CI does.

Writes `.artifacts/sentiment/`: `table.md`, `results.json` and
`confusion.png` (one confusion matrix per file and analyzer).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from textblob.en import sentiment as pattern_sentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from graph.domain.sentiment import (
    LEGACY_NEGATIVE_BELOW,
    LEGACY_POSITIVE_ABOVE,
    SentimentLabel,
)
from tests.sentiment import data, train

OUT = Path(".artifacts/sentiment")
LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)
RECIPE = train.Recipe()
ANALYZERS = ("Sentichat", "TextBlob (0.5 / 0)", "VADER (±0.05)")


@dataclass(frozen=True, slots=True)
class Figures:
    file: str
    analyzer: str
    texts: int
    accuracy: float
    macro_f1: float
    pearson_r: float
    confusion: list[list[int]]  # [people's label][analyzer's label], LABELS order


def figures(
    file: str,
    analyzer: str,
    people: Sequence[data.Rated],
    labels: Sequence[SentimentLabel],
    scores: Sequence[float],
) -> Figures:
    confusion = [[0] * 3 for _ in LABELS]
    for rated, label in zip(people, labels, strict=True):
        confusion[LABELS.index(rated.label)][LABELS.index(label)] += 1
    right = sum(confusion[i][i] for i in range(3))
    return Figures(
        file=file,
        analyzer=analyzer,
        texts=len(people),
        accuracy=right / len(people),
        macro_f1=macro_f1(confusion),
        pearson_r=pearson([rated.rating for rated in people], scores),
        confusion=confusion,
    )


def macro_f1(confusion: Sequence[Sequence[int]]) -> float:
    scores = []
    for k in range(len(confusion)):
        true_positive = confusion[k][k]
        predicted = sum(row[k] for row in confusion)
        actual = sum(confusion[k])
        if predicted + actual == 0:
            continue
        scores.append(2 * true_positive / (predicted + actual))
    return sum(scores) / len(scores)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    if not var_x or not var_y:
        return 0.0
    return cov / math.sqrt(var_x * var_y)


def thresholds(
    score: float, positive_above: float, negative_below: float
) -> SentimentLabel:
    if score > positive_above:
        return SentimentLabel.POSITIVE
    if score < negative_below:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


def sentichat_cross_validated(
    examples: Sequence[train.Example], domain: str, recipe: train.Recipe
) -> tuple[list[data.Rated], list[SentimentLabel], list[float]]:
    judged = train.cross_validated(examples, domain, recipe)
    indexes = sorted(judged)
    return (
        [examples[i].rated for i in indexes],
        [judged[i].label for i in indexes],
        [judged[i].score for i in indexes],
    )


def references(
    people: Sequence[data.Rated],
) -> dict[str, tuple[list[SentimentLabel], list[float]]]:
    vader = SentimentIntensityAnalyzer()
    polarity = [float(pattern_sentiment(rated.text)[0]) for rated in people]
    compound = [vader.polarity_scores(rated.text)["compound"] for rated in people]
    return {
        ANALYZERS[1]: (
            [
                thresholds(p, LEGACY_POSITIVE_ABOVE, LEGACY_NEGATIVE_BELOW)
                for p in polarity
            ],
            polarity,
        ),
        ANALYZERS[2]: ([thresholds(c, 0.05, -0.05) for c in compound], compound),
    }


def evaluate(
    root: Path,
    domains: Sequence[str],
    recipe: train.Recipe = RECIPE,
    log: Callable[[str], None] = print,
) -> list[Figures]:
    examples = train.examples_of(data.load_all(root))
    results = []
    for domain in domains:
        started = time.perf_counter()
        people, labels, scores = sentichat_cross_validated(examples, domain, recipe)
        name = data.FILES[domain]
        results.append(figures(name, ANALYZERS[0], people, labels, scores))
        for analyzer, (their_labels, their_scores) in references(people).items():
            results.append(figures(name, analyzer, people, their_labels, their_scores))
        log(f"{name}: {time.perf_counter() - started:.0f} s")
    return results


def table(results: Sequence[Figures]) -> str:
    lines = [
        "| file | texts | analyzer | accuracy | macro-F1 | Pearson r |",
        "|---|---:|---|---:|---:|---:|",
    ]
    lines.extend(
        f"| `{row.file}` | {row.texts:,} | {row.analyzer} | {row.accuracy:.3f}"
        f" | {row.macro_f1:.3f} | {row.pearson_r:.3f} |"
        for row in results
    )
    return "\n".join(lines)


def plot(results: Sequence[Figures], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = list(dict.fromkeys(row.file for row in results))
    figure, axes = plt.subplots(
        len(files), len(ANALYZERS), figsize=(3.2 * len(ANALYZERS), 3 * len(files))
    )
    grid = [axes] if len(files) == 1 else axes  # one file: a single row
    names = [label.value[:3] for label in LABELS]
    for row in results:
        ax = grid[files.index(row.file)][ANALYZERS.index(row.analyzer)]
        ax.imshow(row.confusion, cmap="Blues")
        for i, counts in enumerate(row.confusion):
            for j, count in enumerate(counts):
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(3), names)
        ax.set_yticks(range(3), names)
        ax.set_title(f"{row.file}\n{row.analyzer}: {row.accuracy:.3f}", fontsize=8)
        ax.set_xlabel("analyzer", fontsize=7)
        ax.set_ylabel("people", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--fast", action="store_true", help="tweets-dev.tsv only (as CI runs it)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    root = data.require_folder()
    domains = [train.CHAT_DOMAIN] if args.fast else list(data.FILES)
    started = time.perf_counter()
    results = evaluate(root, domains)
    rendered = table(results)
    print(rendered)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(rendered + "\n", encoding="utf-8")
    (args.out / "results.json").write_text(
        json.dumps([asdict(row) for row in results], indent=2) + "\n",
        encoding="utf-8",
    )
    plot(results, args.out / "confusion.png")
    print(
        f"\n{args.out}/table.md, results.json, confusion.png"
        f" ({time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
