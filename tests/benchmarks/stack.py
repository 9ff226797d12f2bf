"""The systems under test: a seeded database, two Sentichat processes and two
baseline processes, all under the same uvicorn settings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil
from sqlalchemy.engine import make_url

from db.migrations import upgrade_to_head
from graph.domain.sentiment import Scores, analyze, reasons_to_json
from graph.platform.settings import Settings
from graph.realtime.channels import chat_channel
from graph.services.security import Tokens
from tests.benchmarks import protocol
from tests.benchmarks.protocol import Account
from tests.support.server import Server

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE = "sentichat_bench"
JWT_SECRET = "bench-secret-of-at-least-32-bytes-0123456789"
PROCESSES = 2

# Both systems run under exactly these; WebSocket compression off, as in `make run`.
UVICORN_ARGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "websockets-sansio",
    "--ws-per-message-deflate",
    "false",
    "--ws-max-size",
    "1048576",
    "--no-access-log",
    "--log-level",
    "warning",
)


def sentichat_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "BROADCAST_URL": REDIS_URL,
        "BROADCAST_PREFIX": "bench-sentichat:",
        "JWT_SECRET": JWT_SECRET,
        "PRODUCTION": "true",
        "LOG_LEVEL": "WARNING",
        "APPLY_MIGRATIONS": "false",
    }


@dataclass(frozen=True)
class Seed:
    users: int  # users 1..n; chats pair 2k-1 with 2k
    history_chats: int  # the first chats hold `history_messages` between them
    history_messages: int

    @property
    def chats(self) -> int:
        return self.users // 2


@dataclass
class Stack:
    seed: Seed
    database_url: str
    dsn: str  # the same database, for asyncpg
    accounts: list[Account]
    servers: dict[str, list[Server]] = field(default_factory=dict)

    def addresses(self, system: str) -> tuple[tuple[str, int], ...]:
        return tuple(("127.0.0.1", server.port) for server in self.servers[system])

    def processes(self, system: str) -> list[psutil.Process]:
        return [psutil.Process(server.pid) for server in self.servers[system]]

    def chat_members(self, chats: int) -> tuple[Account, ...]:
        """Both members of each of the first `chats` chats."""
        return tuple(self.accounts[: 2 * chats])

    def stored_messages(self, client_id_prefix: str) -> int:
        """Messages in the database whose clientId starts with the prefix."""

        async def count() -> int:
            connection = await asyncpg.connect(self.dsn)
            try:
                query = "SELECT count(*) FROM message WHERE client_id LIKE $1"
                return int(await connection.fetchval(query, f"{client_id_prefix}%"))
            finally:
                await connection.close()

        return asyncio.run(count())

    def sentichat_counter(self, name: str) -> float:
        """A metric summed over the Sentichat processes."""
        return sum(self.sentichat_metrics(name))

    def sentichat_metrics(self, name: str) -> list[float]:
        """A metric (name with its labels, as exposed) of each Sentichat process."""
        values = []
        for server in self.servers[protocol.SENTICHAT]:
            text = httpx.get(f"{server.http_url}/metrics", timeout=10).text
            for line in text.splitlines():
                metric, _, value = line.partition(" ")
                if metric == name:
                    values.append(float(value))
        return values


async def _reset_database(seed: Seed) -> str:
    admin = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=DATABASE)
    rendered = url.render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_head, rendered)
    await _load(
        make_url(ADMIN_URL)
        .set(database=DATABASE)
        .render_as_string(hide_password=False),
        seed,
    )
    return rendered


async def _load(dsn: str, seed: Seed) -> None:
    now = datetime.now(UTC)
    scores = [analyze(text) for text in protocol.PHRASES]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "user_account",
            columns=["id", "username", "username_key", "password_hash", "created_at"],
            records=[
                (i, f"user{i:05d}", f"user{i:05d}", "!", now)
                for i in range(1, seed.users + 1)
            ],
        )
        per_chat = seed.history_messages // max(seed.history_chats, 1)
        chats = []
        for k in range(1, seed.chats + 1):
            last_seq = per_chat if k <= seed.history_chats else 0
            chats.append((k, 2 * k - 1, 2 * k, 2 * k - 1, last_seq, now))
        await connection.copy_records_to_table(
            "chat",
            columns=[
                "id",
                "user_low_id",
                "user_high_id",
                "requested_by_id",
                "last_seq",
                "created_at",
            ],
            records=chats,
        )
        rng = random.Random(7)
        messages: list[tuple[object, ...]] = []
        for k in range(1, seed.history_chats + 1):
            for seq in range(1, per_chat + 1):
                phrase = rng.randrange(len(protocol.PHRASES))
                sender = 2 * k - 1 + seq % 2
                recipient = 4 * k - 1 - sender
                messages.append(
                    (
                        len(messages) + 1,
                        k,
                        seq,
                        sender,
                        recipient,
                        protocol.PHRASES[phrase],
                        None,
                        *_sentiment_columns(scores[phrase]),
                        now,
                    )
                )
        await connection.copy_records_to_table(
            "message",
            columns=[
                "id",
                "chat_id",
                "seq",
                "sender_id",
                "recipient_id",
                "body",
                "client_id",
                *SENTIMENT_COLUMNS,
                "created_at",
            ],
            records=messages,
        )
        for table in ("user_account", "chat", "message"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


# The message table's sentiment columns, as the seed writes them.
SENTIMENT_COLUMNS = (
    "polarity",
    "subjectivity",
    "label",
    "score",
    "confidence",
    "reasons",
    "analyzer",
)


def _sentiment_columns(scores: Scores) -> tuple[object, ...]:
    return (
        scores.polarity,
        scores.subjectivity,
        scores.label.value,
        scores.score,
        scores.confidence,
        reasons_to_json(scores.reasons),
        scores.analyzer,
    )


def _accounts(seed: Seed) -> list[Account]:
    tokens = Tokens(
        Settings.model_construct(
            jwt_secret=JWT_SECRET,
            token_ttl_seconds=24 * 3600,
            jwt_issuer="sentichat",
            jwt_audience="sentichat",
        )
    )
    return [
        Account(i, tokens.issue(i), chat_channel(i, i + 1 if i % 2 else i - 1))
        for i in range(1, seed.users + 1)
    ]


@contextlib.contextmanager
def running_stack(seed: Seed, logs: Path) -> Iterator[Stack]:
    """The seeded database and every server process, stopped on exit."""
    database_url = asyncio.run(_reset_database(seed))
    dsn = (
        make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    )
    stack = Stack(seed, database_url, dsn, _accounts(seed))
    plans = {
        protocol.SENTICHAT: ("graph.app:app", sentichat_env(database_url)),
        protocol.BASELINE: (
            "tests.benchmarks.baseline:app",
            {"BENCH_DSN": dsn, "BENCH_REDIS": REDIS_URL},
        ),
    }
    with contextlib.ExitStack() as stop:
        for system, (app, env) in plans.items():
            stack.servers[system] = []
            for n in range(PROCESSES):
                server = Server(env, logs / f"{system}-{n}.log", UVICORN_ARGS, app=app)
                stop.enter_context(server)
                stack.servers[system].append(server)
        yield stack
