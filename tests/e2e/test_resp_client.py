"""RespClient against the real Redis, and against fake servers that
stall, refuse, hang up or send garbage; the basics again under uvloop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from hashlib import sha1
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import pytest
import uvloop
from redis.asyncio import Redis

from graph.platform.resp import Parser, ProtocolError, Reply, ReplyError, RespClient
from tests.support.services import require_redis

# --- helpers ------------------------------------------------------------------


def with_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def unique_prefix() -> str:
    return f"test-resp-{uuid.uuid4().hex[:12]}:"


@asynccontextmanager
async def resp_client(url: str, *, timeout: float = 1.0) -> AsyncIterator[RespClient]:
    client = RespClient(url, timeout=timeout)
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def redis_py(url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        yield client
    finally:
        await client.aclose()


async def delete_prefixed(url: str, prefix: str) -> None:
    async with redis_py(url) as redis:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)


class HangUp(Exception):
    """Raised by a fake server's responder: close this connection now."""


# (connection number from 0, the command's arguments) -> the bytes to answer
# with, or None to answer nothing.
Respond = Callable[[int, list[bytes]], Awaitable[bytes | None]]


async def never_answer(connection: int, command: list[bytes]) -> bytes | None:
    return None


class FakeRedis:
    """A TCP server on 127.0.0.1 that records each connection's commands."""

    def __init__(self, respond: Respond) -> None:
        self._respond = respond
        self.commands: list[list[list[bytes]]] = []  # one list per connection
        self.ended = 0  # connections closed (by either side)
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    def on(self, connection: int) -> list[list[bytes]]:
        """The commands received on that connection so far (none if not open)."""
        return self.commands[connection] if connection < len(self.commands) else []

    def url(self, userinfo: str = "", db: int = 0) -> str:
        return f"redis://{userinfo}127.0.0.1:{self.port}/{db}"

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(condition)

    async def wait_ended(self, count: int) -> None:
        """Until `count` connections have closed."""
        await self.wait_for(lambda: self.ended == count)

    async def __aenter__(self) -> FakeRedis:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # Commands are read (and recorded) as they come, and answered in order
        # by another task, so a slow answer does not hide the next commands.
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.append(writer)
        number = len(self.commands)
        self.commands.append([])
        queue: asyncio.Queue[list[bytes]] = asyncio.Queue()
        answering = asyncio.create_task(self._answer(number, queue, writer))
        self._handlers.add(answering)
        parser = Parser()
        await self._notify()
        try:
            while data := await reader.read(65536):
                parser.feed(data)
                for command in parser.replies():
                    arguments = cast("list[bytes]", command)
                    self.commands[number].append(arguments)
                    queue.put_nowait(arguments)
                await self._notify()
        except ConnectionError:
            pass
        finally:
            answering.cancel()
            await asyncio.gather(answering, return_exceptions=True)
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()
            self.ended += 1
            await self._notify()

    async def _answer(
        self,
        number: int,
        queue: asyncio.Queue[list[bytes]],
        writer: asyncio.StreamWriter,
    ) -> None:
        try:
            while True:
                answer = await self._respond(number, await queue.get())
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
        except HangUp:
            writer.close()
        except ConnectionError:
            pass


def bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


# --- round trips against the real Redis -----------------------------------------


async def test_ping_set_get_incr_and_a_missing_key() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    try:
        async with resp_client(url) as client, asyncio.timeout(5):
            assert await client.execute("PING") == b"PONG"
            assert await client.execute("SET", prefix + "k", b"v\r\n\x00\xff") == b"OK"
            assert await client.execute("GET", prefix + "k") == b"v\r\n\x00\xff"
            assert await client.execute("SET", prefix + "t", "héllo") == b"OK"
            assert await client.execute("GET", prefix + "t") == "héllo".encode()
            assert await client.execute("INCR", prefix + "n") == 1
            assert await client.execute("INCRBY", prefix + "n", 41) == 42
            assert await client.execute("DECRBY", prefix + "n", 50) == -8
            assert await client.execute("GET", prefix + "missing") is None
            assert await client.execute("SET", prefix + "f", 2.5) == b"OK"
            assert await client.execute("INCRBYFLOAT", prefix + "f", 0.25) == b"2.75"
    finally:
        await delete_prefixed(url, prefix)


async def test_a_large_value_crosses_many_reads_intact() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    value = bytes(range(256)) * (4 * 1024 * 3)  # 3 MiB, every byte value
    try:
        async with resp_client(url, timeout=5) as client, asyncio.timeout(10):
            assert await client.execute("SET", prefix + "big", value) == b"OK"
            assert await client.execute("GET", prefix + "big") == value
            assert await client.execute("STRLEN", prefix + "big") == len(value)
    finally:
        await delete_prefixed(url, prefix)


async def test_arrays_nested_arrays_and_null_arrays() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    try:
        async with resp_client(url) as client, asyncio.timeout(5):
            assert await client.execute("RPUSH", prefix + "l", "a", b"b", 3) == 3
            assert await client.execute("LRANGE", prefix + "l", 0, -1) == [
                b"a",
                b"b",
                b"3",
            ]
            assert await client.execute("LRANGE", prefix + "none", 0, -1) == []
            nested = await client.execute("EVAL", "return {1, {2, 'x', {}}, 'y'}", 0)
            assert nested == [1, [2, b"x", []], b"y"]
            # BLPOP that times out is RESP2's null array.
            assert await client.execute("BLPOP", prefix + "empty", 0.01) is None
    finally:
        await delete_prefixed(url, prefix)


async def test_an_error_reply_raises_reply_error_and_the_client_goes_on() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    try:
        async with resp_client(url) as client, asyncio.timeout(5):
            connection = await client.execute("CLIENT", "ID")
            await client.execute("SET", prefix + "text", "abc")
            with pytest.raises(ReplyError) as caught:
                await client.execute("INCR", prefix + "text")
            assert str(caught.value) == "ERR value is not an integer or out of range"
            with pytest.raises(ReplyError, match=r"^ERR unknown command"):
                await client.execute("NO-SUCH-COMMAND", "x")
            with pytest.raises(ReplyError, match=r"^WRONGTYPE"):
                await client.execute("LPUSH", prefix + "text", "x")
            assert await client.execute("INCR", prefix + "n") == 1
            assert await client.execute("PING") == b"PONG"
            # Still the same connection: a refusal does not cost a reconnect.
            assert await client.execute("CLIENT", "ID") == connection
    finally:
        await delete_prefixed(url, prefix)


async def test_an_error_in_a_pipeline_fails_only_its_own_command() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    try:
        async with resp_client(url) as client, asyncio.timeout(5):
            await client.execute("SET", prefix + "text", "abc")
            commands: list[tuple[str | int, ...]] = []
            for number in range(100):
                if number % 7 == 3:
                    commands.append(("INCR", prefix + "text"))
                else:
                    commands.append(("ECHO", number))
            results = await asyncio.gather(
                *(client.execute(*command) for command in commands),
                return_exceptions=True,
            )
            for number, result in enumerate(results):
                if number % 7 == 3:
                    assert isinstance(result, ReplyError), number
                else:
                    assert result == str(number).encode(), number
    finally:
        await delete_prefixed(url, prefix)


async def test_hundreds_of_concurrent_commands_each_get_their_own_reply() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    count = 500
    try:
        async with resp_client(url, timeout=5) as client, asyncio.timeout(20):
            echoes = await asyncio.gather(
                *(client.execute("ECHO", f"echo {n}") for n in range(count))
            )
            assert echoes == [f"echo {n}".encode() for n in range(count)]

            async def set_then_get(number: int) -> Reply:
                key = f"{prefix}{number}"
                assert await client.execute("SET", key, number * 3) == b"OK"
                return await client.execute("GET", key)

            values = await asyncio.gather(*(set_then_get(n) for n in range(count)))
            assert values == [str(n * 3).encode() for n in range(count)]
            # All of it went down one connection.
            ids = await asyncio.gather(
                *(client.execute("CLIENT", "ID") for _ in range(50))
            )
            assert len(set(ids)) == 1
    finally:
        await delete_prefixed(url, prefix)


async def test_concurrent_first_commands_share_one_connection() -> None:
    url = await require_redis()
    async with resp_client(url) as client, asyncio.timeout(5):
        ids = await asyncio.gather(*(client.execute("CLIENT", "ID") for _ in range(50)))
        assert len(set(ids)) == 1


async def test_the_db_number_of_the_url_is_selected() -> None:
    base = await require_redis()
    db = 6 if urlsplit(base).path.strip("/") == "5" else 5
    key = unique_prefix() + "in-db"
    try:
        async with resp_client(with_db(base, db)) as client, asyncio.timeout(5):
            assert await client.execute("SET", key, "here") == b"OK"
            assert await client.execute("GET", key) == b"here"
        async with redis_py(with_db(base, db)) as redis:
            assert await redis.get(key) == b"here"
        async with redis_py(with_db(base, 0 if db != 0 else 1)) as other:
            assert await other.get(key) is None
    finally:
        async with redis_py(with_db(base, db)) as redis:
            await redis.delete(key)


async def test_a_db_redis_does_not_have_is_a_refused_connection() -> None:
    url = await require_redis()
    async with resp_client(with_db(url, 9999)) as client, asyncio.timeout(5):
        with pytest.raises(ConnectionError, match="Redis refused the connection: ERR"):
            await client.execute("PING")


async def test_a_password_redis_does_not_expect_is_a_refused_connection() -> None:
    url = await require_redis()
    parts = urlsplit(url)
    if parts.password is not None:
        pytest.skip("this Redis has a password; the test needs one without")
    wrong = urlunsplit(parts._replace(netloc=f":not-the-password@{parts.netloc}"))
    async with resp_client(wrong) as client, asyncio.timeout(5):
        with pytest.raises(ConnectionError, match="Redis refused the connection"):
            await client.execute("PING")


# --- scripts ------------------------------------------------------------------


async def test_evalsha_runs_a_script_and_survives_a_script_flush() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    script = (
        "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) return {KEYS[1], n, ARGV[2]}"
    )
    digest = sha1(script.encode(), usedforsecurity=False).hexdigest()
    key = prefix + "counter"
    try:
        async with resp_client(url) as client, asyncio.timeout(5):
            first = await client.evalsha(script, [key], [5, b"x"])
            assert first == [key.encode(), 5, b"x"]
            assert await client.execute("SCRIPT", "EXISTS", digest) == [1]
            assert await client.evalsha(script, [key], [5, "y"]) == [
                key.encode(),
                10,
                b"y",
            ]

            assert await client.execute("SCRIPT", "FLUSH") == b"OK"
            assert await client.execute("SCRIPT", "EXISTS", digest) == [0]
            # NOSCRIPT: the client falls back to EVAL, which loads it again.
            assert await client.evalsha(script, [key], [1, "z"]) == [
                key.encode(),
                11,
                b"z",
            ]
            assert await client.execute("SCRIPT", "EXISTS", digest) == [1]
            assert await client.evalsha(script, [key], [1, "w"]) == [
                key.encode(),
                12,
                b"w",
            ]
    finally:
        await delete_prefixed(url, prefix)


async def test_a_failing_script_raises_reply_error() -> None:
    url = await require_redis()
    prefix = unique_prefix()
    try:
        async with resp_client(url) as client, asyncio.timeout(5):
            await client.execute("SET", prefix + "text", "abc")
            with pytest.raises(ReplyError, match="not an integer"):
                await client.evalsha(
                    "return redis.call('INCR', KEYS[1])", [prefix + "text"], []
                )
            with pytest.raises(ReplyError, match="Error compiling script"):
                await client.evalsha("this is not lua", [], [])
            assert await client.execute("PING") == b"PONG"
    finally:
        await delete_prefixed(url, prefix)


# --- Redis unreachable, or killing the connection ----------------------------------


async def test_an_unreachable_redis_raises_an_os_error_promptly() -> None:
    async with resp_client("redis://127.0.0.1:1/0", timeout=0.5) as client:
        async with asyncio.timeout(5):
            for _ in range(2):
                # Said with where it was, for the log line an operator reads.
                with pytest.raises(
                    ConnectionError, match=r"cannot reach Redis at 127\.0\.0\.1:1"
                ):
                    await client.execute("PING")
            results = await asyncio.gather(
                *(client.execute("PING") for _ in range(20)), return_exceptions=True
            )
        assert all(isinstance(result, OSError) for result in results), results


async def test_rediss_to_a_plain_redis_fails_with_an_os_error() -> None:
    url = await require_redis()
    tls = urlunsplit(urlsplit(url)._replace(scheme="rediss"))
    async with resp_client(tls, timeout=0.5) as client, asyncio.timeout(5):
        with pytest.raises(OSError):  # noqa: PT011 (an SSLError or a timeout)
            await client.execute("PING")


async def test_a_connection_killed_by_redis_is_replaced() -> None:
    url = await require_redis()
    async with (
        resp_client(url) as client,
        redis_py(url) as admin,
        asyncio.timeout(5),
    ):
        old = await client.execute("CLIENT", "ID")
        assert isinstance(old, int)
        listed = {int(entry["id"]) for entry in await admin.client_list()}
        assert old in listed
        assert await admin.client_kill_filter(_id=str(old)) == 1

        # The client learns of the close at its next read: a command racing it
        # may fail once with ConnectionError, and the next one reconnects.
        outcomes: list[Reply | ConnectionError] = []
        for _ in range(2):
            try:
                outcomes.append(await client.execute("CLIENT", "ID"))
                break
            except ConnectionError as exc:
                outcomes.append(exc)
        new = outcomes[-1]
        assert isinstance(new, int), outcomes
        assert new != old
        assert await client.execute("PING") == b"PONG"
        listed = {int(entry["id"]) for entry in await admin.client_list()}
        assert new in listed
        assert old not in listed


async def test_commands_in_flight_when_redis_kills_the_connection_fail() -> None:
    url = await require_redis()
    async with (
        resp_client(url) as client,
        redis_py(url) as admin,
        asyncio.timeout(5),
    ):
        old = await client.execute("CLIENT", "ID")
        assert isinstance(old, int)
        # One command blocks Redis's side of the connection while it is killed.
        blocked = asyncio.create_task(client.execute("BLPOP", unique_prefix(), 0.5))
        behind = [asyncio.create_task(client.execute("ECHO", n)) for n in range(10)]
        assert await admin.client_kill_filter(_id=str(old)) == 1
        results = await asyncio.gather(blocked, *behind, return_exceptions=True)
        assert all(isinstance(result, ConnectionError) for result in results), results
        assert await client.execute("PING") == b"PONG"
        assert await client.execute("CLIENT", "ID") != old


# --- fake servers: silence, cancellation, hang-ups -----------------------------------


async def test_a_silent_server_times_out_fails_the_rest_and_reconnects() -> None:
    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        return None if connection == 0 else b"+PONG\r\n"

    async with (
        FakeRedis(respond) as server,
        resp_client(server.url(), timeout=0.2) as client,
        asyncio.timeout(5),
    ):
        first = asyncio.create_task(client.execute("PING"))
        await server.wait_for(lambda: server.on(0) == [[b"PING"]])
        # Half a timeout later, so these are still waiting when the first
        # command's timeout closes the connection (a time offset, not a wait).
        await asyncio.sleep(0.1)
        others = [asyncio.create_task(client.execute("ECHO", n)) for n in range(5)]
        await server.wait_for(lambda: len(server.on(0)) == 6)
        with pytest.raises(TimeoutError):
            await first
        results = await asyncio.gather(*others, return_exceptions=True)
        for result in results:
            assert isinstance(result, ConnectionError), results
            assert "did not answer in time" in str(result)
        await server.wait_ended(1)  # the client hung up

        assert await client.execute("PING") == b"PONG"
        assert len(server.commands) == 2
        assert server.commands[1] == [[b"PING"]]


async def test_a_cancelled_command_does_not_take_the_next_commands_reply() -> None:
    release = asyncio.Event()

    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        if command == [b"ECHO", b"slow"]:
            await release.wait()
        return bulk(command[1])

    async with (
        FakeRedis(respond) as server,
        resp_client(server.url(), timeout=5) as client,
        asyncio.timeout(5),
    ):
        slow = asyncio.create_task(client.execute("ECHO", "slow"))
        await server.wait_for(lambda: [b"ECHO", b"slow"] in server.on(0))
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        fast = asyncio.create_task(client.execute("ECHO", "fast"))
        await server.wait_for(lambda: [b"ECHO", b"fast"] in server.on(0))
        release.set()  # "slow" is answered first, and nobody waits for it now
        assert await fast == b"fast"
        assert await client.execute("ECHO", "again") == b"again"
        assert len(server.commands) == 1


async def test_a_server_hanging_up_fails_the_commands_in_flight() -> None:
    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        if connection == 0:
            raise HangUp
        return b"+PONG\r\n"

    async with (
        FakeRedis(respond) as server,
        resp_client(server.url()) as client,
        asyncio.timeout(5),
    ):
        results = await asyncio.gather(
            *(client.execute("ECHO", n) for n in range(3)), return_exceptions=True
        )
        assert all(isinstance(result, ConnectionError) for result in results), results
        assert not any(isinstance(result, TimeoutError) for result in results)
        assert await client.execute("PING") == b"PONG"
        assert len(server.commands) == 2


async def test_close_fails_the_commands_in_flight() -> None:
    async with FakeRedis(never_answer) as server, asyncio.timeout(5):
        client = RespClient(server.url(), timeout=5)
        waiting = [asyncio.create_task(client.execute("PING")) for _ in range(3)]
        await server.wait_for(lambda: server.on(0) == [[b"PING"]] * 3)
        await client.close()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        for result in results:
            assert isinstance(result, ConnectionError), results
            assert "the client was closed" in str(result)
        await client.close()  # twice is harmless
        await server.wait_ended(1)


# --- fake servers: the greeting -----------------------------------------------------


def reply_ok_and_pong(answers: dict[bytes, bytes] | None = None) -> Respond:
    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        if answers and command[0] in answers:
            return answers[command[0]]
        return b"+PONG\r\n" if command[0] == b"PING" else b"+OK\r\n"

    return respond


@pytest.mark.parametrize(
    ("userinfo", "db", "greeting"),
    [
        ("user:p%40ss@", 3, [[b"AUTH", b"user", b"p@ss"], [b"SELECT", b"3"]]),
        (":secret@", 0, [[b"AUTH", b"secret"]]),
        ("", 2, [[b"SELECT", b"2"]]),
        ("", 0, []),
    ],
)
async def test_auth_and_select_are_sent_first_and_only_when_needed(
    userinfo: str, db: int, greeting: list[list[bytes]]
) -> None:
    async with (
        FakeRedis(reply_ok_and_pong()) as server,
        resp_client(server.url(userinfo, db)) as client,
        asyncio.timeout(5),
    ):
        assert await client.execute("PING") == b"PONG"
        assert await client.execute("PING") == b"PONG"
        assert server.commands == [[*greeting, [b"PING"], [b"PING"]]]


async def test_a_refused_auth_is_a_connection_error_not_a_reply_error() -> None:
    refusal = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    async with (
        FakeRedis(reply_ok_and_pong({b"AUTH": refusal})) as server,
        resp_client(server.url("user:wrong@", 3)) as client,
        asyncio.timeout(5),
    ):
        for attempt in range(1, 3):
            with pytest.raises(ConnectionError) as caught:
                await client.execute("PING")
            assert not isinstance(caught.value, ReplyError)
            assert "Redis refused the connection" in str(caught.value)
            assert "WRONGPASS" in str(caught.value)
            # Each attempt is a new connection, closed by the client.
            await server.wait_ended(attempt)
        assert len(server.commands) == 2
        assert all([b"PING"] not in commands for commands in server.commands)


async def test_a_silent_server_during_the_greeting_times_out() -> None:
    async with (
        FakeRedis(never_answer) as server,
        resp_client(server.url(":pw@"), timeout=0.2) as client,
        asyncio.timeout(5),
    ):
        with pytest.raises(TimeoutError):
            await client.execute("PING")
        await server.wait_ended(1)
        assert server.commands == [[[b"AUTH", b"pw"]]]


# Callers arriving while a connection is being opened share that attempt: a
# Redis that accepts but never answers costs a burst one timeout, not one each
# in turn.
async def test_concurrent_callers_of_a_stalled_connect_fail_in_time() -> None:
    async with (
        FakeRedis(never_answer) as server,
        resp_client(server.url(":pw@"), timeout=0.2) as client,
        asyncio.timeout(10),
    ):
        results = await asyncio.gather(
            *(client.execute("PING") for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(result, TimeoutError) for result in results)
        assert len(server.commands) == 1  # one connection tried, not ten


# --- fake servers: garbage ------------------------------------------------------


async def test_a_garbage_reply_fails_the_command_and_the_next_one_reconnects() -> None:
    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        return b"?what\r\n" if connection == 0 else b"+PONG\r\n"

    async with (
        FakeRedis(respond) as server,
        resp_client(server.url(), timeout=5) as client,
        asyncio.timeout(2),  # far less than the client's timeout: no hanging
    ):
        with pytest.raises(ConnectionError, match="unknown type"):
            await client.execute("PING")
        await server.wait_ended(1)
        assert await client.execute("PING") == b"PONG"
        assert len(server.commands) == 2


async def test_a_garbage_reply_raises_protocol_error() -> None:
    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        return b"?what\r\n"

    async with (
        FakeRedis(respond) as server,
        resp_client(server.url(), timeout=5) as client,
        asyncio.timeout(2),
    ):
        with pytest.raises(ProtocolError):
            await client.execute("PING")


async def test_a_reply_nobody_asked_for_closes_the_connection() -> None:
    async def respond(connection: int, command: list[bytes]) -> bytes | None:
        return b"+ONE\r\n+TWO\r\n" if connection == 0 else b"+PONG\r\n"

    async with (
        FakeRedis(respond) as server,
        resp_client(server.url()) as client,
        asyncio.timeout(5),
    ):
        assert await client.execute("PING") == b"ONE"
        await server.wait_ended(1)
        # "TWO" cannot be told from the next command's reply: a new connection.
        assert await client.execute("PING") == b"PONG"
        assert len(server.commands) == 2


# --- uvloop ---------------------------------------------------------------------

UVLOOP_SCENARIOS: list[Callable[[], Coroutine[Any, Any, None]]] = [
    test_ping_set_get_incr_and_a_missing_key,
    test_an_error_reply_raises_reply_error_and_the_client_goes_on,
    test_hundreds_of_concurrent_commands_each_get_their_own_reply,
    test_evalsha_runs_a_script_and_survives_a_script_flush,
    test_an_unreachable_redis_raises_an_os_error_promptly,
    test_a_connection_killed_by_redis_is_replaced,
    test_a_silent_server_times_out_fails_the_rest_and_reconnects,
    test_a_cancelled_command_does_not_take_the_next_commands_reply,
    test_a_server_hanging_up_fails_the_commands_in_flight,
    test_a_garbage_reply_fails_the_command_and_the_next_one_reconnects,
]


# uvloop's transports implement asyncio.Transport without subclassing it.
@pytest.mark.parametrize(
    "scenario", UVLOOP_SCENARIOS, ids=[s.__name__ for s in UVLOOP_SCENARIOS]
)
def test_under_uvloop(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)
        runner.run(scenario())
