"""Facts that are slow to find and rarely change, remembered between lambdactl processes.

A record is one small JSON file (in `.lambda/`): a value and the key it was found under.
`recall` returns the value only while the caller's key is still exactly the same, so a
record can be stale but never wrong; a missing, unreadable or damaged record is a miss,
and a record that cannot be written (a read-only directory) is simply not kept. Records
are never the source of truth: deleting them only costs the next process the slow path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def recall(path: Path, key: object) -> dict[str, Any] | None:
    """The value saved at `path` under `key`, or None."""
    try:
        record = json.loads(path.read_bytes())
        if isinstance(record, dict) and record.get("key") == _text(key):
            value = record.get("value")
            return value if isinstance(value, dict) else None
    except (OSError, ValueError):
        pass
    return None


def save(path: Path, key: object, value: dict[str, Any]) -> None:
    """Remember `value` under `key` (atomically: readers see the old record or the new)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps({"key": _text(key), "value": value}))
        os.replace(partial, path)
    except OSError:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass


def stamp(path: str | Path) -> list[int] | None:
    """What changes when a file is replaced or rewritten: device, inode, size, mtime, ctime."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _text(key: object) -> str:
    return json.dumps(key, sort_keys=True, default=str)
