"""Ways of doing a send's work, measured side by side in one process.

Each way (a `SendPath`) runs rounds of sends shared by concurrent senders,
after a warm-up, the ways interleaved in a rotating order so that a drift of
the machine falls on all of them alike. A round measures this process's CPU
time per send (`time.process_time`), Redis's (INFO cpu), the throughput and
each send's latency; the table compares every way with the first, by
differences paired by repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis

from tests.benchmarks.measure import Latencies

T = TypeVar("T", contravariant=True)
S = TypeVar("S")


class SendPath(Protocol[T]):
    """One way of doing a send's work, for senders of type T."""

    @property
    def name(self) -> str: ...

    async def send(self, sender: T) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Round:
    variant: str
    cpu_us: float  # this process, per send
    redis_cpu_us: float  # the Redis server, per send
    per_second: float
    p50_ms: float
    p99_ms: float


async def redis_cpu_seconds(probe: Redis) -> float:
    info: dict[str, Any] = await probe.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def drive(path: SendPath[S], senders: Sequence[S], sends: int) -> list[float]:
    """`sends` sends shared by one coroutine per sender; their latencies (µs)."""
    latencies: list[float] = []
    left = sends

    async def loop(sender: S) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            started = time.perf_counter()
            await path.send(sender)
            latencies.append((time.perf_counter() - started) * 1e6)

    await asyncio.gather(*(loop(sender) for sender in senders))
    return latencies


async def measure(
    path: SendPath[S], probe: Redis, senders: Sequence[S], sends: int
) -> Round:
    gc.collect()
    redis_before = await redis_cpu_seconds(probe)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    latencies = Latencies.of(await drive(path, senders, sends))
    cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall_before
    redis_cpu = await redis_cpu_seconds(probe) - redis_before
    return Round(
        path.name,
        cpu * 1e6 / sends,
        redis_cpu * 1e6 / sends,
        sends / wall,
        latencies.ms(0.5),
        latencies.ms(0.99),
    )


class Warnings(logging.Handler):
    """The app's warnings: a limiter fallen back to memory, a failed publish."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@dataclass(frozen=True, slots=True)
class Plan:
    senders: int
    sends: int
    warmup: int
    repeats: int


async def interleaved(
    paths: Sequence[SendPath[S]], senders: Sequence[S], plan: Plan, probe: Redis
) -> dict[str, list[Round]]:
    """Each path's rounds, run in turn (the order rotating each repeat); `probe`
    reads Redis's CPU time."""
    warnings = Warnings()
    logging.getLogger("graph").addHandler(warnings)
    rounds: dict[str, list[Round]] = {path.name: [] for path in paths}
    try:
        for repeat in range(plan.repeats):
            turn = repeat % len(paths)
            for path in [*paths[turn:], *paths[:turn]]:
                await drive(path, senders, plan.warmup)
                found = await measure(path, probe, senders, plan.sends)
                if warnings.seen:
                    raise SystemExit(f"{path.name}: {warnings.seen}")
                rounds[path.name].append(found)
                print(f"  {repeat + 1}/{plan.repeats} {_row(found)}", flush=True)
    finally:
        logging.getLogger("graph").removeHandler(warnings)
    return rounds


def _row(found: Round) -> str:
    return (
        f"{found.variant:<18} {found.cpu_us:7.1f} µs CPU/send"
        f" {found.redis_cpu_us:5.1f} µs Redis CPU/send {found.per_second:7,.0f}/s"
        f"  p50 {found.p50_ms:.2f} ms  p99 {found.p99_ms:.2f} ms"
    )


def report(rounds: dict[str, list[Round]], whole_us: float, note: str) -> None:
    """The table, against the first path: differences are paired by repeat
    (rounds run side by side), their median taken."""
    print(
        "\n| variant | CPU µs/send min | median | extra CPU µs/send: paired"
        f" (min - min) | extra / whole ({whole_us:,.0f} µs) | sends/s"
        " | sends/s change, paired | p50 ms | p99 ms | Redis CPU µs/send |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    first = next(iter(rounds.values()))
    for variant, found in rounds.items():
        print(f"| {variant} | {_cells(found, first, whole_us)} |")
    print(f"\n{note}\n(medians unless said)")


def _cells(found: list[Round], first: list[Round], whole_us: float) -> str:
    median = statistics.median
    cpu = [r.cpu_us for r in found]
    extra = median(r.cpu_us - b.cpu_us for r, b in zip(found, first, strict=True))
    change = median(
        r.per_second / b.per_second - 1 for r, b in zip(found, first, strict=True)
    )
    return " | ".join(
        (
            f"{min(cpu):.1f}",
            f"{median(cpu):.1f}",
            f"{extra:+.1f} ({min(cpu) - min(b.cpu_us for b in first):+.1f})",
            f"{extra / whole_us:+.1%}",
            f"{median(r.per_second for r in found):,.0f}",
            f"{change:+.1%}",
            f"{median(r.p50_ms for r in found):.2f}",
            f"{median(r.p99_ms for r in found):.2f}",
            f"{median(r.redis_cpu_us for r in found):.1f}",
        )
    )


def arguments(description: str, sends: int, warmup: int, repeats: int) -> Plan:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--sends", type=int, default=sends)
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument("--repeats", type=int, default=repeats)
    args = parser.parse_args()
    return Plan(args.senders, args.sends, args.warmup, args.repeats)
