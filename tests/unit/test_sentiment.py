from __future__ import annotations

import pytest

from graph.domain.sentiment import EMOJI, SentimentLabel, Thresholds, analyze, classify


def test_analyze_scores_happy_neutral_and_sad_texts() -> None:
    assert analyze("I love this, it is wonderful!").polarity == pytest.approx(0.75)
    assert analyze("The meeting is at noon.").polarity == 0.0
    assert analyze("This is terrible and sad.").polarity == pytest.approx(-0.75)


def test_scores_stay_in_their_ranges() -> None:
    for text in ["!!!", "best best best", "worst ever", "meh", "\U0001f600"]:
        scores = analyze(text)
        assert -1.0 <= scores.polarity <= 1.0
        assert 0.0 <= scores.subjectivity <= 1.0


@pytest.mark.parametrize(
    ("polarity", "label"),
    [
        (1.0, SentimentLabel.POSITIVE),
        (0.51, SentimentLabel.POSITIVE),
        (0.5, SentimentLabel.NEUTRAL),
        (0.0, SentimentLabel.NEUTRAL),
        (-0.01, SentimentLabel.NEGATIVE),
        (-1.0, SentimentLabel.NEGATIVE),
    ],
)
def test_default_thresholds_follow_the_contract(
    polarity: float, label: SentimentLabel
) -> None:
    assert classify(polarity, Thresholds()) is label


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(positive_above=0.9, negative_below=-0.5)

    assert classify(0.8, strict) is SentimentLabel.NEUTRAL
    assert classify(-0.4, strict) is SentimentLabel.NEUTRAL
    assert classify(-0.6, strict) is SentimentLabel.NEGATIVE


def test_each_label_has_its_emoji() -> None:
    assert EMOJI == {
        SentimentLabel.POSITIVE: "\U0001f600",
        SentimentLabel.NEUTRAL: "\U0001f610",
        SentimentLabel.NEGATIVE: "\U0001f61f",
    }


def test_scores_equal_textblobs_own() -> None:
    from textblob import TextBlob

    texts = [
        "I love this, it is wonderful!",
        "not bad at all, but the food was cold",
        "What a terrible, boring meeting :(",
        "See you at six.",
        "",
        "VERY GOOD!!! very, very good",
    ]
    for text in texts:
        polarity, subjectivity = TextBlob(text).sentiment
        scores = analyze(text)
        assert (scores.polarity, scores.subjectivity) == (polarity, subjectivity)
