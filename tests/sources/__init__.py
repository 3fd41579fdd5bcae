"""Helpers shared by the sources' tests: what the fixture functions recorded, and waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def batches(project_dir: Path) -> list[list[str]]:
    """The batches the fixture function recorded, one JSON list per line of batches.jsonl."""
    path = project_dir / "batches.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    """`check()`'s first truthy value, looked at every 50 ms for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not reached in time")
