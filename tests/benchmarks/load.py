"""The load processes: open-loop HTTP senders, subscribers, idle sockets,
and the scale scenario's held sockets and closed-loop senders.

Open loop: requests go out on a fixed schedule whatever the answers, and a
latency is counted from the scheduled instant, so a server that falls behind
is charged for the queue it causes (no coordinated omission). Closed loop
(throughput only): each sender sends again once answered, which finds the
most the servers answer, not the latency users would see.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.benchmarks import protocol
from tests.benchmarks.protocol import Account, MoodQuery, Request
from tests.benchmarks.workers import Link

CONNECT_CONCURRENCY = 64
MAX_CONNECTIONS_PER_SERVER = 512
DRAIN_TIMEOUT_S = 30.0
# How long a drain that has all it expects still listens, so that what
# should not come (a repeat, a send on `messageChanges`) is counted in the
# run that caused it: such a frame would come about when the expected ones do.
SETTLE_S = 0.2


class HttpConnection:
    """One keep-alive HTTP/1.1 connection; answers must carry Content-Length."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def post(self, request: Request) -> tuple[int, bytes]:
        head = (
            f"POST {request.path} HTTP/1.1\r\nHost: bench\r\n"
            f"Content-Length: {len(request.body)}\r\n"
        ).encode()
        self._writer.write(head + request.headers + b"\r\n" + request.body)
        header = await self._reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = None
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("an answer without Content-Length")
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        self._writer.close()


@dataclass(frozen=True)
class Outcome:
    index: int
    scheduled_ns: int  # time.time_ns() of the scheduled send
    latency_us: float
    ok: bool
    key: str = ""  # an answered change's "id:version" (protocol.CHANGES)
    wrong: bool = False  # answered, but not right (not ok either)


@dataclass(frozen=True)
class OpenLoopPlan:
    system: str
    operation: str  # a key of protocol.FIELDS
    servers: tuple[tuple[str, int], ...]
    accounts: tuple[Account, ...]
    tag: str  # clientIds are tag + index, unique across the run
    # "edit" and "react": the message each account changes (by position).
    targets: tuple[int, ...] = ()
    # "mood": what each request asks for, and what every answer must hold.
    mood: MoodQuery | None = None


class OpenLoop:
    """Fires requests on schedule over per-server pools of connections."""

    def __init__(self, plan: OpenLoopPlan) -> None:
        self.plan = plan
        self._idle: list[deque[HttpConnection]] = [deque() for _ in plan.servers]
        self._open = [0 for _ in plan.servers]
        self.errors: list[str] = []

    def request(self, index: int, position: int) -> Request:
        """Request `index` (numbered over the worker's life), the `position`th
        of its run (from 0).

        A run of "read" takes each account's read position forward from
        nothing read: the k-th request of an account in the run marks seq k
        read (the orchestrator puts the positions back between runs).
        """
        plan = self.plan
        account = plan.accounts[index % len(plan.accounts)]
        operation = plan.operation
        if operation == "send":
            text = protocol.PHRASES[index % len(protocol.PHRASES)]
            return protocol.send_request(
                plan.system, account, text, f"{plan.tag}{index}"
            )
        if operation == "history":
            return protocol.history_request(plan.system, account, last=50)
        if operation == "read":
            seq = 1 + position // len(plan.accounts)
            return protocol.mark_read_request(plan.system, account, seq)
        if operation == "chats":
            return protocol.chats_request(plan.system, account, protocol.CHATS_PAGE)
        if operation == "unread":
            return protocol.unread_total_request(plan.system, account)
        if operation == "edit":
            # Numbered, so that each edit changes the text.
            text = f"{protocol.PHRASES[index % len(protocol.PHRASES)]} #{index}"
            target = plan.targets[index % len(plan.accounts)]
            return protocol.edit_request(account, target, text)
        if operation == "react":
            emoji, on = protocol.reaction(index // len(plan.accounts))
            target = plan.targets[index % len(plan.accounts)]
            return protocol.react_request(account, target, emoji, on)
        if operation == "mood":
            assert plan.mood is not None, "a moodHistory load needs its MoodQuery"
            return protocol.mood_history_request(account, plan.mood.buckets)
        raise ValueError(f"no such operation: {operation!r}")

    async def run(self, rate: float, count: int, first: int = 0) -> list[Outcome]:
        """`count` requests at `rate` per second; their outcomes once all answered."""
        requests = [self.request(first + i, i) for i in range(count)]
        outcomes: list[Outcome] = []
        tasks: set[asyncio.Task[None]] = set()
        start_ns = time.time_ns() + 20_000_000
        start = time.perf_counter() + 0.02
        for i, request in enumerate(requests):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            scheduled_ns = start_ns + int(i * 1e9 / rate)
            task = asyncio.create_task(
                self._fire(
                    first + i,
                    (first + i) % len(self.plan.servers),
                    request,
                    scheduled_ns,
                    start + i / rate,
                    outcomes,
                )
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT_S)
        # Unanswered after the drain timeout: failed, and not left to load
        # the next step.
        for task in list(tasks):
            task.cancel()
        answered = {outcome.index for outcome in outcomes}
        for i in range(count):
            if first + i not in answered:
                scheduled_ns = start_ns + int(i * 1e9 / rate)
                outcomes.append(
                    Outcome(first + i, scheduled_ns, DRAIN_TIMEOUT_S * 1e6, False)
                )
        return outcomes

    async def _fire(
        self,
        index: int,
        server: int,
        request: Request,
        scheduled_ns: int,
        scheduled: float,
        outcomes: list[Outcome],
    ) -> None:
        ok = wrong = False
        body = b""
        try:
            status, body = await self._post(server, request)
            ok = protocol.answered(self.plan.system, status, body, self._operation)
            if not ok and len(self.errors) < 5:
                self.errors.append(f"{status}: {body[:300]!r}")
        except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
            if len(self.errors) < 5:
                self.errors.append(repr(exc))
        latency_us = (time.perf_counter() - scheduled) * 1e6
        key = ""
        if ok and self.plan.operation in protocol.CHANGES:
            key = protocol.changed_key(body, self.plan.operation)
        if ok and self.plan.mood is not None:
            fault = protocol.mood_answer_fault(body, self.plan.mood)
            wrong = fault is not None
            ok = not wrong
            if wrong and len(self.errors) < 5:
                self.errors.append(f"a wrong answer: {fault}")
        outcomes.append(Outcome(index, scheduled_ns, latency_us, ok, key, wrong))

    async def _post(self, server: int, request: Request) -> tuple[int, bytes]:
        """As HTTP clients do: a kept-alive connection the server closed
        meanwhile (uvicorn's keep-alive timeout) is replaced, once."""
        for attempt in (1, 2):
            connection, reused = await self._connection(server, fresh=attempt == 2)
            try:
                answer = await connection.post(request)
            except (OSError, asyncio.IncompleteReadError) as exc:
                self._open[server] -= 1
                connection.close()
                stale = isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
                if reused and attempt == 1 and (stale or isinstance(exc, OSError)):
                    continue
                raise
            self._idle[server].append(connection)
            return answer
        raise AssertionError("unreachable")

    @property
    def _operation(self) -> str:
        return protocol.FIELDS[self.plan.operation]

    async def _connection(
        self, server: int, *, fresh: bool = False
    ) -> tuple[HttpConnection, bool]:
        """An idle connection (reused: True) or, if none or `fresh`, a new one."""
        idle = self._idle[server]
        if idle and not fresh:
            return idle.pop(), True
        if self._open[server] >= MAX_CONNECTIONS_PER_SERVER and not fresh:
            while not idle:  # every connection busy: wait for one
                await asyncio.sleep(0.001)
            return idle.pop(), True
        self._open[server] += 1
        host, port = self.plan.servers[server]
        try:
            return await HttpConnection.open(host, port), False
        except OSError:
            self._open[server] -= 1
            raise


async def open_loop_worker(link: Link, plan: OpenLoopPlan) -> None:
    """Runs ("run", rate, count, first) commands until told None."""
    loop = OpenLoop(plan)
    link.send("ready")
    while (command := await link.receive()) is not None:
        _, rate, count, first = command
        outcomes = await loop.run(rate, count, first)
        link.send(("done", outcomes, list(loop.errors)))
        loop.errors.clear()


# -- WebSockets ---------------------------------------------------------------


@dataclass(frozen=True)
class SocketPlan:
    system: str
    servers: tuple[tuple[str, int], ...]
    accounts: tuple[Account, ...]
    # Sentichat: each socket also subscribes to `messageChanges` on its chat.
    changes: bool = False


# What a socket received on `messageChanges`: (clientId, "id:version", time.time_ns()).
Change = tuple[str, str, int]


class Socket:
    """One subscribed client: records deliveries, answers pings."""

    def __init__(self, system: str, connection: ClientConnection) -> None:
        self.system = system
        self.connection = connection
        self.received: list[tuple[str, int]] = []  # (clientId, time.time_ns())
        self.changes: list[Change] = []
        self.pong: asyncio.Future[None] | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        system = self.system
        async for frame in self.connection:
            now = time.time_ns()
            if frame == "pong" or frame == '{"type":"pong"}':
                if self.pong is not None and not self.pong.done():
                    self.pong.set_result(None)
                continue
            if system == protocol.SENTICHAT and '"type":"ping"' in frame:
                await self.connection.send('{"type":"pong"}')
                continue
            delivered = protocol.delivery(system, frame)
            if delivered is None:
                if system == protocol.SENTICHAT and '"type":"next"' not in frame:
                    raise RuntimeError(f"unexpected frame: {frame[:300]!r}")
            elif delivered.changes:
                self.changes.append((delivered.client_id, delivered.key, now))
            else:
                self.received.append((delivered.client_id, now))

    async def ping(self) -> float:
        """The round trip of one application-level ping, in µs."""
        self.pong = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await self.connection.send(
            "ping" if self.system == protocol.BASELINE else '{"type":"ping"}'
        )
        await asyncio.wait_for(self.pong, 10)
        return (time.perf_counter() - started) * 1e6

    async def close(self) -> None:
        self.reader.cancel()
        await self.connection.close()


async def _connect(
    system: str, server: tuple[str, int], channel: str
) -> ClientConnection:
    host, port = server
    uri = f"ws://{host}:{port}{protocol.websocket_path(system, channel)}"
    subprotocols: Any = [protocol.WS_PROTOCOL] if system == protocol.SENTICHAT else None
    return await connect(
        uri,
        subprotocols=subprotocols,
        compression=None,
        ping_interval=None,
        open_timeout=30,
        max_size=2**20,
    )


async def _start(connection: ClientConnection, frames: list[bytes]) -> None:
    """graphql-transport-ws: the connection_init (the first frame), its ack
    awaited, then the subscribes."""
    init, *subscribes = frames
    await connection.send(init.decode())
    ack = await asyncio.wait_for(connection.recv(), 30)
    if '"connection_ack"' not in ack:
        raise RuntimeError(f"no connection_ack: {ack!r}")
    for subscribe in subscribes:
        await connection.send(subscribe.decode())


async def open_socket(
    system: str, server: tuple[str, int], account: Account, changes: bool = False
) -> Socket:
    connection = await _connect(system, server, account.channel)
    if system == protocol.SENTICHAT:
        await _start(connection, protocol.subscribe_messages(account, changes))
    return Socket(system, connection)


async def open_sockets(
    plan: SocketPlan, indexes: range, sockets: dict[int, Socket]
) -> None:
    """Socket i for account i, on server i mod the number of servers."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            server = plan.servers[i % len(plan.servers)]
            sockets[i] = await open_socket(
                plan.system, server, plan.accounts[i], plan.changes
            )

    await asyncio.gather(*(one(i) for i in indexes))


# What a drain answers: ("drained", each socket's newMessage receipts (the
# baseline's relay), each socket's messageChanges receipts, reader failures).
Drained = tuple[str, list[list[tuple[str, int]]], list[list[Change]], list[str]]


async def subscriber_worker(link: Link, plan: SocketPlan) -> None:
    """Subscribes every account and says "ready"; then, on each ("drain",
    new_messages, changes, quiet_s), waits until the sockets have received,
    since the last drain, `new_messages` deliveries on `newMessage` (the
    baseline's relay) and `changes` on `messageChanges`, or nothing for
    `quiet_s`, and answers with what they received (`Drained`); ends on None.
    """
    sockets: dict[int, Socket] = {}
    await open_sockets(plan, range(len(plan.accounts)), sockets)
    link.send("ready")
    while (command := await link.receive()) is not None:
        _, new_messages, changes_expected, quiet_s = command
        await _drain(sockets, new_messages, changes_expected, quiet_s)
        order = range(len(plan.accounts))
        receipts = [sockets[i].received for i in order]
        changes = [sockets[i].changes for i in order]
        for socket in sockets.values():
            socket.received, socket.changes = [], []
        # A reader that stopped (a closed socket, an error frame) explains losses.
        failures = [
            f"socket {i}: {socket.reader.exception()!r}"
            for i, socket in sorted(sockets.items())
            if socket.reader.done()
            and not socket.reader.cancelled()
            and socket.reader.exception() is not None
        ]
        drained: Drained = ("drained", receipts, changes, failures)
        link.send(drained)
    await asyncio.gather(*(s.close() for s in sockets.values()), return_exceptions=True)


async def _drain(
    sockets: dict[int, Socket], new_messages: int, changes: int, quiet_s: float
) -> None:
    """Until each subscription has its expected count (then `SETTLE_S` more,
    for what should not have come: repeats, misdeliveries), or nothing has
    arrived for `quiet_s`."""
    last_total, last_change = -1, time.monotonic()
    while True:
        received = sum(len(s.received) for s in sockets.values())
        changed = sum(len(s.changes) for s in sockets.values())
        if received >= new_messages and changed >= changes:
            await asyncio.sleep(SETTLE_S)
            return
        total = received + changed
        if total != last_total:
            last_total, last_change = total, time.monotonic()
        elif time.monotonic() - last_change > quiet_s:
            return
        await asyncio.sleep(0.05)


async def idle_worker(
    link: Link, plan: SocketPlan, steps: tuple[int, ...], pings: int
) -> None:
    """Opens sockets up to each step's count, says ("open", n), then on "ping"
    sends ("pings", round trips in µs) of `pings` sockets chosen at random."""
    sockets: dict[int, Socket] = {}
    for step in steps:
        await open_sockets(plan, range(len(sockets), step), sockets)
        link.send(("open", len(sockets)))
        await link.receive()
        chosen = random.Random(step).sample(sorted(sockets), min(pings, len(sockets)))
        link.send(("pings", [await sockets[i].ping() for i in chosen]))
    await link.receive()
    await asyncio.gather(*(s.close() for s in sockets.values()), return_exceptions=True)


# -- the scale scenario: sockets held on one process, closed-loop senders -------


@dataclass(frozen=True)
class HeldPlan:
    """Sentichat sockets on one process, socket i for account i, each with
    `subscriptions` `newMessage` subscriptions to its account's chat."""

    server: tuple[str, int]
    accounts: tuple[Account, ...]
    subscriptions: int = 1


# What a held socket received: (subscription id, clientId, seq, time.time_ns()).
Receipt = tuple[str, str, int, int]


class HeldSocket:
    """A socket that records each `newMessage` delivery with its subscription
    and seq (a socket's subscriptions may follow one channel), and answers
    pings; any other frame ends its reader with the reason."""

    def __init__(self, connection: ClientConnection, arrived: asyncio.Event) -> None:
        self.connection = connection
        self.received: list[Receipt] = []
        self._arrived = arrived
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.connection:
            now = time.time_ns()
            delivered = protocol.new_message(frame)
            if delivered is not None:
                self.received.append((*delivered, now))
                self._arrived.set()
            elif '"type":"ping"' in frame:
                await self.connection.send('{"type":"pong"}')
            else:
                raise RuntimeError(f"unexpected frame: {frame[:300]!r}")

    def failure(self) -> str | None:
        """Why its reader stopped (None: still reading): a socket that stopped
        reading explains deliveries lost."""
        if not self.reader.done():
            return None
        if self.reader.cancelled():
            return "cancelled"
        exception = self.reader.exception()
        return "closed by the server" if exception is None else repr(exception)

    async def close(self) -> None:
        self.reader.cancel()
        await self.connection.close()


# What a held worker's drain answers: ("drained", each watched socket's
# receipts by its index, receipts on the other sockets, why sockets stopped).
HeldDrained = tuple[str, dict[int, list[Receipt]], int, list[str]]


async def held_worker(link: Link, plan: HeldPlan) -> None:
    """Says "ready"; then on ("open", n) opens sockets up to the n-th (all
    subscribed before it answers ("open", n)); on ("drain", watched,
    expected, quiet_s) waits until the `watched` sockets hold `expected`
    receipts since the last drain, or nothing has come for `quiet_s`, and
    answers `HeldDrained`; on None closes every socket and ends."""
    sockets: dict[int, HeldSocket] = {}
    arrived = asyncio.Event()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(i: int) -> None:
        account = plan.accounts[i]
        frames = protocol.subscribe_new_messages(account, plan.subscriptions)
        async with gate:
            connection = await _connect(
                protocol.SENTICHAT, plan.server, account.channel
            )
            await _start(connection, frames)
        sockets[i] = HeldSocket(connection, arrived)

    link.send("ready")
    while (command := await link.receive()) is not None:
        if command[0] == "open":
            await asyncio.gather(*(one(i) for i in range(len(sockets), command[1])))
            link.send(("open", len(sockets)))
            continue
        _, watched, expected, quiet_s = command
        await _await_receipts(sockets, watched, expected, quiet_s, arrived)
        receipts = {i: sockets[i].received for i in watched}
        stray = sum(len(s.received) for i, s in sockets.items() if i not in receipts)
        for socket in sockets.values():
            socket.received = []
        failures = [
            f"socket {i}: {failure}"
            for i, socket in sorted(sockets.items())
            if (failure := socket.failure()) is not None
        ]
        drained: HeldDrained = ("drained", receipts, stray, failures[:10])
        link.send(drained)
    await asyncio.gather(*(s.close() for s in sockets.values()), return_exceptions=True)


async def _await_receipts(
    sockets: Mapping[int, HeldSocket],
    watched: Sequence[int],
    expected: int,
    quiet_s: float,
    arrived: asyncio.Event,
) -> None:
    """Until the watched sockets hold `expected` receipts (then `SETTLE_S`
    more, for repeats), or no socket has received anything for `quiet_s`."""
    while sum(len(sockets[i].received) for i in watched) < expected:
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), quiet_s)
        except TimeoutError:
            return
    await asyncio.sleep(SETTLE_S)


@dataclass(frozen=True)
class ClosedLoopPlan:
    """`sendMessage` by `senders_per_server` senders on each server, each
    sending again as soon as it has its answer. Send i is by account i mod
    the accounts, with clientId `tag` + i."""

    servers: tuple[tuple[str, int], ...]
    accounts: tuple[Account, ...]
    tag: str
    senders_per_server: int


@dataclass(frozen=True)
class ClosedLoopRun:
    answered: int
    failed: int
    seconds: float  # from the first send to the last answer
    latencies_us: list[float]  # of the answered sends
    errors: list[str]  # the first few


ANSWER_TIMEOUT_S = 30.0


async def closed_loop_worker(link: Link, plan: ClosedLoopPlan) -> None:
    """Says "ready"; then on each ("run", seconds, first) sends from index
    `first` until `seconds` have passed and answers ("done", ClosedLoopRun,
    the index after the last send); ends on None."""
    link.send("ready")
    while (command := await link.receive()) is not None:
        _, seconds, first = command
        indexes = itertools.count(first)
        run = await _closed_loop(plan, seconds, indexes)
        link.send(("done", run, next(indexes)))


async def _closed_loop(
    plan: ClosedLoopPlan, seconds: float, indexes: Iterator[int]
) -> ClosedLoopRun:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def sender(server: tuple[str, int]) -> int:
        """Sends until the deadline, on one kept-alive connection (a new one
        after a failure); how many failed."""
        failed = 0
        connection: HttpConnection | None = None
        while time.perf_counter() < deadline:
            index = next(indexes)
            account = plan.accounts[index % len(plan.accounts)]
            text = protocol.PHRASES[index % len(protocol.PHRASES)]
            request = protocol.send_request(
                protocol.SENTICHAT, account, text, f"{plan.tag}{index}"
            )
            sent = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.wait_for(
                        HttpConnection.open(*server), ANSWER_TIMEOUT_S
                    )
                status, body = await asyncio.wait_for(
                    connection.post(request), ANSWER_TIMEOUT_S
                )
            except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
                # TimeoutError is an OSError too: a connection cut off
                # mid-answer is dropped as a broken one is.
                failed += 1
                if len(errors) < 5:
                    errors.append(repr(exc))
                if connection is not None:
                    connection.close()
                    connection = None
                continue
            if protocol.answered(protocol.SENTICHAT, status, body, "sendMessage"):
                latencies.append((time.perf_counter() - sent) * 1e6)
            else:
                failed += 1
                if len(errors) < 5:
                    errors.append(f"{status}: {body[:300]!r}")
        if connection is not None:
            connection.close()
        return failed

    failed = await asyncio.gather(
        *(
            sender(server)
            for server in plan.servers
            for _ in range(plan.senders_per_server)
        )
    )
    elapsed = time.perf_counter() - started
    return ClosedLoopRun(len(latencies), sum(failed), elapsed, latencies, errors)
