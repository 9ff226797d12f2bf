from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from graph.api.arguments import or_default, parse_id
from graph.api.chats.types import Chat
from graph.api.context import Info

DEFAULT_FIRST = 100

# Nullable, so that a client passing an unset variable (null) gets the default.
First = Annotated[
    int | None, strawberry.argument(description="The newest N chats, max 500.")
]
ToUser = Annotated[
    strawberry.ID, strawberry.argument(description="The other user's id.")
]


async def request_chat(info: Info, to_user: ToUser) -> Chat:
    user_id = info.context.viewer_id()
    other_id = parse_id(to_user, "toUser")
    chat = await info.context.services.chats.request_chat(user_id, other_id)
    return Chat.from_record(chat)


async def chats(info: Info, first: First = DEFAULT_FIRST) -> list[Chat]:
    user_id = info.context.viewer_id()
    chats = info.context.services.chats
    records = await chats.list_chats(user_id, or_default(first, DEFAULT_FIRST))
    return [Chat.from_record(chat) for chat in records]


async def new_chat(info: Info) -> AsyncGenerator[Chat, None]:
    user_id = info.context.viewer_id()
    async for chat in info.context.services.chats.new_chats(user_id):
        yield Chat.from_record(chat)
