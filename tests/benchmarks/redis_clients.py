"""A send's Redis work: `graph/platform/resp.py` against redis-py with hiredis.

    .venv/bin/python -m tests.benchmarks.redis_clients [--senders 16]
        [--sends 20000] [--warmup 2000] [--repeats 7]

A send makes two Redis commands: its rate limit's GCRA script and the PUBLISH
of its event. This runs them in one process, under uvloop as the server does,
against the local Redis, with:

- `resp (ours)`: the project's own `RedisRateLimiter.hit` and
  `RedisBackend.publish`, each on its pipelined `RespClient`, as the app
  builds them;
- `redis-py pool`: `redis.asyncio.Redis` on its connection pool, with hiredis:
  the script through `register_script` (EVALSHA), then `publish`;
- `redis-py pipeline`: both commands of a send in one `pipeline(transaction=
  False)` round trip, EVALSHA of the script loaded once (a registered script
  in a pipeline costs a SCRIPT EXISTS round trip per execute). The app cannot
  do this, since it checks the limit before the insert and publishes after
  the commit: it is the floor of redis-py's cost, not an option.

`--senders` coroutines share `--sends` sends after a warm-up; each variant
runs `--repeats` times, interleaved in a rotating order (`rounds`). Measured:
this process's CPU time per send (`time.process_time`, the senders' own loop
included, the same for every variant), Redis's CPU per send (INFO cpu), the
throughput and the latency of a send. The channels have no subscriber:
PUBLISH's reply (the count of receivers) is as small either way, so only
Redis's own work would differ. `tests.benchmarks.redis_clients_app` does the
same with the whole app.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any, cast

import redis
import uvloop
from redis.asyncio import Redis
from redis.asyncio.connection import DefaultParser
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError, ResponseError

from graph.domain.records import MessageRecord, UserRecord
from graph.platform.ratelimit.redis_limiter import GCRA_SCRIPT, RedisRateLimiter
from graph.platform.resp import Argument, Reply, ReplyError
from graph.platform.runtime import tune_gc
from graph.platform.settings import Rate
from graph.realtime.channels import chat_channel
from graph.realtime.events import encode_message
from graph.realtime.redis_backend import RedisBackend
from graph.services.container import RATE_LIMIT_TIMEOUT_SECONDS
from graph.services.throttle import Limit
from tests.benchmarks.rounds import Plan, SendPath, arguments, interleaved, report

REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = "bench-redis-clients:"
# Every send allowed, so the script always reads and writes its key, as an
# allowed send's does; keys expire within a second.
RATE = Rate(1_000_000, 1)
# The README's "Performance": the app processes' CPU per send in full runs.
SEND_CPU_US = 1_000.0
CPU_BOUND_NOTE = (
    "As a loss of send throughput, `extra / whole` assumes throughput is bound"
    " by the app's CPU, as the README's full runs suggest (960-1,036 µs of app"
    " CPU a send at 1,000-1,200 msg/s, 2 cores shared with PostgreSQL, Redis"
    " and the load); exactly, the loss is extra / (whole + extra), and less"
    " when the whole machine's CPU is the bound."
)


def payload() -> str:
    """A new_message event as the app publishes it."""
    record = MessageRecord(
        id=1_234_567,
        seq=4_321,
        channel=chat_channel(1_234, 1_235),
        from_user=UserRecord(1_234, "user01234"),
        to_user=UserRecord(1_235, "user01235"),
        message="Thanks so much, that was really kind of you. See you at six!",
        client_id="3f2b8c1e-9d4a-4e5b-8f6a-1c2d3e4f5a6b",
        created_at=datetime(2026, 12, 5, 12, 0, 0, 123_456, tzinfo=UTC),
        polarity=0.35,
        subjectivity=0.6,
    )
    return encode_message(record)


PAYLOAD = payload()


@dataclass(frozen=True, slots=True)
class Sender:
    """One user's rate-limit key and chat channel (both without the prefix)."""

    key: str
    channel: str

    @classmethod
    def of(cls, user: int) -> Sender:
        channel = chat_channel(user, user + 1 if user % 2 else user - 1)
        return cls(f"{Limit.SEND_MESSAGE_PER_USER}:{user}", channel)


def redis_py(url: str, timeout: float = RATE_LIMIT_TIMEOUT_SECONDS) -> Redis:
    # Every wait bounded, as RespClient's are; hiredis is redis-py's default
    # parser whenever it is installed.
    return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


class RedisPyClient:
    """RespClient's interface on redis-py: what the app would run on it.

    A pooled `redis.asyncio.Redis`, scripts registered on first use; redis-py's
    errors are raised as RespClient's, which the app's callers catch.
    """

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        self._redis = redis_py(url, timeout)
        self._scripts: dict[str, AsyncScript] = {}

    async def execute(self, *command: Argument) -> Reply:
        try:
            reply: Reply = await self._redis.execute_command(*command)  # type: ignore[no-untyped-call]
        except ResponseError as exc:
            raise ReplyError(str(exc)) from exc
        except RedisError as exc:
            raise ConnectionError(str(exc)) from exc
        return reply

    async def evalsha(
        self, script: str, keys: Sequence[Argument], args: Sequence[Argument]
    ) -> Reply:
        registered = self._scripts.get(script)
        if registered is None:
            registered = self._scripts[script] = self._redis.register_script(script)
        try:
            names = cast("Sequence[str]", keys)  # the app's keys are str
            reply: Reply = await registered(keys=names, args=args)
        except ResponseError as exc:
            raise ReplyError(str(exc)) from exc
        except RedisError as exc:
            raise ConnectionError(str(exc)) from exc
        return reply

    async def close(self) -> None:
        await self._redis.aclose()


class Ours:
    """The app's own classes, as `open_services` builds them."""

    name = "resp (ours)"

    def __init__(self, url: str) -> None:
        self._limiter = RedisRateLimiter(
            url, prefix=PREFIX, timeout=RATE_LIMIT_TIMEOUT_SECONDS
        )
        self._backend = RedisBackend(url, prefix=PREFIX)

    async def send(self, sender: Sender) -> None:
        if await self._limiter.hit(sender.key, RATE) > 0:
            raise AssertionError("refused: every send should be allowed")
        await self._backend.publish(sender.channel, PAYLOAD)

    async def close(self) -> None:
        await self._limiter.close()
        await self._backend.disconnect()


class RedisPyPool:
    """The usual redis-py: a client on a connection pool, a registered script."""

    name = "redis-py pool"

    def __init__(self, url: str) -> None:
        self._redis = redis_py(url)
        self._gcra = self._redis.register_script(GCRA_SCRIPT)

    async def send(self, sender: Sender) -> None:
        wait = await self._gcra(
            keys=[f"{PREFIX}ratelimit:{sender.key}"],
            args=[RATE.interval_us, RATE.period_us - RATE.interval_us],
        )
        if wait != 0:
            raise AssertionError(f"refused ({wait!r}): every send should be allowed")
        await self._redis.publish(PREFIX + sender.channel, PAYLOAD)

    async def close(self) -> None:
        await self._redis.aclose()


class RedisPyPipeline:
    """Both commands in one round trip: the least redis-py can do per send."""

    name = "redis-py pipeline"

    def __init__(self, url: str) -> None:
        self._redis = redis_py(url)
        self._sha: str | None = None

    async def send(self, sender: Sender) -> None:
        if self._sha is None:
            self._sha = str(await self._redis.script_load(GCRA_SCRIPT))
        interval, tolerance = RATE.interval_us, RATE.period_us - RATE.interval_us
        async with self._redis.pipeline(transaction=False) as pipe:
            key = f"{PREFIX}ratelimit:{sender.key}"
            pipe.evalsha(self._sha, 1, key, interval, tolerance)
            pipe.publish(PREFIX + sender.channel, PAYLOAD)
            wait, _ = await pipe.execute()
        if wait != 0:
            raise AssertionError(f"refused ({wait!r}): every send should be allowed")

    async def close(self) -> None:
        await self._redis.aclose()


def describe(plan: Plan, redis_version: str) -> str:
    return (
        f"Python {platform.python_version()}, uvloop {version('uvloop')},"
        f" redis-py {version('redis')} (hiredis {version('hiredis')},"
        f" HIREDIS_AVAILABLE={redis.utils.HIREDIS_AVAILABLE},"
        f" parser {DefaultParser.__name__}), redis-server {redis_version}"
        f" at {REDIS_URL}; {plan.senders} concurrent senders, {plan.sends:,} sends"
        f" after {plan.warmup:,} of warm-up, {plan.repeats} rounds a variant,"
        " interleaved"
    )


async def redis_version() -> str:
    if not redis.utils.HIREDIS_AVAILABLE:
        raise SystemExit("hiredis is not installed: redis-py would parse in Python")
    probe = redis_py(REDIS_URL)
    try:
        info: dict[str, Any] = await probe.info("server")
    finally:
        await probe.aclose()
    return str(info["redis_version"])


async def main(plan: Plan) -> None:
    tune_gc()  # as the server does at start-up
    print(describe(plan, await redis_version()), end="")
    print(f"; PUBLISH of {len(PAYLOAD.encode())} bytes, no subscriber", flush=True)
    started = time.monotonic()
    paths: list[SendPath[Sender]] = [
        Ours(REDIS_URL),
        RedisPyPool(REDIS_URL),
        RedisPyPipeline(REDIS_URL),
    ]
    senders = [Sender.of(user) for user in range(1, plan.senders + 1)]
    probe = redis_py(REDIS_URL)
    try:
        rounds = await interleaved(paths, senders, plan, probe)
    finally:
        await probe.aclose()
        for path in paths:
            await path.close()
    whole = "Whole: the app processes' CPU of a whole send, from the README's full runs"
    report(
        rounds, SEND_CPU_US, f"{whole}. {CPU_BOUND_NOTE} sends/s: of this loop alone."
    )
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    description = "CPU per send of a send's Redis work: RespClient and redis-py"
    uvloop.run(main(arguments(description, sends=20_000, warmup=2_000, repeats=7)))
