"""transport: a whole `POST /graphql` through the ASGI app `create_app` builds,
against the same app with `DirectPost` taken out of its middleware; then,
behind `DirectPost`, a request on a known document run by
`graph.api.transport.operations` against strawberry's view running it.

Both apps are `create_app`'s, from the same settings; the second has the
`DirectPost` entry removed from `app.user_middleware` before its first
request builds the middleware stack, so its POSTs reach strawberry's own
route through FastAPI's routing and dependency injection, as they did before
`DirectPost`, and through the two middlewares FastAPI puts inside the app's
own (`ExceptionMiddleware`, `AsyncExitStackMiddleware`), which `DirectPost`
also skips. All else, the middlewares around it included, is the same. The
lifespan is not run: `app.state` is set here, with the services stubbed (the
messages as for the schema; the tokens real, since `Context.viewer_id` checks
the request's bearer token, remembered after its first check as when served).

The app is called as uvicorn calls it: a scope, a `receive` handing out the
body in one message, a `send` collecting the answer. No client and no socket:
nothing but the app is timed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import orjson
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Scope

from graph.api.transport import DirectPost
from graph.app import GRAPHQL_PATH, create_app
from graph.services.security import Tokens
from graph.services.suspensions import Suspensions
from tests.benchmarks.handwritten.operations import (
    OPERATIONS,
    SETTINGS,
    VIEWER,
    Operation,
    StubServices,
    records,
)
from tests.benchmarks.handwritten.timing import Run, versus

# The benchmark's settings, with the secret tokens are signed with.
APP_SETTINGS = SETTINGS.model_copy(
    update={"jwt_secret": "handwritten-benchmark-" + "s" * 32}
)
# What Apollo Client's HttpLink sends, less what no layer here reads.
ACCEPT = b"application/graphql-response+json,application/json;q=0.9"

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
Runs = tuple[Run, Run]  # ours, theirs


class AppServices(StubServices):
    """What `Context` reads of `graph.services.Services`: messages, tokens
    and the set of suspended accounts (empty)."""

    def __init__(self) -> None:
        super().__init__(records())
        self.tokens = Tokens(APP_SETTINGS)
        self.suspensions = Suspensions()


def served_app(services: AppServices, *, direct: bool) -> FastAPI:
    """`create_app`'s app, started by hand; without `DirectPost` unless `direct`."""
    app = create_app(APP_SETTINGS)
    if not direct:
        kept = [entry for entry in app.user_middleware if not _direct(entry.cls)]
        if len(kept) != len(app.user_middleware) - 1:
            raise AssertionError(f"one DirectPost expected: {app.user_middleware}")
        app.user_middleware = kept  # the stack is built on the first request
    app.state.settings = APP_SETTINGS
    app.state.services = services
    return app


def without_known_documents(app: FastAPI) -> None:
    """Every POST of the (started) `app` answered by strawberry's view, as
    before `graph.api.transport.operations`."""
    layer = direct_post(app)
    if layer is None:
        raise AssertionError("start the app first: its stack holds DirectPost")
    router = layer.router

    async def none(*_: object) -> None:
        return None

    router._run_known = none  # type: ignore[method-assign,assignment]


def _direct(middleware: object) -> bool:
    return middleware is DirectPost


def post(app: ASGIApp, operation: Operation, authorization: str) -> Run:
    """One `POST /graphql` of `operation`, answered (status, headers, body)."""
    body = orjson.dumps(
        {
            "operationName": operation.name,
            "variables": operation.variables,
            "query": operation.query,
        }
    )
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},  # as uvicorn's
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 54_321),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": GRAPHQL_PATH,
        "raw_path": GRAPHQL_PATH.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"accept", ACCEPT),
            (b"authorization", authorization.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    request: Message = {"type": "http.request", "body": body, "more_body": False}
    gone: Message = {"type": "http.disconnect"}

    async def run() -> Answer:
        sent: list[Message] = []
        received = False

        async def receive() -> Message:
            nonlocal received
            if received:
                return gone
            received = True
            return request

        async def send(message: Message) -> None:
            sent.append(message)

        await app(dict(scope), receive, send)  # the app adds to its scope
        start, *parts = sent
        if start["status"] != 200:
            raise AssertionError(f"{operation.label}: {start} {parts}")
        return start["status"], start["headers"], b"".join(p["body"] for p in parts)

    return run


async def answered(run: Run, operation: Operation) -> None:
    """The answer is the operation's data, with no error."""
    _, _, body = await run()
    answer = json.loads(body)
    if "errors" in answer or not answer.get("data"):
        raise AssertionError(f"{operation.label}: {body[:1_000]!r}")


def stacks_direct_post(app: FastAPI) -> bool:
    """Whether the middleware stack the first request built holds a `DirectPost`."""
    return direct_post(app) is not None


def direct_post(app: FastAPI) -> DirectPost | None:
    layer: object = app.middleware_stack
    for _ in range(100):  # each middleware's `app` is the next one in
        if layer is None or isinstance(layer, DirectPost):
            break
        layer = getattr(layer, "app", None)
    return layer if isinstance(layer, DirectPost) else None


async def transport(repeats: int) -> None:
    services = AppServices()
    authorization = f"Bearer {services.tokens.issue(VIEWER)}"
    direct, routed = (served_app(services, direct=flag) for flag in (True, False))
    for operation in OPERATIONS:  # before any timing, both apps
        for app in (direct, routed):
            await answered(post(app, operation, authorization), operation)
    if not (stacks_direct_post(direct) and not stacks_direct_post(routed)):
        raise AssertionError("DirectPost is not where it is meant to be")

    def against(ours: ASGIApp, theirs: ASGIApp) -> Callable[[Operation], Runs]:
        def runs(operation: Operation) -> Runs:
            return (
                post(ours, operation, authorization),
                post(theirs, operation, authorization),
            )

        return runs

    await versus(
        "transport: µs per request (whole ASGI app, `POST /graphql` to the"
        " answer's last byte)",
        ("DirectPost", "without DirectPost"),
        against(direct, routed),
        repeats,
    )

    viewed = served_app(services, direct=True)
    for operation in OPERATIONS:  # builds the stack, caches the documents
        await answered(post(viewed, operation, authorization), operation)
    without_known_documents(viewed)
    await versus(
        "known documents: µs per request (whole ASGI app behind DirectPost),"
        " `graph.api.transport.operations` against strawberry's view",
        ("operations", "strawberry's view"),
        against(direct, viewed),
        repeats,
    )
