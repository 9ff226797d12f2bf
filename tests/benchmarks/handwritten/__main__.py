"""`python -m tests.benchmarks.handwritten [--repeats 15]`: see the package."""

from __future__ import annotations

import argparse
import os
import platform
import time
from importlib.metadata import version

import uvloop

from graph.platform.runtime import tune_gc
from tests.benchmarks.handwritten.limits import limits
from tests.benchmarks.handwritten.operations import SETTINGS
from tests.benchmarks.handwritten.schema import documents, execution
from tests.benchmarks.handwritten.timing import BATCH_SECONDS
from tests.benchmarks.handwritten.transport import transport


def describe(repeats: int) -> None:
    print(
        f"Python {platform.python_version()}, uvloop {version('uvloop')},"
        f" strawberry-graphql {version('strawberry-graphql')},"
        f" graphql-core {version('graphql-core')}, FastAPI {version('fastapi')},"
        f" Starlette {version('starlette')}; {repeats} repeats a variant,"
        f" batches of ~{BATCH_SECONDS:g} s interleaved; limits: depth"
        f" {SETTINGS.query_max_depth}, aliases {SETTINGS.query_max_aliases},"
        f" tokens {SETTINGS.query_max_tokens}; the server's GC tuning;"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )


async def main(repeats: int) -> None:
    tune_gc()  # as the server does at start-up
    describe(repeats)
    started = time.monotonic()
    await execution(repeats)
    await documents(repeats)
    limits(repeats)
    await transport(repeats)
    print(f"\n({time.monotonic() - started:.0f} s)")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The hand-written executor fast path, document cache, query"
        " limits and HTTP fast path against what strawberry, graphql-core and"
        " FastAPI offer"
    )
    parser.add_argument("--repeats", type=int, default=15)
    return parser.parse_args()


if __name__ == "__main__":
    uvloop.run(main(arguments().repeats))
