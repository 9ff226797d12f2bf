"""What a client says to each system under test, and how it reads the answers.

Sentichat is spoken to as the web client does: GraphQL over HTTP and
graphql-transport-ws, with the web client's selections. The baseline gets the
same data in plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
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
# What a change shows: the message as it now is, with its version, edit,
# deletion and reactions.
CHANGE_FIELDS = f"""{MESSAGE_FIELDS}
  version editedAt deletedAt reactions {{ emoji count mine }}
"""
MESSAGE_CHANGES = (
    "subscription Changes($channel: String!) {"
    f" messageChanges(channel: $channel) {{{CHANGE_FIELDS}}} }}"
)
EDIT = (
    "mutation Edit($id: ID!, $message: String!) {"
    f" editMessage(id: $id, message: $message) {{{CHANGE_FIELDS}}} }}"
)
REACT = (
    "mutation React($id: ID!, $emoji: String!, $on: Boolean!) {"
    f" react(id: $id, emoji: $emoji, on: $on) {{{CHANGE_FIELDS}}} }}"
)
# The reactions of the load: each a single emoji of Unicode's set.
EMOJI = ("👍", "❤️", "😂", "😮", "😢", "🎉", "🙏", "🔥", "👀", "✅")
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
# The web client's MoodHistory (the chat header's sparkline).
MOOD_HISTORY = (
    "query MoodHistory($channel: String!, $buckets: Int) {"
    " moodHistory(channel: $channel, buckets: $buckets) {"
    " fromSeq toSeq startedAt score"
    " byUser { user { id username } score messages } } }"
)
CHATS_PAGE = 500  # `chats(first:)`: the most a page may hold
WS_PROTOCOL = "graphql-transport-ws"

# Each load operation's GraphQL field, which a successful answer carries.
FIELDS = {
    "send": "sendMessage",
    "history": "messages",
    "read": "markRead",
    "chats": "chats",
    "unread": "unreadTotal",
    "edit": "editMessage",
    "react": "react",
    "mood": "moodHistory",
}
# Operations whose answer is a changed message: its "id:version" is kept, to
# find the `messageChanges` event it caused.
CHANGES = ("edit", "react")

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
class MoodQuery:
    """What a `moodHistory` load asks for, and the newest seq of its chat,
    where every answer's last run must end."""

    buckets: int
    last_seq: int


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


def mood_history_request(reader: Account, buckets: int) -> Request:
    """Sentichat only: `reader`'s chat split into `buckets` runs, with their mood."""
    variables = {"channel": reader.channel, "buckets": buckets}
    return _post(
        "/graphql", {"query": MOOD_HISTORY, "variables": variables}, reader.token
    )


def mood_history_fault(
    points: Sequence[Mapping[str, Any]], query: MoodQuery
) -> str | None:
    """What is wrong with a `moodHistory` answer (None: nothing seen): it must
    hold min(buckets, last_seq) runs, from seq 1 to `last_seq` with no gap or
    overlap, whose lengths differ by at most one, each with its members'
    messages adding up to its length."""
    expected = min(query.buckets, query.last_seq)
    if len(points) != expected:
        return f"{len(points)} points, not {expected}"
    if not points:
        return None
    if points[0]["fromSeq"] != 1 or points[-1]["toSeq"] != query.last_seq:
        first, last = points[0]["fromSeq"], points[-1]["toSeq"]
        return f"seq {first} to {last}, not 1 to {query.last_seq}"
    for before, after in pairwise(points):
        if after["fromSeq"] != before["toSeq"] + 1:
            return f"seq {before['toSeq']} then {after['fromSeq']}"
    lengths = [point["toSeq"] - point["fromSeq"] + 1 for point in points]
    if min(lengths) < 1 or max(lengths) - min(lengths) > 1:
        return f"runs of {min(lengths)} to {max(lengths)} messages"
    for point, length in zip(points, lengths, strict=True):
        written = sum(part["messages"] for part in point["byUser"])
        if written != length:
            return (
                f"seq {point['fromSeq']}-{point['toSeq']}: {written} messages,"
                f" not {length}"
            )
    return None


def mood_answer_fault(body: bytes, query: MoodQuery) -> str | None:
    """`mood_history_fault` of an answered request's body."""
    data: Any = orjson.loads(body)
    return mood_history_fault(data["data"]["moodHistory"], query)


def edit_request(editor: Account, message_id: int, text: str) -> Request:
    """Sentichat only: `editor` changes the text of its message `message_id`."""
    variables = {"id": str(message_id), "message": text}
    return _post("/graphql", {"query": EDIT, "variables": variables}, editor.token)


def react_request(reactor: Account, message_id: int, emoji: str, on: bool) -> Request:
    """Sentichat only: `reactor` puts `emoji` on message `message_id` (or off)."""
    variables = {"id": str(message_id), "emoji": emoji, "on": on}
    return _post("/graphql", {"query": REACT, "variables": variables}, reactor.token)


def reaction(turn: int) -> tuple[str, bool]:
    """The emoji and on/off of a member's `turn`-th reaction (from 0) to one
    message: each emoji on in turn, then each off, and again; so each one
    changes the message, whichever turn a run starts at."""
    return EMOJI[turn % len(EMOJI)], (turn // len(EMOJI)) % 2 == 0


def change_key(message: Any) -> str:
    """A message's change, as "id:version" (the same in an answer and its event)."""
    return f"{message['id']}:{message['version']}"


def changed_key(body: bytes, operation: str) -> str:
    """The "id:version" of the message in a successful answer to `operation`."""
    data: Any = orjson.loads(body)
    return change_key(data["data"][FIELDS[operation]])


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


# The subscription ids a Sentichat socket uses.
NEW_MESSAGE_ID = "1"
MESSAGE_CHANGES_ID = "2"


def _connection_init(account: Account) -> dict[str, Any]:
    return {
        "type": "connection_init",
        "payload": {"authorization": f"Bearer {account.token}"},
    }


def subscribe_messages(account: Account, changes: bool = False) -> list[bytes]:
    """What a Sentichat client sends after connecting: the connection_init,
    then its `newMessage` subscription and, if `changes`, its
    `messageChanges` one on the same chat (as the web client does)."""
    variables = {"channel": account.channel}
    frames = [
        _connection_init(account),
        {
            "id": NEW_MESSAGE_ID,
            "type": "subscribe",
            "payload": {"query": NEW_MESSAGE, "variables": variables},
        },
    ]
    if changes:
        frames.append(
            {
                "id": MESSAGE_CHANGES_ID,
                "type": "subscribe",
                "payload": {"query": MESSAGE_CHANGES, "variables": variables},
            }
        )
    return [orjson.dumps(frame) for frame in frames]


def subscribe_new_messages(account: Account, subscriptions: int) -> list[bytes]:
    """The connection_init, then `subscriptions` `newMessage` subscriptions
    to the account's chat, with ids "1", "2", ... A seeded user has one chat,
    so a socket's subscriptions all follow the same channel: each is an
    operation of its own (the protocol wants only distinct ids), with its own
    event-bus subscription on the server (`sentichat_subscriptions`), as
    subscriptions to as many chats would be."""
    variables = {"channel": account.channel}
    subscribes = [
        {
            "id": str(n),
            "type": "subscribe",
            "payload": {"query": NEW_MESSAGE, "variables": variables},
        }
        for n in range(1, subscriptions + 1)
    ]
    return [orjson.dumps(frame) for frame in [_connection_init(account), *subscribes]]


# A `newMessage` delivery as a socket with several subscriptions sees it:
# (subscription id, clientId ("" if none), the message's seq in its chat).
NewMessage = tuple[str, str, int]


def new_message(frame: str | bytes) -> NewMessage | None:
    """What a Sentichat `newMessage` frame delivered, on which subscription;
    None for any other frame."""
    data: Any = orjson.loads(frame)
    if data.get("type") != "next":
        return None
    message = (data["payload"].get("data") or {}).get("newMessage")
    if message is None:
        return None
    return str(data["id"]), str(message["clientId"] or ""), int(message["seq"])


@dataclass(frozen=True)
class Delivery:
    """A delivered message: by which subscription, its clientId ("" if it has
    none) and, for `messageChanges`, its "id:version"."""

    changes: bool  # False: newMessage (or the baseline's relay)
    client_id: str
    key: str = ""


def delivery(system: str, frame: str | bytes) -> Delivery | None:
    """What a frame delivered, or None for any other frame."""
    data: Any = orjson.loads(frame)
    if system == BASELINE:
        client_id = data.get("client_id")
        return None if client_id is None else Delivery(False, str(client_id))
    if data.get("type") != "next":
        return None
    fields = data["payload"].get("data") or {}
    message = fields.get("newMessage")
    if message is not None:
        return Delivery(False, str(message["clientId"] or ""))
    message = fields.get("messageChanges")
    if message is not None:
        return Delivery(True, str(message["clientId"] or ""), change_key(message))
    return None
