"""Chats: `chats`, `requestChat`, `newChat`, read state, and the `Chat` type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import strawberry

from graph.api.arguments import or_default, parse_id
from graph.api.chats.types import Chat
from graph.api.context import Info
from graph.api.streams import Mapped

DEFAULT_FIRST = 100

# Nullable, so that a client passing an unset variable (null) gets the default.
First = Annotated[
    int | None, strawberry.argument(description="The newest N chats, max 500.")
]
ToUser = Annotated[
    strawberry.ID, strawberry.argument(description="The other user's id.")
]
ReadSeq = Annotated[
    int,
    strawberry.argument(
        description="The highest seq you have read; at most the chat's newest."
    ),
]


async def request_chat(info: Info, to_user: ToUser) -> Chat:
    user_id = info.context.viewer_id()
    other_id = parse_id(to_user, "toUser")
    chat = await info.context.services.chats.request_chat(user_id, other_id)
    return Chat.from_record(chat, user_id)


async def chats(info: Info, first: First = DEFAULT_FIRST) -> list[Chat]:
    user_id = info.context.viewer_id()
    chats = info.context.services.chats
    records = await chats.list_chats(user_id, or_default(first, DEFAULT_FIRST))
    return Chat.page(records, user_id)


async def mark_read(info: Info, channel: str, seq: ReadSeq) -> Chat:
    user_id = info.context.viewer_id()
    chat = await info.context.services.chats.mark_read(user_id, channel, seq)
    return Chat.from_record(chat, user_id)


async def unread_total(info: Info) -> int:
    user_id = info.context.viewer_id()
    return await info.context.services.chats.unread_total(user_id)


def new_chat(info: Info) -> AsyncIterator[Chat]:
    user_id = info.context.viewer_id()
    stream = info.context.services.chats.new_chats(user_id)
    return Mapped(stream, partial(Chat.from_record, viewer_id=user_id))
