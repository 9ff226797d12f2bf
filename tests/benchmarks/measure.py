"""Latency samples, their percentiles, and a log-bucketed histogram of them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Buckets grow by 2 %: an upper bound is within 2 % of every sample under it.
BUCKET_GROWTH = 1.02
SMALLEST_US = 1.0


def percentile(sorted_samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with `fraction` at or below."""
    if not sorted_samples:
        return math.nan
    if not 0 <= fraction <= 1:
        raise ValueError("fraction is between 0 and 1")
    rank = max(1, math.ceil(fraction * len(sorted_samples)))
    return sorted_samples[rank - 1]


def bucket_of(value_us: float) -> int:
    """The index of the bucket holding `value_us` (bucket 0: at most 1 µs)."""
    if value_us <= SMALLEST_US:
        return 0
    return math.ceil(math.log(value_us / SMALLEST_US, BUCKET_GROWTH))


def bucket_upper_us(index: int) -> float:
    return float(SMALLEST_US * BUCKET_GROWTH**index)


@dataclass(frozen=True)
class Latencies:
    """Latencies in microseconds, sorted."""

    samples_us: tuple[float, ...]

    @classmethod
    def of(cls, samples_us: Iterable[float]) -> Latencies:
        return cls(tuple(sorted(samples_us)))

    def __len__(self) -> int:
        return len(self.samples_us)

    def ms(self, fraction: float) -> float:
        return percentile(self.samples_us, fraction) / 1000

    def summary(self) -> dict[str, float | int]:
        return {
            "count": len(self),
            "p50_ms": round(self.ms(0.5), 3),
            "p99_ms": round(self.ms(0.99), 3),
            "p999_ms": round(self.ms(0.999), 3),
            "max_ms": round(self.samples_us[-1] / 1000, 3) if self.samples_us else 0,
        }

    def histogram(self) -> list[tuple[float, int]]:
        """(bucket upper bound in µs, count) for every non-empty bucket."""
        counts: dict[int, int] = {}
        for sample in self.samples_us:
            index = bucket_of(sample)
            counts[index] = counts.get(index, 0) + 1
        return [(round(bucket_upper_us(i), 1), counts[i]) for i in sorted(counts)]
