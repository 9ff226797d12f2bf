"""With PUSHER_* set, every commit also reaches Pusher, off the request path.

Runs on both backends against the local fake Pusher, which verifies each
request's signature; the events checked are the ones it accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from graph.platform.settings import Settings
from graph.services import open_services
from tests.graph.test_messages import HAPPY, NEUTRAL, SAD
from tests.support.api import Api
from tests.support.fake_pusher import Event, FakePusher
from tests.support.services import empty_tables
from tests.support.waiting import wait_until


@pytest.fixture
async def api(settings: Settings, fake_pusher: FakePusher) -> AsyncIterator[Api]:
    """The API with Pusher on, retrying quickly."""
    await empty_tables(settings.database_url)
    quick = {"pusher_retry_base_seconds": 0.01, "pusher_retry_max_seconds": 0.05}
    with_pusher = settings.model_copy(update={**fake_pusher.settings(), **quick})
    async with open_services(with_pusher) as services:
        yield Api(services, with_pusher)


def pusher_payload(sent: dict[str, Any]) -> dict[str, Any]:
    """What Pusher should carry for a message `sendMessage` answered."""
    return {
        "id": sent["id"],
        "seq": sent["seq"],
        "channel": sent["channel"],
        "from_user": sent["fromUser"]["id"],
        "to_user": sent["toUser"]["id"],
        "from_username": sent["fromUser"]["username"],
        "to_username": sent["toUser"]["username"],
        "message": sent["message"],
        "client_id": sent["clientId"],
        "created_at": sent["createdAt"],
        "version": sent["version"],
        "edited_at": sent["editedAt"],
        "deleted_at": sent["deletedAt"],
        "reactions": [
            {"emoji": r["emoji"], "count": r["count"]} for r in sent["reactions"]
        ],
        "sentiment": sent["sentiment"],
    }


async def messages_on(fake: FakePusher, channel: str, count: int) -> list[Event]:
    await fake.wait_for(lambda: len(fake.on(channel)) >= count)
    return fake.on(channel)


async def test_requesting_a_chat_notifies_the_invitee_on_pusher(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob = await api.register("alice"), await api.register("bob")

    channel = await api.open_chat(alice, bob)

    notification = f"private-notification_user_{bob.id}"
    (event,) = await messages_on(fake_pusher, notification, 1)
    assert event.name == "new_chat"
    assert event.data == {
        "channel_name": channel,
        "from_user": alice.id,
        "to_user": bob.id,
        "from_username": "alice",
        "to_username": "bob",
        "from_user_notification_channel": f"private-notification_user_{alice.id}",
        "to_user_notification_channel": notification,
        "last_seq": 0,
    }


async def test_each_message_reaches_its_chat_channel_with_its_sentiment(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()

    sent = [
        await api.send(alice, channel, HAPPY, client_id="c-1"),
        await api.send(bob, channel, NEUTRAL),
        await api.send(alice, channel, SAD),
    ]

    events = await messages_on(fake_pusher, channel, 3)
    assert [event.name for event in events] == ["new_message"] * 3
    assert [event.data for event in events] == [pusher_payload(m) for m in sent]
    labels = [
        (e.data["sentiment"]["label"], e.data["sentiment"]["emoji"]) for e in events
    ]
    assert labels == [
        ("POSITIVE", "\U0001f600"),
        ("NEUTRAL", "\U0001f610"),
        ("NEGATIVE", "\U0001f61f"),
    ]


async def test_edits_deletions_and_reactions_reach_pusher_as_message_changed(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(alice, channel, HAPPY)

    edited = await api.edit(alice, sent["id"], SAD)
    reacted = await api.react(bob, sent["id"], "👍")
    deleted = await api.delete(alice, sent["id"])

    events = await messages_on(fake_pusher, channel, 4)
    assert [event.name for event in events] == ["new_message"] + ["message_changed"] * 3
    assert [event.data["version"] for event in events] == [1, 2, 3, 4]
    assert events[1].data == pusher_payload(edited)
    assert events[1].data["sentiment"]["label"] == "NEGATIVE"
    assert events[2].data == {
        **pusher_payload(reacted),
        "reactions": [{"emoji": "👍", "count": 1, "users": [bob.id]}],
    }
    assert events[3].data == pusher_payload(deleted)
    assert events[3].data["message"] == ""
    assert events[3].data["sentiment"] is None
    assert events[3].data["deleted_at"] is not None


async def test_a_chats_messages_reach_pusher_in_seq_order(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()

    for number in range(30):
        sender = alice if number % 2 else bob
        await api.send(sender, channel, f"message {number}")

    events = await messages_on(fake_pusher, channel, 30)
    assert [event.data["seq"] for event in events] == list(range(1, 31))


async def test_concurrent_sends_reach_pusher_in_seq_order(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()

    sent = await asyncio.gather(
        *(api.send(alice if n % 2 else bob, channel, f"race {n}") for n in range(60))
    )

    events = await messages_on(fake_pusher, channel, 60)
    assert [event.data["seq"] for event in events] == list(range(1, 61))
    assert sorted(m["seq"] for m in sent) == list(range(1, 61))


async def test_a_resent_client_id_reaches_pusher_once(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, _, channel = await api.pair()

    await api.send(alice, channel, HAPPY, client_id="retry-me")
    await api.send(alice, channel, HAPPY, client_id="retry-me")
    await api.send(alice, channel, NEUTRAL)

    events = await messages_on(fake_pusher, channel, 2)
    assert [(e.data["seq"], e.data["client_id"]) for e in events] == [
        (1, "retry-me"),
        (2, None),
    ]


async def test_a_message_over_pushers_size_limit_goes_as_a_reference(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, _, channel = await api.pair()
    text = "\U0001f600" * 3000  # 12,000 bytes of UTF-8

    sent = await api.send(alice, channel, text, client_id="big")

    (event,) = await messages_on(fake_pusher, channel, 1)
    expected = pusher_payload(sent)
    del expected["message"], expected["client_id"]
    assert event.data == {**expected, "message_omitted": True}
    assert api.services.pusher is not None
    assert api.services.pusher.stats.compacted == 1
    (stored,) = await api.history(alice, channel)
    assert stored["message"] == text


async def test_sending_never_waits_for_pusher(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()
    await messages_on(fake_pusher, f"private-notification_user_{bob.id}", 1)

    with fake_pusher.holding():
        sent = [await api.send(alice, channel, "while held 0")]
        await fake_pusher.wait_for(lambda: fake_pusher.in_flight >= 1)
        sent += [await api.send(alice, channel, f"while held {n}") for n in (1, 2, 3)]
        # Every send was answered while Pusher held its request unanswered.
        assert fake_pusher.in_flight >= 1
        assert fake_pusher.on(channel) == []

    events = await messages_on(fake_pusher, channel, 4)
    assert [event.data["id"] for event in events] == [m["id"] for m in sent]


async def test_sending_succeeds_while_pusher_is_down(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()
    await messages_on(fake_pusher, f"private-notification_user_{bob.id}", 1)
    await fake_pusher.stop()

    sent = await api.send(alice, channel, HAPPY)

    pusher = api.services.pusher
    assert pusher is not None
    await wait_until(lambda: pusher.stats.dropped["gave_up"] == 1)
    assert [m["id"] for m in await api.history(bob, channel)] == [sent["id"]]


async def test_a_sender_who_keeps_sentiment_private_sends_none_to_pusher(
    api: Api, fake_pusher: FakePusher
) -> None:
    alice, bob, channel = await api.pair()
    share = "mutation($s: Boolean!) { setShareSentiment(share: $s) { id } }"
    await api.data(share, {"s": False}, alice.token)

    private = await api.send(alice, channel, HAPPY)
    edited = await api.edit(alice, private["id"], SAD)
    shared = await api.send(bob, channel, SAD)

    events = await messages_on(fake_pusher, channel, 3)
    assert private["sentiment"] is not None, "alice's own answer keeps it"
    assert events[0].data == {**pusher_payload(private), "sentiment": None}
    assert events[1].name == "message_changed"
    assert events[1].data == {**pusher_payload(edited), "sentiment": None}
    assert events[2].data == pusher_payload(shared)
    assert events[2].data["sentiment"]["label"] == "NEGATIVE"
