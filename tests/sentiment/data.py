"""The human-rated sentiment data in `../shared/data/sentiment/`, and its labels.

`SENTICHAT_SENTIMENT_DATA` names the folder; by default it is looked for
beside the checkout (`../shared/data/sentiment`, as on developer and CI
machines), then at `/work/shared/data/sentiment` (the same folder, for a
clone made elsewhere). Its README says where the ratings come from: each text's `rating`
is the mean of about twenty people's ratings from -4 to 4, and the label a
reader should see is POSITIVE above 0.5, NEGATIVE below -0.5, else NEUTRAL.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from graph.domain.sentiment import SentimentLabel

ROOT = Path(__file__).resolve().parents[2]
ENV = "SENTICHAT_SENTIMENT_DATA"
TWEETS = "tweets-dev.tsv"
# Every file, chat-like first; the key is the domain's name in the model.
FILES = {
    "tweets": TWEETS,
    "amazon": "amazonReviewSnippets.tsv",
    "movies": "movieReviewSnippets.tsv",
    "nyt": "nytEditorialSnippets.tsv",
}


@dataclass(frozen=True, slots=True)
class Rated:
    id: str
    rating: float  # people's mean, -4 .. 4
    text: str

    @property
    def label(self) -> SentimentLabel:
        return label_of(self.rating)


def label_of(rating: float) -> SentimentLabel:
    if rating > 0.5:
        return SentimentLabel.POSITIVE
    if rating < -0.5:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


# Where the development and CI machines keep the shared folder, for a
# checkout that is not beside it (a fresh clone elsewhere).
MACHINE_SHARED = Path("/work/shared/data/sentiment")


def folder() -> Path | None:
    """Where the data is, or None if it is nowhere to be found."""
    named = os.environ.get(ENV)
    candidates = (
        [Path(named)]
        if named
        else [ROOT.parent / "shared/data/sentiment", MACHINE_SHARED]
    )
    for candidate in candidates:
        if (candidate / TWEETS).is_file():
            return candidate
    return None


def require_folder() -> Path:
    found = folder()
    if found is None:
        where = ROOT.parent / "shared/data/sentiment"
        msg = (
            f"the rated sentiment data is not at {where}:"
            f" set {ENV} to the folder holding {TWEETS}"
        )
        raise FileNotFoundError(msg)
    return found


def read(path: Path) -> list[Rated]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        if header[:3] != ["id", "rating", "text"]:
            msg = f"{path}: expected the header id, rating, text; got {header}"
            raise ValueError(msg)
        return [Rated(row[0], float(row[1]), row[2]) for row in rows]


def load_all(root: Path) -> dict[str, list[Rated]]:
    return {domain: read(root / name) for domain, name in FILES.items()}
