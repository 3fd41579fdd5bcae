"""Where a project's running server listens: `.lambda/endpoint.json`, written by `lambdactl
serve` once it accepts requests and removed when it stops.

A file left behind by a server that died (`kill -9`) is recognised as stale: the server holds
the project's worker lock while it runs, and the file names the pid that holds it. Reading it
costs one small file read and one `flock` probe, so the CLI's warm path stays lean
(standard library only).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .events import daemon

FILE_NAME = "endpoint.json"


@dataclass(frozen=True)
class Endpoint:
    """A running server of the project: its base URL and process."""

    url: str
    """`http://HOST:PORT`, the address clients are given (`endpoint_url`)."""
    pid: int

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        return host.strip("[]"), int(port)


def publish(state_dir: Path, endpoint: Endpoint) -> None:
    """Announce `endpoint` (atomically: a reader sees the whole file or none)."""
    path = state_dir / FILE_NAME
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    temporary.write_text(json.dumps({"url": endpoint.url, "pid": endpoint.pid}))
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
    if announced.pid != os.getpid() and daemon.running_pid(state_dir) != announced.pid:
        return None  # its server died: whoever holds the lock (if anyone) is not it
    return announced


def _read(path: Path) -> Endpoint | None:
    try:
        data = json.loads(path.read_text())
        return Endpoint(url=str(data["url"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
