"""Pusher Channels' REST API through the `pusher` package, on our HTTP client.

The package signs: the batch trigger's query (`auth_signature` over method,
path and sorted query, with the body's MD5) and a private channel's
subscription (`authenticate`). Its requests go out through `HttpxBackend`,
the package's backend interface on the process's own async `httpx` client:
one connection pool, bounded, and an `Outcome` in place of the package's
exceptions, so that the fan-out decides what to retry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pusher
from pusher.http import Request as PusherRequest

from graph.platform.logs import describe
from graph.platform.settings import Settings

MAX_RETRY_AFTER_SECONDS = 3600
MAX_CHANNEL_NAME_CHARS = 164  # Pusher's limit on a channel name

# Pusher assigns socket ids as two decimal numbers joined by a dot. The
# package's own check takes any Unicode digit and any length; ours is the
# bound on what the auth endpoint accepts.
_SOCKET_ID = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}")
# The characters Pusher allows in a channel name.
_CHANNEL_NAME = re.compile(r"[-a-zA-Z0-9_=@,.;]+")


def is_socket_id(value: str) -> bool:
    return _SOCKET_ID.fullmatch(value) is not None


def is_channel_name(value: str) -> bool:
    return (
        len(value) <= MAX_CHANNEL_NAME_CHARS
        and _CHANNEL_NAME.fullmatch(value) is not None
    )


@dataclass(frozen=True, slots=True)
class PusherEvent:
    """One event for one channel; `data` is the JSON text clients receive."""

    channel: str
    name: str
    data: str


@dataclass(frozen=True, slots=True)
class PusherConfig:
    app_id: str
    key: str
    secret: str = field(repr=False)
    host: str
    port: int
    ssl: bool
    timeout: float

    @property
    def base_url(self) -> str:
        """Scheme, host and port of the REST API."""
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"

    @classmethod
    def from_settings(cls, settings: Settings) -> PusherConfig | None:
        """The configuration, or None when the PUSHER_* settings are absent."""
        if not (settings.pusher_app_id and settings.pusher_key):
            return None
        assert settings.pusher_secret  # the settings validate all three together
        return cls(
            app_id=settings.pusher_app_id,
            key=settings.pusher_key,
            secret=settings.pusher_secret,
            host=settings.pusher_host or f"api-{settings.pusher_cluster}.pusher.com",
            port=settings.pusher_port or (443 if settings.pusher_ssl else 80),
            ssl=settings.pusher_ssl,
            timeout=settings.pusher_timeout_seconds,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a trigger request ended; `status` is None when nothing answered."""

    status: int | None
    detail: str
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Worth repeating: no answer, too many requests, or a server error."""
        return self.status is None or self.status == 429 or self.status >= 500


class HttpxBackend:
    """The `pusher` package's backend interface, on an `httpx.AsyncClient`.

    The package builds and signs a request and hands it to `send_request`;
    what that returns is what the package's method returns, here an awaitable
    `Outcome` that never raises for a failed request.
    """

    def __init__(self, client: object, *, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send_request(self, request: PusherRequest) -> Outcome:
        try:
            response = await self._http.request(
                request.method,
                f"{request.base_url}{request.path}",
                params=request.query_params,
                content=request.body,
                headers=request.headers,
            )
        except httpx.HTTPError as exc:
            return Outcome(None, describe(exc))
        detail = f"HTTP {response.status_code}: {response.text[:200]}"
        return Outcome(response.status_code, detail, _retry_after(response))


class PusherClient:
    """Batch triggers and subscription signatures for one Pusher app."""

    def __init__(
        self,
        config: PusherConfig,
        *,
        max_connections: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._http = httpx.AsyncClient(
            timeout=config.timeout,
            limits=httpx.Limits(max_connections=max_connections),
            transport=transport,
        )
        self._pusher = pusher.Pusher(
            app_id=config.app_id,
            key=config.key,
            secret=config.secret,
            ssl=config.ssl,
            host=config.host,
            port=config.port,
            timeout=config.timeout,
            backend=HttpxBackend,
            http=self._http,
        )

    async def trigger_batch(self, events: Sequence[PusherEvent]) -> Outcome:
        # `data` is JSON text already, and the fan-out has kept each event
        # within Pusher's limits: nothing for the package to encode or check.
        batch: list[dict[str, Any]] = [
            {"channel": event.channel, "name": event.name, "data": event.data}
            for event in events
        ]
        outcome: Outcome = await self._pusher.trigger_batch(batch, already_encoded=True)
        return outcome

    def authorize_subscription(self, socket_id: str, channel_name: str) -> str:
        """The `auth` value that lets `socket_id` subscribe to a private channel."""
        signed = self._pusher.authenticate(channel=channel_name, socket_id=socket_id)
        auth: str = signed["auth"]
        return auth

    async def aclose(self) -> None:
        await self._http.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, if the answer gives one (seconds form only)."""
    value = response.headers.get("retry-after", "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    return float(min(int(value), MAX_RETRY_AFTER_SECONDS))
