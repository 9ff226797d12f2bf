"""Every token that is not one Sentichat issued, still valid, is refused everywhere.

Each bad `Authorization` value is tried on the three doors: a GraphQL query
over HTTP (UNAUTHENTICATED), a WebSocket's connection_init (closed 4403) and
`/pusher/auth` (401).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from tests.e2e.hostile.conftest import Hostile
from tests.support.remote import TEST_SECRET
from tests.support.wsclient import GraphQLWebSocket

INVALID = "Invalid or expired token."
USE_BEARER = "Use an `Authorization: Bearer <token>` header."
REQUIRED = "Authentication required."
NOW = datetime.now(UTC)


def claims(**change: Any) -> dict[str, Any]:
    base = {
        "sub": "1",
        "iat": NOW,
        "exp": NOW + timedelta(hours=1),
        "iss": "sentichat",
        "aud": "sentichat",
    }
    base.update(change)
    return {name: value for name, value in base.items() if value is not None}


def signed(key: str = TEST_SECRET, algorithm: str = "HS256", **change: Any) -> str:
    with warnings.catch_warnings():  # PyJWT warns of our key's length for HS512
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims(**change), key, algorithm=algorithm)


def forged(header: dict[str, str], body: dict[str, Any]) -> str:
    """A token with any header, signed HS256 with the server's own secret."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, default=str).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(body)}"
    digest = hmac.new(TEST_SECRET.encode(), signing_input.encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def unsigned() -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(
        json.dumps(claims(iat=NOW.timestamp(), exp=NOW.timestamp() + 3600)).encode()
    ).rstrip(b"=")
    return f"{header.decode()}.{body.decode()}."


def tampered() -> str:
    header, _, signature = signed().split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims(sub="2"), default=str).encode())
    return f"{header}.{body.rstrip(b'=').decode()}.{signature}"


# (name, Authorization value, the message HTTP answers with)
AUTHORIZATIONS: list[tuple[str, str, str]] = [
    (
        "another key",
        f"Bearer {signed(key='another secret, just as long as ours!')}",
        INVALID,
    ),
    ("HS512 with our key", f"Bearer {signed(algorithm='HS512')}", INVALID),
    ("HS384 with our key", f"Bearer {signed(algorithm='HS384')}", INVALID),
    ("alg none", f"Bearer {unsigned()}", INVALID),
    (
        "alg RS256 signed with our key",
        f"Bearer {forged({'alg': 'RS256', 'typ': 'JWT'}, claims(iat=1, exp=4102444800))}",
        INVALID,
    ),
    (
        "no alg",
        f"Bearer {forged({'typ': 'JWT'}, claims(iat=1, exp=4102444800))}",
        INVALID,
    ),
    ("no exp", f"Bearer {signed(exp=None)}", INVALID),
    ("no iat", f"Bearer {signed(iat=None)}", INVALID),
    ("no sub", f"Bearer {signed(sub=None)}", INVALID),
    ("no iss", f"Bearer {signed(iss=None)}", INVALID),
    ("no aud", f"Bearer {signed(aud=None)}", INVALID),
    ("wrong aud", f"Bearer {signed(aud='another-app')}", INVALID),
    ("wrong iss", f"Bearer {signed(iss='someone-else')}", INVALID),
    ("aud a list without ours", f"Bearer {signed(aud=['a', 'b'])}", INVALID),
    ("expired", f"Bearer {signed(exp=NOW - timedelta(seconds=5))}", INVALID),
    ("not yet valid", f"Bearer {signed(nbf=NOW + timedelta(hours=1))}", INVALID),
    (
        "exp a string",
        f"Bearer {forged({'alg': 'HS256', 'typ': 'JWT'}, claims(iat=1, exp='tomorrow'))}",
        INVALID,
    ),
    (
        "exp past year 9999",
        f"Bearer {forged({'alg': 'HS256', 'typ': 'JWT'}, claims(iat=1, exp=10**15))}",
        INVALID,
    ),
    ("sub a name", f"Bearer {signed(sub='alice')}", INVALID),
    ("sub zero", f"Bearer {signed(sub='0')}", INVALID),
    ("sub negative", f"Bearer {signed(sub='-1')}", INVALID),
    ("sub with a leading zero", f"Bearer {signed(sub='01')}", INVALID),
    ("sub past 64 bits", f"Bearer {signed(sub=str(2**63))}", INVALID),
    (
        "sub a number",
        f"Bearer {forged({'alg': 'HS256', 'typ': 'JWT'}, claims(iat=1, exp=4102444800, sub=1))}",
        INVALID,
    ),
    ("payload tampered with", f"Bearer {tampered()}", INVALID),
    ("signature cut off", "Bearer " + signed().rsplit(".", 1)[0], INVALID),
    ("four segments", f"Bearer {signed()}.xyz", INVALID),
    ("garbage", "Bearer not-a-token", INVALID),
    ("base64 garbage", "Bearer eyJhbGciOi.eyJzdWIi.c2ln", INVALID),
    ("the scheme alone", "Bearer", USE_BEARER),
    ("Basic credentials", "Basic YWxpY2U6c2VjcmV0", USE_BEARER),
    ("a token without a scheme", signed(), USE_BEARER),
    ("over 4096 characters", "Bearer " + "a" * 5000, INVALID),
]
IDS = [case[0] for case in AUTHORIZATIONS]
CASES = [case[1:] for case in AUTHORIZATIONS]


@pytest.mark.parametrize(("authorization", "message"), CASES, ids=IDS)
async def test_a_bad_token_is_unauthenticated_over_http(
    hostile: Hostile, request: pytest.FixtureRequest, authorization: str, message: str
) -> None:
    response = await hostile.refused(
        "token",
        f"token over HTTP: {request.node.callspec.id}",
        hostile.http.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": authorization},
        ),
    )
    hostile.counted("GraphQL UNAUTHENTICATED")
    [error] = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "UNAUTHENTICATED",
        message,
    )


@pytest.mark.parametrize(("authorization", "message"), CASES, ids=IDS)
async def test_a_bad_token_cannot_open_a_websocket(
    hostile: Hostile, request: pytest.FixtureRequest, authorization: str, message: str
) -> None:
    async def attempt() -> int | None:
        async with GraphQLWebSocket(hostile.server.ws_url) as ws:
            init = {
                "type": "connection_init",
                "payload": {"authorization": authorization},
            }
            await ws.send(init)
            return await ws.closed_with()

    code = await hostile.refused(
        "token", f"token over WebSocket: {request.node.callspec.id}", attempt()
    )
    hostile.counted("WebSocket close 4403")
    assert code == 4403


@pytest.mark.parametrize(("authorization", "message"), CASES, ids=IDS)
async def test_a_bad_token_gets_no_pusher_signature(
    hostile: Hostile, request: pytest.FixtureRequest, authorization: str, message: str
) -> None:
    response = await hostile.refused(
        "token",
        f"token at /pusher/auth: {request.node.callspec.id}",
        hostile.http.post(
            "/pusher/auth",
            data={"socket_id": "1.2", "channel_name": hostile.channel},
            headers={"Authorization": authorization},
        ),
    )
    hostile.counted("HTTP 401")
    assert (response.status_code, response.json()) == (401, {"error": message})


async def test_no_token_is_told_to_authenticate(hostile: Hostile) -> None:
    response = await hostile.refused(
        "token",
        "token over HTTP: none",
        hostile.http.post("/graphql", json={"query": "{ me { id } }"}),
    )
    hostile.counted("GraphQL UNAUTHENTICATED")
    [error] = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "UNAUTHENTICATED",
        REQUIRED,
    )


async def test_a_valid_token_of_no_account_is_unauthenticated(hostile: Hostile) -> None:
    response = await hostile.refused(
        "token",
        "token over HTTP: no such account",
        hostile.http.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": f"Bearer {signed(sub='987654321')}"},
        ),
    )
    hostile.counted("GraphQL UNAUTHENTICATED")
    [error] = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "UNAUTHENTICATED",
        "This account no longer exists.",
    )


async def test_a_good_token_still_works_after_all_that(hostile: Hostile) -> None:
    response = await hostile.graphql("{ me { id } }", token=hostile.alice.token)
    assert response.json() == {"data": {"me": {"id": hostile.alice.id}}}
