"""The GraphQL schema, assembled from the resolvers of each domain."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig

from graph.api.accounts import resolvers as accounts_resolvers
from graph.api.accounts.types import AuthPayload, User
from graph.api.activity import resolvers as activity_resolvers
from graph.api.activity.types import MoodChanged, PresenceChange, ReadReceipt, Typing
from graph.api.blocks import resolvers as blocks_resolvers
from graph.api.chats import resolvers as chats_resolvers
from graph.api.chats.types import Chat
from graph.api.documents import DocumentCache, Documents
from graph.api.execution import PlainObjectsExecutionContext
from graph.api.limits import alias_limit, depth_limit
from graph.api.masking import ErrorCodes, SentichatSchema
from graph.api.messages import resolvers as messages_resolvers
from graph.api.messages.types import Message, Sentiment
from graph.api.moderation import resolvers as moderation_resolvers
from graph.api.moderation.types import ModerationEntry, Report
from graph.api.moods import resolvers as moods_resolvers
from graph.api.moods.types import MoodPoint
from graph.platform.settings import Settings

# The snapshot stands at the top of the package, where clients look for it.
SDL_PATH = Path(__file__).resolve().parents[1] / "schema.graphql"


@strawberry.type
class Query:
    me: User = strawberry.field(
        resolver=accounts_resolvers.me, description="The caller."
    )
    users: list[User] = strawberry.field(
        resolver=accounts_resolvers.users,
        description="Every user but the caller, by username, a page at a time.",
    )
    blocked_users: list[User] = strawberry.field(
        resolver=blocks_resolvers.blocked_users,
        description="The users you block, by username.",
    )
    chats: list[Chat] = strawberry.field(
        resolver=chats_resolvers.chats,
        description="The caller's chats, newest first.",
    )
    unread_total: int = strawberry.field(
        resolver=chats_resolvers.unread_total,
        description="The caller's unread messages over all their chats.",
    )
    messages: list[Message] = strawberry.field(
        resolver=messages_resolvers.messages,
        description="A chat's messages in ascending seq; members only.",
    )
    sentiment_preview: Sentiment = strawberry.field(
        resolver=messages_resolvers.sentiment_preview,
        description="The sentiment a message with this text would get, for a "
        "tone check before sending: signed-in users, sendMessage's text bounds, "
        "nothing stored; RATE_SENTIMENT_PREVIEW_PER_USER.",
    )
    mood_history: list[MoodPoint] = strawberry.field(
        resolver=moods_resolvers.mood_history,
        description="A chat's mood over time: its messages split into at most "
        "`buckets` runs of equal length (lengths differ by at most one), "
        "oldest first, covering seq 1 to the newest with no overlap; [] for "
        "an empty chat; members only. Added up from stored 64-message "
        "rollups, never a scan of the chat.",
    )
    reports: list[Report] = strawberry.field(
        resolver=moderation_resolvers.reports,
        description="Reports to judge, moderators only (anyone else: "
        "FORBIDDEN): OPEN ones oldest first, RESOLVED ones newest first; "
        "`after` is the last id of the previous page.",
    )
    moderation_log: list[ModerationEntry] = strawberry.field(
        resolver=moderation_resolvers.moderation_log,
        description="The audit log of every moderator and operator action, "
        "newest first, moderators only (anyone else: FORBIDDEN); `after` is "
        "the last id of the previous page.",
    )


@strawberry.type
class Mutation:
    register: AuthPayload = strawberry.mutation(
        resolver=accounts_resolvers.register, description="Create an account."
    )
    login: AuthPayload = strawberry.mutation(
        resolver=accounts_resolvers.login, description="Sign in."
    )
    block_user: User = strawberry.mutation(
        resolver=blocks_resolvers.block_user,
        description="Block a person: while either of you blocks the other, "
        "nothing new passes between you (no chat request, message, edit, "
        "reaction, typing, read receipt or presence, on any path); history "
        "stays readable. They are not told. Blocking again changes nothing; "
        "yourself or an unknown id is BAD_USER_INPUT; RATE_BLOCK_USER_PER_USER.",
    )
    unblock_user: User = strawberry.mutation(
        resolver=blocks_resolvers.unblock_user,
        description="Lift your block of a person (their block of you, if any, "
        "stays); nothing sent while blocked was accepted, so nothing arrives "
        "late; RATE_BLOCK_USER_PER_USER, with blockUser.",
    )
    request_chat: Chat = strawberry.mutation(
        resolver=chats_resolvers.request_chat,
        description="Create or reuse the pair's channel, and notify the other user.",
    )
    send_message: Message = strawberry.mutation(
        resolver=messages_resolvers.send_message,
        description="Send to a chat you are a member of.",
    )
    edit_message: Message = strawberry.mutation(
        resolver=messages_resolvers.edit_message,
        description="Change the text of your own message: sendMessage's bounds, "
        "scored again; the same text changes nothing; not once deleted; "
        "RATE_EDIT_MESSAGE_PER_USER.",
    )
    delete_message: Message = strawberry.mutation(
        resolver=messages_resolvers.delete_message,
        description="Delete your own message: its text, sentiment and reactions "
        "are erased, its seq stays (a tombstone); deleting again changes "
        "nothing; RATE_DELETE_MESSAGE_PER_USER.",
    )
    react: Message = strawberry.mutation(
        resolver=messages_resolvers.react,
        description="Put an emoji on a message of your chat, or take it off "
        "(on: false): one per member per emoji, at most 20 different emoji; "
        "again changes nothing; RATE_REACT_PER_USER.",
    )
    mark_read: Chat = strawberry.mutation(
        resolver=chats_resolvers.mark_read,
        description="Move your read position in a chat forward to seq (never "
        "back: a lower seq changes nothing); members only; "
        "RATE_MARK_READ_PER_USER.",
    )
    set_typing: bool = strawberry.mutation(
        resolver=activity_resolvers.set_typing,
        description="Tell the other member you are typing; members only; never "
        "stored; RATE_SET_TYPING_PER_USER. True once announced.",
    )
    set_share_sentiment: User = strawberry.mutation(
        resolver=accounts_resolvers.set_share_sentiment,
        description="Whether the other member of each of your chats may see "
        "your messages' sentiment and your part of the chat's mood (default "
        "true). Off, they get null there on every path (messages, newMessage, "
        "messageChanges, Pusher, Chat.mood, moodHistory); you still see yours. "
        "Applies to what you sent before too; RATE_SET_SHARE_SENTIMENT_PER_USER.",
    )
    report_message: Report = strawberry.mutation(
        resolver=moderation_resolvers.report_message,
        description="Report a message you received to the moderators; its text, "
        "sentiment and send time are kept as they are now. Reporting it again "
        "while your report is open updates that report (same id). A message "
        "you did not receive is NOT_FOUND; a deleted one BAD_USER_INPUT; "
        "RATE_REPORT_MESSAGE_PER_USER.",
    )
    resolve_report: Report = strawberry.mutation(
        resolver=moderation_resolvers.resolve_report,
        description="Act on an open report, moderators only (anyone else: "
        "FORBIDDEN): every open report of the same message is resolved with "
        "the same action, each with its audit entry; one already resolved is "
        "BAD_USER_INPUT.",
    )


@strawberry.type
class Subscription:
    new_chat = strawberry.subscription(
        resolver=chats_resolvers.new_chat,
        description="Chats other users open with the caller.",
    )
    new_message = strawberry.subscription(
        resolver=messages_resolvers.new_message,
        description="A chat's messages: replayed after afterSeq, then live.",
    )
    message_changes = strawberry.subscription(
        resolver=messages_resolvers.message_changes,
        description="A chat's messages as they change after their send (edited, "
        "deleted, reacted to; new ones are newMessage's): each changed after "
        "afterVersion, in version order as it is now, then live; no version "
        "twice; members only.",
    )
    chat_activity = strawberry.subscription(
        resolver=activity_resolvers.chat_activity,
        description="A chat's read receipts (both members'), the other "
        "member's typing, and MoodChanged when the label of the chat's mood "
        "as you see it changes; live only; members only.",
    )
    presence = strawberry.subscription(
        resolver=activity_resolvers.presence,
        description="Your chat peers coming online and going offline, live only.",
    )


# Documents are parsed and validated once per distinct text: clients send
# the same few operations over and over. The cache is LRU-bounded.
DOCUMENT_CACHE_SIZE = 512


def create_schema(settings: Settings) -> SentichatSchema:
    """The schema with the settings' query limits; production hides its shape.

    In production a client cannot introspect the schema, and an unknown field
    gets no "did you mean" hint: neither helps a legitimate client, which is
    built against the committed schema.graphql.
    """
    # The rule classes are made once: the validation cache is keyed by them.
    rules: list[type[ASTValidationRule]] = [
        alias_limit(settings.query_max_aliases),
        depth_limit(settings.query_max_depth),
    ]
    if settings.production:
        rules += DisableIntrospection().validation_rules
    documents = DocumentCache(
        # Counted while parsing, so an oversized document is never built.
        max_tokens=settings.query_max_tokens,
        rules=rules,
        maxsize=DOCUMENT_CACHE_SIZE,
    )
    # Factories: an extension instance holds one operation's state.
    extensions: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,
        partial(Documents, documents),
    ]
    created = SentichatSchema(
        query=Query,
        # Reached only through the ChatActivity union and a subscription.
        types=[ReadReceipt, Typing, MoodChanged, PresenceChange],
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
        execution_context_class=PlainObjectsExecutionContext,
    )
    created.documents = documents
    return created


# With the default limits, for the SDL snapshot and tests that need no app.
schema = create_schema(Settings.model_construct())


def export_sdl() -> str:
    return schema.as_str() + "\n"
