"""Live activity: `setTyping`, `chatActivity`, `presence`."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from graph.api.activity.types import ChatActivity, PresenceChange, activity
from graph.api.context import Info

IsTyping = Annotated[
    bool,
    strawberry.argument(
        description="true while typing (renew within about 5 s), false once done."
    ),
]


async def set_typing(info: Info, channel: str, typing: IsTyping = True) -> bool:
    user_id = info.context.viewer_id()
    activity_service = info.context.services.activity
    return await activity_service.set_typing(user_id, channel, typing)


async def chat_activity(info: Info, channel: str) -> AsyncGenerator[ChatActivity, None]:
    user_id = info.context.viewer_id()
    async for record in info.context.services.activity.stream(user_id, channel):
        yield activity(record, user_id)


async def presence(info: Info) -> AsyncGenerator[PresenceChange, None]:
    user_id = info.context.viewer_id()
    async for change in info.context.services.presence.stream(user_id):
        yield PresenceChange.from_record(change)
