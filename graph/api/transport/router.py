"""Strawberry's FastAPI router, strict about what it parses."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, Protocol, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import BackgroundTasks
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData, process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from graph.api.context import Context
from graph.api.masking import SentichatSchema
from graph.api.transport import operations
from graph.api.transport.websocket import BoundedWebSocketAdapter, SentichatTransportWS
from graph.domain.errors import Unauthenticated

JSON = "application/json"
NOT_AN_OBJECT = (
    'The body is one JSON object, such as {"query": "{ me { id } }"}; '
    "batches are not accepted."
)


class SentichatRouter(GraphQLRouter[Context, None]):
    """GraphQL over HTTP and graphql-transport-ws, signed in by connection_init."""

    graphql_transport_ws_handler_class = SentichatTransportWS
    websocket_adapter_class = BoundedWebSocketAdapter

    def __init__(
        self,
        schema: BaseSchema,
        *,
        context_getter: Callable[[HTTPConnection], Awaitable[Context]],
        ws_max_message_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, context_getter=context_getter, **kwargs)
        self._make_context = context_getter
        self.ws_max_message_bytes = ws_max_message_bytes

    async def handle_post(self, request: Request) -> Response:
        """A POST, answered as the router's own POST route answers it, without
        FastAPI's dependency injection (see `DirectPost`)."""
        # What FastAPI hands an endpoint as its `response`: a sub-response
        # whose status and headers strawberry copies onto the answer.
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        context = await self._make_context(request)
        context.request = request
        context.response = sub_response
        context.background_tasks = BackgroundTasks()
        self.temporal_response = sub_response
        result = await self._run_known(request, context)
        if result is not None:
            response_data = process_result(result)
            response = self.create_response(response_data, sub_response)
            response.background = context.background_tasks
            return response
        try:
            response = await self.run(request=request, context=context, root_value=None)
        except HTTPException as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status_code)
        if response.background is None:
            response.background = context.background_tasks
        return response

    async def _run_known(
        self, request: Request, context: Context
    ) -> ExecutionResult | None:
        """The result of a JSON request on a document this process has run
        before (`graph.api.transport.operations`), or None for strawberry's
        view to answer, refusal and all. The body stays read: the view reads
        the same bytes."""
        if _media_type(request.headers.get("content-type", "")) != JSON:
            return None
        try:
            body = self.decode_json(await request.body())
        except json.JSONDecodeError:
            return None
        if not isinstance(body, dict):
            return None
        return await operations.run(cast("SentichatSchema", self.schema), context, body)

    async def handle_websocket(self, websocket: WebSocket) -> None:
        """A WebSocket, served as the router's own WebSocket route serves it,
        without FastAPI's routing (see `DirectWebSocket`)."""
        context = await self._make_context(websocket)
        context.request = websocket
        await self.run(request=websocket, context=context, root_value=None)

    async def on_ws_connect(
        self, context: Context
    ) -> UnsetType | dict[str, object] | None:
        params = context.connection_params
        # Read once: the token is not kept for the socket's life (its expiry
        # is, in the context), ~0.5 KiB an idle socket.
        context.connection_params = None
        authorization = (
            params.get("authorization") if isinstance(params, dict) else None
        )
        if not isinstance(authorization, str):
            raise ConnectionRejectionError  # closes the socket with 4403
        try:
            context.authenticate(authorization)
        except Unauthenticated as exc:
            raise ConnectionRejectionError from exc
        # A well-signed token of an account that is gone: refused, as over HTTP.
        if not await context.services.accounts.still_exists(context.viewer_id()):
            raise ConnectionRejectionError
        return cast("UnsetType", UNSET)  # acknowledge with no payload

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        media_type = _media_type(request.content_type or "")
        if request.method == "POST" and media_type != JSON:
            raise HTTPException(415, f"Send the request as {JSON}.")
        data = await super().parse_http_body(request)
        name = getattr(data, "operation_name", None)
        if name is not None and not isinstance(name, str):
            raise HTTPException(400, "`operationName` is a string or null.")
        return data

    def parse_json(self, data: str | bytes) -> Any:
        """An HTTP body: one JSON object, or 400."""
        try:
            value = self.decode_json(data)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, "The body is not valid UTF-8 JSON.") from exc
        if not isinstance(value, dict):
            raise HTTPException(400, NOT_AN_OBJECT)
        return value

    def encode_json(self, data: object) -> bytes:
        """orjson: a page of messages encodes several times faster than json.

        orjson refuses a lone surrogate, which a client can send (as a JSON
        `\\ud800` escape) and an error message can echo back; json writes it
        as the same escape, so such an answer is still the JSON it would be.
        """
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":")).encode()

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON (UTF-8, no NaN), or JSONDecodeError.

        Invalid UTF-8 and nesting deeper than the parser's recursion limit
        raise other errors from json.loads, which would reach the client as
        a 500 (HTTP) or kill the socket (WebSocket); json.loads would also
        guess UTF-16 from a byte order mark, and accept NaN.
        """
        try:
            text = data.decode() if isinstance(data, bytes) else data
            return json.loads(text, parse_constant=_not_json)
        except (UnicodeDecodeError, RecursionError, ValueError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                raise
            raise json.JSONDecodeError(type(exc).__name__, "", 0) from exc


@functools.lru_cache(maxsize=64)
def _media_type(content_type: str) -> str:
    # Parsed by the standard library's e-mail header parser, which costs a
    # few percent of a request; clients send the same few values.
    return parse_content_type(content_type)[0]


def _not_json(constant: str) -> NoReturn:
    # json.loads accepts NaN and Infinity; JSON (RFC 8259) does not.
    raise ValueError(constant)


class DirectPost:
    """ASGI middleware: POST `path` straight to the router's `handle_post`.

    FastAPI's routing and dependency injection (the context, the root value,
    the request and sub-response parameters) find the same route and the same
    four arguments every time. Re-measured on 2026-12-06 by `python -m
    tests.benchmarks.handwritten` (the whole ASGI app, services stubbed), they
    and the two middlewares FastAPI nests inside ours cost about 140 µs of CPU
    a request: 15 % of a `messages(last: 50)` request, 22-30 % of a
    `sendMessage`. Every other request, GET and the WebSocket on `path`
    included, goes through FastAPI as before; the middlewares outside this one
    (CORS, the body limit, the error handler) still see every request.
    """

    def __init__(self, app: ASGIApp, router: SentichatRouter, path: str) -> None:
        self.app = app
        self.router = router
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
        ):
            await self.app(scope, receive, send)
            return
        response = await self.router.handle_post(Request(scope, receive, send))
        await response(scope, receive, send)


class DirectWebSocket:
    """An ASGI app for WebSockets on the GraphQL path: straight to the
    router's `handle_websocket`, counted in `connections` while open.

    `graph.app.SentichatApp` calls it before FastAPI sees the socket. An idle
    socket keeps every layer it went through suspended for its whole life:
    FastAPI's own wrappers (telemetry, body limit), the middlewares, the
    routing and the dependency injection held about 13 KiB per socket, a
    fifth of an idle socket with one subscription (59.6 KiB before, 46.5
    after; 2026-12-06, 2,000 sockets; README, "Connections at scale"). None
    of them does anything for this socket: strawberry checks the origin
    (`allowed_origins`), and the body limit and CORS are for HTTP.
    """

    def __init__(self, router: SentichatRouter, connections: Counter) -> None:
        self.router = router
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.connections.opened()
        try:
            await self.router.handle_websocket(WebSocket(scope, receive, send))
        finally:
            self.connections.closed()


class Counter(Protocol):
    """Open WebSockets (`graph.api.metrics.Connections`)."""

    def opened(self) -> None: ...
    def closed(self) -> None: ...
