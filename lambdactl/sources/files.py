"""The files poller: a `files:` source's directory as an S3 bucket (spec §7.4): each object
event reaches the function as S3's notification does, asynchronously, through the durable
event queue, one record per event.

- Bucket: the directory's name; key: the file's path below it (`/`-separated, URL-encoded as
  S3 sends it); `size` and `eTag` (the MD5 of the content) as read when the event fires.
- Created (`ObjectCreated:Put`): a file created, written, or renamed into place. It fires once
  the writer closes the file, or after `SETTLE_SECONDS` without an event while nothing holds
  it open, so size and eTag are final; a file still changing while read waits again. A
  rewrite is another Put (S3 overwrites); an event that changes nothing (same inode, size,
  mtime as last fired) fires nothing.
- Removed (`ObjectRemoved:Delete`): a file deleted or renamed away; no size, no eTag.
- Left out: directories, editors' own files (`code.EDITOR_FILES`), anything under a
  `.lambda/` directory, symbolic links, and any path whose real location is outside the
  watched directory (never followed).
- Stop: no new event; a created file still settling is dropped (nothing was promised yet).
- A missing directory: said once (one line naming the function, the source and the path),
  shown as the mapping's LastProcessingResult, and looked for again, quietly, at growing
  intervals (`RETRY_SECONDS` up to `RETRY_MAX_SECONDS`); the watch starts when it appears.
  A directory deleted (or renamed away) while watched: said once, the same way, and the
  watch resumes when it comes back (what happened in between is not replayed: S3 has no
  events for a bucket that is not there).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import stat
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from ..changes import quiet_watchdog
from ..code import editor_file
from ..errors import LambdactlError
from ..invoke import Invoker
from ..layout import STATE_DIR_NAME
from ..project import Project
from ..shapes import s3
from ..timestamps import utcnow
from . import mappings, specs
from .specs import FilesSource

log = logging.getLogger("lambdactl")

FIRED_KEPT = 100
"""How many of the latest fired events a poller remembers."""

SETTLE_SECONDS = 0.25
"""How long a written file must stay quiet (when no close says it is done) before it fires."""
CHUNK = 1024 * 1024
RETRY_SECONDS = 0.25
"""The first wait before a missing directory is looked for again (it doubles each time)."""
RETRY_MAX_SECONDS = 5.0
"""The longest wait between two looks for a missing directory."""
GONE = "gone"
"""The watcher's word for the watched directory itself deleted or renamed away."""


def missing_result(path: str) -> str:
    """The LastProcessingResult of a mapping whose directory is not there."""
    return f"PROBLEM: The watched directory does not exist: {path}"


class FilesPoller:
    """Watches one directory for one mapping; `start`, then `stop` (and `join`)."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        source: FilesSource,
        *,
        settle: float = SETTLE_SECONDS,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.source = source
        self.root = os.path.realpath(source.path)
        self.bucket = Path(self.root).name
        self.settle = settle
        self.fired: deque[tuple[str, str]] = deque(maxlen=FIRED_KEPT)
        """(event name, key) of the latest events queued, in order."""
        self._events: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._pending: dict[str, float] = {}
        """Created or written files waiting to settle: path -> when to look again."""
        self._open: dict[str, int] = {}
        """Paths opened and not yet closed (as far as the watcher saw)."""
        self._last: dict[str, tuple[int, int, int]] = {}
        """Path -> (inode, size, mtime_ns) as last fired: an event that changed nothing."""
        self._observer: Any = None
        self._observers: list[Any] = []
        """Every observer started (one per time the directory was there), for `join`."""
        self._watching = threading.Lock()
        """Orders starting an observer (the loop's thread) against `stop` (any thread)."""
        self._stopped = False
        self._missing = False
        """The directory was not there at the last look: said once, looked for again."""
        self._retry_in = RETRY_SECONDS
        self._retry_at = 0.0
        relative = specs.describe(source, project.manifest.root)
        self.where = f"files source {relative.rstrip('/')}/ of function {source.function}"
        """Names the source in the log: `files source inbox/ of function hello`."""
        self._thread = threading.Thread(target=self._run, name=f"files-{self.bucket}", daemon=True)

    def start(self) -> None:
        """Watch the directory from now on (when it is missing: from when it appears)."""
        self._watch()
        self._thread.start()

    def stop(self) -> None:
        """No new event from now on."""
        with self._watching:
            self._stopped = True
            observer = self._observer
        self._events.put(None)
        if observer is not None:
            observer.stop()

    def join(self) -> None:
        for observer in list(self._observers):
            if observer.ident is not None:
                observer.join()
        if self._thread.ident is not None:
            self._thread.join()

    @property
    def watching(self) -> bool:
        """Whether the directory is watched now (False while it is missing)."""
        return not self._missing

    # -- the watch -----------------------------------------------------------------------------

    def _watch(self) -> None:
        """Start an observer of the directory; when it is not there, say so (once) and look
        again later."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        events, root = self._events, self.root

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                source = os.fsdecode(event.src_path)
                if event.is_directory:
                    if source == root and event.event_type in ("deleted", "moved"):
                        events.put((GONE, source, ""))
                    return
                dest = event.dest_path if isinstance(event.dest_path, str) else ""
                events.put((event.event_type, source, os.fsdecode(dest)))

        with self._watching:
            if self._stopped:
                return
            quiet_watchdog()
            observer = Observer()
            try:
                if not os.path.isdir(self.root):
                    raise FileNotFoundError(self.root)
                observer.schedule(Handler(), self.root, recursive=True)
                observer.start()
            except OSError:  # not there (or not a directory, or gone meanwhile)
                found = False
            else:
                found = True
                self._observer = observer
                self._observers.append(observer)
        if not found:
            self._went_missing(
                f"directory {self.root} does not exist; the watch starts when it appears"
            )
        elif self._missing:
            self._missing = False
            self._retry_in = RETRY_SECONDS
            log.warning(f"{self.where}: {self.root} is there now; watching it")
            result = mappings.OK if self.fired else mappings.NO_RECORDS
            mappings.record_result(self.project, self.source, result)

    def _went_missing(self, why: str) -> None:
        """Say once that the directory is not there, and plan the next look."""
        if not self._missing:
            self._missing = True
            log.warning(f"{self.where}: {why}")
            mappings.record_result(self.project, self.source, missing_result(self.root))
        self._retry_at = time.monotonic() + self._retry_in
        self._retry_in = min(self._retry_in * 2, RETRY_MAX_SECONDS)

    def _lost(self) -> None:
        """The watched directory was deleted or renamed away: its observer has ended."""
        with self._watching:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
        self._pending.clear()
        self._open.clear()
        self._went_missing(f"{self.root} was deleted; the watch resumes when it comes back")

    # -- the loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            wakes = list(self._pending.values())
            if self._missing:
                wakes.append(self._retry_at)
            wait = max(0.0, min(wakes) - time.monotonic()) if wakes else None
            try:
                item = self._events.get(timeout=wait)
            except queue.Empty:
                item = ()  # type: ignore[assignment]
            if item is None:
                return
            try:
                if item and item[0] == GONE:
                    self._lost()
                elif item:
                    self._take(*item)
                self._settled()
                if self._missing and time.monotonic() >= self._retry_at:
                    self._watch()
            except Exception:  # a bug must not end the watch: said, and it goes on
                log.exception(f"{self.where}: event not delivered")

    def _take(self, kind: str, path: str, dest: str) -> None:
        if kind in ("created", "modified"):
            if self._wanted(path):
                self._pending[path] = time.monotonic() + self.settle
        elif kind == "opened":
            self._open[path] = self._open.get(path, 0) + 1
        elif kind in ("closed", "closed_no_write"):
            count = self._open.pop(path, 0) - 1
            if count > 0:
                self._open[path] = count
            if kind == "closed" and self._wanted(path):
                self._pending.pop(path, None)
                self._created(path)
        elif kind == "deleted":
            self._removed(path)
        elif kind == "moved":
            self._removed(path)
            if dest and self._wanted(dest):
                self._pending.pop(dest, None)
                self._created(dest)

    def _settled(self) -> None:
        now = time.monotonic()
        for path, when in list(self._pending.items()):
            if when > now:
                continue
            if self._open.get(path, 0) > 0:  # still held open: its close says when
                self._pending[path] = now + self.settle
                continue
            del self._pending[path]
            self._created(path)

    # -- what fires ----------------------------------------------------------------------------

    def _wanted(self, path: str) -> bool:
        """Whether `path` may be an object of this bucket: below the root, not ours, not an
        editor's."""
        relative = os.path.relpath(path, self.root)
        parts = relative.split(os.sep)
        if relative.startswith("..") or STATE_DIR_NAME in parts[:-1]:
            return False
        return not editor_file(parts[-1]) and parts[-1] != STATE_DIR_NAME

    def _key(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def _created(self, path: str) -> None:
        if "created" not in self.source.events:
            return
        read = self._read(path)
        if read is None:
            return
        identity, size, digest = read
        if self._last.get(path) == identity:
            return
        self._last[path] = identity
        self._send(s3.CREATED, path, size=size, etag=digest)

    def _removed(self, path: str) -> None:
        self._pending.pop(path, None)
        fired = self._last.pop(path, None)
        if "removed" not in self.source.events or not self._wanted(path):
            return
        if fired is None and os.path.lexists(path):  # a rename onto itself, or not ours
            return
        self._send(s3.REMOVED, path)

    def _read(self, path: str) -> tuple[tuple[int, int, int], int, str] | None:
        """(identity, size, MD5) of a regular file really inside the root; None when it is
        not one (gone, a link, outside), or when it changed while read (it settles again)."""
        try:
            before = os.lstat(path)
            if not stat.S_ISREG(before.st_mode):
                return None
            real = os.path.realpath(path)
            if os.path.commonpath([real, self.root]) != self.root:
                return None
            digest = hashlib.md5()
            size = 0
            with open(path, "rb", opener=_no_follow) as file:
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                after = os.fstat(file.fileno())
        except OSError:
            return None
        identity = (after.st_ino, after.st_size, after.st_mtime_ns)
        if identity != (before.st_ino, before.st_size, before.st_mtime_ns) or size != after.st_size:
            self._pending[path] = time.monotonic() + self.settle
            return None
        return identity, size, digest.hexdigest()

    def _send(self, event_name: str, path: str, **details: Any) -> None:
        manifest = self.project.manifest
        key = self._key(path)
        record = s3.record(
            self.bucket,
            key,
            region=manifest.region,
            account=manifest.account,
            event_name=event_name,
            time=utcnow(),
            **details,
        )
        payload = json.dumps(s3.event([record])).encode()
        try:
            self.invoker.invoke(self.source.function, payload=payload, invocation_type="Event")
        except LambdactlError as exc:  # the function removed, the store gone...: said
            log.warning(f"{self.where}: {key}: {exc.message}")
            mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
            return
        self.fired.append((event_name, key))
        mappings.record_result(self.project, self.source, mappings.OK)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
