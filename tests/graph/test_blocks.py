"""Blocking a person: nothing new passes between a blocked pair, on any path,
and unblocking restores it all (in one process, on both databases; two
processes in tests/e2e/test_blocks_cluster.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from graph.domain.records import BlockRecord, ChatRecord, TypingRecord, UserRecord
from tests.support.api import Account, Api, message_count
from tests.support.waiting import wait_until

BLOCK = (
    "mutation Block($user: ID!) { blockUser(user: $user) { id username blockedByMe } }"
)
UNBLOCK = "mutation Unblock($user: ID!) { unblockUser(user: $user) { id blockedByMe } }"
BLOCKED = "query { blockedUsers { id username blockedByMe } }"
USERS = "query { users { id username blockedByMe online lastSeenAt } }"
CHATS = "query { chats { channelName toUser { id online } fromUser { id online } } }"
REQUEST = "mutation Request($to: ID!) { requestChat(toUser: $to) { channelName } }"
SEND = """
mutation Send($channel: String!, $message: String!) {
  sendMessage(channel: $channel, message: $message) { id seq message }
}"""
EDIT = """
mutation Edit($id: ID!, $message: String!) {
  editMessage(id: $id, message: $message) { id message }
}"""
REACT = 'mutation React($id: ID!) { react(id: $id, emoji: "👍") { id } }'
DELETE = "mutation Delete($id: ID!) { deleteMessage(id: $id) { id deletedAt } }"
TYPING = """
mutation Typing($channel: String!) { setTyping(channel: $channel, typing: true) }"""
MARK_READ = """
mutation Read($channel: String!, $seq: Int!) {
  markRead(channel: $channel, seq: $seq) { lastReadSeq }
}"""
NEW_MESSAGE = """
subscription New($channel: String!) {
  newMessage(channel: $channel) { seq message fromUser { id } }
}"""
CHANGES = """
subscription Changes($channel: String!) {
  messageChanges(channel: $channel) { seq message deletedAt }
}"""
ACTIVITY = """
subscription Activity($channel: String!) {
  chatActivity(channel: $channel) {
    __typename
    ... on Typing { user { id } typing }
    ... on ReadReceipt { user { id } seq }
  }
}"""
PRESENCE = "subscription { presence { user { id online } online lastSeenAt } }"

NOT_A_MEMBER = ("FORBIDDEN", "You are not a member of this chat.")
YOU_BLOCKED = (
    "FORBIDDEN",
    "You blocked this person: unblock them to write to them.",
)


async def block(api: Api, who: Account, whom: Account) -> dict[str, Any]:
    data = await api.data(BLOCK, {"user": whom.id}, who.token)
    blocked: dict[str, Any] = data["blockUser"]
    return blocked


async def unblock(api: Api, who: Account, whom: Account) -> dict[str, Any]:
    data = await api.data(UNBLOCK, {"user": whom.id}, who.token)
    unblocked: dict[str, Any] = data["unblockUser"]
    return unblocked


async def test_block_unblock_and_the_list_of_those_blocked(api: Api) -> None:
    alice, bob, _ = await api.pair()
    carol = await api.register("carol")

    blocked = await block(api, alice, bob)
    again = await block(api, alice, bob)  # twice is no error
    await block(api, alice, carol)
    listed = (await api.data(BLOCKED, token=alice.token))["blockedUsers"]
    users = (await api.data(USERS, token=alice.token))["users"]
    bobs_view = (await api.data(USERS, token=bob.token))["users"]
    unblocked = await unblock(api, alice, carol)
    after = (await api.data(BLOCKED, token=alice.token))["blockedUsers"]

    assert blocked == {"id": bob.id, "username": "bob", "blockedByMe": True}
    assert again == blocked
    assert [user["username"] for user in listed] == ["bob", "carol"]
    assert all(user["blockedByMe"] for user in listed)
    # Still listed for the blocker, marked, so she can unblock.
    assert {user["username"]: user["blockedByMe"] for user in users} == {
        "bob": True,
        "carol": True,
    }
    # Bob is not told.
    assert {user["username"]: user["blockedByMe"] for user in bobs_view} == {
        "alice": False,
        "carol": False,
    }
    assert unblocked == {"id": carol.id, "blockedByMe": False}
    assert [user["username"] for user in after] == ["bob"]


async def test_blocking_oneself_or_nobody_is_bad_input(api: Api) -> None:
    alice = await api.register("alice")

    refusals = [
        await api.refusal(BLOCK, {"user": alice.id}, alice.token),
        await api.refusal(BLOCK, {"user": "987654321"}, alice.token),
        await api.refusal(BLOCK, {"user": "not-an-id"}, alice.token),
        await api.refusal(UNBLOCK, {"user": "987654321"}, alice.token),
    ]
    unauthenticated = await api.refusal(BLOCK, {"user": alice.id})

    assert [code for code, _ in refusals] == ["BAD_USER_INPUT"] * 4
    assert refusals[0][1] == "You cannot block yourself."
    assert refusals[1][1] == "No such user."
    assert unauthenticated[0] == "UNAUTHENTICATED"
    assert (await api.data(BLOCKED, token=alice.token))["blockedUsers"] == []


async def test_a_blocked_pair_can_start_nothing_new(api: Api) -> None:
    alice, bob, channel = await api.pair()
    eve = await api.register("eve")
    sent = await api.send(bob, channel, "hello there")
    mine = await api.send(alice, channel, "hi bob")
    await block(api, alice, bob)
    stored = await message_count(api)

    # Bob's refusals read like those of a chat he may not use (Eve's).
    bob_send = await api.refusal(SEND, {"channel": channel, "message": "hi"}, bob.token)
    eve_send = await api.refusal(SEND, {"channel": channel, "message": "hi"}, eve.token)
    bob_typing = await api.refusal(TYPING, {"channel": channel}, bob.token)
    eve_typing = await api.refusal(TYPING, {"channel": channel}, eve.token)
    bob_edit = await api.refusal(
        EDIT, {"id": sent["id"], "message": "changed"}, bob.token
    )
    eve_edit = await api.refusal(
        EDIT, {"id": sent["id"], "message": "changed"}, eve.token
    )
    bob_react = await api.refusal(REACT, {"id": mine["id"]}, bob.token)
    bob_request = await api.refusal(REQUEST, {"to": alice.id}, bob.token)
    # Alice is told why.
    alice_send = await api.refusal(
        SEND, {"channel": channel, "message": "hi"}, alice.token
    )
    alice_react = await api.refusal(REACT, {"id": sent["id"]}, alice.token)
    alice_typing = await api.refusal(TYPING, {"channel": channel}, alice.token)
    alice_request = await api.refusal(REQUEST, {"to": bob.id}, alice.token)

    assert bob_send == eve_send == NOT_A_MEMBER
    assert bob_typing == eve_typing == NOT_A_MEMBER
    assert bob_edit == eve_edit == ("NOT_FOUND", "No such message.")
    assert bob_react == ("NOT_FOUND", "No such message.")
    assert bob_request == ("FORBIDDEN", "You cannot open a chat with this user.")
    assert alice_send == alice_react == alice_typing == alice_request == YOU_BLOCKED
    assert await message_count(api) == stored
    # History stays readable to both, as it was.
    assert [m["message"] for m in await api.history(bob, channel)] == [
        "hello there",
        "hi bob",
    ]
    assert [m["message"] for m in await api.history(alice, channel)] == [
        "hello there",
        "hi bob",
    ]


async def test_the_blocked_member_may_still_delete_their_own_message(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    sent = await api.send(bob, channel, "something I regret")
    await block(api, alice, bob)

    deleted = (await api.data(DELETE, {"id": sent["id"]}, bob.token))["deleteMessage"]

    assert deleted["deletedAt"] is not None
    assert [m["message"] for m in await api.history(alice, channel)] == [""]


async def test_neither_sees_the_others_presence_while_blocked(api: Api) -> None:
    alice, bob, _ = await api.pair()
    before = (await api.data(CHATS, token=alice.token))["chats"][0]
    await block(api, bob, alice)

    alices_users = (await api.data(USERS, token=alice.token))["users"]
    bobs_users = (await api.data(USERS, token=bob.token))["users"]
    chat = (await api.data(CHATS, token=alice.token))["chats"][0]
    await unblock(api, bob, alice)
    after = (await api.data(CHATS, token=alice.token))["chats"][0]

    assert before["toUser"]["online"] is False  # shown while not blocked
    assert alices_users == [
        {
            "id": bob.id,
            "username": "bob",
            "blockedByMe": False,
            "online": None,
            "lastSeenAt": None,
        }
    ]
    assert bobs_users[0]["online"] is None
    assert bobs_users[0]["blockedByMe"] is True
    assert chat["toUser"]["online"] is None
    assert chat["fromUser"]["online"] is False  # her own
    assert after["toUser"]["online"] is False


async def test_open_subscriptions_go_silent_at_the_block_and_resume_after(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    regret = await api.send(bob, channel, "you are awful and I hate this")
    variables = {"channel": channel}
    stats = api.services.bus.stats
    async with (
        api.subscribe(NEW_MESSAGE, variables, alice.token) as messages,
        api.subscribe(CHANGES, variables, alice.token) as changes,
        api.subscribe(ACTIVITY, variables, alice.token) as activity,
    ):
        await api.data(TYPING, variables, bob.token)
        assert (await activity.message())["typing"] is True
        # Committed before the block, published after it (a publish in
        # flight): held back.
        late = await api.store_unpublished(bob, alice, "in flight")
        await block(api, bob, alice)
        # The typing Alice saw ends at once, for her.
        assert await activity.message() == {
            "__typename": "Typing",
            "user": {"id": bob.id},
            "typing": False,
        }
        await api.services.bus.publish_message(late)
        await api.services.bus.publish_activity(
            TypingRecord(channel, UserRecord(int(bob.id), "bob"), typing=True)
        )
        # Bob may take back what he wrote, but Alice hears nothing of it now.
        await api.delete(bob, regret["id"])
        # All taken by Alice's feeds, and dropped there (the deletion's mood
        # move too, if it moved a label).
        await wait_until(lambda: stats.held_back >= 3)
        assert messages.pending() == changes.pending() == activity.pending() == 0
        # Bob read it all when he blocked; markRead moves nothing while
        # blocked, and no receipt of either reaches Alice.
        read = await api.data(MARK_READ, {"channel": channel, "seq": 1}, bob.token)
        assert read["markRead"]["lastReadSeq"] == late.seq
        # A probe on the same feeds, after all of that: the unblock, and a
        # message sent after it.
        await unblock(api, bob, alice)
        after = await api.send(bob, channel, "back again")
        got = await messages.messages(2)
        deleted = await changes.message()
        await api.data(TYPING, variables, bob.token)
        # Up to Bob's typing: what moved during the block is caught up once
        # it is lifted (his position, read when he blocked; the mood), and
        # nothing else comes before it.
        since: list[dict[str, Any]] = []
        while not since or since[-1]["__typename"] != "Typing":
            since.append(await activity.message())
        typing_again = since[-1]
        for event in since[:-1]:
            assert event["__typename"] in ("MoodChanged", "ReadReceipt")
            if event["__typename"] == "ReadReceipt":
                assert event == {
                    "__typename": "ReadReceipt",
                    "user": {"id": bob.id},
                    "seq": late.seq,
                }

    # What was committed before the block arrives once it is lifted, in
    # order, then the new message; nothing of the blocked time in between.
    assert [(m["seq"], m["message"]) for m in got] == [
        (late.seq, "in flight"),
        (after["seq"], "back again"),
    ]
    assert deleted["seq"] == regret["seq"]
    assert deleted["message"] == ""
    assert deleted["deletedAt"] is not None
    assert typing_again["typing"] is True


async def test_a_feed_that_missed_the_block_reads_it_before_delivering(
    api: Api,
) -> None:
    alice, bob, channel = await api.pair()
    variables = {"channel": channel}
    hub = api.services.bus.hub
    async with api.subscribe(NEW_MESSAGE, variables, alice.token) as messages:
        late = await api.store_unpublished(bob, alice, "in flight")

        # The block is committed but its announcement never reaches this
        # process: the feed learns of it through a gap.
        async def lost(_: BlockRecord) -> bool:
            return False

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api.services.bus, "publish_block", lost)
            await block(api, alice, bob)
        for inbox in hub._topics[channel].inboxes:
            inbox.mark_gap()
        await api.services.bus.publish_message(late)
        await wait_until(lambda: api.services.bus.stats.held_back == 1)
        assert messages.pending() == 0
        # Probe: unblocked (announced this time), then a new message.
        await unblock(api, alice, bob)
        await api.send(bob, channel, "after")
        got = await messages.messages(2)

    assert [m["message"] for m in got] == ["in flight", "after"]


async def test_typing_published_after_the_block_is_not_delivered(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await api.send(alice, channel, "hello")
    async with api.subscribe(ACTIVITY, {"channel": channel}, alice.token) as activity:
        await block(api, alice, bob)
        # Checked before the block, published after it: in flight.
        await api.services.bus.publish_activity(
            TypingRecord(channel, UserRecord(int(bob.id), "bob"), typing=True)
        )
        await wait_until(lambda: api.services.bus.stats.held_back == 1)
        assert activity.pending() == 0
        await unblock(api, alice, bob)
        # A probe on the same feed, after the typing: Bob's receipt. Before
        # it, at most Alice's own position, moved when she blocked.
        await api.data(MARK_READ, {"channel": channel, "seq": 1}, bob.token)
        events = [await activity.message()]
        while events[-1]["user"]["id"] != bob.id:
            events.append(await activity.message())

    assert events[-1] == {
        "__typename": "ReadReceipt",
        "user": {"id": bob.id},
        "seq": 1,
    }
    assert events[:-1] in (
        [],
        [{"__typename": "ReadReceipt", "user": {"id": alice.id}, "seq": 1}],
    )


async def test_presence_hides_a_blocked_peer_at_once_and_shows_them_after(
    api: Api,
) -> None:
    alice, bob, _ = await api.pair()
    sockets = api.services.presence
    hub = api.services.bus.hub
    before = hub.subscriber_count()
    async with api.subscribe(PRESENCE, None, alice.token) as presence:
        # Following her own chats, and Bob.
        await wait_until(lambda: hub.subscriber_count() == before + 2)
        await sockets.connect(int(bob.id))
        try:
            seen = await presence.message()
            await block(api, bob, alice)
            hidden = await presence.message()
            # Bob's sockets come and go unseen while hidden.
            await sockets.disconnect(int(bob.id))
            await sockets.connect(int(bob.id))
            await wait_until(lambda: api.services.bus.stats.held_back == 2)
            assert presence.pending() == 0
            await unblock(api, bob, alice)
            shown = await presence.message()
        finally:
            await sockets.disconnect(int(bob.id))

    assert seen["user"]["id"] == bob.id
    assert seen["online"] is True
    # As if he had gone: Bob cannot tell a block from a logout in his feed.
    assert hidden["user"] == {"id": bob.id, "online": None}
    assert hidden["online"] is False
    assert hidden["lastSeenAt"] is not None
    assert shown["user"] == {"id": bob.id, "online": True}
    assert shown["online"] is True


async def test_both_blocking_stays_blocked_until_both_lift_it(api: Api) -> None:
    alice, bob, channel = await api.pair()
    await block(api, alice, bob)
    await block(api, bob, alice)

    await unblock(api, alice, bob)
    still = await api.refusal(SEND, {"channel": channel, "message": "hi"}, alice.token)
    await unblock(api, bob, alice)
    sent = await api.send(alice, channel, "hi")

    # Alice no longer blocks: to her it reads like any chat she may not use.
    assert still == NOT_A_MEMBER
    assert sent["message"] == "hi"


async def test_a_block_before_any_chat_refuses_the_request(api: Api) -> None:
    alice, bob = await api.register("alice"), await api.register("bob")
    await block(api, bob, alice)

    refused = await api.refusal(REQUEST, {"to": bob.id}, alice.token)
    await unblock(api, bob, alice)
    channel = await api.open_chat(alice, bob)

    assert refused == ("FORBIDDEN", "You cannot open a chat with this user.")
    assert channel.startswith("private-chat_")


async def test_blocks_and_requests_racing_end_consistent(api: Api) -> None:
    """A block and a chat request made at once: either the request is
    refused, or the chat exists and is marked blocked."""
    for round_ in range(5):
        alice = await api.register(f"alice{round_}")
        bob = await api.register(f"bob{round_}")
        requested, _ = await asyncio.gather(
            api.execute(REQUEST, {"to": bob.id}, alice.token),
            block(api, bob, alice),
        )
        refused = await api.refusal(
            SEND,
            {"channel": f"private-chat_{alice.id}_{bob.id}", "message": "hi"},
            alice.token,
        )
        if requested.errors:
            assert refused == (
                "NOT_FOUND",
                "This chat does not exist yet: request it first.",
            )
        else:
            assert refused == NOT_A_MEMBER


async def test_a_send_checks_for_a_block_in_its_own_statement(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block costs a send no statement of its own: as many statements
    with blocks in the table as without, and on PostgreSQL exactly one."""
    alice, bob, channel = await api.pair()
    carol = await api.register("carol")
    statements = 0

    def counted(_: Any, *__: Any) -> None:
        nonlocal statements
        statements += 1

    def driver_counted(method: Any) -> Any:
        async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal statements
            statements += 1
            return await method(self, *args, **kwargs)

        return run

    for name in ("fetchrow", "fetch", "fetchval", "execute"):
        method = getattr(asyncpg.Connection, name)
        monkeypatch.setattr(asyncpg.Connection, name, driver_counted(method))
    engine = api.services.messages._engine.sync_engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        await api.send(alice, channel, "no block anywhere")
        unblocked, statements = statements, 0
        await block(api, alice, carol)
        await block(api, carol, bob)
        statements = 0
        await api.send(alice, channel, "blocks elsewhere")
        with_blocks = statements
    finally:
        event.remove(engine, "before_cursor_execute", counted)

    assert unblocked > 0
    assert with_blocks == unblocked
    if api.services.messages._one_statement_sends:
        assert with_blocks == 1


NEW_CHAT = "subscription { newChat { channelName fromUser { id } } }"
REGISTER_BLOCKED_BY_ME = """
mutation { register(username: "dave", password: "correct horse battery") {
  token user { id blockedByMe }
} }"""


async def test_a_chat_announced_after_the_block_is_not_delivered(api: Api) -> None:
    """The locks order a request and a block; their announcements can still
    cross: a feed asks the database before it delivers a new chat."""
    alice, bob = await api.register("alice"), await api.register("bob")
    carol = await api.register("carol")
    held: list[ChatRecord] = []

    async def hold(chat: ChatRecord) -> None:
        held.append(chat)

    async with (
        api.subscribe(NEW_CHAT, None, bob.token) as chats,
        api.subscribe(PRESENCE, None, bob.token) as presence,
    ):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api.services.chats._publisher, "chat", hold)
            await api.open_chat(alice, bob)
        await block(api, bob, alice)
        await api.services.bus.publish_chat(held[0])
        # Probe: a chat announced after it reaches both feeds first.
        await api.open_chat(carol, bob)
        first = await chats.message()
        shown = await presence.message()

    assert first["fromUser"]["id"] == carol.id
    assert shown["user"]["id"] == carol.id


async def test_a_failed_block_announcement_is_made_again(api: Api) -> None:
    alice, bob, _ = await api.pair()
    sockets = api.services.presence
    hub = api.services.bus.hub
    before = hub.subscriber_count()
    publish = hub.publish
    failures = 0

    async def flaky(channel: str, message: Any) -> None:
        nonlocal failures
        if '"type":"block"' in str(message) and failures < 5:
            failures += 1
            raise ConnectionError("Redis went away")
        await publish(channel, message)

    async with api.subscribe(PRESENCE, None, alice.token) as presence:
        await wait_until(lambda: hub.subscriber_count() == before + 2)
        await sockets.connect(int(bob.id))
        try:
            assert (await presence.message())["online"] is True
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(hub, "publish", flaky)
                await block(api, bob, alice)
                hidden = await presence.message(timeout=10)
        finally:
            await sockets.disconnect(int(bob.id))

    assert failures == 5
    assert hidden["online"] is False
    assert hidden["user"]["online"] is None


async def test_signing_up_answers_blocked_by_me_without_a_token(api: Api) -> None:
    registered = (await api.data(REGISTER_BLOCKED_BY_ME))["register"]

    assert registered["user"]["blockedByMe"] is False
    assert registered["token"]
