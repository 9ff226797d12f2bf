"""uvicorn's wsproto WebSocket protocol, closing a frame it cannot read as
RFC 6455 asks.

`python -m graph` serves WebSockets with wsproto: an idle socket costs about
3 KiB less than with websockets-sansio (31.3 KiB against 34.6 with one
subscription, 21.7 against 24.4 with none; 2,000 sockets, 2026-12-06).
wsproto reports a text frame that is not UTF-8 as a close from the peer with
code 1007, and uvicorn, seeing no close frame to answer, drops the
connection without one: the client sees an abnormal closure (1006), not why.
This sends the close frame (RFC 6455 section 8.1, "Fail the WebSocket
Connection", with 1007) before uvicorn closes.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection


class SentichatWSProtocol(WSProtocol):
    def handle_close(self, event: CloseConnection) -> None:
        # Open still: wsproto made this close from a frame it refused; a close
        # the peer sent would have left the connection REMOTE_CLOSING.
        if not self.close_sent and self.conn.state is ConnectionState.OPEN:
            self.transport.write(self.conn.send(event))
        super().handle_close(event)
