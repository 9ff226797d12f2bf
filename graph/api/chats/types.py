from __future__ import annotations

from collections.abc import Callable, Iterable

import strawberry

from graph.api.accounts.types import User
from graph.api.moods.types import ChatMood
from graph.domain.mood import MemberMood, MoodState
from graph.domain.records import ChatRecord, UserRecord
from graph.realtime import notification_channel


def _mood(root: Chat) -> ChatMood:
    mood = root.record.mood or _no_mood(root.record)
    return ChatMood.of(mood.view(root.viewer_id))


@strawberry.type(description="The one private channel of a pair of users.")
class Chat:
    channel_name: str = strawberry.field(
        description='"private-chat_<lower id>_<higher id>": one per pair, ever.'
    )
    from_user: User = strawberry.field(description="Who asked for the chat.")
    to_user: User
    from_user_notification_channel: str
    to_user_notification_channel: str
    last_seq: int = strawberry.field(
        description="The seq of the chat's newest message when this was read "
        "(0: none yet). Subscribe to newMessage with afterSeq: lastSeq to "
        "miss nothing after it."
    )
    last_version: int = strawberry.field(
        description="The chat's version when this was read: sends and changes "
        "(edits, deletions, reactions) each take the next. Subscribe to "
        "messageChanges with afterVersion: lastVersion to miss no change after it."
    )
    unread_count: int = strawberry.field(
        description="The other member's messages above your read position "
        "(your own never count)."
    )
    last_read_seq: int = strawberry.field(
        description="Your read position: the highest seq you have marked read "
        "(0: none)."
    )
    peer_last_read_seq: int = strawberry.field(
        description="The other member's read position: your messages up to it "
        'have been seen ("Seen").'
    )
    mood: ChatMood = strawberry.field(
        resolver=_mood,
        description="How the conversation feels, as you may see it, when "
        "this was read; chatActivity's MoodChanged tells when its label moves.",
    )
    # Built only when asked for: a list of 500 chats that does not select
    # `mood` paid 500 views of it (about half the list's CPU) when it was
    # built with the chat.
    record: strawberry.Private[ChatRecord]
    viewer_id: strawberry.Private[int]

    @classmethod
    def from_record(
        cls,
        chat: ChatRecord,
        viewer_id: int,
        user: Callable[[UserRecord], User] = User.member,
    ) -> Chat:
        """The chat as `viewer_id`, one of its members, sees it."""
        mine, theirs = chat.read_states(viewer_id)
        return cls(
            channel_name=chat.channel_name,
            from_user=user(chat.from_user),
            to_user=user(chat.to_user),
            from_user_notification_channel=notification_channel(chat.from_user.id),
            to_user_notification_channel=notification_channel(chat.to_user.id),
            last_seq=chat.last_seq,
            last_version=chat.last_version,
            unread_count=mine.unread,
            last_read_seq=mine.read_seq,
            peer_last_read_seq=theirs.read_seq,
            record=chat,
            viewer_id=viewer_id,
        )

    @classmethod
    def page(cls, chats: Iterable[ChatRecord], viewer_id: int) -> list[Chat]:
        """A list of the viewer's chats: each user is built once (the viewer
        is in all of them), not twice per chat."""
        users: dict[int, User] = {}

        def user(record: UserRecord) -> User:
            built = users.get(record.id)
            if built is None:
                built = users[record.id] = User.member(record)
            return built

        return [cls.from_record(chat, viewer_id, user) for chat in chats]


def _no_mood(chat: ChatRecord) -> MoodState:
    """A chat's mood before anything was said (on a notification from a
    process older than moods, whose chats are read again on the next list)."""
    low, high = sorted((chat.from_user, chat.to_user), key=lambda user: user.id)
    return MoodState(
        chat.channel_name,
        0,
        MemberMood(low, 0, 0.0, 0.0, 0.0, 0.0),
        MemberMood(high, 0, 0.0, 0.0, 0.0, 0.0),
    )
