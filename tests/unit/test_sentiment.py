from __future__ import annotations

import re

import pytest

from graph.domain import sentiment
from graph.domain.sentiment import (
    EMOJI,
    LEGACY_ANALYZER,
    Scores,
    SentimentLabel,
    analyze,
    evidence,
    lexicon,
    model,
    preview,
)

POSITIVE, NEUTRAL, NEGATIVE = (
    SentimentLabel.POSITIVE,
    SentimentLabel.NEUTRAL,
    SentimentLabel.NEGATIVE,
)


def reasons_of(text: str) -> dict[str, float]:
    return dict(analyze(text).reasons)


def test_the_reasons_name_the_words_that_drove_the_score() -> None:
    scores = analyze("I love it")

    assert scores.label is POSITIVE
    assert scores.reasons[0][0] == "love"
    assert scores.reasons[0][1] > 0
    hated = analyze("I hate this awful day")
    assert hated.label is NEGATIVE
    assert {"hate", "awful"} <= set(dict(hated.reasons))
    assert all(
        weight < 0 for word, weight in hated.reasons if word in ("hate", "awful")
    )


def test_reasons_are_at_most_five_strongest_first_and_never_grammar() -> None:
    text = "I love love love this wonderful amazing great happy sunny day, thanks!!"
    reasons = analyze(text).reasons

    assert 0 < len(reasons) <= 5
    weights = [abs(weight) for _, weight in reasons]
    assert weights == sorted(weights, reverse=True)
    assert not {"i", "this", "the"} & {word for word, _ in reasons}


def test_a_reason_is_as_short_as_a_label_needs() -> None:
    long_word = "wonderful" + "x" * 100
    for word, _ in analyze(f"{long_word} {long_word} love").reasons:
        assert len(word) <= model.MAX_REASON_CHARS


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (":(", NEGATIVE),
        ("the bus is late :(", NEGATIVE),
        ("\U0001f602", POSITIVE),  # face with tears of joy
        ("that was the meeting \U0001f602", POSITIVE),
        ("\U0001f62d\U0001f62d", NEGATIVE),  # loudly crying face
    ],
)
def test_emoticons_and_emoji_carry_a_mood(text: str, label: SentimentLabel) -> None:
    assert analyze(text).label is label


def test_emoticons_and_emoji_move_the_score_and_are_named() -> None:
    plain = analyze("the bus is late").score
    assert analyze("the bus is late :(").score < plain
    assert analyze("the bus is late \U0001f602").score > plain
    assert ":(" in reasons_of("the bus is late :(")
    assert "\U0001f602" in reasons_of("the bus is late \U0001f602")
    # A skin tone or a variation selector does not hide an emoji.
    assert analyze("\U0001f44d\U0001f3fd").label is POSITIVE  # thumbs up


def test_negation_flips() -> None:
    assert analyze("bad").label is NEGATIVE
    assert analyze("not bad").label is not NEGATIVE
    assert analyze("The food was not bad").label is not NEGATIVE
    assert analyze("not bad").score > analyze("bad").score
    assert analyze("I don't like it").label is not POSITIVE
    assert analyze("I don't like it").score < analyze("I like it").score
    assert "not bad" in reasons_of("The food was not bad")


def test_intensifiers_capitals_and_exclamations_strengthen() -> None:
    assert analyze("good").score < analyze("very good").score
    assert analyze("this is good").score < analyze("this is GOOD").score
    assert analyze("that was great").score < analyze("that was great!!!").score


def test_but_leans_to_the_second_clause() -> None:
    assert analyze("The food was great but the service was awful").score < (
        analyze("The service was awful but the food was great").score
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # The three messages TextBlob got wrong.
        ("Can't wait to see you!!!", POSITIVE),
        ("great, another delay :(", NEGATIVE),
        ("See you at six.", NEUTRAL),
        ("The meeting is at noon.", NEUTRAL),
        ("Thank you so much, you are amazing", POSITIVE),
        ("This is the worst day ever", NEGATIVE),
    ],
)
def test_everyday_messages_get_the_label_people_would_give(
    text: str, label: SentimentLabel
) -> None:
    assert analyze(text).label is label


def test_scores_stay_in_their_ranges() -> None:
    texts = ["!!!", "best best best", "worst ever", "meh", "\U0001f600", "", " "]
    texts += ["x" * 4000, "\u200d\ufe0f", "\U0001f3fd", ":):):):)" * 50]
    for text in texts:
        scores = analyze(text)
        assert -1.0 <= scores.polarity <= 1.0
        assert 0.0 <= scores.subjectivity <= 1.0
        assert -1.0 <= scores.score <= 1.0
        assert 1 / 3 <= scores.confidence <= 1.0
        assert len(scores.reasons) <= model.MAX_REASONS


def test_the_label_is_the_most_confident_class_and_the_score_agrees() -> None:
    for text in ["I love it", "I hate it", "See you at six.", "not bad"]:
        scores = analyze(text)
        assert scores.emoji == EMOJI[scores.label]
        if scores.label is POSITIVE:
            assert scores.score > 0
        if scores.label is NEGATIVE:
            assert scores.score < 0


def test_polarity_and_subjectivity_are_textblobs_own() -> None:
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


def test_the_preview_is_what_a_message_would_store_and_counts_no_score() -> None:
    before = sentiment.counter.scored
    seen = preview("Can't wait to see you!!!")
    assert sentiment.counter.scored == before
    assert analyze("Can't wait to see you!!!") == seen
    assert sentiment.counter.scored == before + 1


def test_the_analyzer_names_its_model_and_weights() -> None:
    name = analyze("hello").analyzer

    assert re.fullmatch(r"sentichat-\w+\+[0-9a-f]{8}", name)
    assert name == sentiment.current_analyzer()
    trained = model.load()
    rendered = model.render(trained.version, trained.weights)
    assert sentiment.version_of(trained.version, rendered) == name
    changed = model.render(trained.version, {**trained.weights, "bias": (0.0, 0.0)})
    assert sentiment.version_of(trained.version, changed) != name


def test_a_legacy_row_reads_with_textblobs_old_thresholds() -> None:
    assert Scores.legacy(0.6, 0.5).label is POSITIVE
    assert Scores.legacy(0.5, 0.5).label is NEUTRAL
    assert Scores.legacy(-0.01, 0.5).label is NEGATIVE
    old = Scores.stored(0.6, 0.5, None, None, None, None, LEGACY_ANALYZER)
    assert old == Scores.legacy(0.6, 0.5)
    assert (old.analyzer, old.score, old.confidence, old.reasons) == (
        LEGACY_ANALYZER,
        0.6,
        0.0,
        (),
    )


def test_stored_scores_read_back_equal() -> None:
    scores = analyze("I love it :)")
    again = Scores.stored(
        scores.polarity,
        scores.subjectivity,
        scores.label.value,
        scores.score,
        scores.confidence,
        sentiment.reasons_to_json(scores.reasons),
        scores.analyzer,
    )
    assert again == scores


def test_each_label_has_its_emoji() -> None:
    assert EMOJI == {
        POSITIVE: "\U0001f600",
        NEUTRAL: "\U0001f610",
        NEGATIVE: "\U0001f61f",
    }


def test_the_model_artefact_round_trips() -> None:
    trained = model.load()
    assert model.parse(model.render(trained.version, trained.weights)) == trained
    with pytest.raises(ValueError, match="not a sentiment model"):
        model.parse("feature\t1\t2\n")


def test_tokens_keep_emoticons_emoji_and_words_apart() -> None:
    kinds = evidence.tokens(
        "Can't wait :) \U0001f44d\U0001f3fd!!! #yay @bob http://x.y"
    )
    assert kinds == [
        ("word", "Can't"),
        ("word", "wait"),
        ("emoticon", ":)"),
        ("emoji", "\U0001f44d\U0001f3fd"),
        ("bang", "!!!"),
        ("tag", "#yay"),
        ("user", "@bob"),
        ("url", "http://x.y"),
    ]


def test_an_emojis_valence_comes_from_the_words_of_its_name() -> None:
    words = lexicon.load()
    assert words.emoji["\U0001f602"] > 0  # face with tears of joy
    assert words.emoji["\U0001f620"] < 0  # angry face
