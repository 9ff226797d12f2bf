"""Malformed HTTP requests to /graphql: each a clean 4xx and a sentence, never a 500."""

from __future__ import annotations

import json

import pytest

from tests.e2e.hostile.conftest import Hostile

JSON = {"Content-Type": "application/json"}
ME = '{"query": "{ me { id } }"}'
NOT_AN_OBJECT = (
    'The body is one JSON object, such as {"query": "{ me { id } }"}; '
    "batches are not accepted."
)
NOT_JSON = "The body is not valid UTF-8 JSON."
WRONG_TYPE = "Send the request as application/json."
TOO_LARGE = "The request body is at most 65536 bytes."

# (name, body, headers, status, answer)
BODIES: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("empty array", b"[]", JSON, 400, NOT_AN_OBJECT),
    ("batch of one", f"[{ME}]".encode(), JSON, 400, NOT_AN_OBJECT),
    ("batch of two", f"[{ME}, {ME}]".encode(), JSON, 400, NOT_AN_OBJECT),
    ("string", b'"{ me { id } }"', JSON, 400, NOT_AN_OBJECT),
    ("number", b"42", JSON, 400, NOT_AN_OBJECT),
    ("null", b"null", JSON, 400, NOT_AN_OBJECT),
    ("true", b"true", JSON, 400, NOT_AN_OBJECT),
    ("empty body", b"", JSON, 400, NOT_JSON),
    ("whitespace body", b"  \n ", JSON, 400, NOT_JSON),
    ("truncated object", b'{"query": "{ me', JSON, 400, NOT_JSON),
    ("trailing garbage", ME.encode() + b"}", JSON, 400, NOT_JSON),
    ("single quotes", b"{'query': '{ me { id } }'}", JSON, 400, NOT_JSON),
    ("invalid UTF-8", b'{"query": "{ me { id } }\xff"}', JSON, 400, NOT_JSON),
    ("overlong UTF-8", b'{"query": "\xc0\xaf"}', JSON, 400, NOT_JSON),
    ("UTF-16 body", ME.encode("utf-16"), JSON, 400, NOT_JSON),
    (
        "NUL byte outside strings",
        b'{"query":\x00 "{ me { id } }"}',
        JSON,
        400,
        NOT_JSON,
    ),
    (
        "arrays nested 50,000 deep",
        b'{"query": "{ me { id } }", "variables": {"a": '
        + b"[" * 30_000
        + b"]" * 30_000
        + b"}}",
        JSON,
        400,
        NOT_JSON,
    ),
    (
        "NaN literal",
        b'{"query": "{ me { id } }", "variables": {"a": NaN}}',
        JSON,
        400,
        NOT_JSON,
    ),
    (
        "Infinity literal",
        b'{"query": "{ me { id } }", "variables": {"a": -Infinity}}',
        JSON,
        400,
        NOT_JSON,
    ),
    (
        "query a number",
        b'{"query": 1}',
        JSON,
        400,
        "The GraphQL operation's `query` must be a string or null, if provided.",
    ),
    (
        "query an object",
        b'{"query": {}}',
        JSON,
        400,
        "The GraphQL operation's `query` must be a string or null, if provided.",
    ),
    (
        "variables a string",
        b'{"query": "{ me { id } }", "variables": "{}"}',
        JSON,
        400,
        "The GraphQL operation's `variables` must be an object or null, if provided.",
    ),
    (
        "variables an array",
        b'{"query": "{ me { id } }", "variables": []}',
        JSON,
        400,
        "The GraphQL operation's `variables` must be an object or null, if provided.",
    ),
    (
        "extensions a number",
        b'{"query": "{ me { id } }", "extensions": 1}',
        JSON,
        400,
        "The GraphQL operation's `extensions` must be an object or null, if provided.",
    ),
    (
        "operationName a number",
        b'{"query": "{ me { id } }", "operationName": 1}',
        JSON,
        400,
        "`operationName` is a string or null.",
    ),
    (
        "operationName a list",
        b'{"query": "{ me { id } }", "operationName": ["a"]}',
        JSON,
        400,
        "`operationName` is a string or null.",
    ),
    ("no query", b"{}", JSON, 400, "No GraphQL query found in the request"),
    (
        "query null",
        b'{"query": null}',
        JSON,
        400,
        "No GraphQL query found in the request",
    ),
    ("no content type", ME.encode(), {}, 415, WRONG_TYPE),
    ("text/plain", ME.encode(), {"Content-Type": "text/plain"}, 415, WRONG_TYPE),
    (
        "form",
        b"query=%7Bme%7Bid%7D%7D",
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
        WRONG_TYPE,
    ),
    (
        "multipart",
        b"--x\r\n\r\n--x--",
        {"Content-Type": "multipart/form-data; boundary=x"},
        415,
        WRONG_TYPE,
    ),
    (
        "application/graphql",
        b"{ me { id } }",
        {"Content-Type": "application/graphql"},
        415,
        WRONG_TYPE,
    ),
    (
        "json lookalike type",
        ME.encode(),
        {"Content-Type": "application/json-patch+json"},
        415,
        WRONG_TYPE,
    ),
    (
        "body over 64 KiB",
        json.dumps(
            {"query": "{ me { id } }", "variables": {"a": "x" * 70_000}}
        ).encode(),
        JSON,
        413,
        TOO_LARGE,
    ),
]


@pytest.mark.parametrize(
    ("body", "headers", "status", "answer"),
    [case[1:] for case in BODIES],
    ids=[case[0] for case in BODIES],
)
async def test_a_malformed_body_is_refused_with_a_4xx_and_a_reason(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    body: bytes,
    headers: dict[str, str],
    status: int,
    answer: str,
) -> None:
    response = await hostile.refused(
        "http",
        f"http: {request.node.callspec.id}",
        hostile.http.post("/graphql", content=body, headers=headers),
    )
    hostile.counted(f"HTTP {response.status_code}")
    assert (response.status_code, response.text) == (status, answer)
