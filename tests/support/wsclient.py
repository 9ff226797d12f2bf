"""A small graphql-transport-ws client, strict about what the server sends."""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = "graphql-transport-ws"


class GraphQLWebSocket:
    def __init__(
        self, url: str, *, subprotocol: str = PROTOCOL, **connect_args: Any
    ) -> None:
        """`connect_args` go to websockets' `connect` (sock, max_queue, ...)."""
        self.url = url
        self.subprotocol = subprotocol
        self.connect_args = {"open_timeout": 5, **connect_args}
        self._socket: ClientConnection | None = None

    @property
    def socket(self) -> ClientConnection:
        assert self._socket is not None, "not connected"
        return self._socket

    async def open(self) -> GraphQLWebSocket:
        self._socket = await connect(
            self.url, subprotocols=[Subprotocol(self.subprotocol)], **self.connect_args
        )
        return self

    async def __aenter__(self) -> GraphQLWebSocket:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.socket.close()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def init(self, token: str | None, timeout: float = 5.0) -> None:
        payload = {"authorization": f"Bearer {token}"} if token is not None else {}
        await self.send({"type": "connection_init", "payload": payload})
        ack = await self.receive(timeout)
        assert ack["type"] == "connection_ack", ack

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def next_data(
        self, operation_id: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The data of the next `next` message of the operation, skipping pings."""
        while True:
            message = await self.receive(timeout)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            assert message.get("id") == operation_id, message
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            data: dict[str, Any] = message["payload"]["data"]
            return data

    async def closed_with(self, timeout: float = 5.0) -> int | None:
        """The close code, once the server closes the socket."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
