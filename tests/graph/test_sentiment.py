"""The sentiment a reader sees: preview before sending, what sending stores,
rows from before the analyzer, and the rescore that brings them up to date."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, update

from db.models import LEGACY_ANALYZER, Message
from graph.domain import sentiment
from graph.services.sentiment import rescore
from tests.support.api import Api, message_count

PREVIEW = """
query Preview($text: String!) {
  sentimentPreview(text: $text) {
    polarity subjectivity label emoji score confidence analyzer
    reasons { text weight }
  }
}"""


async def preview(api: Api, text: str, token: str) -> dict[str, Any]:
    data = await api.data(PREVIEW, {"text": text}, token)
    result: dict[str, Any] = data["sentimentPreview"]
    return result


async def test_a_sent_message_gets_the_sentiment_its_preview_showed(api: Api) -> None:
    alice, _, channel = await api.pair()
    for text in ["Can't wait to see you!!!", "great, another delay :(", "ok"]:
        shown = await preview(api, text, alice.token)

        sent = await api.send(alice, channel, text)

        assert sent["sentiment"] == shown


async def test_a_preview_stores_and_scores_nothing(api: Api) -> None:
    alice, _, _ = await api.pair()
    scored = sentiment.counter.scored

    shown = await preview(api, "I love it", alice.token)

    assert shown["label"] == "POSITIVE"
    assert shown["reasons"][0]["text"] == "love"
    assert await message_count(api) == 0
    assert sentiment.counter.scored == scored


async def test_a_preview_needs_a_token(api: Api) -> None:
    code, _ = await api.refusal(PREVIEW, {"text": "hello"})

    assert code == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "cannot be empty"),
        ("   \n", "cannot be empty"),
        ("x" * 4001, "at most 4000 characters"),
        ("a\x00b", "NUL"),
    ],
)
async def test_a_preview_takes_the_texts_a_message_takes(
    api: Api, text: str, says: str
) -> None:
    alice, _, _ = await api.pair()

    code, message = await api.refusal(PREVIEW, {"text": text}, alice.token)

    assert code == "BAD_USER_INPUT"
    assert says in message


async def test_a_long_text_is_scored_off_the_event_loop(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, _, channel = await api.pair()
    threads: list[str] = []
    for name in ("analyze", "preview"):
        real = getattr(sentiment, name)

        def spy(text: str, real: Any = real) -> sentiment.Scores:
            threads.append(threading.current_thread().name)
            scored: sentiment.Scores = real(text)
            return scored

        monkeypatch.setattr(sentiment, name, spy)
    long_text = "What a lovely day. " * 100  # past SENTIMENT_INLINE_MAX_CHARS

    await api.send(alice, channel, "short and sweet")
    await api.send(alice, channel, long_text)
    await preview(api, long_text, alice.token)

    main = threading.main_thread().name
    assert threads[0] == main
    assert len(threads) == 3
    assert all(thread != main for thread in threads[1:])


async def _make_legacy(api: Api, channel_seq: int | None = None) -> None:
    """Make stored rows look as the migration left them: scored by TextBlob alone."""
    statement = update(Message).values(
        label=None,
        score=None,
        confidence=None,
        reasons=None,
        analyzer=LEGACY_ANALYZER,
    )
    if channel_seq is not None:
        statement = statement.where(Message.seq == channel_seq)
    async with api.services.accounts._sessions.begin() as session:
        await session.execute(statement)


async def test_a_row_from_before_the_analyzer_reads_as_textblob_labelled_it(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    # TextBlob's polarity is 0.75 (above 0.5): POSITIVE by its old thresholds.
    await api.send(alice, channel, "I love this, it is wonderful!")
    await _make_legacy(api)

    [read] = await api.history(bob, channel)

    assert read["sentiment"] == {
        "polarity": 0.75,
        "subjectivity": 0.8,
        "label": "POSITIVE",
        "emoji": "\U0001f600",
        "score": 0.75,
        "confidence": 0.0,
        "reasons": [],
        "analyzer": LEGACY_ANALYZER,
    }


async def test_rescore_brings_old_rows_up_to_date_and_leaves_newer_ones_alone(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    texts = ["great, another delay :(", "Can't wait to see you!!!", "I love it"]
    sent = [await api.send(alice, channel, text) for text in texts]
    await _make_legacy(api, channel_seq=1)
    await _make_legacy(api, channel_seq=2)
    # A row the current analyzer wrote is never touched, whatever it holds.
    async with api.services.accounts._sessions.begin() as session:
        await session.execute(
            update(Message).where(Message.seq == 3).values(score=0.123)
        )
    before = await api.history(bob, channel)
    assert [m["sentiment"]["analyzer"] for m in before[:2]] == [LEGACY_ANALYZER] * 2
    assert before[0]["sentiment"]["label"] == "NEUTRAL"  # TextBlob's 0.0 polarity

    done = await rescore(api.services.messages._engine, batch_size=1)

    assert (done.rescored, done.batches) == (2, 2)
    after = await api.history(bob, channel)
    assert [m["sentiment"] for m in after[:2]] == [m["sentiment"] for m in sent[:2]]
    assert after[0]["sentiment"]["label"] == "NEGATIVE"
    assert after[2]["sentiment"]["score"] == 0.123
    again = await rescore(api.services.messages._engine)
    assert again.rescored == 0


async def test_rescore_writes_whole_rows(api: Api) -> None:
    alice, _, channel = await api.pair()
    for n in range(7):
        await api.send(alice, channel, f"message {n}: thanks, you are great")
    await _make_legacy(api)

    await rescore(api.services.messages._engine, batch_size=3)

    async with api.services.accounts._sessions() as session:
        current = sentiment.current_analyzer()
        stale = await session.scalar(
            select(func.count()).where(
                (Message.analyzer != current)
                | Message.label.is_(None)
                | Message.score.is_(None)
                | Message.confidence.is_(None)
                | Message.reasons.is_(None)
            )
        )
    assert stale == 0
