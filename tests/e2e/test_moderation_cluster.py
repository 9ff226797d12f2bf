"""A suspension on two processes sharing PostgreSQL and Redis: every socket
of the suspended user closes at once on both, their token is refused on every
path of both, and the command line's unsuspend lets them back in on both."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import LOGIN, NEW_MESSAGE, PASSWORD, Account
from tests.support.fake_pusher import FakePusher
from tests.support.figures import record
from tests.support.moderation import command, make_server_moderator, server_settings
from tests.support.remote import (
    chat_pair,
    data,
    graphql,
    pusher_answer,
    pusher_auth,
    refusal,
    send,
)
from tests.support.server import Server
from tests.support.waiting import eventually
from tests.support.wsclient import GraphQLWebSocket

SUSPENDED = "This account is suspended."
SUSPENDED_CLOSE = 4403
ME = "{ me { id } }"
REPORT = """
mutation($id: ID!) { reportMessage(id: $id, reason: HARASSMENT) { id } }"""
RESOLVE = """
mutation($id: ID!, $action: ModerationAction!) {
  resolveReport(id: $id, action: $action) { status action }
}"""
HISTORY = "query($c: String!) { messages(channel: $c) { id } }"


@pytest.fixture(scope="module")
def servers(
    cluster_env: dict[str, str],
    pusher: FakePusher,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server]]:
    logs = tmp_path_factory.mktemp("moderation")
    env = {**cluster_env, **pusher.env()}
    with Server(env, logs / "a.log") as a, Server(env, logs / "b.log") as b:
        yield a, b


async def listening(server: Server, who: Account, channel: str) -> GraphQLWebSocket:
    """A socket of `who` with a live subscription, its replay received."""
    ws = await GraphQLWebSocket(server.ws_url).open()
    await ws.init(who.token)
    await ws.subscribe("live", NEW_MESSAGE, {"channel": channel, "afterSeq": 0})
    assert (await ws.next_data("live"))["newMessage"]["seq"] == 1
    return ws


async def reported(a: Server) -> tuple[Any, ...]:
    """Alice wrote to Bob, who reported it; a moderator to judge it."""
    alice, bob, channel = await chat_pair(a)
    await send(a, alice, channel, "You are worthless.")
    (message,) = (await data(a, HISTORY, bob.token, c=channel))["messages"]
    report = (await data(a, REPORT, bob.token, id=message["id"]))["reportMessage"]
    return alice, bob, channel, report["id"], await make_server_moderator(a)


async def test_a_suspended_users_sockets_close_on_both_processes_at_once(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    alice, bob, channel, report_id, moderator = await reported(a)
    sockets = [await listening(server, alice, channel) for server in (a, a, b, b)]
    bobs = await listening(b, bob, channel)

    started = time.monotonic()
    resolved = await data(
        b, RESOLVE, moderator.token, id=report_id, action="SUSPEND_SENDER"
    )
    codes = await asyncio.gather(*(ws.closed_with(timeout=1.0) for ws in sockets))
    elapsed = time.monotonic() - started

    assert resolved["resolveReport"] == {
        "status": "RESOLVED",
        "action": "SUSPEND_SENDER",
    }
    assert codes == [SUSPENDED_CLOSE] * 4
    assert {ws.socket.close_reason for ws in sockets} == {SUSPENDED}
    # Within the second each close was awaited for; the time is a figure.
    record("suspension_closes_sockets", seconds=round(elapsed, 3), sockets=4)
    # Bob's socket is his own: it stays open and hears the chat.
    await send(a, bob, channel, "still here")
    assert (await bobs.next_data("live"))["newMessage"]["seq"] == 2
    await bobs.socket.close()


async def test_a_suspended_users_token_is_refused_on_every_path_of_both(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    alice, _, channel, report_id, moderator = await reported(a)
    await data(a, RESOLVE, moderator.token, id=report_id, action="SUSPEND_SENDER")
    credentials = {"username": alice.username, "password": PASSWORD}

    # Refused at once on the process that suspended (applied at its commit),
    # and within a second on the other (the broadcaster's event).
    assert await refusal(a, ME, alice.token) == ("UNAUTHENTICATED", SUSPENDED)

    async def refused_by_b() -> bool:
        return "errors" in await graphql(b, ME, None, alice.token)

    await eventually(refused_by_b, timeout=1.0, every=0.01)
    for server in (a, b):
        assert await refusal(server, ME, alice.token) == ("UNAUTHENTICATED", SUSPENDED)
        assert await refusal(server, LOGIN, None, **credentials) == (
            "FORBIDDEN",
            SUSPENDED,
        )
        async with GraphQLWebSocket(server.ws_url) as ws:
            await ws.send(
                {
                    "type": "connection_init",
                    "payload": {"authorization": f"Bearer {alice.token}"},
                }
            )
            assert await ws.closed_with() == SUSPENDED_CLOSE
        answer = await pusher_answer(server, alice.token, channel)
        assert (answer.status_code, answer.json()) == (401, {"error": SUSPENDED})


async def test_unsuspend_on_the_command_line_lets_them_back_in_on_both(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    alice, _, channel, report_id, moderator = await reported(a)
    await data(a, RESOLVE, moderator.token, id=report_id, action="SUSPEND_SENDER")

    unsuspend = ("users", "unsuspend", alice.username)
    assert await command(server_settings(a), *unsuspend) == 0

    credentials = {"username": alice.username, "password": PASSWORD}
    for server in (a, b):
        signed_in = await data(server, LOGIN, None, **credentials)
        assert signed_in["login"]["user"]["id"] == alice.id

        async def accepted(server: Server = server) -> bool:
            return "errors" not in await graphql(server, ME, None, alice.token)

        # The command's event reaches both at once; at worst, their next read.
        await eventually(accepted, timeout=3)
        assert await pusher_auth(server, alice.token, channel) == 200
        async with GraphQLWebSocket(server.ws_url) as ws:
            await ws.init(alice.token)


def test_no_process_logged_a_traceback(servers: tuple[Server, Server]) -> None:
    for server in servers:
        assert "Traceback" not in server.log()
