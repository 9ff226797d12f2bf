"""The embedded default over real HTTP and graphql-transport-ws."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.api import NEW_MESSAGE
from tests.support.remote import graphql, open_chat, register, send, unique
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket


async def test_graphiql_is_served_on_get(embedded_server: Server) -> None:
    async with httpx.AsyncClient(base_url=embedded_server.http_url) as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_the_web_client_is_served_beside_the_api(
    embedded_server: Server, web_build: Path
) -> None:
    index = (web_build / "index.html").read_text()
    async with httpx.AsyncClient(base_url=embedded_server.http_url) as client:
        root = await client.get("/")
        route = await client.get("/chat/7")
        graphiql = await client.get("/graphql", headers={"Accept": "text/html"})

    assert root.text == route.text == index
    assert "graphiql" in graphiql.text.lower()


async def test_health_and_readiness(embedded_server: Server) -> None:
    async with httpx.AsyncClient(base_url=embedded_server.http_url) as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert alive.status_code == 200
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "broadcast": "ok"}


async def test_a_chat_works_over_http_and_websocket(embedded_server: Server) -> None:
    alice = await register(embedded_server, unique("alice"))
    bob = await register(embedded_server, unique("bob"))
    channel = await open_chat(embedded_server, alice, bob)

    async with GraphQLWebSocket(embedded_server.ws_url) as ws:
        await ws.init(bob.token)
        await ws.subscribe("1", NEW_MESSAGE, {"channel": channel, "afterSeq": 0})
        await send(embedded_server, alice, channel, "I am so happy to see you!")
        received = (await ws.next_data("1"))["newMessage"]

    assert received["message"] == "I am so happy to see you!"
    assert received["sentiment"]["emoji"] == "\U0001f600"


async def test_an_open_socket_makes_its_user_online_to_chat_peers_only(
    embedded_server: Server,
) -> None:
    alice = await register(embedded_server, unique("alice"))
    bob = await register(embedded_server, unique("bob"))
    eve = await register(embedded_server, unique("eve"))
    await open_chat(embedded_server, alice, bob)
    presence = "subscription { presence { user { id } online lastSeenAt } }"
    users = "query { users(first: 500) { id online lastSeenAt } }"

    async def alice_seen_by(token: str) -> dict[str, object]:
        body = await graphql(embedded_server, users, token=token)
        return next(u for u in body["data"]["users"] if u["id"] == alice.id)

    async with GraphQLWebSocket(embedded_server.ws_url) as bobs:
        await bobs.init(bob.token)
        await bobs.subscribe("1", presence)
        async with GraphQLWebSocket(embedded_server.ws_url) as alices:
            await alices.init(alice.token)
            came = (await bobs.next_data("1"))["presence"]
            while_open = await alice_seen_by(bob.token)
            to_a_stranger = await alice_seen_by(eve.token)
        went = (await bobs.next_data("1"))["presence"]
    after = await alice_seen_by(bob.token)

    assert (came["user"]["id"], came["online"]) == (alice.id, True)
    assert while_open["online"] is True
    assert to_a_stranger == {"id": alice.id, "online": None, "lastSeenAt": None}
    assert (went["online"], after["online"]) == (False, False)
    assert after["lastSeenAt"] == went["lastSeenAt"] is not None


@pytest.mark.parametrize(
    "payload", [{}, {"authorization": "Bearer nope"}, {"authorization": 7}]
)
async def test_a_socket_without_a_valid_token_is_closed_with_4403(
    embedded_server: Server, payload: dict[str, object]
) -> None:
    async with GraphQLWebSocket(embedded_server.ws_url) as ws:
        await ws.send({"type": "connection_init", "payload": payload})

        assert await ws.closed_with() == 4403


async def test_a_non_member_subscription_is_forbidden_and_the_socket_lives_on(
    embedded_server: Server,
) -> None:
    alice = await register(embedded_server, unique("alice"))
    bob = await register(embedded_server, unique("bob"))
    mallory = await register(embedded_server, unique("mallory"))
    channel = await open_chat(embedded_server, alice, bob)
    own_channel = await open_chat(embedded_server, mallory, alice)

    async with GraphQLWebSocket(embedded_server.ws_url) as ws:
        await ws.init(mallory.token)
        await ws.subscribe("spy", NEW_MESSAGE, {"channel": channel})
        refusal = await ws.receive()
        completion = await ws.receive()
        await ws.subscribe("mine", NEW_MESSAGE, {"channel": own_channel, "afterSeq": 0})
        await send(embedded_server, alice, own_channel, "still here")
        mine = (await ws.next_data("mine"))["newMessage"]

    assert (refusal["id"], refusal["type"]) == ("spy", "next")
    assert completion == {"id": "spy", "type": "complete"}
    codes = [error["extensions"]["code"] for error in refusal["payload"]["errors"]]
    assert codes == ["FORBIDDEN"]
    assert mine["message"] == "still here"


async def test_the_legacy_graphql_ws_protocol_is_refused(
    embedded_server: Server,
) -> None:
    async with GraphQLWebSocket(embedded_server.ws_url, subprotocol="graphql-ws") as ws:
        assert await ws.closed_with() == 4406


async def test_a_subscription_over_plain_http_is_refused(
    embedded_server: Server,
) -> None:
    async with httpx.AsyncClient(base_url=embedded_server.http_url) as client:
        response = await client.post(
            "/graphql", json={"query": "subscription { newChat { channelName } }"}
        )

    assert response.status_code == 400
    assert "Traceback" not in response.text


async def test_a_lone_surrogate_in_json_is_bad_input(embedded_server: Server) -> None:
    alice = await register(embedded_server, unique("alice"))
    bob = await register(embedded_server, unique("bob"))
    channel = await open_chat(embedded_server, alice, bob)
    query = (
        "mutation($c: String!, $m: String!) "
        "{ sendMessage(channel: $c, message: $m) { seq } }"
    )
    # json.dumps writes the lone surrogate as the JSON escape \ud800.
    body = json.dumps({"query": query, "variables": {"c": channel, "m": "a\ud800b"}})

    async with httpx.AsyncClient(base_url=embedded_server.http_url) as client:
        response = await client.post(
            "/graphql",
            content=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {alice.token}",
            },
        )

    assert response.status_code == 200, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_no_traceback_was_logged(embedded_server: Server) -> None:
    assert "Traceback" not in embedded_server.log()
