"""A subscription behaves the same on both of the server's paths.

The first subscription of a document text a process sees runs through
strawberry's `Schema.stream`, which parses and validates it into the document
cache; later ones run lean (`graph.api.transport.streams`). A client must not
tell them apart: the same events, the same refusals, the same endings.
"""

from __future__ import annotations

import uuid
from typing import Any

from graph.realtime import chat_channel
from tests.support.api import NEW_MESSAGE
from tests.support.remote import chat_pair, register, send, unique
from tests.support.server import Server
from tests.support.wsclient import GraphQLWebSocket


def new_document(query: str) -> str:
    """`query` as a text this process has never seen (the cache's key is the
    text; a comment changes it and nothing else)."""
    return f"{query}\n# {uuid.uuid4().hex}"


async def until_done(ws: GraphQLWebSocket, operation_id: str) -> list[dict[str, Any]]:
    """The operation's messages up to its `complete` or `error`, pings answered."""
    messages = []
    while True:
        message = await ws.receive()
        if message["type"] == "ping":
            await ws.send({"type": "pong"})
            continue
        assert message.get("id") == operation_id, message
        messages.append({k: v for k, v in message.items() if k != "id"})
        if message["type"] in ("complete", "error"):
            return messages


async def next_of_each(ws: GraphQLWebSocket, count: int) -> dict[str, dict[str, Any]]:
    """The next `next` of `count` operations, by id, in whatever order they came."""
    found: dict[str, dict[str, Any]] = {}
    while len(found) < count:
        message = await ws.receive()
        if message["type"] == "ping":
            await ws.send({"type": "pong"})
            continue
        assert message["type"] == "next", message
        assert message["id"] not in found, message
        found[message["id"]] = message["payload"]
    return found


async def test_both_paths_deliver_the_same_events_and_stop_on_complete(
    cluster: tuple[Server, Server],
) -> None:
    a, _ = cluster
    alice, bob, channel = await chat_pair(a)
    await send(a, alice, channel, "stored before")
    document = new_document(NEW_MESSAGE)
    variables = {"channel": channel, "afterSeq": 0}

    async with GraphQLWebSocket(a.ws_url) as ws:
        await ws.init(bob.token)
        await ws.subscribe("first", document, variables)  # strawberry's path
        await ws.subscribe("second", document, variables)  # the lean one
        # Attached, each, once it replayed the stored message.
        replayed = await next_of_each(ws, 2)
        await send(a, alice, channel, "to both, wonderful")
        live = await next_of_each(ws, 2)
        await ws.send({"id": "second", "type": "complete"})
        await send(a, alice, channel, "to the first only")
        after = await next_of_each(ws, 1)
        await ws.send({"id": "first", "type": "complete"})
        await ws.send({"type": "ping"})
        pong = await ws.receive()

    assert replayed["first"] == replayed["second"]
    assert replayed["first"]["data"]["newMessage"]["message"] == "stored before"
    assert live["first"] == live["second"]
    assert live["first"]["data"]["newMessage"]["message"] == "to both, wonderful"
    assert live["first"]["data"]["newMessage"]["sentiment"]["label"] == "POSITIVE"
    assert after["first"]["data"]["newMessage"]["message"] == "to the first only"
    # Nothing more came for either after it completed.
    assert pong == {"type": "pong"}


async def test_both_paths_refuse_alike(cluster: tuple[Server, Server]) -> None:
    a, _ = cluster
    alice, _, channel = await chat_pair(a)
    carol = await register(a, unique("carol"))
    no_chat_yet = chat_channel(int(alice.id), int(carol.id))
    cases: dict[str, dict[str, Any]] = {
        "not a member": {"channel": channel},
        "no chat yet": {"channel": no_chat_yet},
        "not a channel name": {"channel": no_chat_yet.replace("_", "-")},
        "negative seq": {"channel": channel, "afterSeq": -1},
        "seq past the head": {"channel": channel, "afterSeq": 99},
        "not an int": {"channel": channel, "afterSeq": "one"},
    }
    token = {"not a member": carol.token}
    seen: dict[str, list[list[dict[str, Any]]]] = {}
    for case, variables in cases.items():
        document = new_document(NEW_MESSAGE)
        async with GraphQLWebSocket(a.ws_url) as ws:
            await ws.init(token.get(case, alice.token))
            for path in ("first", "second"):
                await ws.subscribe(path, document, variables)
                seen.setdefault(case, []).append(await until_done(ws, path))

    for case, (first, second) in seen.items():
        assert first == second, case
        assert first[-1]["type"] in ("complete", "error"), case
        errors = first[0]["payload"]
        errors = errors if isinstance(errors, list) else errors["errors"]
        assert errors, case
        assert all(e["extensions"]["code"] for e in errors), case
