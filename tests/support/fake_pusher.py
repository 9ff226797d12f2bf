"""A local Pusher Channels REST API, for tests.

It serves the two trigger endpoints, `POST /apps/<id>/events` and
`POST /apps/<id>/batch_events`, and checks every request the way Pusher
documents: the signature over method, path and sorted query (HMAC-SHA256 of
the secret), the key, the auth version, a timestamp within 600 s, the body's
MD5, and the limits (10 events a batch, 10 KB of data an event). A request
that fails a check gets Pusher's status (401, 400 or 413) and delivers
nothing. Accepted events are recorded in order.

The signature check is written here from Pusher's documentation, apart from
the `pusher` package, so that it can catch a mistake there.

Tests can also make it answer with a given status, hold requests until
released, or stop listening, to play a rate-limited, slow or absent Pusher.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.realtime.pusher import PusherConfig
from tests.support.server import free_port

TIMESTAMP_GRACE_SECONDS = 600
MAX_BATCH = 10
MAX_DATA_BYTES = 10_240
CHANNEL = re.compile(r"[-a-zA-Z0-9_=@,.;]{1,164}")


@dataclass(frozen=True)
class Credentials:
    app_id: str = "4242"
    key: str = "fake-pusher-key"
    secret: str = "fake-pusher-secret-0123456789"


@dataclass(frozen=True)
class Event:
    channel: str
    name: str
    data: dict[str, Any]  # the event's data, decoded
    request: int  # the number of the request that delivered it


@dataclass(frozen=True)
class Answered:
    path: str
    status: int
    reason: str
    # (channel, name, data) of each event the request carried, delivered or not
    carried: list[tuple[str, str, str]]

    @property
    def delivered(self) -> bool:
        return self.status == 200


@dataclass
class Scripted:
    status: int
    retry_after: int | None = None


def signature_problem(
    credentials: Credentials,
    method: str,
    path: str,
    raw_query: str,
    body: bytes,
    now: float,
) -> str | None:
    """Why Pusher would refuse this request's authentication, or None."""
    try:
        pairs = parse_qsl(raw_query, strict_parsing=True, keep_blank_values=True)
    except ValueError:
        return "Malformed query string"
    params = {name.lower(): value for name, value in pairs}
    if len(params) != len(pairs):
        return "Repeated query parameter"
    missing = {"auth_key", "auth_timestamp", "auth_version", "auth_signature"}
    missing -= params.keys()
    if missing:
        return f"Missing {', '.join(sorted(missing))}"
    if params["auth_key"] != credentials.key:
        return "Unknown auth_key"
    if params["auth_version"] != "1.0":
        return "Unsupported auth_version"
    stamp = params["auth_timestamp"]
    if not stamp.isdigit() or abs(now - int(stamp)) > TIMESTAMP_GRACE_SECONDS:
        return "Timestamp expired: given a timestamp far from the server's time"
    if body and params.get("body_md5") != hashlib.md5(body).hexdigest():
        return "body_md5 does not match the body"
    query = "&".join(
        f"{name}={value}"
        for name, value in sorted(params.items())
        if name != "auth_signature"
    )
    expected = hmac.new(
        credentials.secret.encode(),
        f"{method}\n{path}\n{query}".encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, params["auth_signature"]):
        return "Invalid signature: you should have sent HmacSHA256 of the request"
    return None


class EventProblem(Exception):
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


def _events_of(path: str, body: bytes) -> list[tuple[str, str, str]]:
    """(channel, name, data) of each event a trigger body asks for."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise EventProblem(400, "Body is not JSON") from exc
    if not isinstance(payload, dict):
        raise EventProblem(400, "Body is not a JSON object")
    if path.endswith("/batch_events"):
        batch = payload.get("batch")
        if not isinstance(batch, list) or not batch:
            raise EventProblem(400, "batch must be a non-empty list")
        if len(batch) > MAX_BATCH:
            raise EventProblem(400, f"Batch too large ({len(batch)} > {MAX_BATCH})")
        return [_event(item, [item.get("channel")]) for item in batch]
    channels = payload.get("channels") or [payload.get("channel")]
    return [_event(payload, [channel]) for channel in channels]


def _event(item: object, channels: list[object]) -> tuple[str, str, str]:
    if not isinstance(item, dict):
        raise EventProblem(400, "An event is not an object")
    name, data, (channel,) = item.get("name"), item.get("data"), channels
    if not isinstance(channel, str) or not CHANNEL.fullmatch(channel):
        raise EventProblem(400, f"Invalid channel {channel!r}")
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        raise EventProblem(400, "Invalid event name")
    if not isinstance(data, str):
        raise EventProblem(400, "data must be a string")
    if len(data.encode()) > MAX_DATA_BYTES:
        raise EventProblem(413, "Payload too large: data is over 10KB")
    return channel, name, data


@dataclass
class FakePusher:
    credentials: Credentials = field(default_factory=Credentials)
    events: list[Event] = field(default_factory=list)
    answered: list[Answered] = field(default_factory=list)
    in_flight: int = 0  # requests received and not yet answered

    def __post_init__(self) -> None:
        self.port = free_port()
        self._script: deque[Scripted] = deque()
        self._released = asyncio.Event()
        self._released.set()
        self._changed = asyncio.Condition()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        path = "/apps/{app_id}/{endpoint:str}"
        self.app = Starlette(routes=[Route(path, self._trigger, methods=["POST"])])

    # -- running -------------------------------------------------------------

    async def start(self) -> FakePusher:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning"
        )
        config.lifespan = "off"
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(10):
            while not self._server.started:
                await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        """Stop listening: requests are refused until `start` again."""
        if self._server is None or self._task is None:
            return
        self._released.set()
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    def settings(self) -> dict[str, Any]:
        """The Settings fields that point Sentichat here."""
        return {
            "pusher_app_id": self.credentials.app_id,
            "pusher_key": self.credentials.key,
            "pusher_secret": self.credentials.secret,
            "pusher_host": "127.0.0.1",
            "pusher_port": self.port,
            "pusher_ssl": False,
        }

    def config(self, **change: str) -> PusherConfig:
        """A client configuration for this server; `change` alters credentials."""
        credentials = replace(self.credentials, **change)
        return PusherConfig(
            app_id=credentials.app_id,
            key=credentials.key,
            secret=credentials.secret,
            host="127.0.0.1",
            port=self.port,
            ssl=False,
            timeout=5.0,
        )

    def env(self) -> dict[str, str]:
        """The same, as a server process's environment."""
        return {name.upper(): str(value) for name, value in self.settings().items()}

    # -- behaving badly ------------------------------------------------------

    def answer_next(
        self, status: int, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` requests with `status`, delivering nothing."""
        self._script.extend(Scripted(status, retry_after) for _ in range(times))

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Keep requests waiting, unanswered, until the block ends."""
        self._released.clear()
        try:
            yield
        finally:
            self._released.set()

    # -- observing -----------------------------------------------------------

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float = 10.0
    ) -> None:
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(condition)

    async def wait_for_events(self, count: int, timeout: float = 10.0) -> list[Event]:
        await self.wait_for(lambda: len(self.events) >= count, timeout)
        return self.events

    def on(self, channel: str) -> list[Event]:
        return [event for event in self.events if event.channel == channel]

    # -- the endpoints ---------------------------------------------------------

    async def _trigger(self, request: Request) -> JSONResponse:
        self.in_flight += 1
        await self._notify()
        try:
            await self._released.wait()
            body = await request.body()
            status, reason, events, retry_after = self._judge(request, body)
            await self._record(request.url.path, status, reason, events)
        finally:
            self.in_flight -= 1
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        content = {} if status == 200 else {"error": reason}
        return JSONResponse(content, status_code=status, headers=headers)

    def _judge(
        self, request: Request, body: bytes
    ) -> tuple[int, str, list[tuple[str, str, str]], int | None]:
        """(status, reason, events carried, Retry-After) for a request."""
        if request.path_params["app_id"] != self.credentials.app_id:
            return 404, "Unknown app", [], None
        if request.path_params["endpoint"] not in ("events", "batch_events"):
            return 404, "Unknown resource", [], None
        problem = signature_problem(
            self.credentials,
            request.method,
            request.url.path,
            request.url.query,
            body,
            time.time(),
        )
        if problem is not None:
            return 401, problem, [], None
        try:
            events = _events_of(request.url.path, body)
        except EventProblem as exc:
            return exc.status, exc.reason, [], None
        if self._script:
            scripted = self._script.popleft()
            return scripted.status, "scripted failure", events, scripted.retry_after
        return 200, "ok", events, None

    async def _record(
        self, path: str, status: int, reason: str, events: list[tuple[str, str, str]]
    ) -> None:
        number = len(self.answered)
        self.answered.append(Answered(path, status, reason, events))
        if status == 200:
            for channel, name, data in events:
                self.events.append(Event(channel, name, json.loads(data), number))
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
