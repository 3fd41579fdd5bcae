"""One retry worker per project: a lock in `.lambda/` says whether it runs, and an
asynchronous invoke starts a detached one when none does (it exits when idle)."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import lockfile
from ..errors import StoreError

if TYPE_CHECKING:
    from ..project import Project

LOCK_NAME = lockfile.WORKER_LOCK
LOG_NAME = "worker.log"
IDLE_EXIT_SECONDS = 60.0
"""A detached worker exits after this long with nothing to do."""

logger = logging.getLogger("lambdactl")


def hold(state_dir: Path, *, claim: bool = True) -> int | None:
    """Take the project's worker lock (kept until the process exits); None if taken.

    With `claim`, the lock file then names this process; a mere probe leaves it alone.
    """
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        return lockfile.hold(state_dir / LOCK_NAME, claim=claim)
    except OSError as exc:
        raise StoreError.from_os(exc, state_dir / LOCK_NAME) from None


def watch(state_dir: Path, lock: int) -> Callable[[], str | None]:
    """A check for a running worker: why `state_dir` is no longer the directory it started
    in (removed, replaced by another, or its lock file removed or replaced, so that another
    worker may start), or None while it is. `lock` is the descriptor `hold` returned.

    Compares device and inode numbers, so a new `.lambda/` at the same path is not taken for
    the old one. Costs two `stat` calls."""
    started = _identity(os.stat(state_dir))
    locked = _identity(os.fstat(lock))
    lock_path = state_dir / LOCK_NAME

    def lost() -> str | None:
        for path, expected in ((state_dir, started), (lock_path, locked)):
            try:
                now = _identity(os.stat(path))
            except FileNotFoundError:
                return f"{path} was removed"
            except OSError:
                return None  # unreadable for a moment (permissions): not proof of anything
            if now != expected:
                return f"{path} was replaced"
        return None

    return lost


def _identity(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_dev, stat.st_ino


def running_pid(state_dir: Path) -> int | None:
    """The pid of the project's running worker (or of the `lambdactl serve` that runs it),
    or None."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        return lockfile.holder(state_dir / LOCK_NAME)
    except OSError as exc:
        raise StoreError.from_os(exc, state_dir / LOCK_NAME) from None


def ensure(project: Project) -> None:
    """Start a detached worker for the project unless one is running.

    The events are already queued: a worker that cannot be started is a warning (a later
    `lambdactl worker` runs them), not the caller's failure."""
    try:
        _ensure(project)
    except (OSError, StoreError) as exc:
        reason = exc.message if isinstance(exc, StoreError) else str(exc)
        logger.warning(f"no worker could be started ({reason}); run `lambdactl worker`")


def _ensure(project: Project) -> None:
    state = project.manifest.state_dir
    if running_pid(state) is not None:
        return
    idle = os.environ.get("LAMBDACTL_WORKER_IDLE_EXIT", str(IDLE_EXIT_SECONDS))
    command = [
        sys.executable,
        "-m",
        "lambdactl",
        "--manifest",
        str(project.manifest.path),
        "worker",
        "--idle-exit",
        idle,
    ]
    _detach(command, cwd=project.manifest.root, log=state / LOG_NAME)


def _detach(command: list[str], *, cwd: Path, log: Path) -> None:
    """Start `command` as a daemon: in its own session, reparented to init (double fork),
    so it outlives this process and never lingers as its child."""
    try:
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as exc:
        raise StoreError.from_os(exc, log) from None
    null_fd = os.open(os.devnull, os.O_RDONLY)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork in a threaded process; the child only forks and
            # execs, which is safe.
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child
            try:
                os.setsid()
                if os.fork() == 0:
                    os.chdir(cwd)
                    os.dup2(null_fd, 0)
                    os.dup2(log_fd, 1)
                    os.dup2(log_fd, 2)
                    os.execv(command[0], command)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
    finally:
        os.close(log_fd)
        os.close(null_fd)
