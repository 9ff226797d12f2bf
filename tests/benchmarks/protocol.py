"""What a client says to each system under test, and how it reads the answers.

Sentichat is spoken to as the web client does: GraphQL over HTTP and
graphql-transport-ws, with the web client's selections. The baseline gets the
same data in plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

SENTICHAT = "sentichat"
BASELINE = "baseline"
SYSTEMS = (SENTICHAT, BASELINE)

MESSAGE_FIELDS = """
  id seq channel message clientId createdAt
  fromUser { id username } toUser { id username }
  sentiment { polarity subjectivity label emoji }
"""
SEND = (
    "mutation Send($channel: String!, $message: String!, $clientId: String) {"
    " sendMessage(channel: $channel, message: $message, clientId: $clientId)"
    f" {{{MESSAGE_FIELDS}}} }}"
)
HISTORY = (
    "query History($channel: String!, $last: Int) {"
    f" messages(channel: $channel, last: $last) {{{MESSAGE_FIELDS}}} }}"
)
NEW_MESSAGE = (
    "subscription Live($channel: String!) {"
    f" newMessage(channel: $channel) {{{MESSAGE_FIELDS}}} }}"
)
# The web client's ChatFields.
CHAT_FIELDS = """
  channelName lastSeq unreadCount lastReadSeq peerLastReadSeq
  fromUser { id username } toUser { id username }
"""
MARK_READ = (
    "mutation MarkRead($channel: String!, $seq: Int!) {"
    f" markRead(channel: $channel, seq: $seq) {{{CHAT_FIELDS}}} }}"
)
CHATS = f"query Chats($first: Int!) {{ chats(first: $first) {{{CHAT_FIELDS}}} }}"
UNREAD_TOTAL = "query UnreadTotal { unreadTotal }"
CHATS_PAGE = 500  # `chats(first:)`: the most a page may hold
WS_PROTOCOL = "graphql-transport-ws"

# Each load operation's GraphQL field, which a successful answer carries.
FIELDS = {
    "send": "sendMessage",
    "history": "messages",
    "read": "markRead",
    "chats": "chats",
    "unread": "unreadTotal",
}

# Short messages of every mood, as people write them.
PHRASES = (
    "Good morning! Did you sleep well?",
    "I love this plan, it is brilliant.",
    "The train is late again, this is awful.",
    "See you at the station at six.",
    "Thanks so much, that was really kind of you.",
    "I am not sure about the new office.",
    "What a terrible, boring meeting.",
    "Can you send me the report?",
)


@dataclass(frozen=True)
class Account:
    """A seeded user, its bearer token and its chat's channel."""

    user_id: int
    token: str
    channel: str


@dataclass(frozen=True)
class Request:
    path: str
    headers: bytes
    body: bytes


def _post(path: str, body: object, token: str | None = None) -> Request:
    headers = b"Content-Type: application/json\r\n"
    if token is not None:
        headers += f"Authorization: Bearer {token}\r\n".encode()
    return Request(path, headers, orjson.dumps(body))


def send_request(system: str, sender: Account, text: str, client_id: str) -> Request:
    if system == SENTICHAT:
        variables = {"channel": sender.channel, "message": text, "clientId": client_id}
        return _post("/graphql", {"query": SEND, "variables": variables}, sender.token)
    body = {
        "channel": sender.channel,
        "sender_id": sender.user_id,
        "message": text,
        "client_id": client_id,
    }
    return _post("/send", body)


def history_request(system: str, reader: Account, last: int) -> Request:
    if system == SENTICHAT:
        variables = {"channel": reader.channel, "last": last}
        return _post(
            "/graphql", {"query": HISTORY, "variables": variables}, reader.token
        )
    return _post("/history", {"channel": reader.channel, "last": last})


def mark_read_request(system: str, reader: Account, seq: int) -> Request:
    """Move `reader`'s read position in their chat (`reader.channel`) to `seq`."""
    if system == SENTICHAT:
        variables = {"channel": reader.channel, "seq": seq}
        return _post(
            "/graphql", {"query": MARK_READ, "variables": variables}, reader.token
        )
    body = {"channel": reader.channel, "reader_id": reader.user_id, "seq": seq}
    return _post("/read", body)


def chats_request(system: str, user: Account, first: int) -> Request:
    if system == SENTICHAT:
        variables = {"first": first}
        return _post("/graphql", {"query": CHATS, "variables": variables}, user.token)
    return _post("/chats", {"user_id": user.user_id, "first": first})


def unread_total_request(system: str, user: Account) -> Request:
    if system == SENTICHAT:
        return _post("/graphql", {"query": UNREAD_TOTAL}, user.token)
    return _post("/unread", {"user_id": user.user_id})


def answered(system: str, status: int, body: bytes, operation: str) -> bool:
    """Whether an HTTP answer is the success a user expects."""
    if status != 200:
        return False
    if system == BASELINE:
        return True
    data: Any = orjson.loads(body)
    return not data.get("errors") and data.get("data", {}).get(operation) is not None


def websocket_path(system: str, channel: str) -> str:
    return "/graphql" if system == SENTICHAT else f"/ws?channel={channel}"


def subscribe_messages(account: Account) -> list[bytes]:
    """What a Sentichat client sends to subscribe, after the handshake."""
    init = {
        "type": "connection_init",
        "payload": {"authorization": f"Bearer {account.token}"},
    }
    subscribe = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": NEW_MESSAGE, "variables": {"channel": account.channel}},
    }
    return [orjson.dumps(init), orjson.dumps(subscribe)]


def delivered_client_id(system: str, frame: str | bytes) -> str | None:
    """The clientId of a delivered message, or None for any other frame."""
    data: Any = orjson.loads(frame)
    if system == BASELINE:
        client_id = data.get("client_id")
    elif data.get("type") != "next":
        return None
    else:
        message = (data["payload"].get("data") or {}).get("newMessage")
        client_id = None if message is None else message["clientId"]
    return None if client_id is None else str(client_id)
