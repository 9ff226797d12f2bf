"""The benchmark harness's arithmetic (the harness itself runs in `.ci/run`)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import pytest

from tests.benchmarks import load, protocol
from tests.benchmarks.measure import Latencies, bucket_of, bucket_upper_us, percentile
from tests.benchmarks.protocol import (
    BASELINE,
    SENTICHAT,
    Account,
    Delivery,
    MoodQuery,
    mood_history_fault,
)
from tests.benchmarks.scenarios import (
    misdelivered_changes,
    mood_point_faults,
    passing_rates,
    tally,
    tally_changes,
)
from tests.benchmarks.stack import Seed


def test_nearest_rank_percentiles() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50
    assert percentile(samples, 0.99) == 99
    assert percentile(samples, 0.999) == 100
    assert percentile(samples, 0.0) == 1
    assert percentile([7.0], 0.99) == 7


def test_histogram_buckets_bound_their_samples_within_two_percent() -> None:
    for value in (0.5, 1.0, 1.5, 37.0, 999.9, 12_345.6, 3e6):
        upper = bucket_upper_us(bucket_of(value))
        assert value <= upper * (1 + 1e-9)
        assert value >= 1.0 or upper == 1.0
        if value > 1:
            assert upper <= value * 1.02 * (1 + 1e-9)


def test_summary_and_histogram_count_every_sample() -> None:
    latencies = Latencies.of([3000.0, 1000.0, 2000.0, 2000.0])
    assert latencies.summary()["p50_ms"] == 2.0
    assert latencies.summary()["max_ms"] == 3.0
    assert sum(count for _, count in latencies.histogram()) == 4


def test_percentile_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 1.5)


def test_a_socket_tells_its_subscriptions_apart() -> None:
    new = {"type": "next", "id": "1", "payload": {"data": {"newMessage": MESSAGE}}}
    changed = {
        "type": "next",
        "id": "2",
        "payload": {"data": {"messageChanges": {**MESSAGE, "version": 9}}},
    }
    assert protocol.delivery(SENTICHAT, orjson.dumps(new)) == Delivery(False, "sd7")
    assert protocol.delivery(SENTICHAT, orjson.dumps(changed)) == Delivery(
        True, "sd7", "41:9"
    )
    seeded = {**MESSAGE, "clientId": None, "version": 3}
    frame = {"type": "next", "id": "2", "payload": {"data": {"messageChanges": seeded}}}
    assert protocol.delivery(SENTICHAT, orjson.dumps(frame)) == Delivery(
        True, "", "41:3"
    )
    assert protocol.delivery(SENTICHAT, b'{"type":"complete","id":"1"}') is None
    assert protocol.delivery(BASELINE, b'{"client_id":"bd3"}') == Delivery(False, "bd3")


def test_subscribing_to_changes_adds_a_second_subscription() -> None:
    account = Account(1, "token", "private-chat_1_2")
    alone = [orjson.loads(f) for f in protocol.subscribe_messages(account)]
    both = [orjson.loads(f) for f in protocol.subscribe_messages(account, True)]
    assert [f["type"] for f in alone] == ["connection_init", "subscribe"]
    assert both[:2] == alone
    assert both[2]["id"] != both[1]["id"]
    assert "messageChanges(channel: $channel)" in both[2]["payload"]["query"]
    assert both[2]["payload"]["variables"] == {"channel": "private-chat_1_2"}


def test_each_reaction_changes_the_message() -> None:
    state: set[str] = set()
    for turn in range(5 * len(protocol.EMOJI)):
        emoji, on = protocol.reaction(turn)
        assert (emoji in state) != on  # on only when off, off only when on
        (state.add if on else state.discard)(emoji)


def test_changed_key_reads_the_answer() -> None:
    body = orjson.dumps({"data": {"react": {"id": "41", "version": 12}}})
    assert protocol.changed_key(body, "react") == "41:12"


def test_tally_counts_each_send_once_per_member() -> None:
    # Two chats (accounts 0-1, 2-3); sends 0..2 by accounts 0..2 answered.
    sent = {0: 1_000_000, 1: 2_000_000, 2: 3_000_000}
    receipts = [
        [("x0", 2_000_000), ("x1", 3_000_000)],
        [("x0", 2_000_000), ("x0", 2_500_000)],  # a repeat; x1 lost
        [("x2", 4_000_000), ("x1", 4_000_000)],  # x1: not this chat's
        [("x2", 5_000_000), ("y2", 5_000_000)],  # y2: another run's
    ]
    counted = tally(receipts, "x", sent, 4)
    assert sorted(counted.delays_us) == [1000.0] * 4 + [2000.0]
    assert counted.expected == 6
    assert counted.lost == 1
    assert (counted.duplicated, counted.misdelivered) == (1, 2)


def test_tally_changes_times_the_other_member() -> None:
    # Change 0 by account 0 (chat 0), change 3 by account 3 (chat 1), 5 by 1.
    answered = {"10:5": (0, 1_000_000), "30:2": (3, 1_000_000), "11:6": (5, 0)}
    changes = [
        [("", "10:5", 1_500_000)],  # the changer's own echo
        [("", "10:5", 3_000_000), ("", "10:5", 3_000_000)],  # timed, then a repeat
        [("", "30:2", 2_000_000), ("", "99:1", 0)],  # timed; not of the run
        [("", "10:5", 2_000_000)],  # not this chat's
    ]
    counted = tally_changes(changes, answered, 4)
    assert sorted(counted.delays_us) == [1000.0, 2000.0]
    assert counted.answered == 3
    assert counted.lost == 1  # 11:6 reached nobody
    assert (counted.echoed, counted.duplicated, counted.misdelivered) == (1, 1, 2)


def test_any_change_event_during_sends_is_misdelivered() -> None:
    # messageChanges delivers changes only: a send's event on it is a fault.
    changes = [[], [("scd4", "41:7", 0)], [("", "9:2", 0), ("scd5", "42:8", 0)]]
    assert misdelivered_changes(changes) == (
        3,
        ["1: scd4 41:7", "2: - 9:2", "2: scd5 42:8"],
    )
    assert misdelivered_changes([[], []]) == (0, [])


class _Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[str, int]] = []
        self.changes: list[load.Change] = []


def _drained_in(
    sockets: dict[int, _Receiver], new_messages: int, changes: int, quiet_s: float
) -> float:
    started = time.monotonic()
    stand_ins = cast("dict[int, Any]", sockets)
    asyncio.run(load._drain(stand_ins, new_messages, changes, quiet_s))
    return time.monotonic() - started


def test_a_drain_waits_for_each_subscription_s_own_count() -> None:
    sockets = {0: _Receiver(), 1: _Receiver()}
    sockets[0].received = [("a", 0), ("b", 0)]
    sockets[1].received = [("a", 0), ("b", 0)]
    # Sends: all four newMessage deliveries, none owed on messageChanges.
    assert _drained_in(sockets, 4, 0, 5.0) < 1.0
    # A change event does not stand in for a missing newMessage delivery:
    # the drain waits until nothing comes for quiet_s.
    sockets[1].changes = [("a", "1:1", 0)]
    assert _drained_in(sockets, 5, 0, 0.3) >= 0.3
    assert _drained_in(sockets, 4, 1, 5.0) < 1.0


def test_passing_rates_leave_out_failed_and_slow_steps() -> None:
    steps = [
        {"rate_per_s": 100, "failed": 0, "p99_ms": 10.0},
        {"rate_per_s": 200, "failed": 1, "p99_ms": 10.0},
        {"rate_per_s": 200, "failed": 0, "p99_ms": 12.0},
        {"rate_per_s": 400, "failed": 0, "p99_ms": 80.0},
    ]
    assert sorted(passing_rates({"steps": steps})) == [100, 200]


MESSAGE = {"id": "41", "clientId": "sd7", "message": "hi"}


def _points(*runs: tuple[int, int]) -> list[dict[str, Any]]:
    """moodHistory points over `runs`, the viewer (user 1) writing every
    message but the last of each."""
    return [
        {
            "fromSeq": first,
            "toSeq": last,
            "startedAt": "2026-12-06T15:55:37.985891+00:00",
            "score": 0.5,
            "byUser": [
                {"user": {"id": "1"}, "score": 0.5, "messages": last - first},
                {"user": {"id": "2"}, "score": 0.5, "messages": 1},
            ],
        }
        for first, last in runs
    ]


def test_a_mood_history_runs_from_seq_1_to_the_newest_in_equal_runs() -> None:
    query = MoodQuery(buckets=3, last_seq=10)
    assert mood_history_fault(_points((1, 4), (5, 7), (8, 10)), query) is None
    assert mood_history_fault([], MoodQuery(buckets=30, last_seq=0)) is None
    assert mood_history_fault(_points((1, 4), (5, 10)), query) == "2 points, not 3"
    assert mood_history_fault(_points((1, 4), (5, 7), (8, 9)), query) == (
        "seq 1 to 9, not 1 to 10"
    )
    assert mood_history_fault(_points((1, 4), (6, 7), (8, 10)), query) == (
        "seq 4 then 6"
    )
    assert mood_history_fault(_points((1, 5), (6, 7), (8, 10)), query) == (
        "runs of 2 to 5 messages"
    )
    # Fewer messages than runs: one a message.
    assert mood_history_fault(_points((1, 1), (2, 2)), MoodQuery(30, 2)) is None


def test_a_mood_history_counts_every_message_of_each_run() -> None:
    points = _points((1, 4), (5, 7), (8, 10))
    points[1]["byUser"][1]["messages"] = 0
    assert mood_history_fault(points, MoodQuery(3, 10)) == "seq 5-7: 2 messages, not 3"


def test_mood_points_are_checked_against_the_rows() -> None:
    started = datetime(2026, 12, 6, 15, 55, 37, 985891, tzinfo=UTC)
    points = _points((1, 4))
    # The viewer's 3 messages (2 scored, summing 1.0), the other's 1 (0.5).
    row = (3, 2, 1.0, 1, 1, 0.5, started)
    assert mood_point_faults(points, [row], viewer_id=1) == []
    assert mood_point_faults(points, [row, row], viewer_id=1) == [
        "1 points for 2 runs of messages"
    ]
    assert mood_point_faults(points, [row], viewer_id=2) == ["seq 1-4: '1', not '2'"]
    points[0]["score"] = 0.6
    points[0]["byUser"][1]["score"] = None
    assert mood_point_faults(points, [row], viewer_id=1) == [
        "seq 1-4: score None, not 0.5",
        "seq 1-4: score 0.6, not 0.5",
    ]


def test_the_mood_chat_comes_after_every_other_user_and_chat() -> None:
    seed = Seed(
        users=10,
        history_chats=2,
        history_messages=20,
        inbox_chats=4,
        inbox_messages=40,
        mood_messages=100,
    )
    # Users 1-10 in pairs, the inbox user and its 4 peers 11-15, then 16, 17.
    assert seed.mood_pair == (16, 17)
    assert seed.all_users == 17
    # Chats 1-5 of the pairs, 6-9 the inbox's, then the mood chat.
    assert seed.mood_chat == 10
    without = Seed(users=10, history_chats=2, history_messages=20)
    assert without.all_users == 10
    assert without.mood_pair == (11, 12)


def test_a_wrong_mood_history_answer_under_load_is_a_failure() -> None:
    plan = load.OpenLoopPlan(
        SENTICHAT, "mood", (("127.0.0.1", 1),), (), "sm", mood=MoodQuery(3, 10)
    )
    loop = load.OpenLoop(plan)
    outcomes: list[load.Outcome] = []

    def answering(points: list[dict[str, Any]]) -> None:
        async def post(server: int, request: protocol.Request) -> tuple[int, bytes]:
            return 200, orjson.dumps({"data": {"moodHistory": points}})

        loop._post = post  # type: ignore[method-assign]
        request = protocol.Request("/graphql", b"", b"")
        asyncio.run(
            loop._fire(len(outcomes), 0, request, 0, time.perf_counter(), outcomes)
        )

    answering(_points((1, 4), (5, 7), (8, 10)))
    answering(_points((1, 4), (5, 7)))
    assert [(o.ok, o.wrong) for o in outcomes] == [(True, False), (False, True)]
    assert loop.errors == ["a wrong answer: 2 points, not 3"]
