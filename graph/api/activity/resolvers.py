"""Live activity: `setTyping`, `chatActivity`, `presence`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import strawberry

from graph.api.activity.types import ChatActivity, PresenceChange, activity
from graph.api.context import Info
from graph.api.streams import Mapped

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


def chat_activity(info: Info, channel: str) -> AsyncIterator[ChatActivity]:
    user_id = info.context.viewer_id()
    stream = info.context.services.activity.stream(user_id, channel)
    return Mapped(stream, partial(activity, viewer_id=user_id))


def presence(info: Info) -> AsyncIterator[PresenceChange]:
    user_id = info.context.viewer_id()
    stream = info.context.services.presence.stream(user_id)
    return Mapped(stream, PresenceChange.from_record)
