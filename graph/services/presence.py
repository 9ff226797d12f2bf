"""Presence: who is online, shown only to the people they share a chat with.

Online means at least one open, authenticated WebSocket on any process
(counted by `graph.realtime`'s presence, in Redis across processes, in memory
on the embedded default); nothing of it is stored in the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import blocks, chats
from graph.domain.records import (
    BlockRecord,
    PresenceRecord,
    PresenceState,
    UserRecord,
)
from graph.realtime import EventBus, Gap, PresenceEvent, PresenceFeed


class PresenceService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bus: EventBus
    ) -> None:
        self._sessions = sessions
        self._bus = bus

    async def connect(self, user_id: int) -> None:
        """A socket of the user was authenticated on this process."""
        await self._bus.presence.connect(user_id)

    async def disconnect(self, user_id: int) -> None:
        """A socket that `connect` counted has closed."""
        await self._bus.presence.disconnect(user_id)

    async def _peers(self, viewer_id: int) -> dict[int, UserRecord]:
        async with self._sessions() as session:
            names = await chats.peers(session, viewer_id)
        return {peer: UserRecord(peer, name) for peer, name in names.items()}

    async def states(
        self,
        viewer_id: int | None,
        user_ids: Collection[int],
        *,
        peers: Collection[int] = (),
    ) -> dict[int, PresenceState | None]:
        """Each user's presence as the viewer may see it: None for a user who
        shares no chat with the viewer, or only a blocked one. `peers` are ids
        known to share one (the members of a chat the viewer is in, or the
        viewer): not looked up again, only checked for blocks; with no viewer
        (signing in), only they are shown."""
        visible = set(peers)
        if viewer_id is not None:
            visible.add(viewer_id)
        unknown = [user_id for user_id in user_ids if user_id not in visible]
        # A chat's member may be blocked (either way): then not shown. Asked
        # only of the hinted peers, only when presence is asked for at all.
        hinted = [
            user_id
            for user_id in user_ids
            if user_id in visible and user_id != viewer_id
        ]
        if (unknown or hinted) and viewer_id is not None:
            async with self._sessions() as session:
                if unknown:
                    shared = await chats.peers(session, viewer_id, among=unknown)
                    visible.update(shared)
                if hinted:
                    visible.difference_update(
                        await blocks.blocked_either_way_among(
                            session, viewer_id, hinted
                        )
                    )
        shown = [user_id for user_id in user_ids if user_id in visible]
        states = await self._bus.presence.states(shown)
        return {user_id: states.get(user_id) for user_id in user_ids}

    async def stream(self, viewer_id: int) -> AsyncIterator[PresenceRecord]:
        """Presence changes of the viewer's chat peers, live.

        Peers of chats opened after the subscription are followed as the
        chats are opened. After a gap in the feed, each peer's presence is
        read again, and what changed meanwhile is sent.

        A peer blocked (either way) is hidden at once: one shown online goes
        offline, as an ordinary change (so the person blocked cannot tell a
        block from a logout), and nothing more of theirs is sent until the
        block is lifted, when their presence is sent again. After a gap the
        peers are read again too, in case a block or its lifting was missed.
        """
        async with self._bus.presence_feed(viewer_id) as feed:
            peers = await self._peers(viewer_id)
            for peer in peers:
                await feed.follow(peer)
            known = await self._bus.presence.states(peers)
            async for event in feed:
                if isinstance(event, Gap):
                    now_peers = await self._peers(viewer_id)
                    for peer in list(peers):
                        if peer not in now_peers:  # blocked meanwhile
                            hidden = _hidden(peers.pop(peer), known.pop(peer, None))
                            if hidden is not None:
                                yield hidden
                    for peer, record in now_peers.items():
                        if peer not in peers:  # unblocked, or a new chat
                            peers[peer] = record
                            await feed.follow(peer)
                            known.pop(peer, None)
                    now = await self._bus.presence.states(peers)
                    for peer, state in now.items():
                        if peer not in known or state.online != known[peer].online:
                            known[peer] = state
                            yield _change(peers[peer], state)
                elif isinstance(event, BlockRecord):
                    if viewer_id not in event.pair:
                        continue
                    (peer,) = set(event.pair) - {viewer_id}
                    if event.blocked:
                        if peer in peers:
                            hidden = _hidden(peers.pop(peer), known.pop(peer, None))
                            if hidden is not None:
                                yield hidden
                        continue
                    # Lifted: shown again if they still share a chat (the
                    # other may block the viewer too).
                    shown = await self._shown(viewer_id, peer, feed, peers, known)
                    if shown is not None:
                        yield shown
                elif isinstance(event, PresenceEvent):
                    peer = event.user_id
                    state = PresenceState(event.online, event.last_seen_at)
                    if peer not in peers:  # hidden by a block
                        self._bus.stats.held_back += 1
                    elif state.online != known[peer].online:
                        known[peer] = state
                        yield _change(peers[peer], state)
                else:  # a chat opened with or by the viewer
                    peer = event.other_member(viewer_id).id
                    shown = await self._shown(viewer_id, peer, feed, peers, known)
                    if shown is not None:
                        yield shown

    async def _shown(
        self,
        viewer_id: int,
        peer: int,
        feed: PresenceFeed,
        peers: dict[int, UserRecord],
        known: dict[int, PresenceState],
    ) -> PresenceRecord | None:
        """A peer newly visible to the viewer (a chat opened, a block lifted),
        followed from now on; their presence, which is news to the viewer.
        None when already shown, or when the database says the viewer may
        not see them (the pair blocked by now: new chats are rare)."""
        if peer in peers:
            return None
        async with self._sessions() as session:
            shared = await chats.peers(session, viewer_id, among=[peer])
        if peer not in shared:
            return None
        peers[peer] = UserRecord(peer, shared[peer])
        await feed.follow(peer)
        fresh = await self._bus.presence.states([peer])
        known.update(fresh)
        return _change(peers[peer], fresh[peer])


def _change(user: UserRecord, state: PresenceState) -> PresenceRecord:
    return PresenceRecord(user, state.online, state.last_seen_at)


def _hidden(user: UserRecord, last: PresenceState | None) -> PresenceRecord | None:
    """A peer the viewer may no longer see: offline now if they were shown
    online (as if they had gone), else nothing: the viewer keeps what they
    last saw, and `User.online` is null from now on."""
    if last is None or not last.online:
        return None
    return PresenceRecord(user, False, datetime.now(UTC), visible=False)
