"""Suspended accounts: refused on every request of the process at once,
and the process's set kept in step with the database (its periodic read, a
gap in its feed), on PostgreSQL + Redis and on SQLite + memory. Across
processes: tests/e2e/test_moderation_cluster.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from db.models import User, utcnow
from graph.platform.settings import Settings
from graph.realtime.channels import SUSPENSIONS_TOPIC
from tests.support.api import LOGIN, PASSWORD, Account, Api
from tests.support.moderation import (
    ME,
    SAD,
    SUSPENDED,
    cli,
    fresh_api,
    make_moderator,
    report,
    resolve,
)
from tests.support.waiting import eventually, wait_until


@pytest.fixture
async def quick_api(settings: Settings) -> AsyncIterator[Api]:
    """Services that read the suspended accounts every 0.1 s."""
    async with fresh_api(settings, suspension_refresh_seconds=0.1) as api:
        yield api


async def test_suspend_sender_refuses_their_login_and_token_until_unsuspended(
    quick_api: Api,
) -> None:
    api = quick_api
    alice, bob, channel = await api.pair()
    moderator = await make_moderator(api)
    sent = await api.send(alice, channel, SAD)
    reported = await report(api, bob, sent["id"])
    credentials = {"username": "alice", "password": PASSWORD}

    await resolve(api, moderator, reported["id"], "SUSPEND_SENDER")

    assert await api.refusal(ME, token=alice.token) == ("UNAUTHENTICATED", SUSPENDED)
    assert await api.refusal(LOGIN, credentials) == ("FORBIDDEN", SUSPENDED)
    assert (await api.data(ME, token=bob.token))["me"]["id"] == bob.id
    assert await cli(api, "users", "unsuspend", "ALICE") == 0

    async def accepted() -> bool:
        return (await api.execute(ME, token=alice.token)).errors is None

    # Redis: the command's event; memory://: the server's next read.
    await eventually(accepted)
    assert (await api.data(LOGIN, credentials))["login"]["user"]["id"] == alice.id


# -- the set of suspended accounts ------------------------------------------------


class FakeSocket:
    def __init__(self) -> None:
        self.suspended = 0

    def suspend(self) -> None:
        self.suspended += 1


async def test_a_suspension_written_behind_the_process_is_read_and_closes_sockets(
    quick_api: Api,
) -> None:
    """As when its event was lost: the periodic read finds it."""
    api = quick_api
    alice = await api.register("alice")
    socket = FakeSocket()
    api.services.suspensions.hold(int(alice.id), socket)

    await suspend_in_database(api, alice)
    await wait_until(lambda: socket.suspended == 1)

    assert await api.refusal(ME, token=alice.token) == ("UNAUTHENTICATED", SUSPENDED)


async def test_a_gap_in_the_suspension_feed_reads_the_database_again(
    settings: Settings,
) -> None:
    """As after a Redis reconnect or a dropped buffer: no periodic read here."""
    async with fresh_api(settings, suspension_refresh_seconds=3600) as api:
        alice = await api.register("alice")
        await suspend_in_database(api, alice)
        assert int(alice.id) not in api.services.suspensions
        for inbox in api.services.bus.hub._topics[SUSPENSIONS_TOPIC].inboxes:
            inbox.mark_gap()

        await wait_until(lambda: int(alice.id) in api.services.suspensions)


async def suspend_in_database(api: Api, account: Account) -> None:
    async with api.services.accounts._sessions.begin() as session:
        await session.execute(
            update(User).where(User.id == int(account.id)).values(suspended_at=utcnow())
        )
