"""How requests reach the schema: HTTP and WebSocket, each with its bounds."""

from graph.api.transport.http import BodyLimit
from graph.api.transport.router import DirectPost, SentichatRouter

__all__ = ["BodyLimit", "DirectPost", "SentichatRouter"]
