"""Changes to sent messages (edits, deletions, reactions), numbered per chat.

A change is a transaction of three statements: `claim_version` takes the
chat's next version, which locks the chat's row until the commit (as a send
does), then `message_row` reads the message (and the chat's previous change)
and `apply_change` writes it with that version. Changes to one chat
therefore queue behind each other and behind its sends: version order is
commit order, and the read sees every change committed before it. Nothing
here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import aliased

from db.models import Chat, Message
from db.queries import (
    MESSAGE_COLUMNS,
    Executor,
    MessageRow,
    MoodValues,
    chat_mood_columns,
    member_username,
)


@dataclass(frozen=True, slots=True)
class ClaimedVersion:
    """A chat's next version, claimed under its row lock, with its members."""

    chat_id: int
    user_low_id: int
    user_high_id: int
    version: int
    low_username: str
    high_username: str
    last_seq: int
    blocked: bool  # either member blocks the other (db.blocks)
    mood: MoodValues  # the chat's before this change


_MEMBER: Any = bindparam("member_id")
_CLAIM_VERSION = (
    update(Chat)
    .where(
        Chat.id
        == select(Message.chat_id)
        .where(Message.id == bindparam("message_id"))
        .scalar_subquery(),
        or_(Chat.user_low_id == _MEMBER, Chat.user_high_id == _MEMBER),
    )
    .values(last_version=Chat.last_version + 1)
    .returning(
        Chat.id,
        Chat.user_low_id,
        Chat.user_high_id,
        Chat.last_version,
        member_username(Chat.user_low_id),
        member_username(Chat.user_high_id),
        Chat.last_seq,
        Chat.blocked,
        *chat_mood_columns(),
    )
    .execution_options(synchronize_session=False)
)


async def claim_version(
    session: Executor, message_id: int, member_id: int
) -> ClaimedVersion | None:
    """Number a change to the message's chat, if `member_id` is a member of
    it; None when there is no such message or they are not."""
    parameters = {"message_id": message_id, "member_id": member_id}
    row = (await session.execute(_CLAIM_VERSION, parameters)).first()
    if row is None:
        return None
    values: tuple[Any, ...] = tuple(row)
    head = cast("tuple[int, int, int, int, str, str, int, bool]", values[:8])
    return ClaimedVersion(*head, values[8:])


_EARLIER = aliased(Message)
_MESSAGE = select(
    *MESSAGE_COLUMNS,
    # The chat's latest change so far: one step down the partial index.
    select(func.max(_EARLIER.version))
    .where(_EARLIER.chat_id == Message.chat_id, _EARLIER.changed_at.is_not(None))
    .correlate(Message)
    .scalar_subquery(),
).where(Message.id == bindparam("message_id"))


async def message_row(session: Executor, message_id: int) -> tuple[MessageRow, int]:
    """The message, read after its chat's version was claimed (it exists),
    and the version of the chat's latest change before this one (0: none).

    Under the claim's lock, no other change of the chat can land between
    the two, so a change event can name the one it follows and a subscriber
    can tell it missed none, whatever sends came between.
    """
    row = (await session.execute(_MESSAGE, {"message_id": message_id})).one()
    previous: Any = row[-1]  # the extra column after MESSAGE_COLUMNS'
    return cast("MessageRow", row), int(previous or 0)


async def apply_change(
    session: Executor, message_id: int, version: int, values: Mapping[str, Any]
) -> MessageRow:
    """Write `values` (columns by name) and the change's version."""
    statement = (
        update(Message)
        .where(Message.id == bindparam("message_id"))
        .values({**values, "version": version})
        .returning(*MESSAGE_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement, {"message_id": message_id})).one()
    return cast("MessageRow", row)


_CHANGED_AFTER = (
    select(*MESSAGE_COLUMNS)
    .where(
        Message.chat_id == bindparam("chat_id"),
        Message.version > bindparam("after"),
        # The partial index's predicate: only messages changed since sent.
        Message.changed_at.is_not(None),
    )
    .order_by(Message.version)
    .limit(bindparam("limit"))
)


async def changed_after(
    session: Executor, chat_id: int, *, after: int, limit: int
) -> Sequence[MessageRow]:
    """Up to `limit` messages changed since they were sent whose latest change
    is above version `after`, in version order, as they are now (from the
    partial index ix_message_changed)."""
    parameters = {"chat_id": chat_id, "after": after, "limit": limit}
    result = await session.execute(_CHANGED_AFTER, parameters)
    return cast("Sequence[MessageRow]", result.all())
