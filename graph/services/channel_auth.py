"""Signing Pusher private-channel subscriptions, for members only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from graph.domain.errors import BadUserInput, Forbidden
from graph.realtime import notification_channel, parse_chat_channel
from graph.realtime.pusher import (
    MAX_CHANNEL_NAME_CHARS,
    PusherClient,
    is_channel_name,
    is_socket_id,
)
from graph.services.security import Tokens
from graph.services.suspensions import Suspensions
from graph.services.throttle import Limit, Throttle


class ChannelAuthService:
    """Signs a socket into the caller's own channels and no others.

    Those are the caller's notification channel and the channel of each chat
    the caller is a member of (one that exists, and that neither member
    blocks: Pusher's client events would otherwise still pass between them).
    Pusher delivers a private channel only to sockets holding such a
    signature, so this check is what keeps other people's messages private.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tokens: Tokens,
        throttle: Throttle,
        pusher: PusherClient,
        suspensions: Suspensions,
    ) -> None:
        self._sessions = sessions
        self._tokens = tokens
        self._throttle = throttle
        self._pusher = pusher
        self._suspensions = suspensions

    def authenticate(self, authorization: str | None) -> int:
        """The caller's user id, from an `Authorization: Bearer` header;
        Unauthenticated when the account is suspended."""
        user_id = self._tokens.verify_header(authorization).user_id
        self._suspensions.check(user_id)
        return user_id

    async def authorize(self, user_id: int, socket_id: str, channel_name: str) -> str:
        """The `auth` string for `socket_id` on `channel_name`."""
        if not is_socket_id(socket_id):
            raise BadUserInput(
                "socket_id must be a Pusher socket id such as 1234.5678.",
                field="socket_id",
            )
        if not is_channel_name(channel_name):
            raise BadUserInput(
                f"channel_name must be 1 to {MAX_CHANNEL_NAME_CHARS} letters, "
                "digits or -_=@,.; characters.",
                field="channel_name",
            )
        await self._throttle.check(Limit.PUSHER_AUTH_PER_USER, user_id)
        if not await self._may_subscribe(user_id, channel_name):
            raise Forbidden("You may not subscribe to this channel.")
        return self._pusher.authorize_subscription(socket_id, channel_name)

    async def _may_subscribe(self, user_id: int, channel_name: str) -> bool:
        if channel_name == notification_channel(user_id):
            return True
        pair = parse_chat_channel(channel_name)
        if pair is None or user_id not in pair:
            return False
        async with self._sessions() as session:
            return await queries.open_chat_exists(session, *pair)
