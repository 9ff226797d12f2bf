from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import strawberry

from graph.api.arguments import optional, or_default, parse_id
from graph.api.context import Info
from graph.api.messages.types import Message, Sentiment
from graph.api.streams import Mapped

DEFAULT_LAST = 50

ClientId = Annotated[
    str | None,
    strawberry.argument(
        description="An idempotency key: resending it returns the original message."
    ),
]
After = Annotated[int | None, strawberry.argument(description="Only seq above this.")]
Before = Annotated[int | None, strawberry.argument(description="Only seq below this.")]
Last = Annotated[
    int | None, strawberry.argument(description="The newest N in the bounds, max 200.")
]
AfterSeq = Annotated[
    int | None,
    strawberry.argument(
        description="Replay stored messages with seq > afterSeq first; "
        "omit for live only."
    ),
]


async def send_message(
    info: Info, channel: str, message: str, client_id: ClientId = strawberry.UNSET
) -> Message:
    user_id = info.context.viewer_id()
    messages = info.context.services.messages
    sent = await messages.send(user_id, channel, message, optional(client_id))
    return Message.from_record(sent, user_id)


async def messages(
    info: Info,
    channel: str,
    after: After = strawberry.UNSET,
    before: Before = strawberry.UNSET,
    last: Last = DEFAULT_LAST,
) -> list[Message]:
    user_id = info.context.viewer_id()
    history = await info.context.services.messages.history(
        user_id,
        channel,
        after=optional(after),
        before=optional(before),
        last=or_default(last, DEFAULT_LAST),
    )
    return Message.page(history, user_id)


def new_message(
    info: Info, channel: str, after_seq: AfterSeq = strawberry.UNSET
) -> AsyncIterator[Message]:
    user_id = info.context.viewer_id()
    stream = info.context.services.messages.stream(
        user_id, channel, optional(after_seq)
    )
    return Mapped(stream, partial(Message.from_record, viewer_id=user_id))


async def edit_message(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Your message.")],
    message: Annotated[
        str, strawberry.argument(description="The new text; sendMessage's bounds.")
    ],
) -> Message:
    user_id = info.context.viewer_id()
    changes = info.context.services.changes
    edited = await changes.edit(user_id, parse_id(id, "id"), message)
    return Message.from_record(edited, user_id)


async def delete_message(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Your message.")],
) -> Message:
    user_id = info.context.viewer_id()
    changes = info.context.services.changes
    deleted = await changes.delete(user_id, parse_id(id, "id"))
    return Message.from_record(deleted, user_id)


async def react(
    info: Info,
    id: Annotated[
        strawberry.ID, strawberry.argument(description="A message of your chat.")
    ],
    emoji: Annotated[
        str,
        strawberry.argument(
            description="One emoji of Unicode's set, with its modifiers."
        ),
    ],
    on: Annotated[
        bool, strawberry.argument(description="False takes your reaction off.")
    ] = True,
) -> Message:
    user_id = info.context.viewer_id()
    changes = info.context.services.changes
    reacted = await changes.react(user_id, parse_id(id, "id"), emoji, on)
    return Message.from_record(reacted, user_id)


def message_changes(
    info: Info,
    channel: str,
    after_version: Annotated[
        int | None,
        strawberry.argument(
            description="Replay the messages changed after this version first "
            "(the highest messageChanges delivered, or Chat.lastVersion); omit "
            "for live only."
        ),
    ] = strawberry.UNSET,
) -> AsyncIterator[Message]:
    user_id = info.context.viewer_id()
    stream = info.context.services.changes.stream(
        user_id, channel, optional(after_version)
    )
    return Mapped(stream, partial(Message.from_record, viewer_id=user_id))


async def sentiment_preview(
    info: Info,
    text: Annotated[
        str,
        strawberry.argument(description="The text you are about to send."),
    ],
) -> Sentiment:
    user_id = info.context.viewer_id()
    scores = await info.context.services.sentiment.preview(user_id, text)
    return Sentiment.from_scores(scores)
