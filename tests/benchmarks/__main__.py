"""`python -m tests.benchmarks [--scale SCALE] [--only NAME ...] [--out DIR]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

# The load processes are spawned, and each imports this module again (as
# __mp_main__) before it runs: what the harness needs is imported in main(),
# not here, or each load process would spend seconds of CPU on imports (the
# server, SQLAlchemy, the sentiment model) it never uses.


async def _postgres_version() -> str:
    import asyncpg

    from tests.benchmarks.stack import ADMIN_URL

    connection = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def main() -> None:
    import redis

    from tests.benchmarks import report, scenarios
    from tests.benchmarks.profiling import sampled
    from tests.benchmarks.scenarios import NOT_IN_SMOKE, SCALES, SCENARIOS, Results
    from tests.benchmarks.stack import (
        PROCESSES,
        REDIS_URL,
        UVICORN_ARGS,
        running_stack,
    )

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scale",
        choices=list(SCALES),
        default="full",
        help="full: the figures to quote; quick: about two minutes, for iterating;"
        " smoke: checks the harness, its figures mean nothing",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(SCENARIOS),
        help="run only these (sentiment needs delivery and history); a smoke"
        f" run leaves out {', '.join(sorted(NOT_IN_SMOKE))} unless named here",
    )
    parser.add_argument("--out", type=Path, default=Path(".artifacts/bench"))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the Sentichat processes with py-spy during each benchmark",
    )
    args = parser.parse_args()
    scale = SCALES[args.scale]
    names = args.only or [
        name
        for name in SCENARIOS
        if not (args.scale == "smoke" and name in NOT_IN_SMOKE)
    ]
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    services = {
        "postgresql": asyncio.run(_postgres_version()),
        "redis-server": str(
            redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
        ),
    }
    results = Results()
    started = time.monotonic()
    with running_stack(scale.seed, out) as stack:
        for name in names:
            print(f"-- {name}", flush=True)
            began = time.monotonic()
            with contextlib.ExitStack() as profiling:
                if args.profile:
                    pids = [server.pid for server in stack.servers["sentichat"]]
                    profiling.enter_context(sampled(pids, out, name))
                SCENARIOS[name](stack, scale, results)
            print(f"   {time.monotonic() - began:.0f} s", flush=True)
    now = datetime.now(UTC)
    title = f"Sentichat vs baseline, {args.scale} run, {now:%Y-%m-%d %H:%M} UTC"
    record = {
        "title": title,
        "run": args.scale,
        "seconds": round(time.monotonic() - started),
        "machine": report.machine(),
        "versions": report.versions(services),
        "settings": {
            "processes_per_system": PROCESSES,
            "uvicorn": list(UVICORN_ARGS),
            "scale": asdict(scale),
            "p99_limit_ms": scenarios.P99_LIMIT_MS,
        },
    }
    written = report.write(out, results, record)
    print()
    print(report.table(results.measures))
    print("\n" + ", ".join(map(str, written)))


if __name__ == "__main__":
    main()
