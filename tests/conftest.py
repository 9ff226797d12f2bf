"""Fixtures: every graph test runs on PostgreSQL + Redis and on SQLite + memory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from graph.platform.settings import DEFAULT_WEB_DIST, Rate, Settings
from graph.services import Services, open_services
from tests.support import figures
from tests.support.api import Api
from tests.support.fake_pusher import FakePusher
from tests.support.remote import TEST_SECRET
from tests.support.server import RATE_LIMITS, Server
from tests.support.services import (
    IN_CI,
    empty_tables,
    forget_presence,
    fresh_postgres_database,
    migrated_sqlite,
    require_redis,
)


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
async def redis_url() -> str:
    return await require_redis()


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return await migrated_sqlite(str(tmp_path_factory.mktemp("sqlite") / "test.db"))


UNLIMITED = Rate(1_000_000, 1)


def make_settings(database_url: str, broadcast_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        broadcast_url=broadcast_url,
        broadcast_prefix=f"test-{uuid.uuid4().hex[:8]}:",
        jwt_secret=TEST_SECRET,
        apply_migrations=False,
    ).model_copy(update={f"rate_{name}": UNLIMITED for name in RATE_LIMITS})


@pytest.fixture(params=["postgres+redis", "sqlite+memory"], scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "postgres+redis":
        return make_settings(
            request.getfixturevalue("postgres_url"),
            request.getfixturevalue("redis_url"),
        )
    return make_settings(request.getfixturevalue("sqlite_url"), "memory://")


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    await empty_tables(settings.database_url)
    await forget_presence(settings.broadcast_url, settings.broadcast_prefix)
    async with open_services(settings) as opened:
        yield opened


@pytest.fixture
def api(services: Services, settings: Settings) -> Api:
    return Api(services, settings)


@pytest.fixture(scope="module")
async def cluster_env() -> AsyncIterator[dict[str, str]]:
    redis_url = await require_redis()
    async with fresh_postgres_database() as database_url:
        yield {
            "DATABASE_URL": database_url,
            "BROADCAST_URL": redis_url,
            "BROADCAST_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}:",
            "JWT_SECRET": TEST_SECRET,
        }


@pytest.fixture(scope="module")
def cluster(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one PostgreSQL and Redis (each serves the client)."""
    logs = tmp_path_factory.mktemp("cluster")
    with (
        Server(cluster_env, logs / "a.log") as a,
        Server(cluster_env, logs / "b.log") as b,
    ):
        yield a, b


@pytest.fixture
async def fake_pusher() -> AsyncIterator[FakePusher]:
    """A local Pusher REST API that checks signatures and records events."""
    server = await FakePusher().start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
def web_build() -> Path:
    """The built web client (`make web`; `make test` builds it first)."""
    if not (DEFAULT_WEB_DIST / "index.html").is_file():
        reason = f"the web client is not built in {DEFAULT_WEB_DIST} (`make web`)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true, so tests that need it fail, never skip")
        pytest.skip(reason)
    return DEFAULT_WEB_DIST


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CI=true a skipped test fails the run: CI proves, it never assumes."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(
                f"CI=true: {skipped} skipped test(s) fail the run", red=True
            )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault tests' figures: sent, persisted, live, caught up, lost, ..."""
    path = figures.write()
    if path is None:
        return
    terminalreporter.section("delivery figures")
    for line in figures.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {path})")
