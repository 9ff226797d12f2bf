"""The baseline: the same work as Sentichat, by hand, with no GraphQL or ORM.

A bare Starlette app under the same uvicorn settings, on the same database
and Redis: `POST /send` numbers and inserts a message (with its sentiment,
scored by the same analyzer) in one asyncpg statement and publishes it on
Redis; `/ws?channel=` is a raw relay of a channel's messages to its
sockets; `POST /history` reads the newest messages with asyncpg and answers
JSON. It trusts its callers (no tokens, no membership checks, no limits): a
floor to measure against, not a service to run.
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

from graph.domain.sentiment import analyze, reasons_to_json

DSN = os.environ.get(
    "BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/sentichat_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("BENCH_PREFIX", "bench-baseline:")
POOL_SIZE = 10

SEND = """
WITH numbered AS (
    UPDATE chat SET last_seq = last_seq + 1
    WHERE user_low_id = $1 AND user_high_id = $2
    RETURNING id, last_seq
), stored AS (
    INSERT INTO message (chat_id, seq, sender_id, recipient_id, body, client_id,
                         polarity, subjectivity, label, score, confidence, reasons,
                         analyzer, created_at)
    SELECT id, last_seq, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now()
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
        Route("/healthz", healthz),
        WebSocketRoute("/ws", relay),
    ],
    lifespan=lifespan,
)
