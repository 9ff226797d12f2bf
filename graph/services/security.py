"""Passwords (argon2id) and access tokens (JWT, HS256 pinned)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from graph.domain.errors import RateLimited, Unauthenticated
from graph.domain.records import parse_id
from graph.platform.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud"]
MAX_HEADER_CHARS = 4096
BUSY_RETRY_AFTER_SECONDS = 1
VERIFIED_CAPACITY = 16_384  # tokens remembered as verified, ~5 MB at most

T = TypeVar("T")


class Passwords:
    """argon2id hashing on its own threads, a bounded number at a time.

    Hashing is deliberately expensive. `concurrency` threads keep a burst of
    logins from taking every core (and `memory_kib` times the burst in
    memory); at most `queue` more wait for one, and beyond that a login is
    refused at once with RATE_LIMITED instead of waiting without bound. A
    slot is freed when its hash finishes, even if the request that asked for
    it has gone.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._threads = ThreadPoolExecutor(
            settings.password_hash_concurrency, thread_name_prefix="argon2"
        )
        self._capacity = (
            settings.password_hash_concurrency + settings.password_hash_queue
        )
        self.pending = 0
        # Verified against when the user does not exist, so a failed login
        # costs the same either way and does not reveal who is registered.
        self._decoy = self._hasher.hash("decoy password, never matches")

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(self._verify, password_hash or self._decoy, password)

    async def _run(self, function: Callable[..., T], *args: str) -> T:
        if self.pending >= self._capacity:
            raise RateLimited(
                "Too many sign-ins at once; try again in a second.",
                BUSY_RETRY_AFTER_SECONDS,
            )
        loop = asyncio.get_running_loop()
        self.pending += 1
        job: Future[T] = self._threads.submit(function, *args)
        job.add_done_callback(lambda _: _call_soon(loop, self._finished))
        return await asyncio.wrap_future(job)

    def _finished(self) -> None:
        self.pending -= 1

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True, slots=True)
class Bearer:
    """Who a valid token speaks for, and until when."""

    user_id: int
    expires_at: datetime


class Tokens:
    """Signed access tokens; every claim required, the algorithm pinned.

    A token verified once is remembered (up to `VERIFIED_CAPACITY`, the
    oldest forgotten first) until it expires: checking its signature and
    claims on every request was a few percent of a send. Only a token that
    passed every check is remembered, and its expiry is checked on each use.
    """

    def __init__(
        self, settings: Settings, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._clock = clock or _utc_now
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = timedelta(seconds=settings.token_ttl_seconds)
        self._verified: dict[str, Bearer] = {}

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

    def verify(self, token: str) -> Bearer:
        """Who the token was issued to; Unauthenticated otherwise."""
        bearer = self._verified.get(token)
        if bearer is None:
            bearer = self._decode(token)
            if len(self._verified) >= VERIFIED_CAPACITY:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = bearer
        if bearer.expires_at <= self._clock():
            del self._verified[token]
            raise Unauthenticated("Invalid or expired token.")
        return bearer

    def _decode(self, token: str) -> Bearer:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": REQUIRED_CLAIMS},
            )
            expires_at = datetime.fromtimestamp(claims["exp"], UTC)
        except (jwt.PyJWTError, TypeError, ValueError, OverflowError) as exc:
            raise Unauthenticated("Invalid or expired token.") from exc
        return Bearer(_user_id(claims["sub"]), expires_at)

    def verify_header(self, authorization: str | None) -> Bearer:
        """Who an `Authorization: Bearer <token>` value speaks for."""
        if not authorization:
            raise Unauthenticated("Authentication required.")
        if len(authorization) > MAX_HEADER_CHARS:
            raise Unauthenticated("Invalid or expired token.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use an `Authorization: Bearer <token>` header.")
        return self.verify(token.strip())


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    # From a hashing thread; the loop may have closed while it hashed.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def _user_id(subject: object) -> int:
    user_id = parse_id(subject) if isinstance(subject, str) else None
    if user_id is None:
        raise Unauthenticated("Invalid or expired token.")
    return user_id


def _utc_now() -> datetime:
    return datetime.now(UTC)
