"""Concurrency limits shared by every lambdactl process of a project.

A unit of concurrency is a *slot*: a small lock file under `.lambda/concurrency/<pool>/`,
held with `flock` while one invocation runs. The kernel releases it when the holder exits,
however it exits (even `kill -9`), so a crashed process never leaks capacity. A function with
`reserved_concurrency: N` has its own pool of N slots; all other functions share the
account's unreserved pool. Reserved concurrency is read at each acquire from the project's
functions (overrides set at run time through the API included), so a change reaches a process
that started before it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import StoreError, TooManyOpenFiles, TooManyRequestsException
from ..manifest import FunctionSpec, Manifest, unreserved

UNRESERVED = "unreserved"


class Slot:
    """A held unit of concurrency; `release` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self._path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            _spare(self._path, self._fd)  # kept open: the next take needs no open()
            self._fd = None


_spares: dict[Path, int] = {}
"""Open, unlocked slot files of this process, by path."""
MAX_SPARES = 64
"""Spare descriptors kept at most: a busy pool reuses a few slots, while probing a whole
unreserved pool (hundreds of slots) must not leave a descriptor open for each."""
_spares_lock = threading.Lock()
_made: set[Path] = set()
"""Slot directories known to exist."""


def _spare(path: Path, fd: int) -> None:
    with _spares_lock:
        if path in _spares or len(_spares) >= MAX_SPARES:
            os.close(fd)
        else:
            _spares[path] = fd


class ConcurrencyLimits:
    """A project's concurrency pools (each function's reserved one, the unreserved one)."""

    def __init__(
        self,
        manifest: Manifest,
        functions: Callable[[], Mapping[str, FunctionSpec]] | None = None,
    ) -> None:
        """`functions`: the project's functions now (default: the manifest's)."""
        self._manifest = manifest
        self._functions = functions or (lambda: manifest.functions)
        self._root = manifest.state_dir / "concurrency"
        self._unreserved: tuple[Mapping[str, FunctionSpec], int] | None = None
        """(functions, the unreserved pool's size for them): recounted when they change."""

    def _pool(self, function: str) -> tuple[Path, int, str]:
        """(slot directory, size, throttle Reason) of the pool `function` draws from."""
        functions = self._functions()
        spec = functions.get(function)
        reserved = None if spec is None else spec.reserved_concurrency
        if reserved is not None:
            return (
                self._root / f"function-{function}",
                reserved,
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        counted = self._unreserved
        if counted is None or counted[0] is not functions:
            counted = self._unreserved = (
                functions,
                unreserved(self._manifest.account_concurrency, functions),
            )
        return (self._root / UNRESERVED, counted[1], "ConcurrentInvocationLimitExceeded")

    def acquire(self, function: str) -> Slot:
        """A slot for one invocation of `function`, or AWS's throttle error."""
        directory, size, reason = self._pool(function)
        slot = _take(directory, size)
        if slot is None:
            raise TooManyRequestsException(reason)
        return slot

    def in_use(self, function: str) -> int:
        """How many of the function's pool's slots are held right now (by any process).

        For observing (status, tests): it probes each slot by taking it for an instant, so a
        concurrent `acquire` may see that slot as busy.
        """
        directory, size, _reason = self._pool(function)
        held = 0
        for index in range(size):
            slot = _try(directory / str(index))
            if slot is None:
                held += 1
            else:
                slot.release()
        return held


def _take(directory: Path, size: int) -> Slot | None:
    if size <= 0:
        return None
    if directory not in _made:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError.from_os(exc, directory) from None
        _made.add(directory)
    # Spread concurrent takers over the slots (os.urandom: importing `random` costs ~1 ms of
    # every invoke).
    start = int.from_bytes(os.urandom(4), "big") % size
    for offset in range(size):
        slot = _try(directory / str((start + offset) % size))
        if slot is not None:
            return slot
    return None


def _try(path: Path) -> Slot | None:
    with _spares_lock:
        fd = _spares.pop(path, None)
    if fd is None:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            TooManyOpenFiles.check(exc)
            raise StoreError.from_os(exc, path) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _spare(path, fd)
        return None
    return Slot(path, fd)
