"""graphql-transport-ws, broken every way a client can break it.

A frame that is not a protocol message, or one out of order, closes the
socket with the protocol's code and a reason (4400, 4401, 4403, 4406, 4408,
4409, 4429, and 1009 or 1007 from the WebSocket layer); a bad operation is
refused on that operation alone and the socket goes on working.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.hostile.conftest import MAX_OPERATIONS, Hostile
from tests.support.remote import TEST_SECRET
from tests.support.wsclient import GraphQLWebSocket

NOT_AN_OBJECT = "A message is a JSON object."
NO_TYPE = "A message has a string `type`."
BAD_ID = "`id` is a string of 1 to 128 characters."
NO_PAYLOAD = "A subscribe message has a `payload` object."
NOT_JSON = "WebSocket message must be valid JSON"
QUERY = "subscription { newChat { channelName } }"


def subscribe(**fields: Any) -> str:
    return json.dumps({"type": "subscribe", **fields})


def payload(**fields: Any) -> str:
    return subscribe(id="1", payload={"query": QUERY, **fields})


# (name, frames sent before connection_init, close code, reason)
BEFORE_INIT: list[tuple[str, list[str | bytes], int, str]] = [
    (
        "a frame of 20,000 characters but 80,000 bytes",
        ['{"type": "ping", "payload": {"a": "' + "\U0001f600" * 20_000 + '"}}'],
        1009,
        "Messages are at most 65536 bytes",
    ),
    ("an array", ["[]"], 4400, NOT_AN_OBJECT),
    ("a string", ['"hello"'], 4400, NOT_AN_OBJECT),
    ("a number", ["42"], 4400, NOT_AN_OBJECT),
    ("null", ["null"], 4400, NOT_AN_OBJECT),
    ("truncated JSON", ['{"type": "connection_init"'], 4400, NOT_JSON),
    ("NaN", ['{"type": "ping", "payload": {"a": NaN}}'], 4400, NOT_JSON),
    ("JSON nested 20,000 deep", ["[" * 20_000 + "]" * 20_000], 4400, NOT_JSON),
    (
        "a binary frame",
        [b'{"type": "connection_init"}'],
        4400,
        "WebSocket message type must be text",
    ),
    ("no type", ["{}"], 4400, NO_TYPE),
    ("a numeric type", ['{"type": 5}'], 4400, NO_TYPE),
    ("a null type", ['{"type": null}'], 4400, NO_TYPE),
    ("an unknown type", ['{"type": "hello"}'], 4400, "Unknown message type: hello"),
    (
        "the server's connection_ack",
        ['{"type": "connection_ack"}'],
        4400,
        "Unknown message type: connection_ack",
    ),
    (
        "the server's next",
        ['{"type": "next", "id": "1", "payload": {}}'],
        4400,
        "Unknown message type: next",
    ),
    (
        "the server's error",
        ['{"type": "error", "id": "1", "payload": []}'],
        4400,
        "Unknown message type: error",
    ),
    ("subscribe before init", [payload()], 4401, "Unauthorized"),
    (
        "an init payload that is a list",
        ['{"type": "connection_init", "payload": []}'],
        4400,
        "Invalid connection init payload",
    ),
    (
        "an init payload that is a string",
        ['{"type": "connection_init", "payload": "x"}'],
        4400,
        "Invalid connection init payload",
    ),
    ("init without a payload", ['{"type": "connection_init"}'], 4403, "Forbidden"),
    (
        "init without authorization",
        ['{"type": "connection_init", "payload": {}}'],
        4403,
        "Forbidden",
    ),
    (
        "init with a numeric authorization",
        ['{"type": "connection_init", "payload": {"authorization": 5}}'],
        4403,
        "Forbidden",
    ),
    (
        "init with a garbage token",
        ['{"type": "connection_init", "payload": {"authorization": "Bearer x.y.z"}}'],
        4403,
        "Forbidden",
    ),
    (
        "init with a Basic authorization",
        ['{"type": "connection_init", "payload": {"authorization": "Basic YTpi"}}'],
        4403,
        "Forbidden",
    ),
    (
        "a frame over 64 KiB",
        ['{"type": "ping", "payload": {"a": "' + "x" * 70_000 + '"}}'],
        1009,
        "Messages are at most 65536 bytes",
    ),
]

LONG_STRING = '"' + "a" * 200 + '"'
LONG_NAME = "N" * 150


def close_reason(message: str) -> str:
    """`message` cut to what a close frame holds (123 bytes)."""
    return message.encode()[:123].decode(errors="ignore")


# (name, frames sent after a successful connection_init, close code, reason)
AFTER_INIT: list[tuple[str, list[str | bytes], int, str]] = [
    (
        "a syntax error longer than a close frame",
        [subscribe(id="1", payload={"query": f"subscription {{ {LONG_STRING} }}"})],
        4400,
        close_reason(f"Syntax Error: Expected Name, found String '{'a' * 200}'."),
    ),
    (
        "an operationName longer than a close frame",
        [payload(operationName=LONG_NAME)],
        4400,
        close_reason(f'Unknown operation named "{LONG_NAME}".'),
    ),
    (
        "a second connection_init",
        ['{"type": "connection_init", "payload": {}}'],
        4429,
        "Too many initialisation requests",
    ),
    ("subscribe without an id", [subscribe(payload={"query": QUERY})], 4400, BAD_ID),
    ("a numeric id", [subscribe(id=1, payload={"query": QUERY})], 4400, BAD_ID),
    ("a list id", [subscribe(id=[1], payload={"query": QUERY})], 4400, BAD_ID),
    ("an empty id", [subscribe(id="", payload={"query": QUERY})], 4400, BAD_ID),
    (
        "an id of 129 characters",
        [subscribe(id="x" * 129, payload={"query": QUERY})],
        4400,
        BAD_ID,
    ),
    ("complete with a numeric id", ['{"type": "complete", "id": 7}'], 4400, BAD_ID),
    ("subscribe without a payload", [subscribe(id="1")], 4400, NO_PAYLOAD),
    ("a string payload", [subscribe(id="1", payload=QUERY)], 4400, NO_PAYLOAD),
    ("a list payload", [subscribe(id="1", payload=[QUERY])], 4400, NO_PAYLOAD),
    ("no query", [subscribe(id="1", payload={})], 4400, "`payload.query` is a string."),
    (
        "a numeric query",
        [subscribe(id="1", payload={"query": 1})],
        4400,
        "`payload.query` is a string.",
    ),
    (
        "list variables",
        [payload(variables=[1])],
        4400,
        "`payload.variables` is an object.",
    ),
    (
        "a numeric operationName",
        [payload(operationName=1)],
        4400,
        "`payload.operationName` is a string.",
    ),
    (
        "string extensions",
        [payload(extensions="x")],
        4400,
        "`payload.extensions` is an object.",
    ),
    (
        "a duplicate operation id",
        [payload(), payload()],
        4409,
        "Subscriber for 1 already exists",
    ),
    (
        "a syntax error",
        [subscribe(id="1", payload={"query": "subscription {"})],
        4400,
        "Syntax Error: Expected Name, found <EOF>.",
    ),
    (
        "a syntax error quoting a lone surrogate",
        [
            subscribe(
                id="1", payload={"query": 'subscription { x(a: "\\u\uda730082") }'}
            )
        ],
        4400,
        "Syntax Error: Invalid Unicode escape sequence: '\\u?008'.",
    ),
    (
        "over 1000 tokens",
        [
            subscribe(
                id="1",
                payload={
                    "query": "subscription { newChat "
                    + "@skip(if: false) " * 400
                    + "{ channelName } }"
                },
            )
        ],
        4400,
        "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.",
    ),
    (
        "an unknown operationName",
        [payload(operationName="Nope")],
        4400,
        'Unknown operation named "Nope".',
    ),
]


async def closing(
    ws: GraphQLWebSocket, timeout: float = 10.0
) -> tuple[int | None, str]:
    """The code and reason the server closes with; frames before it are skipped."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.socket.recv()
    except ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")


@asynccontextmanager
async def signed_in(hostile: Hostile) -> AsyncIterator[GraphQLWebSocket]:
    async with GraphQLWebSocket(hostile.server.ws_url) as ws:
        await ws.init(hostile.alice.token)
        yield ws


async def still_open(ws: GraphQLWebSocket) -> None:
    """The socket answers a ping: the refusal did not cost the connection."""
    await ws.send({"type": "ping"})
    while (message := await ws.receive())["type"] != "pong":
        assert message["type"] in {"next", "complete", "ping"}, message


async def run_frames(
    hostile: Hostile, name: str, frames: list[str | bytes], *, init: bool
) -> tuple[int | None, str]:
    async def attempt() -> tuple[int | None, str]:
        async with GraphQLWebSocket(hostile.server.ws_url) as ws:
            if init:
                await ws.init(hostile.alice.token)
            for frame in frames:
                await ws.socket.send(frame)
            return await closing(ws)

    closed = await hostile.refused("websocket", f"websocket: {name}", attempt())
    hostile.counted(f"WebSocket close {closed[0]}")
    return closed


FRAMES = [(False, *case[1:]) for case in BEFORE_INIT] + [
    (True, *case[1:]) for case in AFTER_INIT
]
FRAME_IDS = [f"before init: {case[0]}" for case in BEFORE_INIT] + [
    f"after init: {case[0]}" for case in AFTER_INIT
]


@pytest.mark.parametrize(("init", "frames", "code", "reason"), FRAMES, ids=FRAME_IDS)
async def test_a_bad_frame_closes_the_socket_with_the_protocol_code(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    init: bool,
    frames: list[str | bytes],
    code: int,
    reason: str,
) -> None:
    name = request.node.callspec.id
    assert await run_frames(hostile, name, frames, init=init) == (code, reason)


async def test_invalid_utf8_in_a_text_frame_closes_with_1007(hostile: Hostile) -> None:
    async def attempt() -> tuple[int | None, str]:
        async with GraphQLWebSocket(hostile.server.ws_url) as ws:
            await ws.socket.send(b'{"type": "ping\xff"}', text=True)
            return await closing(ws)

    closed = await hostile.refused("websocket", "websocket: invalid UTF-8", attempt())
    hostile.counted("WebSocket close 1007")
    assert closed[0] == 1007


async def test_no_connection_init_closes_with_4408(hostile: Hostile) -> None:
    async def attempt() -> tuple[int | None, str]:
        async with GraphQLWebSocket(hostile.server.ws_url) as ws:
            return await closing(ws, timeout=15)

    closed = await hostile.refused("websocket", "websocket: no init", attempt())
    hostile.counted("WebSocket close 4408")
    assert closed == (4408, "Connection initialisation timeout")


@pytest.mark.parametrize("subprotocol", ["graphql-ws", "graphql"])
async def test_another_subprotocol_is_closed_with_4406(
    hostile: Hostile, subprotocol: str
) -> None:
    async def attempt() -> tuple[int | None, str]:
        async with GraphQLWebSocket(
            hostile.server.ws_url, subprotocol=subprotocol
        ) as ws:
            return await closing(ws)

    closed = await hostile.refused(
        "websocket", f"websocket: subprotocol {subprotocol}", attempt()
    )
    hostile.counted("WebSocket close 4406")
    assert closed == (4406, "Subprotocol not acceptable")


async def test_a_page_from_another_origin_cannot_open_the_socket(
    hostile: Hostile,
) -> None:
    async def attempt() -> int:
        with pytest.raises(InvalidStatus) as refused:
            await GraphQLWebSocket(
                hostile.server.ws_url, origin="https://evil.example"
            ).open()
        return refused.value.response.status_code

    status = await hostile.refused("websocket", "websocket: foreign origin", attempt())
    hostile.counted("WebSocket handshake 403")
    assert status == 403


async def test_a_page_from_its_own_origin_opens_the_socket(hostile: Hostile) -> None:
    origin = hostile.server.http_url
    async with GraphQLWebSocket(hostile.server.ws_url, origin=origin) as ws:
        await ws.init(hostile.alice.token)
        await still_open(ws)


def token(**claims: Any) -> str:
    now = datetime.now(UTC)
    base = {"sub": "1", "iat": now, "exp": now + timedelta(hours=1)}
    base |= {"iss": "sentichat", "aud": "sentichat"}
    return jwt.encode(base | claims, TEST_SECRET, algorithm="HS256")


async def test_the_socket_is_closed_with_4403_when_its_token_expires(
    hostile: Hostile,
) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=2)
    async with GraphQLWebSocket(hostile.server.ws_url) as ws:
        await ws.init(token(sub=hostile.alice.id, exp=expires))
        await ws.subscribe("chats", QUERY)
        await still_open(ws)
        closed = await closing(ws, timeout=10)
    hostile.counted("WebSocket close 4403 at token expiry")
    assert closed == (4403, "Token expired")


async def test_an_expired_token_cannot_sign_in(hostile: Hostile) -> None:
    expired = token(sub=hostile.alice.id, exp=datetime.now(UTC) - timedelta(seconds=1))
    init = {
        "type": "connection_init",
        "payload": {"authorization": f"Bearer {expired}"},
    }
    closed = await run_frames(hostile, "expired token", [json.dumps(init)], init=False)
    assert closed == (4403, "Forbidden")


def other_chat(hostile: Hostile) -> str:
    """Bob and Carol's channel: Alice is not a member."""
    low, high = sorted((int(hostile.bob.id), int(hostile.carol.id)))
    return f"private-chat_{low}_{high}"


async def operation_answers(
    hostile: Hostile, name: str, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """What the server answers one refused operation; the socket stays usable."""

    async def attempt() -> list[dict[str, Any]]:
        async with signed_in(hostile) as ws:
            await ws.subscribe("op", query, variables)
            answers = [await ws.receive()]
            if answers[0]["type"] == "next":
                answers.append(await ws.receive())
            await still_open(ws)
            return answers

    answers = await hostile.refused("websocket", f"operation: {name}", attempt())
    hostile.counted(f"WebSocket {answers[0]['type']} with an error")
    return answers


def refused_next(code: str, message: str, **extensions: str) -> list[dict[str, Any]]:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return [
        {"id": "op", "type": "next", "payload": {"data": None, "errors": [error]}},
        {"id": "op", "type": "complete"},
    ]


def without_locations(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for answer in answers:
        for error in answer.get("payload", []):
            error.pop("locations", None)
    return answers


def refused_error(message: str, **extensions: Any) -> list[dict[str, Any]]:
    error = {"message": message, "extensions": {"code": "BAD_USER_INPUT", **extensions}}
    return [{"id": "op", "type": "error", "payload": [error]}]


NEW_MESSAGE = """
subscription($c: String!, $a: Int) { newMessage(channel: $c, afterSeq: $a) { seq } }
"""

# (name, query, variables, code, message, field); "{other}" is Bob and Carol's
# chat, "{own}" Alice and Bob's, "{unopened}" Alice and Carol's (not requested).
OPERATIONS: list[tuple[str, str, dict[str, Any], str, str, str | None]] = [
    (
        "non-member newMessage",
        NEW_MESSAGE,
        {"c": "{other}"},
        "FORBIDDEN",
        "You are not a member of this chat.",
        None,
    ),
    (
        "malformed channel",
        NEW_MESSAGE,
        {"c": "private-chat_x"},
        "BAD_USER_INPUT",
        "Not a chat channel name: expected private-chat_<lower id>_<higher id>.",
        "channel",
    ),
    (
        "negative afterSeq",
        NEW_MESSAGE,
        {"c": "{own}", "a": -1},
        "BAD_USER_INPUT",
        "`afterSeq` is a seq, 0 or more.",
        "afterSeq",
    ),
    (
        "afterSeq past the newest",
        NEW_MESSAGE,
        {"c": "{own}", "a": 100_000},
        "BAD_USER_INPUT",
        "afterSeq 100000 is past the newest message ({head}).",
        "afterSeq",
    ),
    (
        "a chat that does not exist",
        NEW_MESSAGE,
        {"c": "{unopened}"},
        "NOT_FOUND",
        "This chat does not exist yet: request it first.",
        None,
    ),
]


def channel_for(hostile: Hostile, which: str) -> str:
    if which == "{own}":
        return hostile.channel
    if which == "{other}":
        return other_chat(hostile)
    if which == "{unopened}":
        low, high = sorted((int(hostile.alice.id), int(hostile.carol.id)))
        return f"private-chat_{low}_{high}"
    return which


@pytest.mark.parametrize(
    ("query", "variables", "code", "message", "field"),
    [case[1:] for case in OPERATIONS],
    ids=[case[0] for case in OPERATIONS],
)
async def test_a_refused_subscription_ends_alone_and_the_socket_stays(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    query: str,
    variables: dict[str, Any],
    code: str,
    message: str,
    field: str | None,
) -> None:
    variables = {**variables, "c": channel_for(hostile, variables["c"])}
    answers = await operation_answers(
        hostile, request.node.callspec.id, query, variables
    )
    extra = {"field": field} if field else {}
    if "{head}" in message:
        message = message.format(head=await head_of(hostile, hostile.channel))
    assert answers == refused_next(code, message, **extra)


async def head_of(hostile: Hostile, channel: str) -> int:
    history = await hostile.graphql(
        "query($c: String!) { messages(channel: $c, last: 1) { seq } }",
        {"c": channel},
        hostile.alice.token,
    )
    seq: int = history.json()["data"]["messages"][0]["seq"]
    return seq


# (name, document, message): refused before the operation runs, with `error`
INVALID_OPERATIONS: list[tuple[str, str, str]] = [
    (
        "an unknown field",
        "subscription { newChats { channelName } }",
        "Cannot query field 'newChats' on type 'Subscription'. Did you mean 'newChat'?",
    ),
    (
        "two root fields",
        "subscription { newChat { channelName } other: newChat { channelName } }",
        "Anonymous Subscription must select only one top level field.",
    ),
    (
        "16 aliases",
        "subscription { newChat { "
        + " ".join(f"a{i}: channelName" for i in range(16))
        + " } }",
        "The operation uses 16 aliases; at most 15 are allowed.",
    ),
]


@pytest.mark.parametrize(
    ("query", "message"),
    [case[1:] for case in INVALID_OPERATIONS],
    ids=[case[0] for case in INVALID_OPERATIONS],
)
async def test_an_invalid_operation_gets_an_error_and_the_socket_stays(
    hostile: Hostile, request: pytest.FixtureRequest, query: str, message: str
) -> None:
    answers = await operation_answers(hostile, request.node.callspec.id, query)
    assert without_locations(answers) == refused_error(message)


async def test_one_operation_past_the_limit_is_refused_and_the_rest_go_on(
    hostile: Hostile,
) -> None:
    async def attempt() -> list[dict[str, Any]]:
        async with signed_in(hostile) as ws:
            for number in range(MAX_OPERATIONS):
                await ws.subscribe(f"live{number}", QUERY)
            await ws.subscribe("op", QUERY)
            answers = [await ws.receive()]
            await ws.send({"type": "complete", "id": "live0"})
            await ws.subscribe("op", QUERY)  # room again: accepted
            await still_open(ws)
            return answers

    answers = await hostile.refused("websocket", "operation: over the limit", attempt())
    hostile.counted("WebSocket error with an error")
    assert answers == refused_error(
        f"At most {MAX_OPERATIONS} operations run at once on one connection; "
        "complete one first.",
        limit=MAX_OPERATIONS,
    )


async def test_what_the_protocol_says_to_ignore_is_ignored(hostile: Hostile) -> None:
    async with signed_in(hostile) as ws:
        await ws.send({"type": "complete", "id": "never-subscribed"})
        await ws.send({"type": "pong"})
        await ws.send({"type": "pong", "payload": {"any": "thing"}})
        await still_open(ws)
