"""A chat's mood: read from what its sends keep up to date, its history from
the 64-message rollups, and who may see whose (graph.domain.mood)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import chats, mood
from db.chats import ChatState
from db.models import MOOD_BLOCK
from db.session import autocommit
from graph.domain.errors import BadUserInput, NotFound
from graph.domain.mood import (
    DECAY,
    FAST_DECAY,
    MoodChangedRecord,
    MoodPointRecord,
    MoodState,
    Parts,
    RunMood,
    adjusted,
    runs,
    stored_mood,
)
from graph.domain.records import UserRecord
from graph.realtime import chat_channel
from graph.services.membership import NO_CHAT, member_pair, members, members_of

# What the database's mood statements are given: the weight one message
# back keeps, for the mood and for its fast twin.
DECAYS = (DECAY, FAST_DECAY)
MAX_BUCKETS = 100


def chat_mood(state: ChatState) -> MoodState:
    """The mood of a chat read with its state (db.chats)."""
    low, high = state.user_low_id, state.user_high_id
    users = members_of(state)
    return stored_mood(
        chat_channel(low, high),
        state.last_version,
        users[low],
        users[high],
        state.mood_values,
    )


def chat_members(
    pair: tuple[int, int], low_username: str, high_username: str, values: Sequence[Any]
) -> dict[int, UserRecord]:
    """The pair as records, with whether each shares (from MoodValues)."""
    return members(pair, low_username, high_username, shares=(values[2], values[3]))


class MoodService:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def history(
        self, viewer_id: int, channel: str, buckets: int
    ) -> list[MoodPointRecord]:
        """The chat split into at most `buckets` equal runs of messages,
        oldest first, each with its mood (members only)."""
        low, high = member_pair(viewer_id, channel)
        if not 1 <= buckets <= MAX_BUCKETS:
            raise BadUserInput(f"`buckets` is 1 to {MAX_BUCKETS}.", field="buckets")
        async with autocommit(self._engine) as connection:
            state = await chats.chat_state(connection, low, high)
            if state is None:
                raise NotFound(NO_CHAT)
            split = runs(state.last_seq, buckets)
            if not split:
                return []
            sums, started = await mood.run_rows(connection, state.id, low, split)
        users = members_of(state)
        return [
            MoodPointRecord(
                from_seq,
                to_seq,
                started_at,
                (users[low], RunMood(run.low_messages, run.low_scored, run.low_total)),
                (
                    users[high],
                    RunMood(run.high_messages, run.high_scored, run.high_total),
                ),
            )
            for (from_seq, to_seq), run, started_at in zip(
                split, sums, started, strict=True
            )
        ]


def mood_after_send(
    after: MoodState, sender_id: int, score: float
) -> MoodChangedRecord:
    """The move a send made: `after` holds the sender's message, scored
    `score`; the mood before it is worked back from it."""
    low, high = after.low, after.high
    before = MoodState(
        after.channel,
        after.version - 1,
        low.before_send(score if low.user.id == sender_id else None),
        high.before_send(score if high.user.id == sender_id else None),
    )
    return MoodChangedRecord(before, after)


async def move_rescored(
    connection: AsyncConnection,
    locked: Mapping[int, mood.LockedChat],
    counted: Sequence[mood.Counted],
    rescored: Mapping[int, tuple[str, float]],
) -> None:
    """Take new scores of `make rescore` into their chats' moods and mood
    blocks: `counted` are the messages as they were (read under the chats'
    locks, in `locked`), `rescored` each one's (scored text, new score);
    one whose text is no longer the one scored was not rescored."""
    by_chat: dict[int, list[mood.Counted]] = defaultdict(list)
    for message in counted:
        body, _ = rescored[message.id]
        if message.body == body:
            by_chat[message.chat_id].append(message)
    for chat_id, messages in by_chat.items():
        chat = locked[chat_id]
        sides: dict[str, Parts] = {
            "low": cast("Parts", chat.parts[:4]),
            "high": cast("Parts", chat.parts[4:]),
        }
        blocks: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0])
        for message in messages:
            _, score = rescored[message.id]
            side = "low" if message.sender_id == chat.user_low_id else "high"
            ago = chat.last_seq - message.seq
            sides[side] = adjusted(sides[side], ago, message.score, score)
            block = blocks[(message.seq - 1) // MOOD_BLOCK, side]
            block[0] += 1 if message.score is None else 0
            block[1] += score - (message.score or 0.0)
        for side, parts in sides.items():
            await mood.write_member_mood(connection, chat_id, side, parts)
        for (block_number, side), (scored, total) in blocks.items():
            await mood.adjust_block(
                connection,
                chat_id=chat_id,
                seq=block_number * MOOD_BLOCK + 1,
                side=side,
                scored=int(scored),
                total=total,
            )
