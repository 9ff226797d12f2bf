"""Live activity in a chat: typing, and the read receipts of `markRead`.

Nothing here is stored: typing goes through the event bus only, and a
`typing: true` lasts `typing_ttl_seconds` unless renewed. Its end is decided
by each subscriber's own clock, so a typist whose socket drops or whose
process is killed stops "typing" everywhere without anyone telling.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import chats
from db.chats import ChatState
from graph.domain.errors import Forbidden, NotFound
from graph.domain.mood import MoodChangedRecord
from graph.domain.records import (
    Activity,
    BlockRecord,
    ReadReceiptRecord,
    TypingRecord,
)
from graph.platform.settings import Settings
from graph.realtime import GAP, EventBus, Expired, Gap
from graph.services.blocks import blocked_refusal
from graph.services.membership import (
    NO_CHAT,
    NOT_A_MEMBER,
    member_pair,
    members,
)
from graph.services.moods import chat_mood
from graph.services.throttle import Limit, Throttle


class ActivityService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        throttle: Throttle,
        settings: Settings,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._throttle = throttle
        self._typing_ttl = settings.typing_ttl_seconds

    async def set_typing(self, user_id: int, channel: str, typing: bool) -> bool:
        """Tell the chat's subscribers that the user is (or stopped) typing.

        True once announced; False when the event bus could not take it (the
        other member then sees no change, which typing can afford).
        """
        low, high = member_pair(user_id, channel)
        await self._throttle.check(Limit.SET_TYPING_PER_USER, user_id)
        state = await self._state(low, high)
        if state.blocked:
            async with self._sessions() as session:
                other_id = high if user_id == low else low
                raise await blocked_refusal(
                    session, user_id, other_id, Forbidden(NOT_A_MEMBER)
                )
        users = members((low, high), state.low_username, state.high_username)
        return await self._bus.publish_activity(
            TypingRecord(channel, users[user_id], typing)
        )

    async def stream(self, viewer_id: int, channel: str) -> AsyncIterator[Activity]:
        """Read receipts of both members, the other member's typing, and the
        chat's mood each time the label the viewer sees changes.

        Live only. Subscribed before the chat is read, so that when the feed
        reports a gap, positions that moved meanwhile are sent from the
        database, and so is the mood if its label moved. A receipt never
        goes back: one at or below the last sent for its member is dropped
        (two tabs' receipts may cross on the way); a mood older than the
        last one taken (by the chat's version) is dropped too.

        While the pair is blocked it stays open and silent: what arrives
        after the block is dropped (the other's typing ends for the viewer
        at once), and after a gap the chat is read again before anything
        is sent. The unblock brings it back to life.
        """
        low, high = member_pair(viewer_id, channel)
        async with self._bus.activity_feed(channel) as feed:
            state = await self._state(low, high)
            blocked = state.blocked
            users = members((low, high), state.low_username, state.high_username)
            sent = {low: 0, high: 0}  # the last receipt sent, per member
            known = _positions(state)  # the positions as last read or sent
            mood = chat_mood(state)  # the latest mood taken
            label = mood.view(viewer_id).label  # the label last sent or read
            typing_until: dict[int, float] = {}  # typist -> when it lapses
            while True:
                now = time.monotonic()
                for typist, until in list(typing_until.items()):
                    if until <= now:
                        del typing_until[typist]
                        yield TypingRecord(channel, users[typist], typing=False)
                within = min(typing_until.values(), default=now) - now
                event = await feed.next(within if typing_until else None)
                if event is None:
                    return
                if isinstance(event, Expired):
                    continue
                if isinstance(event, BlockRecord):
                    blocked = event.blocked
                    if blocked:
                        for typist in typing_until:
                            yield TypingRecord(channel, users[typist], typing=False)
                        typing_until.clear()
                        continue
                    # Lifted: what moved meanwhile (a deletion's mood) is
                    # read as after a gap.
                    event = GAP
                if isinstance(event, Gap):
                    now_state = await self._state(low, high)
                    blocked = now_state.blocked
                    if blocked:
                        continue
                    for member, seq in _positions(now_state).items():
                        if seq > max(known[member], sent[member]):
                            known[member] = sent[member] = seq
                            yield ReadReceiptRecord(channel, users[member], seq)
                    event = MoodChangedRecord(mood, chat_mood(now_state))
                if blocked:  # nothing passes between a blocked pair
                    self._bus.stats.held_back += 1
                    continue
                if isinstance(event, MoodChangedRecord):
                    if event.after.version <= mood.version:
                        continue
                    mood = event.after
                    if mood.view(viewer_id).label != label:
                        label = mood.view(viewer_id).label
                        yield mood
                elif isinstance(event, ReadReceiptRecord):
                    member = event.user.id
                    if member in sent and event.seq > sent[member]:
                        sent[member] = event.seq
                        known[member] = max(known[member], event.seq)
                        yield event
                elif event.user.id != viewer_id and event.user.id in users:
                    typist = event.user.id
                    if event.typing:
                        if typist not in typing_until:
                            yield event
                        typing_until[typist] = time.monotonic() + self._typing_ttl
                    elif typing_until.pop(typist, None) is not None:
                        yield event

    async def _state(self, low: int, high: int) -> ChatState:
        async with self._sessions() as session:
            state = await chats.chat_state(session, low, high)
        if state is None:
            raise NotFound(NO_CHAT)
        return state


def _positions(state: ChatState) -> dict[int, int]:
    return {
        state.user_low_id: state.low_read_seq,
        state.user_high_id: state.high_read_seq,
    }
