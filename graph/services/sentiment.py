"""Sentiment: scoring a text once, the preview before sending, and the rescore.

A text is scored when its message is written (MessageService) or previewed
(`sentimentPreview`), by the same function, so a message gets the label and
score its preview showed. Long texts are scored in a worker thread, off the
event loop. `rescore` brings rows scored by an older analyzer up to date.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from db import mood, queries
from db.queries import SentimentColumns
from db.session import autocommit
from graph.domain import sentiment
from graph.domain.sentiment import Scores
from graph.platform.settings import Settings
from graph.services.moods import move_rescored
from graph.services.text import check_message
from graph.services.throttle import Limit, Throttle

RESCORE_BATCH = 500


def columns_of(scores: Scores) -> SentimentColumns:
    return {
        "polarity": scores.polarity,
        "subjectivity": scores.subjectivity,
        "label": scores.label.value,
        "score": scores.score,
        "confidence": scores.confidence,
        "reasons": sentiment.reasons_to_json(scores.reasons),
        "analyzer": scores.analyzer,
    }


def scores_of(values: Sequence[Any]) -> Scores:
    """Scores from the sentiment columns, in `db.queries.SENTIMENT_COLUMNS` order."""
    return Scores.stored(*values)


class SentimentService:
    def __init__(self, throttle: Throttle, settings: Settings) -> None:
        self._throttle = throttle
        self._settings = settings

    async def score(self, text: str) -> Scores:
        """The scores a message with this text is stored with (counted)."""
        return await self._off_loop_if_long(sentiment.analyze, text)

    async def preview(self, user_id: int, text: str) -> Scores:
        """What `score` would give, for a user's tone check; stores nothing."""
        check_message(text, self._settings.message_max_chars, field="text")
        await self._throttle.check(Limit.SENTIMENT_PREVIEW_PER_USER, user_id)
        return await self._off_loop_if_long(sentiment.preview, text)

    async def _off_loop_if_long(
        self, scorer: Callable[[str], Scores], text: str
    ) -> Scores:
        if len(text) <= self._settings.sentiment_inline_max_chars:
            return scorer(text)
        return await asyncio.to_thread(scorer, text)


@dataclass(slots=True)
class RescoreProgress:
    analyzer: str
    rescored: int = 0
    batches: int = 0


async def rescore(
    engine: AsyncEngine,
    *,
    batch_size: int = RESCORE_BATCH,
    pause: float = 0.0,
    on_batch: Callable[[RescoreProgress], None] | None = None,
) -> RescoreProgress:
    """Score again every message scored by another analyzer than this one.

    Walks the messages by id, `batch_size` at a time. Each batch is scored in
    a worker thread, then written in its own short transaction, only where
    the row still carries an older analyzer and the text it was scored from.
    The transaction locks the batch's chats first, as a send or an edit
    does, and moves their moods and mood blocks by the new scores
    (graph.services.moods.move_rescored), so a send to one of them waits
    for it (milliseconds). A kill loses at most the batch in flight, which
    rolls back whole; run again, it carries on with the rows still to do,
    since the state is the rows themselves. Nothing is published: history
    reads show the new scores.
    """
    progress = RescoreProgress(sentiment.current_analyzer())
    after_id = 0
    while True:
        async with autocommit(engine) as connection:
            stale = await queries.messages_scored_by_others(
                connection, progress.analyzer, after_id=after_id, limit=batch_size
            )
        if not stale:
            return progress
        after_id = stale[-1][0]
        rescored = await asyncio.to_thread(_score_all, stale)
        message_ids = [message_id for message_id, _, _ in rescored]
        new_scores = {
            message_id: (body, float(columns["score"] or 0.0))
            for message_id, body, columns in rescored
        }
        async with engine.begin() as connection:
            # The chats first, as sends and edits lock them: then their
            # messages cannot change under us, and the moods move exactly.
            locked = await mood.lock_chats_of(connection, message_ids)
            counted = await mood.counted_scores(
                connection, message_ids, progress.analyzer
            )
            await queries.store_rescored(connection, progress.analyzer, rescored)
            await move_rescored(connection, locked, counted, new_scores)
        progress.rescored += len(rescored)
        progress.batches += 1
        if on_batch is not None:
            on_batch(progress)
        if pause:
            await asyncio.sleep(pause)  # an operator's choice: spare the database


def _score_all(
    stale: Sequence[tuple[int, str]],
) -> list[tuple[int, str, SentimentColumns]]:
    return [
        (message_id, body, columns_of(sentiment.analyze(body)))
        for message_id, body in stale
    ]
