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

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from db import changes, queries
from db.models import utcnow
from db.session import autocommit
from graph.domain.errors import (
    BadUserInput,
    Forbidden,
    NotFound,
    SubscriptionLagged,
)
from graph.domain.reactions import (
    MAX_REACTION_EMOJI,
    TooManyEmoji,
    canonical_emoji,
    react,
    reactions_to_json,
)
from graph.domain.records import MessageRecord
from graph.platform.settings import Settings
from graph.realtime import EventBus, chat_channel
from graph.realtime.pusher import Slot
from graph.services.catchup import follow
from graph.services.membership import member_pair, members
from graph.services.messages import ChatView, chat_view
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
            return {"body": text, **columns_of(scores), "edited_at": utcnow()}

        return await self._change(user_id, message_id, decide)

    async def delete(self, user_id: int, message_id: int) -> MessageRecord:
        """Erase the sender's own message: its text, scores and reactions go
        from the database, its row stays (a tombstone; seq keeps no gaps).
        Deleting a tombstone changes nothing."""
        await self._throttle.check(Limit.DELETE_MESSAGE_PER_USER, user_id)

        def decide(current: MessageRecord) -> dict[str, Any] | None:
            _check_sender(current, user_id, "delete")
            if current.deleted_at is not None:
                return None
            return {**_ERASED, "deleted_at": utcnow()}

        return await self._change(user_id, message_id, decide)

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
            return {"reactions": reactions_to_json(reactions)}

        return await self._change(user_id, message_id, decide)

    async def stream(
        self, viewer_id: int, channel: str, after_version: int | None = None
    ) -> AsyncIterator[MessageRecord]:
        """Messages whose latest change is above `after_version`, in version
        order and as they are now, then each change live, no version twice.

        New messages are changes too (their send is their first version), so
        this alone keeps a copy of the chat up to date. Without
        `after_version` it starts after the chat's latest change. Gaps and
        lag are handled as `newMessage` handles them (`services.catchup`);
        a lagging subscriber gets SUBSCRIPTION_LAGGED with its `afterVersion`.
        """
        pair = member_pair(viewer_id, channel)
        if after_version is not None and after_version < 0:
            raise BadUserInput(
                "`afterVersion` is a version, 0 or more.", field="afterVersion"
            )
        async with autocommit(self._engine) as session:
            chat = await chat_view(session, pair)
        if after_version is not None and after_version > chat.version:
            raise BadUserInput(
                f"afterVersion {after_version} is past the chat's latest change "
                f"({chat.version}).",
                field="afterVersion",
            )
        last = chat.version if after_version is None else after_version
        async with self._bus.change_feed(channel) as feed:
            stream = follow(
                feed,
                last,
                position=_version,
                stored_after=partial(self._changed_after, chat),
                check_lag=partial(self._check_lag, chat),
                stats=self._bus.stats,
            )
            async with aclosing(stream):
                async for message in stream:
                    yield message

    async def _change(
        self, user_id: int, message_id: int, decide: Decide
    ) -> MessageRecord:
        """Claim the chat's next version, read the message under the lock,
        write what `decide` says, commit, then publish. Refused or unchanged,
        the transaction rolls back and the version is not used."""
        slot: Slot | None = None
        try:
            async with self._engine.begin() as connection:
                claimed = await changes.claim_version(connection, message_id, user_id)
                if claimed is None:  # no such message, or not the caller's chat
                    raise NotFound(NO_MESSAGE, field="id")
                pair = claimed.user_low_id, claimed.user_high_id
                users = members(pair, claimed.low_username, claimed.high_username)
                channel = chat_channel(*pair)
                view = ChatView(claimed.chat_id, channel, users, 0, 0)
                current = view.record(await changes.message_row(connection, message_id))
                values = decide(current)
                if values is None:
                    raise _Unchanged(current)
                # Under the chat's row lock until the commit: Pusher's events
                # of the chat follow its versions.
                slot = self._publisher.reserve(view.channel)
                row = await changes.apply_change(
                    connection, message_id, claimed.version, values
                )
                changed = view.record(row)
        except _Unchanged as unchanged:
            return unchanged.current
        except BaseException:
            if slot is not None:
                slot.void()
            raise
        await self._publisher.change(changed, slot)
        return changed

    async def _changed_after(
        self, chat: ChatView, after: int
    ) -> AsyncIterator[MessageRecord]:
        page_size = self._settings.catch_up_page_size
        stats = self._bus.stats
        while True:
            async with autocommit(self._engine) as session:
                rows = await changes.changed_after(
                    session, chat.id, after=after, limit=page_size
                )
            for row in rows:
                stats.caught_up += 1
                yield chat.record(row)
                after = row.version
            if len(rows) < page_size:
                return

    async def _check_lag(self, chat: ChatView, last: int) -> None:
        async with autocommit(self._engine) as session:
            _, head = await queries.chat_head(session, chat.id)
        behind = head - last
        if behind > self._settings.subscription_max_lag:
            self._bus.stats.lagged_out += 1
            raise SubscriptionLagged(last, behind, argument="afterVersion")


def _check_sender(message: MessageRecord, user_id: int, verb: str) -> None:
    if message.from_user.id != user_id:
        raise Forbidden(f"Only its sender can {verb} a message.")


def _version(message: MessageRecord) -> int:
    return message.version
