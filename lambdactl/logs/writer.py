"""Writes log lines to the store from a background thread, off the invoke path.

An invocation hands its lines over (a queue put) and returns; the thread commits whatever
has gathered in one transaction, so under load many invocations share one commit. `flush`
waits until everything handed over so far is stored (`--log-type Tail` reads the store),
and the writer flushes when it closes and when the interpreter exits. Retention runs on
the same thread, at most once a minute across all writers of a project.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import StoreError
from ..manifest import LogRetention
from .lines import now_ms
from .store import LogEntry, LogStore

RETENTION_INTERVAL_MS = 60_000
MAX_BATCH = 2000
"""Entries per transaction at most."""
LINGER_SECONDS = 0.02
"""How long the thread gathers more invocations before it commits: one commit for many
invocations under load costs the invoke path far less than one each; followers (every
100 ms) and `flush` (which cuts the wait short) barely notice."""

_FLUSH: list[LogEntry] = []
"""Queued by `flush`: commit now, without lingering."""

log = logging.getLogger("lambdactl")

_LIVE: weakref.WeakSet[LogWriter] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for writer in list(_LIVE):
        writer.close()


class LogWriter:
    def __init__(
        self,
        state_dir: Path,
        *,
        retention: Callable[[str], LogRetention] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        """`retention` gives a log group's limits (None: AWS-like defaults for all)."""
        self._state_dir = state_dir
        self._retention = retention or (lambda _group: LogRetention())
        self._clock = clock
        self._queue: queue.Queue[list[LogEntry] | None] = queue.Queue()
        self._done = threading.Condition()
        self._hurry = threading.Event()
        """Set by `flush` and `close`: commit what is queued now."""
        self._submitted = 0
        self._written = 0
        self._thread: threading.Thread | None = None
        self._store: LogStore | None = None
        """For readers (`store()`); the thread writes through a connection of its own, so
        that a paused read never stands in a write's way."""
        self._own: LogStore | None = None
        self._store_lock = threading.Lock()
        self._closed = False
        self._abandoned = False
        """Set by `abandon`: nothing more is stored, not even what is pending."""
        self._warned = False
        _LIVE.add(self)

    def write(self, entries: Sequence[LogEntry]) -> None:
        """Hand `entries` over to be stored (in this order, together); returns at once."""
        entries = [entry for entry in entries if entry.events]
        if not entries or self._closed:
            return
        with self._done:
            self._submitted += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
                self._thread.start()
        self._queue.put(entries)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything written so far is stored; False if it took too long."""
        with self._done:
            target = self._submitted
            if self._written >= target:
                return True
        self._queue.put(_FLUSH)
        self._hurry.set()
        with self._done:
            return self._done.wait_for(lambda: self._written >= target, timeout)

    def store(self) -> LogStore:
        """A connection for reading back what was written (opened on first use)."""
        with self._store_lock:
            if self._closed:
                raise RuntimeError("the log writer is closed")
            if self._store is None:
                self._store = LogStore(self._state_dir)
            return self._store

    def close(self) -> None:
        """Store what is pending and stop the thread."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._hurry.set()
            self._thread.join(timeout=30)
        with self._store_lock:
            for store in (self._store, self._own):
                if store is not None:
                    store.close()
            self._store = self._own = None

    def abandon(self) -> None:
        """Store nothing more, not even what is pending, and stop: for a process whose state
        directory is gone (opening logs.db by its path now could make one in another)."""
        self._abandoned = True
        self.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[LogEntry] = []
            handed = 0
            item: list[LogEntry] | None = self._queue.get()
            if item is not None and item is not _FLUSH:
                # Linger without waking up at every write (a thread switch per invocation
                # under load); `flush` and `close` cut it short.
                self._hurry.wait(LINGER_SECONDS)
            self._hurry.clear()
            while True:
                if item is None:
                    stopping = True
                elif item is not _FLUSH:
                    batch += item
                    handed += 1
                if stopping or len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._store_batch(batch)
            with self._done:
                self._written += handed
                self._done.notify_all()
            if batch:
                self._maybe_enforce_retention()

    def _writing_store(self) -> LogStore:
        """The thread's own connection."""
        if self._own is None:
            self._own = LogStore(self._state_dir)
        return self._own

    def _store_batch(self, batch: list[LogEntry]) -> None:
        if self._abandoned:
            return
        try:
            self._writing_store().append(batch, now=self._clock())
        except Exception as exc:  # the thread must live on: a lost batch is warned about
            self._warn(f"log lines were not stored: {self._why(exc)}")

    def _maybe_enforce_retention(self) -> None:
        if self._abandoned:
            return
        try:
            store = self._writing_store()
            now = self._clock()
            if store.claim_retention(now=now, interval_ms=RETENTION_INTERVAL_MS):
                store.enforce_retention(self._retention, now=now)
        except Exception as exc:
            self._warn(f"log retention failed: {self._why(exc)}")

    def _why(self, exc: Exception) -> str:
        """One line: a `StoreError` names the file and what to do; others get the directory."""
        if isinstance(exc, StoreError):
            return f"{exc.message}; {exc.hint}" if exc.hint else exc.message
        return f"in {self._state_dir}: {exc}"

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(message)
