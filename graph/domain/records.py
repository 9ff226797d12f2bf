"""What services hand out: immutable views of users, chats and messages.

Resolvers map these to GraphQL types; realtime serialises them as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.domain.sentiment import Scores

MAX_ID = 2**63 - 1  # ids are 64-bit integers


def parse_id(text: str) -> int | None:
    """The id written as `text` in canonical decimal, if it is one."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    if not 0 < number <= MAX_ID or text != str(number):
        return None
    return number


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class ChatRecord:
    channel_name: str
    from_user: UserRecord
    to_user: UserRecord
    # The seq of the chat's newest message when this record was read.
    last_seq: int


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
    sentiment: Scores


@dataclass(frozen=True, slots=True)
class AuthRecord:
    token: str
    user: UserRecord
