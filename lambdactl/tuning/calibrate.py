"""This machine's single-core speed against a fixed workload, so figures from two machines
can be compared: measured once, then read from `.lambda/calibration.json`."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WORKLOAD = "sha256 of 64 KiB, 2,000 times, plus 200,000 integer additions in pure Python"
ROUNDS = 3
"""The best of these is kept: a loaded machine slows some rounds down, never speeds one up."""


@dataclass(frozen=True)
class Calibration:
    workload_ms: float
    """The fixed workload's best time on one core of this machine."""
    machine: str
    python: str
    cached: bool = False


def _workload() -> None:
    block = b"x" * 65536
    for _ in range(2000):
        hashlib.sha256(block).digest()
    total = 0
    for i in range(200_000):
        total += i


def measure() -> Calibration:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        _workload()
        best = min(best, time.perf_counter() - start)
    return Calibration(round(best * 1000, 2), _machine(), _python())


def _machine() -> str:
    return f"{platform.machine()} {platform.processor() or platform.node()}".strip()


def _python() -> str:
    return f"{sys.implementation.name} {platform.python_version()}"


def cached(state_dir: Path) -> Calibration:
    """The calibration stored in `state_dir`, measured now if none (or another Python's)."""
    path = state_dir / "calibration.json"
    try:
        data = json.loads(path.read_text())
        if data.get("python") == _python() and data.get("workload") == WORKLOAD:
            return Calibration(float(data["workload_ms"]), str(data["machine"]), _python(), True)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    result = measure()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "workload": WORKLOAD,
                    "workload_ms": result.workload_ms,
                    "machine": result.machine,
                    "python": result.python,
                }
            )
        )
    except OSError:  # not stored: measured again next time
        pass
    return result
