"""The domain's work: the only code that opens sessions, scores sentiment and publishes.

One service per feature, each a class with verb methods that take plain
values and hand out `graph.domain.records`:

- `accounts` (register, sign in, list users) with `security` (passwords,
  tokens);
- `chats` (open or reuse a pair's chat, list a user's chats, read positions
  and unread counts);
- `activity` (typing and read receipts, live only) and `presence` (who is
  online, shown to their chat peers only);
- `messages` (send, read a page, follow a chat live), with `text`, `pages` and
  `membership` for their rules;
- `publishing` (to the event bus and Pusher, only after the commit),
  `channel_auth` (Pusher's members-only signatures), `throttle` (rate limits by
  name), `health` (readiness);
- `moderation` (reports, and what moderators do with them), `suspensions`
  (each process's set of suspended accounts, kept in step with the
  database, and the sockets it closes) and `operator` (the command line's
  roles and unsuspend);
- `container`: `Services`, all of the above wired to one database, bus and
  rate limiter, and `open_services`, which opens and closes them.

Each write is one transaction; nothing here imports Strawberry or FastAPI.
"""

from graph.services.container import (
    Services,
    build_services,
    create_pusher_fanout,
    open_services,
)

__all__ = ["Services", "build_services", "create_pusher_fanout", "open_services"]
