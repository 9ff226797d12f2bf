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


class SubscriptionLagged(SentichatError):
    """A subscriber fell too far behind; it resubscribes from where it was:
    `afterSeq` for `newMessage`, `afterVersion` for `messageChanges`."""

    code = "SUBSCRIPTION_LAGGED"

    def __init__(self, after: int, behind: int, *, argument: str = "afterSeq") -> None:
        what = "messages" if argument == "afterSeq" else "changes"
        super().__init__(
            f"This subscription fell {behind} {what} behind and was ended; "
            f"subscribe again with {argument}: {after} to continue.",
            **{argument: after},
        )


class ServiceUnavailable(SentichatError):
    """The database could not be reached or answer in time; retry later."""

    code = "SERVICE_UNAVAILABLE"
    MESSAGE = "The service is temporarily unavailable; try again shortly."
    RETRY_AFTER_SECONDS = 2

    def __init__(self) -> None:
        super().__init__(self.MESSAGE, retryAfter=self.RETRY_AFTER_SECONDS)
