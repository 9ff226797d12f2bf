from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from db.models import Message
from tests.support.api import HISTORY, SEND, Api, message_count

HAPPY = "I love this, it is wonderful!"
NEUTRAL = "The meeting is at noon."
SAD = "This is terrible and sad."


async def test_a_sent_message_comes_back_with_seq_members_and_sentiment(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()

    sent = await api.send(alice, channel, HAPPY, client_id="c-1")

    assert sent["seq"] == 1
    assert sent["channel"] == channel
    assert sent["message"] == HAPPY
    assert sent["clientId"] == "c-1"
    assert sent["fromUser"] == {"id": alice.id, "username": "alice"}
    assert sent["toUser"] == {"id": bob.id, "username": "bob"}
    sentiment = sent["sentiment"]
    # TextBlob's scores, as before the analyzer; the label is the analyzer's.
    assert (sentiment["polarity"], sentiment["subjectivity"]) == (0.75, 0.8)
    assert (sentiment["label"], sentiment["emoji"]) == ("POSITIVE", "\U0001f600")
    assert 0.5 < sentiment["score"] <= 1
    assert 0.5 < sentiment["confidence"] <= 1
    assert sentiment["analyzer"].startswith("sentichat-")
    words = {reason["text"]: reason["weight"] for reason in sentiment["reasons"]}
    assert words["love"] > 0


@pytest.mark.parametrize(
    ("text", "label", "emoji"),
    [
        (HAPPY, "POSITIVE", "\U0001f600"),
        (NEUTRAL, "NEUTRAL", "\U0001f610"),
        (SAD, "NEGATIVE", "\U0001f61f"),
    ],
)
async def test_each_mood_gets_its_label_and_emoji(
    api: Api, text: str, label: str, emoji: str
) -> None:
    alice, _, channel = await api.pair()

    sentiment = (await api.send(alice, channel, text))["sentiment"]

    assert (sentiment["label"], sentiment["emoji"]) == (label, emoji)


async def test_the_sender_is_the_token_user_whichever_member_sends(api: Api) -> None:
    alice, bob, channel = await api.pair()

    from_alice = await api.send(alice, channel, "hi bob")
    from_bob = await api.send(bob, channel, "hi alice")

    assert (from_alice["fromUser"]["id"], from_alice["toUser"]["id"]) == (
        alice.id,
        bob.id,
    )
    assert (from_bob["fromUser"]["id"], from_bob["toUser"]["id"]) == (bob.id, alice.id)


async def test_a_non_member_cannot_send_read_or_learn_of_a_chat(api: Api) -> None:
    _, _, channel = await api.pair()
    mallory = await api.register("mallory")
    missing = "private-chat_1_2000"  # mallory is not in it, and it does not exist

    refusals = [
        await api.refusal(SEND, {"channel": channel, "message": "hi"}, mallory.token),
        await api.refusal(HISTORY, {"channel": channel}, mallory.token),
        await api.refusal(SEND, {"channel": missing, "message": "hi"}, mallory.token),
        await api.refusal(HISTORY, {"channel": missing}, mallory.token),
    ]

    assert {code for code, _ in refusals} == {"FORBIDDEN"}
    assert await message_count(api) == 0


async def test_a_member_of_a_chat_not_yet_requested_gets_not_found(api: Api) -> None:
    alice, bob = await api.register("alice"), await api.register("bob")
    channel = f"private-chat_{alice.id}_{bob.id}"

    code, _ = await api.refusal(
        SEND, {"channel": channel, "message": "hi"}, alice.token
    )

    assert code == "NOT_FOUND"


@pytest.mark.parametrize(
    "channel",
    [
        "",
        "general",
        "private-chat_2_1",
        "private-chat_01_2",
        "private-chat_1_1",
        "private-chat_1_2_3",
        "private-chat_1_" + "9" * 30,
        "presence-chat_1_2",
    ],
)
async def test_a_malformed_channel_is_bad_input(api: Api, channel: str) -> None:
    alice, _, _ = await api.pair()

    send = await api.refusal(SEND, {"channel": channel, "message": "hi"}, alice.token)
    read = await api.refusal(HISTORY, {"channel": channel}, alice.token)

    assert send[0] == read[0] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "text", ["", " ", "\n\t  ", "\u3000", "x" * 4001, "nul \x00 inside", "lone \ud800"]
)
async def test_an_empty_or_too_long_message_is_refused_and_not_stored(
    api: Api, text: str
) -> None:
    alice, _, channel = await api.pair()

    code, _ = await api.refusal(
        SEND, {"channel": channel, "message": text}, alice.token
    )

    assert code == "BAD_USER_INPUT"
    assert await message_count(api) == 0


async def test_text_is_stored_exactly_as_sent(api: Api) -> None:
    alice, bob, channel = await api.pair()
    texts = [
        "x" * 4000,
        "  padded  ",
        "emoji \U0001f600 and \u00e9\u0301",
        "<b>&amp;</b>",
    ]

    for text in texts:
        await api.send(alice, channel, text)

    assert [m["message"] for m in await api.history(bob, channel)] == texts


@pytest.mark.parametrize("client_id", ["", "x" * 65, "has space", "caf\u00e9"])
async def test_a_malformed_client_id_is_refused(api: Api, client_id: str) -> None:
    alice, _, channel = await api.pair()
    variables = {"channel": channel, "message": "hi", "clientId": client_id}

    code, _ = await api.refusal(SEND, variables, alice.token)

    assert code == "BAD_USER_INPUT"
    assert await message_count(api) == 0


async def test_a_repeated_client_id_returns_the_original_message(api: Api) -> None:
    alice, _, channel = await api.pair()

    first = await api.send(alice, channel, "once", client_id="retry-me")
    again = await api.send(alice, channel, "once", client_id="retry-me")

    assert again == first
    assert await message_count(api) == 1


async def test_concurrent_repeats_of_a_client_id_make_one_message(api: Api) -> None:
    alice, _, channel = await api.pair()

    sent = await asyncio.gather(
        *(api.send(alice, channel, "once", client_id="burst") for _ in range(10))
    )

    assert len({message["id"] for message in sent}) == 1
    assert await message_count(api) == 1


async def test_a_client_id_reused_for_other_text_is_refused(api: Api) -> None:
    alice, _, channel = await api.pair()
    await api.send(alice, channel, "first", client_id="k")

    code, message = await api.refusal(
        SEND, {"channel": channel, "message": "second", "clientId": "k"}, alice.token
    )

    assert code == "BAD_USER_INPUT"
    assert "clientId" in message
    assert await message_count(api) == 1


async def test_client_ids_belong_to_their_sender(api: Api) -> None:
    alice, bob, channel = await api.pair()

    mine = await api.send(alice, channel, "same words", client_id="shared")
    theirs = await api.send(bob, channel, "same words", client_id="shared")

    assert mine["id"] != theirs["id"]
    assert await message_count(api) == 2


async def test_twenty_concurrent_senders_get_seq_one_to_twenty(api: Api) -> None:
    alice, bob, channel = await api.pair()
    senders = [alice, bob] * 10

    sent = await asyncio.gather(
        *(api.send(who, channel, f"message {n}") for n, who in enumerate(senders))
    )

    assert sorted(message["seq"] for message in sent) == list(range(1, 21))
    history = await api.history(alice, channel, last=200)
    assert [message["seq"] for message in history] == list(range(1, 21))


async def test_history_takes_the_newest_inside_exclusive_bounds_oldest_first(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    for n in range(1, 11):
        await api.send(alice, channel, f"m{n}")

    def seqs(messages: list[dict[str, object]]) -> list[object]:
        return [message["seq"] for message in messages]

    assert seqs(await api.history(bob, channel)) == list(range(1, 11))
    assert seqs(await api.history(bob, channel, last=3)) == [8, 9, 10]
    assert seqs(await api.history(bob, channel, after=7)) == [8, 9, 10]
    assert seqs(await api.history(bob, channel, before=4)) == [1, 2, 3]
    assert seqs(await api.history(bob, channel, after=2, before=9, last=3)) == [6, 7, 8]
    assert seqs(await api.history(bob, channel, after=10)) == []
    assert seqs(await api.history(bob, channel, last=None)) == list(range(1, 11))


@pytest.mark.parametrize(
    "bounds", [{"last": 0}, {"last": 201}, {"last": -1}, {"after": -1}, {"before": -5}]
)
async def test_history_refuses_bounds_out_of_range(
    api: Api, bounds: dict[str, int]
) -> None:
    alice, _, channel = await api.pair()

    code, _ = await api.refusal(HISTORY, {"channel": channel, **bounds}, alice.token)

    assert code == "BAD_USER_INPUT"


async def test_sentiment_is_read_from_storage_not_recomputed(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, SAD)
    async with api.services.accounts._sessions.begin() as session:
        await session.execute(
            update(Message).values(
                polarity=0.9,
                subjectivity=0.1,
                label="POSITIVE",
                score=0.42,
                confidence=0.61,
                reasons='[["stored", 1.5]]',
                analyzer="sentichat-test",
            )
        )

    sentiment = (await api.history(bob, channel))[0]["sentiment"]

    assert sentiment == {
        "polarity": 0.9,
        "subjectivity": 0.1,
        "label": "POSITIVE",
        "emoji": "\U0001f600",
        "score": 0.42,
        "confidence": 0.61,
        "reasons": [{"text": "stored", "weight": 1.5}],
        "analyzer": "sentichat-test",
    }


async def test_sending_needs_a_token(api: Api) -> None:
    _, _, channel = await api.pair()

    code, _ = await api.refusal(SEND, {"channel": channel, "message": "hi"})

    assert code == "UNAUTHENTICATED"
    assert await message_count(api) == 0
