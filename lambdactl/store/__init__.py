"""State in `.lambda/`: one metadata storage interface, its backends, the code blob store and
the recovery records (`ledger`, imported where needed)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreError
from .base import (
    AliasWrite,
    DeadLetter,
    Deletion,
    FunctionRecords,
    Store,
    VisibilityChange,
)
from .blobs import CodeStore

__all__ = [
    "STATE_FILE",
    "AliasWrite",
    "CodeStore",
    "DeadLetter",
    "Deletion",
    "FunctionRecords",
    "Store",
    "VisibilityChange",
    "lost_state",
    "open_store",
    "signs_of_use",
]

STATE_FILE = "state.db"
SIGNS_OF_USE = {
    "code": "code snapshots",
    "ledger": "version records",
    "logs.db": "a log database",
    f"{STATE_FILE}-wal": "the state database's write-ahead log",
}
"""What `.lambda/` holds only once its project was used: beside a missing or empty state
database, the proof that it was lost rather than never made."""


def open_store(state_dir: Path, *, read_only: bool = False, replace_lost: bool = False) -> Store:
    """Open (creating if needed) the default embedded backend in `state_dir`; `read_only`
    opens only one that is there (StoreError otherwise) and never writes.

    A state database that is missing or empty in a used project (see `lost_state`) is lost
    data, not a new project: `StoreError` naming it and the way back, unless `replace_lost`
    (the repair, which has moved the lost one aside).

    A database is made under `CREATION_LOCK`, and a loss is only concluded under it: another
    process making the database at that moment shows an empty file for a few instructions
    (more under load), which must not be taken for a lost one. An existing database costs
    one `stat` and no lock."""
    from .sqlite import SqliteStore

    path = state_dir / STATE_FILE
    if read_only or _has_content(path):
        return SqliteStore(path, read_only=read_only)
    with _creating(state_dir):
        if not replace_lost and (loss := lost_state(state_dir)) is not None:
            raise StoreError(
                f"{loss}: run 'lambdactl doctor --repair' to rebuild it (nothing is deleted)",
                hint="'lambdactl doctor' shows first what can be recovered and what is lost; "
                f"to start over instead, remove {state_dir}",
            )
        return SqliteStore(path, read_only=read_only)


CREATION_LOCK = "state.lock"
"""Held (flock) while a state database is made, and while a missing or empty one is judged."""


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


@contextlib.contextmanager
def _creating(state_dir: Path) -> Iterator[None]:
    import fcntl
    import os

    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir / CREATION_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreError.from_os(exc, state_dir / CREATION_LOCK) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def lost_state(state_dir: Path) -> str | None:
    """Why `state_dir`'s state database counts as lost (it is missing or empty, while the
    directory shows signs of use), or None. One `stat` when the database is there."""
    path = state_dir / STATE_FILE
    try:
        if path.stat().st_size > 0:
            return None
        condition = "empty"
    except FileNotFoundError:
        condition = "missing"
    except OSError:
        return None  # e.g. no permission: opening it says so
    signs = signs_of_use(state_dir)
    if not signs:
        return None  # a new project
    return f"state database {path} is {condition}, but {state_dir} holds {' and '.join(signs)}"


def signs_of_use(state_dir: Path) -> list[str]:
    """What in `state_dir` shows that its project was used (see `SIGNS_OF_USE`)."""
    return [what for name, what in SIGNS_OF_USE.items() if (state_dir / name).exists()]
