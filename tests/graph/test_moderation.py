"""Reports, the moderators' operations, the audit log and the operator's
commands, on PostgreSQL + Redis and on SQLite + memory. (Suspensions:
test_suspensions.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Message, ModerationEntry, MoodBlock, Report
from graph.__main__ import main
from graph.platform.settings import Rate, Settings
from tests.support.api import LOGIN, MESSAGE_CHANGES, PASSWORD, Account, Api
from tests.support.moderation import (
    HAPPY,
    LOG,
    ME,
    NO_MESSAGE,
    ONLY_MODERATORS,
    REPORT,
    REPORTS,
    RESOLVE,
    SAD,
    cli,
    count,
    fresh_api,
    make_moderator,
    open_reports,
    report,
    resolve,
    stored_message,
)

# -- reportMessage -------------------------------------------------------------


async def test_the_recipient_reports_a_message_with_its_evidence(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, SAD)

    reported = await report(api, bob, sent["id"], "HARASSMENT", note="again")

    assert {
        key: reported[key]
        for key in ("reason", "note", "status", "messageId", "channel", "seq")
    } == {
        "reason": "HARASSMENT",
        "note": "again",
        "status": "OPEN",
        "messageId": sent["id"],
        "channel": channel,
        "seq": 1,
    }
    assert (reported["reporter"]["id"], reported["sender"]["id"]) == (bob.id, alice.id)
    assert (reported["text"], reported["sentAt"]) == (SAD, sent["createdAt"])
    assert reported["sentiment"]["label"] == "NEGATIVE"
    assert reported["resolvedAt"] is reported["action"] is None


async def test_only_the_recipient_may_report_and_others_learn_nothing(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    carol = await api.register("carol")
    sent = await api.send(alice, channel, SAD)
    variables = {"id": sent["id"], "reason": "SPAM"}

    by_sender = await api.refusal(REPORT, variables, alice.token)
    by_stranger = await api.refusal(REPORT, variables, carol.token)
    missing = await api.refusal(REPORT, {**variables, "id": "987654321"}, bob.token)

    assert by_sender == by_stranger == missing == NO_MESSAGE
    assert await count(api, Report) == 0


async def test_reporting_again_updates_the_reason_and_keeps_the_evidence(
    api: Api,
) -> None:
    """The sender edits the message before it is reported again: what the
    moderator reads is still what was first reported."""
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    first = await report(api, bob, sent["id"], "SPAM", note="spam?")
    await api.edit(alice, sent["id"], HAPPY)

    again = await report(api, bob, sent["id"], "HATE")

    assert again["id"] == first["id"]
    assert (again["reason"], again["note"]) == ("HATE", None)
    assert again["createdAt"] == first["createdAt"] < again["updatedAt"]
    (judged,) = await open_reports(api, moderator)
    for seen in (again, judged):
        evidence = (seen["text"], seen["sentAt"], seen["sentiment"])
        assert evidence == (SAD, sent["createdAt"], first["sentiment"])
    assert first["sentiment"]["label"] == "NEGATIVE"
    assert await count(api, Report) == 1


@pytest.mark.parametrize(
    "note", ["x" * 501, "nul \x00 inside", "lone \ud800 surrogate"]
)
async def test_a_bad_note_is_refused_and_stores_nothing(api: Api, note: str) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, SAD)

    code, message = await api.refusal(
        REPORT, {"id": sent["id"], "reason": "OTHER", "note": note}, bob.token
    )

    assert code == "BAD_USER_INPUT"
    assert "A note is at most 500 characters" in message
    assert await count(api, Report) == 0
    assert (await report(api, bob, sent["id"], note="x" * 500))["note"] == "x" * 500


async def test_the_evidence_survives_an_edit_and_a_delete_by_the_sender(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])

    await api.edit(alice, sent["id"], HAPPY)
    after_edit = await open_reports(api, moderator)
    await api.delete(alice, sent["id"])
    after_delete = await open_reports(api, moderator)

    assert after_edit == after_delete == [reported]
    assert reported["text"] == SAD
    assert reported["sentiment"]["label"] == "NEGATIVE"


async def test_a_deleted_message_cannot_be_reported(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, SAD)
    await api.delete(alice, sent["id"])

    refusal = await api.refusal(REPORT, {"id": sent["id"], "reason": "SPAM"}, bob.token)

    assert refusal == ("BAD_USER_INPUT", "A deleted message cannot be reported.")
    assert await count(api, Report) == 0


async def test_the_reporter_sees_no_sentiment_the_sender_keeps_to_themselves(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    hide = "mutation { setShareSentiment(share: false) { id } }"
    await api.data(hide, token=alice.token)
    sent = await api.send(alice, channel, SAD)

    reported = await report(api, bob, sent["id"])
    (judged,) = await open_reports(api, moderator)

    assert reported["sentiment"] is None
    assert judged["sentiment"]["label"] == "NEGATIVE"


# -- who may moderate ----------------------------------------------------------


async def test_plain_users_get_one_forbidden_from_every_moderator_operation(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])
    attempts: list[tuple[str, dict[str, Any]]] = [
        (REPORTS, {}),
        (REPORTS, {"status": "RESOLVED", "first": 0, "after": "not an id"}),
        (LOG, {}),
        (LOG, {"first": 100_000, "after": "-1"}),
        (RESOLVE, {"id": reported["id"], "action": "SUSPEND_SENDER"}),
        (RESOLVE, {"id": "987654321", "action": "DISMISS"}),
        (RESOLVE, {"id": "abc", "action": "DELETE_MESSAGE"}),
    ]

    for caller in (alice, bob):
        for query, variables in attempts:
            assert await api.refusal(query, variables, caller.token) == ONLY_MODERATORS

    assert await count(api, ModerationEntry) == 0
    assert (await report(api, bob, sent["id"]))["status"] == "OPEN"
    assert (await api.data(ME, token=alice.token))["me"]["moderator"] is False


async def test_moderator_shows_only_on_oneself_and_follows_the_database(
    api: Api,
) -> None:
    moderator = await make_moderator(api)
    await api.register("alice")
    login = LOGIN.replace("username }", "username moderator }")

    signed_in = await api.data(login, {"username": "mod", "password": PASSWORD})
    others = await api.data("{ users { moderator } }", token=moderator.token)
    assert await cli(api, "moderators", "remove", "mod") == 0
    after = await api.data(ME, token=moderator.token)

    assert signed_in["login"]["user"]["moderator"] is True
    assert others["users"] == [{"moderator": None}]
    assert after["me"] == {"id": moderator.id, "moderator": False}
    assert await api.refusal(REPORTS, token=moderator.token) == ONLY_MODERATORS


# -- resolveReport ---------------------------------------------------------------


async def test_dismiss_resolves_the_report_and_changes_nothing_else(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])

    resolved = await resolve(api, moderator, reported["id"], "DISMISS")

    assert (resolved["status"], resolved["action"]) == ("RESOLVED", "DISMISS")
    assert resolved["resolvedBy"] == {"id": moderator.id}
    assert resolved["resolvedAt"] is not None
    assert await open_reports(api, moderator) == []
    (message,) = await api.history(bob, channel)
    assert message == {**sent, "reactions": []}
    assert (await api.data(ME, token=alice.token))["me"]["id"] == alice.id


@pytest.mark.parametrize("action", ["DISMISS", "DELETE_MESSAGE", "SUSPEND_SENDER"])
async def test_a_moderator_cannot_act_on_a_report_of_their_own_message(
    api: Api, action: str
) -> None:
    alice, moderator = await api.register("alice"), await make_moderator(api)
    channel = await api.open_chat(moderator, alice)
    sent = await api.send(moderator, channel, SAD)
    reported = await report(api, alice, sent["id"])

    refusal = await api.refusal(
        RESOLVE, {"id": reported["id"], "action": action}, moderator.token
    )

    assert refusal == (
        "BAD_USER_INPUT",
        "You cannot act on a report of a message you sent.",
    )
    assert await open_reports(api, moderator) == [reported]
    assert await count(api, ModerationEntry) == 1  # ADD_MODERATOR only
    assert (await stored_message(api, sent["id"]))[0] == SAD
    assert (await api.data(ME, token=moderator.token))["me"]["moderator"] is True


async def test_a_resolved_report_cannot_be_resolved_again(api: Api) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])
    resolved = await resolve(api, moderator, reported["id"], "DISMISS")
    entries = await count(api, ModerationEntry)

    for action in ("DISMISS", "DELETE_MESSAGE", "SUSPEND_SENDER"):
        refusal = await api.refusal(
            RESOLVE, {"id": reported["id"], "action": action}, moderator.token
        )
        assert refusal == ("BAD_USER_INPUT", "This report is already resolved.")

    assert await count(api, ModerationEntry) == entries
    assert (await stored_message(api, sent["id"]))[0] == SAD
    assert (await api.data(ME, token=alice.token))["me"]["id"] == alice.id
    reports = "query { reports(status: RESOLVED) { id action resolvedAt } }"
    listed = (await api.data(reports, token=moderator.token))["reports"]
    assert listed == [
        {
            "id": reported["id"],
            "action": "DISMISS",
            "resolvedAt": resolved["resolvedAt"],
        }
    ]


async def test_two_moderators_resolving_at_once_act_once(api: Api) -> None:
    alice, bob, channel = await api.pair()
    first, second = await make_moderator(api), await make_moderator(api, "deputy")
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])

    results = await asyncio.gather(
        api.execute(
            RESOLVE, {"id": reported["id"], "action": "DELETE_MESSAGE"}, first.token
        ),
        api.execute(RESOLVE, {"id": reported["id"], "action": "DISMISS"}, second.token),
    )

    refused = [result for result in results if result.errors]
    assert len(refused) == 1
    assert refused[0].errors is not None
    assert refused[0].errors[0].message == "This report is already resolved."
    (done,) = [result.data for result in results if result.data is not None]
    action = done["resolveReport"]["action"]
    assert await count(api, ModerationEntry) == 3  # two ADD_MODERATOR, one action
    deleted = (await stored_message(api, sent["id"]))[0] == ""
    assert deleted == (action == "DELETE_MESSAGE")


async def test_a_report_after_a_resolved_one_is_a_new_report(api: Api) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    first = await report(api, bob, sent["id"])
    await resolve(api, moderator, first["id"], "DISMISS")

    again = await report(api, bob, sent["id"], "HATE")

    assert again["id"] != first["id"]
    assert (again["status"], again["reason"]) == ("OPEN", "HATE")
    assert [item["id"] for item in await open_reports(api, moderator)] == [again["id"]]


async def test_reports_page_by_status_and_cursor(api: Api) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    ids = []
    for n in range(3):
        sent = await api.send(alice, channel, f"message {n}")
        ids.append((await report(api, bob, sent["id"]))["id"])
    await resolve(api, moderator, ids[1], "DISMISS")
    page = """
    query($s: ReportStatus, $a: ID) { reports(status: $s, first: 1, after: $a) { id } }
    """

    async def listed(status: str, after: str | None) -> list[str]:
        data = await api.data(page, {"s": status, "a": after}, moderator.token)
        return [item["id"] for item in data["reports"]]

    assert await listed("OPEN", None) == [ids[0]]
    assert await listed("OPEN", ids[0]) == [ids[2]]
    assert await listed("OPEN", ids[2]) == []
    assert await listed("RESOLVED", None) == [ids[1]]
    code, _ = await api.refusal(page, {"s": "OPEN", "a": "x"}, moderator.token)
    assert code == "BAD_USER_INPUT"


async def test_delete_message_erases_it_exactly_as_its_sender_would(
    api: Api,
) -> None:
    """Two chats with the same messages: in one the sender deletes, in the
    other a moderator does; the rows, versions, moods and rollups agree."""
    alice, bob, reported_chat = await api.pair()
    carol, dave = await api.register("carol"), await api.register("dave")
    own_chat = await api.open_chat(carol, dave)
    moderator = await make_moderator(api)
    by_moderator = await api.send(alice, reported_chat, SAD)
    by_sender = await api.send(carol, own_chat, SAD)
    await api.send(alice, reported_chat, HAPPY)
    await api.send(carol, own_chat, HAPPY)
    reported = await report(api, bob, by_moderator["id"])

    async with api.subscribe(
        MESSAGE_CHANGES, {"channel": reported_chat}, bob.token
    ) as changes:
        await resolve(api, moderator, reported["id"], "DELETE_MESSAGE")
        live = await changes.message()
    await api.delete(carol, by_sender["id"])

    assert (live["id"], live["message"], live["sentiment"]) == (
        by_moderator["id"],
        "",
        None,
    )
    assert live["deletedAt"] is not None
    erased = await stored_message(api, by_moderator["id"])
    assert erased == await stored_message(api, by_sender["id"])
    assert erased[:7] == ("", None, None, None, None, None, 3)
    assert await mood_of(api, alice, reported_chat, by_moderator["id"]) == (
        await mood_of(api, carol, own_chat, by_sender["id"])
    )
    (evidence,) = (await api.data(REPORTS, {"status": "RESOLVED"}, moderator.token))[
        "reports"
    ]
    assert (evidence["text"], evidence["action"]) == (SAD, "DELETE_MESSAGE")


async def mood_of(api: Api, member: Account, channel: str, message_id: str) -> Any:
    """The chat's mood as its sender sees it, and its stored rollups."""
    query = """
    query($c: String!) {
      chats { lastVersion mood { score byUser { score messages } } }
      moodHistory(channel: $c, buckets: 1) { score byUser { score messages } }
    }"""
    data = await api.data(query, {"c": channel}, member.token)
    async with api.services.accounts._sessions() as session:
        chat_id = select(Message.chat_id).where(Message.id == int(message_id))
        blocks = await session.execute(
            select(
                MoodBlock.block,
                MoodBlock.low_messages + MoodBlock.high_messages,
                MoodBlock.low_scored + MoodBlock.high_scored,
                MoodBlock.low_total + MoodBlock.high_total,
            ).where(MoodBlock.chat_id == chat_id.scalar_subquery())
        )
        totals = [tuple(row) for row in blocks]
    return data, totals


async def test_delete_message_leaves_a_tombstone_as_it_is(api: Api) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])
    await api.delete(alice, sent["id"])
    before = await stored_message(api, sent["id"])

    resolved = await resolve(api, moderator, reported["id"], "DELETE_MESSAGE")

    assert resolved["action"] == "DELETE_MESSAGE"
    assert await stored_message(api, sent["id"]) == before
    chats = await api.data("{ chats { lastVersion } }", token=bob.token)
    assert chats["chats"] == [{"lastVersion": 2}]


async def test_the_audit_log_has_every_action_newest_first(api: Api) -> None:
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    await make_moderator(api, "deputy")
    reported = []
    for text in ("one", "two", "three"):
        sent = await api.send(alice, channel, text)
        reported.append((await report(api, bob, sent["id"]), sent["id"]))
    for (item, _), action in zip(
        reported, ("DISMISS", "DELETE_MESSAGE", "SUSPEND_SENDER"), strict=True
    ):
        await resolve(api, moderator, item["id"], action)
    assert await cli(api, "users", "unsuspend", "alice") == 0
    assert await cli(api, "moderators", "remove", "deputy") == 0

    log = (await api.data(LOG, token=moderator.token))["moderationLog"]

    by_moderator = {"id": moderator.id}
    deputy = (await api.data("{ users { id username } }", token=bob.token))["users"]
    (deputy_id,) = [user["id"] for user in deputy if user["username"] == "deputy"]
    assert [(e["action"], e["moderator"], e["target"]["id"]) for e in log] == [
        ("REMOVE_MODERATOR", None, deputy_id),
        ("UNSUSPEND", None, alice.id),
        ("SUSPEND_SENDER", by_moderator, alice.id),
        ("DELETE_MESSAGE", by_moderator, alice.id),
        ("DISMISS", by_moderator, alice.id),
        ("ADD_MODERATOR", None, deputy_id),
        ("ADD_MODERATOR", None, moderator.id),
    ]
    assert [(e["reportId"], e["messageId"]) for e in reversed(log[2:5])] == [
        (item["id"], message_id) for item, message_id in reported
    ]
    assert log[0]["reportId"] is log[0]["messageId"] is None
    older = await api.data(LOG, {"first": 2, "after": log[1]["id"]}, moderator.token)
    assert older["moderationLog"] == log[2:4]


# -- the operator's commands ------------------------------------------------------


async def test_the_commands_say_what_they_did(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    await api.register("Alice")

    outcomes = [
        await cli(api, "moderators", "add", "alice"),
        await cli(api, "moderators", "add", "ALICE"),
        await cli(api, "users", "unsuspend", "alice"),
        await cli(api, "moderators", "remove", "alice"),
    ]
    out = capsys.readouterr().out.splitlines()
    unknown = await cli(api, "moderators", "add", "nobody")
    err = capsys.readouterr().err

    assert outcomes == [0, 0, 0, 0]
    assert out == [
        "Alice is now a moderator.",
        "Alice is already a moderator; nothing changed.",
        "Alice is not suspended; nothing changed.",
        "Alice is no longer a moderator.",
    ]
    assert unknown == 1
    assert "No user is named 'nobody'." in err
    assert await count(api, ModerationEntry) == 2  # one per change


def test_a_command_needs_its_arguments() -> None:
    for argv in (["moderators"], ["moderators", "add"], ["users", "suspend", "x"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2


async def test_report_message_is_rate_limited(settings: Settings) -> None:
    async with fresh_api(settings, rate_report_message_per_user=Rate(2, 3600)) as api:
        alice, bob, channel = await api.pair()
        sent = await api.send(alice, channel, SAD)
        await report(api, bob, sent["id"])
        await report(api, bob, sent["id"])

        code, _ = await api.refusal(
            REPORT, {"id": sent["id"], "reason": "SPAM"}, bob.token
        )

    assert code == "RATE_LIMITED"
