from __future__ import annotations

import strawberry

from graph.records import UserRecord


@strawberry.type(description="A person who can chat.")
class User:
    id: strawberry.ID
    username: str = strawberry.field(description="Unique without regard to case.")

    @classmethod
    def from_record(cls, user: UserRecord) -> User:
        return cls(id=strawberry.ID(str(user.id)), username=user.username)
