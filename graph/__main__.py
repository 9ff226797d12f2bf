"""`python -m graph`: serve Sentichat, or run one of its maintenance commands.

    python -m graph [--host HOST] [--port PORT]   serve (the default)
    python -m graph rescore [--batch-size N] [--pause SECONDS]
    python -m graph moderators add NAME          make NAME a moderator
    python -m graph moderators remove NAME       make NAME a plain user again
    python -m graph users unsuspend NAME         lift NAME's suspension

The settings come from the environment, as for the server (DATABASE_URL ...),
and the database is migrated first where the server would migrate it.

Roles are granted only here: no API can make anyone a moderator. Each of the
last three commands writes one entry to the audit log (`moderationLog`, with
no moderator: the command line) when it changes something, and says so when
there was nothing to change; an unknown NAME is an error (exit status 1).
`users unsuspend` takes effect on every server at once when BROADCAST_URL is
Redis; a server on `memory://` sees it within SUSPENSION_REFRESH_SECONDS.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.platform.settings import Settings
    from graph.services.operator import Outcome

WS_MAX_BYTES = 1_048_576  # graphql-transport-ws frames up to 1 MiB


def _serve(host: str, port: int) -> None:
    """uvicorn, with the settings that decide what a socket costs.

    Measured on 2026-12-06, 2,000 idle sockets with one subscription each
    (README, "Connections at scale"):

    - wsproto (`SentichatWSProtocol`): 44.2 KiB a socket, against 47.0 for
      websockets-sansio and 53.5 for websockets (the legacy protocol), before
      the savings since; wsproto keeps less of the handshake.
    - `ws_per_message_deflate=False`: accepting the compression every browser
      offers costs each socket its zlib streams, 101 KiB a socket against 59
      without (before the other savings), for chat frames of a few hundred
      bytes that it shrinks by about half.
    - No access log: a line per request is CPU the proxy in front already
      spends; refusals and faults are logged by the app itself.
    """
    import uvicorn

    from graph.platform.settings import get_settings
    from graph.platform.websocket import SentichatWSProtocol

    # uvicorn's own lines (one per WebSocket accepted, at INFO) follow the
    # app's LOG_LEVEL: at 10,000 sockets they were most of a busy log. The
    # settings are read once: the app, imported in this process, reuses them.
    level = get_settings().log_level.lower()

    uvicorn.run(
        "graph.app:app",
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws=SentichatWSProtocol,
        ws_max_size=WS_MAX_BYTES,
        ws_per_message_deflate=False,
        access_log=False,
        log_level=level,
    )


async def _rescore(batch_size: int, pause: float) -> int:
    from graph.platform.settings import get_settings
    from graph.services.container import migrated_engine
    from graph.services.sentiment import RescoreProgress, rescore

    engine = await migrated_engine(get_settings())

    def report(progress: RescoreProgress) -> None:
        print(
            f"batch {progress.batches}: {progress.rescored:,} messages rescored"
            f" with {progress.analyzer}",
            flush=True,
        )

    try:
        done = await rescore(
            engine, batch_size=batch_size, pause=pause, on_batch=report
        )
    finally:
        await engine.dispose()
    print(
        f"done: {done.rescored:,} messages rescored with {done.analyzer};"
        " none scored by another analyzer is left",
        flush=True,
    )
    return 0


# (command, verb): what the operator does, and what it says done or undone.
_OPERATIONS = {
    ("moderators", "add"): (
        "add_moderator",
        "{} is now a moderator.",
        "{} is already a moderator; nothing changed.",
    ),
    ("moderators", "remove"): (
        "remove_moderator",
        "{} is no longer a moderator.",
        "{} is not a moderator; nothing changed.",
    ),
    ("users", "unsuspend"): (
        "unsuspend",
        "{} is no longer suspended.",
        "{} is not suspended; nothing changed.",
    ),
}


async def _operate(
    command: str, verb: str, username: str, settings: Settings | None
) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from graph.platform.logs import describe
    from graph.platform.settings import get_settings
    from graph.services.operator import UnknownUser, open_operator

    method, done, unchanged = _OPERATIONS[command, verb]
    try:
        async with open_operator(settings or get_settings()) as operator:
            act: Callable[[str], Awaitable[Outcome]] = getattr(operator, method)
            outcome = await act(username)
    except UnknownUser as exc:
        print(exc, file=sys.stderr)
        return 1
    except (OSError, SQLAlchemyError) as exc:
        print(f"could not reach the database: {describe(exc)}", file=sys.stderr)
        return 1
    print((done if outcome.changed else unchanged).format(outcome.username))
    return 0


def _add_operator_commands(commands: Any) -> None:
    moderators = commands.add_parser(
        "moderators",
        help="grant or take away the moderator role",
        description="Moderators may list reports, resolve them and read the "
        "audit log. Only this command grants the role.",
    )
    verbs = moderators.add_subparsers(dest="verb", required=True)
    for verb, help_text in (
        ("add", "make NAME a moderator"),
        ("remove", "make NAME a plain user again"),
    ):
        verbs.add_parser(verb, help=help_text).add_argument("name")
    users = commands.add_parser("users", help="act on an account")
    verbs = users.add_subparsers(dest="verb", required=True)
    unsuspend = verbs.add_parser(
        "unsuspend",
        help="lift NAME's suspension",
        description="Let a suspended user sign in again; their tokens work again.",
    )
    unsuspend.add_argument("name")


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None) -> int:
    """`settings`: the operator commands' (the environment's when None)."""
    parser = argparse.ArgumentParser(
        prog="python -m graph",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    commands = parser.add_subparsers(dest="command")
    rescore = commands.add_parser(
        "rescore",
        help="score again the messages an older analyzer scored",
        description="Score again, in batches, every stored message whose "
        "sentiment another analyzer version wrote. Safe to run while the server "
        "runs, and to kill: run it again and it carries on. Publishes nothing.",
    )
    rescore.add_argument(
        "--batch-size",
        type=int,
        default=500,
        help="messages scored and written per transaction (default 500)",
    )
    rescore.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds to wait between batches, to go easy on a busy database",
    )
    _add_operator_commands(commands)
    args = parser.parse_args(argv)
    if (args.command, getattr(args, "verb", None)) in _OPERATIONS:
        return asyncio.run(_operate(args.command, args.verb, args.name, settings))
    if args.command == "rescore":
        if args.batch_size < 1 or args.pause < 0:
            parser.error("--batch-size is 1 or more and --pause 0 or more")
        return asyncio.run(_rescore(args.batch_size, args.pause))
    _serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
