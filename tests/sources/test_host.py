"""The sources host (`lambdactl.sources.host`): pollers run in the process that holds the
worker lock (a real `lambdactl worker` here), follow the manifest and the mappings' state,
and lose no message when that process is killed mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl import queues, streams
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.host import Host
from tests.sources import batches, wait_for

# One line per delivery: [body, ApproximateReceiveCount]; `slow` sleeps on its first delivery.
HANDLER = """\
import json, os, time

def handler(event, context):
    with open(os.environ["BATCHES"], "a") as f:
        for r in event["Records"]:
            f.write(json.dumps([r["body"], r["attributes"]["ApproximateReceiveCount"]]) + "\\n")
    for r in event["Records"]:
        if r["body"] == "slow" and r["attributes"]["ApproximateReceiveCount"] == "1":
            time.sleep(30)
"""


def manifest(project_dir: Path, events: str = "      - queue: orders\n") -> Path:
    (project_dir / "src" / "hello" / "app.py").write_text(HANDLER)
    path = project_dir / "functions.yaml"
    path.write_text(
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n"
        f"    timeout: 2\n    environment: {{BATCHES: {project_dir / 'batches.jsonl'}}}\n"
        f"    events:\n{events}queues:\n  orders: {{visibility_timeout: 2}}\n"
    )
    return path


@pytest.fixture
def workers(project_dir: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """`start()`: a `lambdactl worker` for the project (killed at the end if still running)."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        output = open(project_dir / f"worker{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "worker"],
            cwd=project_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_worker_polls_and_kill_9_mid_batch_loses_nothing(
    project_dir: Path, workers: Callable[[], subprocess.Popen[bytes]]
) -> None:
    project = Project.open(manifest(project_dir))
    first = workers()
    queues.send(project, "orders", "slow")
    wait_for(lambda: batches(project_dir) == [["slow", "1"]], seconds=20.0)
    os.kill(first.pid, signal.SIGKILL)  # mid-batch: the function is still asleep
    first.wait()
    assert queues.counts(project, "orders") == (0, 1)  # in flight, not deleted
    second = workers()
    wait_for(lambda: ["slow", "2"] in batches(project_dir), seconds=20.0)
    wait_for(lambda: queues.counts(project, "orders") == (0, 0), seconds=20.0)
    second.send_signal(signal.SIGINT)
    assert second.wait(15) == 0
    project.close()


def test_the_host_follows_disable_enable_and_reloads(project_dir: Path) -> None:
    project = Project.open(manifest(project_dir))
    invoker = Invoker(project)
    host = Host(project, invoker)
    host.start()
    try:
        source = project.functions["hello"].events[0]
        assert mappings.current(project, source).last_processing_result == mappings.NO_RECORDS
        assert mappings.set_enabled(project, source, False).state == mappings.DISABLING
        wait_for(lambda: mappings.current(project, source).state == mappings.DISABLED, 20.0)
        assert not host.pollers  # stopped before it was said
        queues.send(project, "orders", "while disabled")
        time.sleep(0.6)  # a sync or more: nothing is polled
        assert batches(project_dir) == []
        assert mappings.set_enabled(project, source, True).state == mappings.ENABLING
        wait_for(lambda: batches(project_dir) == [["while disabled", "1"]], seconds=20.0)
        # the manifest's `enabled: false`, once adopted, stops the poller
        from lambdactl import manifest as manifests

        path = manifest(project_dir, "      - queue: orders\n        enabled: false\n")
        project.adopt(manifests.load(path, remember=False))
        wait_for(lambda: not host.pollers, seconds=20.0)
        assert mappings.current(project, project.functions["hello"].events[0]).state == (
            mappings.DISABLED
        )
    finally:
        host.stop()
        invoker.close()
        project.close()


def test_serve_polls_a_source_its_reload_adds(project_dir: Path) -> None:
    from tests.api.conftest import start_server

    path = manifest(project_dir)
    path.write_text(path.read_text().replace("    events:\n      - queue: orders\n", ""))
    server = start_server(project_dir)
    try:
        sqs = server.client("sqs")
        url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="before the source")
        time.sleep(0.6)  # a sync or more: no source, nothing polled
        assert batches(project_dir) == []
        manifest(project_dir)  # the edit adds the source: the reload starts its poller
        wait_for(lambda: batches(project_dir) == [["before the source", "1"]], seconds=20.0)
        counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

        def deleted() -> bool:
            got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"]
            return [got[name] for name in counts] == ["0", "0"]

        wait_for(deleted, seconds=20.0)
    finally:
        server.stop()
        for client in server.clients:
            client.close()
    assert server.process.returncode == 0


def test_a_worker_follows_a_manifest_edit(
    project_dir: Path, workers: Callable[[], subprocess.Popen[bytes]]
) -> None:
    path = manifest(project_dir, "      - queue: orders\n        enabled: false\n")
    project = Project.open(path)
    worker = workers()
    queues.send(project, "orders", "waiting")
    time.sleep(0.6)
    assert batches(project_dir) == []
    manifest(project_dir)  # enabled again
    wait_for(lambda: batches(project_dir) == [["waiting", "1"]], seconds=20.0)
    worker.send_signal(signal.SIGINT)
    assert worker.wait(15) == 0
    project.close()


# -- without serve, dev or worker: `queue send` / `stream put` start the detached worker --------


def _detached_gone(project_dir: Path, state: Path) -> None:
    from lambdactl.events import daemon
    from tests.events import worker_processes

    wait_for(lambda: daemon.running_pid(state) is None, seconds=30.0)
    wait_for(lambda: not worker_processes(project_dir / "functions.yaml"), seconds=10.0)


def test_queue_send_starts_the_detached_worker_which_delivers_then_exits(
    project_dir: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from lambdactl.events import daemon

    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "0.5")
    project = Project.open(manifest(project_dir))
    state = project.manifest.state_dir
    assert daemon.running_pid(state) is None
    assert cli("queue", "send", "orders", "now").code == 0
    # A second message, delayed past the worker's idle time: waiting messages keep it up.
    assert cli("queue", "send", "orders", "later", "--delay", "2").code == 0
    wait_for(lambda: len(batches(project_dir)) == 2, seconds=30.0)
    _detached_gone(project_dir, state)  # idle once both are delivered: it exits by itself
    assert sorted(batches(project_dir)) == [["later", "1"], ["now", "1"]]
    assert queues.counts(project, "orders") == (0, 0)
    log = (state / daemon.LOG_NAME).read_text()
    assert "worker stopped after 0 event(s)" in log
    project.close()


def test_queue_send_to_an_unmapped_queue_starts_no_worker(
    project_dir: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from lambdactl.events import daemon

    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "0.5")
    project = Project.open(manifest(project_dir, "      - queue: orders\n        enabled: false\n"))
    assert cli("queue", "create", "other").code == 0
    assert cli("queue", "send", "other", "x").code == 0
    assert cli("queue", "send", "orders", "x").code == 0  # its mapping is disabled
    assert daemon.running_pid(project.manifest.state_dir) is None
    assert not (project.manifest.state_dir / daemon.LOG_NAME).exists()
    project.close()


STREAM_HANDLER = """\
import base64, json, os

def handler(event, context):
    with open(os.environ["BATCHES"], "a") as f:
        for r in event["Records"]:
            f.write(json.dumps([base64.b64decode(r["kinesis"]["data"]).decode()]) + "\\n")
"""


def test_stream_put_starts_the_detached_worker_which_delivers_then_exits(
    project_dir: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]

    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "0.5")
    (project_dir / "src" / "hello" / "app.py").write_text(STREAM_HANDLER)
    (project_dir / "functions.yaml").write_text(
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n"
        f"    environment: {{BATCHES: {project_dir / 'batches.jsonl'}}}\n"
        "    events:\n      - stream: clicks\n        starting_position: TRIM_HORIZON\n"
        "streams:\n  clicks: {shards: 2}\n"
    )
    project = Project.open(project_dir / "functions.yaml")
    for key in ("a", "b", "c"):
        assert cli("stream", "put", "clicks", f"record-{key}", "--partition-key", key).code == 0
    wait_for(lambda: len(batches(project_dir)) == 3, seconds=30.0)
    _detached_gone(project_dir, project.manifest.state_dir)
    assert sorted(batches(project_dir)) == [["record-a"], ["record-b"], ["record-c"]]
    assert not streams.unread(project, "clicks", project.functions["hello"].events[0].uuid)
    project.close()


WAITING_HANDLER = """\
import os, time

def handler(event, context):
    open(os.environ["STARTED"], "w").close()
    while not os.path.exists(os.environ["RELEASE"]):
        time.sleep(0.02)
"""


def test_a_host_for_an_idle_exit_runs_queues_and_streams_only_and_says_when_busy(
    project_dir: Path,
) -> None:
    from lambdactl.sources.host import IDLE_EXIT_KINDS

    started, release = project_dir / "started", project_dir / "release"
    (project_dir / "src" / "hello" / "app.py").write_text(WAITING_HANDLER)
    (project_dir / "functions.yaml").write_text(
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n"
        f"    timeout: 60\n    environment: {{STARTED: {started}, RELEASE: {release}}}\n"
        "    events:\n      - queue: orders\n      - schedule: rate(1 minute)\n"
        "queues:\n  orders: {visibility_timeout: 120}\n"
    )
    project = Project.open(project_dir / "functions.yaml")
    invoker = Invoker(project)
    host = Host(project, invoker, kinds=IDLE_EXIT_KINDS)
    host.start()
    try:
        assert [source.kind for source, _poller in host.pollers.values()] == ["queue"]
        assert host.idle_for() > 0.0
        queues.send(project, "orders", "one")
        wait_for(started.exists, seconds=20.0)
        assert host.activity.in_flight == 1
        assert host.idle_for() == 0.0  # in flight
        release.touch()
        wait_for(lambda: queues.counts(project, "orders") == (0, 0), seconds=20.0)
        wait_for(lambda: host.idle_for() > 0.0, seconds=5.0)
    finally:
        release.touch()
        host.stop()
        invoker.close()
        project.close()

