"""Accounts on the surface: a user, and the session a sign-in returns."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.api.context import Info
from graph.domain.records import AuthRecord, UserRecord

PRESENCE_RULE = "null unless you share a chat with this user"


async def _online(root: User, info: Info) -> bool | None:
    state = await info.context.presence_of(int(root.id), root.shares_chat)
    return None if state is None else state.online


async def _last_seen_at(root: User, info: Info) -> datetime | None:
    state = await info.context.presence_of(int(root.id), root.shares_chat)
    return None if state is None else state.last_seen_at


async def _blocked_by_me(root: User, info: Info) -> bool:
    if root.blocked_hint is not None:
        return root.blocked_hint
    return await info.context.blocked_by_me(int(root.id))


async def _moderator(root: User, info: Info) -> bool | None:
    if not root.is_caller:
        return None
    # From the database, not the token: a role taken away counts at once.
    return await info.context.services.moderation.is_moderator(int(root.id))


@strawberry.type(description="A person who can chat.")
class User:
    id: strawberry.ID
    username: str = strawberry.field(description="Unique without regard to case.")
    online: bool | None = strawberry.field(
        resolver=_online,
        description=f"Whether the user has an open connection now; {PRESENCE_RULE}.",
    )
    last_seen_at: datetime | None = strawberry.field(
        resolver=_last_seen_at,
        description="When the user was last online (now, while they are); "
        f"{PRESENCE_RULE}, or not seen since presence was last reset.",
    )
    share_sentiment: bool | None = strawberry.field(
        description="Whether they let the other member of their chats see "
        "their messages' sentiment and their part of a chat's mood; null "
        "where it was not read with them (a typing notice, a presence change)."
    )
    blocked_by_me: bool = strawberry.field(
        resolver=_blocked_by_me,
        description="Whether you block this user (blockUser); false on yourself.",
    )
    moderator: bool | None = strawberry.field(
        resolver=_moderator,
        description="Whether this user is a moderator (reports, resolveReport, "
        "moderationLog): only on yourself (me, and the user of register and "
        "login); null on anyone else.",
    )
    # Whether this is the caller themself (`caller`): only then is
    # `moderator` told.
    is_caller: strawberry.Private[bool] = False
    # Whether the viewer is known to share a chat with this user (built as a
    # member of the viewer's chat); None: looked up if presence is asked for.
    shares_chat: strawberry.Private[bool | None] = None
    # Whether the viewer blocks this user, where known (the answer of
    # blockUser); None: looked up if asked for.
    blocked_hint: strawberry.Private[bool | None] = None

    @classmethod
    def from_record(
        cls,
        user: UserRecord,
        *,
        shares_chat: bool | None = None,
        blocked: bool | None = None,
    ) -> User:
        return cls(
            id=strawberry.ID(str(user.id)),
            username=user.username,
            share_sentiment=user.shares_sentiment,
            shares_chat=shares_chat,
            blocked_hint=blocked,
        )

    @classmethod
    def member(cls, user: UserRecord) -> User:
        """A member of a chat the viewer is in (the viewer, or their peer)."""
        return cls.from_record(user, shares_chat=True)

    @classmethod
    def caller(cls, user: UserRecord) -> User:
        """The caller themself (`me`, a sign-in's user): their presence and
        their role are theirs to see."""
        # No one blocks themself; known without the token a sign-in has not
        # sent yet (looking it up would refuse the sign-in's answer).
        built = cls.from_record(user, shares_chat=True, blocked=False)
        built.is_caller = True
        return built


@strawberry.type(description="A signed-in session.")
class AuthPayload:
    token: str = strawberry.field(
        description="Send as `Authorization: Bearer <token>`, or as "
        '`{"authorization": "Bearer <token>"}` in the WebSocket connection_init.'
    )
    user: User

    @classmethod
    def from_record(cls, auth: AuthRecord) -> AuthPayload:
        # The caller's own account: their presence is theirs to see.
        return cls(token=auth.token, user=User.caller(auth.user))
