"""GCRA limits: a burst of `count`, then one per interval; shared through Redis."""

from __future__ import annotations

import logging
import uuid

import pytest
from redis.asyncio import Redis

from graph.platform.ratelimit import MemoryRateLimiter, RedisRateLimiter, gcra
from graph.platform.settings import Rate
from tests.support.services import require_redis

FIVE_PER_MINUTE = Rate(5, 60)


class Clock:
    """Microseconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000_000

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += round(seconds * 1_000_000)


def test_a_rate_parses_from_count_and_period() -> None:
    assert Rate.parse("30/m") == Rate(30, 60)
    assert Rate.parse("10/10s") == Rate(10, 10)
    assert Rate.parse("5/2h") == Rate(5, 7200)
    assert Rate.parse("100/60") == Rate(100, 60)


@pytest.mark.parametrize("text", ["", "5", "0/m", "5/0s", "5/", "-1/m", "5/m/s", "x/m"])
def test_anything_else_is_not_a_rate(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(text)


def test_the_whole_burst_is_allowed_at_once_then_one_per_interval() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    assert [limiter.hit_now("k", FIVE_PER_MINUTE) for _ in range(5)] == [0.0] * 5
    assert limiter.hit_now("k", FIVE_PER_MINUTE) == pytest.approx(12.0)
    clock.advance(11.9)
    assert limiter.hit_now("k", FIVE_PER_MINUTE) == pytest.approx(0.1)
    clock.advance(0.1)
    assert limiter.hit_now("k", FIVE_PER_MINUTE) == 0.0
    assert limiter.hit_now("k", FIVE_PER_MINUTE) == pytest.approx(12.0)


def test_refusals_do_not_push_the_next_allowed_request_further() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    for _ in range(5):
        limiter.hit_now("k", FIVE_PER_MINUTE)
    waits = [limiter.hit_now("k", FIVE_PER_MINUTE) for _ in range(100)]
    assert waits == [pytest.approx(12.0)] * 100


def test_keys_are_limited_separately() -> None:
    limiter = MemoryRateLimiter(clock=Clock())
    for _ in range(5):
        limiter.hit_now("a", FIVE_PER_MINUTE)
    assert limiter.hit_now("a", FIVE_PER_MINUTE) > 0
    assert limiter.hit_now("b", FIVE_PER_MINUTE) == 0.0


def test_spent_keys_are_forgotten_and_the_table_is_bounded() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(max_keys=100, clock=clock)
    for number in range(1000):
        limiter.hit_now(f"k{number}", FIVE_PER_MINUTE)
    assert len(limiter) == 100
    clock.advance(61)
    limiter.hit_now("fresh", FIVE_PER_MINUTE)
    assert len(limiter) == 1


def test_gcra_is_a_pure_function_of_tat_and_now_in_microseconds() -> None:
    assert gcra(0, 100_000_000, FIVE_PER_MINUTE) == (112_000_000, 0)
    assert gcra(160_000_000, 100_000_000, FIVE_PER_MINUTE) == (160_000_000, 12_000_000)


@pytest.mark.parametrize(
    "rate", [Rate(7, 60), Rate(100, 60), Rate(300, 60), Rate(3, 1), Rate(30, 300)]
)
def test_a_burst_is_exactly_count_whatever_the_rounding(rate: Rate) -> None:
    limiter = MemoryRateLimiter(clock=Clock())
    waits = [limiter.hit_now("k", rate) for _ in range(rate.count + 1)]
    assert waits[: rate.count] == [0.0] * rate.count
    assert waits[rate.count] > 0


async def test_a_burst_in_redis_is_exactly_count() -> None:
    url = await require_redis()
    limiter = RedisRateLimiter(url, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    try:
        for rate in (Rate(7, 60), Rate(300, 60)):
            waits = [await limiter.hit(str(rate), rate) for _ in range(rate.count + 1)]
            assert waits[: rate.count] == [0.0] * rate.count
            assert waits[rate.count] > 0
    finally:
        await limiter.close()


async def test_processes_sharing_redis_share_one_allowance() -> None:
    url = await require_redis()
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    first = RedisRateLimiter(url, prefix=prefix)
    second = RedisRateLimiter(url, prefix=prefix)
    try:
        waits = [
            await (first, second)[n % 2].hit("k", FIVE_PER_MINUTE) for n in range(5)
        ]
        assert waits == [0.0] * 5
        assert 11.0 < await first.hit("k", FIVE_PER_MINUTE) <= 12.0
        assert 11.0 < await second.hit("k", FIVE_PER_MINUTE) <= 12.0
        assert await second.hit("other", FIVE_PER_MINUTE) == 0.0
    finally:
        await first.close()
        await second.close()


async def test_a_redis_that_forgot_the_script_still_shares_the_allowance(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A restarted or flushed Redis forgets every script: it is loaded again.
    url = await require_redis()
    limiter = RedisRateLimiter(url, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    admin = Redis.from_url(url)
    try:
        waits = [await limiter.hit("k", FIVE_PER_MINUTE) for _ in range(3)]
        await admin.script_flush()
        with caplog.at_level(logging.WARNING, logger="graph.platform.ratelimit"):
            waits += [await limiter.hit("k", FIVE_PER_MINUTE) for _ in range(3)]
    finally:
        await limiter.close()
        await admin.aclose()
    assert waits[:5] == [0.0] * 5
    assert 11.0 < waits[5] <= 12.0
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_without_redis_limits_hold_per_process_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", timeout=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger="graph.platform.ratelimit"):
            waits = [await limiter.hit("k", FIVE_PER_MINUTE) for _ in range(6)]
    finally:
        await limiter.close()
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(12.0, abs=0.5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("Redis unreachable for rate limits")
