"""What services hand out: immutable views of users, chats and messages.

Resolvers map these to GraphQL types; realtime serialises them as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from graph.domain.errors import BadUserInput
from graph.domain.mood import MoodChangedRecord, MoodState, stored_mood
from graph.domain.sentiment import Scores
from graph.domain.users import UserRecord as UserRecord

MAX_ID = 2**63 - 1  # ids are 64-bit integers


def parse_id(text: str) -> int | None:
    """The id written as `text` in canonical decimal, if it is one."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    if not 0 < number <= MAX_ID or text != str(number):
        return None
    return number


def id_argument(text: str, field: str) -> int:
    """The id a client sent as `field`; BadUserInput if it is none."""
    number = parse_id(text)
    if number is None:
        raise BadUserInput(f"`{field}` is a decimal id.", field=field)
    return number


@dataclass(frozen=True, slots=True)
class ReadState:
    """One member's place in a chat."""

    # The highest seq they have read (0: none).
    read_seq: int = 0
    # The other member's messages above it.
    unread: int = 0


NOTHING_READ = ReadState()


@dataclass(frozen=True, slots=True)
class ChatRecord:
    channel_name: str
    from_user: UserRecord
    to_user: UserRecord
    # The seq of the chat's newest message when this record was read.
    last_seq: int
    from_read: ReadState = NOTHING_READ
    to_read: ReadState = NOTHING_READ
    # The chat's change counter when this record was read (`messageChanges`).
    last_version: int = 0
    # Its mood when read, as stored (db.queries.MoodValues), made into a
    # MoodState only when asked for (`mood`): a list of 500 chats seldom
    # is. None on events of processes older than moods.
    mood_values: tuple[Any, ...] | None = None
    # Whether either member blocks the other (graph.services.blocks): then
    # nothing new flows between them, and neither sees the other's presence.
    blocked: bool = False

    def read_states(self, viewer_id: int) -> tuple[ReadState, ReadState]:
        """The viewer's read state and the other member's."""
        if viewer_id == self.from_user.id:
            return self.from_read, self.to_read
        return self.to_read, self.from_read

    def other_member(self, viewer_id: int) -> UserRecord:
        return self.to_user if viewer_id == self.from_user.id else self.from_user

    @property
    def mood(self) -> MoodState | None:
        if self.mood_values is None:
            return None
        low, high = sorted((self.from_user, self.to_user), key=lambda user: user.id)
        return stored_mood(
            self.channel_name, self.last_version, low, high, self.mood_values
        )


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji on a message, and who put it there, in the order they did."""

    emoji: str
    user_ids: tuple[int, ...]


class MessageRecord(NamedTuple):
    """A message as services and subscribers pass it on (shared, so
    immutable). A named tuple, not a frozen dataclass: built in a quarter of
    the time, fifty times a page of history and once an event a process."""

    id: int
    seq: int
    channel: str
    from_user: UserRecord
    to_user: UserRecord
    message: str  # "" once deleted
    client_id: str | None
    created_at: datetime
    sentiment: Scores | None  # None once deleted: the scores are erased too
    # The chat's change counter at the message's latest change (its send is
    # the first); 0 only on events of processes older than changes.
    version: int = 0
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    # In the order each emoji first came; at most MAX_REACTION_EMOJI.
    reactions: tuple[Reaction, ...] = ()
    # On a change just made (and its event): the version of the chat's change
    # before it (0: the first), so a subscriber can tell it missed none.
    # None on messages read from the database.
    previous_change: int | None = None


@dataclass(frozen=True, slots=True)
class ReadReceiptRecord:
    """A member's read position moved forward to `seq`."""

    channel: str
    user: UserRecord
    seq: int


@dataclass(frozen=True, slots=True)
class TypingRecord:
    """A member started or stopped typing in a chat."""

    channel: str
    user: UserRecord
    typing: bool


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """A pair's block state changed: `blocked` while either member blocks
    the other. On the bus only, on every feed that carries something between
    the two (graph.services.blocks); never shown to a client as such."""

    low_id: int
    high_id: int
    blocked: bool

    @property
    def pair(self) -> tuple[int, int]:
        return self.low_id, self.high_id


# On the event bus: a receipt, typing, or a move of the chat's mood.
ActivityRecord = ReadReceiptRecord | TypingRecord | MoodChangedRecord
# What `chatActivity` yields a subscriber: the mood as it now is.
Activity = ReadReceiptRecord | TypingRecord | MoodState


@dataclass(frozen=True, slots=True)
class PresenceState:
    """Whether a user has an open socket anywhere, and when they last had."""

    online: bool
    # The last moment they were seen online (now, while they are); None when
    # not seen since presence was last reset (it lives in Redis, not the
    # database).
    last_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class PresenceRecord:
    """A user's presence changed."""

    user: UserRecord
    online: bool
    last_seen_at: datetime | None
    # False when the user has just been hidden from the viewer (a block):
    # then shown offline, with no last-seen time, and `User.online` is null.
    visible: bool = True


@dataclass(frozen=True, slots=True)
class AuthRecord:
    token: str
    user: UserRecord
