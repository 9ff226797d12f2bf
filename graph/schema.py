"""The GraphQL schema, assembled from the resolvers of each domain."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from graph.masking import ErrorCodes, SentichatSchema
from graph.resolvers import accounts as accounts_resolvers
from graph.resolvers import chats as chats_resolvers
from graph.resolvers import messages as messages_resolvers
from graph.types import AuthPayload, Chat, Message, User

SDL_PATH = Path(__file__).with_name("schema.graphql")


@strawberry.type
class Query:
    me: User = strawberry.field(
        resolver=accounts_resolvers.me, description="The caller."
    )
    users: list[User] = strawberry.field(
        resolver=accounts_resolvers.users,
        description="Every user but the caller, by username.",
    )
    chats: list[Chat] = strawberry.field(
        resolver=chats_resolvers.chats,
        description="The caller's chats, newest first.",
    )
    messages: list[Message] = strawberry.field(
        resolver=messages_resolvers.messages,
        description="A chat's messages in ascending seq; members only.",
    )


@strawberry.type
class Mutation:
    register: AuthPayload = strawberry.mutation(
        resolver=accounts_resolvers.register, description="Create an account."
    )
    login: AuthPayload = strawberry.mutation(
        resolver=accounts_resolvers.login, description="Sign in."
    )
    request_chat: Chat = strawberry.mutation(
        resolver=chats_resolvers.request_chat,
        description="Create or reuse the pair's channel, and notify the other user.",
    )
    send_message: Message = strawberry.mutation(
        resolver=messages_resolvers.send_message,
        description="Send to a chat you are a member of.",
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


# Documents are parsed and validated once per distinct text: clients send
# the same few operations over and over. Both caches are LRU-bounded.
DOCUMENT_CACHE_SIZE = 512

schema = SentichatSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[
        ErrorCodes,
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    ],
)


def export_sdl() -> str:
    return schema.as_str() + "\n"
