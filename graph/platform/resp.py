"""Redis commands on the request path, pipelined on one connection per process.

A send makes two Redis round trips (its rate limit's script, its PUBLISH),
and redis-py spent about 80 µs of CPU on each beyond the socket's own cost
(its connection pool, retry wrapper, observability hooks and reply parser
were a sixth of a send). This client speaks RESP2 itself, for commands
whose replies are plain values:

- one connection, opened on first use: every caller writes its command at
  once, and Redis answers in command order, so each caller waits on the
  next future in line;
- every wait is bounded; a timeout, an unreadable reply or a lost connection
  closes the connection and fails every command still waiting on it (their
  replies could no longer be told apart), and the next command reconnects;
- a Redis error reply raises `ReplyError` for that command only.

Subscriptions stay with redis-py (`graph.realtime.redis_backend`), whose
reader owns its connection.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha1
from typing import cast
from urllib.parse import unquote, urlsplit

# A reply's parts nest no deeper than this, and a bulk string is at most this
# long: Redis sends nothing like it to these commands, so more is garbage.
MAX_NESTING = 8
MAX_BULK_BYTES = 64 * 1024 * 1024

_DIGITS = re.compile(r"[0-9]{1,5}")

Reply = None | int | bytes | list["Reply"]
Argument = str | bytes | int | float


class ReplyError(Exception):
    """Redis refused the command (an `-ERR ...` reply); the connection is fine."""


class ProtocolError(ConnectionError):
    """Redis's reply could not be read: the connection is closed."""


@dataclass(frozen=True, slots=True)
class Address:
    """Where and how to connect, from a `redis://` or `rediss://` URL."""

    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Address:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            msg = f"a Redis URL is redis:// or rediss://, not {parts.scheme}://"
            raise ValueError(msg)
        path = parts.path.strip("/")
        if not _DIGITS.fullmatch(path or "0"):
            msg = f"a Redis URL's path is a database number, not {path!r}"
            raise ValueError(msg)
        db = int(path or 0)
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=db,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "rediss",
        )

    def greeting(self) -> list[tuple[Argument, ...]]:
        """The commands that prepare a new connection."""
        commands: list[tuple[Argument, ...]] = []
        if self.password is not None:
            user = (self.username,) if self.username else ()
            commands.append(("AUTH", *user, self.password))
        if self.db:
            commands.append(("SELECT", self.db))
        return commands


def encode(command: Sequence[Argument]) -> bytes:
    """A command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(command)]
    for argument in command:
        if isinstance(argument, bytes):
            data = argument
        elif isinstance(argument, str):
            data = argument.encode()
        elif isinstance(argument, int):
            data = b"%d" % argument  # an IntEnum's or a bool's number, too
        else:
            data = repr(float(argument)).encode()  # in full precision
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class _Incomplete(Exception):
    """The buffer holds only part of the next reply."""


class Parser:
    """RESP2 replies from a byte stream, each returned once it is whole."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._position = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def replies(self) -> list[Reply | ReplyError]:
        """Every whole reply received so far; ProtocolError on garbage."""
        found: list[Reply | ReplyError] = []
        while True:
            start = self._position
            try:
                found.append(self._reply(0))
            except _Incomplete:
                self._position = start
                break
        del self._buffer[: self._position]
        self._position = 0
        return found

    def _line(self) -> bytes:
        end = self._buffer.find(b"\r\n", self._position)
        if end < 0:
            raise _Incomplete
        line = bytes(self._buffer[self._position : end])
        self._position = end + 2
        return line

    def _reply(self, depth: int) -> Reply | ReplyError:
        if depth > MAX_NESTING:
            raise ProtocolError("Redis sent a reply nested too deeply")
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return ReplyError(rest.decode(errors="replace"))
        if kind == b":":
            return self._number(rest)
        if kind == b"$":
            return self._bulk(self._number(rest))
        if kind == b"*":
            count = self._number(rest)
            if count < 0:
                return None
            items: list[Reply] = []
            for _ in range(count):
                item = self._reply(depth + 1)
                if isinstance(item, ReplyError):
                    raise ProtocolError("Redis sent an error inside an array")
                items.append(item)
            return items
        raise ProtocolError(f"Redis sent a reply of unknown type {kind!r}")

    def _bulk(self, length: int) -> bytes | None:
        if length < 0:
            return None
        if length > MAX_BULK_BYTES:
            raise ProtocolError("Redis sent a bulk string too long to be a reply")
        end = self._position + length
        if len(self._buffer) < end + 2:
            raise _Incomplete
        if self._buffer[end : end + 2] != b"\r\n":
            raise ProtocolError("Redis sent a bulk string of the wrong length")
        data = bytes(self._buffer[self._position : end])
        self._position = end + 2
        return data

    @staticmethod
    def _number(text: bytes) -> int:
        try:
            return int(text)
        except ValueError:
            raise ProtocolError(f"Redis sent {text!r} for a number") from None


class _Connection(asyncio.Protocol):
    """One socket: commands written in order, replies matched in order."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = Parser()
        self._waiting: deque[asyncio.Future[Reply]] = deque()
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast("asyncio.Transport", transport)

    def send(self, data: bytes) -> asyncio.Future[Reply]:
        if self._transport is None or self.lost is not None:
            raise ConnectionError("the Redis connection is closed")
        reply: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting.append(reply)
        self._transport.write(data)
        return reply

    def data_received(self, data: bytes) -> None:
        self._parser.feed(data)
        try:
            replies = self._parser.replies()
        except ProtocolError as exc:
            self.close(exc)
            return
        for reply in replies:
            if not self._waiting:
                self.close(ProtocolError("Redis sent a reply nobody asked for"))
                return
            waiting = self._waiting.popleft()
            if waiting.done():
                continue  # its caller gave up (cancelled)
            if isinstance(reply, ReplyError):
                waiting.set_exception(reply)
            else:
                waiting.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("Redis closed the connection"))

    def close(self, reason: BaseException) -> None:
        self._fail(reason)
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, reason: BaseException) -> None:
        if self.lost is None:
            self.lost = reason
        while self._waiting:
            waiting = self._waiting.popleft()
            if not waiting.done():
                kind = (
                    ProtocolError
                    if isinstance(reason, ProtocolError)
                    else ConnectionError
                )
                error = kind(f"Redis connection lost: {reason}")
                error.__cause__ = reason
                waiting.set_exception(error)
                # Retrieved here: a caller that timed out never will.
                waiting.exception()


class RespClient:
    """Commands to one Redis server, pipelined on one lazily opened connection.

    Raises ReplyError for a refusal, OSError (ConnectionError, TimeoutError)
    when Redis cannot be reached or does not answer within `timeout` seconds.
    """

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        self._address = Address.parse(url)
        self._timeout = timeout
        self._connection: _Connection | None = None
        self._opening: asyncio.Future[_Connection] | None = None
        self._scripts: dict[str, str] = {}  # sha1 -> source

    async def execute(self, *command: Argument) -> Reply:
        connection = await self._connected()
        reply = connection.send(encode(command))
        try:
            async with asyncio.timeout(self._timeout):
                return await reply
        except TimeoutError:
            # Its reply may still come, in front of the next command's.
            connection.close(TimeoutError("Redis did not answer in time"))
            raise

    async def evalsha(
        self, script: str, keys: Sequence[Argument], args: Sequence[Argument]
    ) -> Reply:
        """Run a Lua script by its SHA1, loading it first if Redis lacks it
        (a restarted or flushed Redis forgets every script)."""
        digest = self._scripts.get(script)
        if digest is None:
            # The name Redis gives a script, not a security measure.
            digest = sha1(script.encode(), usedforsecurity=False).hexdigest()
            self._scripts[script] = digest
        try:
            return await self.execute("EVALSHA", digest, len(keys), *keys, *args)
        except ReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.execute("EVAL", script, len(keys), *keys, *args)

    async def close(self) -> None:
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close(ConnectionError("the client was closed"))

    async def _connected(self) -> _Connection:
        connection = self._connection
        if connection is not None and connection.lost is None:
            return connection
        # Callers arriving while a connection is being opened share that
        # attempt, and its outcome: one connection, one timeout.
        opening = self._opening
        if opening is None or opening.done():
            opening = self._opening = asyncio.ensure_future(self._open_in_time())
            opening.add_done_callback(_retrieved)
        return await asyncio.shield(opening)

    async def _open_in_time(self) -> _Connection:
        async with asyncio.timeout(self._timeout):
            connection = await self._open()
        self._connection = connection
        return connection

    async def _open(self) -> _Connection:
        address = self._address
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if address.tls else None
        try:
            _, connection = await loop.create_connection(
                _Connection, address.host, address.port, ssl=context
            )
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise
            # Refused, unresolvable, unreachable: said with where it was.
            where = f"{address.host}:{address.port}"
            raise ConnectionError(f"cannot reach Redis at {where}: {exc}") from exc
        try:
            greeting = [connection.send(encode(c)) for c in address.greeting()]
            for reply in greeting:
                await reply
        except BaseException as exc:
            connection.close(exc)
            if isinstance(exc, ReplyError):  # a wrong password, a missing db
                raise ConnectionError(f"Redis refused the connection: {exc}") from exc
            raise
        return connection


def _retrieved(opening: asyncio.Future[_Connection]) -> None:
    # A failed attempt whose callers all gave up is not an unhandled error.
    if not opening.cancelled():
        opening.exception()
