"""Clients that count every message, for the fault tests.

A `Receiver` holds one member's `newMessage` subscription on a real server
and records each seq it receives, across reconnects; a `Sender` posts
`sendMessage` and records what was acknowledged. `Ledger` compares the two
with the database: sent, acknowledged, persisted, received, lost, duplicated.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import socket
import struct
import termios
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from graph.realtime import parse_chat_channel
from tests.support.api import SEND, Account
from tests.support.metrics import scrape, wait_for
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket

SEQ_ONLY = """
subscription Live($channel: String!, $afterSeq: Int) {
  newMessage(channel: $channel, afterSeq: $afterSeq) { seq }
}"""
WHOLE_MESSAGE = """
subscription Live($channel: String!, $afterSeq: Int) {
  newMessage(channel: $channel, afterSeq: $afterSeq) {
    seq message createdAt fromUser { id } sentiment { polarity label emoji }
  }
}"""


class Receiver:
    """One member's subscription; `seqs` holds every seq received, in order."""

    def __init__(self, account: Account, channel: str, query: str = SEQ_ONLY) -> None:
        self.account = account
        self.channel = channel
        self.query = query
        self.seqs: list[int] = []
        self.received_at: dict[int, float] = {}
        self.errors: list[dict[str, Any]] = []
        self.failure: Exception | None = None  # what ended the reader, if not a close
        self.sessions = 0
        self._socket: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._reading = asyncio.Event()
        self._reading.set()

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    @property
    def connected(self) -> bool:
        return self._task is not None and not self._task.done()

    async def attach(
        self, server: Server, after_seq: int | None = None, **connect_args: Any
    ) -> None:
        """Subscribe on `server` and return once the server counts it."""
        before = (await scrape(server.http_url))["sentichat_subscriptions"]
        ws = await GraphQLWebSocket(server.ws_url, **connect_args).open()
        await ws.init(self.account.token, timeout=10)
        variables = {"channel": self.channel, "afterSeq": after_seq}
        await ws.subscribe("feed", self.query, variables)
        self._socket = ws.socket
        self.sessions += 1
        self._task = asyncio.create_task(self._read(self._socket))
        await wait_for(server.http_url, "sentichat_subscriptions", lambda n: n > before)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            while True:
                await self._reading.wait()
                raw = await ws.recv()
                message = json.loads(raw)
                kind = message["type"]
                if kind == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif kind == "next" and "errors" in message["payload"]:
                    self.errors.extend(message["payload"]["errors"])
                elif kind == "next":
                    await self._record(message["payload"]["data"]["newMessage"]["seq"])
                elif kind in ("complete", "error"):
                    return
        except ConnectionClosed:
            return
        except Exception as exc:
            # Reported by until(): a reader that died looks like a server
            # that stopped sending.
            self.failure = exc
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _record(self, seq: int) -> None:
        self.received_at.setdefault(seq, time.monotonic())
        async with self._changed:
            self.seqs.append(seq)
            self._changed.notify_all()

    def stop_reading(self) -> None:
        """Read nothing more, as a stalled client: the server's side fills up."""
        self._reading.clear()

    def read_again(self) -> None:
        self._reading.set()

    async def until(self, seqs: set[int], timeout: float) -> None:
        """Wait until every seq in `seqs` has been received."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: seqs <= set(self.seqs))
        except TimeoutError:
            missing = sorted(seqs - set(self.seqs))
            raise AssertionError(
                f"{self.account.username} still misses {len(missing)} messages "
                f"(first {missing[:5]}) after {timeout} s; received "
                f"{len(self.seqs)}, last {self.last_seq}, connected "
                f"{self.connected}, errors {self.errors[:3]}, reader failure "
                f"{self.failure!r}, client {self.client_state()}"
            ) from None

    def client_state(self) -> dict[str, Any]:
        """Where undelivered data sits on this side: unread in the kernel, or
        queued in websockets' buffer. Data here while the reader waits is a
        client stall; none, with the server having sent more, is in flight."""
        ws = self._socket
        if ws is None:
            return {}
        frames = getattr(getattr(ws, "recv_messages", None), "frames", None)
        return {
            "reading": self._reading.is_set(),
            "transport_reading": ws.transport.is_reading(),
            "frames_queued": None if frames is None else len(frames),
            "kernel_unread_bytes": _unread_bytes(ws),
        }

    async def until_disconnected(self, timeout: float) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: not self.connected)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def _unread_bytes(ws: ClientConnection) -> int | None:
    sock = ws.transport.get_extra_info("socket")
    if sock is None:
        return None
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return None  # closed meanwhile
    unread: int = struct.unpack("i", raw)[0]
    return unread


def abort(ws: ClientConnection) -> None:
    """Close the TCP connection with a reset: no close frame, no FIN."""
    sock = ws.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.transport.abort()


@dataclass
class Outcome:
    seq: int | None  # None: refused
    code: str | None
    message: str | None
    seconds: float
    status: int


class Sender:
    """Sends with a clientId, so a send whose answer was lost can be retried."""

    def __init__(self, account: Account, channel: str) -> None:
        self.account = account
        self.channel = channel
        self.acknowledged: list[int] = []
        self.refusals: list[Outcome] = []
        self.attempts = 0
        self._clients: dict[str, httpx.AsyncClient] = {}

    def _client(self, server: Server) -> httpx.AsyncClient:
        client = self._clients.get(server.http_url)
        if client is None:
            limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
            client = httpx.AsyncClient(
                base_url=server.http_url, timeout=60, limits=limits
            )
            self._clients[server.http_url] = client
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def send(
        self, server: Server, text: str, client_id: str | None = None
    ) -> Outcome:
        client_id = client_id or uuid.uuid4().hex
        variables = {"channel": self.channel, "message": text, "clientId": client_id}
        headers = {"Authorization": f"Bearer {self.account.token}"}
        self.attempts += 1
        started = time.monotonic()
        try:
            response = await self._client(server).post(
                "/graphql",
                json={"query": SEND, "variables": variables},
                headers=headers,
            )
        except httpx.TransportError as exc:
            outcome = Outcome(None, None, repr(exc), time.monotonic() - started, 0)
            self.refusals.append(outcome)
            return outcome
        seconds = time.monotonic() - started
        body = response.json() if response.status_code == 200 else {}
        if body.get("data") and body["data"].get("sendMessage"):
            seq: int = body["data"]["sendMessage"]["seq"]
            self.acknowledged.append(seq)
            return Outcome(seq, None, None, seconds, response.status_code)
        error = (body.get("errors") or [{}])[0]
        outcome = Outcome(
            None,
            error.get("extensions", {}).get("code"),
            error.get("message", response.text),
            seconds,
            response.status_code,
        )
        self.refusals.append(outcome)
        return outcome


async def persisted_seqs(database_url: str, channel: str) -> list[int]:
    """The seqs stored for a channel, straight from PostgreSQL."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    pair = parse_chat_channel(channel)
    assert pair is not None, channel
    low, high = pair
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT m.seq FROM message m JOIN chat c ON c.id = m.chat_id "
            "WHERE c.user_low_id = $1 AND c.user_high_id = $2 ORDER BY m.seq",
            low,
            high,
        )
    finally:
        await connection.close()
    return [row["seq"] for row in rows]


@dataclass
class Ledger:
    """Acknowledged versus persisted versus received, per receiver."""

    acknowledged: list[int]
    persisted: list[int]
    received: dict[str, list[int]] = field(default_factory=dict)

    def lost(self, name: str) -> list[int]:
        return sorted(set(self.acknowledged) - set(self.received[name]))

    def duplicates(self, name: str) -> int:
        seqs = self.received[name]
        return len(seqs) - len(set(seqs))

    def in_order(self, name: str) -> bool:
        seqs = self.received[name]
        return seqs == sorted(seqs)

    def figures(self) -> dict[str, Any]:
        return {
            "acknowledged": len(self.acknowledged),
            "persisted": len(self.persisted),
            **{
                name: {
                    "received": len(seqs),
                    "lost": len(self.lost(name)),
                    "duplicates": self.duplicates(name),
                    "in_order": self.in_order(name),
                }
                for name, seqs in self.received.items()
            },
        }


async def delivery_counts(*servers: Server) -> dict[str, float]:
    """Live and caught-up deliveries, summed over processes that still run."""
    totals = {"live": 0.0, "caught_up": 0.0, "gaps": 0.0, "buffers_dropped": 0.0}
    for server in servers:
        if server.process is None or server.process.poll() is not None:
            continue
        samples = await scrape(server.http_url)
        totals["live"] += samples["sentichat_messages_delivered_live_total"]
        totals["caught_up"] += samples["sentichat_messages_caught_up_total"]
        totals["gaps"] += samples["sentichat_subscription_gaps_total"]
        totals["buffers_dropped"] += samples[
            "sentichat_subscription_buffers_dropped_total"
        ]
    return totals
