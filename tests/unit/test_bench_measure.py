"""The benchmark harness's arithmetic (the harness itself runs in `.ci/run`)."""

from __future__ import annotations

import pytest

from tests.benchmarks.measure import Latencies, bucket_of, bucket_upper_us, percentile


def test_nearest_rank_percentiles() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50
    assert percentile(samples, 0.99) == 99
    assert percentile(samples, 0.999) == 100
    assert percentile(samples, 0.0) == 1
    assert percentile([7.0], 0.99) == 7


def test_histogram_buckets_bound_their_samples_within_two_percent() -> None:
    for value in (0.5, 1.0, 1.5, 37.0, 999.9, 12_345.6, 3e6):
        upper = bucket_upper_us(bucket_of(value))
        assert value <= upper * (1 + 1e-9)
        assert value >= 1.0 or upper == 1.0
        if value > 1:
            assert upper <= value * 1.02 * (1 + 1e-9)


def test_summary_and_histogram_count_every_sample() -> None:
    latencies = Latencies.of([3000.0, 1000.0, 2000.0, 2000.0])
    assert latencies.summary()["p50_ms"] == 2.0
    assert latencies.summary()["max_ms"] == 3.0
    assert sum(count for _, count in latencies.histogram()) == 4


def test_percentile_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 1.5)
