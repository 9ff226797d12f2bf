"""The ASGI application: `uvicorn graph.app:app`, or `create_app(settings)`."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.http.websocket_origin import normalize_allowed_origins
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graph.api.context import get_context
from graph.api.metrics import Metrics
from graph.api.schema import create_schema
from graph.api.transport import BodyLimit, DirectPost, DirectWebSocket, SentichatRouter
from graph.domain import sentiment
from graph.platform.logs import configure_logging
from graph.platform.runtime import tune_gc
from graph.platform.settings import Settings, get_settings, retired_settings
from graph.platform.web import mount_web_client
from graph.realtime.pusher import ChannelAuthorizer, PusherAuthEndpoint
from graph.services import Services, open_services

logger = logging.getLogger(__name__)

GRAPHQL_PATH = "/graphql"
CONNECTION_INIT_TIMEOUT = timedelta(seconds=5)
KEEP_ALIVE_SECONDS = 15.0
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class SentichatApp(FastAPI):
    """FastAPI, with WebSockets on the GraphQL path taken first, outside it
    (see `DirectWebSocket`: each layer a socket passes stays in memory as
    long as the socket is open)."""

    graphql_sockets: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sockets = self.graphql_sockets
        if (
            sockets is not None
            and scope["type"] == "websocket"
            and scope["path"] == GRAPHQL_PATH
        ):
            scope["app"] = self  # as Starlette sets it: the context reads its state
            await sockets(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for these settings; nothing is opened until its lifespan starts."""
    settings = settings or get_settings()
    configure_logging(settings)
    # As browsers write them (lower case, no default port), for CORS and the
    # WebSocket alike; a value that is not an origin stops start-up here.
    origins = sorted(normalize_allowed_origins(settings.allowed_origins))
    app = SentichatApp(
        title="Sentichat",
        lifespan=_lifespan(settings),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    router = SentichatRouter(
        create_schema(settings),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        max_subscriptions_per_connection=settings.ws_max_operations,
        allowed_origins=origins,
        allow_queries_via_get=False,
        keep_alive=True,
        keep_alive_interval=KEEP_ALIVE_SECONDS,
        ws_max_message_bytes=settings.ws_max_message_bytes,
    )
    app.include_router(router, prefix=GRAPHQL_PATH)
    metrics = Metrics(lambda: getattr(app.state, "services", None))
    app.graphql_sockets = DirectWebSocket(router, metrics.connections)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/readyz", readyz, methods=["GET"])
    app.add_api_route("/metrics", metrics.endpoint, methods=["GET"])
    # Every method, so that a GET is answered 405 (or 404), not by the web client.
    pusher_auth = PusherAuthEndpoint(lambda: _channel_auth(app))
    app.add_route("/pusher/auth", pusher_auth.endpoint, methods=list(HTTP_METHODS))
    # Innermost: what follows sees every request, this one's POSTs included.
    app.add_middleware(DirectPost, router=router, path=GRAPHQL_PATH)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    mount_web_client(app, settings.web_dist)  # last: it answers every other path
    return app


def _lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            app.state.settings = settings
            app.state.services = services
            # Loaded now, not on the first message: TextBlob's lexicon (an
            # XML file, ~100 ms to parse), VADER's and the model.
            sentiment.warm()
            for name, why in retired_settings(os.environ).items():
                logger.warning("%s is set but no longer used: %s", name, why)
            tune_gc()
            try:
                yield
            finally:
                app.state.services = None

    return lifespan


def _channel_auth(app: FastAPI) -> ChannelAuthorizer | None:
    services: Services | None = getattr(app.state, "services", None)
    return services.channel_auth if services is not None else None


async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


async def readyz(request: Request) -> JSONResponse:
    """Ready: the database and the broadcast backend answer (503 otherwise)."""
    services: Services = request.app.state.services
    readiness = await services.health.readiness()
    body = {
        "status": "ready" if readiness.ready else "unavailable",
        "database": "ok" if readiness.database else "unreachable",
        "broadcast": "ok" if readiness.broadcast else "unreachable",
    }
    return JSONResponse(body, status_code=200 if readiness.ready else 503)


_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    # `graph.app:app` is built on first access, from the environment, so that
    # importing this module (as tests do) reads no settings.
    global _app
    if name != "app":
        raise AttributeError(name)
    if _app is None:
        _app = create_app()
    return _app
