"""How requests reach the schema: HTTP and WebSocket, each with its bounds."""

from graph.transport.http import BodyLimit
from graph.transport.router import SentichatRouter

__all__ = ["BodyLimit", "SentichatRouter"]
