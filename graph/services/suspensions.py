"""Suspended accounts, refused on every request without a database round trip.

Each process keeps the ids of the suspended accounts in a set (`Suspensions`),
so that `Context.viewer_id`, a socket's `connection_init` and `/pusher/auth`
refuse a suspended user's token with a set lookup. The set follows the
database (`SuspensionWatcher`), which stays the truth:

- it is read from the database at start;
- a suspension, or its lifting, is applied where it was made right after its
  commit, and published on the broadcaster's `suspensions` topic, which every
  process follows;
- after a `GAP` on that topic (a lost Redis connection, a dropped buffer) it
  is read again;
- and it is read again every `SUSPENSION_REFRESH_SECONDS` anyway: a publish
  that failed, and `python -m graph users unsuspend` run against a server on
  `memory://` (another process, which no event of the command can reach),
  take effect that way.

A read never undoes what was applied while it was in flight: the applies
are counted, and those it may have missed are made again over it.

The set also knows each user's open sockets on this process: when a user
becomes suspended, by whichever path, each of them is closed with 4403 at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from db import moderation
from graph.domain.errors import Unauthenticated
from graph.domain.moderation import SUSPENDED
from graph.platform.logs import describe
from graph.realtime import EventBus, SuspensionEvent

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 5.0


class Socket(Protocol):
    """A signed-in socket that a suspension closes."""

    def suspend(self) -> None:
        """Close at once (4403): its user was suspended. Must not block."""
        ...


class Suspensions:
    """The suspended accounts as this process knows them, and its sockets.

    A read of the database can be overtaken by an `apply` made while it is
    in flight (a suspension committed here after the read's snapshot was
    taken), so the applies are counted: a read notes the count
    (`generation`) before it begins, and `replace` makes the applies counted
    since then again over what it read.
    """

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._sockets: dict[int, set[Socket]] = {}
        self._generation = 0
        # Each user's latest apply that a read may not have seen:
        # (its generation, suspended).
        self._applied: dict[int, tuple[int, bool]] = {}
        self._read_from = 0  # where the last read replaced began

    @property
    def generation(self) -> int:
        """How many applies were made so far."""
        return self._generation

    def __contains__(self, user_id: int) -> bool:
        return user_id in self._ids

    def check(self, user_id: int) -> None:
        """Unauthenticated if the account is suspended: a set lookup."""
        if user_id in self._ids:
            raise Unauthenticated(SUSPENDED)

    def hold(self, user_id: int, socket: Socket) -> None:
        """Count a socket signed in as `user_id` until `release`. One whose
        user was suspended since it was let in is closed now."""
        self._sockets.setdefault(user_id, set()).add(socket)
        if user_id in self._ids:
            socket.suspend()

    def release(self, user_id: int, socket: Socket) -> None:
        sockets = self._sockets.get(user_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[user_id]

    def apply(self, user_id: int, suspended: bool) -> None:
        """One account suspended or no longer."""
        self._generation += 1
        self._applied[user_id] = (self._generation, suspended)
        if not suspended:
            self._ids.discard(user_id)
        elif user_id not in self._ids:
            self._ids.add(user_id)
            self._close_sockets_of(user_id)

    def replace(self, user_ids: Iterable[int], read_from: int) -> None:
        """The whole set, as read from the database by a read that began at
        `generation` `read_from`. The applies made since are newer than the
        read: they stand. A read that began before the last one replaced is
        older than what it replaced: it is dropped."""
        if read_from < self._read_from:
            return
        self._read_from = read_from
        fresh = set(user_ids)
        for user_id, suspended in self._applied_since(read_from):
            if suspended:
                fresh.add(user_id)
            else:
                fresh.discard(user_id)
        added = fresh - self._ids
        self._ids = fresh
        for user_id in added:
            self._close_sockets_of(user_id)

    def _applied_since(self, read_from: int) -> list[tuple[int, bool]]:
        """The applies a read that began at `read_from` may have missed. The
        older ones were made after their commit, before the read: it has
        them, and they are forgotten."""
        self._applied = {
            user_id: latest
            for user_id, latest in self._applied.items()
            if latest[0] > read_from
        }
        return [
            (user_id, suspended) for user_id, (_, suspended) in self._applied.items()
        ]

    def _close_sockets_of(self, user_id: int) -> None:
        for socket in list(self._sockets.get(user_id, ())):
            socket.suspend()


class SuspensionWatcher:
    """Keeps a process's `Suspensions` in step with the database."""

    def __init__(
        self,
        engine: AsyncEngine,
        bus: EventBus,
        suspensions: Suspensions,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._suspensions = suspensions
        self._refresh = refresh_seconds
        self._task: asyncio.Task[None] | None = None
        self._following = asyncio.Event()

    async def start(self, wait: float) -> None:
        """Read the set, and follow the topic: returns once it is followed,
        or after `wait` seconds (the broadcaster down: it keeps trying)."""
        self._task = asyncio.create_task(self._run(), name="suspensions")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._following.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def refresh(self) -> bool:
        """Read the set from the database; False (logged) when it cannot."""
        read_from = self._suspensions.generation
        try:
            async with self._engine.connect() as connection:
                ids = await moderation.suspended_ids(connection)
        except Exception as exc:  # noqa: BLE001 -- kept as it is until the next try
            logger.warning("could not read the suspended accounts: %s", describe(exc))
            return False
        self._suspensions.replace(ids, read_from)
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
                return  # the bus shut down
            except Exception as exc:  # noqa: BLE001 -- a broken broker must not end it
                logger.warning("suspensions feed failed: %s", describe(exc))
                await self.refresh()
                await asyncio.sleep(self._refresh)

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._bus.suspension_feed() as feed:
            # Read once followed: whatever commits after the read is heard.
            await self.refresh()
            self._following.set()
            due = loop.time() + self._refresh
            while True:
                event = await feed.next(within=max(0.0, due - loop.time()))
                if event is None:
                    return
                if isinstance(event, SuspensionEvent):
                    self._suspensions.apply(event.user_id, event.suspended)
                    continue
                # A GAP (events may be lost), or time for the periodic read.
                await self.refresh()
                due = loop.time() + self._refresh
