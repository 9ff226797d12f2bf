from __future__ import annotations

from graph.context import Info
from graph.types import AuthPayload, User


async def register(info: Info, username: str, password: str) -> AuthPayload:
    auth = await info.context.services.accounts.register(username, password)
    return AuthPayload.from_record(auth)


async def login(info: Info, username: str, password: str) -> AuthPayload:
    auth = await info.context.services.accounts.login(username, password)
    return AuthPayload.from_record(auth)


async def me(info: Info) -> User:
    user_id = info.context.viewer_id()
    return User.from_record(await info.context.services.accounts.get_user(user_id))


async def users(info: Info) -> list[User]:
    user_id = info.context.viewer_id()
    others = await info.context.services.accounts.list_others(user_id)
    return [User.from_record(user) for user in others]
