"""Reports and the audit log on the surface."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.api.accounts.types import User
from graph.api.messages.types import Sentiment
from graph.domain import moderation
from graph.domain.moderation import ModerationEntryRecord, ReportRecord
from graph.domain.mood import shows
from graph.domain.records import UserRecord
from graph.domain.sentiment import Scores

strawberry.enum(moderation.ReportReason, description="Why a message is reported.")
strawberry.enum(
    moderation.ReportStatus,
    description="OPEN until a moderator resolves it (resolveReport).",
)
strawberry.enum(
    moderation.ModerationAction,
    description="What a moderator does with a report: DISMISS (nothing), "
    "DELETE_MESSAGE (erased as its sender's deleteMessage erases it), "
    "SUSPEND_SENDER (no login, request or socket until an operator lifts it).",
)
strawberry.enum(
    moderation.AuditAction,
    description="An entry of the audit log: a moderator's action on a report, "
    "or an operator's from the command line (UNSUSPEND, ADD_MODERATOR, "
    "REMOVE_MODERATOR).",
)
ReportReason = moderation.ReportReason
ReportStatus = moderation.ReportStatus
ModerationAction = moderation.ModerationAction
AuditAction = moderation.AuditAction


@strawberry.type(
    description="A received message reported to the moderators, with the "
    "evidence: the message as it was when (last) reported, whatever its sender "
    "did with it since."
)
class Report:
    id: strawberry.ID
    reason: ReportReason
    note: str | None = strawberry.field(
        description="The reporter's words, at most 500 characters."
    )
    status: ReportStatus
    reporter: User
    sender: User = strawberry.field(description="Who sent the reported message.")
    message_id: strawberry.ID
    channel: str
    seq: int
    text: str = strawberry.field(
        description="The message's text when it was (last) reported: it "
        "survives an edit or a deletion."
    )
    sentiment: Sentiment | None = strawberry.field(
        description="Its sentiment then, as stored. To the reporter, null "
        "while the sender keeps their sentiment to themselves."
    )
    sent_at: datetime
    created_at: datetime
    updated_at: datetime = strawberry.field(
        description="When it was last reported (reporting again updates it)."
    )
    resolved_at: datetime | None
    resolved_by: User | None = strawberry.field(
        description="The moderator who resolved it; null to the reporter."
    )
    action: ModerationAction | None = strawberry.field(
        description="What the moderator did; null while open."
    )

    @classmethod
    def for_moderator(cls, report: ReportRecord) -> Report:
        """All of it: moderators judge the evidence, sentiment included."""
        return cls._of(report, report.sentiment, report.resolved_by)

    @classmethod
    def for_reporter(cls, report: ReportRecord) -> Report:
        """As the chat shows it to the reporter, who is not told who judged."""
        sentiment = (
            report.sentiment if shows(report.sender, report.reporter.id) else None
        )
        return cls._of(report, sentiment, None)

    @classmethod
    def _of(
        cls,
        report: ReportRecord,
        sentiment: Scores | None,
        resolved_by: UserRecord | None,
    ) -> Report:
        return cls(
            id=strawberry.ID(str(report.id)),
            reason=report.reason,
            note=report.note,
            status=report.status,
            reporter=User.from_record(report.reporter),
            sender=User.from_record(report.sender),
            message_id=strawberry.ID(str(report.message_id)),
            channel=report.channel,
            seq=report.seq,
            text=report.text,
            sentiment=None if sentiment is None else Sentiment.from_scores(sentiment),
            sent_at=report.sent_at,
            created_at=report.created_at,
            updated_at=report.updated_at,
            resolved_at=report.resolved_at,
            resolved_by=None if resolved_by is None else User.from_record(resolved_by),
            action=report.action,
        )


@strawberry.type(description="One entry of the append-only audit log.")
class ModerationEntry:
    id: strawberry.ID
    action: AuditAction
    moderator: User | None = strawberry.field(
        description="Who did it; null: an operator, from the command line."
    )
    report_id: strawberry.ID | None
    target: User | None = strawberry.field(description="Whom it was about.")
    message_id: strawberry.ID | None
    at: datetime

    @classmethod
    def from_record(cls, entry: ModerationEntryRecord) -> ModerationEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            action=entry.action,
            moderator=None
            if entry.moderator is None
            else User.from_record(entry.moderator),
            report_id=_id_or_none(entry.report_id),
            target=None if entry.target is None else User.from_record(entry.target),
            message_id=_id_or_none(entry.message_id),
            at=entry.at,
        )


def _id_or_none(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))
