"""Helpers shared by the sources' tests: what the fixture functions recorded, waiting, and
running hosts and workers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.sources.host import Host


def batches(project_dir: Path) -> list[list[str]]:
    """The batches the fixture function recorded, one JSON list per line of batches.jsonl."""
    path = project_dir / "batches.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    """`check()`'s first truthy value, looked at every 50 ms for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not reached in time")


@contextmanager
def hosting() -> Iterator[Callable[[Path], Project]]:
    """`start(manifest)`: a project with a running Host (and its Invoker); all of them are
    stopped and closed when the block ends."""
    opened: list[tuple[Project, Invoker, Host]] = []

    def start(manifest: Path) -> Project:
        project = Project.open(manifest)
        invoker = Invoker(project)
        host = Host(project, invoker)
        host.start()
        opened.append((project, invoker, host))
        return project

    try:
        yield start
    finally:
        for project, invoker, host in opened:
            host.stop()
            invoker.close()
            project.close()


@contextmanager
def workers(project_dir: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """`start(log=None)`: a real `lambdactl worker` in `project_dir` (its output to `log`, or
    dropped); any still running when the block ends is killed."""
    started: list[subprocess.Popen[bytes]] = []

    def start(log: Path | None = None) -> subprocess.Popen[bytes]:
        output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        command = [sys.executable, "-m", "lambdactl", "worker"]
        worker = subprocess.Popen(
            command, cwd=project_dir, stdout=output, stderr=subprocess.STDOUT
        )
        if log:
            output.close()  # type: ignore[union-attr]
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
