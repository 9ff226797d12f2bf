"""The app's sendMessage with RespClient, and with redis-py in its place.

    .venv/bin/python -m tests.benchmarks.redis_clients_app [--senders 16]
        [--sends 1500] [--warmup 200] [--repeats 9]

One process, under uvloop: two instances of the real app (`create_app`), on a
fresh, migrated PostgreSQL database and the local Redis, one as it is and one
started while `RespClient` is replaced, in the rate limiter's and the
broadcast backend's modules, by `RedisPyClient` (redis-py with hiredis behind
RespClient's interface, from `tests.benchmarks.redis_clients`); nothing in
graph/ is changed. Senders (one user and chat each) post the web client's
`sendMessage` through httpx's ASGI transport, the two apps' rounds
interleaved (`tests.benchmarks.rounds`). CPU per send is this process's: the
app's and httpx's client side, the same for both; PostgreSQL's and Redis's
own are not in it. The apps use a production process's default settings
except the send rate, raised so that every send is allowed (the script still
runs). A run fails unless the swap built both redis-py clients and every
send was stored and published once.

Its rounds vary by 10-20 % on a shared 2-core machine, more than the
difference sought: trust its paired median only over several runs, and
`tests.benchmarks.redis_clients` for the difference itself.
"""

from __future__ import annotations

import contextlib
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from unittest import mock

import asyncpg
import httpx
import orjson
import uvloop
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from graph.app import create_app
from graph.platform.ratelimit import redis_limiter
from graph.platform.settings import Settings
from graph.realtime import redis_backend
from graph.realtime.channels import chat_channel
from graph.services import Services
from graph.services.security import Tokens
from tests.benchmarks import protocol
from tests.benchmarks.redis_clients import (
    CPU_BOUND_NOTE,
    RATE,
    REDIS_URL,
    RedisPyClient,
    describe,
    redis_py,
    redis_version,
)
from tests.benchmarks.rounds import Plan, SendPath, arguments, interleaved, report
from tests.support.services import fresh_postgres_database

JWT_SECRET = "bench-secret-of-at-least-32-bytes-0123456789"
TEXT = "Thanks so much, that was really kind of you."


def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        broadcast_url=REDIS_URL,
        broadcast_prefix=f"bench-redis-clients-app-{uuid.uuid4().hex[:8]}:",
        jwt_secret=JWT_SECRET,
        production=True,
        log_level="WARNING",
        apply_migrations=False,
        rate_send_message_per_user=RATE,
    )


async def seed(database_url: str, chats: int) -> None:
    """Users 1..2n, and a chat between 2k-1 and 2k for each k."""
    dsn = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    now = datetime.now(UTC)
    try:
        await connection.copy_records_to_table(
            "user_account",
            columns=["id", "username", "username_key", "password_hash", "created_at"],
            records=[
                (i, f"user{i:05d}", f"user{i:05d}", "!", now)
                for i in range(1, 2 * chats + 1)
            ],
        )
        await connection.copy_records_to_table(
            "chat",
            columns=[
                "id",
                "user_low_id",
                "user_high_id",
                "requested_by_id",
                "last_seq",
                "created_at",
            ],
            records=[
                (k, 2 * k - 1, 2 * k, 2 * k - 1, 0, now) for k in range(1, chats + 1)
            ],
        )
    finally:
        await connection.close()


def accounts(config: Settings, chats: int) -> list[protocol.Account]:
    """The first member of each chat, who sends."""
    tokens = Tokens(config)
    return [
        protocol.Account(user, tokens.issue(user), chat_channel(user, user + 1))
        for user in range(1, 2 * chats, 2)
    ]


class App:
    """One app, open, and a client posting sendMessage to it."""

    def __init__(self, name: str, app: FastAPI) -> None:
        self.name = name
        self._app = app
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        )
        # Unique across both apps: a clientId sent again is not stored again.
        self._tag = uuid.uuid4().hex[:8]
        self.sent = 0

    @property
    def published(self) -> int:
        services: Services = self._app.state.services
        return services.bus.stats.published_messages

    async def send(self, sender: protocol.Account) -> None:
        self.sent += 1
        variables = {
            "channel": sender.channel,
            "message": TEXT,
            "clientId": f"{self._tag}-{self.sent}",
        }
        response = await self._http.post(
            "/graphql",
            content=orjson.dumps({"query": protocol.SEND, "variables": variables}),
            headers={
                "Authorization": f"Bearer {sender.token}",
                "Content-Type": "application/json",
            },
        )
        body = response.content
        if not protocol.answered(
            protocol.SENTICHAT, response.status_code, body, "sendMessage"
        ):
            raise AssertionError(f"{self.name}: {response.status_code} {body[:300]!r}")

    async def close(self) -> None:
        await self._http.aclose()


@contextlib.contextmanager
def swapped(swap: bool) -> Iterator[list[RedisPyClient]]:
    """RespClient replaced by RedisPyClient where the app builds its clients;
    yields the clients built."""
    built: list[RedisPyClient] = []

    def build(url: str, *, timeout: float = 1.0) -> RedisPyClient:
        built.append(RedisPyClient(url, timeout=timeout))
        return built[-1]

    with contextlib.ExitStack() as patches:
        for module in (redis_limiter, redis_backend) if swap else ():
            patches.enter_context(mock.patch.object(module, "RespClient", build))
        yield built


@contextlib.asynccontextmanager
async def running(name: str, config: Settings, *, swap: bool) -> AsyncIterator[App]:
    """The app through its lifespan, its Redis clients built while swapped."""
    app = create_app(config)
    async with contextlib.AsyncExitStack() as opened:
        with swapped(swap) as built:
            await opened.enter_async_context(app.router.lifespan_context(app))
        if len(built) != (2 if swap else 0):
            raise AssertionError(f"{name}: {len(built)} redis-py clients built")
        yield App(name, app)


def check(apps: Sequence[App]) -> None:
    """Every send stored and published once: no clientId was a resend."""
    for app in apps:
        if app.published != app.sent:
            raise AssertionError(
                f"{app.name}: {app.sent} sent, {app.published} published"
            )


async def main(plan: Plan) -> None:
    print(describe(plan, await redis_version()), end="")
    print(f"; sendMessage of {len(TEXT)} characters, no subscriber", flush=True)
    started = time.monotonic()
    async with fresh_postgres_database() as database_url:
        await seed(database_url, plan.senders)
        config = settings(database_url)
        senders = accounts(config, plan.senders)
        async with (
            running("resp (ours)", config, swap=False) as ours,
            running("redis-py pool", config, swap=True) as theirs,
        ):
            paths: list[SendPath[protocol.Account]] = [ours, theirs]
            probe = redis_py(REDIS_URL)
            try:
                rounds = await interleaved(paths, senders, plan, probe)
                check([ours, theirs])
            finally:
                await probe.aclose()
                for path in paths:
                    await path.close()
    ours_cpu = statistics.median(r.cpu_us for r in rounds[ours.name])
    whole = "Whole: this process's CPU per send with RespClient (httpx's included)"
    report(rounds, ours_cpu, f"{whole}. {CPU_BOUND_NOTE}")
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    description = "sendMessage through the app: RespClient against redis-py"
    uvloop.run(main(arguments(description, sends=1_500, warmup=200, repeats=9)))
