"""The baseline: the same work as Sentichat, by hand, with no GraphQL or ORM.

A bare Starlette app under the same uvicorn settings, on the same database
and Redis: `POST /send` numbers and inserts a message (with its sentiment,
scored by the same analyzer, and its ordinal among its sender's, the
sender's count bumped with the seq) in one asyncpg statement and publishes
it on Redis; `/ws?channel=` is a raw relay of a channel's messages to its
sockets; `POST /history` reads the newest messages with asyncpg and answers
JSON. Read state as Sentichat keeps it, on the chat row's counters: `POST
/read` moves a member's read position forward in one UPDATE and publishes a
read receipt on Redis; `POST /chats` is a user's newest chats with their
members and unread counts, one SELECT; `POST /unread` their unread total,
one SUM over their chat rows. It trusts its callers (no tokens, no
membership checks, no limits): a floor to measure against, not a service to
run. It starts as Sentichat does: the analyzer loaded and the garbage
collector tuned alike (`graph.platform.runtime.tune_gc`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import orjson
import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from graph.domain import sentiment
from graph.domain.sentiment import analyze, reasons_to_json
from graph.platform.runtime import tune_gc

DSN = os.environ.get(
    "BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/sentichat_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("BENCH_PREFIX", "bench-baseline:")
# Read receipts: outside PREFIX's pattern, so that, as in Sentichat, a channel
# nobody listens to costs its publisher alone.
ACTIVITY_PREFIX = os.environ.get("BENCH_ACTIVITY_PREFIX", "bench-baseline-activity:")
POOL_SIZE = 10

# The sender's count goes up with the seq: the message's ordinal among theirs.
# A send is also its chat's next change (the message's first version), as in
# Sentichat.
SEND = """
WITH numbered AS (
    UPDATE chat SET last_seq = last_seq + 1,
                    last_version = last_version + 1,
                    low_sent = low_sent + (user_low_id = $3)::int,
                    high_sent = high_sent + (user_high_id = $3)::int
    WHERE user_low_id = $1 AND user_high_id = $2
    RETURNING id, last_seq, last_version,
              CASE WHEN user_low_id = $3 THEN low_sent ELSE high_sent END AS ordinal
), stored AS (
    INSERT INTO message (chat_id, seq, version, sender_id, sender_ordinal,
                         recipient_id, body, client_id, polarity, subjectivity,
                         label, score, confidence, reasons, analyzer, created_at)
    SELECT id, last_seq, last_version, $3, ordinal, $4, $5, $6, $7, $8, $9, $10,
           $11, $12, $13, clock_timestamp()
    FROM numbered
    RETURNING id, seq, created_at
)
SELECT stored.id, stored.seq, stored.created_at,
       sender.username AS sender, recipient.username AS recipient
FROM stored, user_account sender, user_account recipient
WHERE sender.id = $3 AND recipient.id = $4
"""

HISTORY = """
SELECT m.id, m.seq, m.body, m.client_id, m.created_at, m.polarity, m.subjectivity,
       m.label, m.score, m.confidence, m.reasons, m.analyzer,
       m.sender_id, sender.username AS sender,
       m.recipient_id, recipient.username AS recipient
FROM chat c
JOIN message m ON m.chat_id = c.id
JOIN user_account sender ON sender.id = m.sender_id
JOIN user_account recipient ON recipient.id = m.recipient_id
WHERE c.user_low_id = $1 AND c.user_high_id = $2
ORDER BY m.seq DESC
LIMIT $3
"""

CHAT_STATE = """
chat.id, chat.user_low_id, chat.user_high_id, chat.requested_by_id, chat.last_seq,
chat.low_sent, chat.high_sent, chat.low_read_seq, chat.high_read_seq,
chat.low_read_count, chat.high_read_count
"""


def _mark_read(reader: str, other: str) -> str:
    """Move the reader's position forward to $3, never back nor past the newest
    message; its read count from the message at $3: the other member's
    ordinal there, or, at one of the reader's own, the rest of the seqs."""
    return f"""
UPDATE chat SET {reader}_read_seq = $3,
    {reader}_read_count = (
        SELECT CASE WHEN m.sender_id = chat.user_{other}_id THEN m.sender_ordinal
                    ELSE $3 - m.sender_ordinal END
        FROM message m WHERE m.chat_id = chat.id AND m.seq = $3)
WHERE user_low_id = $1 AND user_high_id = $2
  AND {reader}_read_seq < $3 AND $3 <= last_seq
RETURNING {CHAT_STATE},
    (SELECT username FROM user_account WHERE id = chat.user_low_id),
    (SELECT username FROM user_account WHERE id = chat.user_high_id)
"""


MARK_READ = {"low": _mark_read("low", "high"), "high": _mark_read("high", "low")}

CHATS_FROM = """
FROM chat
JOIN user_account low ON low.id = chat.user_low_id
JOIN user_account high ON high.id = chat.user_high_id
"""
CHAT_OF_PAIR = f"""
SELECT {CHAT_STATE}, low.username, high.username {CHATS_FROM}
WHERE chat.user_low_id = $1 AND chat.user_high_id = $2
"""
CHATS = f"""
SELECT {CHAT_STATE}, low.username, high.username {CHATS_FROM}
WHERE chat.user_low_id = $1 OR chat.user_high_id = $1
ORDER BY chat.id DESC
LIMIT $2
"""
UNREAD_TOTAL = """
SELECT coalesce(sum(CASE WHEN user_low_id = $1 THEN high_sent - low_read_count
                         ELSE low_sent - high_read_count END), 0)
FROM chat
WHERE user_low_id = $1 OR user_high_id = $1
"""

EMOJI = {"POSITIVE": "\U0001f600", "NEUTRAL": "\U0001f610", "NEGATIVE": "\U0001f61f"}


def pair(channel: str) -> tuple[int, int]:
    low, high = channel.removeprefix("private-chat_").split("_")
    return int(low), int(high)


def message_json(
    row: Any,
    channel: str,
    sender: tuple[int, str],
    recipient: tuple[int, str],
    body: str,
    client_id: str | None,
    sentiment: dict[str, Any],
) -> dict[str, Any]:
    created_at: datetime = row["created_at"]
    return {
        "id": str(row["id"]),
        "seq": row["seq"],
        "channel": channel,
        "message": body,
        "client_id": client_id,
        "created_at": created_at.isoformat(),
        "from_user": {"id": str(sender[0]), "username": sender[1]},
        "to_user": {"id": str(recipient[0]), "username": recipient[1]},
        "sentiment": sentiment,
    }


def sentiment_json(
    polarity: float,
    subjectivity: float,
    label: str,
    score: float,
    confidence: float,
    reasons: Any,
    analyzer: str,
) -> dict[str, Any]:
    return {
        "polarity": polarity,
        "subjectivity": subjectivity,
        "label": label,
        "emoji": EMOJI[label],
        "score": score,
        "confidence": confidence,
        "reasons": [{"text": text, "weight": weight} for text, weight in reasons],
        "analyzer": analyzer,
    }


class Relay:
    """One Redis pattern subscription; each channel's sockets in this process."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.sockets: dict[str, set[WebSocket]] = {}
        self.task: asyncio.Task[None] | None = None

    async def listen(self) -> None:
        pubsub = self.client.pubsub()
        await pubsub.psubscribe(f"{PREFIX}*")
        async for event in pubsub.listen():
            if event["type"] != "pmessage":
                continue
            channel = event["channel"].decode()[len(PREFIX) :]
            text = event["data"].decode()
            for socket in tuple(self.sockets.get(channel, ())):
                with contextlib.suppress(Exception):
                    await socket.send_text(text)


class State:
    pool: asyncpg.Pool
    redis: redis.Redis
    relay: Relay


state = State()


async def send(request: Request) -> Response:
    data = orjson.loads(await request.body())
    channel: str = data["channel"]
    low, high = pair(channel)
    sender: int = data["sender_id"]
    recipient = high if sender == low else low
    body: str = data["message"]
    client_id: str | None = data.get("client_id")
    # The same analyzer as Sentichat's: TextBlob's scores and the model's.
    scores = analyze(body)
    reasons = reasons_to_json(scores.reasons)
    row = await state.pool.fetchrow(
        SEND,
        low,
        high,
        sender,
        recipient,
        body,
        client_id,
        scores.polarity,
        scores.subjectivity,
        scores.label.value,
        scores.score,
        scores.confidence,
        reasons,
        scores.analyzer,
    )
    message = message_json(
        row,
        channel,
        (sender, row["sender"]),
        (recipient, row["recipient"]),
        body,
        client_id,
        sentiment_json(
            scores.polarity,
            scores.subjectivity,
            scores.label.value,
            scores.score,
            scores.confidence,
            scores.reasons,
            scores.analyzer,
        ),
    )
    payload = orjson.dumps(message)
    await state.redis.publish(f"{PREFIX}{channel}", payload)
    return Response(payload, media_type="application/json")


async def history(request: Request) -> Response:
    data = orjson.loads(await request.body())
    channel: str = data["channel"]
    low, high = pair(channel)
    rows = await state.pool.fetch(HISTORY, low, high, int(data.get("last", 50)))
    messages = [
        message_json(
            row,
            channel,
            (row["sender_id"], row["sender"]),
            (row["recipient_id"], row["recipient"]),
            row["body"],
            row["client_id"],
            sentiment_json(
                row["polarity"],
                row["subjectivity"],
                row["label"],
                row["score"],
                row["confidence"],
                orjson.loads(row["reasons"]),
                row["analyzer"],
            ),
        )
        for row in reversed(rows)
    ]
    return Response(orjson.dumps(messages), media_type="application/json")


def chat_json(row: Any, viewer: int) -> dict[str, Any]:
    """A chat row as `viewer` sees it, as Sentichat's `Chat` has it: from
    whoever asked for it, unread counts from the counters."""
    (
        _,
        low,
        high,
        requested_by,
        last_seq,
        low_sent,
        high_sent,
        low_read_seq,
        high_read_seq,
        low_read_count,
        high_read_count,
        low_name,
        high_name,
    ) = row
    low_user = {"id": str(low), "username": low_name}
    high_user = {"id": str(high), "username": high_name}
    low_first = requested_by != high
    if viewer == low:
        mine, unread, theirs = low_read_seq, high_sent - low_read_count, high_read_seq
    else:
        mine, unread, theirs = high_read_seq, low_sent - high_read_count, low_read_seq
    return {
        "channel_name": f"private-chat_{low}_{high}",
        "from_user": low_user if low_first else high_user,
        "to_user": high_user if low_first else low_user,
        "last_seq": last_seq,
        "unread_count": unread,
        "last_read_seq": mine,
        "peer_last_read_seq": theirs,
    }


async def mark_read(request: Request) -> Response:
    """The reader's position forward to `seq` (one UPDATE), a read receipt on
    Redis when it moved, and the chat as the reader now sees it."""
    data = orjson.loads(await request.body())
    channel: str = data["channel"]
    low, high = pair(channel)
    reader: int = data["reader_id"]
    seq = int(data["seq"])
    async with state.pool.acquire() as connection:
        statement = MARK_READ["low" if reader == low else "high"]
        row = await connection.fetchrow(statement, low, high, seq)
        moved = row is not None
        if row is None:
            row = await connection.fetchrow(CHAT_OF_PAIR, low, high)
    if row is None:
        return Response(b'{"error":"no such chat"}', 404)
    if not moved and seq > row["last_seq"]:
        return Response(b'{"error":"seq past the newest message"}', 400)
    if moved:
        name = row[11] if reader == low else row[12]
        receipt = {
            "type": "activity",
            "channel": channel,
            "user": {"id": reader, "username": name},
            "read_seq": seq,
        }
        await state.redis.publish(f"{ACTIVITY_PREFIX}{channel}", orjson.dumps(receipt))
    return Response(orjson.dumps(chat_json(row, reader)), media_type="application/json")


async def chats(request: Request) -> Response:
    data = orjson.loads(await request.body())
    user: int = data["user_id"]
    rows = await state.pool.fetch(CHATS, user, int(data.get("first", 100)))
    return Response(
        orjson.dumps([chat_json(row, user) for row in rows]),
        media_type="application/json",
    )


async def unread_total(request: Request) -> Response:
    data = orjson.loads(await request.body())
    total = await state.pool.fetchval(UNREAD_TOTAL, data["user_id"])
    return Response(
        orjson.dumps({"unread_total": total}), media_type="application/json"
    )


async def relay(socket: WebSocket) -> None:
    channel = socket.query_params["channel"]
    await socket.accept()
    members = state.relay.sockets.setdefault(channel, set())
    members.add(socket)
    try:
        while True:
            if await socket.receive_text() == "ping":
                await socket.send_text("pong")
    except WebSocketDisconnect:
        pass
    finally:
        members.discard(socket)
        if not members:
            state.relay.sockets.pop(channel, None)


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    state.pool = await asyncpg.create_pool(DSN, min_size=POOL_SIZE, max_size=POOL_SIZE)
    state.redis = redis.from_url(REDIS_URL)
    state.relay = Relay(state.redis)
    state.relay.task = asyncio.create_task(state.relay.listen())
    # As Sentichat starts (graph.app): the analyzer loaded, then start-up's
    # objects frozen and young collections made rarer. Untuned, a full
    # collection here walks the analyzer's ~140,000 objects, 70-85 ms during
    # which the process answers nothing: a floor with pauses Sentichat has not.
    sentiment.warm()
    tune_gc()
    try:
        yield
    finally:
        state.relay.task.cancel()
        await state.redis.aclose()
        await state.pool.close()


app = Starlette(
    routes=[
        Route("/send", send, methods=["POST"]),
        Route("/history", history, methods=["POST"]),
        Route("/read", mark_read, methods=["POST"]),
        Route("/chats", chats, methods=["POST"]),
        Route("/unread", unread_total, methods=["POST"]),
        Route("/healthz", healthz),
        WebSocketRoute("/ws", relay),
    ],
    lifespan=lifespan,
)
