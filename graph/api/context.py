"""Per-request (per-WebSocket) context: services and who is calling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

import strawberry
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from graph.domain.errors import Unauthenticated
from graph.domain.records import PresenceState
from graph.platform.settings import Settings
from graph.services import Services
from graph.services.throttle import address_key


class Context(BaseContext):
    """Carries services, never a database session.

    Strawberry resolves sibling fields concurrently, and one AsyncSession
    cannot serve concurrent operations, so each service call opens its own.
    Over a WebSocket the context lives as long as the connection, so it holds
    nothing per event.
    """

    def __init__(
        self,
        services: Services,
        settings: Settings,
        authorization: str | None,
        client_host: str | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.settings = settings
        # What rate limits key a client by (`--proxy-headers` makes it the
        # address a trusted proxy forwarded).
        self.client_address = address_key(client_host)
        self._authorization = authorization
        self._user_id: int | None = None
        self.expires_at: datetime | None = None
        # Presence asked for by the fields of one event-loop turn, answered
        # with one lookup; nothing cached (a WebSocket's context lives long).
        # Made on first use: most requests and sockets never ask.
        self._presence: DataLoader[tuple[int, bool], PresenceState | None] | None = None
        # `User.blockedByMe` of the users of one turn, with one query.
        self._blocked: DataLoader[int, bool] | None = None

    def viewer_id(self) -> int:
        """The caller's user id, from the token; Unauthenticated without one,
        and while the account is suspended (a set lookup, no round trip)."""
        if self._user_id is None:
            tokens = self.services.tokens
            self._user_id = tokens.verify_header(self._authorization).user_id
        self.services.suspensions.check(self._user_id)
        return self._user_id

    @property
    def signed_in_as(self) -> int | None:
        """The user a socket signed in as, suspended since or not: for the
        socket's own bookkeeping, never to act for them."""
        return self._user_id

    async def presence_of(
        self, user_id: int, shares_chat: bool | None
    ) -> PresenceState | None:
        """The user's presence as the caller may see it (None: not theirs to
        see); `shares_chat` when known to share a chat with the caller."""
        if self._presence is None:
            self._presence = DataLoader(self._load_presence, cache=False)
        return await self._presence.load((user_id, bool(shares_chat)))

    async def blocked_by_me(self, user_id: int) -> bool:
        """Whether the caller blocks `user_id`."""
        if self._blocked is None:
            self._blocked = DataLoader(self._load_blocked, cache=False)
        return await self._blocked.load(user_id)

    async def _load_blocked(self, user_ids: Sequence[int]) -> list[bool]:
        viewer = self.viewer_id()
        others = {user_id for user_id in user_ids if user_id != viewer}
        blocked = await self.services.blocks.blocked_among(viewer, others)
        return [user_id in blocked for user_id in user_ids]

    async def _load_presence(
        self, keys: Sequence[tuple[int, bool]]
    ) -> list[PresenceState | None]:
        peers = {user_id for user_id, shares in keys if shares}
        ids = {user_id for user_id, _ in keys}
        try:
            viewer: int | None = self.viewer_id()
        except Unauthenticated:
            viewer = None  # signing in: only the hinted users (the caller) show
        states = await self.services.presence.states(viewer, ids, peers=peers)
        return [states[user_id] for user_id, _ in keys]

    def authenticate(self, authorization: str) -> None:
        """Sign in a WebSocket from its `connection_init` payload."""
        bearer = self.services.tokens.verify_header(authorization)
        self.services.suspensions.check(bearer.user_id)
        self._user_id, self.expires_at = bearer.user_id, bearer.expires_at


Info: TypeAlias = strawberry.Info[Context, None]


async def get_context(connection: HTTPConnection) -> Context:
    state = connection.app.state
    # A WebSocket authenticates in `connection_init`, never by header.
    header = None
    if not isinstance(connection, WebSocket):
        header = connection.headers.get("authorization")
    host = connection.client.host if connection.client else None
    return Context(state.services, state.settings, header, host)
