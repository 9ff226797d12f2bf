"""Per-request (per-WebSocket) context: services and who is calling."""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.fastapi import BaseContext

from graph.sentiment import Thresholds
from graph.services import Services
from graph.settings import Settings


class Context(BaseContext):
    """Carries services, never a database session.

    Strawberry resolves sibling fields concurrently, and one AsyncSession
    cannot serve concurrent operations, so each service call opens its own.
    Over a WebSocket the context lives as long as the connection, so it holds
    nothing per event.
    """

    def __init__(
        self, services: Services, settings: Settings, authorization: str | None
    ) -> None:
        super().__init__()
        self.services = services
        self.settings = settings
        self.thresholds = Thresholds.from_settings(settings)
        self._authorization = authorization
        self._user_id: int | None = None

    def viewer_id(self) -> int:
        """The caller's user id, from the token; Unauthenticated without one."""
        if self._user_id is None:
            tokens = self.services.tokens
            self._user_id = tokens.verify_header(self._authorization)
        return self._user_id

    def authenticate(self, authorization: str) -> None:
        """Sign in a WebSocket from its `connection_init` payload."""
        self._user_id = self.services.tokens.verify_header(authorization)


Info: TypeAlias = strawberry.Info[Context, None]


async def get_context(connection: HTTPConnection) -> Context:
    state = connection.app.state
    # A WebSocket authenticates in `connection_init`, never by header.
    header = None
    if not isinstance(connection, WebSocket):
        header = connection.headers.get("authorization")
    return Context(state.services, state.settings, header)
