from __future__ import annotations

import strawberry

from graph.records import AuthRecord
from graph.types.user import User


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
