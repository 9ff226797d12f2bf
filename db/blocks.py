"""Blocks: who blocks whom, and the pair's chat marked to match.

`user_block` is the truth; `chat.blocked` repeats it for a pair that has a
chat (either member blocks the other), written in the same transaction, so
the statements that write to a chat (a send, an edit, a reaction) refuse a
blocked one in their own WHERE, with no read of their own.

A block, an unblock and a chat's creation first lock both users' rows, in
id order (`lock_pair`): whichever commits first, the other sees it, so a
chat is never created blind to a block committed meanwhile. `FOR NO KEY
UPDATE` does not wait on the key-share locks that a message's foreign keys
take, so sends elsewhere are not held up. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Block, Chat, User, utcnow
from db.queries import Executor, upsert


async def lock_pair(session: AsyncSession, user_a: int, user_b: int) -> set[int]:
    """Lock both users' rows, in id order; the ids of those that exist."""
    statement = (
        select(User.id)
        .where(User.id.in_(sorted({user_a, user_b})))
        .order_by(User.id)
        .with_for_update(key_share=True)
    )
    return set((await session.scalars(statement)).all())


def _either_way(low_id: int, high_id: int) -> ColumnElement[bool]:
    return or_(
        and_(Block.blocker_id == low_id, Block.blocked_id == high_id),
        and_(Block.blocker_id == high_id, Block.blocked_id == low_id),
    )


async def blocked_either_way(session: Executor, user_a: int, user_b: int) -> bool:
    """Whether either user blocks the other."""
    statement = select(exists().where(_either_way(user_a, user_b)))
    return bool(await session.scalar(statement))


async def blocks(session: Executor, blocker_id: int, blocked_id: int) -> bool:
    """Whether `blocker_id` blocks `blocked_id`."""
    statement = select(
        exists().where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
    )
    return bool(await session.scalar(statement))


async def count_blocked_by(session: AsyncSession, blocker_id: int) -> int:
    statement = select(func.count()).where(Block.blocker_id == blocker_id)
    return int(await session.scalar(statement) or 0)


async def add_block(session: AsyncSession, blocker_id: int, blocked_id: int) -> bool:
    """Record the block and mark the pair's chat; False if it was there already.

    The blocker has read the chat to its newest message by then: nothing
    more can come from the person blocked, and `markRead` moves no position
    in a blocked chat (a move would reach the other as `peerLastReadSeq`),
    so their badge is cleared here, once. The caller holds `lock_pair`.
    """
    statement = (
        upsert(session, Block)
        .values(blocker_id=blocker_id, blocked_id=blocked_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Block.blocker_id, Block.blocked_id])
    )
    result: Any = await session.execute(statement)
    added: bool = result.rowcount == 1
    low, high = sorted((blocker_id, blocked_id))
    mine, theirs = ("low", "high") if blocker_id == low else ("high", "low")
    await session.execute(
        update(Chat)
        .where(Chat.user_low_id == low, Chat.user_high_id == high)
        .values(
            {
                "blocked": True,
                f"{mine}_read_seq": Chat.last_seq,
                f"{mine}_read_count": getattr(Chat, f"{theirs}_sent"),
            }
        )
        .execution_options(synchronize_session=False)
    )
    return added


async def remove_block(
    session: AsyncSession, blocker_id: int, blocked_id: int
) -> tuple[bool, bool]:
    """Lift the block; (whether there was one, whether the pair is still
    blocked the other way). The pair's chat is marked to match.

    The caller holds `lock_pair`.
    """
    result: Any = await session.execute(
        delete(Block)
        .where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
        .execution_options(synchronize_session=False)
    )
    removed: bool = result.rowcount == 1
    still = await blocks(session, blocked_id, blocker_id)
    low, high = sorted((blocker_id, blocked_id))
    await session.execute(
        update(Chat)
        .where(Chat.user_low_id == low, Chat.user_high_id == high)
        .values(blocked=still)
        .execution_options(synchronize_session=False)
    )
    return removed, still


async def blocked_users(
    session: AsyncSession, blocker_id: int, *, limit: int
) -> Sequence[User]:
    """The users `blocker_id` blocks, by username."""
    statement = (
        select(User)
        .join(Block, Block.blocked_id == User.id)
        .where(Block.blocker_id == blocker_id)
        .order_by(User.username_key)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def blocked_among(
    session: AsyncSession, blocker_id: int, user_ids: Collection[int]
) -> set[int]:
    """Which of `user_ids` `blocker_id` blocks."""
    if not user_ids:
        return set()
    statement = select(Block.blocked_id).where(
        Block.blocker_id == blocker_id, Block.blocked_id.in_(list(user_ids))
    )
    return set((await session.scalars(statement)).all())


async def blocked_either_way_among(
    session: Executor, user_id: int, others: Collection[int]
) -> set[int]:
    """Which of `others` block `user_id` or are blocked by them."""
    if not others:
        return set()
    among = list(others)
    blocked = select(Block.blocked_id).where(
        Block.blocker_id == user_id, Block.blocked_id.in_(among)
    )
    blockers = select(Block.blocker_id).where(
        Block.blocked_id == user_id, Block.blocker_id.in_(among)
    )
    rows = await session.execute(blocked.union(blockers))
    return {int(row[0]) for row in rows}
