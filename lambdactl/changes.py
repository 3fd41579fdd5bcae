"""Which code directories changed since last asked, from file-system events (watchdog).

Long-running processes (serve, dev, worker) ask this before each `$LATEST` invoke instead of
re-scanning every file of the function's code and layers. A one-shot command does not watch:
it scans once. The same watcher calls back when one file is written (`watch_file`: the
manifest, which a long-running process follows, see `reload`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

WRITE_EVENTS = frozenset({"created", "deleted", "modified", "moved", "closed"})
"""Events that can change a tree (`opened` and `closed_no_write` are reads)."""


class Changes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dirty: dict[str, bool] = {}
        self._real: dict[Path, str] = {}
        self._observer: Any = None

    def watch(self, directory: Path) -> None:
        """Start watching `directory` recursively; it counts as changed until first asked."""
        root = os.path.realpath(directory)
        with self._lock:
            if root in self._dirty:
                return
            self._dirty[root] = True
            self._start()
            self._observer.schedule(_Handler(self), root, recursive=True)

    def watch_file(self, path: Path, on_change: Callable[[], None]) -> None:
        """Call `on_change` (in the watcher's thread: it must be quick) after each event that
        may have changed the file `path`: written, replaced by a rename (as editors save),
        deleted, created. Its directory is watched alone, not the tree below it."""
        real = os.path.realpath(path)
        with self._lock:
            self._start()
            self._observer.schedule(_FileHandler(real, on_change), os.path.dirname(real))

    def changed(self, directories: Iterable[Path]) -> bool:
        """True if any of `directories` changed (or is not watched) since the last call that
        included it; the answer resets them."""
        roots = [
            self._real.get(d) or self._real.setdefault(d, os.path.realpath(d)) for d in directories
        ]
        with self._lock:
            answer = any(self._dirty.get(root, True) for root in roots)
            for root in roots:
                if root in self._dirty:
                    self._dirty[root] = False
            return answer

    def _touched(self, path: str) -> None:
        with self._lock:
            for root in self._dirty:
                if path == root or path.startswith(root + os.sep):
                    self._dirty[root] = True

    def _start(self) -> None:
        """The watcher's thread, started with the first watch (under `_lock`)."""
        if self._observer is None:
            from watchdog.observers import Observer

            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()

    def close(self) -> None:
        with self._lock:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=2)


class _Handler:
    """The watchdog handler protocol (`dispatch`), without importing watchdog up front."""

    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    def dispatch(self, event: Any) -> None:
        if event.event_type not in WRITE_EVENTS:
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self._changes._touched(os.fsdecode(path))


class _FileHandler:
    """Calls back on the write events of one file of the directory it watches."""

    def __init__(self, path: str, on_change: Callable[[], None]) -> None:
        self._path = path
        self._on_change = on_change

    def dispatch(self, event: Any) -> None:
        if event.event_type not in WRITE_EVENTS or event.is_directory:
            return
        paths = (event.src_path, getattr(event, "dest_path", ""))
        if any(path and os.fsdecode(path) == self._path for path in paths):
            self._on_change()
