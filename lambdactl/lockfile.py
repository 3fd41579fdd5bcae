"""A lock file that names its holder: `flock` says whether someone holds it, the file's text
says who. Standard library only, so the CLI's warm path can ask without loading the project.

The project's worker lock (`events/daemon.py`) is one: whoever holds it delivers the
project's asynchronous events, and `lambdactl serve` holds it for as long as it runs.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

WORKER_LOCK = "worker.lock"
"""The project's worker lock, in `.lambda/`."""


def hold(path: Path, *, claim: bool = True) -> int | None:
    """Take the lock at `path` (kept until the descriptor is closed or the process exits);
    None if another holds it. With `claim`, the file then names this process; a mere probe
    leaves it alone. Raises OSError when the file cannot be opened or created."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if claim:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
    return fd


def holder(path: Path) -> int | None:
    """The pid that holds the lock at `path`, or None (nobody holds it, or it cannot be
    read). Raises OSError when the file cannot be opened or created."""
    fd = hold(path, claim=False)
    if fd is not None:
        os.close(fd)
        return None
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None
