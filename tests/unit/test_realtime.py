from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.domain.records import ChatRecord, MessageRecord, UserRecord
from graph.domain.sentiment import Scores, SentimentLabel
from graph.realtime import chat_channel, notification_channel, parse_chat_channel
from graph.realtime.events import (
    EventDecodeError,
    decode_chat,
    decode_message,
    encode_chat,
    encode_message,
)

ALICE, BOB = UserRecord(2, "alice"), UserRecord(10, "bob")


def test_a_chat_channel_orders_ids_numerically() -> None:
    assert chat_channel(10, 2) == chat_channel(2, 10) == "private-chat_2_10"


def test_a_notification_channel_names_its_user() -> None:
    assert notification_channel(7) == "private-notification_user_7"


@pytest.mark.parametrize(
    "name",
    [
        "private-chat_2_1",
        "private-chat_1_1",
        "private-chat_01_2",
        "private-chat_0_2",
        "private-chat_1_2_",
        " private-chat_1_2",
        "private-chat_1_99999999999999999999",
        "private-chat_1_\u0662",
        "private-notification_user_1",
    ],
)
def test_only_canonical_chat_channel_names_parse(name: str) -> None:
    assert parse_chat_channel(name) is None


def test_a_canonical_chat_channel_name_parses() -> None:
    assert parse_chat_channel("private-chat_2_10") == (2, 10)


def test_a_message_event_round_trips_through_json() -> None:
    message = MessageRecord(
        id=5,
        seq=3,
        channel="private-chat_2_10",
        from_user=ALICE,
        to_user=BOB,
        message='quotes " and \\ and \U0001f600 and \u2028',
        client_id="c-1",
        created_at=datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=UTC),
        sentiment=Scores(
            polarity=-0.25,
            subjectivity=0.5,
            label=SentimentLabel.NEGATIVE,
            score=-0.61,
            confidence=0.7,
            reasons=(("hate", -2.1), (":(", -0.9)),
            analyzer="sentichat-1+0123abcd",
        ),
    )

    assert decode_message(encode_message(message)) == message


def test_a_chat_event_round_trips_through_json() -> None:
    chat = ChatRecord(
        channel_name="private-chat_2_10", from_user=ALICE, to_user=BOB, last_seq=7
    )

    assert decode_chat(encode_chat(chat)) == chat


@pytest.mark.parametrize(
    "raw",
    ['{"v": 1, "type": "new_chat"}', '{"v": 2, "type": "new_message"}', "[]"],
)
def test_an_event_of_another_type_or_version_is_refused(raw: str) -> None:
    with pytest.raises((EventDecodeError, KeyError)):
        decode_message(raw)
