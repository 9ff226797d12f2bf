"""GraphQL types, each built from a service record by `from_record`."""

from graph.types.auth import AuthPayload
from graph.types.chat import Chat
from graph.types.message import Message, Sentiment, SentimentLabel
from graph.types.user import User

__all__ = ["AuthPayload", "Chat", "Message", "Sentiment", "SentimentLabel", "User"]
