"""What services hand out: immutable views of users, chats and messages.

Resolvers map these to GraphQL types; realtime serialises them as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class ChatRecord:
    channel_name: str
    from_user: UserRecord
    to_user: UserRecord


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    seq: int
    channel: str
    from_user: UserRecord
    to_user: UserRecord
    message: str
    client_id: str | None
    created_at: datetime
    polarity: float
    subjectivity: float


@dataclass(frozen=True, slots=True)
class AuthRecord:
    token: str
    user: UserRecord
