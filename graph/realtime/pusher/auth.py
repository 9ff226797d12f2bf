"""`POST /pusher/auth`: Pusher's channel authorization endpoint, members only.

pusher-js posts the form fields `socket_id` and `channel_name`, with the
headers its `channelAuthorization` option names; here that is the caller's
`Authorization: Bearer <token>`. The answer is `{"auth": "<key>:<signature>"}`
for the caller's own channels; anything else is refused with a status and a
sentence: 401 no or bad token, 400 malformed input, 403 not the caller's
channel, 404 when Pusher is not configured, 429 (with Retry-After) past the
caller's rate.

Who may be signed in is the services' decision (`ChannelAuthorizer`); this
module only speaks HTTP, so that realtime never imports the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from db.errors import is_unavailable
from graph.domain.errors import (
    BadUserInput,
    Forbidden,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)

MAX_BODY_BYTES = 4096
MAX_FIELDS = 16
FORM = "application/x-www-form-urlencoded"
REQUIRED = ("socket_id", "channel_name")
NO_STORE = {"Cache-Control": "no-store"}


class ChannelAuthorizer(Protocol):
    """What the endpoint asks of the services.

    Each raises a refusal (`Unauthenticated`, `BadUserInput`, `Forbidden`,
    `RateLimited`), which the endpoint answers with its status.
    """

    def authenticate(self, authorization: str | None) -> int:
        """The caller's user id, from the `Authorization` header."""
        ...

    async def authorize(self, user_id: int, socket_id: str, channel_name: str) -> str:
        """The `auth` value for `socket_id` on `channel_name`."""
        ...


class PusherAuthEndpoint:
    """The endpoint, asking whichever authorizer the running services hold.

    `authorizer` returns None while Pusher is off (or the services are not
    open): every request is then answered 404.
    """

    def __init__(self, authorizer: Callable[[], ChannelAuthorizer | None]) -> None:
        self._authorizer = authorizer

    async def endpoint(self, request: Request) -> JSONResponse:
        try:
            auth = await _authorize(self._authorizer(), request)
        except _Refused as refused:
            body = {"error": refused.message}
            headers = {**NO_STORE, **refused.headers}
            return JSONResponse(body, status_code=refused.status, headers=headers)
        return JSONResponse({"auth": auth}, headers=NO_STORE)


class _Refused(Exception):
    def __init__(self, status: int, message: str, **headers: str) -> None:
        self.status = status
        self.message = message
        self.headers = headers


async def _authorize(authorizer: ChannelAuthorizer | None, request: Request) -> str:
    if authorizer is None:
        raise _Refused(404, "Pusher is not configured on this server.")
    if request.method != "POST":
        raise _Refused(405, "Use POST.", Allow="POST")
    try:
        user_id = authorizer.authenticate(request.headers.get("authorization"))
    except Unauthenticated as exc:
        raise _Refused(401, exc.message, **{"WWW-Authenticate": "Bearer"}) from exc
    fields = _form(await _body(request))
    try:
        return await authorizer.authorize(
            user_id, fields["socket_id"], fields["channel_name"]
        )
    except RateLimited as exc:
        retry_after = str(exc.extensions["retryAfter"])
        raise _Refused(429, exc.message, **{"Retry-After": retry_after}) from exc
    except BadUserInput as exc:
        raise _Refused(400, exc.message) from exc
    except Forbidden as exc:
        raise _Refused(403, exc.message) from exc
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        retry_after = str(ServiceUnavailable.RETRY_AFTER_SECONDS)
        raise _Refused(
            503, ServiceUnavailable.MESSAGE, **{"Retry-After": retry_after}
        ) from exc


async def _body(request: Request) -> bytes:
    """The request's form body, read no further than MAX_BODY_BYTES."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != FORM:
        raise _Refused(415, f"Send the fields as {FORM}, as pusher-js does.")
    declared = request.headers.get("content-length", "")
    too_large = _Refused(413, f"The body is at most {MAX_BODY_BYTES} bytes.")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise too_large
    except ClientDisconnect as exc:  # nobody to answer; nothing to log
        raise _Refused(400, "The request ended before its body did.") from exc
    return bytes(body)


def _form(body: bytes) -> dict[str, str]:
    """The form's fields; each required one exactly once."""
    malformed = _Refused(400, "The body is not a URL-encoded form.")
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except ValueError as exc:  # includes UnicodeDecodeError
        raise malformed from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in REQUIRED and name in fields:
            raise _Refused(400, f"{name} is given more than once.")
        fields[name] = value
    for name in REQUIRED:
        if name not in fields:
            raise _Refused(400, f"{name} is required.")
    return fields
