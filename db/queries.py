"""Every statement Sentichat runs. Each takes the caller's session first.

Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from db.models import Chat, Message, User, utcnow


def _upsert_insert(session: AsyncSession, entity: type[Any]) -> Any:
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


async def ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    statement = select(User).where(User.username_key == username.lower())
    return await session.scalar(statement)


async def insert_user(
    session: AsyncSession, *, username: str, password_hash: str
) -> User | None:
    """The new user, or None when the username is taken in any letter case."""
    statement = (
        _upsert_insert(session, User)
        .values(
            username=username,
            username_key=username.lower(),
            password_hash=password_hash,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[User.username_key])
        .returning(User)
    )
    user: User | None = await session.scalar(statement)
    return user


async def list_users_except(
    session: AsyncSession, user_id: int, *, after: str | None, limit: int
) -> Sequence[User]:
    """Up to `limit` users but `user_id`, by username, after `after` (any case)."""
    statement = select(User).where(User.id != user_id)
    if after is not None:
        statement = statement.where(User.username_key > after.lower())
    statement = statement.order_by(User.username_key).limit(limit)
    return (await session.scalars(statement)).all()


async def ensure_chat(
    session: AsyncSession, low_id: int, high_id: int, *, requested_by: int
) -> Chat:
    """The pair's chat, created if missing; concurrent callers get the same row.

    `requested_by` is recorded only when this call creates the chat.
    """
    statement = (
        _upsert_insert(session, Chat)
        .values(
            user_low_id=low_id,
            user_high_id=high_id,
            requested_by_id=requested_by,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[Chat.user_low_id, Chat.user_high_id])
    )
    await session.execute(statement)
    chat = await get_chat(session, low_id, high_id)
    assert chat is not None, "the chat was just inserted or already there"
    return chat


async def get_chat(session: AsyncSession, low_id: int, high_id: int) -> Chat | None:
    """The pair's chat with both users loaded."""
    statement = (
        select(Chat)
        .options(joinedload(Chat.user_low), joinedload(Chat.user_high))
        .where(Chat.user_low_id == low_id, Chat.user_high_id == high_id)
    )
    return await session.scalar(statement)


async def chat_exists(session: AsyncSession, low_id: int, high_id: int) -> bool:
    statement = select(Chat.id).where(
        Chat.user_low_id == low_id, Chat.user_high_id == high_id
    )
    return await session.scalar(statement) is not None


async def list_chats(
    session: AsyncSession, user_id: int, *, limit: int
) -> Sequence[Chat]:
    """The user's newest `limit` chats, newest first, with both users loaded."""
    statement = (
        select(Chat)
        .options(joinedload(Chat.user_low), joinedload(Chat.user_high))
        .where((Chat.user_low_id == user_id) | (Chat.user_high_id == user_id))
        .order_by(Chat.id.desc())
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def chat_head(session: AsyncSession, chat_id: int) -> int:
    """The seq of the chat's newest committed message (0 when it has none)."""
    statement = select(Chat.last_seq).where(Chat.id == chat_id)
    head: int = (await session.execute(statement)).scalar_one()
    return head


async def claim_next_seq(session: AsyncSession, chat_id: int) -> int:
    """Number the chat's next message, holding its row lock until commit.

    The lock queues concurrent senders, so seq order is commit order and a
    rolled-back transaction returns its number: no gaps.
    """
    statement = (
        update(Chat)
        .where(Chat.id == chat_id)
        .values(last_seq=Chat.last_seq + 1)
        .returning(Chat.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq: int = (await session.execute(statement)).scalar_one()
    return seq


async def find_message_by_client_id(
    session: AsyncSession, sender_id: int, client_id: str
) -> Message | None:
    statement = select(Message).where(
        Message.sender_id == sender_id, Message.client_id == client_id
    )
    return await session.scalar(statement)


async def add_message(session: AsyncSession, message: Message) -> Message:
    session.add(message)
    await session.flush()
    return message


async def latest_messages(
    session: AsyncSession,
    chat_id: int,
    *,
    after: int | None,
    before: int | None,
    limit: int,
) -> list[Message]:
    """The newest `limit` messages strictly between the bounds, oldest first."""
    statement = select(Message).where(Message.chat_id == chat_id)
    if after is not None:
        statement = statement.where(Message.seq > after)
    if before is not None:
        statement = statement.where(Message.seq < before)
    statement = statement.order_by(Message.seq.desc()).limit(limit)
    newest_first = (await session.scalars(statement)).all()
    return list(reversed(newest_first))


async def messages_after(
    session: AsyncSession, chat_id: int, *, after: int, limit: int
) -> Sequence[Message]:
    """Up to `limit` messages with seq > after, oldest first."""
    statement = (
        select(Message)
        .where(Message.chat_id == chat_id, Message.seq > after)
        .order_by(Message.seq)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()
