"""A chat's mood: kept up to date by sends, edits and deletions, its history
in runs, `MoodChanged`, and what a member who keeps their sentiment private
hides from the other, on every path."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from db.models import MOOD_BLOCK, Chat, Message, MoodBlock
from graph.domain.mood import DECAY, FAST_DECAY, LABEL_AT
from graph.domain.sentiment import LEGACY_ANALYZER
from graph.services.sentiment import rescore
from tests.support.api import MESSAGE_CHANGES, NEW_MESSAGE, Account, Api

HAPPY = "I love this, it is wonderful!"
KIND = "Thank you so much, that is lovely."
SAD = "This is terrible and I hate it."
HARSH = "Awful. I hate everything about this, it is stupid."
FLAT = "The meeting is at noon."

USER_MOOD = "user { id } score messages"
MOOD = f"mood {{ score label emoji trend byUser {{ {USER_MOOD} }} }}"
CHATS = f"query {{ chats {{ channelName lastSeq {MOOD} }} }}"
HISTORY = f"""
query Mood($channel: String!, $buckets: Int) {{
  moodHistory(channel: $channel, buckets: $buckets) {{
    fromSeq toSeq startedAt score byUser {{ {USER_MOOD} }}
  }}
}}"""
ACTIVITY = f"""
subscription Activity($channel: String!) {{
  chatActivity(channel: $channel) {{
    __typename
    ... on MoodChanged {{ channel {MOOD} }}
  }}
}}"""
SHARE = """
mutation Share($share: Boolean!) {
  setShareSentiment(share: $share) { id username shareSentiment }
}"""


async def mood_of(api: Api, viewer: Account, channel: str) -> dict[str, Any]:
    chats = (await api.data(CHATS, token=viewer.token))["chats"]
    (chat,) = [chat for chat in chats if chat["channelName"] == channel]
    mood: dict[str, Any] = chat["mood"]
    return mood


async def mood_history(
    api: Api, viewer: Account, channel: str, buckets: int | None = None
) -> list[dict[str, Any]]:
    variables: dict[str, Any] = {"channel": channel}
    if buckets is not None:
        variables["buckets"] = buckets
    points: list[dict[str, Any]] = (await api.data(HISTORY, variables, viewer.token))[
        "moodHistory"
    ]
    return points


def weighted(scored: list[tuple[int, float]], last_seq: int, decay: float) -> float:
    """The recency-weighted mean the README documents, from scratch."""
    weights = [decay ** (last_seq - seq) for seq, _ in scored]
    if not weights:
        return 0.0
    return sum(w * s for w, (_, s) in zip(weights, scored, strict=True)) / sum(weights)


def expected_mood(
    messages: list[dict[str, Any]], last_seq: int, members: list[str]
) -> dict[str, Any]:
    """The mood of `messages` (as their senders see them: with scores) for
    the viewer `members[0]`, counting the scores of `members` only."""
    scored = [
        (m["seq"], m["sentiment"]["score"])
        for m in messages
        if m["sentiment"] is not None and m["fromUser"]["id"] in members
    ]
    score = weighted(scored, last_seq, DECAY)
    trend = weighted(scored, last_seq, FAST_DECAY) - score if scored else 0.0
    return {"score": score, "trend": trend}


def label_of(score: float) -> str:
    if score >= LABEL_AT:
        return "POSITIVE"
    if score <= -LABEL_AT:
        return "NEGATIVE"
    return "NEUTRAL"


async def sent_as_seen_by_senders(
    api: Api, alice: Account, bob: Account, channel: str
) -> list[dict[str, Any]]:
    """The chat's messages with every score: each sender sees their own."""
    mine = await api.history(alice, channel, last=200)
    theirs = await api.history(bob, channel, last=200)
    return [
        a if a["fromUser"]["id"] == alice.id else b
        for a, b in zip(mine, theirs, strict=True)
    ]


async def test_a_new_chat_has_a_neutral_mood_with_nothing_said(api: Api) -> None:
    alice, bob, channel = await api.pair()

    mood = await mood_of(api, alice, channel)

    assert mood == {
        "score": 0.0,
        "label": "NEUTRAL",
        "emoji": "\U0001f610",
        "trend": 0.0,
        "byUser": [
            {"user": {"id": alice.id}, "score": 0.0, "messages": 0},
            {"user": {"id": bob.id}, "score": 0.0, "messages": 0},
        ],
    }
    assert await mood_history(api, alice, channel) == []


async def test_the_mood_follows_the_conversation_newest_first(api: Api) -> None:
    alice, bob, channel = await api.pair()
    for text in (HAPPY, KIND, HAPPY):
        await api.send(alice, channel, text)
    await api.send(bob, channel, KIND)

    warm = await mood_of(api, bob, channel)
    assert warm["label"] == "POSITIVE"
    assert warm["emoji"] == "\U0001f600"
    assert [part["user"]["id"] for part in warm["byUser"]] == [bob.id, alice.id]
    assert [part["messages"] for part in warm["byUser"]] == [1, 3]

    for text in (SAD, HARSH, SAD):
        await api.send(bob, channel, text)
    cooling = await mood_of(api, bob, channel)
    assert cooling["score"] < warm["score"]
    assert cooling["trend"] < 0, "the last few are colder than the rest"

    for text in (HARSH, SAD, HARSH, SAD, HARSH, SAD):
        await api.send(alice, channel, text)
    cold = await mood_of(api, alice, channel)
    assert cold["label"] == "NEGATIVE"
    assert cold["score"] < cooling["score"]

    messages = await sent_as_seen_by_senders(api, alice, bob, channel)
    expected = expected_mood(messages, len(messages), [alice.id, bob.id])
    assert cold["score"] == pytest.approx(expected["score"], abs=1e-9)
    assert cold["trend"] == pytest.approx(expected["trend"], abs=1e-9)
    alice_part = expected_mood(messages, len(messages), [alice.id])
    assert cold["byUser"][0]["score"] == pytest.approx(alice_part["score"], abs=1e-9)
    assert cold["byUser"][0]["messages"] == 9


async def test_an_edit_or_a_deletion_moves_the_mood_as_if_it_had_been_so(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    first = await api.send(alice, channel, HARSH)
    for text in (FLAT, KIND, FLAT):
        await api.send(bob, channel, text)
    second = await api.send(alice, channel, SAD)
    await api.send(bob, channel, HAPPY)
    before = await mood_of(api, alice, channel)

    await api.edit(alice, first["id"], HAPPY)
    await api.delete(alice, second["id"])
    after = await mood_of(api, alice, channel)

    assert after["score"] > before["score"]
    messages = await sent_as_seen_by_senders(api, alice, bob, channel)
    assert messages[4]["sentiment"] is None  # the deleted one counts for nothing
    expected = expected_mood(messages, len(messages), [alice.id, bob.id])
    assert after["score"] == pytest.approx(expected["score"], abs=1e-9)
    assert after["trend"] == pytest.approx(expected["trend"], abs=1e-9)
    assert after["byUser"][0]["messages"] == 2, "a deleted message was written"


async def test_mood_history_splits_the_chat_into_equal_runs_that_cover_it(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    texts = [HAPPY, SAD, FLAT, KIND, HARSH]
    # 150 messages: two whole 64-message rollups and a partial one.
    for index in range(150):
        sender = alice if index % 3 else bob
        await api.send(sender, channel, texts[index % len(texts)])
    doomed = (await api.history(alice, channel, last=1, before=70))[0]
    if doomed["fromUser"]["id"] == alice.id:
        await api.delete(alice, doomed["id"])
    else:
        await api.delete(bob, doomed["id"])
    messages = await sent_as_seen_by_senders(api, alice, bob, channel)
    assert len(messages) == 150

    # 2 and 3 runs start inside blocks once each (read as the block less
    # its shorter side); 7 and more start several times in a block.
    for buckets in (1, 2, 3, 7, 30, 64, 100):
        points = await mood_history(api, alice, channel, buckets)
        assert len(points) == min(buckets, 150)
        assert points[0]["fromSeq"] == 1
        assert points[-1]["toSeq"] == 150
        for earlier, later in itertools.pairwise(points):
            assert later["fromSeq"] == earlier["toSeq"] + 1
        lengths = {p["toSeq"] - p["fromSeq"] + 1 for p in points}
        assert max(lengths) - min(lengths) <= 1
        for point in points:
            run = messages[point["fromSeq"] - 1 : point["toSeq"]]
            scores = [m["sentiment"]["score"] for m in run if m["sentiment"]]
            assert point["score"] == pytest.approx(sum(scores) / len(scores), abs=1e-9)
            assert point["startedAt"] == run[0]["createdAt"]
            counts = [part["messages"] for part in point["byUser"]]
            assert counts == [
                sum(1 for m in run if m["fromUser"]["id"] == alice.id),
                sum(1 for m in run if m["fromUser"]["id"] == bob.id),
            ]
            alice_scores = [
                m["sentiment"]["score"]
                for m in run
                if m["sentiment"] and m["fromUser"]["id"] == alice.id
            ]
            assert point["byUser"][0]["score"] == pytest.approx(
                sum(alice_scores) / len(alice_scores) if alice_scores else 0.0,
                abs=1e-9,
            )


async def test_mood_history_is_for_members_and_bounded(api: Api) -> None:
    alice, _, channel = await api.pair()
    carol = await api.register("carol")
    await api.send(alice, channel, HAPPY)

    code, _ = await api.refusal(HISTORY, {"channel": channel}, carol.token)
    assert code == "FORBIDDEN"
    for buckets in (0, -1, 101):
        code, message = await api.refusal(
            HISTORY, {"channel": channel, "buckets": buckets}, alice.token
        )
        assert code == "BAD_USER_INPUT"
        assert "buckets" in message
    code, _ = await api.refusal(HISTORY, {"channel": "nonsense"}, alice.token)
    assert code == "BAD_USER_INPUT"
    (point,) = await mood_history(api, alice, channel)
    assert (point["fromSeq"], point["toSeq"]) == (1, 1)


async def test_keeping_sentiment_private_hides_it_from_the_other_member_only(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, HAPPY)
    await api.send(bob, channel, SAD)

    shared = await api.data(SHARE, {"share": False}, alice.token)
    assert shared["setShareSentiment"] == {
        "id": alice.id,
        "username": "alice",
        "shareSentiment": False,
    }

    async with api.subscribe(NEW_MESSAGE, {"channel": channel}, bob.token) as feed:
        sent = await api.send(alice, channel, HARSH)
        live = await feed.message()
    assert sent["sentiment"]["label"] == "NEGATIVE", "alice still sees her own"
    assert live["id"] == sent["id"]
    assert live["sentiment"] is None

    to_bob = await api.history(bob, channel)
    assert [m["sentiment"] is None for m in to_bob] == [True, False, True]
    to_alice = await api.history(alice, channel)
    assert all(m["sentiment"] is not None for m in to_alice)

    bob_sees = await mood_of(api, bob, channel)
    assert bob_sees["byUser"][1] == {
        "user": {"id": alice.id},
        "score": None,
        "messages": 2,
    }
    bob_own = bob_sees["byUser"][0]["score"]
    assert bob_sees["score"] == pytest.approx(bob_own, abs=1e-9), "his own only"
    alice_sees = await mood_of(api, alice, channel)
    assert alice_sees["byUser"][1]["score"] is not None, "bob still shares"

    (point,) = await mood_history(api, bob, channel, 1)
    assert point["byUser"][1]["score"] is None
    assert point["score"] == pytest.approx(to_bob[1]["sentiment"]["score"])

    async with api.subscribe(
        MESSAGE_CHANGES, {"channel": channel, "afterVersion": 0}, bob.token
    ) as changes:
        edited = await api.edit(alice, sent["id"], KIND)
        replayed = await changes.message()
    assert edited["sentiment"]["label"] == "POSITIVE"
    assert replayed["id"] == sent["id"]
    assert replayed["message"] == KIND
    assert replayed["sentiment"] is None

    await api.data(SHARE, {"share": True}, alice.token)
    again = await api.history(bob, channel)
    assert all(m["sentiment"] is not None for m in again), "shown again"
    assert (await mood_of(api, bob, channel))["byUser"][1]["score"] is not None


async def test_mood_changed_arrives_once_per_label_change(api: Api) -> None:
    alice, bob, channel = await api.pair()
    texts = [HAPPY, KIND, HAPPY, FLAT, SAD, HARSH, SAD, HARSH, HARSH, KIND]
    async with api.subscribe(ACTIVITY, {"channel": channel}, bob.token) as feed:
        labels = ["NEUTRAL"]
        for index, text in enumerate(texts):
            await api.send(alice if index % 2 else bob, channel, text)
            labels.append((await mood_of(api, bob, channel))["label"])
        changes = [
            after for before, after in itertools.pairwise(labels) if after != before
        ]
        assert len(changes) >= 2, labels
        heard = [await feed.message() for _ in changes]
        assert [event["mood"]["label"] for event in heard] == changes
        assert all(event["__typename"] == "MoodChanged" for event in heard)
        assert all(event["channel"] == channel for event in heard)
        assert heard[-1]["mood"] == await mood_of(api, bob, channel)

        # One more change: the next event is it, so none came twice before.
        last = labels[-1]
        turn = HAPPY if last != "POSITIVE" else HARSH
        while (await mood_of(api, bob, channel))["label"] == last:
            await api.send(alice, channel, turn)
        final = await mood_of(api, bob, channel)
        assert (await feed.message())["mood"] == final
        assert label_of(final["score"]) == final["label"]


async def _as_before_the_analyzer(api: Api) -> None:
    """Rows and moods as migrations 0003 and 0006 leave an older database:
    scored by TextBlob alone, the moods and mood blocks built from polarity."""
    async with api.services.accounts._sessions.begin() as session:
        await session.execute(
            update(Message).values(
                label=None,
                score=None,
                confidence=None,
                reasons=None,
                analyzer=LEGACY_ANALYZER,
            )
        )
        rows = (
            await session.execute(
                select(
                    Message.chat_id, Message.seq, Message.sender_id, Message.polarity
                )
            )
        ).all()
        (chat,) = (await session.execute(select(Chat))).scalars().all()
        values: dict[str, float] = {}
        for side, member in (("low", chat.user_low_id), ("high", chat.user_high_id)):
            mine = [(seq, p) for _, seq, sender, p in rows if sender == member]
            for prefix, decay in (("mood", DECAY), ("mood_fast", FAST_DECAY)):
                weights = [decay ** (chat.last_seq - seq) for seq, _ in mine]
                values[f"{side}_{prefix}_sum"] = sum(
                    w * p for w, (_, p) in zip(weights, mine, strict=True)
                )
                values[f"{side}_{prefix}_weight"] = sum(weights)
        await session.execute(update(Chat).values(values))
        await session.execute(delete(MoodBlock))
        for block in range(chat.last_seq // MOOD_BLOCK + 1):
            sums: dict[str, Any] = {"chat_id": chat.id, "block": block}
            for side, member in (
                ("low", chat.user_low_id),
                ("high", chat.user_high_id),
            ):
                polarities = [
                    p or 0.0
                    for _, seq, sender, p in rows
                    if sender == member and (seq - 1) // MOOD_BLOCK == block
                ]
                sums |= {
                    f"{side}_messages": len(polarities),
                    f"{side}_scored": len(polarities),
                    f"{side}_total": sum(polarities),
                }
            await session.execute(insert(MoodBlock).values(sums))


async def test_the_rescore_moves_the_mood_by_the_new_scores(api: Api) -> None:
    alice, bob, channel = await api.pair()
    texts = [HAPPY, "great, another delay :(", SAD, KIND, FLAT, HARSH]
    for index in range(70):
        await api.send(alice if index % 2 else bob, channel, texts[index % 6])
    await _as_before_the_analyzer(api)
    legacy = await mood_of(api, alice, channel)
    legacy_runs = await mood_history(api, alice, channel, 7)

    done = await rescore(api.services.messages._engine, batch_size=16)

    assert done.rescored == 70
    messages = await sent_as_seen_by_senders(api, alice, bob, channel)
    assert all(m["sentiment"]["analyzer"] != LEGACY_ANALYZER for m in messages)
    expected = expected_mood(messages, 70, [alice.id, bob.id])
    now = await mood_of(api, alice, channel)
    assert now["score"] != pytest.approx(legacy["score"], abs=1e-6)
    assert now["score"] == pytest.approx(expected["score"], abs=1e-9)
    assert now["trend"] == pytest.approx(expected["trend"], abs=1e-9)
    runs = await mood_history(api, alice, channel, 7)
    assert runs != legacy_runs
    for point in runs:
        run = messages[point["fromSeq"] - 1 : point["toSeq"]]
        scores = [m["sentiment"]["score"] for m in run]
        assert point["score"] == pytest.approx(sum(scores) / len(scores), abs=1e-9)
