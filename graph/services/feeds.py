"""A chat's message feeds: `newMessage` (by seq) and `messageChanges` (by
version), live, with the database filling whatever the live feed missed.

Each live event says where it stands (its `seq`, or its `version`) and what
came just before it in its feed (`seq - 1`, or the version of the chat's
previous change: sends take versions too, but are not changes). Both are
assigned under the chat's row lock, so they follow commit order. The live
feed is attached before the database is read, so nothing committed in
between is missed. An event whose predecessor is at or below the last one
taken is the next one, and is yielded as it is; one that skips ahead, a
`GAP` (a dropped buffer, a lost Redis connection) or an event that says
nothing of where it stands (from a process older than it) is followed by a
read of the database from the last one taken, which holds the missed events
too. Events at or below the last are dropped, so none is yielded twice. A
subscriber that has fallen more than `subscription_max_lag` behind at a gap
is ended with SUBSCRIPTION_LAGGED, carrying where to resubscribe from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import changes, queries
from db.queries import ChatRow, Executor, MessageRow, message_values
from db.session import autocommit
from graph.domain.errors import BadUserInput, NotFound, SubscriptionLagged
from graph.domain.reactions import reactions_from_json
from graph.domain.records import BlockRecord, MessageRecord, UserRecord
from graph.platform.batches import Batch, Batches
from graph.platform.settings import Settings
from graph.realtime import EventBus, Gap, chat_channel
from graph.services.membership import NO_CHAT, member_pair, members_of
from graph.services.sentiment import scores_of

Feed = AsyncIterator[MessageRecord | BlockRecord | Gap]


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat as its messages need it: its channel and its two members."""

    id: int
    channel: str
    users: dict[int, UserRecord]
    head: int  # seq of the newest committed message when it was read
    version: int  # version of its latest committed change when it was read
    blocked: bool = False  # either member blocked the other, when it was read

    @classmethod
    def of(cls, chat: ChatRow) -> ChatView:
        channel = chat_channel(chat.user_low_id, chat.user_high_id)
        return cls(
            chat.id,
            channel,
            members_of(chat),
            chat.last_seq,
            chat.last_version,
            chat.blocked,
        )

    def record(self, message: MessageRow) -> MessageRecord:
        return stored_record(self.channel, self.users, message)


def stored_record(
    channel: str, users: dict[int, UserRecord], message: MessageRow
) -> MessageRecord:
    # Positional both ways: a page builds fifty of these. The sentiment
    # columns start at 12 (db.queries.SENTIMENT_AT; a literal for the types).
    values = message_values(message)
    (
        message_id,
        _,
        seq,
        sender_id,
        recipient_id,
        body,
        client_id,
        created_at,
        version,
        edited_at,
        deleted_at,
        reactions,
    ) = values[:12]
    return MessageRecord(
        message_id,
        seq,
        channel,
        users[sender_id],
        users[recipient_id],
        body,
        client_id,
        created_at,
        None if deleted_at is not None else scores_of(values[12:]),
        version,
        edited_at,
        deleted_at,
        () if reactions is None else reactions_from_json(reactions),
    )


class ChatLookups:
    """Reads the chats of member pairs for feeds about to start, together.

    A page of chats opening after a reconnect subscribes to each at once; with
    one pooled connection per check, 500 sockets subscribing to 9 chats each
    waited on a pool of 20 until 18 were refused (SERVICE_UNAVAILABLE). Here
    the checks that arrive while a read is under way wait for it and go in the
    next one, up to `MAX_PAIRS` a query, with at most `MAX_READS` queries (and
    pooled connections) at a time: a burst costs a few queries, and never
    takes the pool from the rest of the app. A lone check is read at once.
    """

    MAX_PAIRS = 200
    MAX_READS = 2

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._batches: Batches[tuple[int, int], ChatRow | None] = Batches(
            self._answer, size=self.MAX_PAIRS, at_once=self.MAX_READS
        )

    async def chat(self, pair: tuple[int, int]) -> ChatView:
        """The pair's chat, or NotFound."""
        chat = await self._batches(pair)
        if chat is None:
            raise NotFound(NO_CHAT)
        return ChatView.of(chat)

    async def _answer(self, batch: Batch[tuple[int, int], ChatRow | None]) -> None:
        # A check whose subscriber left while it waited is not read.
        batch = [(pair, found) for pair, found in batch if not found.done()]
        if not batch:
            return
        async with autocommit(self._engine) as session:
            chats = await queries.chats_of_pairs(
                session, sorted({pair for pair, _ in batch})
            )
        for pair, found in batch:
            if not found.done():
                found.set_result(chats.get(pair))


async def chat_view(session: AsyncConnection, pair: tuple[int, int]) -> ChatView:
    chat = await queries.chat_of_pair(session, *pair)
    if chat is None:
        raise NotFound(NO_CHAT)
    return ChatView.of(chat)


ReadAfter = Callable[..., Awaitable[Sequence[MessageRow]]]


@dataclass(frozen=True, slots=True)
class Numbering:
    """How a feed numbers its chat's events, and reads them back by number."""

    argument: str  # the subscription's argument: "afterSeq" or "afterVersion"
    unit: str  # "a seq" / "a version"
    newest: str  # what the chat's head number is, for a refusal
    position: Callable[[MessageRecord], int]
    # What came just before a live event in its feed; None: not said.
    previous: Callable[[MessageRecord], int | None]
    head: Callable[[ChatView], int]
    head_of: Callable[[tuple[int, int, bool]], int]  # of queries.chat_head's
    read_after: ReadAfter  # (session, chat_id, *, after, limit) -> rows


BY_SEQ = Numbering(
    "afterSeq",
    "a seq",
    "the newest message",
    lambda message: message.seq,
    lambda message: message.seq - 1,
    lambda chat: chat.head,
    lambda head: head[0],
    queries.messages_after,
)
BY_VERSION = Numbering(
    "afterVersion",
    "a version",
    "the chat's latest change",
    lambda message: message.version,
    lambda message: message.previous_change,
    lambda chat: chat.version,
    lambda head: head[1],
    changes.changed_after,
)


class ChatFeeds:
    """Opens a member's feed of a chat: stored events after a number, then
    live ones, each number once."""

    def __init__(self, engine: AsyncEngine, bus: EventBus, settings: Settings) -> None:
        self._engine = engine
        self._bus = bus
        self._settings = settings
        self._chats = ChatLookups(engine)

    async def follow(
        self,
        viewer_id: int,
        channel: str,
        after: int | None,
        numbering: Numbering,
        attach: Callable[[str], AbstractAsyncContextManager[Feed]],
    ) -> AsyncIterator[MessageRecord]:
        """Without `after`, from the chat's head when it was requested, so
        events published out of order still arrive, in order."""
        pair = member_pair(viewer_id, channel)
        argument = numbering.argument
        if after is not None and after < 0:
            raise BadUserInput(
                f"`{argument}` is {numbering.unit}, 0 or more.", field=argument
            )
        chat = await self._chats.chat(pair)
        head = numbering.head(chat)
        if after is not None and after > head:
            raise BadUserInput(
                f"{argument} {after} is past {numbering.newest} ({head}).",
                field=argument,
            )
        last = head if after is None else after
        position, previous = numbering.position, numbering.previous
        stats = self._bus.stats
        # One generator from here to the last event, not one per step: a live
        # subscription holds each for its whole life.
        async with attach(channel) as feed:
            # Attached: whatever is committed from now on arrives live. What
            # was committed since the head was read is read from the database,
            # if anything was (the head again, as cheap as the first).
            now = await self._chats.chat(pair)
            # While the pair is blocked the feed stays open and silent: what
            # arrives is held back (by not moving `last`), and what was held
            # back is read from the database once the block is lifted. Only
            # what was committed before the block can arrive meanwhile: the
            # chat takes nothing new while blocked.
            blocked = now.blocked
            if not blocked and last < numbering.head(now):
                async for stored in self._stored_after(chat, last, numbering):
                    yield stored
                    last = position(stored)
            async for live in feed:
                if isinstance(live, BlockRecord):
                    blocked = live.blocked
                    if blocked:
                        continue
                    # Unblocked: read what was held back, if anything was.
                elif isinstance(live, Gap):
                    # The block or its lifting may be among what was missed.
                    blocked = await self._check_lag(chat, last, numbering)
                    if blocked:
                        continue
                elif blocked:
                    # Committed before the block, or a sign that its lifting
                    # was missed: the database says which before anything is
                    # delivered.
                    blocked = await self._blocked(chat)
                    if blocked:
                        stats.held_back += 1
                        continue
                else:
                    at, before = position(live), previous(live)
                    if 0 < at <= last:
                        continue  # delivered already, from the database
                    if at > 0 and before is not None and before <= last:
                        stats.delivered_live += 1
                        yield live
                        last = at
                        continue
                async for stored in self._stored_after(chat, last, numbering):
                    yield stored
                    last = position(stored)

    async def _stored_after(
        self, chat: ChatView, after: int, numbering: Numbering
    ) -> AsyncIterator[MessageRecord]:
        page_size = self._settings.catch_up_page_size
        stats = self._bus.stats
        while True:
            async with autocommit(self._engine) as session:
                rows = await _read(numbering, session, chat.id, after, page_size)
            for row in rows:
                stats.caught_up += 1
                record = chat.record(row)
                yield record
                after = numbering.position(record)
            if len(rows) < page_size:
                return

    async def _check_lag(self, chat: ChatView, last: int, numbering: Numbering) -> bool:
        """After a gap: end a subscriber too far behind; whether the chat is
        blocked now (read with its head, in the same query)."""
        async with autocommit(self._engine) as session:
            now = await queries.chat_head(session, chat.id)
        blocked = now[2]
        behind = numbering.head_of(now) - last
        if not blocked and behind > self._settings.subscription_max_lag:
            self._bus.stats.lagged_out += 1
            raise SubscriptionLagged(last, behind, argument=numbering.argument)
        return blocked

    async def _blocked(self, chat: ChatView) -> bool:
        async with autocommit(self._engine) as session:
            return (await queries.chat_head(session, chat.id))[2]


async def _read(
    numbering: Numbering, session: Executor, chat_id: int, after: int, limit: int
) -> Sequence[MessageRow]:
    return await numbering.read_after(session, chat_id, after=after, limit=limit)
