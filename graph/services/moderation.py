"""Reports of received messages, and what moderators do with them.

- A member reports a message they received (never one they sent, nor one of
  a chat they are not in: both are refused as a message that does not
  exist). The report copies the text, sentiment and send time as they are,
  so an edit or a deletion by the sender leaves the evidence alone. Each
  member holds at most one open report per message: reporting again updates
  it (same id).
- Moderators (role read from the database on each call, never from the
  token) list reports, resolve them and read the audit log. Anyone else is
  refused with one FORBIDDEN sentence before any argument is looked at, so
  a non-moderator learns nothing from them.
- A moderator resolves one report with one action (only the recipient
  reports a message, so it has at most one open report), and never one of
  a message they sent themself. The action, the report and its audit row
  are one transaction; a report already resolved is refused and changes
  nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import audit, moderation, reports
from db.audit import StoredEntry
from db.models import MODERATOR_ROLE, utcnow
from db.reports import StoredReport
from graph.domain.errors import BadUserInput, Forbidden, NotFound
from graph.domain.moderation import (
    NOTE_MAX_CHARS,
    AuditAction,
    ModerationAction,
    ModerationEntryRecord,
    ReportReason,
    ReportRecord,
    ReportStatus,
)
from graph.domain.records import UserRecord, id_argument
from graph.realtime import EventBus, chat_channel
from graph.services.changes import NO_MESSAGE, ChangeService
from graph.services.pages import check_page_size
from graph.services.sentiment import scores_of
from graph.services.suspensions import Suspensions
from graph.services.text import is_storable
from graph.services.throttle import Limit, Throttle

ONLY_MODERATORS = "Only moderators may do this."
NO_REPORT = "No such report."
ALREADY_RESOLVED = "This report is already resolved."
DELETED = "A deleted message cannot be reported."
OWN_MESSAGE = "You cannot act on a report of a message you sent."
MAX_PAGE = 200


class ModerationService:
    """Reports by the members who received a message; the moderators' list,
    actions and audit log. Each write is one transaction, published after
    its commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        changes: ChangeService,
        suspensions: Suspensions,
        bus: EventBus,
        throttle: Throttle,
    ) -> None:
        self._engine = engine
        self._changes = changes
        self._suspensions = suspensions
        self._bus = bus
        self._throttle = throttle

    async def report(
        self,
        reporter_id: int,
        message_id: int,
        reason: ReportReason,
        note: str | None,
    ) -> ReportRecord:
        """Report a message the caller received, with the message as it is
        now as the evidence; or update the reason and note of their open
        report of it, whose evidence stays as it was first captured."""
        _check_note(note)
        await self._throttle.check(Limit.REPORT_MESSAGE_PER_USER, reporter_id)
        async with self._engine.begin() as connection:
            message = await reports.reportable_message(
                connection, message_id, reporter_id
            )
            if message is None:
                raise NotFound(NO_MESSAGE, field="id")
            if message.deleted_at is not None:
                raise BadUserInput(DELETED, field="id")
            report_id = await reports.save_report(
                connection,
                message_id,
                reporter_id,
                message,
                reason=reason.value,
                note=note or None,
                at=utcnow(),
            )
            return await _read_report(connection, report_id)

    async def is_moderator(self, user_id: int) -> bool:
        async with self._engine.connect() as connection:
            return await moderation.role_of(connection, user_id) == MODERATOR_ROLE

    async def reports(
        self, viewer_id: int, status: ReportStatus, first: int, after: str | None
    ) -> list[ReportRecord]:
        """A page of reports: open ones oldest first, resolved ones newest
        first; `after` is the last id of the previous page. Moderators only."""
        await self._require_moderator(viewer_id)
        check_page_size("first", first, MAX_PAGE)
        last = _optional_id(after, "after")
        async with self._engine.connect() as connection:
            page = await reports.reports_page(
                connection,
                resolved=status is ReportStatus.RESOLVED,
                after=last,
                limit=first,
            )
        return [_report_record(stored) for stored in page]

    async def log(
        self, viewer_id: int, first: int, after: str | None
    ) -> list[ModerationEntryRecord]:
        """A page of the audit log, newest first; `after` is the last id of
        the previous page. Moderators only."""
        await self._require_moderator(viewer_id)
        check_page_size("first", first, MAX_PAGE)
        last = _optional_id(after, "after")
        async with self._engine.connect() as connection:
            page = await audit.log_page(connection, before=last, limit=first)
        return [_entry_record(entry) for entry in page]

    async def resolve(
        self, moderator_id: int, report_id: str, action: ModerationAction
    ) -> ReportRecord:
        """Act on a report, with its audit row, in one transaction; then
        tell every process of a suspension. Moderators only, and never on a
        report of a message they sent."""
        await self._require_moderator(moderator_id)
        report = await self._open_report(id_argument(report_id, "id"))
        if report.sender_id == moderator_id:
            raise BadUserInput(OWN_MESSAGE, field="id")
        suspended = False

        async def within(connection: AsyncConnection) -> None:
            nonlocal suspended
            suspended = await _resolve(connection, moderator_id, report, action)

        if action is ModerationAction.DELETE_MESSAGE:
            await self._changes.delete_for_moderator(
                report.message_id, report.sender_id, within
            )
        else:
            async with self._engine.begin() as connection:
                await within(connection)
        if suspended:
            await self.suspension_committed(report.sender_id, True)
        async with self._engine.connect() as connection:
            return await _read_report(connection, report.id)

    async def suspension_committed(self, user_id: int, suspended: bool) -> None:
        """Apply a committed suspension (or its lifting) here at once, which
        closes the user's sockets on this process, then tell the others."""
        self._suspensions.apply(user_id, suspended)
        await self._bus.publish_suspension(user_id, suspended)

    async def _require_moderator(self, user_id: int) -> None:
        if not await self.is_moderator(user_id):
            raise Forbidden(ONLY_MODERATORS)

    async def _open_report(self, report_id: int) -> StoredReport:
        async with self._engine.connect() as connection:
            report = await reports.report_by_id(connection, report_id)
        if report is None:
            raise NotFound(NO_REPORT, field="id")
        if report.resolved_at is not None:
            raise BadUserInput(ALREADY_RESOLVED, field="id")
        return report


async def _resolve(
    connection: AsyncConnection,
    moderator_id: int,
    report: StoredReport,
    action: ModerationAction,
) -> bool:
    """Resolve the report and write its audit row; suspend the sender for
    SUSPEND_SENDER. Whether a suspension began."""
    now = utcnow()
    if not await reports.resolve_open(
        connection, report.id, moderator_id=moderator_id, action=action.value, at=now
    ):
        raise BadUserInput(ALREADY_RESOLVED, field="id")  # since it was read
    suspended = False
    if action is ModerationAction.SUSPEND_SENDER:
        suspended = await moderation.suspend(connection, report.sender_id, now)
    entry = audit_entry(
        AuditAction(action.value),
        at=now,
        moderator_id=moderator_id,
        report_id=report.id,
        target_id=report.sender_id,
        message_id=report.message_id,
    )
    await audit.log_actions(connection, [entry])
    return suspended


def audit_entry(
    action: AuditAction,
    *,
    at: datetime,
    moderator_id: int | None = None,
    report_id: int | None = None,
    target_id: int | None = None,
    message_id: int | None = None,
) -> dict[str, object]:
    """A row of the audit log (`moderator_id` None: from the command line)."""
    return {
        "moderator_id": moderator_id,
        "action": action.value,
        "report_id": report_id,
        "target_id": target_id,
        "message_id": message_id,
        "created_at": at,
    }


async def _read_report(connection: AsyncConnection, report_id: int) -> ReportRecord:
    stored = await reports.report_by_id(connection, report_id)
    assert stored is not None  # written by this caller
    return _report_record(stored)


def _report_record(stored: StoredReport) -> ReportRecord:
    resolved_by = None
    if stored.resolved_by_id is not None and stored.resolver_name is not None:
        resolved_by = UserRecord(stored.resolved_by_id, stored.resolver_name)
    return ReportRecord(
        id=stored.id,
        reason=ReportReason(stored.reason),
        note=stored.note,
        reporter=UserRecord(stored.reporter_id, stored.reporter_name),
        sender=UserRecord(stored.sender_id, stored.sender_name, stored.sender_shares),
        message_id=stored.message_id,
        channel=chat_channel(stored.reporter_id, stored.sender_id),
        seq=stored.seq,
        text=stored.body,
        sentiment=None if stored.sentiment[0] is None else scores_of(stored.sentiment),
        sent_at=stored.sent_at,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        resolved_at=stored.resolved_at,
        resolved_by=resolved_by,
        action=None if stored.action is None else ModerationAction(stored.action),
    )


def _entry_record(entry: StoredEntry) -> ModerationEntryRecord:
    def user(user_id: int | None, name: str | None) -> UserRecord | None:
        return None if user_id is None or name is None else UserRecord(user_id, name)

    return ModerationEntryRecord(
        id=entry.id,
        action=AuditAction(entry.action),
        moderator=user(entry.moderator_id, entry.moderator_name),
        report_id=entry.report_id,
        target=user(entry.target_id, entry.target_name),
        message_id=entry.message_id,
        at=entry.created_at,
    )


def _check_note(note: str | None) -> None:
    if note is not None and (len(note) > NOTE_MAX_CHARS or not is_storable(note)):
        raise BadUserInput(
            f"A note is at most {NOTE_MAX_CHARS} characters, with no NUL and "
            "no invalid Unicode.",
            field="note",
        )


def _optional_id(text: str | None, field: str) -> int | None:
    return None if text is None else id_argument(text, field)
