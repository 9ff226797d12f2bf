"""`python -m graph`: serve Sentichat, or run one of its maintenance commands.

    python -m graph [--host HOST] [--port PORT]   serve (the default)
    python -m graph rescore [--batch-size N] [--pause SECONDS]

The settings come from the environment, as for the server (DATABASE_URL ...).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

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
    from db.migrations import upgrade_to_head
    from db.session import create_engine
    from graph.platform.settings import get_settings
    from graph.services.sentiment import RescoreProgress, rescore

    settings = get_settings()
    if settings.migrate_on_start:
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
    engine = create_engine(
        settings.database_url,
        command_timeout=settings.db_command_timeout_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
    )

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graph", description=__doc__)
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
    args = parser.parse_args(argv)
    if args.command == "rescore":
        if args.batch_size < 1 or args.pause < 0:
            parser.error("--batch-size is 1 or more and --pause 0 or more")
        return asyncio.run(_rescore(args.batch_size, args.pause))
    _serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
