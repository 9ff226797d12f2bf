"""blockUser and unblockUser given what they must refuse, and a blocked pair
trying every way around the block; each refusal is exact and writes nothing.

The pair here is Alice and Carol (no chat between them), so the suite's own
chat of Alice and Bob is left as the other files expect it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.hostile.conftest import Hostile

BLOCK = "mutation($u: ID!) { blockUser(user: $u) { id blockedByMe } }"
UNBLOCK = "mutation($u: ID!) { unblockUser(user: $u) { id blockedByMe } }"
BLOCKED = "query { blockedUsers { id } }"
REQUEST_CHAT = "mutation($t: ID!) { requestChat(toUser: $t) { channelName } }"
NOT_AN_ID = "`user` is a decimal id."
BAD = "BAD_USER_INPUT"

# (name, document, variables, code, message)
CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("block: yourself", BLOCK, {"u": "{alice}"}, BAD, "You cannot block yourself."),
    (
        "unblock: yourself",
        UNBLOCK,
        {"u": "{alice}"},
        BAD,
        "You cannot unblock yourself.",
    ),
    ("block: unknown id", BLOCK, {"u": "9223372036854775807"}, BAD, "No such user."),
    (
        "unblock: unknown id",
        UNBLOCK,
        {"u": "9223372036854775000"},
        BAD,
        "No such user.",
    ),
    ("block: zero", BLOCK, {"u": "0"}, BAD, NOT_AN_ID),
    ("block: negative", BLOCK, {"u": "-1"}, BAD, NOT_AN_ID),
    ("block: past 64 bits", BLOCK, {"u": "9223372036854775808"}, BAD, NOT_AN_ID),
    ("block: leading zero", BLOCK, {"u": "0{carol}"}, BAD, NOT_AN_ID),
    ("block: a name", BLOCK, {"u": "carol"}, BAD, NOT_AN_ID),
    ("block: empty", BLOCK, {"u": ""}, BAD, NOT_AN_ID),
    ("block: forty thousand digits", BLOCK, {"u": "1" * 40_000}, BAD, NOT_AN_ID),
    ("unblock: NUL", UNBLOCK, {"u": "1\u0000"}, BAD, NOT_AN_ID),
]


def fill(value: str, hostile: Hostile) -> str:
    return value.replace("{alice}", hostile.alice.id).replace(
        "{carol}", hostile.carol.id
    )


@pytest.mark.parametrize(
    ("document", "variables", "code", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_a_bad_block_is_refused_exactly_and_writes_nothing(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    document: str,
    variables: dict[str, str],
    code: str,
    message: str,
) -> None:
    filled = {name: fill(value, hostile) for name, value in variables.items()}
    errors = await hostile.graphql_refusal(
        "block",
        f"block: {request.node.callspec.id}",
        document,
        filled,
        hostile.alice.token,
    )
    assert errors == [(code, message)]


@pytest.mark.parametrize(
    ("name", "variables"),
    [
        ("null", {"u": None}),
        ("a number", {"u": [1, 2]}),
        ("an object", {"u": {"id": "1"}}),
        ("missing", {}),
    ],
)
async def test_a_malformed_user_variable_is_a_validation_error(
    hostile: Hostile, name: str, variables: dict[str, Any]
) -> None:
    errors = await hostile.graphql_refusal(
        "block", f"block variable: {name}", BLOCK, variables, hostile.alice.token
    )
    assert errors[0][0] == BAD


async def test_without_a_token_nothing_is_blocked(hostile: Hostile) -> None:
    errors = await hostile.graphql_refusal(
        "block", "block: no token", BLOCK, {"u": hostile.carol.id}
    )
    listed = await hostile.graphql_refusal("block", "blocked: no token", BLOCKED)

    assert errors[0][0] == listed[0][0] == "UNAUTHENTICATED"


async def test_a_blocked_pair_cannot_open_a_chat_either_way(hostile: Hostile) -> None:
    alice, carol = hostile.alice, hostile.carol
    blocked = await hostile.graphql(BLOCK, {"u": carol.id}, alice.token)
    assert blocked.json()["data"]["blockUser"] == {"id": carol.id, "blockedByMe": True}
    try:
        by_carol = await hostile.graphql_refusal(
            "block",
            "blocked pair: carol requests",
            REQUEST_CHAT,
            {"t": alice.id},
            carol.token,
        )
        by_alice = await hostile.graphql_refusal(
            "block",
            "blocked pair: alice requests",
            REQUEST_CHAT,
            {"t": carol.id},
            alice.token,
        )
    finally:
        lifted = await hostile.graphql(UNBLOCK, {"u": carol.id}, alice.token)
    assert lifted.json()["data"]["unblockUser"]["blockedByMe"] is False
    assert by_carol == [("FORBIDDEN", "You cannot open a chat with this user.")]
    assert by_alice == [
        ("FORBIDDEN", "You blocked this person: unblock them to write to them.")
    ]
