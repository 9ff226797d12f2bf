"""The authorization matrix: only a chat's two members may use it, everywhere.

Ten users, and the 45 chats of every pair of them, on a real server process
(uvicorn, PostgreSQL, Redis, Pusher on at a local fake). For each of the 450
(chat, user) combinations, six operations are tried by that user: read the
history (`messages`), send (`sendMessage`), mark it read (`markRead`), say
they are typing (`setTyping`), subscribe over a WebSocket (`newMessage` with
`afterSeq: 0`) and be signed for the channel by `POST /pusher/auth`. Each
of the 90 member combinations is allowed and sees exactly the chat's
messages; each of the 360 non-member ones is refused with the exact code a
client sees (`FORBIDDEN`, or 403), leaves no trace in the chat (nor in the
members' read positions), and leaves the WebSocket open and usable. Each
user is signed for its own notification channel and refused the nine
others'. A chat's messages can be edited or deleted by their sender only
(its other member gets `FORBIDDEN`) and reacted to by both members; to
anyone else they do not exist (`NOT_FOUND`), and nothing changes. Nothing of
this is logged as a fault. The counts are recorded as the
`authorization_matrix` figures.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import figures
from tests.support.api import Account
from tests.support.fake_pusher import Credentials, FakePusher
from tests.support.remote import register, unique
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket

USERS = 10
CONCURRENCY = 16  # HTTP requests in flight at once
WS_TIMEOUT = 10.0
SOCKET_ID = "1234.5678"
PUSHER_REFUSAL = {"error": "You may not subscribe to this channel."}

REQUEST_CHAT = """
mutation($toUser: ID!) {
  requestChat(toUser: $toUser) {
    channelName fromUser { id } toUser { id }
    fromUserNotificationChannel toUserNotificationChannel
  }
}"""
READ = """
query($channel: String!) { messages(channel: $channel) { seq message fromUser { id } } }
"""
SEND = """
mutation($channel: String!, $message: String!) {
  sendMessage(channel: $channel, message: $message) {
    seq channel message fromUser { id } toUser { id }
  }
}"""
SUBSCRIBE = """
subscription($c: String!, $after: Int!) {
  newMessage(channel: $c, afterSeq: $after) { seq message }
}"""

# A message as stored: (seq, sender's id, text).
Stored = tuple[int, str, str]
# What one WebSocket operation received, in order.
Frames = list[dict[str, Any]]


@dataclass(frozen=True)
class Chat:
    channel: str
    members: tuple[Account, Account]  # lower id first
    requester: Account

    def has(self, user: Account) -> bool:
        return user in self.members

    def other(self, member: Account) -> Account:
        low, high = self.members
        return high if member == low else low


@dataclass
class Matrix:
    server: Server
    http: httpx.AsyncClient
    credentials: Credentials
    users: list[Account]
    chats: list[Chat]
    # Every message each chat holds, in seq order, as members sent them.
    stored: dict[str, list[Stored]] = field(default_factory=dict)
    tally: Counter[str] = field(default_factory=Counter)
    limit: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(CONCURRENCY)
    )

    def combinations(self) -> Iterable[tuple[Chat, Account]]:
        return itertools.product(self.chats, self.users)

    def members(self) -> list[tuple[Chat, Account]]:
        return [(chat, user) for chat, user in self.combinations() if chat.has(user)]

    def non_members(self) -> list[tuple[Chat, Account]]:
        return [
            (chat, user) for chat, user in self.combinations() if not chat.has(user)
        ]

    async def graphql(
        self, query: str, variables: dict[str, Any], caller: Account
    ) -> dict[str, Any]:
        async with self.limit:
            response = await self.http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {caller.token}"},
            )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def send(self, chat: Chat, sender: Account, text: str) -> dict[str, Any]:
        variables = {"channel": chat.channel, "message": text}
        return await self.graphql(SEND, variables, sender)

    async def read(self, chat: Chat, reader: Account) -> dict[str, Any]:
        return await self.graphql(READ, {"channel": chat.channel}, reader)

    async def pusher_auth(self, channel: str, caller: Account) -> httpx.Response:
        async with self.limit:
            return await self.http.post(
                "/pusher/auth",
                data={"socket_id": SOCKET_ID, "channel_name": channel},
                headers={"Authorization": f"Bearer {caller.token}"},
            )

    async def send_as_members(self, chat: Chat, label: str) -> None:
        """Each member sends once, lower id first; the sends are recorded."""
        for sender in chat.members:
            text = f"{label} from {sender.username}"
            body = await self.send(chat, sender, text)
            assert "errors" not in body, body
            sent = body["data"]["sendMessage"]
            expected_seq = len(self.stored[chat.channel]) + 1
            assert sent == {
                "seq": expected_seq,
                "channel": chat.channel,
                "message": text,
                "fromUser": {"id": sender.id},
                "toUser": {"id": chat.other(sender).id},
            }
            self.stored[chat.channel].append((expected_seq, sender.id, text))

    def count(self, kind: str, allowed: int = 0, refused: int = 0) -> None:
        """Add to the tally and record the figures so far."""
        self.tally[f"{kind}_allowed"] += allowed
        self.tally[f"{kind}_refused"] += refused
        allowed_total = sum(v for k, v in self.tally.items() if k.endswith("allowed"))
        refused_total = sum(v for k, v in self.tally.items() if k.endswith("refused"))
        figures.record(
            "authorization_matrix",
            users=len(self.users),
            chats=len(self.chats),
            combinations=len(self.chats) * len(self.users),
            member_combinations=len(self.members()),
            non_member_combinations=len(self.non_members()),
            messages_stored=sum(len(rows) for rows in self.stored.values()),
            operations_checked=allowed_total + refused_total,
            allowed=allowed_total,
            refused=refused_total,
            **self.tally,
        )


async def gather(awaitables: Iterable[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*awaitables))


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


def as_stored(messages: list[dict[str, Any]]) -> list[Stored]:
    return [(m["seq"], m["fromUser"]["id"], m["message"]) for m in messages]


def signed(credentials: Credentials, channel: str) -> dict[str, str]:
    """Pusher's documented auth answer, computed here from the secret."""
    message = f"{SOCKET_ID}:{channel}".encode()
    digest = hmac.new(credentials.secret.encode(), message, hashlib.sha256)
    return {"auth": f"{credentials.key}:{digest.hexdigest()}"}


def notification_channel(user: Account) -> str:
    return f"private-notification_user_{user.id}"


def faults(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if "Traceback" in line or " ERROR " in line or "ERROR:" in line
    ]


@pytest.fixture(scope="module")
async def matrix(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Matrix]:
    """Ten users, the chat of each pair, and one message from each member."""
    fake = await FakePusher().start()
    log = Path(tmp_path_factory.mktemp("matrix")) / "server.log"
    env = {**cluster_env, **fake.env(), "PUSHER_DRAIN_SECONDS": "1"}
    server = await asyncio.to_thread(Server(env, log).start)
    try:
        async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
            names = [unique(f"user{number}_") for number in range(USERS)]
            users = await gather(register(server, name) for name in names)
            matrix = Matrix(server, http, fake.credentials, users, [])
            pairs = list(itertools.combinations(users, 2))
            matrix.chats = await gather(
                open_chat(matrix, pair, number) for number, pair in enumerate(pairs)
            )
            matrix.stored = {chat.channel: [] for chat in matrix.chats}
            await gather(matrix.send_as_members(chat, "seed") for chat in matrix.chats)
            yield matrix
    finally:
        # In a thread: the server's last Pusher triggers need this loop.
        await asyncio.to_thread(server.stop)
        await fake.stop()
    assert not faults(server.log()), server.log()


async def open_chat(matrix: Matrix, pair: tuple[Account, Account], number: int) -> Chat:
    """The pair's chat, asked for by one member or the other, in turn."""
    low, high = sorted(pair, key=lambda user: int(user.id))
    requester = (low, high)[number % 2]
    other = high if requester == low else low
    body = await matrix.graphql(REQUEST_CHAT, {"toUser": other.id}, requester)
    assert "errors" not in body, body
    chat = body["data"]["requestChat"]
    assert chat == {
        "channelName": f"private-chat_{low.id}_{high.id}",
        "fromUser": {"id": requester.id},
        "toUser": {"id": other.id},
        "fromUserNotificationChannel": notification_channel(requester),
        "toUserNotificationChannel": notification_channel(other),
    }
    return Chat(chat["channelName"], (low, high), requester)


# -- the chats -----------------------------------------------------------------


async def test_every_pair_has_one_chat_named_for_its_ids(matrix: Matrix) -> None:
    channels = [chat.channel for chat in matrix.chats]

    assert len(matrix.users) == USERS
    assert len(set(channels)) == len(channels) == USERS * (USERS - 1) // 2
    for chat in matrix.chats:
        low, high = (int(member.id) for member in chat.members)
        assert low < high
        assert re.fullmatch(r"private-chat_[1-9][0-9]*_[1-9][0-9]*", chat.channel)
        assert chat.channel == f"private-chat_{low}_{high}"


# -- read ----------------------------------------------------------------------


async def test_members_can_read_their_chats(matrix: Matrix) -> None:
    combinations = matrix.members()

    bodies = await gather(matrix.read(chat, user) for chat, user in combinations)

    for (chat, user), body in zip(combinations, bodies, strict=True):
        assert "errors" not in body, (chat.channel, user.id, body)
        stored = as_stored(body["data"]["messages"])
        assert stored == matrix.stored[chat.channel], (chat.channel, user.id)
    matrix.count("read", allowed=len(combinations))


async def test_non_members_cannot_read_any_chat(matrix: Matrix) -> None:
    combinations = matrix.non_members()

    bodies = await gather(matrix.read(chat, user) for chat, user in combinations)

    for (chat, user), body in zip(combinations, bodies, strict=True):
        assert body["data"] is None, (chat.channel, user.id, body)
        assert codes(body) == ["FORBIDDEN"], (chat.channel, user.id, body)
    matrix.count("read", refused=len(combinations))


# -- send ----------------------------------------------------------------------


async def test_members_can_send_to_their_chats(matrix: Matrix) -> None:
    # Chats in parallel; within a chat, one member after the other, so that
    # the order of the seqs is known.
    await gather(matrix.send_as_members(chat, "hello") for chat in matrix.chats)
    matrix.count("send", allowed=len(matrix.members()))

    await assert_chats_hold_exactly_the_members_sends(matrix)


async def test_non_members_cannot_send_to_any_chat(matrix: Matrix) -> None:
    combinations = matrix.non_members()

    bodies = await gather(
        matrix.send(chat, user, f"intrusion by {user.username}")
        for chat, user in combinations
    )

    for (chat, user), body in zip(combinations, bodies, strict=True):
        assert body["data"] is None, (chat.channel, user.id, body)
        assert codes(body) == ["FORBIDDEN"], (chat.channel, user.id, body)
    matrix.count("send", refused=len(combinations))
    await assert_chats_hold_exactly_the_members_sends(matrix)


async def assert_chats_hold_exactly_the_members_sends(matrix: Matrix) -> None:
    """Each chat, read by its lower member: the members' sends and nothing else."""
    bodies = await gather(matrix.read(chat, chat.members[0]) for chat in matrix.chats)
    for chat, body in zip(matrix.chats, bodies, strict=True):
        assert "errors" not in body, body
        stored = as_stored(body["data"]["messages"])
        assert stored == matrix.stored[chat.channel], chat.channel
        member_ids = {member.id for member in chat.members}
        assert {sender for _, sender, _ in stored} == member_ids


# -- read state and typing -------------------------------------------------------

MARK_READ = """
mutation($channel: String!, $seq: Int!) {
  markRead(channel: $channel, seq: $seq) { channelName lastReadSeq unreadCount }
}"""
TYPING = "mutation($channel: String!) { setTyping(channel: $channel) }"
READ_STATE = "query { chats(first: 500) { channelName lastReadSeq peerLastReadSeq } }"


async def positions(matrix: Matrix) -> dict[tuple[str, str], int]:
    """Each member's read position in each of their chats."""
    bodies = await gather(matrix.graphql(READ_STATE, {}, user) for user in matrix.users)
    found = {}
    for user, body in zip(matrix.users, bodies, strict=True):
        assert "errors" not in body, body
        for chat in body["data"]["chats"]:
            found[chat["channelName"], user.id] = chat["lastReadSeq"]
    return found


async def test_non_members_can_neither_mark_read_nor_type_in_any_chat(
    matrix: Matrix,
) -> None:
    combinations = matrix.non_members()
    before = await positions(matrix)

    marks = await gather(
        matrix.graphql(MARK_READ, {"channel": chat.channel, "seq": 1}, user)
        for chat, user in combinations
    )
    typing = await gather(
        matrix.graphql(TYPING, {"channel": chat.channel}, user)
        for chat, user in combinations
    )

    for (chat, user), mark, said in zip(combinations, marks, typing, strict=True):
        assert mark["data"] is None, (chat.channel, user.id, mark)
        assert codes(mark) == ["FORBIDDEN"], (chat.channel, user.id, mark)
        assert said["data"] is None, (chat.channel, user.id, said)
        assert codes(said) == ["FORBIDDEN"], (chat.channel, user.id, said)
    assert await positions(matrix) == before
    matrix.count("mark_read", refused=len(combinations))
    matrix.count("set_typing", refused=len(combinations))


async def test_members_mark_their_own_position_only(matrix: Matrix) -> None:
    combinations = matrix.members()

    marks = await gather(
        matrix.graphql(MARK_READ, {"channel": chat.channel, "seq": 1}, user)
        for chat, user in combinations
    )
    typing = await gather(
        matrix.graphql(TYPING, {"channel": chat.channel}, user)
        for chat, user in combinations
    )

    for (chat, user), mark, said in zip(combinations, marks, typing, strict=True):
        assert "errors" not in mark, (chat.channel, user.id, mark)
        assert mark["data"]["markRead"]["lastReadSeq"] >= 1
        assert said == {"data": {"setTyping": True}}, (chat.channel, user.id, said)
    after = await positions(matrix)
    assert set(after) == {(chat.channel, user.id) for chat, user in combinations}
    assert all(seq >= 1 for seq in after.values())
    matrix.count("mark_read", allowed=len(combinations))
    matrix.count("set_typing", allowed=len(combinations))


# -- subscribe -----------------------------------------------------------------


@dataclass
class SocketRun:
    """What one user's socket received, subscribed to all 45 chats at once."""

    user: Account
    frames: dict[str, Frames]  # by operation id, which is the channel name
    pong_after_all: dict[str, Any]
    again: Frames  # a new subscription once all 45 had been answered
    pong_at_end: dict[str, Any]


@dataclass
class Subscriptions:
    stored: dict[str, list[Stored]]  # the chats as they were when subscribed
    runs: list[SocketRun]


async def receive(ws: GraphQLWebSocket) -> dict[str, Any]:
    """The next message that is not a ping (which is answered)."""
    while True:
        message = await ws.receive(WS_TIMEOUT)
        if message.get("type") != "ping":
            return message
        await ws.send({"type": "pong"})


async def run_socket(matrix: Matrix, user: Account) -> SocketRun:
    stored = matrix.stored
    async with GraphQLWebSocket(matrix.server.ws_url) as ws:
        await ws.init(user.token, WS_TIMEOUT)
        for chat in matrix.chats:  # members' and others' chats interleaved
            variables = {"c": chat.channel, "after": 0}
            await ws.subscribe(chat.channel, SUBSCRIBE, variables)
        frames: dict[str, Frames] = defaultdict(list)
        pending = {chat.channel for chat in matrix.chats}
        while pending:
            message = await receive(ws)
            operation = message.get("id", "")
            frames[operation].append(message)
            done = message["type"] in ("complete", "error")
            member = any(c.channel == operation and c.has(user) for c in matrix.chats)
            if member and not done and len(frames[operation]) == len(stored[operation]):
                # The whole chat replayed: stop listening for live messages.
                await ws.send({"id": operation, "type": "complete"})
                done = True
            if done:
                pending.discard(operation)

        await ws.send({"type": "ping"})
        pong_after_all = await receive(ws)

        chat = next(chat for chat in matrix.chats if chat.has(user))
        last = len(stored[chat.channel])
        variables = {"c": chat.channel, "after": last - 1}
        await ws.subscribe("again", SUBSCRIBE, variables)
        again = [await receive(ws)]
        await ws.send({"id": "again", "type": "complete"})
        await ws.send({"type": "ping"})
        pong_at_end = await receive(ws)
    return SocketRun(user, dict(frames), pong_after_all, again, pong_at_end)


@pytest.fixture(scope="module")
async def subscriptions(matrix: Matrix) -> Subscriptions:
    """One socket per user, each subscribed to all 45 chats with `afterSeq: 0`."""
    stored = {channel: list(rows) for channel, rows in matrix.stored.items()}
    runs = await gather(run_socket(matrix, user) for user in matrix.users)
    return Subscriptions(stored, runs)


def replay(channel: str, rows: list[Stored]) -> Frames:
    return [
        {
            "id": channel,
            "type": "next",
            "payload": {"data": {"newMessage": {"seq": seq, "message": text}}},
        }
        for seq, _, text in rows
    ]


async def test_members_subscriptions_replay_their_chats(
    matrix: Matrix, subscriptions: Subscriptions
) -> None:
    allowed = 0
    for run in subscriptions.runs:
        for chat in matrix.chats:
            if chat.has(run.user):
                expected = replay(chat.channel, subscriptions.stored[chat.channel])
                assert run.frames[chat.channel] == expected, (chat.channel, run.user)
                allowed += 1

    assert allowed == len(matrix.members())
    matrix.count("subscribe", allowed=allowed)


async def test_non_members_subscriptions_are_refused_with_forbidden(
    matrix: Matrix, subscriptions: Subscriptions
) -> None:
    refused = 0
    for run in subscriptions.runs:
        for chat in matrix.chats:
            if not chat.has(run.user):
                received = run.frames[chat.channel]
                where = (chat.channel, run.user.id, received)
                assert [frame["type"] for frame in received] == ["next", "complete"]
                refusal, completion = received
                assert refusal["id"] == completion["id"] == chat.channel, where
                assert refusal["payload"].get("data") is None, where
                assert codes(refusal["payload"]) == ["FORBIDDEN"], where
                refused += 1

    assert refused == len(matrix.non_members())
    matrix.count("subscribe", refused=refused)


async def test_refused_subscriptions_leave_the_socket_open_and_usable(
    matrix: Matrix, subscriptions: Subscriptions
) -> None:
    for run in subscriptions.runs:
        chat = next(chat for chat in matrix.chats if chat.has(run.user))
        assert set(run.frames) == {chat.channel for chat in matrix.chats}
        assert run.pong_after_all == {"type": "pong"}, run.pong_after_all
        last = subscriptions.stored[chat.channel][-1:]
        assert run.again == replay("again", last), run.again
        assert run.pong_at_end == {"type": "pong"}, run.pong_at_end


# -- Pusher auth -----------------------------------------------------------------


async def test_members_are_signed_for_their_chats_by_pusher_auth(
    matrix: Matrix,
) -> None:
    combinations = matrix.members()

    responses = await gather(
        matrix.pusher_auth(chat.channel, user) for chat, user in combinations
    )

    for (chat, user), response in zip(combinations, responses, strict=True):
        where = (chat.channel, user.id, response.text)
        assert response.status_code == 200, where
        assert response.json() == signed(matrix.credentials, chat.channel), where
    matrix.count("pusher_auth", allowed=len(combinations))


async def test_non_members_are_refused_pusher_auth_for_every_chat(
    matrix: Matrix,
) -> None:
    combinations = matrix.non_members()

    responses = await gather(
        matrix.pusher_auth(chat.channel, user) for chat, user in combinations
    )

    for (chat, user), response in zip(combinations, responses, strict=True):
        where = (chat.channel, user.id, response.text)
        assert response.status_code == 403, where
        assert response.json() == PUSHER_REFUSAL, where
    matrix.count("pusher_auth", refused=len(combinations))


async def test_each_user_is_signed_for_its_own_notification_channel_only(
    matrix: Matrix,
) -> None:
    pairs = list(itertools.product(matrix.users, matrix.users))

    responses = await gather(
        matrix.pusher_auth(notification_channel(owner), caller)
        for owner, caller in pairs
    )

    allowed = refused = 0
    for (owner, caller), response in zip(pairs, responses, strict=True):
        channel = notification_channel(owner)
        where = (channel, caller.id, response.text)
        if owner == caller:
            assert response.status_code == 200, where
            assert response.json() == signed(matrix.credentials, channel), where
            allowed += 1
        else:
            assert response.status_code == 403, where
            assert response.json() == PUSHER_REFUSAL, where
            refused += 1
    assert (allowed, refused) == (USERS, USERS * (USERS - 1))
    matrix.count("notification_auth", allowed=allowed, refused=refused)


# -- the log ---------------------------------------------------------------------


async def test_no_refusal_was_logged_as_a_fault(matrix: Matrix) -> None:
    assert not faults(matrix.server.log()), matrix.server.log()


# -- edit, delete and react ------------------------------------------------------

NEWEST = """
query($channel: String!) {
  messages(channel: $channel, last: 1) { id message version fromUser { id } }
}"""
EDIT = 'mutation($id: ID!) { editMessage(id: $id, message: "not yours") { id } }'
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
REACT = """
mutation($id: ID!) { react(id: $id, emoji: "👍") { id reactions { count mine } } }
"""


async def newest_messages(matrix: Matrix) -> dict[str, dict[str, Any]]:
    """Each chat's newest message, as its lower member reads it."""
    bodies = await gather(
        matrix.graphql(NEWEST, {"channel": chat.channel}, chat.members[0])
        for chat in matrix.chats
    )
    newest = {}
    for chat, body in zip(matrix.chats, bodies, strict=True):
        (message,) = body["data"]["messages"]
        newest[chat.channel] = message
    return newest


async def test_only_a_sender_changes_a_message_and_strangers_find_none(
    matrix: Matrix,
) -> None:
    before = await newest_messages(matrix)
    strangers = matrix.non_members()
    # The member who did not send the chat's newest message.
    recipients = [
        (chat, user)
        for chat, user in matrix.members()
        if user.id != before[chat.channel]["fromUser"]["id"]
    ]

    for query in (EDIT, DELETE, REACT):
        refused = await gather(
            matrix.graphql(query, {"id": before[chat.channel]["id"]}, user)
            for chat, user in strangers
        )
        for (chat, user), body in zip(strangers, refused, strict=True):
            assert body["data"] is None, (chat.channel, user.id, body)
            assert codes(body) == ["NOT_FOUND"], (chat.channel, user.id, body)
    for query in (EDIT, DELETE):
        refused = await gather(
            matrix.graphql(query, {"id": before[chat.channel]["id"]}, user)
            for chat, user in recipients
        )
        for (chat, user), body in zip(recipients, refused, strict=True):
            assert codes(body) == ["FORBIDDEN"], (chat.channel, user.id, body)

    assert await newest_messages(matrix) == before
    matrix.count("edit_message", refused=len(strangers) + len(recipients))
    matrix.count("delete_message", refused=len(strangers) + len(recipients))
    matrix.count("react", refused=len(strangers))


async def test_members_react_to_their_chats_messages(matrix: Matrix) -> None:
    newest = await newest_messages(matrix)
    combinations = matrix.members()

    reacted = await gather(
        matrix.graphql(REACT, {"id": newest[chat.channel]["id"]}, user)
        for chat, user in combinations
    )

    for (chat, user), body in zip(combinations, reacted, strict=True):
        assert "errors" not in body, (chat.channel, user.id, body)
        assert body["data"]["react"]["reactions"][0]["mine"] is True
    after = await newest_messages(matrix)
    for chat in matrix.chats:
        assert after[chat.channel]["version"] == newest[chat.channel]["version"] + 2
    matrix.count("react", allowed=len(combinations))
