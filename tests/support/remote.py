"""Talking to real server processes over HTTP, as clients do."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.api import REGISTER, REQUEST_CHAT, SEND, Account
from tests.support.server import Server

TEST_SECRET = "test-secret-" + "x" * 40


def embedded_env(tmp: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'sentichat.db'}",
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


async def data(server: Server, query: str, token: str | None, **variables: Any) -> Any:
    """The `data` of an answer that must have no errors."""
    body = await graphql(server, query, variables, token)
    assert "errors" not in body, body
    return body["data"]


async def refusal(
    server: Server, query: str, token: str | None, **variables: Any
) -> tuple[str, str]:
    """The code and message of the one error of an answer that must have one."""
    body = await graphql(server, query, variables, token)
    assert body.get("errors"), body
    (error,) = body["errors"]
    return error["extensions"]["code"], error["message"]


async def pusher_answer(server: Server, token: str, channel: str) -> httpx.Response:
    """`/pusher/auth` for `channel`, as pusher-js asks it with the token."""
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        return await http.post(
            "/pusher/auth",
            data={"socket_id": "123.456", "channel_name": channel},
            headers={"Authorization": f"Bearer {token}"},
        )


async def pusher_auth(server: Server, token: str, channel: str) -> int:
    """The status of `pusher_answer`."""
    return (await pusher_answer(server, token, channel)).status_code


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
