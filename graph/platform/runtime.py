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

import ctypes
import gc
import logging
import resource
import time
from collections.abc import Callable
from typing import Any

GEN0_THRESHOLD = 20_000

logger = logging.getLogger(__name__)


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


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None on a C library without it (musl, macOS)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    return trim


def resident_bytes() -> int | None:
    """The process's resident memory, where /proc says it (Linux)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * resource.getpagesize()


def release_memory() -> None:
    """Collect, then hand the C heap's free pages back to the system.

    After 2,000 idle sockets closed (2026-12-06), RSS stayed 93 MiB above
    where it was; tracemalloc showed the objects themselves all freed, so
    the rest is allocators holding freed memory. A collection and glibc's
    `malloc_trim` gave back 17 MiB of it. The rest is CPython's object
    allocator, whose 1 MiB arenas go back only when wholly empty: a few
    objects that outlive the sockets pin them. `PYTHONMALLOC=malloc` lets
    the trim reach those too (it came back to 28 MiB above the start) at
    about 9 % more memory per socket (README, "Connections at scale").
    """
    before = resident_bytes()
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    after = resident_bytes()
    if before is not None and after is not None:
        logger.info(
            "gave memory back: resident memory %.0f MiB -> %.0f MiB",
            before / 2**20,
            after / 2**20,
        )
