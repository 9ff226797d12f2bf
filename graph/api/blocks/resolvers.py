from __future__ import annotations

from typing import Annotated

import strawberry

from graph.api.accounts.types import User
from graph.api.arguments import parse_id
from graph.api.context import Info

Person = Annotated[strawberry.ID, strawberry.argument(description="A user's id.")]


async def block_user(info: Info, user: Person) -> User:
    user_id = info.context.viewer_id()
    other = parse_id(user, "user")
    blocked = await info.context.services.blocks.block(user_id, other)
    return User.from_record(blocked, blocked=True)


async def unblock_user(info: Info, user: Person) -> User:
    user_id = info.context.viewer_id()
    other = parse_id(user, "user")
    unblocked = await info.context.services.blocks.unblock(user_id, other)
    return User.from_record(unblocked, blocked=False)


async def blocked_users(info: Info) -> list[User]:
    user_id = info.context.viewer_id()
    blocked = await info.context.services.blocks.blocked_users(user_id)
    return [User.from_record(user, blocked=True) for user in blocked]
