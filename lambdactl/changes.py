"""Which code directories changed since last asked, from file-system events (watchdog).

Long-running processes (serve, dev, worker) ask this before each `$LATEST` invoke instead of
re-scanning every file of the function's code and layers. A one-shot command does not watch:
it scans once. Only events that can change a package count (`code.left_out`: not
`__pycache__`, `.git`, `.lambda`, editors' swap and backup files, what `.lambdaignore`
excludes), so an editor's swap file never makes anyone look again. The same watcher calls back
when one file is written (`watch_file`: the manifest, which a long-running process follows,
see `reload`), and tells listeners each path that counted (`listen`: the dev loop).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .code import left_out

WRITE_EVENTS = frozenset({"created", "deleted", "modified", "moved", "closed"})
"""Events that can change a tree (`opened` and `closed_no_write` are reads)."""


def quiet_watchdog() -> None:
    """Silence watchdog's warning that a recursive watch registered a directory's callback
    twice: made at once, nested directories (`mkdir -p a/b/c`) are found both by its event and
    by its walk of the parent, and it says so with a RuntimeWarning from its own thread, which
    a user would see printed mid-command (and under warnings-as-errors it ends that thread, and
    with it the watch). The callback it replaces is the same one: nothing is lost. Called
    before each watch starts, so the filter is in place whatever filters were set since."""
    warnings.filterwarnings(
        "ignore", message=r"Callback with id .* already exists for watch", category=RuntimeWarning
    )


class Changes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        """Per watched root, how many counting events it had (1 once watched)."""
        self._seen: dict[tuple[str, str], int] = {}
        """(asker, root): the generation that asker last saw."""
        self._real: dict[Path, str] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._observer: Any = None

    def watch(self, directory: Path) -> None:
        """Start watching `directory` recursively; it counts as changed until first asked."""
        root = os.path.realpath(directory)
        with self._lock:
            if root in self._generation:
                return
            self._generation[root] = 1
            self._start()
            self._observer.schedule(_Handler(self, root), root, recursive=True)

    def watch_file(self, path: Path, on_change: Callable[[], None]) -> None:
        """Call `on_change` (in the watcher's thread: it must be quick) after each event that
        may have changed the file `path`: written, replaced by a rename (as editors save),
        deleted, created. Its directory is watched alone, not the tree below it."""
        real = os.path.realpath(path)
        with self._lock:
            self._start()
            self._observer.schedule(_FileHandler(real, on_change), os.path.dirname(real))

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call `listener` with each path (real) that changed in a watched directory and can
        change its package, from the watcher's thread (it must be quick), after the
        directory is marked changed."""
        with self._lock:
            self._listeners.append(listener)

    def changed(self, directories: Iterable[Path], *, asker: str = "") -> bool:
        """True if any of `directories` changed (or is not watched) since `asker`'s last call
        that included it; the answer resets them for `asker` alone. Each asker has its own
        answer: a layer two functions share changed for both, whichever asks first."""
        roots = [
            self._real.get(d) or self._real.setdefault(d, os.path.realpath(d)) for d in directories
        ]
        with self._lock:
            answer = False
            for root in roots:
                generation = self._generation.get(root)
                if generation is None:
                    answer = True
                elif self._seen.get((asker, root)) != generation:
                    self._seen[(asker, root)] = generation
                    answer = True
            return answer

    def _touched(self, root: str, path: str) -> None:
        if left_out(Path(root), path):
            return
        with self._lock:
            for watched in self._generation:
                if path == watched or path.startswith(watched + os.sep):
                    self._generation[watched] += 1
            listeners = list(self._listeners)
        for listener in listeners:
            listener(path)

    def _start(self) -> None:
        """The watcher's thread, started with the first watch (under `_lock`)."""
        quiet_watchdog()
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

    def __init__(self, changes: Changes, root: str) -> None:
        self._changes = changes
        self._root = root

    def dispatch(self, event: Any) -> None:
        if event.event_type not in WRITE_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return  # its entries changed: each has an event of its own (or is left out)
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self._changes._touched(self._root, os.fsdecode(path))


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
