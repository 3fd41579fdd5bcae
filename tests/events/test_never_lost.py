"""Never lost: at-least-once delivery of asynchronous events across `kill -9` of the worker.

The kill loop enqueues N events for `events.start_done` (it logs `start ID TIME`, sleeps
30 ms, logs `done ID TIME`), then runs `python -m lambdactl worker --lease 1 --concurrency 4`
and `kill -9`s it at random moments (0.05-0.3 s after it announced itself), restarting it,
until the store says every event succeeded (deadline 40 s). Meanwhile the test polls the
store and notes, per event, the first moment it saw the event recorded as finished (state
`delivering` with final state `succeeded`, or `succeeded`).

What is asserted, exactly:
- every event is `succeeded` in the store, and its history holds exactly one attempt, a
  success (`attempts == 1`): the outcome is written once, atomically, and attempts cut off
  by a kill leave nothing behind but a re-run;
- every event id has at least one `done` line (it really ran to the end at least once), no
  more `done` than `start` lines, and no line names an id that was not enqueued;
- no `start` line of an event is later than the moment the test first saw the event recorded
  as finished: an event recorded as done never runs again;
- the worker was killed at least 3 times.
With destinations (on_success to a queue), the first worker is held at its deliveries (its
outcome recorded, the record not yet sent: `Harness.spawn_worker(pause_before_delivery=True)`)
and killed there, so that one kill lands mid-delivery every time rather than by chance; the
test additionally asserts: that kill left the event recorded but not delivered (state
`delivering`, its delivery not done), every event's record reached the queue at least once
(unique requestIds == N, duplicates allowed), each with condition Success, the original
event and the handler's response.

A deterministic companion test crashes a worker in the middle of its deliveries and shows the
next worker sends only what is left, without running the function again.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.events.worker import Worker
from lambdactl.project import Project
from lambdactl.store.lifecycle import DEAD_LETTER, EventState
from tests.events import Harness, handler

S = EventState
N = 40
DEADLINE_SECONDS = 40.0


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


def recorded_done(project: Project) -> set[str]:
    """Events the store records as finished successfully (deliveries possibly pending)."""
    finished = {e.id for e in project.store.list_events(state=S.SUCCEEDED)}
    for event in project.store.list_events(state=S.DELIVERING):
        if event.final_state is S.SUCCEEDED:
            finished.add(event.id)
    return finished


def wait_for_banner(path: Path, offset: int, process, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Until the worker started at `offset` of its output file prints `worker worker-...`."""
    wait_for_line(path, offset, process, "worker worker-", timeout)


def wait_for_line(path: Path, offset: int, process, text: str, timeout: float = 15.0) -> str:  # type: ignore[no-untyped-def]
    """The first line holding `text` that the process writing `path` from `offset` prints."""
    deadline = time.monotonic() + timeout
    while True:
        output = path.read_bytes()[offset:].decode("utf-8", "replace")
        for line in output.splitlines(keepends=True):
            if text in line and line.endswith("\n"):
                return line.strip()
        assert process.poll() is None, path.read_text()
        assert time.monotonic() < deadline, f"the worker never printed {text!r}"
        time.sleep(0.01)


def kill_loop(
    harness: Harness, project: Project, ids: list[str], *, first_at_delivery: bool = False
) -> dict:
    """Run, kill -9 and restart the worker until every event is recorded succeeded.
    `first_at_delivery`: the first worker is killed once it holds a delivery (its outcome
    recorded, the record not sent); `caught` then names that event, and `caught_as` says
    how the kill left it (state, final state, which deliveries are done)."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    output = harness.root.parent / "worker.out"
    output.touch()
    first_seen: dict[str, float] = {}
    kills = 0
    caught, caught_as = None, None

    wanted = set(ids)

    def observe() -> None:
        now = time.time()
        for request_id in recorded_done(project) & wanted:
            first_seen.setdefault(request_id, now)

    if first_at_delivery:
        process = harness.spawn_worker(
            "--lease", "1", "--concurrency", "4", output=output, pause_before_delivery=True
        )
        line = wait_for_line(output, 0, process, "paused before delivering ", DEADLINE_SECONDS)
        caught = line.rsplit(" ", 1)[1]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
        observe()
        left = project.store.get_event(caught)
        caught_as = (left.state, left.final_state, [d.done for d in left.deliveries])
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(first_seen) < len(ids):
        assert time.monotonic() < deadline, (
            f"seed {seed}: {len(first_seen)}/{len(ids)} finished after {kills} kills"
        )
        offset = output.stat().st_size
        process = harness.spawn_worker("--lease", "1", "--concurrency", "4", output=output)
        wait_for_banner(output, offset, process)
        # a later run may live a little longer, so that the loop always ends
        kill_at = time.monotonic() + rng.uniform(0.05, 0.3) + 0.02 * kills
        while time.monotonic() < kill_at and len(first_seen) < len(ids):
            observe()
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
        observe()
    # The last worker may have died between recording an outcome and its deliveries (or
    # the final state): one more worker, left alone, finishes what is left and idles out.
    final = harness.spawn_worker("--lease", "1", "--idle-exit", "1.5", output=output)
    assert final.wait(timeout=30) == 0
    return {
        "seed": seed,
        "kills": kills,
        "first_seen": first_seen,
        "caught": caught,
        "caught_as": caught_as,
    }


def check_at_least_once(harness: Harness, project: Project, ids: list[str], loop: dict) -> None:
    seed, first_seen = loop["seed"], loop["first_seen"]
    starts: dict[str, list[float]] = {}
    dones: dict[str, list[float]] = {}
    for line in harness.log.read_text().splitlines():
        kind, request_id, moment = line.split()
        (starts if kind == "start" else dones).setdefault(request_id, []).append(float(moment))
    reruns = sum(len(v) for v in starts.values()) - len(ids)
    context = f"seed {seed}, {loop['kills']} kills, {reruns} re-runs"

    for request_id in ids:
        event = project.store.get_event(request_id)
        assert event.state is S.SUCCEEDED, context
        assert event.attempts == 1, context
        assert [h.outcome for h in event.history] == ["success"], context
    assert sorted(starts) == sorted(ids), context  # nothing unknown ran
    assert sorted(dones) == sorted(ids), context  # every event ran to its end at least once
    for request_id in ids:
        assert len(dones[request_id]) <= len(starts[request_id]), context
        late = [t for t in starts[request_id] if t >= first_seen[request_id]]
        assert late == [], f"{request_id} ran after it was recorded done ({context})"
    assert loop["kills"] >= 3, context


def test_kill_9_loses_nothing(harness: Harness) -> None:
    project = harness.deploy({"f": handler("start_done")}, top={"cpu_throttling": False})
    ids = [harness.enqueue(project, "f", {"n": n}) for n in range(N)]
    loop = kill_loop(harness, project, ids)
    check_at_least_once(harness, project, ids, loop)


def test_kill_9_loses_no_destination_record(harness: Harness) -> None:
    project = harness.deploy(
        {"f": handler("start_done", **{"async": {"on_success": {"queue": "done"}}})},
        queues={"done": {}},
        top={"cpu_throttling": False},
    )
    ids = [harness.enqueue(project, "f", {"n": n}) for n in range(N)]
    loop = kill_loop(harness, project, ids, first_at_delivery=True)
    check_at_least_once(harness, project, ids, loop)
    assert loop["caught"] in ids
    assert loop["caught_as"] == (S.DELIVERING, S.SUCCEEDED, [False])  # recorded, not sent

    records = harness.records(project, "done")
    assert len(records) >= N  # at least once: a repeated delivery is allowed
    by_id = {r["requestContext"]["requestId"]: r for r in records}
    assert sorted(by_id) == sorted(ids)
    for n, request_id in enumerate(ids):
        record = by_id[request_id]
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestPayload"] == {"n": n}
        assert record["responsePayload"] == {"id": request_id}


class Crash(BaseException):
    """What the worker's death looks like from inside it."""


class DiesBeforeTheDeadLetter(Worker):
    def _send(self, event, delivery):  # type: ignore[no-untyped-def]
        if delivery.kind == DEAD_LETTER:
            raise Crash()
        super()._send(event, delivery)


def test_a_crash_mid_delivery_sends_the_rest_and_never_reruns(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "fails",
                **{
                    "async": {"maximum_retry_attempts": 0, "on_failure": {"queue": "failures"}},
                    "dead_letter": {"queue": "dlq"},
                },
            )
        },
        queues={"failures": {}, "dlq": {}},
    )
    request_id = harness.enqueue(project, "f", {"message": "once"})
    now = [time.time()]  # the workers' clock: leases run out when the test says so

    def clock() -> float:
        return now[0]

    dying = DiesBeforeTheDeadLetter(project, lease=0.3, clock=clock)
    try:
        with pytest.raises(Crash):
            dying.run_once()
    finally:
        dying.close()
    # the outcome was recorded before delivering; the first delivery is marked done
    event = project.store.get_event(request_id)
    assert (event.state, event.final_state) == (S.DELIVERING, S.FAILED)
    assert [d.done for d in event.deliveries] == [True, False]

    successor = harness.worker(project, clock=clock)
    assert successor.run_once() == 0  # the dead worker's lease has not run out yet
    now[0] += 0.35
    assert successor.run_once() == 1
    assert project.store.get_event(request_id).state is S.FAILED
    assert len(harness.runs()) == 1  # the function did not run again
    assert len(harness.receive_all(project, "failures")) == 1  # not delivered twice
    [letter] = harness.receive_all(project, "dlq")
    assert json.loads(letter["Body"]) == {"message": "once"}
    assert letter["MessageAttributes"]["RequestID"]["StringValue"] == request_id


def test_a_restarted_worker_takes_over_a_killed_workers_leases_at_once(
    harness: Harness, tmp_path: Path
) -> None:
    """The worker lock says the lease holder is dead: its events (leased for the default
    30 s) run again as soon as the next worker starts, each recorded once."""
    project = harness.deploy({"s": handler("sleeps")}, top={"cpu_throttling": False})
    ids = [harness.enqueue(project, "s", {"sleep": 1.5, "n": n}) for n in range(4)]
    output = tmp_path / "worker.out"
    output.touch()
    first = harness.spawn_worker("--concurrency", "4", output=output)
    harness.wait_for_runs(4)  # all four are mid-invoke
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert {e.state for e in project.store.list_events()} == {S.RUNNING}

    offset = output.stat().st_size
    second = harness.spawn_worker("--concurrency", "4", "--idle-exit", "0.5", output=output)
    wait_for_banner(output, offset, second)
    started = time.time()
    runs = harness.wait_for_runs(8, timeout=10)
    resumed = max(r["time"] for r in runs[4:]) - started
    assert resumed < 2.0, f"the events resumed {resumed:.2f} s after the worker started"
    assert second.wait(timeout=30) == 0
    assert "took over 4 event(s)" in output.read_bytes()[offset:].decode()
    assert sorted(r["id"] for r in runs) == sorted(ids * 2)  # each cut-off run, once again
    for request_id in ids:
        event = project.store.get_event(request_id)
        assert event.state is S.SUCCEEDED
        assert [h.outcome for h in event.history] == ["success"]
        assert event.attempts == 1
