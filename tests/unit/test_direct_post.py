"""DirectPost takes exactly the GraphQL POSTs past FastAPI; the rest go on."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from graph.api.transport import DirectPost, SentichatRouter


class Router:
    """Stands in for SentichatRouter: answers what it was handed."""

    async def handle_post(self, request: Request) -> Response:
        body = await request.body()
        return PlainTextResponse(f"graphql {request.method} {body.decode()}")


async def behind(scope: Scope, receive: Receive, send: Send) -> None:
    """What FastAPI would answer."""
    await PlainTextResponse(f"fastapi {scope['method']} {scope['path']}")(
        scope, receive, send
    )


def client() -> httpx.AsyncClient:
    app = DirectPost(behind, router=cast("SentichatRouter", Router()), path="/graphql")
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sentichat"
    )


async def test_a_post_to_the_graphql_path_goes_straight_to_the_router() -> None:
    async with client() as http:
        response = await http.post("/graphql", content=b'{"query": "{ me { id } }"}')

    assert response.text == 'graphql POST {"query": "{ me { id } }"}'


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/graphql"), ("POST", "/graphql/"), ("POST", "/"), ("PUT", "/graphql")],
)
async def test_every_other_request_goes_to_fastapi(method: str, path: str) -> None:
    async with client() as http:
        response = await http.request(method, path)

    assert response.text == f"fastapi {method} {path}"


async def test_lifespan_and_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    direct = DirectPost(app, router=cast("SentichatRouter", Router()), path="/graphql")
    scope: dict[str, Any] = {"type": "lifespan"}
    await direct(scope, _never, _never)

    assert seen == ["lifespan"]


async def _never(*_: Any) -> Any:
    raise AssertionError("not called")
