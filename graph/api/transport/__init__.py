"""How requests reach the schema: HTTP and WebSocket, each with its bounds."""

from graph.api.transport.http import BodyLimit
from graph.api.transport.router import DirectPost, DirectWebSocket, SentichatRouter

__all__ = ["BodyLimit", "DirectPost", "DirectWebSocket", "SentichatRouter"]
