"""Expected refusals. Each carries the `extensions.code` clients see.

These are plain exceptions so services need no GraphQL import; graphql-core
copies an original error's `extensions` onto the GraphQL error it reports.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SentichatError(Exception):
    """A refusal the client caused and can act on; never logged as a fault."""

    code: ClassVar[str] = "BAD_USER_INPUT"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class Unauthenticated(SentichatError):
    code = "UNAUTHENTICATED"


class Forbidden(SentichatError):
    code = "FORBIDDEN"


class BadUserInput(SentichatError):
    code = "BAD_USER_INPUT"


class NotFound(SentichatError):
    code = "NOT_FOUND"


class RateLimited(SentichatError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)


class ServiceUnavailable(Exception):
    """A dependency (database, broker) is unreachable: an unexpected fault."""
