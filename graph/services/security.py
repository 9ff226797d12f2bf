"""Passwords (argon2id) and access tokens (JWT, HS256 pinned)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from graph.errors import Unauthenticated
from graph.records import parse_id
from graph.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud"]
MAX_HEADER_CHARS = 4096


class Passwords:
    """argon2id hashing in worker threads, a bounded number at a time.

    Hashing is deliberately expensive; the semaphore keeps a burst of logins
    from taking every core and `memory_kib` times the burst in memory.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._slots = asyncio.Semaphore(settings.password_hash_concurrency)
        # Verified against when the user does not exist, so a failed login
        # costs the same either way and does not reveal who is registered.
        self._decoy = self._hasher.hash("decoy password, never matches")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(
                self._verify, password_hash or self._decoy, password
            )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


class Tokens:
    """Signed access tokens; every claim required, the algorithm pinned."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = timedelta(seconds=settings.token_ttl_seconds)

    def issue(self, user_id: int, *, now: datetime | None = None) -> str:
        issued_at = now or datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "iat": issued_at,
            "exp": issued_at + self._ttl,
            "iss": self._issuer,
            "aud": self._audience,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> int:
        """The user id the token was issued to; Unauthenticated otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": REQUIRED_CLAIMS},
            )
            return _user_id(claims["sub"])
        except jwt.PyJWTError as exc:
            raise Unauthenticated("Invalid or expired token.") from exc

    def verify_header(self, authorization: str | None) -> int:
        """The user id of an `Authorization: Bearer <token>` value."""
        if not authorization:
            raise Unauthenticated("Authentication required.")
        if len(authorization) > MAX_HEADER_CHARS:
            raise Unauthenticated("Invalid or expired token.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use an `Authorization: Bearer <token>` header.")
        return self.verify(token.strip())


def _user_id(subject: object) -> int:
    user_id = parse_id(subject) if isinstance(subject, str) else None
    if user_id is None:
        raise Unauthenticated("Invalid or expired token.")
    return user_id
