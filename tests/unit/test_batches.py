"""`Batches`: calls gathered while a batch is handled, every one answered."""

from __future__ import annotations

import asyncio

import pytest

from graph.platform.batches import Batch, Batches


async def test_calls_are_batched_in_order_and_each_answered() -> None:
    seen: list[list[int]] = []

    async def double(batch: Batch[int, int]) -> None:
        seen.append([item for item, _ in batch])
        await asyncio.sleep(0)  # a round trip: the others arrive meanwhile
        for item, answer in batch:
            answer.set_result(2 * item)

    batches: Batches[int, int] = Batches(double, size=3)

    async with asyncio.timeout(5):
        answers = await asyncio.gather(*(batches(n) for n in range(7)))

    assert answers == [2 * n for n in range(7)]
    assert seen == [[0, 1, 2], [3, 4, 5], [6]]  # at most 3, in order


async def test_a_failed_batch_fails_each_of_its_calls() -> None:
    async def refuse(batch: Batch[int, int]) -> None:
        raise OSError("no answer")

    batches: Batches[int, int] = Batches(refuse, size=10)

    results = await asyncio.gather(
        *(batches(n) for n in range(3)), return_exceptions=True
    )

    assert [type(result) for result in results] == [OSError] * 3
    with pytest.raises(OSError, match="no answer"):
        await batches(4)  # and the next call is handled, not left waiting
