"""Every argument of every operation, given what it must refuse.

Each bad value gets its operation's exact refusal (code, sentence, and the
`field` it concerns) and writes nothing. `{own}` is Alice and Bob's chat,
`{other}` Bob and Carol's (Alice is no member), `{unopened}` Alice and
Carol's (never requested); `{alice}` and `{carol}` are ids.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.hostile.conftest import Hostile

BAD = "BAD_USER_INPUT"
USERNAME = "A username is 3 to 32 letters, digits, '_', '.' or '-'."
PASSWORD = "A password is 8 to 256 characters, with no NUL and no invalid Unicode."
WRONG_LOGIN = "Wrong username or password."
NOT_A_CHANNEL = "Not a chat channel name: expected private-chat_<lower id>_<higher id>."
NOT_MEMBER = "You are not a member of this chat."
NO_CHAT = "This chat does not exist yet: request it first."
NOT_AN_ID = "`toUser` is a decimal id."
EMPTY = "A message cannot be empty."
UNSTORABLE = "A message cannot contain NUL characters or invalid Unicode."
CLIENT_ID = "A clientId is 1 to 64 printable ASCII characters."

REGISTER = "mutation($u: String!, $p: String!) { register(username: $u, password: $p) { token } }"
LOGIN = (
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
)
REQUEST_CHAT = "mutation($t: ID!) { requestChat(toUser: $t) { channelName } }"
SEND = "mutation($c: String!, $m: String!, $i: String) { sendMessage(channel: $c, message: $m, clientId: $i) { seq } }"
HISTORY = "query($c: String!, $a: Int, $b: Int, $l: Int) { messages(channel: $c, after: $a, before: $b, last: $l) { seq } }"
CHATS = "query($f: Int) { chats(first: $f) { channelName } }"
USERS = "query($f: Int, $a: String) { users(first: $f, after: $a) { id } }"
EDIT = (
    "mutation($id: ID!, $m: String!) { editMessage(id: $id, message: $m) { version } }"
)
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { version } }"
REACT = "mutation($id: ID!, $e: String!) { react(id: $id, emoji: $e) { version } }"
MOOD_HISTORY = (
    "query($c: String!, $n: Int) { moodHistory(channel: $c, buckets: $n) { fromSeq } }"
)
BUCKETS = "`buckets` is 1 to 100."
GOOD_PASSWORD = "correct horse battery"
NOT_A_MESSAGE_ID = "`id` is a decimal id."
NO_MESSAGE = "No such message."
NOT_AN_EMOJI = "A reaction is one emoji (skin tones and sequences allowed)."
NOT_FOUND = "NOT_FOUND"

# (name, document, variables, code, message, field)
ARGUMENTS: list[tuple[str, str, dict[str, Any], str, str, str | None]] = [
    # register(username, password)
    (
        "register: username of 2",
        REGISTER,
        {"u": "ab", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username of 33",
        REGISTER,
        {"u": "a" * 33, "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username empty",
        REGISTER,
        {"u": "", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username with a space",
        REGISTER,
        {"u": "bad name", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username not ASCII",
        REGISTER,
        {"u": "émile", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username lookalike",
        REGISTER,
        {"u": "\u0430lice", "p": GOOD_PASSWORD},  # Cyrillic a
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username with NUL",
        REGISTER,
        {"u": "ali\x00ce", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username with a lone surrogate",
        REGISTER,
        {"u": "ali\ud800ce", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username with a newline",
        REGISTER,
        {"u": "alice\n", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username markup",
        REGISTER,
        {"u": "<script>", "p": GOOD_PASSWORD},
        BAD,
        USERNAME,
        "username",
    ),
    (
        "register: username taken",
        REGISTER,
        {"u": "{alice_name}", "p": GOOD_PASSWORD},
        BAD,
        "That username is taken.",
        "username",
    ),
    (
        "register: username taken in capitals",
        REGISTER,
        {"u": "{ALICE_NAME}", "p": GOOD_PASSWORD},
        BAD,
        "That username is taken.",
        "username",
    ),
    (
        "register: password of 7",
        REGISTER,
        {"u": "newcomer1", "p": "1234567"},
        BAD,
        PASSWORD,
        "password",
    ),
    (
        "register: password empty",
        REGISTER,
        {"u": "newcomer2", "p": ""},
        BAD,
        PASSWORD,
        "password",
    ),
    (
        "register: password of 257",
        REGISTER,
        {"u": "newcomer3", "p": "p" * 257},
        BAD,
        PASSWORD,
        "password",
    ),
    (
        "register: password with NUL",
        REGISTER,
        {"u": "newcomer4", "p": "pass\x00word!"},
        BAD,
        PASSWORD,
        "password",
    ),
    (
        "register: password with a lone surrogate",
        REGISTER,
        {"u": "newcomer5", "p": "pass\udfffword!"},
        BAD,
        PASSWORD,
        "password",
    ),
    # login(username, password)
    (
        "login: wrong password",
        LOGIN,
        {"u": "{alice_name}", "p": "not the password"},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    (
        "login: no such user",
        LOGIN,
        {"u": "nobody-at-all", "p": GOOD_PASSWORD},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    (
        "login: username of 33",
        LOGIN,
        {"u": "a" * 33, "p": GOOD_PASSWORD},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    (
        "login: username with NUL",
        LOGIN,
        {"u": "a\x00b", "p": GOOD_PASSWORD},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    (
        "login: password of 257",
        LOGIN,
        {"u": "{alice_name}", "p": "p" * 257},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    (
        "login: password with a lone surrogate",
        LOGIN,
        {"u": "{alice_name}", "p": "\ud800" * 8},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    (
        "login: empty password",
        LOGIN,
        {"u": "{alice_name}", "p": ""},
        "UNAUTHENTICATED",
        WRONG_LOGIN,
        None,
    ),
    # requestChat(toUser)
    (
        "requestChat: oneself",
        REQUEST_CHAT,
        {"t": "{alice}"},
        BAD,
        "You cannot open a chat with yourself.",
        "toUser",
    ),
    (
        "requestChat: no such user",
        REQUEST_CHAT,
        {"t": "987654321"},
        "NOT_FOUND",
        "No such user.",
        "toUser",
    ),
    ("requestChat: a name", REQUEST_CHAT, {"t": "bob"}, BAD, NOT_AN_ID, "toUser"),
    ("requestChat: empty", REQUEST_CHAT, {"t": ""}, BAD, NOT_AN_ID, "toUser"),
    ("requestChat: zero", REQUEST_CHAT, {"t": "0"}, BAD, NOT_AN_ID, "toUser"),
    ("requestChat: negative", REQUEST_CHAT, {"t": "-1"}, BAD, NOT_AN_ID, "toUser"),
    ("requestChat: leading zero", REQUEST_CHAT, {"t": "01"}, BAD, NOT_AN_ID, "toUser"),
    (
        "requestChat: decimal point",
        REQUEST_CHAT,
        {"t": "1.0"},
        BAD,
        NOT_AN_ID,
        "toUser",
    ),
    ("requestChat: spaces", REQUEST_CHAT, {"t": " 1 "}, BAD, NOT_AN_ID, "toUser"),
    (
        "requestChat: past 64 bits",
        REQUEST_CHAT,
        {"t": str(2**63)},
        BAD,
        NOT_AN_ID,
        "toUser",
    ),
    (
        "requestChat: Arabic-Indic digits",
        REQUEST_CHAT,
        {"t": "١٢"},
        BAD,
        NOT_AN_ID,
        "toUser",
    ),
    # sendMessage(channel, message, clientId)
    (
        "sendMessage: malformed channel",
        SEND,
        {"c": "private-chat_x", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: empty channel",
        SEND,
        {"c": "", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: ids in the wrong order",
        SEND,
        {"c": "{own_reversed}", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: a channel with oneself",
        SEND,
        {"c": "private-chat_{alice}_{alice}", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: a notification channel",
        SEND,
        {"c": "private-notification_user_{alice}", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: the tutorial's channel",
        SEND,
        {"c": "private-chat_alice_bob", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: a leading zero",
        SEND,
        {"c": "private-chat_0{alice}_{carol}", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: a channel of 65",
        SEND,
        {"c": "private-chat_1_" + "9" * 51, "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: a lone surrogate in the channel",
        SEND,
        {"c": "private-chat_1_\ud800", "m": "hi"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "sendMessage: someone else's chat",
        SEND,
        {"c": "{other}", "m": "hi"},
        "FORBIDDEN",
        NOT_MEMBER,
        None,
    ),
    (
        "sendMessage: a chat not requested",
        SEND,
        {"c": "{unopened}", "m": "hi"},
        "NOT_FOUND",
        NO_CHAT,
        None,
    ),
    (
        "sendMessage: empty message",
        SEND,
        {"c": "{own}", "m": ""},
        BAD,
        EMPTY,
        "message",
    ),
    (
        "sendMessage: whitespace only",
        SEND,
        {"c": "{own}", "m": " \t\n\u3000"},
        BAD,
        EMPTY,
        "message",
    ),
    (
        "sendMessage: 4001 characters",
        SEND,
        {"c": "{own}", "m": "x" * 4001},
        BAD,
        "A message is at most 4000 characters.",
        "message",
    ),
    (
        "sendMessage: NUL",
        SEND,
        {"c": "{own}", "m": "a\x00b"},
        BAD,
        UNSTORABLE,
        "message",
    ),
    (
        "sendMessage: a lone surrogate",
        SEND,
        {"c": "{own}", "m": "half \ud83d an emoji"},
        BAD,
        UNSTORABLE,
        "message",
    ),
    (
        "sendMessage: empty clientId",
        SEND,
        {"c": "{own}", "m": "hi", "i": ""},
        BAD,
        CLIENT_ID,
        "clientId",
    ),
    (
        "sendMessage: clientId of 65",
        SEND,
        {"c": "{own}", "m": "hi", "i": "c" * 65},
        BAD,
        CLIENT_ID,
        "clientId",
    ),
    (
        "sendMessage: clientId with a space",
        SEND,
        {"c": "{own}", "m": "hi", "i": "a b"},
        BAD,
        CLIENT_ID,
        "clientId",
    ),
    (
        "sendMessage: clientId not ASCII",
        SEND,
        {"c": "{own}", "m": "hi", "i": "idé"},
        BAD,
        CLIENT_ID,
        "clientId",
    ),
    (
        "sendMessage: clientId with NUL",
        SEND,
        {"c": "{own}", "m": "hi", "i": "a\x00"},
        BAD,
        CLIENT_ID,
        "clientId",
    ),
    (
        "sendMessage: clientId reused for other text",
        SEND,
        {"c": "{own}", "m": "something else", "i": "used-once"},
        BAD,
        "This clientId was already used for another message.",
        "clientId",
    ),
    # messages(channel, after, before, last)
    (
        "messages: last 0",
        HISTORY,
        {"c": "{own}", "l": 0},
        BAD,
        "`last` is 1 to 200.",
        "last",
    ),
    (
        "messages: last negative",
        HISTORY,
        {"c": "{own}", "l": -1},
        BAD,
        "`last` is 1 to 200.",
        "last",
    ),
    (
        "messages: last 201",
        HISTORY,
        {"c": "{own}", "l": 201},
        BAD,
        "`last` is 1 to 200.",
        "last",
    ),
    (
        "messages: after negative",
        HISTORY,
        {"c": "{own}", "a": -1},
        BAD,
        "`after` is a seq, 0 or more.",
        "after",
    ),
    (
        "messages: before negative",
        HISTORY,
        {"c": "{own}", "b": -1},
        BAD,
        "`before` is a seq, 0 or more.",
        "before",
    ),
    (
        "messages: malformed channel",
        HISTORY,
        {"c": "general"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "messages: someone else's chat",
        HISTORY,
        {"c": "{other}"},
        "FORBIDDEN",
        NOT_MEMBER,
        None,
    ),
    (
        "messages: a chat not requested",
        HISTORY,
        {"c": "{unopened}"},
        "NOT_FOUND",
        NO_CHAT,
        None,
    ),
    # chats(first)
    ("chats: first 0", CHATS, {"f": 0}, BAD, "`first` is 1 to 500.", "first"),
    ("chats: first negative", CHATS, {"f": -5}, BAD, "`first` is 1 to 500.", "first"),
    ("chats: first 501", CHATS, {"f": 501}, BAD, "`first` is 1 to 500.", "first"),
    # users(first, after)
    ("users: first 0", USERS, {"f": 0}, BAD, "`first` is 1 to 500.", "first"),
    ("users: first 501", USERS, {"f": 501}, BAD, "`first` is 1 to 500.", "first"),
    (
        "users: after of 33",
        USERS,
        {"a": "z" * 33},
        BAD,
        "`after` is a username: at most 32 characters, no NUL, no invalid Unicode.",
        "after",
    ),
    (
        "users: after with NUL",
        USERS,
        {"a": "a\x00"},
        BAD,
        "`after` is a username: at most 32 characters, no NUL, no invalid Unicode.",
        "after",
    ),
    (
        "users: after with a lone surrogate",
        USERS,
        {"a": "\ud800"},
        BAD,
        "`after` is a username: at most 32 characters, no NUL, no invalid Unicode.",
        "after",
    ),
    # editMessage(id, message), deleteMessage(id), react(id, emoji, on)
    (
        "editMessage: id not a number",
        EDIT,
        {"id": "abc", "m": "x"},
        BAD,
        NOT_A_MESSAGE_ID,
        "id",
    ),
    ("editMessage: id 0", EDIT, {"id": "0", "m": "x"}, BAD, NOT_A_MESSAGE_ID, "id"),
    (
        "editMessage: id past 64 bits",
        EDIT,
        {"id": "9" * 20, "m": "x"},
        BAD,
        NOT_A_MESSAGE_ID,
        "id",
    ),
    (
        "editMessage: no such message",
        EDIT,
        {"id": "987654321", "m": "x"},
        NOT_FOUND,
        NO_MESSAGE,
        "id",
    ),
    (
        "editMessage: empty text",
        EDIT,
        {"id": "{message}", "m": ""},
        BAD,
        EMPTY,
        "message",
    ),
    (
        "editMessage: text of 4001",
        EDIT,
        {"id": "{message}", "m": "x" * 4001},
        BAD,
        "A message is at most 4000 characters.",
        "message",
    ),
    (
        "editMessage: text with NUL",
        EDIT,
        {"id": "{message}", "m": "a\x00b"},
        BAD,
        UNSTORABLE,
        "message",
    ),
    (
        "editMessage: text with a lone surrogate",
        EDIT,
        {"id": "{message}", "m": "\ud83d"},
        BAD,
        UNSTORABLE,
        "message",
    ),
    ("deleteMessage: id negative", DELETE, {"id": "-1"}, BAD, NOT_A_MESSAGE_ID, "id"),
    (
        "deleteMessage: id with a leading zero",
        DELETE,
        {"id": "0{message}"},
        BAD,
        NOT_A_MESSAGE_ID,
        "id",
    ),
    (
        "deleteMessage: no such message",
        DELETE,
        {"id": "987654321"},
        NOT_FOUND,
        NO_MESSAGE,
        "id",
    ),
    (
        "react: id not a number",
        REACT,
        {"id": "1.5", "e": "👍"},
        BAD,
        NOT_A_MESSAGE_ID,
        "id",
    ),
    (
        "react: no such message",
        REACT,
        {"id": "987654321", "e": "👍"},
        NOT_FOUND,
        NO_MESSAGE,
        "id",
    ),
    (
        "react: empty emoji",
        REACT,
        {"id": "{message}", "e": ""},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: a letter",
        REACT,
        {"id": "{message}", "e": "a"},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: two emoji",
        REACT,
        {"id": "{message}", "e": "👍👍"},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: an emoji and a space",
        REACT,
        {"id": "{message}", "e": "👍 "},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: a shortcode",
        REACT,
        {"id": "{message}", "e": ":thumbsup:"},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: a lone zero-width joiner",
        REACT,
        {"id": "{message}", "e": "\u200d"},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: a lone surrogate",
        REACT,
        {"id": "{message}", "e": "\ud83d"},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    (
        "react: 1,000 emoji",
        REACT,
        {"id": "{message}", "e": "👍" * 1000},
        BAD,
        NOT_AN_EMOJI,
        "emoji",
    ),
    ("react: NUL", REACT, {"id": "{message}", "e": "\x00"}, BAD, NOT_AN_EMOJI, "emoji"),
    # moodHistory(channel, buckets)
    (
        "moodHistory: 0 buckets",
        MOOD_HISTORY,
        {"c": "{own}", "n": 0},
        BAD,
        BUCKETS,
        "buckets",
    ),
    (
        "moodHistory: -1 buckets",
        MOOD_HISTORY,
        {"c": "{own}", "n": -1},
        BAD,
        BUCKETS,
        "buckets",
    ),
    (
        "moodHistory: 101 buckets",
        MOOD_HISTORY,
        {"c": "{own}", "n": 101},
        BAD,
        BUCKETS,
        "buckets",
    ),
    (
        "moodHistory: 2**31 - 1 buckets",
        MOOD_HISTORY,
        {"c": "{own}", "n": 2**31 - 1},
        BAD,
        BUCKETS,
        "buckets",
    ),
    (
        "moodHistory: not a channel",
        MOOD_HISTORY,
        {"c": "private-chat_x"},
        BAD,
        NOT_A_CHANNEL,
        "channel",
    ),
    (
        "moodHistory: a chat of others",
        MOOD_HISTORY,
        {"c": "{other}"},
        "FORBIDDEN",
        NOT_MEMBER,
        None,
    ),
    (
        "moodHistory: never requested",
        MOOD_HISTORY,
        {"c": "{unopened}"},
        "NOT_FOUND",
        NO_CHAT,
        None,
    ),
]


def fill(value: Any, hostile: Hostile) -> Any:
    if not isinstance(value, str):
        return value
    alice, bob, carol = hostile.alice, hostile.bob, hostile.carol

    def channel(one: str, other: str) -> str:
        low, high = sorted((int(one), int(other)))
        return f"private-chat_{low}_{high}"

    low, high = sorted((int(alice.id), int(bob.id)))
    names = {
        "{own}": hostile.channel,
        "{own_reversed}": f"private-chat_{high}_{low}",
        "{other}": channel(bob.id, carol.id),
        "{unopened}": channel(alice.id, carol.id),
        "{alice_name}": alice.username,
        "{ALICE_NAME}": alice.username.upper(),
    }
    if value in names:
        return names[value]
    return (
        value.replace("{alice}", alice.id)
        .replace("{carol}", carol.id)
        .replace("{message}", hostile.message_id)
    )


@pytest.fixture(scope="module")
async def clientid_used(hostile: Hostile) -> None:
    """Alice has sent one message with clientId `used-once`."""
    variables = {"c": hostile.channel, "m": "sent once", "i": "used-once"}
    response = await hostile.graphql(SEND, variables, hostile.alice.token)
    assert "errors" not in response.json(), response.text


@pytest.mark.usefixtures("clientid_used")
@pytest.mark.parametrize(
    ("document", "variables", "code", "message", "field"),
    [case[1:] for case in ARGUMENTS],
    ids=[case[0] for case in ARGUMENTS],
)
async def test_a_bad_argument_is_refused_exactly_and_writes_nothing(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    document: str,
    variables: dict[str, Any],
    code: str,
    message: str,
    field: str | None,
) -> None:
    filled = {name: fill(value, hostile) for name, value in variables.items()}
    response = await hostile.refused(
        "argument",
        f"argument: {request.node.callspec.id}",
        hostile.graphql(document, filled, hostile.alice.token),
    )
    body = response.json()
    assert body["data"] is None, body
    [error] = body["errors"]
    hostile.counted(f"GraphQL {error['extensions']['code']}")
    expected = {"code": code, **({"field": field} if field else {})}
    assert (error["message"], error["extensions"]) == (message, expected)


async def test_null_for_a_page_size_means_its_default(hostile: Hostile) -> None:
    """An unset variable is null; it must not be a fault (found by fuzzing)."""
    token = hostile.alice.token
    chats = await hostile.graphql(CHATS, {"f": None}, token)
    users = await hostile.graphql(USERS, {"f": None, "a": None}, token)
    history = await hostile.graphql(HISTORY, {"c": hostile.channel, "l": None}, token)
    assert chats.json()["data"]["chats"][0]["channelName"] == hostile.channel
    assert {user["id"] for user in users.json()["data"]["users"]} >= {
        hostile.bob.id,
        hostile.carol.id,
    }
    assert history.json()["data"]["messages"][0]["seq"] == 1
