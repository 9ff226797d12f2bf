"""Changes to sent messages: edit, delete (a tombstone) and react, and the
`messageChanges` feed that replays and streams them.

Every change takes its chat's next version under the chat's row lock, as a
send does (its message's first version), so a member who holds version N
catches up with one read of `version > N`: each changed message once, as it
is now. A change is committed before it is published; a failed publish never
fails it, and subscribers fill any gap from the database, as `newMessage`
does by seq.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import changes, mood
from db.changes import ClaimedVersion
from db.models import utcnow
from graph.domain.errors import (
    BadUserInput,
    Forbidden,
    NotFound,
)
from graph.domain.mood import MoodChangedRecord, MoodState, stored_mood
from graph.domain.reactions import (
    MAX_REACTION_EMOJI,
    TooManyEmoji,
    canonical_emoji,
    react,
    reactions_to_json,
)
from graph.domain.records import MessageRecord, UserRecord
from graph.platform.settings import Settings
from graph.realtime import EventBus, chat_channel
from graph.realtime.pusher import Slot
from graph.services.blocks import blocked_refusal
from graph.services.feeds import BY_VERSION, ChatFeeds, stored_record
from graph.services.moods import chat_members
from graph.services.publishing import Publisher
from graph.services.sentiment import SentimentService, columns_of
from graph.services.text import check_message
from graph.services.throttle import Limit, Throttle

NO_MESSAGE = "No such message."
DELETED = "This message was deleted."
# Columns of a tombstone: no text, and no scores of the text it had.
_ERASED: dict[str, Any] = {
    "body": "",
    "polarity": None,
    "subjectivity": None,
    "label": None,
    "score": None,
    "confidence": None,
    "reasons": None,
    "reactions": None,
}

# Given the message as it is, the columns a change writes; None when it
# would change nothing. Raises to refuse.
Decide = Callable[[MessageRecord], dict[str, Any] | None]


class _Unchanged(Exception):
    """Raised inside a change's transaction to roll it back: nothing to do."""

    def __init__(self, current: MessageRecord) -> None:
        self.current = current


class ChangeService:
    def __init__(
        self,
        engine: AsyncEngine,
        bus: EventBus,
        publisher: Publisher,
        throttle: Throttle,
        sentiment: SentimentService,
        settings: Settings,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._publisher = publisher
        self._throttle = throttle
        self._sentiment = sentiment
        self._settings = settings
        self._feeds = ChatFeeds(engine, bus, settings)

    async def edit(self, user_id: int, message_id: int, text: str) -> MessageRecord:
        """New text for the sender's own message, scored again and stored.

        The same text changes nothing (no new version, no event).
        """
        check_message(text, self._settings.message_max_chars)
        await self._throttle.check(Limit.EDIT_MESSAGE_PER_USER, user_id)
        # Scored before the chat is locked: a long text is scored in a thread.
        scores = await self._sentiment.score(text)

        def decide(current: MessageRecord) -> dict[str, Any] | None:
            _check_sender(current, user_id, "edit")
            if current.deleted_at is not None:
                raise BadUserInput(DELETED, field="id")
            if current.message == text:
                return None
            now = utcnow()
            return {
                "body": text,
                **columns_of(scores),
                "edited_at": now,
                "changed_at": now,
            }

        return await self._change(user_id, message_id, decide)

    async def delete(self, user_id: int, message_id: int) -> MessageRecord:
        """Erase the sender's own message: its text, scores and reactions go
        from the database, its row stays (a tombstone; seq keeps no gaps).
        Deleting a tombstone changes nothing."""
        await self._throttle.check(Limit.DELETE_MESSAGE_PER_USER, user_id)

        def decide(current: MessageRecord) -> dict[str, Any] | None:
            _check_sender(current, user_id, "delete")
            return _erase(current)

        # Also between a blocked pair: it takes something away, and a person
        # may always erase what they wrote.
        return await self._change(user_id, message_id, decide, while_blocked=True)

    async def react(
        self, user_id: int, message_id: int, emoji: str, on: bool = True
    ) -> MessageRecord:
        """Put `emoji` on a message of the user's chat, or take it off: one
        per user per emoji, at most MAX_REACTION_EMOJI different ones."""
        canonical = canonical_emoji(emoji)
        if canonical is None:
            raise BadUserInput(
                "A reaction is one emoji (skin tones and sequences allowed).",
                field="emoji",
            )
        await self._throttle.check(Limit.REACT_PER_USER, user_id)

        def decide(current: MessageRecord) -> dict[str, Any] | None:
            if current.deleted_at is not None:
                raise BadUserInput(DELETED, field="id")
            try:
                reactions = react(current.reactions, user_id, canonical, on)
            except TooManyEmoji:
                raise BadUserInput(
                    f"A message has at most {MAX_REACTION_EMOJI} different reactions.",
                    field="emoji",
                ) from None
            if reactions is None:
                return None
            return {"reactions": reactions_to_json(reactions), "changed_at": utcnow()}

        return await self._change(user_id, message_id, decide)

    def stream(
        self, viewer_id: int, channel: str, after_version: int | None = None
    ) -> AsyncIterator[MessageRecord]:
        """Messages changed since their send whose latest change is above
        `after_version`, in version order and as they are now, then each
        change live, no version twice (`services.feeds`).

        Sends take versions but are `newMessage`'s, never yielded here.
        Without `after_version` it starts after the chat's latest version.
        """
        return self._feeds.follow(
            viewer_id, channel, after_version, BY_VERSION, self._bus.change_feed
        )

    async def delete_for_moderator(
        self,
        message_id: int,
        sender_id: int,
        within: Callable[[AsyncConnection], Awaitable[None]],
    ) -> MessageRecord:
        """A moderator's DELETE_MESSAGE: the message becomes the tombstone
        its sender's `delete` leaves (the same columns erased, the chat's
        next version, the mood and its rollup moved, then `message_changed`
        on the bus and on Pusher), in one transaction with `within`: the
        moderator's own writes (the reports resolved, the audit rows), run
        first, so that their refusal rolls both back.

        No rate limit and no block check: it is not the sender's act. A
        message already deleted stays as it is (no version, no event), and
        `within`'s writes are committed all the same.
        """
        return await self._change(
            sender_id, message_id, _erase, while_blocked=True, within=within
        )

    async def _change(
        self,
        user_id: int,
        message_id: int,
        decide: Decide,
        *,
        while_blocked: bool = False,
        within: Callable[[AsyncConnection], Awaitable[None]] | None = None,
    ) -> MessageRecord:
        """Claim the chat's next version, read the message under the lock,
        write what `decide` says, commit, then publish. Refused or unchanged,
        the transaction rolls back and the version is not used. In a blocked
        pair's chat only a change `while_blocked` is made.

        `within`: the caller's own writes, made first in the same
        transaction; the claim is then a savepoint, so that a change that
        changes nothing hands its version back and those writes still commit.
        """
        slot: Slot | None = None
        moved: MoodChangedRecord | None = None
        try:
            async with self._engine.begin() as connection:
                claim = None
                if within is not None:
                    await within(connection)
                    claim = await connection.begin_nested()
                claimed = await changes.claim_version(connection, message_id, user_id)
                if claimed is None:  # no such message, or not the caller's chat
                    raise NotFound(NO_MESSAGE, field="id")
                pair = claimed.user_low_id, claimed.user_high_id
                if claimed.blocked and not while_blocked:
                    (other_id,) = set(pair) - {user_id}
                    # To the blocked member, as for a message not theirs.
                    raise await blocked_refusal(
                        connection, user_id, other_id, NotFound(NO_MESSAGE, field="id")
                    )
                users = chat_members(
                    pair, claimed.low_username, claimed.high_username, claimed.mood
                )
                channel = chat_channel(*pair)
                row, previous = await changes.message_row(connection, message_id)
                current = stored_record(channel, users, row)
                values = decide(current)
                if values is None:
                    if claim is None:
                        raise _Unchanged(current)
                    await claim.rollback()
                    return current  # `within`'s writes commit
                if claim is not None:
                    await claim.commit()
                # Under the chat's row lock until the commit: Pusher's events
                # of the chat follow its versions. None to a blocked pair.
                if not claimed.blocked:
                    slot = self._publisher.reserve(channel)
                row = await changes.apply_change(
                    connection, message_id, claimed.version, values
                )
                changed = stored_record(channel, users, row)._replace(
                    previous_change=previous
                )
                moved = await _move_mood(connection, claimed, users, current, changed)
        except _Unchanged as unchanged:
            return unchanged.current
        except BaseException:
            if slot is not None:
                slot.void()
            raise
        await self._publisher.change(changed, slot, blocked=claimed.blocked)
        if moved is not None:
            await self._publisher.mood(moved)
        return changed


def _erase(current: MessageRecord) -> dict[str, Any] | None:
    """A deletion's columns; None for a message already deleted."""
    if current.deleted_at is not None:
        return None
    now = utcnow()
    return {**_ERASED, "deleted_at": now, "changed_at": now}


def _score(message: MessageRecord) -> float | None:
    return None if message.sentiment is None else message.sentiment.score


async def _move_mood(
    connection: AsyncConnection,
    claimed: ClaimedVersion,
    users: dict[int, UserRecord],
    before: MessageRecord,
    after: MessageRecord,
) -> MoodChangedRecord | None:
    """Take a change's new score (an edit's) or its lost one (a deletion's)
    into the chat's mood and the message's mood block, under the claim's
    lock; None when the score did not move (a reaction)."""
    old, new = _score(before), _score(after)
    if old == new:
        return None
    low_id = claimed.user_low_id
    state = stored_mood(
        after.channel,
        claimed.version - 1,
        users[low_id],
        users[claimed.user_high_id],
        claimed.mood,
    )
    side = "low" if after.from_user.id == low_id else "high"
    member = state.low if side == "low" else state.high
    moved = member.adjusted(claimed.last_seq - after.seq, old, new)
    await mood.write_member_mood(
        connection,
        claimed.chat_id,
        side,
        moved.parts,
    )
    await mood.adjust_block(
        connection,
        chat_id=claimed.chat_id,
        seq=after.seq,
        side=side,
        scored=(new is not None) - (old is not None),
        total=(new or 0.0) - (old or 0.0),
    )
    low, high = (moved, state.high) if side == "low" else (state.low, moved)
    return MoodChangedRecord(
        state, MoodState(state.channel, claimed.version, low, high)
    )


def _check_sender(message: MessageRecord, user_id: int, verb: str) -> None:
    if message.from_user.id != user_id:
        raise Forbidden(f"Only its sender can {verb} a message.")
