"""One real server for the bad-input suite, and the bookkeeping every case shares.

The server runs on PostgreSQL and Redis with Pusher on (against the local
fake), so every surface is exposed: HTTP, graphql-transport-ws and
`/pusher/auth`. Each case goes through `Hostile.refused`, which checks that
the refusal changed no row, and tallies it; when the package is done, the
server's log must hold no traceback and no ERROR line, and the tallies are
recorded with the run's figures.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text

from db.session import create_engine
from tests.support import figures
from tests.support.api import Account
from tests.support.fake_pusher import FakePusher
from tests.support.remote import TEST_SECRET, open_chat, register, unique
from tests.support.server import Server
from tests.support.services import TABLES, fresh_postgres_database, require_redis

T = TypeVar("T")

# Small enough to reach in a test; the default is 200.
MAX_OPERATIONS = 8
FAULT_LINE = re.compile(r"Traceback|\bERROR\b|Exception in ASGI")


@dataclass
class Tally:
    """What the suite tried and how each input was refused."""

    by_area: Counter[str] = field(default_factory=Counter)
    by_refusal: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    rows_written: int = 0
    names: set[str] = field(default_factory=set)


@dataclass
class Hostile:
    server: Server
    http: httpx.AsyncClient
    pusher: FakePusher
    alice: Account
    bob: Account
    carol: Account  # in no chat with alice
    channel: str  # alice and bob's chat, holding one message from alice
    tally: Tally
    database_url: str
    _count_rows: Callable[[], Awaitable[dict[str, int]]]
    message_id: str = ""  # alice's message in their chat

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # json.dumps escapes lone surrogates, which httpx's encoder rejects.
        body = json.dumps({"query": query, "variables": variables or {}})
        return await self.http.post("/graphql", content=body, headers=headers)

    async def refused(self, area: str, name: str, attempt: Awaitable[T]) -> T:
        """Run one bad input; it must change no row. Returns its answer."""
        assert name not in self.tally.names, f"duplicate case {name}"
        before = await self._count_rows()
        answer = await attempt
        written = sum((await self._count_rows()).values()) - sum(before.values())
        self.tally.names.add(name)
        self.tally.by_area[area] += 1
        self.tally.rows_written += written
        if isinstance(answer, httpx.Response) and answer.status_code >= 500:
            self.tally.server_errors += 1
        assert written == 0, f"{name} wrote {written} rows"
        return answer

    def counted(self, refusal: str) -> None:
        self.tally.by_refusal[refusal] += 1

    async def graphql_refusal(
        self,
        area: str,
        name: str,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> list[tuple[str, str]]:
        """`(code, message)` of each error of a refusal: 200, and no data."""
        response = await self.refused(area, name, self.graphql(query, variables, token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body.get("data") is None, body
        errors = [(e["extensions"]["code"], e["message"]) for e in body["errors"]]
        self.counted(f"GraphQL {errors[0][0]}")
        return errors


@asynccontextmanager
async def row_counter(
    database_url: str,
) -> AsyncIterator[Callable[[], Awaitable[dict[str, int]]]]:
    engine = create_engine(database_url)

    async def count() -> dict[str, int]:
        async with engine.connect() as connection:
            return {
                table: int(
                    (
                        await connection.execute(text(f"SELECT count(*) FROM {table}"))
                    ).scalar_one()
                )
                for table in TABLES
            }

    try:
        yield count
    finally:
        await engine.dispose()


@pytest.fixture(scope="package")
async def hostile(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hostile]:
    redis_url = await require_redis()
    log = tmp_path_factory.mktemp("hostile") / "server.log"
    tally = Tally()
    async with fresh_postgres_database() as database_url:
        pusher = await FakePusher().start()
        env = {
            "DATABASE_URL": database_url,
            "BROADCAST_URL": redis_url,
            "BROADCAST_PREFIX": f"hostile-{uuid.uuid4().hex[:8]}:",
            "JWT_SECRET": TEST_SECRET,
            "WS_MAX_OPERATIONS": str(MAX_OPERATIONS),
            **pusher.env(),
        }
        try:
            with Server(env, log) as server:
                async with (
                    httpx.AsyncClient(base_url=server.http_url, timeout=10) as http,
                    row_counter(database_url) as count_rows,
                ):
                    yield await _populate(
                        server, http, pusher, tally, database_url, count_rows
                    )
        finally:
            await pusher.stop()
    _record(tally)
    faults = [line for line in log.read_text().splitlines() if FAULT_LINE.search(line)]
    assert not faults, "\n".join(faults)


async def _populate(
    server: Server,
    http: httpx.AsyncClient,
    pusher: FakePusher,
    tally: Tally,
    database_url: str,
    count_rows: Callable[[], Awaitable[dict[str, int]]],
) -> Hostile:
    alice = await register(server, unique("alice"))
    bob = await register(server, unique("bob"))
    carol = await register(server, unique("carol"))
    channel = await open_chat(server, alice, bob)
    hostile = Hostile(
        server,
        http,
        pusher,
        alice,
        bob,
        carol,
        channel,
        tally,
        database_url,
        count_rows,
    )
    sent = await hostile.graphql(
        'mutation($c: String!) { sendMessage(channel: $c, message: "hi") { seq id } }',
        {"c": channel},
        alice.token,
    )
    assert sent.json()["data"]["sendMessage"]["seq"] == 1
    hostile.message_id = sent.json()["data"]["sendMessage"]["id"]
    return hostile


def _record(tally: Tally) -> None:
    figures.record(
        "bad_inputs",
        inputs_tried=len(tally.names),
        by_area=dict(sorted(tally.by_area.items())),
        refusals_by_kind=dict(sorted(tally.by_refusal.items())),
        server_errors_5xx=tally.server_errors,
        rows_written_by_refused_requests=tally.rows_written,
    )
