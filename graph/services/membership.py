"""Who may use a chat channel: its two members, named in the channel itself."""

from __future__ import annotations

from typing import Protocol

from graph.domain.errors import BadUserInput, Forbidden
from graph.domain.records import UserRecord
from graph.realtime import parse_chat_channel

MAX_CHANNEL_CHARS = 64
NO_CHAT = "This chat does not exist yet: request it first."
NOT_A_MEMBER = "You are not a member of this chat."
YOU_BLOCKED = "You blocked this person: unblock them to write to them."


def member_pair(user_id: int, channel: str) -> tuple[int, int]:
    """The channel's (lower, higher) member ids, if `user_id` is one of them.

    Decided from the name alone, so a non-member learns nothing about
    whether the chat exists.
    """
    pair = None
    if len(channel) <= MAX_CHANNEL_CHARS:
        pair = parse_chat_channel(channel)
    if pair is None:
        raise BadUserInput(
            "Not a chat channel name: expected private-chat_<lower id>_<higher id>.",
            field="channel",
        )
    if user_id not in pair:
        raise Forbidden(NOT_A_MEMBER)
    return pair


def members(
    pair: tuple[int, int],
    low_username: str,
    high_username: str,
    shares: tuple[bool | None, bool | None] = (None, None),
) -> dict[int, UserRecord]:
    """The pair's two users, by id, as records; `shares`: whether each
    shares their sentiment, where the caller read it."""
    low, high = pair
    low_shares, high_shares = shares
    return {
        low: UserRecord(low, low_username, low_shares),
        high: UserRecord(high, high_username, high_shares),
    }


class ChatMembers(Protocol):
    """A chat as read with its members (db.queries.ChatRow, db.chats.ChatState)."""

    @property
    def user_low_id(self) -> int: ...
    @property
    def user_high_id(self) -> int: ...
    @property
    def low_username(self) -> str: ...
    @property
    def high_username(self) -> str: ...
    @property
    def low_shares(self) -> bool: ...
    @property
    def high_shares(self) -> bool: ...


def members_of(chat: ChatMembers) -> dict[int, UserRecord]:
    """`members` of a chat read with its members' names and settings."""
    return members(
        (chat.user_low_id, chat.user_high_id),
        chat.low_username,
        chat.high_username,
        shares=(chat.low_shares, chat.high_shares),
    )
