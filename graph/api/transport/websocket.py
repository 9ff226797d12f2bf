"""graphql-transport-ws, held to its protocol and to Sentichat's bounds.

Strawberry's handler implements the protocol; this one adds what a socket
open to the internet needs:

- a message that is not a well-formed protocol message (not an object, a
  non-string `type` or `id`, a `subscribe` without a `payload` object holding
  a string `query`) closes the socket with 4400 and a reason, instead of
  raising inside the handler;
- a text frame over `ws_max_message_bytes` closes it with 1009;
- at most `ws_max_operations` operations run at once, and one more is refused
  with a coded error while the socket stays open;
- the socket is closed with 4403 when its token expires, so that nobody
  streams past the life of the token they signed in with, and at once when
  its user is suspended (`graph.services.suspensions`), reason "This account
  is suspended.";
- from its acknowledgement until it closes, the socket counts its user as
  online (`PresenceService.connect` / `disconnect`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime
from json import JSONDecodeError
from typing import Any, Protocol, cast

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from graph.api.context import Context
from graph.api.masking import SentichatSchema
from graph.api.transport import streams
from graph.domain.moderation import SUSPENDED

logger = logging.getLogger(__name__)

MESSAGE_TOO_BIG = 1009  # RFC 6455
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: 125 bytes of payload, 2 of them the code
TOKEN_EXPIRED = 4403
ACCOUNT_SUSPENDED = 4403  # as a refused token: the client signs out
MAX_OPERATION_ID_CHARS = 128
OPTIONAL_PAYLOAD_FIELDS: tuple[tuple[str, type], ...] = (
    ("variables", dict),
    ("operationName", str),
    ("extensions", dict),
)


def protocol_problem(message: object) -> str | None:
    """Why `message` is not a well-formed client message, or None."""
    if not isinstance(message, dict):
        return "A message is a JSON object."
    kind = message.get("type")
    if not isinstance(kind, str):
        return "A message has a string `type`."
    if kind in ("subscribe", "complete"):
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not (
            0 < len(operation_id) <= MAX_OPERATION_ID_CHARS
        ):
            return f"`id` is a string of 1 to {MAX_OPERATION_ID_CHARS} characters."
    if kind == "subscribe":
        return _subscribe_problem(message.get("payload"))
    return None


def _subscribe_problem(payload: object) -> str | None:
    if not isinstance(payload, dict):
        return "A subscribe message has a `payload` object."
    if not isinstance(payload.get("query"), str):
        return "`payload.query` is a string."
    for name, kind in OPTIONAL_PAYLOAD_FIELDS:
        value = payload.get(name)
        if value is not None and not isinstance(value, kind):
            expected = "an object" if kind is dict else "a string"
            return f"`payload.{name}` is {expected}."
    return None


class FrameBound(Protocol):
    """The view's bound on a frame; the router (`SentichatRouter`) sets it."""

    ws_max_message_bytes: int


class BoundedWebSocketAdapter(ASGIWebSocketAdapter):
    """Reads text frames no larger than the router's `ws_max_message_bytes`."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit: int = cast("FrameBound", self.view).ws_max_message_bytes
        while self.ws.application_state != WebSocketState.DISCONNECTED:
            try:
                text = await self.ws.receive_text()
            except KeyError as exc:  # a binary frame
                raise NonTextMessageReceived from exc
            except WebSocketDisconnect:
                return
            if _longer_than(text, limit):
                await self.close(MESSAGE_TOO_BIG, f"Messages are at most {limit} bytes")
                return
            try:
                yield self.view.decode_json(text)
            except JSONDecodeError as exc:
                if not ignore_parsing_errors:
                    raise NonJsonMessageReceived from exc

    async def send_json(self, message: Mapping[str, object]) -> None:
        # A text frame, as graphql-transport-ws requires (the view's JSON is bytes).
        text = self.view.encode_json(message)
        try:
            await self.ws.send_text(text if isinstance(text, str) else text.decode())
        except (WebSocketDisconnect, RuntimeError) as exc:
            # RuntimeError: sent after the close; either way the peer is gone.
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        # A close frame's reason is at most 123 bytes; strawberry passes a
        # client's own syntax error or operation name, of any length, which
        # may quote a lone surrogate (UTF-8 has none: it becomes "?").
        encoded = reason.encode(errors="replace")
        short = encoded[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")
        await super().close(code, short)


def _longer_than(text: str, limit: int) -> bool:
    """Whether `text` is more than `limit` bytes of UTF-8 (encoding only if need be)."""
    if len(text) > limit:
        return True
    return len(text) * 4 > limit and len(text.encode()) > limit


class SentichatTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A timer, not a sleeping task: a task and its frame cost each idle
        # socket about 1.5 KiB more, for the whole life of its token.
        self._expiry: asyncio.TimerHandle | None = None
        self._expiring: asyncio.Task[None] | None = None
        # connection_init's deadline, a timer too: strawberry's task for it,
        # cancelled by connection_init, stayed referenced (with what its
        # cancellation holds) for the socket's whole life.
        self._init_deadline: asyncio.TimerHandle | None = None
        # The user this socket counts as online, from its acknowledgement on.
        self._online: int | None = None

    async def handle_message(self, message: Message) -> None:
        problem = protocol_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    def on_request_accepted(self) -> None:
        delay = self.connection_init_wait_timeout.total_seconds()
        loop = asyncio.get_running_loop()
        self._init_deadline = loop.call_later(delay, self._init_overdue)

    def _init_overdue(self) -> None:
        self._init_deadline = None
        if not self.connection_init_received:
            # Awaited by `shutdown`, as strawberry's own task would be.
            self.connection_init_timeout_task = asyncio.create_task(
                self.handle_connection_init_timeout()
            )

    async def handle_connection_init_timeout(self) -> None:
        """Now, not after sleeping again: the timer has waited."""
        self.connection_timed_out = True
        with contextlib.suppress(WebSocketDisconnected, RuntimeError, OSError):
            await self.websocket.close(4408, "Connection initialisation timeout")

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self._init_deadline is not None:
            self._init_deadline.cancel()
            self._init_deadline = None
        await super().handle_connection_init(message)
        expires_at = self.context.expires_at
        if self.connection_acknowledged and self._expiry is None and expires_at:
            delay = (expires_at - datetime.now(UTC)).total_seconds()
            loop = asyncio.get_running_loop()
            self._expiry = loop.call_later(max(0.0, delay), self._expire)
        user_id = self.context.signed_in_as
        if self.connection_acknowledged and self._online is None and user_id:
            # Held before anything is awaited: a suspension from now on closes
            # the socket, and one since `on_ws_connect` checked closes it now.
            self.context.services.suspensions.hold(user_id, self)
            self._online = user_id
            await self.context.services.presence.connect(user_id)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        expires_at = self.context.expires_at
        if expires_at is not None and expires_at <= datetime.now(UTC):
            await self._close_expired()  # before the timer got to it
            return
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            await self._refuse(message["id"], limit)
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """A subscription on a known document runs lean (`streams`); the rest
        as strawberry runs it."""
        schema = cast("SentichatSchema", self.schema)
        planned = streams.plan(schema, self.context, operation)
        if planned is None:
            await super().run_operation(operation)
            return
        try:
            await streams.run(schema, operation, planned)
        except Exception as error:
            # As strawberry ends an operation that failed: said, completed, gone.
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message(
                    {"id": operation.id, "type": "complete"}
                )
            self.operations.pop(operation.id, None)
            raise

    async def _refuse(self, operation_id: str, limit: int) -> None:
        error = GraphQLError(
            f"At most {limit} operations run at once on one connection; "
            "complete one first.",
            extensions={"code": "BAD_USER_INPUT", "limit": limit},
        )
        await self.send_message(
            {"id": operation_id, "type": "error", "payload": [error.formatted]}
        )

    def _expire(self) -> None:
        self._expiring = asyncio.create_task(self._close_expired())

    def suspend(self) -> None:
        """Close at once: the account was suspended (`Suspensions`)."""
        if self._expiring is None:  # else closing already
            self._expiring = asyncio.create_task(
                self._close_refused(ACCOUNT_SUSPENDED, SUSPENDED)
            )

    async def _close_expired(self) -> None:
        await self._close_refused(TOKEN_EXPIRED, "Token expired")

    async def _close_refused(self, code: int, reason: str) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        gone = (WebSocketDisconnected, WebSocketDisconnect, RuntimeError, OSError)
        with contextlib.suppress(*gone):
            await self.websocket.close(code, reason)

    async def shutdown(self) -> None:
        if self._init_deadline is not None:
            self._init_deadline.cancel()
        if self._expiry is not None:
            self._expiry.cancel()
        if self._expiring is not None:
            self._expiring.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._expiring
        try:
            await super().shutdown()
        finally:
            if self._online is not None:
                user_id, self._online = self._online, None
                self.context.services.suspensions.release(user_id, self)
                await self.context.services.presence.disconnect(user_id)
