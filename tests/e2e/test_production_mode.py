"""PRODUCTION=true: the schema keeps its shape to itself, browsers are held to
ALLOWED_ORIGINS, and the log is one JSON object a line."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.support.remote import register, unique
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket

ALLOWED = "https://chat.example"
FOREIGN = "https://evil.example"


@pytest.fixture(scope="module")
def server(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    env = {**cluster_env, "PRODUCTION": "true", "ALLOWED_ORIGINS": ALLOWED}
    with Server(env, tmp_path_factory.mktemp("production") / "server.log") as server:
        yield server


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as client:
        yield client


async def errors_of(http: httpx.AsyncClient, query: str) -> list[tuple[str, str]]:
    body = (await http.post("/graphql", json={"query": query})).json()
    return [(e["extensions"]["code"], e["message"]) for e in body["errors"]]


@pytest.mark.parametrize(
    "field", ["__schema { types { name } }", '__type(name: "User") { name }']
)
async def test_introspection_is_refused(http: httpx.AsyncClient, field: str) -> None:
    name = field.split("(")[0].split(" ")[0]
    errors = await errors_of(http, f"{{ {field} }}")
    assert errors[0] == (
        "BAD_USER_INPUT",
        "GraphQL introspection has been disabled, but the requested query "
        f"contained the field '{name}'.",
    )


async def test_an_unknown_field_gets_no_suggestion(http: httpx.AsyncClient) -> None:
    assert await errors_of(http, "{ mee { id } }") == [
        ("BAD_USER_INPUT", "Cannot query field 'mee' on type 'Query'.")
    ]


async def test_graphiql_is_not_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404


async def test_an_allowed_origin_passes_the_cors_preflight(
    http: httpx.AsyncClient,
) -> None:
    response = await http.options(
        "/graphql",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type"} <= set(allowed.replace(" ", "").split(","))


async def test_another_origin_fails_the_cors_preflight(http: httpx.AsyncClient) -> None:
    response = await http.options(
        "/graphql",
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_origin_opens_the_websocket_and_another_cannot(
    server: Server,
) -> None:
    user = await register(server, unique("origin"))
    async with GraphQLWebSocket(server.ws_url, origin=ALLOWED) as ws:
        await ws.init(user.token)
    with pytest.raises(InvalidStatus) as refused:
        await GraphQLWebSocket(server.ws_url, origin=FOREIGN).open()
    assert refused.value.response.status_code == 403


async def test_the_log_is_json_and_tells_what_was_refused(
    server: Server, http: httpx.AsyncClient
) -> None:
    await http.post("/graphql", json={"query": "{ me { id } }"})
    records = [
        json.loads(line) for line in server.log().splitlines() if line.startswith("{")
    ]
    assert records, server.log()
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    refusal = "refused UNAUTHENTICATED: 'Authentication required.'"
    assert {
        "level": "INFO",
        "logger": "graph.errors",
        "message": refusal,
    }.items() <= (next(r for r in records if r["message"] == refusal).items())
    assert not [r for r in records if r["level"] == "ERROR"]
