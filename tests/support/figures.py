"""Figures the fault tests measure, printed after the run and kept as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / ".artifacts"))

RECORDED: dict[str, dict[str, Any]] = {}


def record(name: str, **figures: Any) -> None:
    RECORDED[name] = figures


def write() -> Path | None:
    if not RECORDED:
        return None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "fault-figures.json"
    path.write_text(json.dumps(RECORDED, indent=2, sort_keys=True) + "\n")
    return path


def lines() -> list[str]:
    return [
        f"{name}: {json.dumps(figures, sort_keys=True)}"
        for name, figures in RECORDED.items()
    ]
