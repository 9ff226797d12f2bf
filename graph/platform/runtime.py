"""The garbage collector, tuned for a server that holds many live sockets.

CPython's full (generation 2) collection walks every tracked object. With a
thousand subscriptions held open, each a nest of generators, frames and
buffers, one took 120-190 ms on the benchmark machine, stalling every
request and delivery of the process meanwhile: the delivery p99 was those
pauses (README, "Performance"). Two measures:

- start-up's objects are frozen (`gc.freeze()`): they live as long as the
  process, and are never walked again;
- the first generation's threshold is raised from 700 to 20,000 allocations,
  so the young collections, and the full ones they lead to, come ~30x less
  often. Memory held by cyclic garbage grows a little between collections;
  reference counting still frees everything else at once.

The pauses are measured (`sentichat_gc_pause_seconds` in /metrics).
"""

from __future__ import annotations

import gc
import time
from typing import Any

GEN0_THRESHOLD = 20_000


class GcPauses:
    """Collections and the time they stopped the process, per generation."""

    __slots__ = ("_started", "count", "longest", "seconds")

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        pause = time.perf_counter() - self._started
        self.count[generation] += 1
        self.seconds[generation] += pause
        self.longest[generation] = max(self.longest[generation], pause)


pauses = GcPauses()
_tuned = False


def tune_gc() -> None:
    """Once per process (tests start many apps): freeze, raise, measure."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
    gc.callbacks.append(pauses)
