"""argon2id hashing: a bounded number at once, a bounded queue, then refusals."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from graph.domain.errors import RateLimited
from graph.platform.settings import Settings
from graph.services.security import Passwords


@pytest.fixture
def passwords() -> Iterator[Passwords]:
    settings = Settings(
        jwt_secret="x" * 40,
        password_hash_concurrency=1,
        password_hash_queue=1,
        argon2_memory_kib=64,
        argon2_time_cost=1,
    )
    hashing = Passwords(settings)
    yield hashing
    hashing.close()


async def test_past_the_threads_and_the_queue_a_login_is_refused_at_once(
    passwords: Passwords,
) -> None:
    release = threading.Event()

    def held(_: str) -> str:
        release.wait(10)
        return "done"

    running = asyncio.ensure_future(passwords._run(held, "a"))  # on the thread
    queued = asyncio.ensure_future(passwords._run(held, "b"))  # waiting for it
    await asyncio.sleep(0)  # let both submit
    with pytest.raises(RateLimited) as refused:
        await passwords._run(held, "c")
    assert refused.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 1}
    release.set()
    assert [await running, await queued] == ["done", "done"]
    assert await passwords.hash("a new password")  # room again


async def test_a_slot_is_freed_when_the_hash_ends_not_when_the_caller_leaves(
    passwords: Passwords,
) -> None:
    release = threading.Event()
    started = threading.Event()

    def held(_: str) -> str:
        started.set()
        release.wait(10)
        return "done"

    caller = asyncio.ensure_future(passwords._run(held, "a"))
    await asyncio.to_thread(started.wait, 10)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert passwords.pending == 1  # the thread still hashes
    release.set()
    while passwords.pending:
        await asyncio.sleep(0.01)


async def test_hashes_are_argon2id_with_the_configured_cost() -> None:
    hashing = Passwords(Settings(jwt_secret="x" * 40))
    try:
        encoded = await hashing.hash("correct horse battery")
    finally:
        hashing.close()
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify(encoded, "correct horse battery")
