"""Reports and moderation: the kinds, the records services hand out.

The enums' values are their names: they are what the `report` and
`moderation_log` tables store, and what the API's enums read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from graph.domain.sentiment import Scores
from graph.domain.users import UserRecord

NOTE_MAX_CHARS = 500
SUSPENDED = "This account is suspended."


class ReportReason(StrEnum):
    SPAM = "SPAM"
    HARASSMENT = "HARASSMENT"
    HATE = "HATE"
    OTHER = "OTHER"


class ReportStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class ModerationAction(StrEnum):
    """What a moderator does with a report."""

    DISMISS = "DISMISS"
    DELETE_MESSAGE = "DELETE_MESSAGE"
    SUSPEND_SENDER = "SUSPEND_SENDER"


class AuditAction(StrEnum):
    """What the audit log records: a moderator's actions, and an operator's
    from the command line."""

    DISMISS = "DISMISS"
    DELETE_MESSAGE = "DELETE_MESSAGE"
    SUSPEND_SENDER = "SUSPEND_SENDER"
    UNSUSPEND = "UNSUSPEND"
    ADD_MODERATOR = "ADD_MODERATOR"
    REMOVE_MODERATOR = "REMOVE_MODERATOR"


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A report with its evidence: the message as it was when reported (a
    report made again keeps it, changing its reason and note only)."""

    id: int
    reason: ReportReason
    note: str | None
    reporter: UserRecord
    # With `shares_sentiment` read: the reporter sees the evidence's
    # sentiment only if the sender shares theirs, as in the chat itself.
    sender: UserRecord
    message_id: int
    channel: str
    seq: int
    text: str
    sentiment: Scores | None
    sent_at: datetime
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: UserRecord | None
    action: ModerationAction | None

    @property
    def status(self) -> ReportStatus:
        return ReportStatus.OPEN if self.resolved_at is None else ReportStatus.RESOLVED


@dataclass(frozen=True, slots=True)
class ModerationEntryRecord:
    """One row of the audit log; `moderator` None: done from the command line."""

    id: int
    action: AuditAction
    moderator: UserRecord | None
    report_id: int | None
    target: UserRecord | None
    message_id: int | None
    at: datetime
