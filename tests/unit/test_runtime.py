from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from graph.api.metrics import Connections
from graph.platform import runtime
from graph.platform.runtime import GEN0_THRESHOLD, GcPauses, tune_gc


def test_pauses_are_counted_per_generation() -> None:
    pauses = GcPauses()
    for generation in (0, 2, 2):
        pauses("start", {"generation": generation})
        pauses("stop", {"generation": generation, "collected": 0})
    assert pauses.count == [1, 0, 2]
    assert pauses.seconds[2] >= pauses.longest[2] >= 0
    assert pauses.seconds[1] == 0


def test_tuning_raises_the_young_threshold_once() -> None:
    tune_gc()
    tune_gc()
    assert gc.get_threshold()[0] == GEN0_THRESHOLD
    assert sum(callback.__class__ is GcPauses for callback in gc.callbacks) == 1


async def test_memory_is_given_back_once_half_of_many_sockets_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = asyncio.Event()
    monkeypatch.setattr(runtime, "release_memory", released.set)
    connections = Connections()
    monkeypatch.setattr(connections, "RELEASE_AFTER", 10)
    monkeypatch.setattr(connections, "RELEASE_DELAY_SECONDS", 0.0)
    for _ in range(10):
        connections.opened()
    for _ in range(4):
        connections.closed()
    await asyncio.sleep(0)  # a timer due now would have run
    assert not released.is_set()  # 6 of a peak of 10 still open

    connections.closed()
    async with asyncio.timeout(5):
        await released.wait()
    assert connections.open == 5


def test_releasing_memory_says_what_it_gave_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=runtime.__name__)
    runtime.release_memory()
    assert [r.getMessage()[:34] for r in caplog.records] == [
        "gave memory back: resident memory "
    ]
