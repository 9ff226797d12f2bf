"""A process's set of suspended accounts, its sockets, and the event on the wire."""

from __future__ import annotations

import pytest

from graph.domain.errors import Unauthenticated
from graph.realtime.events import (
    EventDecodeError,
    SuspensionEvent,
    decode_suspension,
    encode_presence,
    encode_suspension,
)
from graph.realtime.events import PresenceEvent as Presence
from graph.services.suspensions import Suspensions


class Socket:
    def __init__(self) -> None:
        self.closed = 0

    def suspend(self) -> None:
        self.closed += 1


def test_a_suspension_event_round_trips() -> None:
    for event in (SuspensionEvent(7, True), SuspensionEvent(2**63 - 1, False)):
        assert decode_suspension(encode_suspension(event)) == event


def test_another_event_is_not_a_suspension() -> None:
    with pytest.raises(EventDecodeError):
        decode_suspension(encode_presence(Presence(7, True, None)))


def test_a_suspended_account_is_refused_until_lifted() -> None:
    suspensions = Suspensions()
    suspensions.check(7)

    suspensions.apply(7, True)
    with pytest.raises(Unauthenticated, match=r"^This account is suspended\.$"):
        suspensions.check(7)
    suspensions.apply(7, False)

    suspensions.check(7)
    assert 7 not in suspensions


def test_a_suspension_closes_each_socket_of_its_user_once() -> None:
    suspensions = Suspensions()
    first, second, other = Socket(), Socket(), Socket()
    suspensions.hold(7, first)
    suspensions.hold(7, second)
    suspensions.hold(8, other)

    suspensions.apply(7, True)
    suspensions.apply(7, True)  # heard again (its event, then a read)
    suspensions.replace({7}, suspensions.generation)

    assert (first.closed, second.closed, other.closed) == (1, 1, 0)


def test_a_read_of_the_database_closes_the_sockets_of_the_newly_suspended() -> None:
    suspensions = Suspensions()
    already, lifted, new = Socket(), Socket(), Socket()
    for user_id, socket in ((1, already), (2, lifted), (3, new)):
        suspensions.hold(user_id, socket)
    suspensions.apply(1, True)
    suspensions.apply(2, True)

    suspensions.replace({1, 3}, suspensions.generation)

    assert (1 in suspensions, 2 in suspensions, 3 in suspensions) == (True, False, True)
    assert (already.closed, lifted.closed, new.closed) == (1, 1, 1)


def test_a_read_keeps_what_was_applied_while_it_was_in_flight() -> None:
    """A suspension and a lifting, each committed after the read's snapshot."""
    suspensions = Suspensions()
    socket = Socket()
    suspensions.hold(7, socket)
    suspensions.apply(8, True)
    read_from = suspensions.generation

    suspensions.apply(7, True)
    suspensions.apply(8, False)
    suspensions.replace({8}, read_from)

    assert (7 in suspensions, 8 in suspensions) == (True, False)
    assert socket.closed == 1


def test_a_later_read_has_the_last_word_on_what_was_applied_before_it() -> None:
    """Lifted behind the process (the command line on memory://)."""
    suspensions = Suspensions()
    suspensions.apply(7, True)
    suspensions.replace({7}, suspensions.generation)

    suspensions.replace(set(), suspensions.generation)

    assert 7 not in suspensions


def test_a_read_older_than_the_last_one_replaced_is_dropped() -> None:
    suspensions = Suspensions()
    older = suspensions.generation
    suspensions.apply(7, True)
    suspensions.replace({7}, suspensions.generation)

    suspensions.replace(set(), older)

    assert 7 in suspensions


def test_a_socket_held_after_its_user_was_suspended_is_closed_at_once() -> None:
    suspensions = Suspensions()
    suspensions.apply(7, True)
    socket = Socket()

    suspensions.hold(7, socket)

    assert socket.closed == 1


def test_a_released_socket_is_forgotten() -> None:
    suspensions = Suspensions()
    socket = Socket()
    suspensions.hold(7, socket)
    suspensions.release(7, socket)
    suspensions.release(7, socket)  # twice: nothing

    suspensions.apply(7, True)

    assert socket.closed == 0
    assert suspensions._sockets == {}
