"""The retry worker (`lambdactl.events.worker`), its store states, leases and heartbeats,
throttling, and the CLI around it: `invoke --async`, `worker`, `worker status|stop` and the
detached worker an asynchronous invoke starts.

Real environments and real worker processes. Every worker process a test starts is stopped,
killed or waited for (idle exit) before the test ends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.events import daemon
from lambdactl.events.worker import Worker
from lambdactl.project import Project
from lambdactl.store.lifecycle import Event, EventState
from tests.events import Harness, handler, wait_gone, worker_processes
from tests.runtime import REQUEST_ID

S = EventState
OVERSIZE = json.dumps({"pad": "x" * (1024 * 1024)})
TOO_LARGE = (
    f"{len(OVERSIZE)} byte payload is too large for the Event invocation type "
    "(limit 1048576 bytes)"
)


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


def ids(events: list[Event]) -> list[str]:
    return [e.id for e in events]


def wait_unlocked(state: Path, timeout: float = 10.0) -> None:
    """Until no process holds the project's worker lock. A worker whose main thread is
    already a zombie may hold it a few milliseconds longer, while its other threads exit."""
    deadline = time.monotonic() + timeout
    while daemon.running_pid(state) is not None:
        assert time.monotonic() < deadline, "the worker lock is still held"
        time.sleep(0.01)


# -- store states -------------------------------------------------------------------------------


def test_states_pending_running_retrying_failed(harness: Harness, tmp_path: Path) -> None:
    project = harness.deploy(
        {
            "w": handler(
                "waits", **{"async": {"maximum_retry_attempts": 1, "retry_delays": [0.3, 0.3]}}
            )
        }
    )
    store = project.store
    release = tmp_path / "release"
    request_id = harness.enqueue(project, "w", {"release": str(release), "fail": True})
    assert ids(store.list_events(state=S.PENDING)) == [request_id]
    assert ids(store.list_events(function="w")) == [request_id]
    assert store.list_events(function="other") == []

    worker = harness.worker(project)
    running = threading.Thread(target=worker.run_once)
    running.start()
    try:
        harness.wait_for_runs(1)  # the handler is waiting for its release file
        assert ids(store.list_events(state=S.RUNNING)) == [request_id]
        assert store.list_events(state=S.PENDING) == []
    finally:
        release.touch()
        running.join(timeout=15)
    assert not running.is_alive()

    event = store.get_event(request_id)
    assert ids(store.list_events(state=S.RETRYING)) == [request_id]
    assert event.attempts == 1
    assert event.due_at >= event.history[0].time + 0.3
    assert worker.run_once() == 0  # not due yet
    assert store.get_event(request_id).state is S.RETRYING

    harness.drain(worker, [request_id])
    assert ids(store.list_events(state=S.FAILED)) == [request_id]
    event = store.get_event(request_id)
    assert event.attempts == 2
    assert [h.outcome for h in event.history] == ["error", "error"]
    assert [r["id"] for r in harness.runs()] == [request_id] * 2
    for state in (S.PENDING, S.RUNNING, S.RETRYING, S.SUCCEEDED, S.DELIVERING):
        assert store.list_events(state=state) == []


def test_states_pending_running_succeeded(harness: Harness, tmp_path: Path) -> None:
    project = harness.deploy({"w": handler("waits")})
    store = project.store
    release = tmp_path / "release"
    request_id = harness.enqueue(project, "w", {"release": str(release)})
    assert store.get_event(request_id).state is S.PENDING
    worker = harness.worker(project)
    running = threading.Thread(target=worker.run_once)
    running.start()
    try:
        harness.wait_for_runs(1)
        assert store.get_event(request_id).state is S.RUNNING
    finally:
        release.touch()
        running.join(timeout=15)
    assert ids(store.list_events(state=S.SUCCEEDED)) == [request_id]
    event = store.get_event(request_id)
    assert (event.attempts, event.condition) == (1, "Success")
    assert [h.outcome for h in event.history] == ["success"]
    assert worker.run_once() == 0


# -- leases and heartbeats ----------------------------------------------------------------------


def test_heartbeat_keeps_a_long_invocation_from_being_taken_over(harness: Harness) -> None:
    project = harness.deploy({"s": handler("sleeps")})
    request_id = harness.enqueue(project, "s", {"sleep": 1.2})
    first = harness.worker(project, lease=0.3)
    other = harness.worker(project, lease=0.3)
    running = threading.Thread(target=first.run_once)
    running.start()
    harness.wait_for_runs(1)  # `first` holds the event
    taken = 0
    while running.is_alive():  # the lease is 0.3 s, the run 1.2 s
        taken += other.run_once()
        time.sleep(0.03)
    running.join()
    assert taken == 0
    assert [r["id"] for r in harness.runs()] == [request_id]
    assert project.store.get_event(request_id).state is S.SUCCEEDED


def test_an_abandoned_lease_is_taken_over(harness: Harness) -> None:
    project = harness.deploy({"f": handler("succeeds")})
    request_id = harness.enqueue(project, "f", {"n": 1})
    # a worker that leased the event and died
    [leased] = project.store.lease_events("dead-worker", now=time.time(), lease=0.4, limit=10)
    assert (leased.id, leased.state) == (request_id, S.RUNNING)
    worker = harness.worker(project)
    assert worker.run_once() == 0  # its lease still runs
    time.sleep(0.45)
    assert worker.run_once() == 1
    assert project.store.get_event(request_id).state is S.SUCCEEDED
    assert [r["id"] for r in harness.runs()] == [request_id]


def test_a_stopped_worker_hands_back_what_it_leased_but_did_not_start(
    harness: Harness, tmp_path: Path
) -> None:
    """A runner leases a batch and keeps the rest ready for the next free runner; what no
    runner took when the worker stops is pending again at once, for any worker."""
    project = harness.deploy({"w": handler("waits")})
    release = [tmp_path / f"release-{n}" for n in range(4)]
    queued = [
        harness.enqueue(project, "w", {"release": str(r), "n": n}) for n, r in enumerate(release)
    ]
    worker = harness.worker(project, concurrency=2)
    stop = threading.Event()
    running = threading.Thread(target=worker.run, args=(stop,))
    running.start()
    try:
        harness.wait_for_runs(2)  # the first two, one per runner
        release[0].touch()  # its runner leases the last two: starts one, keeps one ready
        harness.wait_for_runs(3)
        assert ids(project.store.list_events(state=S.RUNNING)) == queued[1:]
        stop.set()
    finally:
        for path in release:
            path.touch()
        running.join(timeout=15)
    assert not running.is_alive()
    assert sorted(r["event"]["n"] for r in harness.runs()) == [0, 1, 2]
    assert worker.processed == 3
    handed_back = project.store.get_event(queued[3])
    assert (handed_back.state, handed_back.attempts, handed_back.history) == (S.PENDING, 0, ())
    [taken] = project.store.lease_events("other", now=time.time(), lease=30, limit=10)
    assert taken.id == queued[3]


# -- throttling ---------------------------------------------------------------------------------


def test_a_throttle_backs_off_and_is_not_an_attempt(harness: Harness) -> None:
    project = harness.deploy(
        {
            "t": handler(
                "sleeps",
                reserved_concurrency=1,
                **{
                    "async": {
                        "maximum_retry_attempts": 1,
                        "retry_delays": [0.1, 0.1],
                        "on_failure": {"queue": "failures"},
                    }
                },
            )
        },
        queues={"failures": {}},
    )
    holder_result: list = []
    holder = threading.Thread(
        target=lambda: holder_result.append(
            harness.invoker(project).invoke("t", payload=b'{"sleep": 0.7}')
        )
    )
    holder.start()
    try:
        harness.wait_for_runs(1)  # the only slot is held by the synchronous invoke
        request_id = harness.enqueue(project, "t", {"fail": True})
        worker = harness.worker(project)
        assert worker.run_once() == 1
        event = project.store.get_event(request_id)
        assert event.state is S.RETRYING
        assert (event.attempts, event.throttles) == (0, 1)
        [throttle] = event.history
        assert (throttle.outcome, throttle.error) == (
            "throttled",
            "ReservedFunctionConcurrentInvocationLimitExceeded",
        )
        assert event.due_at == pytest.approx(throttle.time + 1.0, abs=0.1)
        harness.drain(worker, [request_id])
    finally:
        holder.join(timeout=15)
    assert holder_result[0].payload == b'"slept"'

    async_runs = harness.runs(id=request_id)
    assert len(async_runs) == 2
    assert async_runs[0]["time"] >= throttle.time + 1.0  # backed off 1 s
    event = project.store.get_event(request_id)
    assert [h.outcome for h in event.history] == ["throttled", "error", "error"]
    assert (event.attempts, event.throttles) == (2, 1)
    [record] = harness.records(project, "failures")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == len(async_runs) == 2


# -- failed deliveries --------------------------------------------------------------------------


def test_a_failed_delivery_neither_crashes_the_worker_nor_blocks_the_event(
    harness: Harness,
) -> None:
    project = harness.deploy(
        {"f": handler("succeeds", **{"async": {"on_success": {"queue": "small"}}})},
        queues={"small": {"max_message_size": 1024}},
    )
    too_big = harness.enqueue(project, "f", {"pad": "x" * 2000})
    fits = harness.enqueue(project, "f", {"pad": "y"})
    worker = harness.worker(project, concurrency=1)
    deadline = time.monotonic() + 15
    while {project.store.get_event(i).state for i in (too_big, fits)} != {S.SUCCEEDED}:
        assert time.monotonic() < deadline
        worker.run_once()  # AWS drops an undeliverable record (DestinationDeliveryFailures)
        time.sleep(0.01)
    [record] = harness.records(project, "small")
    assert record["requestContext"]["requestId"] == fits


# -- the CLI ------------------------------------------------------------------------------------


def test_invoke_async_and_the_detached_worker(
    harness: Harness, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "1")
    project = harness.deploy({"f": handler("succeeds")})
    state = project.manifest.state_dir
    assert daemon.running_pid(state) is None

    text = cli("invoke", "f", "--async", "-p", '{"via": "text"}')
    assert (text.code, text.err) == (0, "")
    assert re.fullmatch(rf"({REQUEST_ID})\n", text.out), text.out
    first = text.out.strip()
    as_json = cli(
        "invoke", "f", "--invocation-type", "Event", "-p", '{"via": "json"}', "-o", "json"
    )
    assert as_json.code == 0
    second = as_json.json()["RequestId"]
    assert as_json.json() == {"StatusCode": 202, "RequestId": second}
    assert list(as_json.json()) == ["StatusCode", "RequestId"]
    assert re.fullmatch(REQUEST_ID, second) and second != first

    # The second invoke may come before the first's worker holds the lock and start another
    # one, which exits at once ("a worker is already running").

    # the detached worker runs both; the request id is the handler's aws_request_id
    runs = harness.wait_for_runs(2)
    assert sorted((r["id"], r["event"]["via"]) for r in runs) == sorted(
        [(first, "text"), (second, "json")]
    )
    pid = daemon.running_pid(state)
    assert pid is not None
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert parent != os.getpid()  # detached: not a child of the invoking process
    wait_gone(pid, timeout=15)  # idle for 1 s, then it exits (not after the default 60 s)
    gone_at = time.time()
    wait_unlocked(state)
    assert gone_at - max(r["time"] for r in runs) >= 1.0
    for request_id in (first, second):
        assert project.store.get_event(request_id).state is S.SUCCEEDED
    log = (state / daemon.LOG_NAME).read_text()
    assert f"(pid {pid})" in log
    assert "worker stopped after 2 event(s)" in log
    assert len(harness.runs()) == 2
    deadline = time.monotonic() + 10
    while worker_processes(project.manifest.path):  # no worker outlives the test
        assert time.monotonic() < deadline, worker_processes(project.manifest.path)
        time.sleep(0.05)


def test_a_detached_worker_exits_when_its_store_is_removed(
    harness: Harness, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`rm -rf .lambda` under a running worker: within its 2 s check it stops (its in-flight
    event cut short) instead of working on deleted files until its idle exit, unseen by
    `worker status`; and nothing makes a new `.lambda/`."""
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "60")
    project = harness.deploy({"w": handler("waits")})
    state = project.manifest.state_dir
    release = tmp_path / "release"  # never made: the event waits (10 s at most)
    assert cli("invoke", "w", "--async", "-p", json.dumps({"release": str(release)})).code == 0
    harness.wait_for_runs(1)
    pid = daemon.running_pid(state)
    assert pid is not None
    subprocess.run(["rm", "-rf", str(state)], check=True)
    wait_gone(pid, timeout=8)  # the 2 s check, then shutting down (its idle exit is 60 s)
    assert worker_processes(project.manifest.path) == []
    assert not state.exists()
    status = cli("worker", "status")
    assert status.out.startswith("worker: not running\n")


@pytest.mark.parametrize("change", ["replaced", "lock removed"])
def test_a_worker_exits_when_its_store_is_replaced(
    harness: Harness, tmp_path: Path, change: str
) -> None:
    """A new `.lambda/` at the same path (another inode), or a removed lock file (another
    worker could start beside it): the worker exits with a line saying why, and records
    nothing more, neither in the new directory nor in the old store."""
    project = harness.deploy({"w": handler("waits")})
    state = project.manifest.state_dir
    request_id = harness.enqueue(project, "w", {"release": str(tmp_path / "release")})
    output = tmp_path / "worker.out"
    process = harness.spawn_worker(output=output)
    harness.wait_for_runs(1)
    if change == "replaced":
        state.rename(state.with_name(".lambda.old"))
        state.mkdir()
        reason = f"{state} was replaced"
    else:
        (state / daemon.LOCK_NAME).unlink()
        reason = f"{state / daemon.LOCK_NAME} was removed"
    assert process.wait(timeout=8) == 0  # the 2 s check, then shutting down
    out = output.read_text()
    assert f"worker exiting: {reason}; in-flight events stopped, nothing recorded\n" in out
    assert out.endswith("worker stopped after 1 event(s)\n")
    if change == "replaced":
        assert list(state.iterdir()) == []
    # the project's connection follows the old store wherever it went
    event = project.store.get_event(request_id)
    assert (event.state, event.attempts, event.history) == (S.RUNNING, 0, ())
    assert len(harness.runs()) == 1


def test_invoke_async_payload_limit_is_1_mb(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    project = harness.deploy({"f": handler("succeeds")})
    result = cli("invoke", "f", "--async", "-p", OVERSIZE)
    assert result.code == 2
    assert result.out == ""
    assert "RequestEntityTooLargeException" in result.err
    assert TOO_LARGE in result.err
    assert result.err.startswith(f"error: RequestEntityTooLargeException: {TOO_LARGE}")
    # nothing queued, no worker started
    assert project.store.list_events() == []
    assert daemon.running_pid(project.manifest.state_dir) is None


def test_invoke_async_rejects_invalid_json(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    project = harness.deploy({"f": handler("succeeds")})
    result = cli("invoke", "f", "--async", "-p", "{nope")
    assert result.code == 2
    assert "InvalidRequestContentException: Could not parse request body into json" in result.err
    assert project.store.list_events() == []
    assert daemon.running_pid(project.manifest.state_dir) is None


def test_worker_status_and_stop(harness: Harness, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = harness.deploy({"w": handler("waits")})
    release = tmp_path / "release"
    request_id = harness.enqueue(project, "w", {"release": str(release)})
    status = cli("worker", "status")
    assert (status.code, status.out) == (
        0,
        "worker: not running\nevents waiting, running or delivering: 1\n",
    )

    output = tmp_path / "worker.out"
    process = harness.spawn_worker(output=output)
    harness.wait_for_runs(1)  # the worker runs the event; it waits for its release file
    status = cli("worker", "status")
    assert status.out == (
        f"worker: running, pid {process.pid}\nevents waiting, running or delivering: 1\n"
    )

    # one worker per project
    second = subprocess.run(
        [sys.executable, "-m", "lambdactl", "worker", "--idle-exit", "0.1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (second.returncode, second.stdout) == (
        0,
        "a worker is already running for this project\n",
    )

    # stop: the in-flight event is finished first
    threading.Timer(0.5, release.touch).start()
    stopped = cli("worker", "stop")
    assert stopped.code == 0
    assert f"stopped worker {process.pid}" in stopped.out
    assert process.wait(timeout=5) == 0
    assert project.store.get_event(request_id).state is S.SUCCEEDED
    assert [r["id"] for r in harness.runs()] == [request_id]
    out = output.read_text()
    assert out.startswith("worker worker-")
    assert f"(pid {process.pid}) for {project.manifest.path}\n" in out
    assert out.endswith("worker stopped after 1 event(s)\n")  # drained, and counted

    status = cli("worker", "status")
    assert status.out == "worker: not running\nevents waiting, running or delivering: 0\n"
    again = cli("worker", "stop")
    assert (again.code, again.out) == (0, "no worker is running\n")


def wait_for_banner(output: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while "worker worker-" not in (output.read_text() if output.exists() else ""):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)


def test_a_worker_started_with_sigint_ignored_still_stops(harness: Harness, tmp_path: Path) -> None:
    """A background job of a non-interactive shell (`lambdactl worker &` in a script, or a
    detached worker started from one) inherits SIGINT ignored: `worker stop` and Ctrl-C
    must stop it all the same."""
    harness.deploy({"f": handler("succeeds")})
    output = tmp_path / "worker.out"
    process = harness.spawn_worker(output=output, sigint="SIG_IGN")
    wait_for_banner(output, process)
    stopper = subprocess.run(
        [sys.executable, "-m", "lambdactl", "worker", "stop"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert stopper.returncode == 0, stopper.stderr
    assert f"stopped worker {process.pid}" in stopper.stdout
    assert process.wait(timeout=5) == 0  # a normal stop takes a fraction of a second

    output = tmp_path / "worker-2.out"
    process = harness.spawn_worker(output=output, sigint="SIG_IGN")
    wait_for_banner(output, process)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=5) == 0
    assert output.read_text().endswith("worker stopped after 0 event(s)\n")


def test_a_second_ctrl_c_hands_the_events_in_flight_back(harness: Harness, tmp_path: Path) -> None:
    """The first Ctrl-C lets the event in flight end (its handler would, after 10 s); the
    second cuts it off: the worker exits, the event is waiting again, its attempt not counted."""
    project = harness.deploy({"w": handler("waits", timeout=30)})
    request_id = harness.enqueue(project, "w", {"release": str(tmp_path / "never")})
    output = tmp_path / "worker.out"
    process = harness.spawn_worker(output=output)
    harness.wait_for_runs(1)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)  # handled: two signals sent at once could be taken as one
    assert process.poll() is None  # it waits for the event
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    event = project.store.get_event(request_id)
    assert (event.state, event.attempts, event.history) == (S.PENDING, 0, ())
    assert "Traceback" not in output.read_text()


def test_worker_process_idle_exit(harness: Harness, tmp_path: Path) -> None:
    project = harness.deploy({"f": handler("succeeds")})
    request_id = harness.enqueue(project, "f", {"n": 1})
    output = tmp_path / "worker.out"
    started = time.monotonic()
    process = harness.spawn_worker("--idle-exit", "0.5", "--concurrency", "2", output=output)
    assert process.wait(timeout=20) == 0
    assert time.monotonic() - started >= 0.5
    assert project.store.get_event(request_id).state is S.SUCCEEDED
    assert output.read_text().endswith("worker stopped after 1 event(s)\n")


def test_worker_drains_many_events_concurrently(harness: Harness) -> None:
    project = harness.deploy({"s": handler("sleeps")})
    queued = [harness.enqueue(project, "s", {"sleep": 0.3, "n": n}) for n in range(4)]
    worker: Worker = harness.worker(project, concurrency=4)
    assert worker.run_once() == 4
    runs = harness.runs()
    assert sorted(r["id"] for r in runs) == sorted(queued)
    starts = sorted(r["time"] for r in runs)
    assert starts[-1] - starts[0] < 0.3  # all four ran at once
    assert {project.store.get_event(i).state for i in queued} == {S.SUCCEEDED}


def test_close_can_leave_a_shared_invoker_running(project: Project) -> None:
    """The pytest plugin's worker per test shares the session's invoker: closing the worker
    must leave it (and its warm environments) to the session."""
    from lambdactl.invoke import Invoker

    invoker = Invoker(project)
    try:
        invoker.invoke("hello")
        worker = Worker(project, invoker=invoker)
        worker.close(keep_invoker=True)
        assert invoker.pool.sizes()
        assert invoker.invoke("hello").status_code == 200
    finally:
        invoker.close()
