"""Load runs in processes of its own, each an event loop driven over a pipe.

The orchestrator (synchronous) starts a worker, waits for the messages it
sends ("ready", then its result), and may send it instructions in between.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection
from typing import Any

_spawn = multiprocessing.get_context("spawn")

Target = Callable[..., Coroutine[Any, Any, object]]


class Link:
    """The worker's end of its pipe."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def send(self, message: object) -> None:
        self._connection.send(message)

    async def receive(self) -> Any:
        return await asyncio.to_thread(self._connection.recv)


def _main(target: Target, connection: Connection, args: tuple[Any, ...]) -> None:
    import uvloop

    try:
        result = uvloop.run(target(Link(connection), *args))
    except BaseException as exc:
        connection.send(("failed", repr(exc)))
        raise
    connection.send(("result", result))


class Worker:
    """A load process: `start()`, `expect("ready")`, `send(...)`, `result()`."""

    def __init__(self, target: Target, *args: Any) -> None:
        self._pipe, child = _spawn.Pipe()
        self._process = _spawn.Process(
            target=_main, args=(target, child, args), daemon=True
        )

    def __enter__(self) -> Worker:
        self._process.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(10)

    def receive(self, timeout: float) -> Any:
        if not self._pipe.poll(timeout):
            raise TimeoutError(f"no word from the load process in {timeout} s")
        message = self._pipe.recv()
        if isinstance(message, tuple) and message and message[0] == "failed":
            raise RuntimeError(f"load process failed: {message[1]}")
        return message

    def expect(self, word: str, timeout: float) -> None:
        message = self.receive(timeout)
        if message != word:
            raise RuntimeError(f"expected {word!r} from the load process: {message!r}")

    def send(self, message: object) -> None:
        self._pipe.send(message)

    def result(self, timeout: float) -> Any:
        message = self.receive(timeout)
        if not (isinstance(message, tuple) and message[0] == "result"):
            raise RuntimeError(f"expected a result from the load process: {message!r}")
        return message[1]
