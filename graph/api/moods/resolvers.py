"""`moodHistory`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.api.arguments import or_default
from graph.api.context import Info
from graph.api.moods.types import MoodPoint

DEFAULT_BUCKETS = 30

Buckets = Annotated[
    int | None,
    strawberry.argument(description="At most this many runs, 1 to 100."),
]


async def mood_history(
    info: Info, channel: str, buckets: Buckets = DEFAULT_BUCKETS
) -> list[MoodPoint]:
    user_id = info.context.viewer_id()
    points = await info.context.services.moods.history(
        user_id, channel, or_default(buckets, DEFAULT_BUCKETS)
    )
    return [MoodPoint.of(point, user_id) for point in points]
