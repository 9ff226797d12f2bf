"""Blocking a person: while either of two users blocks the other, nothing new
passes between them, on any path, on any process.

What holds it (README, "Block and report"):

- Writes: the pair's chat carries `blocked` (db.blocks), and a send, an edit
  or a reaction is refused in its own statement, so the check costs the
  common path no round trip. `requestChat` and `setTyping` read the chat or
  the blocks anyway and refuse there.
- Live feeds: the block is published (`EventBus.publish_block`) on every feed
  that carries something between the two. Each feed takes it in order with
  its own events and holds back whatever comes after it, until the unblock;
  a feed that may have missed it (a gap) reads the chat before it delivers
  again.
- Presence: neither sees the other's (`db.chats.peers` leaves blocked chats
  out), and a live presence feed hides the peer when the block arrives.

The blocked person is never told: their refusals read like those of a chat
they may not use. History stays readable to both.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import blocks, queries
from db.queries import Executor
from graph.domain.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from graph.domain.records import BlockRecord, UserRecord
from graph.realtime import EventBus
from graph.services.membership import NO_CHAT, YOU_BLOCKED
from graph.services.throttle import Limit, Throttle

# Bounds `blockedUsers` (and the table): far past what a person blocks by hand.
MAX_BLOCKS_PER_USER = 1000
NO_USER = "No such user."


class BlockService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        throttle: Throttle,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._throttle = throttle

    async def block(self, user_id: int, other_id: int) -> UserRecord:
        """Block `other_id`; blocking again changes nothing and is no error."""
        if other_id == user_id:
            raise BadUserInput("You cannot block yourself.", field="user")
        await self._throttle.check(Limit.BLOCK_USER_PER_USER, user_id)
        async with self._sessions.begin() as session:
            other = await self._lock(session, user_id, other_id)
            if not await blocks.blocks(session, user_id, other_id):
                held = await blocks.count_blocked_by(session, user_id)
                if held >= MAX_BLOCKS_PER_USER:
                    raise BadUserInput(
                        f"You block {MAX_BLOCKS_PER_USER} people already: "
                        "unblock someone first.",
                        field="user",
                    )
            await blocks.add_block(session, user_id, other_id)
        # Published even when it changed nothing: a feed that missed the
        # first announcement hears it now.
        await self._bus.publish_block(_record(user_id, other_id, blocked=True))
        return other

    async def unblock(self, user_id: int, other_id: int) -> UserRecord:
        """Lift the caller's block of `other_id`; none to lift is no error.

        The pair stays blocked while the other blocks the caller.
        """
        if other_id == user_id:
            raise BadUserInput("You cannot unblock yourself.", field="user")
        await self._throttle.check(Limit.BLOCK_USER_PER_USER, user_id)
        async with self._sessions.begin() as session:
            other = await self._lock(session, user_id, other_id)
            _, still = await blocks.remove_block(session, user_id, other_id)
        await self._bus.publish_block(_record(user_id, other_id, blocked=still))
        return other

    async def blocked_users(self, user_id: int) -> list[UserRecord]:
        """The users the caller blocks, by username."""
        async with self._sessions() as session:
            users = await blocks.blocked_users(
                session, user_id, limit=MAX_BLOCKS_PER_USER
            )
        return [UserRecord(user.id, user.username) for user in users]

    async def blocked_among(self, user_id: int, others: Collection[int]) -> set[int]:
        """Which of `others` the caller blocks."""
        async with self._sessions() as session:
            return await blocks.blocked_among(session, user_id, others)

    async def _lock(
        self, session: AsyncSession, user_id: int, other_id: int
    ) -> UserRecord:
        present = await blocks.lock_pair(session, user_id, other_id)
        if user_id not in present:
            raise Unauthenticated("This account no longer exists.")
        if other_id not in present:
            raise BadUserInput(NO_USER, field="user")
        other = await queries.get_user(session, other_id)
        assert other is not None  # locked just now
        return UserRecord(other.id, other.username)


def _record(user_id: int, other_id: int, *, blocked: bool) -> BlockRecord:
    low, high = sorted((user_id, other_id))
    return BlockRecord(low, high, blocked)


async def blocked_refusal(
    session: Executor, user_id: int, other_id: int, not_theirs: Exception
) -> Exception:
    """The refusal of something new between a blocked pair: the blocker is
    told why; the blocked member gets `not_theirs`, the refusal of a chat
    they may not use, so they do not learn that they were blocked. Read
    only once something has been refused, never on the way of what passes."""
    if await blocks.blocks(session, user_id, other_id):
        return Forbidden(YOU_BLOCKED)
    return not_theirs


async def refusal(
    session: Executor, user_id: int, pair: tuple[int, int], not_theirs: Exception
) -> Exception:
    """Why a write to the pair's chat found no chat to write to: none at
    all (NOT_FOUND), or a blocked one (`blocked_refusal`)."""
    chat = await queries.chat_of_pair(session, *pair)
    if chat is None:
        return NotFound(NO_CHAT)
    (other_id,) = set(pair) - {user_id}
    return await blocked_refusal(session, user_id, other_id, not_theirs)
