"""Batches of a variant's runs, interleaved with the other's, and their tables."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.benchmarks.handwritten.operations import OPERATIONS, Operation

BATCH_SECONDS = 0.05  # the length of one batch, about

Run = Callable[[], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Samples:
    """One variant's means per operation, one a repeat: wall and CPU time (µs)."""

    wall_us: list[float]
    cpu_us: list[float]

    @property
    def min(self) -> float:
        return min(self.wall_us)

    @property
    def median(self) -> float:
        return statistics.median(self.wall_us)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_us)


class Timer:
    """Batches' means of wall time (the figure) and of this process's CPU time
    (the same, unless another process took the CPU meanwhile)."""

    def __init__(self) -> None:
        self.wall_us: list[float] = []
        self.cpu_us: list[float] = []

    def start(self) -> None:
        gc.collect()  # each batch starts with no garbage of another's
        self._wall, self._cpu = time.perf_counter_ns(), time.process_time_ns()

    def stop(self, count: int) -> float:
        """Records the batch's means; returns its CPU mean (µs), which sizes
        batches even while other processes take turns on the CPU."""
        cpu = (time.process_time_ns() - self._cpu) / count / 1_000
        self.wall_us.append((time.perf_counter_ns() - self._wall) / count / 1_000)
        self.cpu_us.append(cpu)
        return cpu

    def samples(self) -> Samples:
        return Samples(self.wall_us, self.cpu_us)


async def batch(run: Run, count: int, timer: Timer) -> float:
    timer.start()
    for _ in range(count):
        await run()
    return timer.stop(count)


async def compare(runs: dict[str, Run], repeats: int) -> tuple[dict[str, Samples], int]:
    """Interleaved batches of each run; the batch size sized to BATCH_SECONDS."""
    answers = [await run() for run in runs.values()]
    if any(answer != answers[0] for answer in answers):
        raise AssertionError("the variants answer differently")
    slowest = 0.0
    for run in runs.values():  # the warm-up, also timing one operation
        slowest = max(slowest, await batch(run, 200, Timer()))
    count = max(1, int(BATCH_SECONDS * 1e6 / slowest))
    names = list(runs)
    timers = {name: Timer() for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            await batch(runs[name], count, timers[name])
    return {name: timer.samples() for name, timer in timers.items()}, count


async def versus(
    title: str,
    names: tuple[str, str],
    runs: Callable[[Operation], tuple[Run, Run]],
    repeats: int,
) -> None:
    """A table of ours against theirs, a row an operation: `runs` makes the
    two variants' runs of one operation (ours first)."""
    ours, theirs = names
    print(f"\n## {title}\n")
    print(
        f"| operation | {ours} min | median | CPU median | {theirs} min"
        " | median | CPU median | theirs - ours (median) | theirs / ours (min;"
        " median; CPU median) | batch |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for operation in OPERATIONS:
        mine, others = runs(operation)
        found, count = await compare({ours: mine, theirs: others}, repeats)
        a, b = found[ours], found[theirs]
        print(
            f"| {operation.label} | {a.min:.1f} | {a.median:.1f} | {a.cpu_median:.1f}"
            f" | {b.min:.1f} | {b.median:.1f} | {b.cpu_median:.1f}"
            f" | {b.median - a.median:+.1f} | {b.min / a.min:.2f};"
            f" {b.median / a.median:.2f}; {b.cpu_median / a.cpu_median:.2f}"
            f" | {count:,} |",
            flush=True,
        )
