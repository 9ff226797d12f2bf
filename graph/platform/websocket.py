"""uvicorn's wsproto WebSocket protocol, lighter, and closing a frame it
cannot read as RFC 6455 asks.

`python -m graph` serves WebSockets with wsproto: an idle socket costs about
3 KiB less than with websockets-sansio (31.3 KiB against 34.6 with one
subscription, 21.7 against 24.4 with none; 2,000 sockets, 2026-12-06). Two
changes to uvicorn's protocol:

- Its buffer of received messages and its writable flag are an
  `asyncio.Queue` and an `asyncio.Event`: five deques, about 3 KiB, on every
  socket for its whole life, to hold a message or a waiter now and then.
  `Received` and `Flag` hold them only while there is something to hold.
- wsproto reports a text frame that is not UTF-8 as a close from the peer
  with code 1007, and uvicorn, seeing no close frame to answer, drops the
  connection without one: the client sees an abnormal closure (1006), not
  why. The close frame is sent (RFC 6455 section 8.1, "Fail the WebSocket
  Connection", with 1007) before uvicorn closes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from typing import Any

from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Event


class Received:
    """What `asyncio.Queue` does for uvicorn's protocol: `put_nowait`, `get`
    and `empty`, for one reader (the app's `receive`) at a time."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("one reader at a time")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item


class Flag:
    """What `asyncio.Event` does for uvicorn's protocol's `writable`."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class _Shaken:
    """What is left of wsproto's handshake once the connection is open: no
    events. The handshake itself (its h11 connection, the request and its
    headers, a deque) held 2.5 KiB of every open socket."""

    __slots__ = ()

    def events(self) -> Iterator[Event]:
        return iter(())


SHAKEN = _Shaken()


class SentichatWSProtocol(WSProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Received()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()

    async def send(self, message: Any) -> None:
        await super().send(message)
        # Accepted: wsproto reads the handshake no more once it has made the
        # connection (`WSConnection.receive_data`, `send`), only its events.
        handshake: object = self.conn.handshake
        if self.conn.connection is not None and handshake is not SHAKEN:
            self.conn.handshake = SHAKEN  # type: ignore[assignment]

    def handle_close(self, event: CloseConnection) -> None:
        # Open still: wsproto made this close from a frame it refused; a close
        # the peer sent would have left the connection REMOTE_CLOSING.
        if not self.close_sent and self.conn.state is ConnectionState.OPEN:
            self.transport.write(self.conn.send(event))
        super().handle_close(event)
