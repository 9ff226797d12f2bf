"""`ChatLookups`: every check is answered, however the checks arrive."""

from __future__ import annotations

import asyncio
from typing import Any

from db.queries import ChatRow
from graph.services.feeds import ChatLookups


class Answered(ChatLookups):
    """Answers each batch at once, without a database: a chat per pair."""

    def __init__(self) -> None:
        super().__init__(engine=None)  # type: ignore[arg-type]
        self.batches: list[list[tuple[int, int]]] = []

    async def _answer(self, batch: list[tuple[tuple[int, int], Any]]) -> None:
        self.batches.append([pair for pair, _ in batch])
        for pair, found in batch:
            found.set_result(_chat(pair))


def _chat(pair: tuple[int, int]) -> ChatRow:
    low, high = pair
    return ChatRow(low * 1000 + high, low, high, 0, 0, "low", "high", True, True, False)


async def test_a_check_made_as_the_readers_finish_is_read() -> None:
    # The subscription's second check (the head again, once attached) can
    # come in the same turn of the loop in which both readers ended, before
    # the loop has run their done callbacks. It must start a reader of its
    # own, not wait for one that has gone.
    lookups = Answered()

    async def twice(pair: tuple[int, int]) -> None:
        await lookups.chat(pair)
        await lookups.chat(pair)

    async with asyncio.timeout(5):
        await asyncio.gather(twice((1, 2)), twice((3, 4)))

    assert sum(len(batch) for batch in lookups.batches) == 4


async def test_a_burst_is_read_in_batches_and_every_check_answered() -> None:
    lookups = Answered()
    pairs = [(n, n + 1) for n in range(1, 1000, 2)]

    async with asyncio.timeout(5):
        views = await asyncio.gather(*(lookups.chat(pair) for pair in pairs))

    assert len(views) == len(pairs)
    assert sorted(p for batch in lookups.batches for p in batch) == sorted(pairs)
    assert max(len(batch) for batch in lookups.batches) <= ChatLookups.MAX_PAIRS
