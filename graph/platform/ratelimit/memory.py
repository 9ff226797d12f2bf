"""GCRA in the process: one float per recently seen key."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from graph.platform.settings import Rate

DEFAULT_MAX_KEYS = 100_000


def gcra(tat: int, now: int, rate: Rate) -> tuple[int, int]:
    """`(new_tat, wait)` in microseconds: `wait` is 0 when the request is allowed.

    Integers, so that no float rounding shifts a burst by one. A refused
    request leaves the TAT where it was, so hammering a limit does not push
    the next allowed request further away.
    """
    tat = max(tat, now)
    wait = tat - now - (rate.period_us - rate.interval_us)
    if wait > 0:
        return tat, wait
    return tat + rate.interval_us, 0


def monotonic_us() -> int:
    return time.monotonic_ns() // 1000


class MemoryRateLimiter:
    """TATs in an LRU-ordered dict, bounded, pruned of spent keys as it goes.

    A key whose TAT has passed is the same as a key never seen, so dropping it
    loses nothing; past `max_keys` live keys the least recently used go first.
    """

    def __init__(
        self,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], int] = monotonic_us,
    ) -> None:
        self._tats: OrderedDict[str, int] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def hit(self, key: str, rate: Rate) -> float:
        return self.hit_now(key, rate)

    def hit_now(self, key: str, rate: Rate) -> float:
        """Seconds to wait; 0.0 when this request is allowed (and counted)."""
        now = self._clock()
        tat, wait = gcra(self._tats.get(key, now), now, rate)
        if wait == 0:
            self._tats[key] = tat
            self._tats.move_to_end(key)
            self._prune(now)
        return wait / 1_000_000

    def __len__(self) -> int:
        return len(self._tats)

    def _prune(self, now: int) -> None:
        while self._tats:
            key, tat = next(iter(self._tats.items()))
            if tat > now and len(self._tats) <= self._max_keys:
                return
            del self._tats[key]

    async def close(self) -> None:
        self._tats.clear()
