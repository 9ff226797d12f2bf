from __future__ import annotations

from typing import Annotated

import strawberry

from graph.api.accounts.types import AuthPayload, User
from graph.api.arguments import optional, or_default
from graph.api.context import Info

DEFAULT_FIRST = 200

# Nullable, so that a client passing an unset variable (null) gets the default.
First = Annotated[
    int | None, strawberry.argument(description="At most this many users, max 500.")
]
After = Annotated[
    str | None,
    strawberry.argument(description="Only users whose username sorts after this."),
]


async def register(info: Info, username: str, password: str) -> AuthPayload:
    accounts = info.context.services.accounts
    auth = await accounts.register(username, password, info.context.client_address)
    return AuthPayload.from_record(auth)


async def login(info: Info, username: str, password: str) -> AuthPayload:
    accounts = info.context.services.accounts
    auth = await accounts.login(username, password, info.context.client_address)
    return AuthPayload.from_record(auth)


async def me(info: Info) -> User:
    user_id = info.context.viewer_id()
    return User.caller(await info.context.services.accounts.get_user(user_id))


async def users(
    info: Info, first: First = DEFAULT_FIRST, after: After = strawberry.UNSET
) -> list[User]:
    user_id = info.context.viewer_id()
    accounts = info.context.services.accounts
    page = or_default(first, DEFAULT_FIRST)
    others = await accounts.list_others(user_id, page, optional(after))
    return [User.from_record(user) for user in others]


async def set_share_sentiment(
    info: Info,
    share: Annotated[
        bool,
        strawberry.argument(description="false: the other member sees none of it."),
    ],
) -> User:
    user_id = info.context.viewer_id()
    accounts = info.context.services.accounts
    return User.member(await accounts.set_share_sentiment(user_id, share))
