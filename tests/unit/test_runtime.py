from __future__ import annotations

import gc

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
