"""CPU a `sendMessage` costs, through the whole app, A/B against another checkout.

    python -m tests.benchmarks.send_cpu [--against CHECKOUT] [--rounds 5] [--sends 3000]

Each round runs, in a process of its own, the ASGI app in-process (httpx's ASGI
transport: the middleware, the lean POST path, the token and suspension
checks, the resolver, the one-statement store on PostgreSQL, the publish on
Redis) and times `sendMessage`, 8 at a time, by the process's CPU time (the
client's share is the same on both sides). With `--against`, rounds of this
checkout and of CHECKOUT alternate, each on a database of its own created and
migrated by its own code, and the medians and minimums are compared: the way
a change to the send path is checked against the figures before it (issue 23:
"the send path within 10 %"). Needs PostgreSQL and Redis (POSTGRES_ADMIN_URL,
REDIS_URL; the test suite's defaults otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

ADMIN_URL = os.environ.get(
    "POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REGISTER = """
mutation($u: String!) {
  register(username: $u, password: "correct horse battery") { token user { id } }
}"""
REQUEST = "mutation($t: ID!) { requestChat(toUser: $t) { channelName } }"
# The web client's selection.
SEND = """
mutation($c: String!, $m: String!) {
  sendMessage(channel: $c, message: $m) {
    id seq createdAt sentiment { label emoji score }
  }
}"""
AT_ONCE = 8
WARM_UP = 200


async def _measure(database_url: str, sends: int) -> dict[str, float]:
    from graph.app import create_app
    from graph.platform.settings import Settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings(
        database_url=database_url,
        broadcast_url=REDIS_URL,
        broadcast_prefix=f"send-cpu-{uuid.uuid4().hex[:8]}:",
        jwt_secret="send-cpu-" + "x" * 40,
        log_level="WARNING",
        rate_send_message_per_user="1000000/m",
        rate_register_per_address="1000/m",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://app"
        ) as http:

            async def call(query: str, token: str | None = None, **values: Any) -> Any:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                body = {"query": query, "variables": values}
                answer = (
                    await http.post("/graphql", json=body, headers=headers)
                ).json()
                assert "errors" not in answer, answer
                return answer["data"]

            alice = (await call(REGISTER, u=f"a{uuid.uuid4().hex[:8]}"))["register"]
            bob = (await call(REGISTER, u=f"b{uuid.uuid4().hex[:8]}"))["register"]
            chat = await call(REQUEST, alice["token"], t=bob["user"]["id"])
            channel = chat["requestChat"]["channelName"]
            for n in range(WARM_UP):
                await call(SEND, alice["token"], c=channel, m=f"warming up {n}")
            gate = asyncio.Semaphore(AT_ONCE)

            async def send(n: int) -> None:
                async with gate:
                    text = f"hello number {n}, what a good day"
                    await call(SEND, alice["token"], c=channel, m=text)

            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(send(n) for n in range(sends)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_us_per_send": cpu / sends * 1e6, "sends_per_second": sends / wall}


def _fresh_database(checkout: Path) -> str:
    """A database created for one side and migrated by that side's code."""
    import asyncpg

    name = f"send_cpu_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(create())
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    migrate = (
        "from db.migrations import upgrade_to_head as up; import sys; up(sys.argv[1])"
    )
    _run(checkout, ["-c", migrate, url])
    return url


def _run(checkout: Path, arguments: list[str]) -> str:
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _round(checkout: Path, database_url: str, sends: int) -> dict[str, float]:
    # This file, run as a script: the checkout measured need not have it, and
    # its `graph` comes first on the path (PYTHONPATH).
    arguments = [__file__, "--measure", database_url, "--sends", str(sends)]
    out = _run(checkout, arguments)
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.send_cpu")
    parser.add_argument("--against", type=Path, help="another checkout to compare")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one round, here
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(_measure(args.measure, args.sends))))
        return
    here = Path(__file__).resolve().parents[2]
    sides = {"this": here}
    if args.against is not None:
        sides["against"] = args.against.resolve()
    databases = {name: _fresh_database(path) for name, path in sides.items()}
    try:
        _compare(sides, databases, args.rounds, args.sends)
    finally:
        asyncio.run(_drop(databases.values()))


async def _drop(urls: Iterable[str]) -> None:
    import asyncpg

    admin = await asyncpg.connect(ADMIN_URL)
    try:
        for url in urls:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
    finally:
        await admin.close()


def _compare(
    sides: dict[str, Path], databases: dict[str, str], rounds: int, sends: int
) -> None:
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for number in range(1, rounds + 1):
        # Alternating, and the order flipped each round: drift hits both.
        order = list(sides) if number % 2 else list(reversed(sides))
        for name in order:
            figures = _round(sides[name], databases[name], sends)
            cpu[name].append(figures["cpu_us_per_send"])
            print(
                f"round {number} {name}: {figures['cpu_us_per_send']:,.0f} µs CPU a"
                f" send, {figures['sends_per_second']:,.0f} sends/s",
                flush=True,
            )
    for name, values in cpu.items():
        print(
            f"{name} ({sides[name]}): median {statistics.median(values):,.0f} µs,"
            f" min {min(values):,.0f} µs over {len(values)} rounds"
        )
    if "against" in cpu:
        this, other = cpu["this"], cpu["against"]
        medians = statistics.median(this) / statistics.median(other)
        print(f"this / against: median {medians:.3f}, min {min(this) / min(other):.3f}")


if __name__ == "__main__":
    main()
