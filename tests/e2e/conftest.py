"""Servers for end-to-end tests: the embedded default, and a PostgreSQL+Redis pair."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.support.api import REGISTER, REQUEST_CHAT, SEND, Account
from tests.support.server import Server
from tests.support.services import fresh_postgres_database, require_redis


def embedded_env(tmp: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'sentichat.db'}",
        "JWT_SECRET": TEST_SECRET,
    }


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The embedded default: a new SQLite file, migrated by the server at start."""
    tmp = tmp_path_factory.mktemp("embedded")
    with Server(embedded_env(tmp), tmp / "server.log") as server:
        yield server


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


async def graphql(
    server: Server,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def register(server: Server, username: str) -> Account:
    variables = {"username": username, "password": "correct horse battery"}
    body = await graphql(server, REGISTER, variables)
    assert "errors" not in body, body
    payload = body["data"]["register"]
    return Account(payload["user"]["id"], payload["user"]["username"], payload["token"])


async def open_chat(server: Server, caller: Account, other: Account) -> str:
    body = await graphql(server, REQUEST_CHAT, {"toUser": other.id}, caller.token)
    channel: str = body["data"]["requestChat"]["channelName"]
    return channel


async def chat_pair(server: Server) -> tuple[Account, Account, str]:
    """Two new users, alice and bob, and the chat between them."""
    alice = await register(server, unique("alice"))
    bob = await register(server, unique("bob"))
    return alice, bob, await open_chat(server, alice, bob)


async def readiness(server: Server) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as client:
        return await client.get("/readyz")


async def send(server: Server, sender: Account, channel: str, text: str) -> None:
    body = await graphql(
        server, SEND, {"channel": channel, "message": text}, sender.token
    )
    assert "errors" not in body, body


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"
