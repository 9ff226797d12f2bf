"""Pusher Channels' REST API: the signed batch trigger, over one HTTP client."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
import orjson

from graph.errors import describe
from graph.realtime.pusher.signing import signed_query
from graph.settings import Settings

MAX_RETRY_AFTER_SECONDS = 3600


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
    base_url: str  # scheme, host and port of the REST API
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> PusherConfig | None:
        """The configuration, or None when the PUSHER_* settings are absent."""
        if not (settings.pusher_app_id and settings.pusher_key):
            return None
        assert settings.pusher_secret  # the settings validate all three together
        scheme = "https" if settings.pusher_ssl else "http"
        host = settings.pusher_host or f"api-{settings.pusher_cluster}.pusher.com"
        port = settings.pusher_port or (443 if settings.pusher_ssl else 80)
        return cls(
            app_id=settings.pusher_app_id,
            key=settings.pusher_key,
            secret=settings.pusher_secret,
            base_url=f"{scheme}://{host}:{port}",
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


class PusherClient:
    """Signs and sends batch triggers; never raises for a failed request."""

    def __init__(
        self,
        config: PusherConfig,
        *,
        max_connections: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._path = f"/apps/{config.app_id}/batch_events"
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=config.timeout,
            limits=httpx.Limits(max_connections=max_connections),
            headers={"Content-Type": "application/json"},
            transport=transport,
        )

    async def trigger_batch(self, events: Sequence[PusherEvent]) -> Outcome:
        batch = [
            {"channel": event.channel, "name": event.name, "data": event.data}
            for event in events
        ]
        body = orjson.dumps({"batch": batch})
        config = self.config
        params = signed_query(
            config.key, config.secret, "POST", self._path, body, int(time.time())
        )
        try:
            response = await self._http.post(self._path, params=params, content=body)
        except httpx.HTTPError as exc:
            return Outcome(None, describe(exc))
        detail = f"HTTP {response.status_code}: {response.text[:200]}"
        return Outcome(response.status_code, detail, _retry_after(response))

    async def aclose(self) -> None:
        await self._http.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, if the answer gives one (seconds form only)."""
    value = response.headers.get("retry-after", "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    return float(min(int(value), MAX_RETRY_AFTER_SECONDS))
