"""Helpers for the asynchronous-invocation tests: a `Harness` that declares functions built
from `tests/fixtures/handlers/events.py`, opens the project, enqueues Event invocations, runs
in-process `Worker`s and reads what the handlers and the destinations saw.

Everything it opens (projects, invokers, workers, worker processes) is closed by `close()`,
so no environment or worker process outlives a test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lambdactl import queues
from lambdactl.events.worker import Worker
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.store.lifecycle import FINAL
from tests.runtime import process_gone, write_functions

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
"""An invocation record's timestamp: ISO 8601, UTC, milliseconds, `Z`."""


def handler(name: str, **extra: Any) -> dict[str, Any]:
    """A function running `events.<name>` (see tests/fixtures/handlers/events.py)."""
    return {"handler": f"app.{name}", "files": {"app.py": "events.py"}, "timeout": 10, **extra}


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the line of `path` that contains `text`."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def epoch(timestamp: str) -> float:
    """`2019-11-14T18:16:05.568Z` -> epoch seconds."""
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.replace(tzinfo=timezone.utc).timestamp()


PAUSE_BEFORE_DELIVERY = """
import threading
from lambdactl.cli import main
from lambdactl.events.worker import Worker

def paused(self, event, delivery):
    print(f"paused before delivering {event.id}", flush=True)
    threading.Event().wait()  # until the test kills the worker

Worker._send = paused
sys.argv = ["lambdactl", *sys.argv[1:]]
main()
"""
"""The worker, in-process, stopped at its deliveries: its outcome written (the event
`delivering`), the record not yet sent. Only the wait is added; all else is the real worker."""


class Harness:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = root.parent / "events.log"
        self._projects: list[Project] = []
        self._invokers: list[Invoker] = []
        self._enqueuers: dict[int, Invoker] = {}
        self._workers: list[Worker] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    # -- setting up -----------------------------------------------------------------------------

    def deploy(
        self,
        functions: dict[str, dict[str, Any]],
        *,
        queues: dict[str, dict[str, Any]] | None = None,
        top: dict[str, Any] | None = None,
    ) -> Project:
        """Write the manifest (every function logs to `self.log`) and open the project."""
        declared = {}
        for name, spec in functions.items():
            spec = dict(spec)
            spec["environment"] = {"EVENT_LOG": str(self.log), **spec.get("environment", {})}
            declared[name] = spec
        path = write_functions(self.root, declared)
        manifest = json.loads(path.read_text())
        if queues is not None:
            manifest["queues"] = queues
        manifest.update(top or {})
        path.write_text(json.dumps(manifest, indent=2))
        project = Project.open(path)
        self._projects.append(project)
        return project

    def invoker(self, project: Project) -> Invoker:
        opened = Invoker(project)
        self._invokers.append(opened)
        return opened

    def worker(self, project: Project, **options: Any) -> Worker:
        opened = Worker(project, **options)
        self._workers.append(opened)
        return opened

    def enqueue(
        self,
        project: Project,
        function: str,
        event: Any = None,
        *,
        body: bytes | None = None,
        qualifier: str | None = None,
        version: str = "$LATEST",
    ) -> str:
        """An Event invocation through the invoker: 202, the version it resolves to now, and
        nothing run yet. Returns the request id."""
        payload = json.dumps(event).encode() if body is None else body
        if id(project) not in self._enqueuers:
            self._enqueuers[id(project)] = self.invoker(project)
        result = self._enqueuers[id(project)].invoke(
            function, qualifier=qualifier, payload=payload, invocation_type="Event"
        )
        assert (result.status_code, result.executed_version, result.payload) == (
            202,
            version,
            b"",
        )
        return result.request_id

    # -- running ----------------------------------------------------------------------------------

    def drain(
        self,
        worker: Worker,
        request_ids: Iterable[str],
        *,
        timeout: float = 15.0,
        done: Callable[[], bool] | None = None,
    ) -> None:
        """Drive `worker.run_once()` until every event is succeeded or failed (and `done()`)."""
        store = worker.project.store
        wanted = list(request_ids)
        deadline = time.monotonic() + timeout
        while True:
            worker.run_once()
            states = [store.get_event(i).state for i in wanted]
            if all(s in FINAL for s in states) and (done is None or done()):
                return
            assert time.monotonic() < deadline, f"events not finished: {states}"
            time.sleep(0.01)

    def spawn_worker(
        self,
        *args: str,
        output: Path | None = None,
        sigint: str = "SIG_DFL",
        pause_before_delivery: bool = False,
    ) -> subprocess.Popen[bytes]:
        """`python -m lambdactl worker ARGS` in the project directory (stdout unbuffered).

        SIGINT's disposition is set first (`SIG_DFL`, or `SIG_IGN`) and the worker exec'd in
        the same process, so the pid is the worker's: a Python started with SIGINT ignored
        (as a background job of a non-interactive shell is) keeps ignoring it, and these
        tests must not depend on how pytest itself was started.

        `pause_before_delivery`: the worker runs in this process instead (no exec), each of
        its deliveries held forever once the outcome is recorded, after printing
        `paused before delivering ID` (see `PAUSE_BEFORE_DELIVERY`): a kill then lands
        exactly there.
        """
        out = open(output or self.root.parent / "worker.out", "ab")
        start = (
            PAUSE_BEFORE_DELIVERY
            if pause_before_delivery
            else "os.execv(sys.executable, [sys.executable, '-m', 'lambdactl', *sys.argv[1:]])"
        )
        trampoline = (
            f"import os, signal, sys\nsignal.signal(signal.SIGINT, signal.{sigint})\n{start}"
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", trampoline, "worker", *args],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            out.close()
        self._processes.append(process)
        return process

    # -- reading ----------------------------------------------------------------------------------

    def runs(self, **match: Any) -> list[dict[str, Any]]:
        """The JSON lines the handlers logged, in order; only those whose fields equal `match`."""
        if not self.log.exists():
            return []
        lines = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [x for x in lines if all(x.get(k) == v for k, v in match.items())]

    def wait_for_runs(self, count: int, timeout: float = 15.0, **match: Any) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(found := self.runs(**match)) < count:
            assert time.monotonic() < deadline, f"{len(found)} runs of {match}, not {count}"
            time.sleep(0.01)
        return found

    @staticmethod
    def receive_all(project: Project, queue: str) -> list[dict[str, Any]]:
        """Every visible message of a local queue (each hidden for 10 minutes once received)."""
        received: list[dict[str, Any]] = []
        while batch := queues.receive(project, queue, max_messages=10, visibility_timeout=600):
            received.extend(batch)
        return received

    def records(self, project: Project, queue: str) -> list[dict[str, Any]]:
        """The invocation records a destination queue holds (parsed message bodies)."""
        return [json.loads(m["Body"]) for m in self.receive_all(project, queue)]

    def code(self, function: str) -> Path:
        return (self.root / "src" / function / "app.py").resolve()

    # -- cleaning up ------------------------------------------------------------------------------

    def close(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        for worker in reversed(self._workers):
            worker.close()
        for invoker in reversed(self._invokers):
            invoker.close()
        for project in reversed(self._projects):
            project.close()


def worker_processes(manifest: Path) -> list[int]:
    """Live (not zombie) `lambdactl ... worker` processes started for `manifest`, as
    `daemon.ensure` starts them (`--manifest PATH worker`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode("utf-8", "replace") for a in argv]
        if "lambdactl" in words and "worker" in words and str(manifest) in words:
            if not process_gone(int(entry.name)):
                found.append(int(entry.name))
    return found


def wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not process_gone(pid):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)
