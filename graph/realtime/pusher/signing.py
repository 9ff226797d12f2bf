"""Pusher's two signatures, as its "library auth reference" documents them.

- A REST request is signed over `METHOD\\npath\\nsorted query` with HMAC-SHA256
  of the app secret; the query carries `auth_key`, `auth_timestamp`,
  `auth_version` and the body's `body_md5`.
- A private channel subscription is signed over `socket_id:channel_name`;
  the client receives `{"auth": "<key>:<signature>"}`.

Tests check both against the worked examples in Pusher's documentation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

AUTH_VERSION = "1.0"
MAX_CHANNEL_NAME_CHARS = 164  # Pusher's limit on a channel name

# Pusher assigns socket ids as two decimal numbers joined by a dot.
_SOCKET_ID = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}")
# The characters Pusher allows in a channel name.
_CHANNEL_NAME = re.compile(r"[-a-zA-Z0-9_=@,.;]+")


def is_socket_id(value: str) -> bool:
    return _SOCKET_ID.fullmatch(value) is not None


def is_channel_name(value: str) -> bool:
    return (
        len(value) <= MAX_CHANNEL_NAME_CHARS
        and _CHANNEL_NAME.fullmatch(value) is not None
    )


def hmac_sha256(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256)
    return digest.hexdigest()


def channel_auth(key: str, secret: str, socket_id: str, channel_name: str) -> str:
    """The `auth` value that lets `socket_id` subscribe to a private channel."""
    return f"{key}:{hmac_sha256(secret, f'{socket_id}:{channel_name}')}"


def string_to_sign(method: str, path: str, params: Mapping[str, str]) -> str:
    """Method, path and query (lower-cased keys, sorted, not URL-escaped)."""
    query = "&".join(
        f"{name.lower()}={value}"
        for name, value in sorted(params.items(), key=lambda item: item[0].lower())
        if name.lower() != "auth_signature"
    )
    return f"{method.upper()}\n{path}\n{query}"


def signed_query(
    key: str, secret: str, method: str, path: str, body: bytes, timestamp: int
) -> dict[str, str]:
    """The query parameters that authenticate a REST request with this body."""
    params = {
        "auth_key": key,
        "auth_timestamp": str(timestamp),
        "auth_version": AUTH_VERSION,
        "body_md5": hashlib.md5(body, usedforsecurity=False).hexdigest(),
    }
    params["auth_signature"] = hmac_sha256(secret, string_to_sign(method, path, params))
    return params
