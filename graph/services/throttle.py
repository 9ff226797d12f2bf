"""Request rates: who may do what how often, and the refusal when they may not."""

from __future__ import annotations

import functools
import ipaddress
import math
from enum import StrEnum

from graph.domain.errors import RateLimited
from graph.platform.ratelimit import RateLimiter
from graph.platform.settings import Rate, Settings

UNKNOWN_ADDRESS = "unknown"


class Limit(StrEnum):
    """Each limit's rate is the setting `rate_<value>` (`RATE_<VALUE>`)."""

    LOGIN_PER_ADDRESS = "login_per_address"
    LOGIN_PER_USERNAME = "login_per_username"
    REGISTER_PER_ADDRESS = "register_per_address"
    REGISTER_PER_USERNAME = "register_per_username"
    SEND_MESSAGE_PER_USER = "send_message_per_user"
    REQUEST_CHAT_PER_USER = "request_chat_per_user"
    PUSHER_AUTH_PER_USER = "pusher_auth_per_user"
    SENTIMENT_PREVIEW_PER_USER = "sentiment_preview_per_user"
    MARK_READ_PER_USER = "mark_read_per_user"
    SET_TYPING_PER_USER = "set_typing_per_user"
    EDIT_MESSAGE_PER_USER = "edit_message_per_user"
    DELETE_MESSAGE_PER_USER = "delete_message_per_user"
    REACT_PER_USER = "react_per_user"
    SET_SHARE_SENTIMENT_PER_USER = "set_share_sentiment_per_user"
    BLOCK_USER_PER_USER = "block_user_per_user"
    REPORT_MESSAGE_PER_USER = "report_message_per_user"


REFUSALS = {
    Limit.LOGIN_PER_ADDRESS: "Too many sign-in attempts from your address.",
    Limit.LOGIN_PER_USERNAME: "Too many sign-in attempts for this username.",
    Limit.REGISTER_PER_ADDRESS: "Too many registrations from your address.",
    Limit.REGISTER_PER_USERNAME: "Too many attempts to register this username.",
    Limit.SEND_MESSAGE_PER_USER: "You are sending messages too fast.",
    Limit.REQUEST_CHAT_PER_USER: "You are opening chats too fast.",
    Limit.PUSHER_AUTH_PER_USER: "Too many channel authorizations.",
    Limit.SENTIMENT_PREVIEW_PER_USER: "You are asking for sentiment previews too fast.",
    Limit.MARK_READ_PER_USER: "You are marking messages read too fast.",
    Limit.SET_TYPING_PER_USER: "You are sending typing notices too fast.",
    Limit.EDIT_MESSAGE_PER_USER: "You are editing messages too fast.",
    Limit.DELETE_MESSAGE_PER_USER: "You are deleting messages too fast.",
    Limit.REACT_PER_USER: "You are reacting too fast.",
    Limit.SET_SHARE_SENTIMENT_PER_USER: "You are changing this setting too fast.",
    Limit.BLOCK_USER_PER_USER: "You are blocking and unblocking too fast.",
    Limit.REPORT_MESSAGE_PER_USER: "You are reporting messages too fast.",
}


@functools.lru_cache(maxsize=4096)
def address_key(host: str | None) -> str:
    """The key a client address is limited by: an IPv6 client by its /64.

    One IPv6 host usually holds a whole /64, so limiting single addresses
    would let it pick a fresh one per request. Cached: clients come back, and
    parsing an address was a few percent of a request.
    """
    if not host:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)  # an IPv4 client of a dual-stack socket
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def username_key(username: str) -> str:
    # Usernames are unique in any letter case, so their limits are too.
    return username.casefold()


class Throttle:
    """Counts requests against the configured rates; refuses with RATE_LIMITED."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self._limiter = limiter
        self._rates: dict[Limit, Rate] = {
            limit: getattr(settings, f"rate_{limit}") for limit in Limit
        }

    async def check(self, limit: Limit, key: str | int) -> None:
        """Count one request by `key`; RateLimited when over the limit."""
        wait = await self._limiter.hit(f"{limit}:{key}", self._rates[limit])
        if wait <= 0:
            return
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(
            f"{REFUSALS[limit]} Try again in {retry_after} s.", retry_after
        )
