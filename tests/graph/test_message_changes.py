"""Edit, delete and react: what each member sees, stored and live, and the
`messageChanges` feed that replays every change after a version."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from db.models import Message
from tests.support.api import MESSAGE_CHANGES, Account, Api

HAPPY = "I love this, it is wonderful!"
SAD = "This is terrible and I hate it."
CHAT_VERSION = "query { chats { channelName lastVersion lastSeq } }"


async def last_version(api: Api, member: Account, channel: str) -> int:
    chats = (await api.data(CHAT_VERSION, token=member.token))["chats"]
    (chat,) = [chat for chat in chats if chat["channelName"] == channel]
    version: int = chat["lastVersion"]
    return version


async def stored_row(api: Api, message_id: str) -> Any:
    async with api.services.accounts._sessions() as session:
        statement = select(
            Message.body,
            Message.polarity,
            Message.subjectivity,
            Message.label,
            Message.score,
            Message.confidence,
            Message.reasons,
            Message.reactions,
            Message.version,
        ).where(Message.id == int(message_id))
        return (await session.execute(statement)).one()


async def test_an_edit_changes_the_text_and_scores_it_again(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    assert sent["version"] == 1
    assert sent["editedAt"] is None

    edited = await api.edit(alice, sent["id"], SAD)

    assert edited["message"] == SAD
    assert edited["sentiment"]["label"] == "NEGATIVE"
    assert sent["sentiment"]["label"] == "POSITIVE"
    assert edited["editedAt"] is not None
    assert (edited["seq"], edited["createdAt"]) == (sent["seq"], sent["createdAt"])
    assert edited["version"] == 2 == await last_version(api, bob, channel)
    (seen,) = await api.history(bob, channel)
    assert seen == {**edited, "reactions": []}


async def test_an_edit_to_the_same_text_changes_nothing(api: Api) -> None:
    alice, _, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)

    again = await api.edit(alice, sent["id"], HAPPY)

    assert again == sent
    assert await last_version(api, alice, channel) == 1


async def test_only_the_sender_edits_or_deletes_and_strangers_learn_nothing(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    carol = await api.register("carol")
    sent = await api.send(alice, channel, HAPPY)
    edit = 'mutation($id: ID!) { editMessage(id: $id, message: "mine now") { id } }'
    delete = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
    react = 'mutation($id: ID!) { react(id: $id, emoji: "👍") { id } }'

    for query in (edit, delete):
        code, message = await api.refusal(query, {"id": sent["id"]}, bob.token)
        assert code == "FORBIDDEN"
        assert "Only its sender" in message
    for query in (edit, delete, react):
        stranger = await api.refusal(query, {"id": sent["id"]}, carol.token)
        missing = await api.refusal(query, {"id": "987654321"}, carol.token)
        assert stranger == missing == ("NOT_FOUND", "No such message.")
        code, _ = await api.refusal(query, {"id": "not-an-id"}, alice.token)
        assert code == "BAD_USER_INPUT"

    (unchanged,) = await api.history(alice, channel)
    assert unchanged == sent
    assert await last_version(api, alice, channel) == 1


async def test_an_edit_is_bounded_like_a_send(api: Api) -> None:
    alice, _, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    edit = (
        "mutation($id: ID!, $m: String!) { editMessage(id: $id, message: $m) { id } }"
    )
    too_long = "x" * (api.settings.message_max_chars + 1)

    for text in ("", "   ", too_long, "nul\x00"):
        code, _ = await api.refusal(edit, {"id": sent["id"], "m": text}, alice.token)
        assert code == "BAD_USER_INPUT", text

    (unchanged,) = await api.history(alice, channel)
    assert unchanged == sent


async def test_a_deleted_message_is_a_tombstone_with_its_text_erased(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    first = await api.send(alice, channel, SAD)
    second = await api.send(bob, channel, HAPPY)
    await api.react(bob, first["id"], "👍")

    deleted = await api.delete(alice, first["id"])

    assert deleted["message"] == ""
    assert deleted["sentiment"] is None
    assert deleted["deletedAt"] is not None
    assert deleted["reactions"] == []
    assert deleted["seq"] == 1
    assert deleted["version"] == 4
    history = await api.history(bob, channel)
    assert [m["seq"] for m in history] == [1, 2]
    assert history == [deleted, second]
    row = await stored_row(api, first["id"])
    assert row.body == ""
    assert row.reactions is None
    assert (row.polarity, row.subjectivity, row.label, row.score) == (None,) * 4
    assert (row.confidence, row.reasons) == (None, None)


async def test_deleting_twice_is_not_an_error_and_a_tombstone_stays_one(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    deleted = await api.delete(alice, sent["id"])

    assert await api.delete(alice, sent["id"]) == deleted
    edit = 'mutation($id: ID!) { editMessage(id: $id, message: "back") { id } }'
    react = 'mutation($id: ID!) { react(id: $id, emoji: "👍") { id } }'
    for query, member in ((edit, alice), (react, bob)):
        code, message = await api.refusal(query, {"id": sent["id"]}, member.token)
        assert (code, message) == ("BAD_USER_INPUT", "This message was deleted.")
    assert await last_version(api, alice, channel) == 2


async def test_reactions_count_each_member_once_per_emoji(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)

    await api.react(alice, sent["id"], "👍")
    await api.react(bob, sent["id"], "👍")
    await api.react(bob, sent["id"], "👍")  # again: no change
    # The same heart written two ways is one emoji.
    await api.react(bob, sent["id"], "❤")
    both = await api.react(alice, sent["id"], "❤️")

    assert both["reactions"] == [
        {"emoji": "👍", "count": 2, "mine": True},
        {"emoji": "❤️", "count": 2, "mine": True},
    ]
    assert both["version"] == 5
    off = await api.react(alice, sent["id"], "👍", on=False)
    assert off["reactions"] == [
        {"emoji": "👍", "count": 1, "mine": False},
        {"emoji": "❤️", "count": 2, "mine": True},
    ]
    (as_bob,) = await api.history(bob, channel)
    assert as_bob["reactions"] == [
        {"emoji": "👍", "count": 1, "mine": True},
        {"emoji": "❤️", "count": 2, "mine": True},
    ]
    # Taking off what is not on changes nothing.
    assert (await api.react(alice, sent["id"], "🎉", on=False))["version"] == 6


async def test_a_reaction_is_one_emoji_and_a_message_takes_twenty(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    react = "mutation($id: ID!, $e: String!) { react(id: $id, emoji: $e) { id } }"

    for emoji in ("", "a", "👍👍", "👍 ", ":+1:", "\u200d", "x" * 100):
        code, _ = await api.refusal(react, {"id": sent["id"], "e": emoji}, bob.token)
        assert code == "BAD_USER_INPUT", emoji
    for emoji in ("👍🏽", "👨‍👩‍👧", "🇫🇷", "#️⃣", "🏳️‍🌈"):
        await api.react(bob, sent["id"], emoji)

    twenty = [chr(0x1F600 + i) for i in range(15)]
    for emoji in twenty:
        await api.react(alice, sent["id"], emoji)
    code, message = await api.refusal(react, {"id": sent["id"], "e": "🍕"}, bob.token)
    assert code == "BAD_USER_INPUT"
    assert "at most 20" in message
    # One already there may still be added by the other member.
    full = await api.react(bob, sent["id"], twenty[0])
    assert len(full["reactions"]) == 20
    assert full["reactions"][5] == {"emoji": twenty[0], "count": 2, "mine": True}


async def test_concurrent_reactions_from_both_members_all_count(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    emoji = [chr(0x1F600 + i) for i in range(10)]

    await asyncio.gather(
        *(api.react(member, sent["id"], e) for e in emoji for member in (alice, bob))
    )

    (seen,) = await api.history(alice, channel)
    assert sorted(r["emoji"] for r in seen["reactions"]) == sorted(emoji)
    assert {(r["count"], r["mine"]) for r in seen["reactions"]} == {(2, True)}
    assert seen["version"] == 21 == await last_version(api, bob, channel)


async def test_every_change_reaches_the_other_member_live_once(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    subscription = api.subscribe(MESSAGE_CHANGES, {"channel": channel}, bob.token)
    async with subscription as changes:
        edited = await api.edit(alice, sent["id"], SAD)
        reacted = await api.react(bob, sent["id"], "👍")
        # A send is not a change: newMessage delivers it; it takes a version.
        later = await api.send(bob, channel, "and another")
        deleted = await api.delete(alice, sent["id"])
        edited_later = await api.edit(bob, later["id"], "and another one")

        seen = await changes.messages(4)
        assert later["version"] == 4
        assert [m["version"] for m in seen] == [2, 3, 5, 6]
        mine = {**reacted, "reactions": [{"emoji": "👍", "count": 1, "mine": True}]}
        assert seen == [{**edited, "reactions": []}, mine, deleted, edited_later]
        edit = 'mutation($id: ID!) { editMessage(id: $id, message: "x") { id } }'
        await api.refusal(edit, {"id": later["id"]}, alice.token)  # not hers
        assert changes.pending() == 0
    # Each change named the one before it, so the send between two of them
    # was never taken for a gap: nothing was read from the database.
    stats = api.services.bus.stats
    assert (stats.delivered_live, stats.caught_up) == (4, 0)


async def test_after_version_replays_the_final_state_of_each_changed_message(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    sent = [await api.send(alice, channel, f"message {i}") for i in range(5)]
    held = await last_version(api, bob, channel)
    await api.edit(alice, sent[1]["id"], "first edit")
    await api.react(bob, sent[3]["id"], "👍")
    await api.edit(alice, sent[1]["id"], "second edit")
    await api.delete(alice, sent[4]["id"])
    await api.react(bob, sent[3]["id"], "🎉")

    variables = {"channel": channel, "afterVersion": held}
    async with api.subscribe(MESSAGE_CHANGES, variables, bob.token) as changes:
        replayed = await changes.messages(3)
        assert changes.pending() == 0

    assert [m["id"] for m in replayed] == [sent[1]["id"], sent[4]["id"], sent[3]["id"]]
    assert [m["version"] for m in replayed] == [8, 9, 10]
    assert replayed == [
        *(m for m in await api.history(bob, channel) if m["seq"] in (2, 5)),
        next(m for m in await api.history(bob, channel) if m["seq"] == 4),
    ]
    assert replayed[0]["message"] == "second edit"
    assert replayed[1]["deletedAt"] is not None
    assert [r["emoji"] for r in replayed[2]["reactions"]] == ["👍", "🎉"]


async def test_message_changes_is_for_members_and_a_known_version(api: Api) -> None:
    alice, bob, channel = await api.pair()
    carol = await api.register("carol")
    await api.send(alice, channel, HAPPY)

    refusals = []
    for variables, token in (
        ({"channel": channel}, carol.token),
        ({"channel": channel, "afterVersion": 2}, bob.token),
        ({"channel": channel, "afterVersion": -1}, bob.token),
    ):
        async with api.subscribe(MESSAGE_CHANGES, variables, token) as refused:
            result = await refused.next()
            assert result.errors is not None
            refusals.append((result.errors[0].extensions or {})["code"])
    assert refusals == ["FORBIDDEN", "BAD_USER_INPUT", "BAD_USER_INPUT"]


async def test_a_change_missed_live_is_filled_from_the_database(api: Api) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)
    bus = api.services.bus
    async with api.subscribe(MESSAGE_CHANGES, {"channel": channel}, bob.token) as live:
        publish = bus.publish_change

        async def lost(message: Any) -> bool:
            return False  # as if Redis refused it

        bus.publish_change = lost  # type: ignore[method-assign]
        try:
            await api.edit(alice, sent["id"], "missed")
        finally:
            bus.publish_change = publish  # type: ignore[method-assign]
        await api.send(bob, channel, "hello")
        other = await api.send(bob, channel, "and again")
        reacted = await api.react(alice, other["id"], "👍")

        # Version 2 never came live; the send at 3 skipped ahead, so the
        # stream read the database from 1: the edit, and nothing else changed
        # up to then. The sends at 3 and 4 only moved it on.
        edited = await live.message()
        assert (edited["id"], edited["message"], edited["version"]) == (
            sent["id"],
            "missed",
            2,
        )
        assert await live.message() == {
            **reacted,
            "reactions": [{"emoji": "👍", "count": 1, "mine": False}],
        }
        assert live.pending() == 0
