"""A chat's mood: read from what its sends keep up to date, its history from
the 64-message rollups, and who may see whose (graph.domain.mood)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from db import chats, mood
from db.session import autocommit
from graph.domain.errors import BadUserInput, NotFound
from graph.domain.mood import (
    DECAY,
    FAST_DECAY,
    MemberMood,
    MoodChangedRecord,
    MoodPointRecord,
    MoodState,
    RunMood,
    runs,
)
from graph.domain.records import UserRecord
from graph.services.membership import NO_CHAT, member_pair, members

# What the database's mood statements are given: the weight one message
# back keeps, for the mood and for its fast twin.
DECAYS = (DECAY, FAST_DECAY)
MAX_BUCKETS = 100


def mood_state(
    channel: str,
    version: int,
    users: dict[int, UserRecord],
    low_id: int,
    values: Sequence[Any],
) -> MoodState:
    """The mood from `db.queries.MoodValues` (each member's count, whether
    each shares, then their means' parts)."""
    low_sent, high_sent, _, _, *parts = values
    (high_id,) = set(users) - {low_id}
    low = MemberMood(users[low_id], int(low_sent), *map(float, parts[:4]))
    high = MemberMood(users[high_id], int(high_sent), *map(float, parts[4:]))
    return MoodState(channel, version, low, high)


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
        users = members(
            (low, high),
            state.low_username,
            state.high_username,
            shares=(state.low_shares, state.high_shares),
        )
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
