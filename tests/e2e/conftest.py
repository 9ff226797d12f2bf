"""Servers for end-to-end tests: the embedded default on a new SQLite file,
two processes on a Redis the test can stop, and the local fake Pusher for
servers started with Pusher on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.fake_pusher import FakePusher
from tests.support.redis_server import RedisServer
from tests.support.remote import TEST_SECRET, embedded_env, readiness
from tests.support.server import Server
from tests.support.services import fresh_postgres_database
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def pusher() -> AsyncIterator[FakePusher]:
    """The local fake Pusher, for a module's servers to send to (`fake.env()`):
    stopped after them, since it is a fixture they depend on."""
    fake = await FakePusher().start()
    yield fake
    await fake.stop()


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The embedded default: a new SQLite file, migrated by the server at start."""
    tmp = tmp_path_factory.mktemp("embedded")
    with Server(embedded_env(tmp), tmp / "server.log") as server:
        yield server


@pytest.fixture
async def outage(
    tmp_path: Path,
) -> AsyncIterator[tuple[RedisServer, Server, Server, str]]:
    """Two server processes on a Redis of their own, to stop and start, and
    a new PostgreSQL database (its URL last)."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        async with fresh_postgres_database() as database_url:
            env = {
                "DATABASE_URL": database_url,
                "BROADCAST_URL": redis.url,
                "BROADCAST_TIMEOUT_SECONDS": "2",
                "JWT_SECRET": TEST_SECRET,
            }
            with (
                Server(env, tmp_path / "a.log") as a,
                Server(env, tmp_path / "b.log") as b,
            ):
                yield redis, a, b, database_url
    finally:
        redis.stop()


async def eventually_reports(server: Server, state: str) -> None:
    """Wait until /readyz says the event bus is `state` ("ok", "unreachable")."""

    async def reported() -> bool:
        return bool((await readiness(server)).json()["broadcast"] == state)

    await eventually(reported, timeout=15)
