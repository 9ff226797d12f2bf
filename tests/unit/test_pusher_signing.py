"""Pusher signatures, as the `pusher` package makes them for Sentichat.

Checked against the worked examples in Pusher's documentation: the private
channel signature directly, the REST request's through the fake Pusher's
checker, which is written from the documentation and itself checked against
the REST worked example (tests/unit/test_fake_pusher.py).
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qsl

import httpx
import orjson
import pytest

from graph.realtime.pusher import (
    PusherClient,
    PusherConfig,
    PusherEvent,
    is_channel_name,
    is_socket_id,
)
from tests.support.fake_pusher import Credentials, signature_problem

# The credentials of both worked examples in Pusher's documentation.
DOCS_KEY = "278d425bdf160c739803"
DOCS_SECRET = "7ad3773142a6692b25b8"
DOCS_BODY = b'{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'

MALFORMED_SOCKET_IDS = [
    "",
    "1234",
    "1234.",
    ".1234",
    "1.2.3",
    "a.b",
    "-1.2",
    "1.2\n",
    " 1.2",
    "١٢.٣٤",  # Arabic-Indic digits are digits, but not Pusher's
    "1" * 21 + ".1",
    "1.2:private-chat_1_2",
]
MALFORMED_CHANNEL_NAMES = [
    "",
    "x" * 165,
    "private chat",
    "private-chät",
    "private-chat_1_2\n",
    "private-chat_1_2\x00",
    "#server-to-user-1",
    "private-chat/1_2",
]


def docs_client(transport: httpx.AsyncBaseTransport | None = None) -> PusherClient:
    config = PusherConfig(
        app_id="3",
        key=DOCS_KEY,
        secret=DOCS_SECRET,
        host="pusher.test",
        port=80,
        ssl=False,
        timeout=5.0,
    )
    return PusherClient(config, transport=transport)


async def test_channel_auth_matches_pushers_worked_example() -> None:
    # "Generating authentication and authorization strings", worked example.
    client = docs_client()
    auth = client.authorize_subscription("1234.1234", "private-foobar")
    await client.aclose()

    assert auth == (
        "278d425bdf160c739803:"
        "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    )


async def test_a_batch_trigger_is_signed_as_pusher_documents() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    client = docs_client(httpx.MockTransport(answer))
    event = PusherEvent("private-chat_1_2", "new_message", '{"seq":1}')
    outcome = await client.trigger_batch([event])
    await client.aclose()

    assert outcome.ok
    [request] = sent
    assert (request.method, request.url.path) == ("POST", "/apps/3/batch_events")
    query = dict(parse_qsl(request.url.query.decode()))
    assert query["auth_key"] == DOCS_KEY
    assert query["auth_version"] == "1.0"
    assert query["body_md5"] == hashlib.md5(request.content).hexdigest()
    assert orjson.loads(request.content) == {
        "batch": [
            {"channel": "private-chat_1_2", "name": "new_message", "data": '{"seq":1}'}
        ]
    }
    credentials = Credentials(app_id="3", key=DOCS_KEY, secret=DOCS_SECRET)
    problem = signature_problem(
        credentials,
        "POST",
        request.url.path,
        request.url.query.decode(),
        request.content,
        time.time(),
    )
    assert problem is None


@pytest.mark.parametrize("socket_id", ["1234.1234", "0.0", "123456789.987654321"])
def test_pusher_socket_ids_are_accepted(socket_id: str) -> None:
    assert is_socket_id(socket_id)


@pytest.mark.parametrize("socket_id", MALFORMED_SOCKET_IDS)
def test_anything_else_is_not_a_socket_id(socket_id: str) -> None:
    assert not is_socket_id(socket_id)


@pytest.mark.parametrize(
    "name",
    ["private-chat_1_2", "presence-x", "a", "-_=@,.;", "x" * 164],
)
def test_pusher_channel_names_are_accepted(name: str) -> None:
    assert is_channel_name(name)


@pytest.mark.parametrize("name", MALFORMED_CHANNEL_NAMES)
def test_anything_else_is_not_a_channel_name(name: str) -> None:
    assert not is_channel_name(name)
