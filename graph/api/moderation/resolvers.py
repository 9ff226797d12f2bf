"""Reporting a message, and the moderators' operations.

The moderators' resolvers hand their arguments to the service as they came
(ids unparsed): it checks the caller's role before anything else, so that
anyone else gets the same FORBIDDEN whatever they sent.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.api.arguments import optional, or_default, parse_id
from graph.api.context import Info
from graph.api.moderation.types import (
    ModerationAction,
    ModerationEntry,
    Report,
    ReportReason,
    ReportStatus,
)

DEFAULT_FIRST = 50

First = Annotated[
    int | None, strawberry.argument(description="At most this many, max 200.")
]
After = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="The last id of the previous page."),
]


async def report_message(
    info: Info,
    id: Annotated[
        strawberry.ID, strawberry.argument(description="A message you received.")
    ],
    reason: ReportReason,
    note: Annotated[
        str | None,
        strawberry.argument(description="What the moderators should know; max 500."),
    ] = strawberry.UNSET,
) -> Report:
    user_id = info.context.viewer_id()
    moderation = info.context.services.moderation
    report = await moderation.report(
        user_id, parse_id(id, "id"), reason, optional(note)
    )
    return Report.for_reporter(report)


async def reports(
    info: Info,
    status: ReportStatus | None = ReportStatus.OPEN,
    first: First = DEFAULT_FIRST,
    after: After = strawberry.UNSET,
) -> list[Report]:
    user_id = info.context.viewer_id()
    page = await info.context.services.moderation.reports(
        user_id,
        or_default(status, ReportStatus.OPEN),
        or_default(first, DEFAULT_FIRST),
        optional(after),
    )
    return [Report.for_moderator(report) for report in page]


async def moderation_log(
    info: Info, first: First = DEFAULT_FIRST, after: After = strawberry.UNSET
) -> list[ModerationEntry]:
    user_id = info.context.viewer_id()
    page = await info.context.services.moderation.log(
        user_id, or_default(first, DEFAULT_FIRST), optional(after)
    )
    return [ModerationEntry.from_record(entry) for entry in page]


async def resolve_report(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="An open report.")],
    action: ModerationAction,
) -> Report:
    user_id = info.context.viewer_id()
    moderation = info.context.services.moderation
    return Report.for_moderator(await moderation.resolve(user_id, id, action))
