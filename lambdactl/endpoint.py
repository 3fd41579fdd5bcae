"""Where a project's running server listens: `.lambda/endpoint.json`, written by `lambdactl
serve` once it accepts requests and removed when it stops.

A file left behind by a server that died (`kill -9`) is recognised as stale: the server holds
the project's worker lock while it runs, and the file names the pid that holds it. Reading it
costs one small file read and one `flock` probe, and this module imports the standard library
only, so the CLI's warm path stays lean.

The file also records the manifest the server serves (its path, size and modification
time), and the newest text of it the server has read and why it does not serve that one (an
invalid edit): the server follows edits of its manifest (`reload`) and says so here, and the
CLI hands a command over only to a server that runs the manifest as it is on disk; it waits
a moment for one that has not read an edit yet.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import lockfile

FILE_NAME = "endpoint.json"
SUMMARY_HEADER = "X-Lambdactl-Summary"
"""lambdactl's one addition to the wire format, for its own CLI: a request that carries this
header (any value) gets back, in the same header, JSON of what AWS's response leaves out and
the CLI prints (Invoke: the executed version and the REPORT; PublishVersion: whether a
version was created). Other clients never send it and never see it."""


@dataclass(frozen=True)
class Endpoint:
    """A running server of the project: its base URL, its process and its manifest."""

    url: str
    """`http://HOST:PORT`, the address clients are given (`endpoint_url`)."""
    pid: int
    manifest: str = ""
    """The manifest file the server loaded."""
    stamp: tuple[int, int] = (0, 0)
    """That file's (size, mtime_ns) when the server loaded the text it serves."""
    seen: tuple[int, int] = (0, 0)
    """The stamp of the newest text the server has read, served or not."""
    declined: str = ""
    """Why the server does not serve that newest text (its one-line error), "" when it does."""

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        return host.strip("[]"), int(port)

    def serves(self, manifest: Path) -> bool:
        """Whether the server runs `manifest` as it is on disk now (not an older text of it,
        nor another manifest beside it)."""
        return str(manifest) == self.manifest and stamp(manifest) == self.stamp

    def unlike(self, manifest: Path) -> str | None:
        """Why the server does not run `manifest` as it is on disk now (a phrase following
        "lambdactl serve (pid N)"), None when it does; `UNREAD` when it has not read that
        text yet (an edit of moments ago: it does within a second)."""
        if str(manifest) != self.manifest:
            return f"serves another manifest, {self.manifest}"
        now = stamp(manifest)
        if now == self.stamp:
            return None
        if now == self.seen and self.declined:  # the local run says what is wrong
            return f"keeps the last valid {manifest.name}, as the edit is invalid"
        return UNREAD


UNREAD = "has not read the edited manifest"


def stamp(manifest: Path) -> tuple[int, int]:
    """What tells one text of a manifest file from the next: (size, mtime_ns); (0, 0) when
    it cannot be read. A SAM template's remembered options (`sam/options.py`) count as part
    of its text: a change of them is a new manifest to serve."""
    try:
        status = os.stat(manifest)
    except OSError:
        return (0, 0)
    try:
        options = os.stat(options_path(manifest))
    except OSError:
        return (status.st_size, status.st_mtime_ns)
    return (status.st_size + options.st_size, max(status.st_mtime_ns, options.st_mtime_ns))


def options_path(manifest: Path) -> Path:
    """Where a template's options are remembered (`sam/options.py`)."""
    from .layout import STATE_DIR_NAME
    from .sam.options import OPTIONS_NAME

    return manifest.parent / STATE_DIR_NAME / OPTIONS_NAME


def publish(state_dir: Path, endpoint: Endpoint) -> None:
    """Announce `endpoint` (atomically: a reader sees the whole file or none)."""
    path = state_dir / FILE_NAME
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    record = {
        "url": endpoint.url,
        "pid": endpoint.pid,
        "manifest": endpoint.manifest,
        "stamp": list(endpoint.stamp),
        "seen": list(endpoint.seen),
        "declined": endpoint.declined,
    }
    temporary.write_text(json.dumps(record))
    os.replace(temporary, path)


def withdraw(state_dir: Path, pid: int) -> None:
    """Remove the announcement if it is still this process's."""
    path = state_dir / FILE_NAME
    announced = _read(path)
    if announced is not None and announced.pid == pid:
        path.unlink(missing_ok=True)


def running(state_dir: Path) -> Endpoint | None:
    """The project's live server, or None (no file, an unreadable one, or a stale one)."""
    announced = _read(state_dir / FILE_NAME)
    if announced is None:
        return None
    if announced.pid == os.getpid():
        return announced
    try:
        live = lockfile.holder(state_dir / lockfile.WORKER_LOCK)
    except OSError:
        return None
    if live != announced.pid:
        return None  # its server died: whoever holds the lock (if anyone) is not it
    return announced


def _read(path: Path) -> Endpoint | None:
    try:
        data = json.loads(path.read_text())
        size, mtime = data.get("stamp") or (0, 0)
        seen_size, seen_mtime = data.get("seen") or (0, 0)
        return Endpoint(
            url=str(data["url"]),
            pid=int(data["pid"]),
            manifest=str(data.get("manifest", "")),
            stamp=(int(size), int(mtime)),
            seen=(int(seen_size), int(seen_mtime)),
            declined=str(data.get("declined", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
