"""Edits, deletions and reactions on two processes sharing PostgreSQL and Redis:
each reaches the other member once, a member who was away catches up with the
final state of each changed message, and a Redis restart loses none."""

from __future__ import annotations

import asyncio
import random
from contextlib import AsyncExitStack
from typing import Any

from tests.e2e.conftest import eventually_reports
from tests.support.api import (
    DELETE,
    EDIT,
    MESSAGE_CHANGES,
    MESSAGE_FIELDS,
    REACT,
    Account,
)
from tests.support.figures import record
from tests.support.redis_server import RedisServer
from tests.support.remote import (
    chat_pair,
    graphql,
    open_chat,
    register,
    unique,
)
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket

SEND = f"""
mutation Send($channel: String!, $message: String!) {{
  sendMessage(channel: $channel, message: $message) {{ {MESSAGE_FIELDS} }}
}}"""
HISTORY = f"""
query History($channel: String!) {{
  messages(channel: $channel, last: 200) {{ {MESSAGE_FIELDS} }}
}}"""
LAST_VERSION = "query { chats { channelName lastVersion } }"
EMOJI = ("👍", "❤️", "😂", "😮", "😢", "🙏")


async def data(server: Server, query: str, token: str, **variables: Any) -> Any:
    body = await graphql(server, query, variables, token)
    assert "errors" not in body, body
    return body["data"]


async def send(server: Server, who: Account, channel: str, text: str) -> Any:
    return (await data(server, SEND, who.token, channel=channel, message=text))[
        "sendMessage"
    ]


async def history(server: Server, who: Account, channel: str) -> list[Any]:
    messages: list[Any] = (await data(server, HISTORY, who.token, channel=channel))[
        "messages"
    ]
    return messages


async def last_version(server: Server, who: Account, channel: str) -> int:
    chats = (await data(server, LAST_VERSION, who.token))["chats"]
    (version,) = [c["lastVersion"] for c in chats if c["channelName"] == channel]
    return int(version)


class Changes:
    """A member's `messageChanges` subscription over a WebSocket."""

    def __init__(self, ws: GraphQLWebSocket) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls,
        stack: AsyncExitStack,
        server: Server,
        who: Account,
        channel: str,
        after_version: int | None = None,
    ) -> Changes:
        ws = await stack.enter_async_context(GraphQLWebSocket(server.ws_url))
        await ws.init(who.token)
        variables: dict[str, Any] = {"channel": channel}
        if after_version is not None:
            variables["afterVersion"] = after_version
        await ws.subscribe("changes", MESSAGE_CHANGES, variables)
        return cls(ws)

    async def until_version(self, version: int, timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while not self.received or self.received[-1]["version"] < version:
                data = await self.ws.next_data("changes", timeout)
                self.received.append(data["messageChanges"])

    def versions(self) -> list[int]:
        return [m["version"] for m in self.received]


def final_states(messages: list[Any], after_version: int) -> list[Any]:
    """The messages changed after `after_version`, as they are, in version order."""
    return sorted(
        (m for m in messages if m["version"] > after_version),
        key=lambda m: m["version"],
    )


async def test_every_change_reaches_the_other_member_once_across_processes(
    cluster: tuple[Server, Server],
) -> None:
    a, b = cluster
    alice, bob, channel = await chat_pair(a)
    first = await send(a, alice, channel, "I love this, it is wonderful!")
    async with AsyncExitStack() as stack:
        bobs = await Changes.open(stack, b, bob, channel)
        alices = await Changes.open(stack, a, alice, channel)
        second = await send(b, bob, channel, "and hello from bob")
        await data(a, EDIT, alice.token, id=first["id"], message="This is awful.")
        await data(b, REACT, bob.token, id=first["id"], emoji="👍")
        await data(a, REACT, alice.token, id=second["id"], emoji="❤")
        await data(a, DELETE, alice.token, id=first["id"])
        head = await last_version(a, alice, channel)
        assert head == 6

        for changes in (bobs, alices):
            await changes.until_version(head)
            # 2 was a send: newMessage's, not a change.
            assert changes.versions() == [3, 4, 5, 6]
        # What each saw last of each message is what the database holds.
        seen = {m["id"]: m for m in bobs.received}
        assert sorted(seen.values(), key=lambda m: m["seq"]) == await history(
            b, bob, channel
        )
        deleted = seen[first["id"]]
        assert deleted["message"] == ""
        assert deleted["sentiment"] is None
        assert seen[second["id"]]["reactions"] == [
            {"emoji": "❤️", "count": 1, "mine": False}
        ]
        # Nothing more came: the next event is the next change.
        await data(b, EDIT, bob.token, id=second["id"], message="sentinel")
        await bobs.until_version(7)
        assert bobs.versions() == [3, 4, 5, 6, 7]


async def _mixed_changes(
    servers: tuple[Server, Server],
    alice: Account,
    bob: Account,
    messages: list[Any],
    count: int,
    head: int,
) -> None:
    """`count` changes that each change something (edits, deletions, reactions
    put on and taken off), by both members on both processes, in turn; each
    takes the chat's next version."""
    rng = random.Random(20)
    deleted: set[str] = set()
    reactions: set[tuple[str, str, str]] = set()  # message, member, emoji
    for n in range(count):
        server = servers[n % 2]
        message = rng.choice([m for m in messages if m["id"] not in deleted])
        sender = alice if message["fromUser"]["id"] == alice.id else bob
        kind = rng.choices(("edit", "react", "delete"), weights=(4, 5, 1))[0]
        if kind == "edit":
            variables = {"id": message["id"], "message": f"edit {n}"}
            body = await graphql(server, EDIT, variables, sender.token)
        elif kind == "delete":
            deleted.add(message["id"])
            body = await graphql(server, DELETE, {"id": message["id"]}, sender.token)
        else:
            who = rng.choice((alice, bob))
            emoji = rng.choice(EMOJI[:3])
            key = (message["id"], who.id, emoji)
            on = key not in reactions
            reactions.symmetric_difference_update({key})
            variables = {"id": message["id"], "emoji": emoji, "on": on}
            body = await graphql(server, REACT, variables, who.token)
        assert "errors" not in body, body
        (changed,) = body["data"].values()
        head += 1
        assert changed["version"] == head, (kind, changed)


async def test_a_member_away_during_50_changes_gets_each_final_state_once(
    cluster: tuple[Server, Server],
) -> None:
    a, b = cluster
    alice, bob, channel = await chat_pair(a)
    messages = [
        await send(a if n % 2 else b, alice if n % 2 else bob, channel, f"msg {n}")
        for n in range(12)
    ]
    held = await last_version(b, bob, channel)
    assert held == 12

    await _mixed_changes((a, b), alice, bob, messages, 50, head=held)

    async with AsyncExitStack() as stack:
        head = await last_version(a, alice, channel)
        bobs = await Changes.open(stack, b, bob, channel, after_version=held)
        await bobs.until_version(head)
        expected = final_states(await history(b, bob, channel), held)
        assert bobs.received == expected
        assert len({m["id"] for m in bobs.received}) == len(bobs.received)
        # And nothing after it but the next change (a send is none).
        sentinel = await send(a, alice, channel, "sentinel")
        await data(a, EDIT, alice.token, id=sentinel["id"], message="edited")
        await bobs.until_version(head + 2)
        assert len(bobs.received) == len(expected) + 1
        assert bobs.received[-1]["message"] == "edited"
    record("changes while away", changes=50, messages_changed=len(expected))
    assert head - held == 50


async def test_concurrent_reactions_on_two_processes_all_count(
    cluster: tuple[Server, Server],
) -> None:
    a, b = cluster
    alice, bob, channel = await chat_pair(a)
    message = await send(a, alice, channel, "react to me")

    async def react(server: Server, who: Account, emoji: str) -> None:
        await data(server, REACT, who.token, id=message["id"], emoji=emoji)

    await asyncio.gather(
        *(react(a, alice, e) for e in EMOJI), *(react(b, bob, e) for e in EMOJI)
    )

    (seen,) = await history(a, alice, channel)
    assert sorted(r["emoji"] for r in seen["reactions"]) == sorted(EMOJI)
    assert {(r["count"], r["mine"]) for r in seen["reactions"]} == {(2, True)}
    assert seen["version"] == 1 + 2 * len(EMOJI)


async def test_a_redis_restart_mid_stream_loses_no_change(
    outage: tuple[RedisServer, Server, Server, str],
) -> None:
    redis, a, b, _ = outage
    alice, bob = await register(a, unique("alice")), await register(b, unique("bob"))
    channel = await open_chat(a, alice, bob)
    messages = [await send(a, alice, channel, f"msg {n}") for n in range(6)]
    async with AsyncExitStack() as stack:
        bobs = await Changes.open(stack, b, bob, channel, after_version=6)

        async def change(phase: str) -> None:
            for n, message in enumerate(messages):
                text = f"{phase} edit {n}"
                await data(a, EDIT, alice.token, id=message["id"], message=text)
                emoji = EMOJI[n % len(EMOJI)]
                await data(
                    b,
                    REACT,
                    bob.token,
                    id=message["id"],
                    emoji=emoji,
                    on=phase != "during",
                )

        await change("before")
        await bobs.until_version(await last_version(a, alice, channel))

        redis.stop()
        for server in (a, b):
            await eventually_reports(server, "unreachable")
        await change("during")  # committed; the publishes fail
        redis.start()
        head = await last_version(a, alice, channel)
        await bobs.until_version(head, timeout=30)
        for server in (a, b):
            await eventually_reports(server, "ok")

        await change("after")
        head = await last_version(a, alice, channel)
        await bobs.until_version(head)

        versions = bobs.versions()
        assert versions == sorted(set(versions))  # in order, none twice
        latest = {m["id"]: m for m in bobs.received}
        assert sorted(latest.values(), key=lambda m: m["seq"]) == await history(
            b, bob, channel
        )
        assert all(m["message"].startswith("after edit") for m in latest.values())
    for server in (a, b):
        assert "Traceback" not in server.log()
