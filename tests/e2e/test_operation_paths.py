"""Over HTTP, a request is answered the same the first time its document is
seen (strawberry's view) and every time after (`graph.api.transport.operations`):
the same status, content type and body, refusals included."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.support.api import HISTORY, SEND
from tests.support.remote import chat_pair, register, unique
from tests.support.server import Server


def new_document(query: str) -> str:
    return f"{query}\n# {uuid.uuid4().hex}"


async def twice(
    server: Server, body: dict[str, Any], token: str | None
) -> list[tuple[int, str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answers = []
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as client:
        for _ in range(2):
            response = await client.post("/graphql", json=body, headers=headers)
            answers.append(
                (
                    response.status_code,
                    response.headers["content-type"],
                    response.text,
                )
            )
    return answers


async def test_answers_and_refusals_are_the_same_on_both_paths(
    embedded_server: Server,
) -> None:
    server = embedded_server
    alice, _, channel = await chat_pair(server)
    stranger = await register(server, unique("stranger"))
    cases: list[tuple[str, dict[str, Any], str | None]] = [
        (
            "a send, then its resend",
            {
                "query": SEND,
                "variables": {
                    "channel": channel,
                    "message": "so good",
                    "clientId": "a",
                },
            },
            alice.token,
        ),
        ("history", {"query": HISTORY, "variables": {"channel": channel}}, alice.token),
        (
            "not a member",
            {"query": HISTORY, "variables": {"channel": channel}},
            stranger.token,
        ),
        ("signed out", {"query": "query { me { id } }"}, None),
        (
            "a variable that does not coerce",
            {"query": HISTORY, "variables": {"channel": channel, "last": "x"}},
            alice.token,
        ),
        (
            "a resolver's refusal",
            {"query": SEND, "variables": {"channel": channel, "message": ""}},
            alice.token,
        ),
        (
            "a subscription",
            {"query": "subscription { newChat { channelName } }"},
            alice.token,
        ),
        (
            "no operation of that name",
            {"query": "query A { me { id } }", "operationName": "B"},
            alice.token,
        ),
    ]
    for name, body, token in cases:
        body = {**body, "query": new_document(body["query"])}
        first, second = await twice(server, body, token)
        assert second == first, name
        assert first[0] in (200, 400), name

    # The resend is the same message: nothing stored twice.
    _, _, text = (await twice(server, cases[1][1], alice.token))[0]
    history = json.loads(text)
    assert [m["message"] for m in history["data"]["messages"]] == ["so good"]
