"""Accounts on the surface: a user, and the session a sign-in returns."""

from __future__ import annotations

import strawberry

from graph.domain.records import AuthRecord, UserRecord


@strawberry.type(description="A person who can chat.")
class User:
    id: strawberry.ID
    username: str = strawberry.field(description="Unique without regard to case.")

    @classmethod
    def from_record(cls, user: UserRecord) -> User:
        return cls(id=strawberry.ID(str(user.id)), username=user.username)


@strawberry.type(description="A signed-in session.")
class AuthPayload:
    token: str = strawberry.field(
        description="Send as `Authorization: Bearer <token>`, or as "
        '`{"authorization": "Bearer <token>"}` in the WebSocket connection_init.'
    )
    user: User

    @classmethod
    def from_record(cls, auth: AuthRecord) -> AuthPayload:
        return cls(token=auth.token, user=User.from_record(auth.user))
