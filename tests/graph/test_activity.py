"""Typing and presence: live, shown to chat members only, and never stored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Base
from graph.platform.settings import Settings
from graph.realtime.presence import CHANGE_BATCH, Presence, RedisPresence
from graph.services import Services, open_services
from tests.support.api import Account, Api
from tests.support.services import empty_tables, forget_presence
from tests.support.waiting import wait_until

ACTIVITY = """
subscription Activity($channel: String!) {
  chatActivity(channel: $channel) {
    __typename
    ... on Typing { channel user { id username } typing }
    ... on ReadReceipt { seq }
  }
}"""
SET_TYPING = """
mutation Typing($channel: String!, $typing: Boolean!) {
  setTyping(channel: $channel, typing: $typing)
}"""
PRESENCE = "subscription { presence { user { id username } online lastSeenAt } }"
USERS = "query { users { id username online lastSeenAt } }"
ME = "query { me { id online } }"
PEERS = "query { chats { toUser { id online } fromUser { id online } } }"

TYPING_TTL = 0.5


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Typing that lapses in half a second, so a test sees it end."""
    await empty_tables(settings.database_url)
    await forget_presence(settings.broadcast_url, settings.broadcast_prefix)
    quick = settings.model_copy(update={"typing_ttl_seconds": TYPING_TTL})
    async with open_services(quick) as opened:
        yield opened


async def typing(api: Api, who: Account, channel: str, on: bool = True) -> Any:
    variables = {"channel": channel, "typing": on}
    return (await api.data(SET_TYPING, variables, who.token))["setTyping"]


async def row_counts(api: Api) -> dict[str, int]:
    async with api.services.accounts._sessions() as session:
        return {
            table.name: int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
            for table in Base.metadata.sorted_tables
        }


async def test_typing_reaches_the_other_member_and_lapses_by_itself(api: Api) -> None:
    alice, bob, channel = await api.pair()

    async with (
        api.subscribe(ACTIVITY, {"channel": channel}, bob.token) as bobs,
        api.subscribe(ACTIVITY, {"channel": channel}, alice.token) as alices,
    ):
        assert await typing(api, alice, channel) is True
        started = await bobs.message()
        # Renewed before it lapses: still one "typing", no flicker.
        await typing(api, alice, channel)
        ended = await bobs.message(timeout=5 * TYPING_TTL)

        assert started == {
            "__typename": "Typing",
            "channel": channel,
            "user": {"id": alice.id, "username": alice.username},
            "typing": True,
        }
        assert ended["typing"] is False
        # The typist does not hear her own typing.
        assert alices.pending() == 0


async def test_typing_false_ends_it_at_once(api: Api) -> None:
    alice, bob, channel = await api.pair()

    async with api.subscribe(ACTIVITY, {"channel": channel}, bob.token) as bobs:
        await typing(api, alice, channel)
        await bobs.message()
        await typing(api, alice, channel, on=False)
        ended = await bobs.message(timeout=TYPING_TTL / 2)
        # A false with nothing to end is not repeated.
        await typing(api, alice, channel, on=False)
        await api.send(alice, channel, "done")
        await typing(api, alice, channel)
        again = await bobs.message()

    assert ended["typing"] is False
    assert again["typing"] is True


async def test_typing_is_for_members_of_an_existing_chat_only(api: Api) -> None:
    alice, _bob, channel = await api.pair()
    eve = await api.register("eve")
    missing = f"private-chat_{alice.id}_{eve.id}"

    forbidden = await api.refusal(
        SET_TYPING, {"channel": channel, "typing": True}, eve.token
    )
    not_found = await api.refusal(
        SET_TYPING, {"channel": missing, "typing": True}, eve.token
    )
    malformed = await api.refusal(
        SET_TYPING, {"channel": "private-chat_x", "typing": True}, alice.token
    )

    assert forbidden[0] == "FORBIDDEN"
    assert not_found[0] == "NOT_FOUND"
    assert malformed[0] == "BAD_USER_INPUT"


async def test_presence_is_shown_to_chat_peers_and_to_nobody_else(api: Api) -> None:
    alice, bob, _ = await api.pair()
    eve = await api.register("eve")
    presence = api.services.presence

    await presence.connect(int(alice.id))
    seen_by_bob = {
        u["id"]: u for u in (await api.data(USERS, token=bob.token))["users"]
    }
    seen_by_eve = {
        u["id"]: u for u in (await api.data(USERS, token=eve.token))["users"]
    }
    me = (await api.data(ME, token=alice.token))["me"]
    await presence.disconnect(int(alice.id))
    later = {u["id"]: u for u in (await api.data(USERS, token=bob.token))["users"]}

    assert seen_by_bob[alice.id]["online"] is True
    assert seen_by_bob[alice.id]["lastSeenAt"] is not None
    assert seen_by_eve[alice.id]["online"] is None
    assert seen_by_eve[alice.id]["lastSeenAt"] is None
    assert me["online"] is True
    assert later[alice.id]["online"] is False
    assert later[alice.id]["lastSeenAt"] is not None
    assert seen_by_bob[eve.id]["online"] is None


async def test_online_lasts_while_any_socket_of_the_user_is_open(api: Api) -> None:
    alice, bob, _ = await api.pair()
    presence = api.services.presence

    async def alice_online() -> bool | None:
        chat = (await api.data(PEERS, token=bob.token))["chats"][0]
        online: bool | None = chat["fromUser"]["online"]
        return online

    assert await alice_online() is False
    await presence.connect(int(alice.id))
    await presence.connect(int(alice.id))
    await presence.disconnect(int(alice.id))
    still = await alice_online()
    await presence.disconnect(int(alice.id))

    assert still is True
    assert await alice_online() is False


async def test_the_presence_stream_carries_peers_only(api: Api) -> None:
    alice, bob, _ = await api.pair()
    eve, carol = await api.register("eve"), await api.register("carol")
    presence = api.services.presence

    hub = api.services.bus.hub
    before = hub.subscriber_count()
    async with api.subscribe(PRESENCE, None, bob.token) as bobs:
        # Following: bob's own chats, and alice, his one peer.
        await wait_until(lambda: hub.subscriber_count() == before + 2)
        await presence.connect(int(eve.id))  # a stranger: not for bob
        await presence.connect(int(alice.id))
        online = await bobs.message()
        await presence.disconnect(int(alice.id))
        offline = await bobs.message()
        # A chat opened after subscribing: its peer is followed from then on.
        await api.open_chat(carol, bob)
        carol_now = await bobs.message()
        await presence.connect(int(carol.id))
        carol_online = await bobs.message()
        await presence.disconnect(int(carol.id))
        await bobs.message()
        await presence.disconnect(int(eve.id))

        assert bobs.pending() == 0
    assert (online["user"]["id"], online["online"]) == (alice.id, True)
    assert (offline["user"]["id"], offline["online"]) == (alice.id, False)
    assert offline["lastSeenAt"] is not None
    assert (carol_now["user"]["id"], carol_now["online"]) == (carol.id, False)
    assert (carol_online["user"]["id"], carol_online["online"]) == (carol.id, True)


async def test_no_typing_or_presence_is_ever_written_to_the_database(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    before = await row_counts(api)

    async with api.subscribe(ACTIVITY, {"channel": channel}, bob.token) as bobs:
        await api.services.presence.connect(int(alice.id))
        for _ in range(5):
            await typing(api, alice, channel)
        await bobs.message()
        await asyncio.wait_for(bobs.message(timeout=5 * TYPING_TTL), 10)
        await api.services.presence.disconnect(int(alice.id))
    await api.data(USERS, token=bob.token)

    assert await row_counts(api) == before


async def test_signing_up_shows_the_callers_own_presence(api: Api) -> None:
    query = """
    mutation { register(username: "zoe", password: "correct horse battery") {
      user { username online lastSeenAt } } }"""

    user = (await api.data(query))["register"]["user"]

    assert user == {"username": "zoe", "online": False, "lastSeenAt": None}


async def test_hundreds_of_sockets_opening_and_closing_at_once_are_all_counted(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """A reconnect storm, then the evening ending: each socket's presence is
    written, then unwritten, none refused or given up on. redis-py's own pool
    refused past 100 at once; one script a socket, 3,000 waited on the pool
    past the timeout and stayed online until the sweep."""
    presence = api.services.presence
    users = range(900_001, 903_001)  # ids of no account: presence is not stored
    caplog.set_level(logging.WARNING)
    scripts = _count_change_scripts(api.services.bus.presence)

    await asyncio.gather(*(presence.connect(user) for user in users))
    online = await presence.states(None, users, peers=users)
    await asyncio.gather(*(presence.disconnect(user) for user in users))
    offline = await presence.states(None, users, peers=users)

    assert all(state is not None and state.online for state in online.values())
    assert len(online) == len(users)
    assert not any(state is not None and state.online for state in offline.values())
    assert [r.getMessage() for r in caplog.records] == []
    if isinstance(api.services.bus.presence, RedisPresence):
        # Written together: a few scripts, not one a socket.
        assert 0 < len(scripts) <= 2 * len(users) // CHANGE_BATCH + 4


def _count_change_scripts(backend: Presence) -> list[int]:
    """The number of changes in each `_CHANGES` script RedisPresence runs."""
    sizes: list[int] = []
    if isinstance(backend, RedisPresence):
        script = backend._changes

        async def counted(*, keys: Any, args: Any) -> Any:
            sizes.append((len(args) - 4) // 2)
            return await script(keys=keys, args=args)

        backend._changes = counted  # type: ignore[assignment]
    return sizes
