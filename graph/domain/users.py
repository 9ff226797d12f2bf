"""A user as every other record names them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    # Whether the other member of their chats may see their messages'
    # sentiment and their part of the mood (`setShareSentiment`), as read
    # with the record; None where it was not read (a typist, a presence
    # change), which shows nothing.
    shares_sentiment: bool | None = None
