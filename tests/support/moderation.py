"""Reports and moderation as a client and an operator drive them.

A moderator is made one way only, the operator's: a new account, then
`python -m graph moderators add NAME` (`graph.__main__.main`, with the
settings of the services or of the server processes under test).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select

from db.models import Message
from graph.__main__ import main
from graph.platform.settings import Settings
from graph.services import open_services
from tests.support.api import Account, Api
from tests.support.remote import register, unique
from tests.support.server import Server
from tests.support.services import empty_tables

SAD = "This is terrible and I hate it."
HAPPY = "I love this, it is wonderful!"
SUSPENDED = "This account is suspended."
ONLY_MODERATORS = ("FORBIDDEN", "Only moderators may do this.")
NO_MESSAGE = ("NOT_FOUND", "No such message.")
REPORT_FIELDS = """
    id reason note status messageId channel seq text sentAt createdAt updatedAt
    resolvedAt action reporter { id } sender { id } resolvedBy { id }
    sentiment { label score }
"""
REPORT = f"""
mutation Report($id: ID!, $reason: ReportReason!, $note: String) {{
  reportMessage(id: $id, reason: $reason, note: $note) {{ {REPORT_FIELDS} }}
}}"""
REPORTS = f"""
query Reports($status: ReportStatus, $first: Int, $after: ID) {{
  reports(status: $status, first: $first, after: $after) {{ {REPORT_FIELDS} }}
}}"""
RESOLVE = f"""
mutation Resolve($id: ID!, $action: ModerationAction!) {{
  resolveReport(id: $id, action: $action) {{ {REPORT_FIELDS} }}
}}"""
LOG = """
query Log($first: Int, $after: ID) {
  moderationLog(first: $first, after: $after) {
    id action reportId messageId at moderator { id } target { id }
  }
}"""
ME = "{ me { id moderator } }"


async def command(settings: Settings, *argv: str) -> int:
    """`python -m graph ...` with `settings` (in a thread: it runs its own
    event loop)."""
    return await asyncio.to_thread(main, list(argv), settings=settings)


async def cli(api: Api, *argv: str) -> int:
    """`python -m graph ...` against the test's database and broadcaster."""
    return await command(api.settings, *argv)


def server_settings(server: Server) -> Settings:
    """What `python -m graph ...` finds in a server process's environment."""
    env = server.env
    return Settings(
        database_url=env["DATABASE_URL"],
        broadcast_url=env.get("BROADCAST_URL", "memory://"),
        broadcast_prefix=env.get("BROADCAST_PREFIX", ""),
        jwt_secret=env["JWT_SECRET"],
        apply_migrations=False,
    )


async def make_moderator(api: Api, name: str = "mod") -> Account:
    return await _promoted(api.settings, await api.register(name))


async def make_server_moderator(server: Server, name: str = "mod") -> Account:
    """A new moderator on a server process (and so on its cluster)."""
    account = await register(server, unique(name))
    return await _promoted(server_settings(server), account)


async def _promoted(settings: Settings, account: Account) -> Account:
    assert await command(settings, "moderators", "add", account.username) == 0
    return account


async def report(
    api: Api, reporter: Account, message_id: str, reason: str = "SPAM", **more: Any
) -> dict[str, Any]:
    variables = {"id": message_id, "reason": reason, **more}
    reported: dict[str, Any] = (await api.data(REPORT, variables, reporter.token))[
        "reportMessage"
    ]
    return reported


async def resolve(
    api: Api, moderator: Account, report_id: str, action: str
) -> dict[str, Any]:
    variables = {"id": report_id, "action": action}
    data = await api.data(RESOLVE, variables, moderator.token)
    resolved: dict[str, Any] = data["resolveReport"]
    return resolved


async def open_reports(api: Api, moderator: Account) -> list[dict[str, Any]]:
    page: list[dict[str, Any]] = (await api.data(REPORTS, token=moderator.token))[
        "reports"
    ]
    return page


async def count(api: Api, table: type[Any]) -> int:
    async with api.services.accounts._sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def stored_message(api: Api, message_id: str) -> tuple[Any, ...]:
    """What a deletion must erase, and the version it takes."""
    async with api.services.accounts._sessions() as session:
        statement = select(
            Message.body,
            Message.polarity,
            Message.label,
            Message.score,
            Message.reasons,
            Message.reactions,
            Message.version,
            Message.deleted_at.is_not(None),
        ).where(Message.id == int(message_id))
        return tuple((await session.execute(statement)).one())


@asynccontextmanager
async def fresh_api(settings: Settings, **changes: Any) -> AsyncIterator[Api]:
    """Services of their own, on the test's settings with `changes`, and a
    broadcaster prefix (and so rate-limit keys) of their own."""
    changed = settings.model_copy(
        update={"broadcast_prefix": f"test-{uuid.uuid4().hex[:8]}:", **changes}
    )
    await empty_tables(changed.database_url)
    async with open_services(changed) as services:
        yield Api(services, changed)
