"""GCRA in Redis: one atomic script per request, on Redis's own clock.

Every process sees the same allowance, and clocks that disagree between
hosts cannot give anyone extra requests. When Redis cannot answer, limits
fall back to this process's own `MemoryRateLimiter` (a warning says so) rather
than refusing every login or message: Redis is a doorbell, not a gate.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from graph.platform.logs import describe
from graph.platform.ratelimit.memory import MemoryRateLimiter
from graph.platform.settings import Rate

logger = logging.getLogger(__name__)

OUTAGE_REMINDER_SECONDS = 30.0
# After a failure, Redis is tried again only this much later: while it is down
# (or silently dropping packets) a request must not wait out a timeout first.
RETRY_REDIS_AFTER_SECONDS = 5.0

# KEYS[1]: the key. ARGV: interval and tolerance (period - interval), in
# microseconds. Returns 0 when allowed, else the microseconds to wait.
GCRA_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > 0 then return math.ceil(wait) end
tat = tat + interval
local ttl = math.ceil((tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', ttl)
return 0
"""


class RedisRateLimiter:
    def __init__(self, url: str, *, prefix: str = "", timeout: float = 1.0) -> None:
        self._redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        # Run by EVALSHA, loaded again by redis-py when Redis has forgotten it
        # (a restarted or flushed Redis forgets every script).
        self._gcra = self._redis.register_script(GCRA_SCRIPT)
        self._prefix = f"{prefix}ratelimit:"
        self._fallback = MemoryRateLimiter()
        self._warned_at: float | None = None
        self._retry_at = 0.0

    async def hit(self, key: str, rate: Rate) -> float:
        if time.monotonic() < self._retry_at:
            return self._fallback.hit_now(key, rate)
        tolerance = rate.period_us - rate.interval_us
        try:
            wait = await self._gcra(
                keys=[self._prefix + key], args=[rate.interval_us, tolerance]
            )
        except (RedisError, OSError) as exc:
            self._retry_at = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
            self._warn(exc)
            return self._fallback.hit_now(key, rate)
        if self._warned_at is not None:
            logger.warning("Redis answers again: rate limits are shared again")
            self._warned_at = None
        if not isinstance(wait, int):
            # Not what the script returns: a bug, or not Redis at the address.
            self._warn(ResponseError(f"the rate-limit script returned {wait!r}"))
            return self._fallback.hit_now(key, rate)
        return wait / 1_000_000

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._warned_at and now - self._warned_at < OUTAGE_REMINDER_SECONDS:
            return
        self._warned_at = now
        logger.warning(
            "Redis unreachable for rate limits (%s): limiting per process until "
            "it answers",
            describe(exc),
        )

    async def close(self) -> None:
        await self._redis.aclose()
