"""The table, the JSON record and the plots of a run."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.benchmarks import scale
from tests.benchmarks.measure import Latencies
from tests.benchmarks.scenarios import Measure, Results

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "websockets",
    "sqlalchemy",
    "asyncpg",
    "redis",
    "broadcaster",
    "textblob",
    "orjson",
)


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"


def table(measures: list[Measure]) -> str:
    """Markdown: measure, Sentichat, baseline, ratio, goal, met."""
    lines = [
        "| measure | Sentichat | baseline | ratio | goal | met |",
        "|---|--:|--:|--:|---|---|",
    ]
    for m in measures:
        unit = f" ({m.unit})" if m.unit else ""
        ratio = "—" if m.ratio is None else f"{m.ratio:.2f}"
        met = "" if m.met is None else ("yes" if m.met else "**no**")
        lines.append(
            f"| {m.name}{unit} | {_number(m.sentichat)} | {_number(m.baseline)} "
            f"| {ratio} | {m.goal} | {met} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    with contextlib.suppress(ValueError, OSError):
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
    }


def versions(services: dict[str, str]) -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], capture_output=True, text=True, check=True
        ).stdout
        found["sentichat"] = revision + ("+changes" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        found["sentichat"] = "unknown"
    return {**found, **services}


def write(out: Path, results: Results, record: dict[str, Any]) -> list[Path]:
    """The record, the table and the plots into `out`: the files written."""
    out.mkdir(parents=True, exist_ok=True)
    record = {
        **record,
        "table": [
            {
                "measure": m.name,
                "unit": m.unit,
                "sentichat": m.sentichat,
                "baseline": m.baseline,
                "ratio": m.ratio,
                "better": m.better,
                "goal": m.goal,
                "met": m.met,
            }
            for m in results.measures
        ],
        "details": results.details,
    }
    (out / "results.json").write_text(
        json.dumps(record, indent=1, ensure_ascii=False) + "\n"
    )
    (out / "table.md").write_text(table(results.measures) + "\n")
    plot(out / "latency.png", results.latencies, record["title"])
    written = [out / "results.json", out / "table.md", out / "latency.png"]
    if "scale" in results.details:
        written += scale.plot(out, results.details["scale"], record["title"])
    return written


COLORS = {"sentichat": "tab:blue", "baseline": "tab:orange"}
TITLES = {
    "delivery": "delivery: send to receipt",
    "send": "sendMessage answer",
    "history": "messages(last: 50) answer",
    "ping": "ping round trip, idle sockets",
    "read": "markRead answer",
    "chats": "chats(first: 500) answer",
    "unread": "unreadTotal answer",
    "delivery_changes": "delivery, newMessage + messageChanges",
    "edit": "editMessage answer",
    "edit_event": "edit to the other's messageChanges",
    "react": "react answer",
    "react_event": "react to the other's messageChanges",
    "mood": "moodHistory(buckets: 30) answer",
}
PANELS_PER_ROW = 4


def plot(path: Path, latencies: dict[str, dict[str, Latencies]], title: str) -> None:
    """Percentile curves (x: percentile on a log scale of the tail) per benchmark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [name for name in TITLES if name in latencies]
    columns = min(max(len(panels), 1), PANELS_PER_ROW)
    rows = max(1, -(-len(panels) // PANELS_PER_ROW))
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.6 * rows), squeeze=False
    )
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis, name in zip(axes.flat, panels, strict=False):
        for system, samples in latencies[name].items():
            if not len(samples):
                continue
            count = len(samples)
            # x: 1 / (1 - percentile), so the tail gets its share of the width.
            xs = [1 / (1 - (i + 0.5) / count) for i in range(count)]
            ys = [value / 1000 for value in samples.samples_us]
            axis.plot(xs, ys, label=system, linewidth=1.4, color=COLORS[system])
        axis.set_xscale("log")
        ticks = [1 / (1 - q) for q in (0.0, 0.5, 0.9, 0.99, 0.999)]
        axis.set_xticks(ticks, ["0", "50", "90", "99", "99.9"])
        axis.set_xlim(1, max(ticks[-1], 2))
        axis.set_yscale("log")
        axis.set_xlabel("percentile")
        axis.set_ylabel("ms")
        axis.set_title(TITLES[name], fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
