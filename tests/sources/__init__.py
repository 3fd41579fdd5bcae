"""Helpers shared by the sources' tests: what the fixture functions recorded, waiting,
projects with a running Host, real workers, and a real worker killed mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lambdactl import queues
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.host import Host

Hosted = Callable[..., tuple[Project, Host]]
"""`hosted(...)`: writes the manifest, opens the project and starts a Host on it."""


def batches(project_dir: Path) -> list[Any]:
    """The batches the fixture function recorded, one JSON list per line of batches.jsonl
    (a line still being written is not read yet)."""
    path = project_dir / "batches.jsonl"
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def wait_for(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    """`check()`'s first truthy value, looked at every 50 ms for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not reached in time")


@contextmanager
def hosting(write: Callable[..., Path]) -> Iterator[Hosted]:
    """`hosted(*args, **options)`: the project of `write(*args, **options)`'s manifest with a
    running Host (and its Invoker); every one is stopped and closed when the block ends."""
    opened: list[tuple[Project, Invoker, Host]] = []

    def start(*args: Any, **options: Any) -> tuple[Project, Host]:
        project = Project.open(write(*args, **options))
        invoker = Invoker(project)
        host = Host(project, invoker)
        host.start()
        opened.append((project, invoker, host))
        return project, host

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
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def start(log: Path | None = None) -> subprocess.Popen[bytes]:
        output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        command = [sys.executable, "-m", "lambdactl", "worker"]
        worker = subprocess.Popen(
            command, cwd=project_dir, stdout=output, stderr=subprocess.STDOUT, env=env
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


def function_manifest(
    project_dir: Path,
    handler: str,
    event: str,
    settings: str = "",
    *,
    partial: bool = False,
    timeout: int = 3,
    tail: str = "",
) -> Path:
    """A project with one function `hello` (`handler` as src/hello/app.py, BATCHES and,
    with `partial`, PARTIAL in its environment) whose one source is `event` (YAML lines, the
    first the item's), with `settings` lines below it, then `tail` (top-level YAML) and a
    local queue `failed`."""
    (project_dir / "src" / "hello" / "app.py").write_text(handler)
    environment = f"BATCHES: {project_dir / 'batches.jsonl'}" + (
        ", PARTIAL: '1'" if partial else ""
    )
    first, *rest = event.splitlines()
    indent = " " * (len(rest[0]) - len(rest[0].lstrip())) if rest else "        "
    path = project_dir / "functions.yaml"
    path.write_text(
        "region: us-east-1\n"
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n"
        f"    timeout: {timeout}\n    environment: {{{environment}}}\n"
        f"    events:\n      - {first}\n"
        + "".join(f"{line}\n" for line in rest)
        + "".join(f"{indent}{line}\n" for line in settings.splitlines())
        + tail
        + "queues:\n  failed: {}\n"
    )
    return path


def failures(project: Project) -> list[dict[str, Any]]:
    """The on-failure records the local queue `failed` holds (received now)."""
    got = queues.receive(project, "failed", max_messages=10, wait=0)
    return [json.loads(message["Body"]) for message in got]


def last_result(project: Project) -> str:
    """The LastProcessingResult of `hello`'s first source."""
    source = project.functions["hello"].events[0]
    return mappings.current(project, source).last_processing_result


def item_failures(hosted: Hosted, project_dir: Path) -> tuple[list[list[str]], dict[str, Any]]:
    """With `a`, `bad`, `b` waiting and the function reporting `bad` as a batch item failure
    (one retry, then the on-failure queue): each batch's data, and the on-failure record."""
    project, _host = hosted(
        "batch_size: 3\nreport_batch_item_failures: true\nmaximum_retry_attempts: 1\n"
        "on_failure: {queue: failed}",
        partial=True,
    )
    [record] = wait_for(lambda: failures(project))
    return [[data for _where, data in batch] for batch in batches(project_dir)], record


WINDOW_HANDLER = """\
import json, os

def handler(event, context):
    seen = {k: event.get(k) for k in ("window", "state", "shardId", "eventSourceARN",
                                      "isFinalInvokeForWindow", "isWindowTerminatedEarly")}
    seen["records"] = len(event["Records"])
    with open(os.environ["BATCHES"] + ".windows", "a") as f:
        f.write(json.dumps(seen) + "\\n")
    return {"state": {"count": event["state"].get("count", 0) + len(event["Records"])}}
"""
"""A function that counts its window's records in the window's state; each invoke is a line
of batches.jsonl.windows (the event without its records, and how many there were)."""


def window_invokes(project_dir: Path) -> list[dict[str, Any]]:
    path = project_dir / "batches.jsonl.windows"
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def check_windows(invokes: list[dict[str, Any]], shard: str, arn: str) -> list[int]:
    """Each window's invokes are its batches, then one final invoke without records whose
    state counts them all; returns each window's count, in order."""
    counts: list[int] = []
    expected = 0
    for invoke in invokes:
        assert invoke["shardId"] == shard and invoke["eventSourceARN"] == arn
        assert invoke["isWindowTerminatedEarly"] is False
        assert invoke["state"] == ({"count": expected} if expected else {})
        start, end = invoke["window"]["start"], invoke["window"]["end"]
        assert start.endswith("Z") and end > start
        if invoke["isFinalInvokeForWindow"]:
            assert invoke["records"] == 0
            counts.append(expected)
            expected = 0
        else:
            expected += invoke["records"]
    assert expected == 0  # the last window was closed too
    return counts


def kill_9_mid_batch(project_dir: Path, delivered: Callable[[], list[str]]) -> None:
    """With `first`, `slow` and `third` waiting (batch size 1, the function asleep 30 s on
    `slow` the first time): a real worker is killed -9 on `slow`, and the next one delivers
    `slow` again, then `third`: nothing skipped, nothing out of order."""
    with workers(project_dir) as worker:
        running = worker()
        wait_for(lambda: delivered() == ["first", "slow"])
        os.kill(running.pid, signal.SIGKILL)  # mid-batch: the function is asleep on "slow"
        running.wait()
        running = worker()
        wait_for(lambda: delivered() == ["first", "slow", "slow", "third"])
        running.send_signal(signal.SIGINT)
        assert running.wait(15) == 0
