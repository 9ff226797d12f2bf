"""Request rate limits by GCRA, the generic cell rate algorithm.

Each key holds one number, its theoretical arrival time (TAT): when the key
would have spent nothing had its requests come at exactly the sustained rate.
A request is allowed while the TAT is no more than `period - interval` ahead
of now, and moves it on by `interval`. So a rate of `count/period` allows
`count` requests at once, then one per `interval`, and a refusal knows exactly
how long until the next request would be allowed.

`MemoryRateLimiter` keeps the TATs in the process; `RedisRateLimiter` keeps
them in Redis, so that every process serving the API shares one allowance.
"""

from __future__ import annotations

from typing import Protocol

from graph.platform.ratelimit.memory import MemoryRateLimiter, gcra
from graph.platform.ratelimit.redis_limiter import RedisRateLimiter
from graph.platform.settings import Rate, is_redis_url


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: Rate) -> float:
        """Count a request: 0.0 when it is allowed, else the seconds to wait."""
        ...

    async def close(self) -> None: ...


def create_rate_limiter(
    url: str, *, prefix: str = "", timeout: float = 1.0
) -> RateLimiter:
    """Shared through Redis for a `redis://` URL, per process otherwise."""
    if is_redis_url(url):
        return RedisRateLimiter(url, prefix=prefix, timeout=timeout)
    return MemoryRateLimiter()


__all__ = [
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "create_rate_limiter",
    "gcra",
]
