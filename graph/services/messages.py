"""Messages: sending with sentiment, history, and the live feed with catch-up."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
)

from db import messages, mood, queries
from db.models import utcnow
from db.queries import MessageRow
from db.session import autocommit, driver_connection
from graph.domain.errors import BadUserInput, Forbidden
from graph.domain.mood import MoodChangedRecord, stored_mood
from graph.domain.records import MessageRecord, UserRecord
from graph.domain.sentiment import Scores
from graph.platform.settings import Settings
from graph.realtime import EventBus, chat_channel
from graph.realtime.pusher import Slot
from graph.services.blocks import refusal
from graph.services.feeds import (
    BY_SEQ,
    ChatFeeds,
    ChatView,
    chat_view,
    stored_record,
)
from graph.services.membership import NOT_A_MEMBER, member_pair, members
from graph.services.moods import DECAYS, chat_members, mood_after_send
from graph.services.pages import check_page_size
from graph.services.publishing import Publisher
from graph.services.sentiment import SentimentService, columns_of
from graph.services.text import check_message
from graph.services.throttle import Limit, Throttle

CLIENT_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, no spaces


def _sent(
    users: dict[int, UserRecord],  # with whether each shares their sentiment
    sender_id: int,
    text: str,
    client_id: str | None,
    scores: Scores,
    *,
    message_id: int,
    seq: int,
    version: int,
    created_at: datetime,
) -> MessageRecord:
    """The record of a message just committed by `sender_id`."""
    (recipient_id,) = set(users) - {sender_id}
    low, high = sorted(users)
    return MessageRecord(
        id=message_id,
        seq=seq,
        channel=chat_channel(low, high),
        from_user=users[sender_id],
        to_user=users[recipient_id],
        message=text,
        client_id=client_id,
        created_at=created_at,
        sentiment=scores,
        version=version,
    )


def _replayed(chat: ChatView, sent: MessageRow, text: str) -> MessageRecord:
    """The original message of a repeated clientId, if the repeat matches it
    (as it was sent: one edited or deleted since is returned as it is now)."""
    record = chat.record(sent) if sent.chat_id == chat.id else None
    if record is None or (
        sent.body != text and record.edited_at is None and record.deleted_at is None
    ):
        raise BadUserInput(
            "This clientId was already used for another message.", field="clientId"
        )
    return record


class MessageService:
    """Writes messages (sentiment scored once, here) and reads them back.

    A message is committed with its `seq` and scores before it is published;
    a failed publish never fails the send.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        bus: EventBus,
        publisher: Publisher,
        throttle: Throttle,
        sentiment: SentimentService,
        settings: Settings,
    ) -> None:
        # Messages run Core statements only, on bare connections.
        self._engine = engine
        self._sentiment = sentiment
        self._bus = bus
        self._publisher = publisher
        self._throttle = throttle
        self._settings = settings
        self._feeds = ChatFeeds(engine, bus, settings)
        # One statement (claim, insert, commit) where the database can, and
        # where no Pusher slot must be taken between the claim and the commit.
        self._one_statement_sends = (
            engine.dialect.name == "postgresql" and not publisher.reserves_slots
        )

    async def send(
        self, sender_id: int, channel: str, text: str, client_id: str | None = None
    ) -> MessageRecord:
        pair = member_pair(sender_id, channel)
        self._check_text(text)
        if client_id is not None:
            _check_client_id(client_id)
        await self._throttle.check(Limit.SEND_MESSAGE_PER_USER, sender_id)
        # A resent clientId is not looked up first (a round trip every send
        # would pay): the unique (sender, clientId) index refuses the insert,
        # which rolls back, and the original is read then. A resend is scored
        # again but never stored again.
        scores = await self._sentiment.score(text)
        slot: Slot | None = None
        try:
            if self._one_statement_sends:
                record, moved = await self._store_at_once(
                    sender_id, pair, text, client_id, scores
                )
            else:
                record, moved, slot = await self._store(
                    sender_id, pair, text, client_id, scores
                )
        except IntegrityError:
            if client_id is None:
                raise
            sent = await self._find_sent(sender_id, client_id, pair, text)
            if sent is None:
                raise
            return sent
        await self._publisher.message(record, slot)
        await self._publisher.mood(moved)
        return record

    async def history(
        self,
        viewer_id: int,
        channel: str,
        *,
        after: int | None = None,
        before: int | None = None,
        last: int = 50,
    ) -> list[MessageRecord]:
        """The newest `last` messages between the exclusive seq bounds, oldest first."""
        pair = member_pair(viewer_id, channel)
        check_page_size("last", last, self._settings.history_max_last)
        for name, bound in (("after", after), ("before", before)):
            if bound is not None and bound < 0:
                raise BadUserInput(f"`{name}` is a seq, 0 or more.", field=name)
        page = await self._page(pair, after=after, before=before, last=last)
        if page is None:  # an empty page, or no chat at all
            async with autocommit(self._engine) as session:
                await chat_view(session, pair)
            return []
        users = members(
            pair,
            page.low_username,
            page.high_username,
            shares=(page.low_shares, page.high_shares),
        )
        return [stored_record(channel, users, row) for row in page.rows]

    async def _page(
        self, pair: tuple[int, int], *, after: int | None, before: int | None, last: int
    ) -> messages.Page | None:
        # asyncpg's own connection where there is one (`db.messages.latest_of_pair`).
        if self._engine.dialect.name == "postgresql":
            connection: Any = driver_connection(self._engine)
        else:
            connection = autocommit(self._engine)
        async with connection as executor:
            return await messages.latest_of_pair(
                executor, *pair, after=after, before=before, limit=last
            )

    def stream(
        self, viewer_id: int, channel: str, after_seq: int | None = None
    ) -> AsyncIterator[MessageRecord]:
        """Stored messages with seq > after_seq, then live ones, each seq once
        and in order (`services.feeds`). Without `after_seq` the feed starts
        after the chat's newest message when it was requested."""
        return self._feeds.follow(
            viewer_id, channel, after_seq, BY_SEQ, self._bus.message_feed
        )

    async def _store(
        self,
        sender_id: int,
        pair: tuple[int, int],
        text: str,
        client_id: str | None,
        scores: Scores,
    ) -> tuple[MessageRecord, MoodChangedRecord, Slot | None]:
        """Commit the message; with Pusher on, also its slot in Pusher's queue.

        Four statements: claim the seq (and read the members' names, and move
        the chat's mood), insert, add it to its mood block, commit. A
        clientId already used fails the insert on its unique index.
        """
        slot: Slot | None = None
        (recipient_id,) = set(pair) - {sender_id}
        try:
            async with self._engine.begin() as session:
                claimed = await queries.claim_next_seq(
                    session, *pair, sender_id, score=scores.score, decays=DECAYS
                )
                if claimed is None:  # no chat, or a blocked one
                    raise await refusal(session, sender_id, pair, _not_a_member())
                # Stamped under the lock, so createdAt follows seq.
                created_at = utcnow()
                channel = chat_channel(*pair)
                # Under the chat's row lock until the commit: slots follow seq.
                slot = self._publisher.reserve(channel)
                message_id = await queries.insert_message(
                    session,
                    chat_id=claimed.chat_id,
                    seq=claimed.seq,
                    sender_id=sender_id,
                    version=claimed.version,
                    sender_ordinal=claimed.sender_ordinal,
                    recipient_id=recipient_id,
                    body=text,
                    client_id=client_id,
                    created_at=created_at,
                    **columns_of(scores),
                )
                await mood.add_to_block(
                    session,
                    chat_id=claimed.chat_id,
                    seq=claimed.seq,
                    low_sender=sender_id == pair[0],
                    score=scores.score,
                )
        except BaseException:
            if slot is not None:
                slot.void()
            raise
        users = chat_members(
            pair, claimed.low_username, claimed.high_username, claimed.mood
        )
        low, high = pair
        after = stored_mood(
            channel, claimed.version, users[low], users[high], claimed.mood
        )
        record = _sent(
            users,
            sender_id,
            text,
            client_id,
            scores,
            message_id=message_id,
            seq=claimed.seq,
            version=claimed.version,
            created_at=created_at,
        )
        return record, mood_after_send(after, sender_id, scores.score), slot

    async def _store_at_once(
        self,
        sender_id: int,
        pair: tuple[int, int],
        text: str,
        client_id: str | None,
        scores: Scores,
    ) -> tuple[MessageRecord, MoodChangedRecord]:
        """Commit the message with one statement, in autocommit (PostgreSQL)."""
        (recipient_id,) = set(pair) - {sender_id}
        low, high = pair
        async with driver_connection(self._engine) as connection:
            stored = await messages.store_message(
                connection,
                low_id=low,
                high_id=high,
                sender_id=sender_id,
                recipient_id=recipient_id,
                body=text,
                client_id=client_id,
                sentiment=columns_of(scores),
                decays=DECAYS,
            )
        if stored is None:  # no chat, or a blocked one
            async with autocommit(self._engine) as session:
                raise await refusal(session, sender_id, pair, _not_a_member())
        users = chat_members(
            pair, stored.low_username, stored.high_username, stored.mood
        )
        record = _sent(
            users,
            sender_id,
            text,
            client_id,
            scores,
            message_id=stored.id,
            seq=stored.seq,
            version=stored.version,
            created_at=stored.created_at,
        )
        after = stored_mood(
            record.channel, stored.version, users[low], users[high], stored.mood
        )
        return record, mood_after_send(after, sender_id, scores.score)

    async def _find_sent(
        self, sender_id: int, client_id: str, pair: tuple[int, int], text: str
    ) -> MessageRecord | None:
        async with autocommit(self._engine) as session:
            sent = await queries.find_message_by_client_id(
                session, sender_id, client_id
            )
            if sent is None:
                return None
            return _replayed(await chat_view(session, pair), sent, text)

    def _check_text(self, text: str) -> None:
        check_message(text, self._settings.message_max_chars)


def _not_a_member() -> Exception:
    return Forbidden(NOT_A_MEMBER)


def _check_client_id(client_id: str) -> None:
    if not CLIENT_ID.fullmatch(client_id):
        raise BadUserInput(
            "A clientId is 1 to 64 printable ASCII characters.", field="clientId"
        )
