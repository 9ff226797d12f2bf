"""Pusher signatures, checked against the worked examples in Pusher's docs."""

from __future__ import annotations

import pytest

from graph.realtime.pusher import channel_auth, is_channel_name, is_socket_id
from graph.realtime.pusher.signing import signed_query, string_to_sign

# The credentials of both worked examples in Pusher's documentation.
DOCS_KEY = "278d425bdf160c739803"
DOCS_SECRET = "7ad3773142a6692b25b8"
DOCS_BODY = b'{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'

MALFORMED_SOCKET_IDS = [
    "",
    "1234",
    "1234.",
    ".1234",
    "1.2.3",
    "a.b",
    "-1.2",
    "1.2\n",
    " 1.2",
    "١٢.٣٤",  # Arabic-Indic digits are digits, but not Pusher's
    "1" * 21 + ".1",
    "1.2:private-chat_1_2",
]
MALFORMED_CHANNEL_NAMES = [
    "",
    "x" * 165,
    "private chat",
    "private-chät",
    "private-chat_1_2\n",
    "private-chat_1_2\x00",
    "#server-to-user-1",
    "private-chat/1_2",
]


def test_channel_auth_matches_pushers_worked_example() -> None:
    # "Generating authentication and authorization strings", worked example.
    auth = channel_auth(DOCS_KEY, DOCS_SECRET, "1234.1234", "private-foobar")

    assert auth == (
        "278d425bdf160c739803:"
        "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    )


def test_request_signature_matches_pushers_worked_example() -> None:
    # "HTTP API reference", worked authentication example.
    query = signed_query(
        DOCS_KEY, DOCS_SECRET, "POST", "/apps/3/events", DOCS_BODY, 1353088179
    )

    assert query == {
        "auth_key": DOCS_KEY,
        "auth_timestamp": "1353088179",
        "auth_version": "1.0",
        "body_md5": "ec365a775a4cd0599faeb73354201b6f",
        "auth_signature": (
            "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        ),
    }


def test_the_string_to_sign_lowercases_sorts_and_never_escapes() -> None:
    params = {"auth_key": "foo", "Name": "Something else", "auth_signature": "x"}

    assert string_to_sign("post", "/some/resource", params) == (
        "POST\n/some/resource\nauth_key=foo&name=Something else"
    )


@pytest.mark.parametrize("socket_id", ["1234.1234", "0.0", "123456789.987654321"])
def test_pusher_socket_ids_are_accepted(socket_id: str) -> None:
    assert is_socket_id(socket_id)


@pytest.mark.parametrize("socket_id", MALFORMED_SOCKET_IDS)
def test_anything_else_is_not_a_socket_id(socket_id: str) -> None:
    assert not is_socket_id(socket_id)


@pytest.mark.parametrize(
    "name",
    ["private-chat_1_2", "presence-x", "a", "-_=@,.;", "x" * 164],
)
def test_pusher_channel_names_are_accepted(name: str) -> None:
    assert is_channel_name(name)


@pytest.mark.parametrize("name", MALFORMED_CHANNEL_NAMES)
def test_anything_else_is_not_a_channel_name(name: str) -> None:
    assert not is_channel_name(name)
