"""The systems under test: a seeded database, two Sentichat processes and two
baseline processes (and Sentichat processes more for a scenario that asks).
Sentichat runs as it is run, `python -m graph`; the baseline under the same
uvicorn settings as that entry point chooses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy.engine import make_url

from db.migrations import upgrade_to_head
from db.models import MOOD_BLOCK
from graph.domain.mood import DECAY, FAST_DECAY
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

# The baseline runs under these: `python -m graph`'s choices (graph/__main__.py).
UVICORN_ARGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "wsproto",
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
    # One more user with this many chats, each with a user of its own (the
    # ids after `users`), holding `inbox_messages` between them.
    inbox_chats: int = 0
    inbox_messages: int = 0
    # Then two more users with one chat of this many messages (`mood_chat`).
    mood_messages: int = 0

    @property
    def chats(self) -> int:
        return self.users // 2

    @property
    def inbox_user(self) -> int:
        """The user with `inbox_chats` chats: in the middle of its peers' ids,
        so it is the lower member of half its chats and the higher of the rest."""
        return self.users + 1 + self.inbox_chats // 2

    @property
    def inbox_peers(self) -> list[int]:
        first = self.users + 1
        return [
            user
            for user in range(first, first + self.inbox_chats + 1)
            if user != self.inbox_user
        ]

    @property
    def mood_pair(self) -> tuple[int, int]:
        """The members of the chat of `mood_messages`: the ids after the others'."""
        first = self.users + (self.inbox_chats + 1 if self.inbox_chats else 0) + 1
        return first, first + 1

    @property
    def mood_chat(self) -> int:
        """The id of that chat: the last one."""
        return self.chats + self.inbox_chats + 1

    @property
    def all_users(self) -> int:
        first, second = self.mood_pair
        return second if self.mood_messages else first - 1


@dataclass
class Stack:
    seed: Seed
    database_url: str
    dsn: str  # the same database, for asyncpg
    logs: Path  # the servers' logs are written here
    accounts: list[Account]
    inbox: Account | None  # the user with the seed's `inbox_chats` chats
    # The members of the seed's `mood_chat`, the lower first (none: no such chat).
    mood: tuple[Account, ...] = ()
    servers: dict[str, list[Server]] = field(default_factory=dict)

    @contextlib.contextmanager
    def more_sentichat(self, count: int) -> Iterator[list[Server]]:
        """`count` Sentichat processes besides the stack's, started as those
        are (the same database, Redis, settings and uvicorn arguments), all
        at once (each spends seconds importing), among the stack's servers
        until they stop on exit; the stack's own go on as they were."""
        first = len(self.servers[protocol.SENTICHAT])
        env = sentichat_env(self.database_url)
        servers = [
            Server(env, self.logs / f"{protocol.SENTICHAT}-{n}.log")
            for n in range(first, first + count)
        ]
        with contextlib.ExitStack() as stop:
            for server in servers:
                stop.callback(server.stop)  # a no-op for one never started
            with ThreadPoolExecutor(max(count, 1)) as starting:
                # Each waits for its own health check (START_TIMEOUT at most).
                list(starting.map(Server.start, servers))
            # Counted with the others meanwhile (`sentichat_counter`).
            own = self.servers[protocol.SENTICHAT]
            own.extend(servers)
            try:
                yield servers
            finally:
                del own[first:]

    def addresses(self, system: str) -> tuple[tuple[str, int], ...]:
        return tuple(("127.0.0.1", server.port) for server in self.servers[system])

    def processes(self, system: str) -> list[psutil.Process]:
        return [psutil.Process(server.pid) for server in self.servers[system]]

    def chat_members(self, chats: int) -> tuple[Account, ...]:
        """Both members of each of the first `chats` chats."""
        return tuple(self.accounts[: 2 * chats])

    def stored_messages(self, client_id_prefix: str) -> int:
        """Messages in the database whose clientId starts with the prefix."""
        query = "SELECT count(*) FROM message WHERE client_id LIKE $1"
        return int(self.fetchval(query, f"{client_id_prefix}%"))

    def post(self, system: str, request: protocol.Request) -> Any:
        """One request to the system's first process, outside any load; the
        answer's JSON (an HTTPStatusError if it failed)."""
        headers = dict(
            (name.strip(), value.strip())
            for name, _, value in (
                line.partition(":")
                for line in request.headers.decode().splitlines()
                if line
            )
        )
        answer = httpx.post(
            f"{self.servers[system][0].http_url}{request.path}",
            content=request.body,
            headers=headers,
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()

    def fetchval(self, query: str, *arguments: object) -> Any:
        """The first column of the first row of one statement, on the database
        under test (from the orchestrator, outside any measured request)."""

        async def run() -> Any:
            connection = await asyncpg.connect(self.dsn)
            try:
                return await connection.fetchval(query, *arguments)
            finally:
                await connection.close()

        return asyncio.run(run())

    def fetch(self, query: str, *arguments: object) -> list[asyncpg.Record]:
        """Every row of one statement on the database under test."""

        async def run() -> list[asyncpg.Record]:
            connection = await asyncpg.connect(self.dsn)
            try:
                return list(await connection.fetch(query, *arguments))
            finally:
                await connection.close()

        return asyncio.run(run())

    def execute(self, statement: str, *arguments: object) -> None:
        """One statement on the database under test, from the orchestrator."""

        async def run() -> None:
            connection = await asyncpg.connect(self.dsn)
            try:
                await connection.execute(statement, *arguments)
            finally:
                await connection.close()

        asyncio.run(run())

    def sentichat_counter(self, name: str) -> float:
        """A metric summed over the Sentichat processes."""
        return sum(self.sentichat_metrics(name))

    def sentichat_metrics(self, name: str) -> list[float]:
        """A metric (name with its labels, as exposed) of each Sentichat process."""
        values = []
        for server in self.servers[protocol.SENTICHAT]:
            # Patient: after a ramp's step past saturation a process may still
            # be working through hundreds of queued requests.
            text = httpx.get(f"{server.http_url}/metrics", timeout=60).text
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
        # The sorts of the inbox's insert and of the counters, in memory.
        await connection.execute("SET work_mem = '256MB'")
        await connection.copy_records_to_table(
            "user_account",
            columns=["id", "username", "username_key", "password_hash", "created_at"],
            records=[
                (i, f"user{i:05d}", f"user{i:05d}", "!", now)
                for i in range(1, seed.all_users + 1)
            ],
        )
        await connection.copy_records_to_table(
            "chat", columns=CHAT_COLUMNS, records=_chats(seed, now)
        )
        await connection.copy_records_to_table(
            "message",
            columns=[
                "id",
                "chat_id",
                "seq",
                "version",
                "sender_id",
                "recipient_id",
                "sender_ordinal",
                "body",
                "client_id",
                *SENTIMENT_COLUMNS,
                "created_at",
            ],
            records=_history_messages(seed, scores, now),
        )
        await _restart_ids(connection, "message")
        if seed.inbox_chats or seed.mood_messages:
            await connection.execute(
                GENERATED_MESSAGES,
                seed.chats,
                now,
                len(protocol.PHRASES),
                list(protocol.PHRASES),
                *map(list, zip(*map(_sentiment_columns, scores), strict=True)),
            )
        await connection.execute(COUNTERS)
        await connection.execute(MOOD_BLOCKS)
        await connection.execute(MOOD_MEANS, DECAY, FAST_DECAY)
        wrong = await connection.fetchval(INCONSISTENT_CHATS)
        wrong_ordinals = await connection.fetchval(INCONSISTENT_ORDINALS)
        wrong_blocks = await connection.fetchval(INCONSISTENT_BLOCKS)
        if wrong or wrong_ordinals or wrong_blocks:
            raise RuntimeError(
                f"the seed is inconsistent: {wrong} chats' counters,"
                f" {wrong_ordinals} senders' ordinals, {wrong_blocks} chats'"
                " mood blocks"
            )
        for table in ("user_account", "chat", "message"):
            await _restart_ids(connection, table)
        await connection.execute("VACUUM ANALYZE")
        # The seed's pages written out now rather than by a checkpoint and the
        # kernel's writeback during the first benchmark (a million messages
        # are ~0.5 GB of pages and as much WAL again), whose commits wait on
        # the same disk.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    await asyncio.to_thread(os.sync)


async def _restart_ids(connection: asyncpg.Connection, table: str) -> None:
    """The table's id sequence past its highest id."""
    await connection.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
    )


# The chat columns the seed writes; the members' counters come from the
# messages (COUNTERS).
CHAT_COLUMNS = (
    "id",
    "user_low_id",
    "user_high_id",
    "requested_by_id",
    "last_seq",
    "last_version",
    "low_read_seq",
    "high_read_seq",
    "created_at",
)


def _chats(seed: Seed, now: datetime) -> list[tuple[object, ...]]:
    """The pairs' chats (the first `history_chats` with messages), then the
    inbox user's, each with both members' read positions."""
    positions = random.Random(13)
    per_chat = seed.history_messages // max(seed.history_chats, 1)
    chats: list[tuple[object, ...]] = []
    for k in range(1, seed.chats + 1):
        last_seq = per_chat if k <= seed.history_chats else 0
        chats.append(
            (
                k,
                2 * k - 1,
                2 * k,
                2 * k - 1,
                last_seq,
                last_seq,  # last_version: each send a change, nothing else yet
                _read_position(positions, last_seq),
                _read_position(positions, last_seq),
                now,
            )
        )
    owner = seed.inbox_user
    sizes = _inbox_sizes(seed)
    for n, (peer, last_seq) in enumerate(zip(seed.inbox_peers, sizes, strict=True)):
        low, high = sorted((owner, peer))
        chats.append(
            (
                seed.chats + 1 + n,
                low,
                high,
                owner if n % 2 else peer,  # who asked for it: either
                last_seq,
                last_seq,
                _read_position(positions, last_seq),
                _read_position(positions, last_seq),
                now,
            )
        )
    if seed.mood_messages:
        low, high = seed.mood_pair
        last_seq = seed.mood_messages
        # Asked for by the lower member; both have read it all.
        read = (last_seq, last_seq)
        chats.append((seed.mood_chat, low, high, low, last_seq, last_seq, *read, now))
    return chats


def _read_position(rng: random.Random, last_seq: int) -> int:
    """How far a member has read: most have read everything, some are a few
    messages behind, and a few are far behind."""
    if last_seq == 0:
        return 0
    draw = rng.random()
    if draw < 0.6:
        return last_seq
    if draw < 0.9:
        return max(0, last_seq - rng.randint(1, 20))
    return rng.randrange(last_seq)


def _inbox_sizes(seed: Seed) -> list[int]:
    """Messages per inbox chat, `inbox_messages` in all: a few long chats and
    many short ones (the size of the chat ranked r falls as 1 / (r + 10)),
    in no particular order of age."""
    weights = [1 / (rank + 10) for rank in range(seed.inbox_chats)]
    total = sum(weights)
    sizes = [int(seed.inbox_messages * weight / total) for weight in weights]
    for rank in range(seed.inbox_messages - sum(sizes)):
        sizes[rank % len(sizes)] += 1
    random.Random(11).shuffle(sizes)
    return sizes


def _history_messages(
    seed: Seed, scores: list[Scores], now: datetime
) -> list[tuple[object, ...]]:
    """The history chats' messages: their members take turns."""
    rng = random.Random(7)
    per_chat = seed.history_messages // max(seed.history_chats, 1)
    messages: list[tuple[object, ...]] = []
    for k in range(1, seed.history_chats + 1):
        sent = {2 * k - 1: 0, 2 * k: 0}
        for seq in range(1, per_chat + 1):
            phrase = rng.randrange(len(protocol.PHRASES))
            sender = 2 * k - 1 + seq % 2
            recipient = 4 * k - 1 - sender
            sent[sender] += 1
            messages.append(
                (
                    len(messages) + 1,
                    k,
                    seq,
                    seq,  # version: each message's send was its chat's change
                    sender,
                    recipient,
                    sent[sender],
                    protocol.PHRASES[phrase],
                    None,
                    *_sentiment_columns(scores[phrase]),
                    now,
                )
            )
    return messages


# The inbox user's messages and the mood chat's, in one statement: each chat
# (ids past $1) gets seqs 1..last_seq, sent in runs of three by one member or
# the other (a hash of chat and seq decides), one of the phrases ($4..:
# bodies, then their sentiment columns) each, a minute apart up to $2;
# ordinals by window.
GENERATED_MESSAGES = """
INSERT INTO message (chat_id, seq, version, sender_id, recipient_id, sender_ordinal,
                     body, polarity, subjectivity, label, score, confidence,
                     reasons, analyzer, created_at)
SELECT t.chat_id, t.seq, t.seq, t.sender_id, t.recipient_id,
       row_number() OVER (PARTITION BY t.chat_id, t.sender_id ORDER BY t.seq),
       p.body, p.polarity, p.subjectivity, p.label, p.score, p.confidence,
       p.reasons, p.analyzer,
       $2::timestamptz - (t.last_seq - t.seq) * interval '1 minute'
FROM (
    SELECT c.id AS chat_id, c.last_seq, s.seq, h.phrase,
           CASE WHEN h.low_sends THEN c.user_low_id ELSE c.user_high_id END
               AS sender_id,
           CASE WHEN h.low_sends THEN c.user_high_id ELSE c.user_low_id END
               AS recipient_id
    FROM chat c
    CROSS JOIN LATERAL generate_series(1, c.last_seq) AS s (seq)
    CROSS JOIN LATERAL (
        SELECT (hashint8(c.id * 1000003 + s.seq / 3) & 1) = 0 AS low_sends,
               ((hashint8(c.id * 7919 + s.seq) & 2147483647) % $3) + 1 AS phrase
    ) AS h
    WHERE c.id > $1
) AS t
JOIN unnest($4::text[], $5::float8[], $6::float8[], $7::text[], $8::float8[],
            $9::float8[], $10::text[], $11::text[])
     WITH ORDINALITY AS p (body, polarity, subjectivity, label, score,
                           confidence, reasons, analyzer, n)
  ON p.n = t.phrase
ORDER BY t.chat_id, t.seq
"""

# Every chat's counters from its messages and its members' read positions.
COUNTERS = """
UPDATE chat
SET low_sent = counted.low_sent, high_sent = counted.high_sent,
    low_read_count = counted.low_read_count,
    high_read_count = counted.high_read_count
FROM (
    SELECT m.chat_id,
           count(*) FILTER (WHERE m.sender_id = c.user_low_id) AS low_sent,
           count(*) FILTER (WHERE m.sender_id = c.user_high_id) AS high_sent,
           count(*) FILTER (WHERE m.sender_id = c.user_high_id
                              AND m.seq <= c.low_read_seq) AS low_read_count,
           count(*) FILTER (WHERE m.sender_id = c.user_low_id
                              AND m.seq <= c.high_read_seq) AS high_read_count
    FROM message m JOIN chat c ON c.id = m.chat_id
    GROUP BY m.chat_id
) AS counted
WHERE chat.id = counted.chat_id
"""

INCONSISTENT_CHATS = """
SELECT count(*) FROM chat
WHERE low_sent + high_sent <> last_seq OR last_version <> last_seq
   OR low_read_seq > last_seq OR high_read_seq > last_seq
   OR low_read_count > high_sent OR high_read_count > low_sent
"""

# What the sends would have kept for `moodHistory` (db.mood.block_rollup):
# each chat's 64-message rollups, by migration 0006's GROUP BY.
MOOD_BLOCKS = f"""
INSERT INTO mood_block (chat_id, block, low_messages, low_scored, low_total,
                        high_messages, high_scored, high_total)
SELECT m.chat_id, (m.seq - 1) / {MOOD_BLOCK},
       count(*) FILTER (WHERE m.sender_id = c.user_low_id),
       count(coalesce(m.score, m.polarity)) FILTER (WHERE m.sender_id = c.user_low_id),
       coalesce(sum(coalesce(m.score, m.polarity))
                FILTER (WHERE m.sender_id = c.user_low_id), 0),
       count(*) FILTER (WHERE m.sender_id = c.user_high_id),
       count(coalesce(m.score, m.polarity)) FILTER (WHERE m.sender_id = c.user_high_id),
       coalesce(sum(coalesce(m.score, m.polarity))
                FILTER (WHERE m.sender_id = c.user_high_id), 0)
FROM message m JOIN chat c ON c.id = m.chat_id
GROUP BY m.chat_id, (m.seq - 1) / {MOOD_BLOCK}
"""

# And each member's means on the chat row (graph.domain.mood): a message
# `ago` sends back weighs $1 ** ago in the mood, $2 ** ago in its fast twin.
# From the last 400 messages, as migration 0006 has it: older ones weigh
# below 1e-12 of the newest.
MOOD_MEANS = """
UPDATE chat
SET low_mood_sum = w.low_sum, low_mood_weight = w.low_weight,
    low_mood_fast_sum = w.low_fast_sum, low_mood_fast_weight = w.low_fast_weight,
    high_mood_sum = w.high_sum, high_mood_weight = w.high_weight,
    high_mood_fast_sum = w.high_fast_sum, high_mood_fast_weight = w.high_fast_weight
FROM (
    SELECT s.chat_id,
           coalesce(sum(s.slow * s.score) FILTER (WHERE s.low), 0) AS low_sum,
           coalesce(sum(s.slow) FILTER (WHERE s.low), 0) AS low_weight,
           coalesce(sum(s.fast * s.score) FILTER (WHERE s.low), 0) AS low_fast_sum,
           coalesce(sum(s.fast) FILTER (WHERE s.low), 0) AS low_fast_weight,
           coalesce(sum(s.slow * s.score) FILTER (WHERE NOT s.low), 0) AS high_sum,
           coalesce(sum(s.slow) FILTER (WHERE NOT s.low), 0) AS high_weight,
           coalesce(sum(s.fast * s.score) FILTER (WHERE NOT s.low), 0)
               AS high_fast_sum,
           coalesce(sum(s.fast) FILTER (WHERE NOT s.low), 0) AS high_fast_weight
    FROM (
        SELECT m.chat_id, m.sender_id = c.user_low_id AS low,
               coalesce(m.score, m.polarity) AS score,
               power($1::float8, c.last_seq - m.seq) AS slow,
               power($2::float8, c.last_seq - m.seq) AS fast
        FROM message m JOIN chat c ON c.id = m.chat_id
        WHERE m.seq > c.last_seq - 400 AND coalesce(m.score, m.polarity) IS NOT NULL
    ) AS s
    GROUP BY s.chat_id
) AS w
WHERE chat.id = w.chat_id
"""

# Chats whose rollups do not hold each member's messages exactly once.
INCONSISTENT_BLOCKS = f"""
SELECT count(*) FROM chat c
LEFT JOIN (
    SELECT chat_id, sum(low_messages) AS low, sum(high_messages) AS high,
           count(*) AS blocks, max(block) AS last_block
    FROM mood_block GROUP BY chat_id
) AS b ON b.chat_id = c.id
WHERE coalesce(b.low, 0) <> c.low_sent OR coalesce(b.high, 0) <> c.high_sent
   OR coalesce(b.blocks, 0) <> (c.last_seq + {MOOD_BLOCK - 1}) / {MOOD_BLOCK}
   OR coalesce(b.last_block, -1) <> (c.last_seq + {MOOD_BLOCK - 1}) / {MOOD_BLOCK} - 1
"""

INCONSISTENT_ORDINALS = """
SELECT count(*) FROM (
    SELECT count(*) AS sent, max(sender_ordinal) AS highest,
           count(DISTINCT sender_ordinal) AS distinct_ordinals
    FROM message GROUP BY chat_id, sender_id
) AS senders
WHERE highest <> sent OR distinct_ordinals <> sent
"""


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


def _tokens() -> Tokens:
    return Tokens(
        Settings.model_construct(
            jwt_secret=JWT_SECRET,
            token_ttl_seconds=24 * 3600,
            jwt_issuer="sentichat",
            jwt_audience="sentichat",
        )
    )


def _accounts(seed: Seed) -> list[Account]:
    tokens = _tokens()
    return [
        Account(i, tokens.issue(i), chat_channel(i, i + 1 if i % 2 else i - 1))
        for i in range(1, seed.users + 1)
    ]


def _mood_accounts(seed: Seed) -> tuple[Account, ...]:
    """The members of the seed's mood chat, the lower first (none: no such chat)."""
    if not seed.mood_messages:
        return ()
    tokens, pair = _tokens(), seed.mood_pair
    channel = chat_channel(*pair)
    return tuple(Account(user, tokens.issue(user), channel) for user in pair)


def _inbox_account(seed: Seed) -> Account | None:
    """The user with `inbox_chats` chats (its channel: the first of them)."""
    if not seed.inbox_chats:
        return None
    owner = seed.inbox_user
    return Account(
        owner, _tokens().issue(owner), chat_channel(owner, seed.inbox_peers[0])
    )


@contextlib.contextmanager
def running_stack(seed: Seed, logs: Path) -> Iterator[Stack]:
    """The seeded database and every server process, stopped on exit."""
    database_url = asyncio.run(_reset_database(seed))
    dsn = (
        make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    )
    stack = Stack(
        seed,
        database_url,
        dsn,
        logs,
        _accounts(seed),
        _inbox_account(seed),
        _mood_accounts(seed),
    )
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
                # Sentichat by its entry point, `python -m graph`.
                args = () if system == protocol.SENTICHAT else UVICORN_ARGS
                server = Server(env, logs / f"{system}-{n}.log", args, app=app)
                stop.enter_context(server)
                stack.servers[system].append(server)
        yield stack
