"""Accounts: registration, login, and looking users up."""

from __future__ import annotations

import logging
import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from db.errors import is_unavailable
from db.models import User
from graph.domain.errors import BadUserInput, Forbidden, Unauthenticated
from graph.domain.moderation import SUSPENDED
from graph.domain.records import AuthRecord, UserRecord
from graph.services.pages import check_page_size
from graph.services.security import Passwords, Tokens
from graph.services.text import is_storable
from graph.services.throttle import Limit, Throttle, username_key

logger = logging.getLogger(__name__)

USERNAME_MAX = 32
USERNAME = re.compile(rf"[A-Za-z0-9_.-]{{3,{USERNAME_MAX}}}")
MAX_USERS_PAGE = 500
PASSWORD_MIN, PASSWORD_MAX = 8, 256
WRONG_LOGIN = "Wrong username or password."


def user_record(user: User) -> UserRecord:
    return UserRecord(user.id, user.username, user.share_sentiment)


class AccountService:
    """Creates users and signs them in; passwords never leave this class."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        passwords: Passwords,
        tokens: Tokens,
        throttle: Throttle,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._tokens = tokens
        self._throttle = throttle

    async def register(self, username: str, password: str, address: str) -> AuthRecord:
        """A new account, signed in. Limited per client address and per username."""
        await self._throttle.check(Limit.REGISTER_PER_ADDRESS, address)
        _check_username(username)
        _check_password(password)
        await self._throttle.check(Limit.REGISTER_PER_USERNAME, username_key(username))
        async with self._sessions() as session:
            taken = await queries.get_user_by_username(session, username)
        if taken is not None:  # refused before paying for a hash
            raise BadUserInput("That username is taken.", field="username")
        password_hash = await self._passwords.hash(password)
        async with self._sessions.begin() as session:
            user = await queries.insert_user(
                session, username=username, password_hash=password_hash
            )
        if user is None:
            raise BadUserInput("That username is taken.", field="username")
        return self._signed_in(user)

    async def login(self, username: str, password: str, address: str) -> AuthRecord:
        """The same refusal, at the same cost, whether or not the user exists.

        Attempts are limited per client address, and per username, so a burst
        against one account locks that account out for a while wherever it
        comes from; an attempt is counted before its password is checked.
        """
        await self._throttle.check(Limit.LOGIN_PER_ADDRESS, address)
        plausible = len(password) <= PASSWORD_MAX and is_storable(password)
        if not USERNAME.fullmatch(username) or not plausible:
            raise Unauthenticated(WRONG_LOGIN)
        await self._throttle.check(Limit.LOGIN_PER_USERNAME, username_key(username))
        async with self._sessions() as session:
            user = await queries.get_user_by_username(session, username)
        password_hash = user.password_hash if user is not None else None
        verified = await self._passwords.verify(password_hash, password)
        if user is None or not verified:
            raise Unauthenticated(WRONG_LOGIN)
        # Told only to whoever knows the password.
        if user.suspended_at is not None:
            raise Forbidden(SUSPENDED)
        return self._signed_in(user)

    async def get_user(self, user_id: int) -> UserRecord:
        async with self._sessions() as session:
            user = await queries.get_user(session, user_id)
        if user is None:
            raise Unauthenticated("This account no longer exists.")
        return user_record(user)

    async def set_share_sentiment(self, user_id: int, share: bool) -> UserRecord:
        """Whether the other member of each of the user's chats may see their
        sentiment; read by every path that shows it, from the next read on."""
        await self._throttle.check(Limit.SET_SHARE_SENTIMENT_PER_USER, user_id)
        async with self._sessions.begin() as session:
            user = await queries.set_share_sentiment(session, user_id, share)
        if user is None:
            raise Unauthenticated("This account no longer exists.")
        return user_record(user)

    async def still_exists(self, user_id: int) -> bool:
        """Whether the account is still there, for a socket signing in.

        True when the database cannot say: the token's signature vouches for
        the account, and an outage must not refuse every socket.
        """
        try:
            async with self._sessions() as session:
                return await queries.get_user(session, user_id) is not None
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            logger.warning("database unreachable: socket of user %s let in", user_id)
            return True

    async def list_others(
        self, user_id: int, first: int, after: str | None = None
    ) -> list[UserRecord]:
        """Up to `first` users but the caller, by username, after `after`."""
        check_page_size("first", first, MAX_USERS_PAGE)
        if after is not None and (len(after) > USERNAME_MAX or not is_storable(after)):
            raise BadUserInput(
                f"`after` is a username: at most {USERNAME_MAX} characters, "
                "no NUL, no invalid Unicode.",
                field="after",
            )
        async with self._sessions() as session:
            users = await queries.list_users_except(
                session, user_id, after=after, limit=first
            )
        return [user_record(user) for user in users]

    def _signed_in(self, user: User) -> AuthRecord:
        return AuthRecord(token=self._tokens.issue(user.id), user=user_record(user))


def _check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise BadUserInput(
            "A username is 3 to 32 letters, digits, '_', '.' or '-'.",
            field="username",
        )


def _check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX or not is_storable(password):
        raise BadUserInput(
            f"A password is {PASSWORD_MIN} to {PASSWORD_MAX} characters, "
            "with no NUL and no invalid Unicode.",
            field="password",
        )
