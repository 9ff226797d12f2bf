"""Who is online: open, authenticated WebSockets, counted across processes.

A process counts its own sockets per user. The first socket of a user on the
process registers the process under the user; the last one to close takes it
away. Only those transitions are written (with the others made meanwhile,
one script a batch), and each that changes whether the user is online
anywhere is announced (`announce`), for `presence` subscribers on every
process.

`LocalPresence` (the embedded default) keeps this in memory. `RedisPresence`
keeps, per user, a sorted set of the processes holding a socket, each scored
with the time its registration expires. Every process renews its own every
`ttl / 3`; a process that dies (SIGKILL, a lost host) stops renewing, and the
next sweep by any live process removes its registrations once they expire,
announcing offline whoever is left with none: within `ttl` plus a sweep
interval of the kill. A user's last-seen time is kept beside the set.

Nothing here touches the database. Every script takes Redis's own clock
(TIME), so processes with skewed clocks agree. The sweep touches keys it
computes from the index, so it needs one Redis, not a cluster (as the event
bus's pub/sub does).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from graph.domain.records import PresenceState
from graph.platform.batches import Batch, Batches
from graph.platform.logs import describe
from graph.realtime.redis_backend import waiting_pool

logger = logging.getLogger(__name__)

# Called with (user id, online, last seen) when a user's presence changes.
Announce = Callable[[int, bool, datetime | None], Awaitable[None]]

DEFAULT_TTL_SECONDS = 25.0
# How long a user's last-seen time is kept after they go offline.
LAST_SEEN_KEEP_SECONDS = 30 * 24 * 3600
# Users per renewal script call, so no one call holds Redis for long.
RENEW_BATCH = 500
# Sockets' opens and closes per script call (`RedisPresence._change`).
CHANGE_BATCH = 500
SWEEP_BATCH = 500
# A socket's acknowledgement and a query wait at most this for Redis; past it
# they go on without (a registration left undone is made by the next renewal).
ON_PATH_TIMEOUT_SECONDS = 1.0
OFFLINE = PresenceState(online=False, last_seen_at=None)


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Presence:
    """Counts this process's sockets per user; subclasses share the counts."""

    def __init__(self, announce: Announce) -> None:
        self._announce = announce
        self._sockets: dict[int, int] = {}

    @property
    def local_users(self) -> int:
        return len(self._sockets)

    async def start(self) -> None:
        """Begin background work (renewals and sweeps); nothing by default."""

    async def close(self) -> None:
        """Stop background work, taking this process's users offline."""

    async def connect(self, user_id: int) -> None:
        """A socket of `user_id` was opened and authenticated here."""
        count = self._sockets.get(user_id, 0)
        self._sockets[user_id] = count + 1
        if count == 0:
            await self._first_socket(user_id)

    async def disconnect(self, user_id: int) -> None:
        """A socket that `connect` counted was closed."""
        count = self._sockets.get(user_id, 0)
        if count <= 1:
            self._sockets.pop(user_id, None)
            if count == 1:
                await self._last_socket(user_id)
        else:
            self._sockets[user_id] = count - 1

    async def states(self, user_ids: Iterable[int]) -> dict[int, PresenceState]:
        raise NotImplementedError

    async def _first_socket(self, user_id: int) -> None:
        raise NotImplementedError

    async def _last_socket(self, user_id: int) -> None:
        raise NotImplementedError

    async def _tell(self, user_id: int, online: bool, seen: datetime | None) -> None:
        try:
            await self._announce(user_id, online, seen)
        except Exception:  # a bug: presence must never fail a socket
            logger.exception("could not announce the presence of user %s", user_id)


class LocalPresence(Presence):
    """One process: its own counts are the whole truth."""

    def __init__(self, announce: Announce) -> None:
        super().__init__(announce)
        self._last_seen: dict[int, datetime] = {}

    async def states(self, user_ids: Iterable[int]) -> dict[int, PresenceState]:
        now = datetime.now(UTC)
        return {
            user_id: PresenceState(True, now)
            if user_id in self._sockets
            else PresenceState(False, self._last_seen.get(user_id))
            for user_id in user_ids
        }

    async def _first_socket(self, user_id: int) -> None:
        await self._tell(user_id, True, datetime.now(UTC))

    async def _last_socket(self, user_id: int) -> None:
        # A user's sockets open again while the announcement goes out are
        # counted by then; announce only what still holds.
        seen = datetime.now(UTC)
        self._last_seen[user_id] = seen
        if user_id not in self._sockets:
            await self._tell(user_id, False, seen)


# KEYS: the due index. ARGV: key prefix, process, ttl, how long to keep
# last-seen, then (+ or -, user id) for each change, in the order they were
# made: + a user's first socket here opened, - their last one closed.
# Returns one value per change: for +, 1 when the user had no live
# registration before (came online), else 0; for -, the time the user went
# offline, or '' when still online elsewhere.
_CHANGES = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1e6
local prefix, proc = ARGV[1], ARGV[2]
local ttl, keep = tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 5, #ARGV, 2 do
  local user = ARGV[i + 1]
  local key = prefix .. 'presence:u:' .. user
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if ARGV[i] == '+' then
    local before = redis.call('ZCARD', key)
    redis.call('ZADD', key, now + ttl, proc)
    redis.call('PEXPIRE', key, math.ceil(ttl * 2000))
    redis.call('ZADD', KEYS[1], now + ttl, user .. '|' .. proc)
    if before == 0 then table.insert(out, 1) else table.insert(out, 0) end
  else
    redis.call('ZREM', key, proc)
    redis.call('ZREM', KEYS[1], user .. '|' .. proc)
    if redis.call('ZCARD', key) > 0 then
      table.insert(out, '')
    else
      redis.call('SET', prefix .. 'presence:seen:' .. user, tostring(now),
                 'EX', keep)
      table.insert(out, tostring(now))
    end
  end
end
return out
"""

# KEYS: the due index. ARGV: key prefix, process, ttl, user ids...
# Renews this process's registration of each user. Returns the users who had
# no live registration left (swept while this process stalled, or Redis lost
# its data): they are online again.
_RENEW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1e6
local prefix, proc, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local back = {}
for i = 4, #ARGV do
  local key = prefix .. 'presence:u:' .. ARGV[i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) == 0 then table.insert(back, ARGV[i]) end
  redis.call('ZADD', key, now + ttl, proc)
  redis.call('PEXPIRE', key, math.ceil(ttl * 2000))
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i] .. '|' .. proc)
end
return back
"""

# KEYS: the due index. ARGV: key prefix, ttl, batch size, how long to keep
# last-seen. Removes registrations past their expiry (their process stopped
# renewing). Returns [user, last seen, ...] for each user left with none.
_SWEEP = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1e6
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES',
                       'LIMIT', 0, tonumber(ARGV[3]))
local gone = {}
for i = 1, #due, 2 do
  local member, expiry = due[i], tonumber(due[i + 1])
  redis.call('ZREM', KEYS[1], member)
  local bar = string.find(member, '|', 1, true)
  local user = string.sub(member, 1, bar - 1)
  local proc = string.sub(member, bar + 1)
  local key = prefix .. 'presence:u:' .. user
  local score = redis.call('ZSCORE', key, proc)
  if score and tonumber(score) <= now then redis.call('ZREM', key, proc) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if score and redis.call('ZCARD', key) == 0 then
    local seen = tostring(expiry - ttl)
    redis.call('SET', prefix .. 'presence:seen:' .. user, seen,
               'EX', tonumber(ARGV[4]))
    table.insert(gone, user)
    table.insert(gone, seen)
  end
end
return gone
"""

# KEYS: n users' sets, then their n last-seen keys.
# Returns [now, live count 1, last seen 1, ...].
_LOOKUP = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1e6
local n = #KEYS / 2
local out = {tostring(now)}
for i = 1, n do
  table.insert(out, redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf'))
  table.insert(out, redis.call('GET', KEYS[n + i]) or '')
end
return out
"""


class RedisPresence(Presence):
    """Processes sharing one Redis; see the module's docstring."""

    def __init__(
        self,
        announce: Announce,
        url: str,
        *,
        prefix: str = "",
        ttl: float = DEFAULT_TTL_SECONDS,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(announce)
        # from_pool: the client owns the pool, and closes it when it closes.
        self._redis = Redis.from_pool(waiting_pool(url, timeout))
        self._prefix = prefix
        self._ttl = ttl
        self._due = f"{prefix}presence:due"
        # Unique per process life: a restarted process is another.
        self.process = f"{os.getpid()}-{secrets.token_hex(6)}"
        self._changes = self._redis.register_script(_CHANGES)
        # Sockets' first opens and last closes, written together, in order.
        self._batches: Batches[tuple[str, int], Any] = Batches(
            self._write, size=CHANGE_BATCH
        )
        self._renew = self._redis.register_script(_RENEW)
        self._sweep = self._redis.register_script(_SWEEP)
        self._lookup = self._redis.register_script(_LOOKUP)
        self._tasks: list[asyncio.Task[None]] = []
        self._failing_since: float | None = None

    def _user_key(self, user_id: int) -> str:
        return f"{self._prefix}presence:u:{user_id}"

    def _seen_key(self, user_id: int) -> str:
        return f"{self._prefix}presence:seen:{user_id}"

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._every(self._ttl / 3, self._renew_all)),
            asyncio.create_task(self._every(self._ttl / 5, self._sweep_due)),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # A clean stop takes this process's users offline now, not at expiry.
        users = list(self._sockets)
        self._sockets.clear()
        await asyncio.gather(*(self._last_socket(user_id) for user_id in users))
        await self._redis.aclose()

    async def states(self, user_ids: Iterable[int]) -> dict[int, PresenceState]:
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return {}
        keys = [self._user_key(i) for i in ids] + [self._seen_key(i) for i in ids]
        try:
            async with asyncio.timeout(ON_PATH_TIMEOUT_SECONDS):
                reply = await self._lookup(keys=keys)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed("look up presence", exc)
            return dict.fromkeys(ids, OFFLINE)
        now = _time(float(reply[0]))
        states = {}
        for index, user_id in enumerate(ids):
            live, seen = int(reply[1 + 2 * index]), reply[2 + 2 * index]
            if live > 0:
                states[user_id] = PresenceState(True, now)
            else:
                last = _time(float(seen)) if seen else None
                states[user_id] = PresenceState(False, last)
        return states

    async def _first_socket(self, user_id: int) -> None:
        try:
            async with asyncio.timeout(ON_PATH_TIMEOUT_SECONDS):
                came_online = await self._change("+", user_id)
        except (RedisError, OSError, TimeoutError) as exc:
            # Renewed with the others once Redis is back.
            self._failed("register a socket", exc)
            return
        if came_online:
            await self._tell(user_id, True, datetime.now(UTC))

    async def _last_socket(self, user_id: int) -> None:
        try:
            async with asyncio.timeout(ON_PATH_TIMEOUT_SECONDS):
                offline_at = await self._change("-", user_id)
        except (RedisError, OSError, TimeoutError) as exc:
            # The registration expires by itself; a sweep announces it.
            self._failed("unregister a socket", exc)
            return
        if offline_at and user_id not in self._sockets:
            await self._tell(user_id, False, _time(float(offline_at)))

    async def _change(self, sign: str, user_id: int) -> Any:
        """Write one change (`_CHANGES`) with the others made meanwhile.

        A storm of sockets opening or closing (a deploy, a network blip, the
        evening ending) was one script each, waiting for one of the pool's
        connections: 10,000 closing at once outwaited the timeout, and
        their users stayed online until the sweep. Here the changes made
        while a batch is written go in the next, up to `CHANGE_BATCH` a
        script, one script at a time, so they reach Redis in the order they
        were made. A change whose caller stopped waiting is written all the
        same: its socket did open, or close.
        """
        return await self._batches((sign, user_id))

    async def _write(self, batch: Batch[tuple[str, int], Any]) -> None:
        args: list[Any] = [
            self._prefix,
            self.process,
            self._ttl,
            LAST_SEEN_KEEP_SECONDS,
        ]
        for change, _ in batch:
            args += change
        outcomes = await self._changes(keys=[self._due], args=args)
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if not done.done():
                done.set_result(outcome)

    async def _renew_all(self) -> None:
        users = list(self._sockets)
        for start in range(0, len(users), RENEW_BATCH):
            batch = users[start : start + RENEW_BATCH]
            args: list[Any] = [self._prefix, self.process, self._ttl, *batch]
            back = await self._renew(keys=[self._due], args=args)
            now = datetime.now(UTC)
            for user in back:
                user_id = int(user)
                if user_id in self._sockets:
                    await self._tell(user_id, True, now)

    async def _sweep_due(self) -> None:
        while True:
            args: list[Any] = [
                self._prefix,
                self._ttl,
                SWEEP_BATCH,
                LAST_SEEN_KEEP_SECONDS,
            ]
            gone = await self._sweep(keys=[self._due], args=args)
            for index in range(0, len(gone), 2):
                user_id, seen = int(gone[index]), float(gone[index + 1])
                await self._tell(user_id, False, _time(seen))
            if len(gone) < 2 * SWEEP_BATCH:
                return

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except (RedisError, OSError) as exc:
                self._failed("renew presence", exc)
                continue
            except Exception:  # a bug must not end the loop quietly
                logger.exception("presence upkeep failed")
                continue
            if self._failing_since is not None:
                logger.warning("presence reaches Redis again")
                self._failing_since = None

    def _failed(self, what: str, exc: BaseException) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            logger.warning("could not %s in Redis: %s", what, describe(exc))
