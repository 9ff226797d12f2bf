"""`--profile`: py-spy samples the Sentichat processes during each benchmark.

The raw collapsed stacks are kept (for flame graph tools), with a summary of
where the time went: by package, inclusive and by own time.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

SAMPLES_PER_SECOND = 250

# The first frame of a stack from these packages names the layer it belongs to.
LAYERS = (
    ("graph/", "sentichat graph/"),
    ("db/", "sentichat db/"),
    ("strawberry/", "strawberry"),
    ("graphql/", "graphql-core"),
    ("sqlalchemy/", "sqlalchemy"),
    ("asyncpg/", "asyncpg"),
    ("redis/", "redis-py"),
    ("broadcaster/", "broadcaster"),
    ("uvicorn/", "uvicorn"),
    ("starlette/", "starlette"),
    ("fastapi/", "fastapi"),
    ("websockets/", "websockets"),
    ("textblob/", "textblob"),
    ("jwt/", "pyjwt"),
    ("pydantic", "pydantic"),
    ("asyncio/", "asyncio"),
)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


def _layer(file: str) -> str:
    for marker, name in LAYERS:
        if f"/{marker}" in file or file.startswith(marker):
            return name
    return "other"


def _file(frame: str) -> str:
    match = _FRAME.match(frame)
    return frame if match is None else match["file"]


def summarise(collapsed: Path, top: int = 25) -> str:
    """Own time by function and inclusive time by package, as text."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for layer in {_layer(_file(frame)) for frame in frames}:
            inclusive[layer] += count
    if not total:
        return "no samples\n"
    lines = [f"{total} samples (busy time only)", "", "inclusive, by package:"]
    lines += [
        f"  {100 * n / total:5.1f} %  {name}" for name, n in inclusive.most_common()
    ]
    lines += ["", f"own time, top {top} functions:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def sampled(pids: list[int], out: Path, name: str) -> Iterator[None]:
    """py-spy on each process while the block runs; then the summaries."""
    beside = Path(sys.executable).parent / "py-spy"
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    recorders = []
    for n, pid in enumerate(pids):
        raw = out / f"profile-{name}-{n}.collapsed"
        command = [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ]
        recorders.append(
            (
                subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                ),
                raw,
            )
        )
    try:
        yield
    finally:
        for process, raw in recorders:
            process.send_signal(signal.SIGINT)
            process.wait(30)
            if raw.exists():
                raw.with_suffix(".txt").write_text(summarise(raw))
