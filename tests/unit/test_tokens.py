from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from graph.domain.errors import Unauthenticated
from graph.platform.settings import Settings
from graph.services.security import Tokens

SECRET = "unit-test-secret-" + "s" * 60
SETTINGS = Settings(jwt_secret=SECRET, token_ttl_seconds=60)


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "42",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": "sentichat",
        "aud": "sentichat",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def test_an_issued_token_verifies_to_its_user() -> None:
    tokens = Tokens(SETTINGS)

    assert tokens.verify(tokens.issue(42)).user_id == 42


def test_a_bearer_header_verifies() -> None:
    tokens = Tokens(SETTINGS)

    assert tokens.verify_header(f"Bearer {tokens.issue(7)}").user_id == 7


def test_an_expired_token_is_refused() -> None:
    tokens = Tokens(SETTINGS)
    token = tokens.issue(42, now=datetime.now(UTC) - timedelta(minutes=2))

    with pytest.raises(Unauthenticated):
        tokens.verify(token)


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(), "another secret entirely, " + "k" * 40, algorithm="HS256"),
        jwt.encode(claims(aud="someone-else"), SECRET, algorithm="HS256"),
        jwt.encode(claims(iss="someone-else"), SECRET, algorithm="HS256"),
        jwt.encode(claims(exp=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(iat=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub="not-a-number"), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub="\u0664\u0662"), SECRET, algorithm="HS256"),
        jwt.encode(claims(), SECRET, algorithm="HS512"),
        jwt.encode(claims(), "", algorithm="none"),
    ],
    ids=[
        "other-key",
        "aud",
        "iss",
        "no-exp",
        "no-iat",
        "no-sub",
        "sub-text",
        "sub-arabic-digits",
        "other-alg",
        "alg-none",
    ],
)
def test_a_token_that_breaks_a_rule_is_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        Tokens(SETTINGS).verify(token)


@pytest.mark.parametrize(
    "header",
    ["", "Basic abc", "Bearer", "Bearer    ", "token-only", "Bearer " + "a" * 5000],
)
def test_a_malformed_authorization_header_is_refused(header: str) -> None:
    with pytest.raises(Unauthenticated):
        Tokens(SETTINGS).verify_header(header)


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    now = [datetime.now(UTC)]
    tokens = Tokens(SETTINGS, clock=lambda: now[0])
    token = tokens.issue(42)
    assert tokens.verify(token).user_id == 42  # verified, then remembered

    now[0] += timedelta(seconds=61)  # past the 60 s lifetime

    with pytest.raises(Unauthenticated):
        tokens.verify(token)


def test_a_refused_token_is_refused_again() -> None:
    tokens = Tokens(SETTINGS)
    forged = jwt.encode(claims(), "another secret entirely, " + "k" * 40)

    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.verify(forged)


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("graph.services.security.VERIFIED_CAPACITY", 3)
    tokens = Tokens(SETTINGS)
    issued = [tokens.issue(user_id) for user_id in range(1, 6)]

    verified = [tokens.verify(token).user_id for token in issued * 2]

    assert verified == [1, 2, 3, 4, 5] * 2
    assert len(tokens._verified) == 3
