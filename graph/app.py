"""The ASGI application: `uvicorn graph.app:app`, or `create_app(settings)`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from graph.context import Context, get_context
from graph.errors import Unauthenticated
from graph.metrics import CountConnections, Metrics
from graph.pusher_auth import pusher_auth
from graph.schema import schema
from graph.services import Services, open_services
from graph.settings import Settings, get_settings
from graph.web import mount_web_client

logger = logging.getLogger(__name__)

CONNECTION_INIT_TIMEOUT = timedelta(seconds=5)
KEEP_ALIVE_SECONDS = 15.0
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class SentichatRouter(GraphQLRouter[Context, None]):
    """GraphQL over HTTP and graphql-transport-ws, signed in by connection_init."""

    async def on_ws_connect(
        self, context: Context
    ) -> UnsetType | dict[str, object] | None:
        params = context.connection_params
        authorization = (
            params.get("authorization") if isinstance(params, dict) else None
        )
        if not isinstance(authorization, str):
            raise ConnectionRejectionError  # closes the socket with 4403
        try:
            context.authenticate(authorization)
        except Unauthenticated as exc:
            raise ConnectionRejectionError from exc
        return cast("UnsetType", UNSET)  # acknowledge with no payload


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for these settings; nothing is opened until its lifespan starts."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Sentichat",
        lifespan=_lifespan(settings),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(
        SentichatRouter(
            schema,
            context_getter=get_context,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            allow_queries_via_get=False,
            keep_alive=True,
            keep_alive_interval=KEEP_ALIVE_SECONDS,
        ),
        prefix="/graphql",
    )
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/readyz", readyz, methods=["GET"])
    metrics = Metrics(lambda: getattr(app.state, "services", None))
    app.add_api_route("/metrics", metrics.endpoint, methods=["GET"])
    # Every method, so that a GET is answered 405 (or 404), not by the web client.
    app.add_route("/pusher/auth", pusher_auth, methods=list(HTTP_METHODS))
    app.add_middleware(CountConnections, connections=metrics.connections)
    mount_web_client(app, settings.web_dist)  # last: it answers every other path
    return app


def _lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            app.state.settings = settings
            app.state.services = services
            try:
                yield
            finally:
                app.state.services = None

    return lifespan


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
