"""`/pusher/auth` on a real server: every malformed or foreign request refused.

The status and the sentence are exact; a refusal signs nothing and writes
nothing. (tests/e2e/test_pusher_auth.py covers the same endpoint in-process,
with Pusher's documented keys.)
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.e2e.hostile.conftest import Hostile
from tests.unit.test_pusher_signing import MALFORMED_CHANNEL_NAMES, MALFORMED_SOCKET_IDS

FORM = "application/x-www-form-urlencoded"
SOCKET_ID = "socket_id must be a Pusher socket id such as 1234.5678."
CHANNEL_NAME = "channel_name must be 1 to 164 letters, digits or -_=@,.; characters."
FOREIGN = "You may not subscribe to this channel."


async def auth(
    hostile: Hostile, name: str, content: bytes, content_type: str = FORM
) -> tuple[int, dict[str, str]]:
    response = await hostile.refused(
        "pusher auth",
        f"pusher auth: {name}",
        hostile.http.post(
            "/pusher/auth",
            content=content,
            headers={
                "Authorization": f"Bearer {hostile.alice.token}",
                "Content-Type": content_type,
            },
        ),
    )
    hostile.counted(f"HTTP {response.status_code}")
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


@pytest.mark.parametrize("socket_id", MALFORMED_SOCKET_IDS)
async def test_a_malformed_socket_id_is_400(hostile: Hostile, socket_id: str) -> None:
    body = form(socket_id=socket_id, channel_name=hostile.channel)
    answer = await auth(hostile, f"socket_id {socket_id!r}", body)
    assert answer == (400, {"error": SOCKET_ID})


@pytest.mark.parametrize("channel_name", MALFORMED_CHANNEL_NAMES)
async def test_a_malformed_channel_name_is_400(
    hostile: Hostile, channel_name: str
) -> None:
    body = form(socket_id="1.2", channel_name=channel_name)
    answer = await auth(hostile, f"channel_name {channel_name!r}", body)
    assert answer == (400, {"error": CHANNEL_NAME})


# (name, body, content type, status, error)
BODIES: list[tuple[str, bytes, str, int, str]] = [
    ("no fields", b"", FORM, 400, "socket_id is required."),
    ("no channel_name", b"socket_id=1.2", FORM, 400, "channel_name is required."),
    (
        "socket_id twice",
        b"socket_id=1.2&socket_id=3.4&channel_name=x",
        FORM,
        400,
        "socket_id is given more than once.",
    ),
    (
        "not a form",
        b'{"socket_id": "1.2"}',
        FORM,
        400,
        "The body is not a URL-encoded form.",
    ),
    (
        "not ASCII",
        "socket_id=1.2&channel_name=ch\u00e4t".encode(),
        FORM,
        400,
        "The body is not a URL-encoded form.",
    ),
    (
        "invalid UTF-8 escaped",
        b"socket_id=1.2&channel_name=%ff",
        FORM,
        400,
        "The body is not a URL-encoded form.",
    ),
    (
        "JSON",
        b'{"socket_id": "1.2", "channel_name": "x"}',
        "application/json",
        415,
        "Send the fields as application/x-www-form-urlencoded, as pusher-js does.",
    ),
    (
        "over 4 KiB",
        b"socket_id=1.2&channel_name=" + b"x" * 5000,
        FORM,
        413,
        "The body is at most 4096 bytes.",
    ),
    (
        "over 16 fields",
        b"&".join(b"f%d=1" % n for n in range(20)),
        FORM,
        400,
        "The body is not a URL-encoded form.",
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [case[1:] for case in BODIES],
    ids=[case[0] for case in BODIES],
)
async def test_a_malformed_body_is_refused(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    body: bytes,
    content_type: str,
    status: int,
    error: str,
) -> None:
    answer = await auth(hostile, request.node.callspec.id, body, content_type)
    assert answer == (status, {"error": error})


def foreign_channels(hostile: Hostile) -> dict[str, str]:
    bob, carol = sorted((int(hostile.bob.id), int(hostile.carol.id)))
    alice, other = sorted((int(hostile.alice.id), int(hostile.carol.id)))
    return {
        "someone else's chat": f"private-chat_{bob}_{carol}",
        "a chat not requested": f"private-chat_{alice}_{other}",
        "someone else's notifications": f"private-notification_user_{hostile.bob.id}",
        "a presence channel": f"presence-chat_{alice}_{other}",
        "a public channel": "chat",
        "the tutorial's channel": "private-chat_alice_bob",
        "ids out of order": f"private-chat_{other}_{alice}",
    }


@pytest.mark.parametrize(
    "which",
    [
        "someone else's chat",
        "a chat not requested",
        "someone else's notifications",
        "a presence channel",
        "a public channel",
        "the tutorial's channel",
        "ids out of order",
    ],
)
async def test_a_channel_that_is_not_the_callers_is_403(
    hostile: Hostile, which: str
) -> None:
    channel = foreign_channels(hostile)[which]
    answer = await auth(hostile, which, form(socket_id="1.2", channel_name=channel))
    assert answer == (403, {"error": FOREIGN})


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_another_method_is_405(hostile: Hostile, method: str) -> None:
    response = await hostile.refused(
        "pusher auth",
        f"pusher auth: {method}",
        hostile.http.request(method, "/pusher/auth"),
    )
    hostile.counted("HTTP 405")
    assert (response.status_code, response.json()) == (405, {"error": "Use POST."})
    assert response.headers["allow"] == "POST"
