"""Sentichat's Redis pub/sub backend for broadcaster.

The stock backend starts its listener before any SUBSCRIBE is registered;
with redis-py 8 that listener exits at once, so a fresh process's first
subscription hears nothing, and it never recovers from a lost connection
(encode/broadcaster#144). This one owns a single subscriber connection read by
one task for the life of the backend:

- `subscribe()` returns only after Redis has confirmed the SUBSCRIBE, so an
  event published after it returns is delivered;
- an idle connection is probed with PING, and a dead or silent one is
  replaced with backoff, every channel subscribed again.

Redis pub/sub is fire-and-forget: what was published while the connection
was down is gone. So when Redis confirms a channel that no `subscribe()` call
is waiting for (a channel subscribed again after an outage, or one whose
confirmation came too late), the backend publishes `GAP` on it locally, after
which every subscriber of the channel catches up from the database by `seq`.
`subscribe()` therefore never fails: while Redis is down it returns at once,
and the subscriber hears `GAP` once the channel is live again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from graph.platform.logs import describe
from graph.realtime.hub import GAP, raise_if_cancelled

logger = logging.getLogger(__name__)

# Pooled connections to Redis a process opens at most, for publishing and for
# presence (`presence`) each. A burst beyond them waits for one, up to the
# timeout: redis-py's default pool refuses at once past 100, and hundreds of
# sockets closing together had their unregistrations refused (2026-12-06).
REDIS_CONNECTIONS = 32


def waiting_pool(url: str, timeout: float, **options: Any) -> BlockingConnectionPool:
    """A pool of `REDIS_CONNECTIONS` whose callers wait for a free one."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_CONNECTIONS,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        **options,
    )


INITIAL_BACKOFF = 0.05
OUTAGE_REMINDER_SECONDS = 30.0


class RedisBackend(BroadcastBackend):
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        timeout: float = 5.0,
        health_interval: float = 5.0,
        max_backoff: float = 2.0,
    ) -> None:
        # RESP2: under RESP3 (redis-py 8's default) pub/sub messages are push
        # frames diverted to a handler instead of returned by read_response().
        self._pool = waiting_pool(url, timeout, protocol=2)
        # Publishing is on the send's path: pooled connections of the same
        # settings (the subscriber's connection is made apart, by `_run`).
        self._publisher = Redis(connection_pool=self._pool)
        self._prefix = prefix
        self._timeout = timeout
        self._health_interval = health_interval
        self._max_backoff = max_backoff
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._channels: set[str] = set()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._conn: AbstractConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def connect(self) -> None:
        self._reader = asyncio.create_task(self._run(), name="redis-backend-reader")

    async def disconnect(self) -> None:
        self._closing = True  # the reader stops even if redis-py ate the cancel
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._publisher.aclose()
        await self._pool.disconnect()

    async def subscribe(self, channel: str) -> None:
        """Return once Redis confirms the channel, or once it is left pending.

        A pending channel (Redis down, or too slow to confirm) is subscribed
        by the reader when it can, and its subscribers then hear `GAP`.
        """
        self._channels.add(channel)
        conn = self._conn
        if conn is None:
            return
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations[channel] = confirmed
        try:
            async with asyncio.timeout(self._timeout):
                await conn.send_command("SUBSCRIBE", self._prefix + channel)
                await confirmed
        except (TimeoutError, RedisError, OSError, AttributeError) as exc:
            # AttributeError: redis-py on a connection closed under it.
            logger.warning("SUBSCRIBE %s pending: %s", channel, describe(exc))
        finally:
            if self._confirmations.get(channel) is confirmed:
                del self._confirmations[channel]

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        conn = self._conn
        if conn is None:
            return  # not resubscribed when the reader reconnects
        try:
            await conn.send_command("UNSUBSCRIBE", self._prefix + channel)
        except (RedisError, OSError, AttributeError):
            # Lost meanwhile (redis-py raises AttributeError on a connection
            # closed under it); the next connection will not subscribe it.
            logger.info("UNSUBSCRIBE %s not sent: connection lost", channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._publisher.publish(self._prefix + channel, message)

    async def next_published(self) -> Event:
        return await self._events.get()

    async def ping(self) -> bool:
        """Whether both the publishing and the subscriber connection are up."""
        pong = await self._publisher.ping()
        return pong is True and self.connected

    @property
    def listening(self) -> bool:
        """Whether the reader task runs (it only ends when disconnected)."""
        return self._reader is not None and not self._reader.done()

    async def _run(self) -> None:
        outage = _Outage()
        delay = INITIAL_BACKOFF
        while not self._closing:
            conn = self._pool.connection_class(**self._pool.connection_kwargs)
            try:
                await conn.connect()  # type: ignore[no-untyped-call]
                raise_if_cancelled()
                # Published before the resubscription, so a concurrent
                # subscribe() sends its own SUBSCRIBE rather than be missed.
                self._conn = conn
                if self._channels:
                    wire = sorted(self._prefix + name for name in self._channels)
                    await conn.send_command("SUBSCRIBE", *wire)
                if outage.recovered():
                    self.reconnects += 1
                delay = INITIAL_BACKOFF
                await self._read(conn)
            except (RedisError, OSError) as exc:
                outage.failed(exc)
            except Exception as exc:
                # A bug or an unexpected reply must not end the reader quietly.
                logger.exception("Redis subscriber failed; reconnecting")
                outage.failed(exc)
            finally:
                self._conn = None
                self._fail_confirmations()
                await conn.disconnect(nowait=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    async def _read(self, conn: AbstractConnection) -> None:
        awaiting_pong = False
        while not self._closing:
            response = await conn.read_response(timeout=self._health_interval)
            raise_if_cancelled()
            if response is None:
                if awaiting_pong:
                    raise ConnectionError("Redis did not answer PING")
                await conn.send_command("PING")
                awaiting_pong = True
                continue
            awaiting_pong = False
            self._handle(response)

    def _handle(self, response: Any) -> None:
        if not isinstance(response, list) or len(response) < 3:
            return  # PONG outside subscribed mode
        kind, data = response[0], response[2]
        channel = _text(response[1]).removeprefix(self._prefix)
        if kind == b"message":
            self._events.put_nowait(Event(channel=channel, message=_text(data)))
        elif kind == b"subscribe":
            confirmed = self._confirmations.pop(channel, None)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            elif channel in self._channels:
                # Nobody waits for this one: subscribed again after an outage,
                # or confirmed too late. Its past events may be gone.
                self._events.put_nowait(Event(channel=channel, message=GAP))  # type: ignore[arg-type]

    def _fail_confirmations(self) -> None:
        for confirmed in self._confirmations.values():
            if not confirmed.done():
                confirmed.set_exception(ConnectionError("Redis connection lost"))
        self._confirmations.clear()


class _Outage:
    """Logs a lost connection once, a reminder while it lasts, and its end."""

    def __init__(self) -> None:
        self._since: float | None = None
        self._reminded = 0.0
        self._attempts = 0

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._attempts += 1
        if self._since is None:
            self._since = self._reminded = now
            logger.warning("Redis subscriber connection lost (%s); reconnecting", exc)
        elif now - self._reminded >= OUTAGE_REMINDER_SECONDS:
            self._reminded = now
            logger.warning(
                "Redis still unreachable after %.0f s, %d attempts (%s)",
                now - self._since,
                self._attempts,
                exc,
            )

    def recovered(self) -> bool:
        """Whether a connection came back after an outage (and log it)."""
        if self._since is None:
            return False
        logger.warning(
            "Redis subscriber connection restored after %.1f s",
            time.monotonic() - self._since,
        )
        self._since, self._attempts = None, 0
        return True


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
