"""reportMessage and resolveReport, given what they must refuse.

Bad ids, other people's messages, oversize notes, unknown enum values: each
gets its exact refusal (code, sentence, and the `field` it concerns) and
writes nothing, reports and the audit log included. Bob received Alice's
message `{message}`; `{deleted}` is another of hers, deleted; Dana is a
moderator, and `{resolved}` a report she has dismissed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.hostile.conftest import Hostile
from tests.support.api import Account
from tests.support.moderation import make_server_moderator

BAD = "BAD_USER_INPUT"
NOT_AN_ID = "`id` is a decimal id."
NO_MESSAGE = "No such message."
NOTE = "A note is at most 500 characters, with no NUL and no invalid Unicode."
ONLY_MODERATORS = "Only moderators may do this."

REPORT = "mutation($id: ID!, $r: ReportReason!, $n: String) { reportMessage(id: $id, reason: $r, note: $n) { id } }"
RESOLVE = "mutation($id: ID!, $a: ModerationAction!) { resolveReport(id: $id, action: $a) { id } }"
REPORTS = "query($s: ReportStatus, $f: Int, $a: ID) { reports(status: $s, first: $f, after: $a) { id } }"
LOG = "query($f: Int, $a: ID) { moderationLog(first: $f, after: $a) { id } }"


@dataclass(frozen=True)
class Moderation:
    dana: Account  # a moderator
    deleted: str  # a message of Alice's to Bob, deleted
    resolved: str  # Bob's report of `{message}`, dismissed by Dana


@pytest.fixture(scope="module")
async def moderation(hostile: Hostile) -> Moderation:
    dana = await make_server_moderator(hostile.server, "dana")
    send = 'mutation($c: String!) { sendMessage(channel: $c, message: "gone") { id } }'
    sent = await ok(hostile, send, {"c": hostile.channel}, hostile.alice)
    deleted = sent["sendMessage"]["id"]
    delete = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
    await ok(hostile, delete, {"id": deleted}, hostile.alice)
    variables = {"id": hostile.message_id, "r": "SPAM"}
    report = (await ok(hostile, REPORT, variables, hostile.bob))["reportMessage"]["id"]
    await ok(hostile, RESOLVE, {"id": report, "a": "DISMISS"}, dana)
    return Moderation(dana, deleted, report)


async def ok(
    hostile: Hostile, query: str, variables: dict[str, Any], who: Account
) -> Any:
    body = (await hostile.graphql(query, variables, who.token)).json()
    assert "errors" not in body, body
    return body["data"]


# (name, caller, document, variables, code, message, field); `caller` is
# alice, bob, carol or dana; a None message is graphql-core's own words.
CASES: list[tuple[str, str, str, dict[str, Any], str, str | None, str | None]] = [
    # reportMessage(id, reason, note)
    (
        "reportMessage: id not a number",
        "bob",
        REPORT,
        {"id": "abc", "r": "SPAM"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "reportMessage: id 0",
        "bob",
        REPORT,
        {"id": "0", "r": "SPAM"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "reportMessage: id negative",
        "bob",
        REPORT,
        {"id": "-1", "r": "SPAM"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "reportMessage: id past 64 bits",
        "bob",
        REPORT,
        {"id": "9" * 20, "r": "SPAM"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "reportMessage: id with a leading zero",
        "bob",
        REPORT,
        {"id": "0{message}", "r": "SPAM"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "reportMessage: no such message",
        "bob",
        REPORT,
        {"id": "987654321", "r": "SPAM"},
        "NOT_FOUND",
        NO_MESSAGE,
        "id",
    ),
    (
        "reportMessage: one's own message",
        "alice",
        REPORT,
        {"id": "{message}", "r": "SPAM"},
        "NOT_FOUND",
        NO_MESSAGE,
        "id",
    ),
    (
        "reportMessage: a message of others",
        "carol",
        REPORT,
        {"id": "{message}", "r": "SPAM"},
        "NOT_FOUND",
        NO_MESSAGE,
        "id",
    ),
    (
        "reportMessage: a deleted message",
        "bob",
        REPORT,
        {"id": "{deleted}", "r": "SPAM"},
        BAD,
        "A deleted message cannot be reported.",
        "id",
    ),
    (
        "reportMessage: note of 501",
        "bob",
        REPORT,
        {"id": "{message}", "r": "OTHER", "n": "x" * 501},
        BAD,
        NOTE,
        "note",
    ),
    (
        "reportMessage: note of 10,000",
        "bob",
        REPORT,
        {"id": "{message}", "r": "OTHER", "n": "x" * 10_000},
        BAD,
        NOTE,
        "note",
    ),
    (
        "reportMessage: note with NUL",
        "bob",
        REPORT,
        {"id": "{message}", "r": "OTHER", "n": "a\x00b"},
        BAD,
        NOTE,
        "note",
    ),
    (
        "reportMessage: note with a lone surrogate",
        "bob",
        REPORT,
        {"id": "{message}", "r": "OTHER", "n": "\ud83d"},
        BAD,
        NOTE,
        "note",
    ),
    (
        "reportMessage: unknown reason",
        "bob",
        REPORT,
        {"id": "{message}", "r": "ABUSE"},
        BAD,
        None,
        None,
    ),
    (
        "reportMessage: reason in lower case",
        "bob",
        REPORT,
        {"id": "{message}", "r": "spam"},
        BAD,
        None,
        None,
    ),
    (
        "reportMessage: reason null",
        "bob",
        REPORT,
        {"id": "{message}", "r": None},
        BAD,
        None,
        None,
    ),
    (
        "reportMessage: reason a number",
        "bob",
        REPORT,
        {"id": "{message}", "r": 1},
        BAD,
        None,
        None,
    ),
    # resolveReport(id, action): anyone but a moderator learns nothing
    (
        "resolveReport: by the reporter",
        "bob",
        RESOLVE,
        {"id": "{resolved}", "a": "DISMISS"},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    (
        "resolveReport: by the sender",
        "alice",
        RESOLVE,
        {"id": "{resolved}", "a": "DELETE_MESSAGE"},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    (
        "resolveReport: a bad id by a plain user",
        "carol",
        RESOLVE,
        {"id": "abc", "a": "SUSPEND_SENDER"},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    (
        "resolveReport: no such report by a plain user",
        "carol",
        RESOLVE,
        {"id": "987654321", "a": "DISMISS"},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    (
        "resolveReport: id not a number",
        "dana",
        RESOLVE,
        {"id": "abc", "a": "DISMISS"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "resolveReport: id 0",
        "dana",
        RESOLVE,
        {"id": "0", "a": "DISMISS"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "resolveReport: id past 64 bits",
        "dana",
        RESOLVE,
        {"id": "9" * 20, "a": "DISMISS"},
        BAD,
        NOT_AN_ID,
        "id",
    ),
    (
        "resolveReport: no such report",
        "dana",
        RESOLVE,
        {"id": "987654321", "a": "DISMISS"},
        "NOT_FOUND",
        "No such report.",
        "id",
    ),
    (
        "resolveReport: a message id for a report id",
        "dana",
        RESOLVE,
        {"id": "{deleted}", "a": "DISMISS"},
        "NOT_FOUND",
        "No such report.",
        "id",
    ),
    (
        "resolveReport: already resolved",
        "dana",
        RESOLVE,
        {"id": "{resolved}", "a": "SUSPEND_SENDER"},
        BAD,
        "This report is already resolved.",
        "id",
    ),
    (
        "resolveReport: unknown action",
        "dana",
        RESOLVE,
        {"id": "{resolved}", "a": "BAN"},
        BAD,
        None,
        None,
    ),
    (
        "resolveReport: action in lower case",
        "dana",
        RESOLVE,
        {"id": "{resolved}", "a": "dismiss"},
        BAD,
        None,
        None,
    ),
    (
        "resolveReport: action null",
        "dana",
        RESOLVE,
        {"id": "{resolved}", "a": None},
        BAD,
        None,
        None,
    ),
    # reports(status, first, after) and moderationLog(first, after)
    (
        "reports: by a plain user",
        "bob",
        REPORTS,
        {"s": "OPEN"},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    (
        "reports: bad arguments by a plain user",
        "bob",
        REPORTS,
        {"f": 0, "a": "x"},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    ("reports: unknown status", "dana", REPORTS, {"s": "CLOSED"}, BAD, None, None),
    (
        "reports: first 0",
        "dana",
        REPORTS,
        {"f": 0},
        BAD,
        "`first` is 1 to 200.",
        "first",
    ),
    (
        "reports: first 201",
        "dana",
        REPORTS,
        {"f": 201},
        BAD,
        "`first` is 1 to 200.",
        "first",
    ),
    (
        "reports: after not an id",
        "dana",
        REPORTS,
        {"a": "last"},
        BAD,
        "`after` is a decimal id.",
        "after",
    ),
    (
        "moderationLog: by a plain user",
        "carol",
        LOG,
        {},
        "FORBIDDEN",
        ONLY_MODERATORS,
        None,
    ),
    (
        "moderationLog: first -1",
        "dana",
        LOG,
        {"f": -1},
        BAD,
        "`first` is 1 to 200.",
        "first",
    ),
    (
        "moderationLog: after past 64 bits",
        "dana",
        LOG,
        {"a": "9" * 20},
        BAD,
        "`after` is a decimal id.",
        "after",
    ),
]


def fill(value: Any, hostile: Hostile, moderation: Moderation) -> Any:
    if not isinstance(value, str):
        return value
    return (
        value.replace("{message}", hostile.message_id)
        .replace("{deleted}", moderation.deleted)
        .replace("{resolved}", moderation.resolved)
    )


@pytest.mark.parametrize(
    ("caller", "document", "variables", "code", "message", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_a_bad_moderation_argument_is_refused_exactly_and_writes_nothing(
    hostile: Hostile,
    moderation: Moderation,
    request: pytest.FixtureRequest,
    caller: str,
    document: str,
    variables: dict[str, Any],
    code: str,
    message: str | None,
    field: str | None,
) -> None:
    callers = {
        "alice": hostile.alice,
        "bob": hostile.bob,
        "carol": hostile.carol,
        "dana": moderation.dana,
    }
    filled = {
        name: fill(value, hostile, moderation) for name, value in variables.items()
    }
    response = await hostile.refused(
        "moderation",
        f"moderation: {request.node.callspec.id}",
        hostile.graphql(document, filled, callers[caller].token),
    )
    body = response.json()
    assert body["data"] is None, body
    [error] = body["errors"]
    hostile.counted(f"GraphQL {error['extensions']['code']}")
    assert error["extensions"] == {"code": code, **({"field": field} if field else {})}
    if message is not None:
        assert error["message"] == message


async def test_the_refused_report_left_the_resolved_one_as_it_was(
    hostile: Hostile, moderation: Moderation
) -> None:
    query = "query { reports(status: RESOLVED) { id action note } }"
    body = (await hostile.graphql(query, None, moderation.dana.token)).json()
    assert body["data"]["reports"] == [
        {"id": moderation.resolved, "action": "DISMISS", "note": None}
    ]
    body = (
        await hostile.graphql("query { reports { id } }", None, moderation.dana.token)
    ).json()
    assert body["data"]["reports"] == []
