"""Rate limits as a client meets them, on two processes sharing Redis.

Both servers trust `X-Forwarded-For` from 127.0.0.1 (`--proxy-headers`, as
behind a proxy), so a test speaks from any address it likes. Every limit is
shared: requests through either process count against one allowance. A
refusal is RATE_LIMITED with `retryAfter` (seconds) and writes nothing.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import LOGIN, REGISTER, REQUEST_CHAT, SEND
from tests.support.fake_pusher import FakePusher
from tests.support.server import Server

PASSWORD = "correct horse battery"
PROXIED = ("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
LIMITS = {
    "RATE_SEND_MESSAGE_PER_USER": "3/m",
    "RATE_REQUEST_CHAT_PER_USER": "2/m",
    "RATE_LOGIN_PER_USERNAME": "5/5m",
    "RATE_LOGIN_PER_ADDRESS": "8/m",
    "RATE_REGISTER_PER_ADDRESS": "3/h",
    "RATE_REGISTER_PER_USERNAME": "2/h",
    "RATE_PUSHER_AUTH_PER_USER": "2/m",
    "RATE_SENTIMENT_PREVIEW_PER_USER": "3/m",
    "RATE_MARK_READ_PER_USER": "3/m",
    "RATE_SET_TYPING_PER_USER": "3/m",
    "RATE_EDIT_MESSAGE_PER_USER": "3/m",
    "RATE_DELETE_MESSAGE_PER_USER": "2/m",
    "RATE_REACT_PER_USER": "3/m",
}
_addresses = (f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))


def new_address() -> str:
    return next(_addresses)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    token: str


@dataclass
class Cluster:
    a: Server
    b: Server
    http: httpx.AsyncClient

    async def call(
        self,
        server: Server,
        query: str,
        variables: dict[str, Any],
        *,
        token: str | None = None,
        address: str | None = None,
    ) -> dict[str, Any]:
        headers = {"X-Forwarded-For": address or new_address()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            f"{server.http_url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def register(self, name: str, address: str | None = None) -> User:
        username = f"{name}{uuid.uuid4().hex[:6]}"
        body = await self.call(
            self.a,
            REGISTER,
            {"username": username, "password": PASSWORD},
            address=address,
        )
        payload = body["data"]["register"]
        return User(payload["user"]["id"], username, payload["token"])


def rate_limited(body: dict[str, Any], message: str) -> int:
    """The `retryAfter` of a RATE_LIMITED refusal saying `message`."""
    assert body["data"] is None, body
    [error] = body["errors"]
    retry_after = error["extensions"]["retryAfter"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert error["message"] == f"{message} Try again in {retry_after} s."
    assert isinstance(retry_after, int)
    return retry_after


@pytest.fixture(scope="module")
def servers(
    cluster_env: dict[str, str],
    pusher: FakePusher,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server]]:
    env = {**cluster_env, **pusher.env(), **LIMITS}
    logs = tmp_path_factory.mktemp("limits")
    with (
        Server(env, logs / "a.log", PROXIED) as a,
        Server(env, logs / "b.log", PROXIED) as b,
    ):
        yield a, b


@pytest.fixture
async def cluster(servers: tuple[Server, Server]) -> AsyncIterator[Cluster]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield Cluster(*servers, http)


async def test_sends_past_the_rate_are_refused_with_when_to_retry(
    cluster: Cluster,
) -> None:
    alice, bob = await cluster.register("alice"), await cluster.register("bob")
    opened = await cluster.call(
        cluster.a, REQUEST_CHAT, {"toUser": bob.id}, token=alice.token
    )
    channel = opened["data"]["requestChat"]["channelName"]

    def send(server: Server, sender: User, text: str) -> Any:
        variables = {"channel": channel, "message": text}
        return cluster.call(server, SEND, variables, token=sender.token)

    for server, text in ((cluster.a, "one"), (cluster.b, "two"), (cluster.a, "three")):
        assert "errors" not in await send(server, alice, text)
    refused = await send(cluster.b, alice, "four")
    assert 1 <= rate_limited(refused, "You are sending messages too fast.") <= 20
    assert "errors" not in await send(cluster.a, bob, "bob is not limited by alice")
    history = await cluster.call(
        cluster.a,
        "query($c: String!) { messages(channel: $c) { message } }",
        {"c": channel},
        token=bob.token,
    )
    texts = [item["message"] for item in history["data"]["messages"]]
    assert texts == ["one", "two", "three", "bob is not limited by alice"]


async def test_sentiment_previews_past_the_rate_are_refused(cluster: Cluster) -> None:
    alice, bob = await cluster.register("alice"), await cluster.register("bob")
    query = "query($t: String!) { sentimentPreview(text: $t) { label } }"

    def preview(server: Server, user: User) -> Any:
        return cluster.call(server, query, {"t": "so happy"}, token=user.token)

    for server in (cluster.a, cluster.b, cluster.a):
        answer = await preview(server, alice)
        assert answer["data"]["sentimentPreview"]["label"] == "POSITIVE"
    refused = await preview(cluster.b, alice)
    assert (
        1
        <= rate_limited(refused, "You are asking for sentiment previews too fast.")
        <= 20
    )
    assert "errors" not in await preview(cluster.a, bob)


async def test_marking_read_and_typing_past_their_rates_are_refused(
    cluster: Cluster,
) -> None:
    alice, bob = await cluster.register("alice"), await cluster.register("bob")
    opened = await cluster.call(
        cluster.a, REQUEST_CHAT, {"toUser": bob.id}, token=alice.token
    )
    channel = opened["data"]["requestChat"]["channelName"]
    for text in ("one", "two", "three"):
        sent = await cluster.call(
            cluster.a, SEND, {"channel": channel, "message": text}, token=alice.token
        )
        assert "errors" not in sent
    mark = """
    mutation($c: String!, $s: Int!) { markRead(channel: $c, seq: $s) { lastReadSeq } }
    """
    typing = "mutation($c: String!) { setTyping(channel: $c) }"

    for server, seq in ((cluster.a, 1), (cluster.b, 2), (cluster.a, 2)):
        read = await cluster.call(
            server, mark, {"c": channel, "s": seq}, token=bob.token
        )
        assert read["data"]["markRead"]["lastReadSeq"] == seq
    refused = await cluster.call(
        cluster.b, mark, {"c": channel, "s": 3}, token=bob.token
    )
    for server in (cluster.a, cluster.b, cluster.a):
        said = await cluster.call(server, typing, {"c": channel}, token=bob.token)
        assert said["data"]["setTyping"] is True
    too_chatty = await cluster.call(cluster.b, typing, {"c": channel}, token=bob.token)
    chats = await cluster.call(
        cluster.a, "query { chats { lastReadSeq } }", {}, token=bob.token
    )

    assert 1 <= rate_limited(refused, "You are marking messages read too fast.") <= 20
    assert (
        1 <= rate_limited(too_chatty, "You are sending typing notices too fast.") <= 20
    )
    # The refused markRead moved nothing; alice is not limited by bob.
    assert chats["data"]["chats"] == [{"lastReadSeq": 2}]
    said = await cluster.call(cluster.a, typing, {"c": channel}, token=alice.token)
    assert said["data"]["setTyping"] is True


async def test_edits_deletions_and_reactions_past_their_rates_are_refused(
    cluster: Cluster,
) -> None:
    alice, bob = await cluster.register("alice"), await cluster.register("bob")
    opened = await cluster.call(
        cluster.a, REQUEST_CHAT, {"toUser": bob.id}, token=alice.token
    )
    channel = opened["data"]["requestChat"]["channelName"]
    ids = []
    for text in ("one", "two", "three"):
        sent = await cluster.call(
            cluster.a, SEND, {"channel": channel, "message": text}, token=alice.token
        )
        ids.append(sent["data"]["sendMessage"]["id"])
    edit = (
        "mutation($id: ID!, $m: String!) { editMessage(id: $id, message: $m) { id } }"
    )
    delete = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
    react = "mutation($id: ID!, $e: String!) { react(id: $id, emoji: $e) { id } }"
    servers = (cluster.a, cluster.b, cluster.a, cluster.b)

    edits = [
        await cluster.call(
            server, edit, {"id": ids[0], "m": f"edit {n}"}, token=alice.token
        )
        for n, server in enumerate(servers)
    ]
    deletions = [
        await cluster.call(server, delete, {"id": ids[n]}, token=alice.token)
        for n, server in enumerate(servers[:3])
    ]
    reactions = [
        await cluster.call(server, react, {"id": ids[2], "e": e}, token=bob.token)
        for server, e in zip(servers, ("👍", "❤️", "😂", "😮"), strict=True)
    ]
    history = await cluster.call(
        cluster.b,
        "query($c: String!) { messages(channel: $c) { message reactions { emoji } } }",
        {"c": channel},
        token=bob.token,
    )

    assert ["errors" in body for body in edits] == [False] * 3 + [True]
    assert 1 <= rate_limited(edits[3], "You are editing messages too fast.") <= 60
    assert ["errors" in body for body in deletions] == [False, False, True]
    assert 1 <= rate_limited(deletions[2], "You are deleting messages too fast.") <= 60
    assert ["errors" in body for body in reactions] == [False] * 3 + [True]
    assert 1 <= rate_limited(reactions[3], "You are reacting too fast.") <= 60
    # Each refusal changed nothing.
    assert history["data"]["messages"] == [
        {"message": "", "reactions": []},
        {"message": "", "reactions": []},
        {
            "message": "three",
            "reactions": [{"emoji": "👍"}, {"emoji": "❤️"}, {"emoji": "😂"}],
        },
    ]


async def test_opening_chats_past_the_rate_is_refused(cluster: Cluster) -> None:
    alice = await cluster.register("alice")
    others = [await cluster.register(f"friend{n}") for n in range(3)]
    answers = [
        await cluster.call(
            server, REQUEST_CHAT, {"toUser": other.id}, token=alice.token
        )
        for server, other in zip((cluster.a, cluster.b, cluster.a), others, strict=True)
    ]
    assert ["errors" in answer for answer in answers] == [False, False, True]
    rate_limited(answers[2], "You are opening chats too fast.")


async def test_a_username_under_attack_is_locked_out_wherever_it_is_tried_from(
    cluster: Cluster,
) -> None:
    victim, bystander = (
        await cluster.register("victim"),
        await cluster.register("other"),
    )
    for server in (cluster.a, cluster.b) * 2 + (cluster.a,):
        wrong = {"username": victim.username, "password": "guess guess guess"}
        body = await cluster.call(server, LOGIN, wrong)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    right = {"username": victim.username, "password": PASSWORD}
    locked = await cluster.call(cluster.b, LOGIN, right)
    assert rate_limited(locked, "Too many sign-in attempts for this username.") > 1
    upper = {"username": victim.username.upper(), "password": PASSWORD}
    rate_limited(
        await cluster.call(cluster.a, LOGIN, upper),
        "Too many sign-in attempts for this username.",
    )
    fine = {"username": bystander.username, "password": PASSWORD}
    assert "errors" not in await cluster.call(cluster.a, LOGIN, fine)


async def test_one_address_trying_many_usernames_is_refused(cluster: Cluster) -> None:
    address = new_address()
    for number in range(8):
        guess = {"username": f"nobody{number}", "password": PASSWORD}
        body = await cluster.call(
            (cluster.a, cluster.b)[number % 2], LOGIN, guess, address=address
        )
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refused = await cluster.call(
        cluster.a, LOGIN, {"username": "nobody9", "password": PASSWORD}, address=address
    )
    rate_limited(refused, "Too many sign-in attempts from your address.")
    elsewhere = await cluster.call(
        cluster.a, LOGIN, {"username": "nobody9", "password": PASSWORD}
    )
    assert elsewhere["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_one_address_registering_past_the_rate_is_refused(
    cluster: Cluster,
) -> None:
    address = new_address()
    for name in ("first", "second", "third"):
        await cluster.register(name, address)
    username = f"fourth{uuid.uuid4().hex[:6]}"
    refused = await cluster.call(
        cluster.b,
        REGISTER,
        {"username": username, "password": PASSWORD},
        address=address,
    )
    rate_limited(refused, "Too many registrations from your address.")
    login = await cluster.call(
        cluster.a, LOGIN, {"username": username, "password": PASSWORD}
    )
    assert login["errors"][0]["message"] == "Wrong username or password."


async def test_one_username_registered_again_and_again_is_refused(
    cluster: Cluster,
) -> None:
    taken = await cluster.register("taken")  # the first of two attempts allowed
    again = {"username": taken.username, "password": PASSWORD}
    second = await cluster.call(cluster.a, REGISTER, again)
    assert second["errors"][0]["message"] == "That username is taken."
    third = await cluster.call(cluster.b, REGISTER, again)
    rate_limited(third, "Too many attempts to register this username.")


async def test_pusher_auth_past_the_rate_is_429_with_retry_after(
    cluster: Cluster,
) -> None:
    user = await cluster.register("pusher")
    channel = f"private-notification_user_{user.id}"
    statuses = []
    for server in (cluster.a, cluster.b, cluster.a):
        response = await cluster.http.post(
            f"{server.http_url}/pusher/auth",
            data={"socket_id": "1.2", "channel_name": channel},
            headers={"Authorization": f"Bearer {user.token}"},
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 30
    assert response.json() == {
        "error": f"Too many channel authorizations. Try again in {retry_after} s."
    }


def test_no_refusal_was_logged_as_a_fault(servers: tuple[Server, Server]) -> None:
    for server in servers:
        assert not re.search(r"Traceback|\bERROR\b", server.log()), server.log()
