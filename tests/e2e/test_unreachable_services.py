"""A dependency that cannot be reached: a clear refusal, never driver text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph.platform.settings import Settings
from graph.services.security import Tokens
from tests.support.api import SEND
from tests.support.remote import (
    TEST_SECRET,
    embedded_env,
    graphql,
    open_chat,
    readiness,
    register,
    unique,
)
from tests.support.server import Server, free_port


@pytest.fixture(scope="module")
def no_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    closed = free_port()  # nothing listens there
    env = {
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{closed}/none",
        "JWT_SECRET": TEST_SECRET,
    }
    log = tmp_path_factory.mktemp("no-database") / "server.log"
    with Server(env, log) as server:
        yield server


@pytest.fixture(scope="module")
def no_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("no-redis")
    env = {**embedded_env(tmp), "BROADCAST_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with Server(env, tmp / "server.log") as server:
        yield server


async def test_readiness_reports_the_database_down(no_database: Server) -> None:
    response = await readiness(no_database)

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_a_query_without_a_database_is_a_retryable_refusal(
    no_database: Server,
) -> None:
    token = Tokens(Settings(jwt_secret=TEST_SECRET)).issue(1)

    body = await graphql(no_database, "{ users { id } }", token=token)

    assert body["errors"][0]["message"] == (
        "The service is temporarily unavailable; try again shortly."
    )
    assert body["errors"][0]["extensions"] == {
        "code": "SERVICE_UNAVAILABLE",
        "retryAfter": 2,
    }
    assert "Traceback" not in no_database.log()
    text = str(body).lower()
    for leak in ("asyncpg", "connect", "refused", "errno", "traceback", "127.0.0.1"):
        assert leak not in text


async def test_readiness_reports_redis_down(no_redis: Server) -> None:
    response = await readiness(no_redis)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broadcast": "unreachable",
    }


async def test_sending_works_while_redis_is_down(no_redis: Server) -> None:
    alice, bob = (
        await register(no_redis, unique("alice")),
        await register(no_redis, unique("bob")),
    )
    channel = await open_chat(no_redis, alice, bob)

    body = await graphql(
        no_redis, SEND, {"channel": channel, "message": "hi"}, alice.token
    )

    assert "errors" not in body, body
    assert body["data"]["sendMessage"]["seq"] == 1


def test_the_unreachable_redis_is_logged_without_a_traceback(no_redis: Server) -> None:
    log = no_redis.log()

    assert "failed (ConnectionError" in log
    assert "subscribers catch up from the database" in log
    assert "Traceback" not in log
