"""`lambdactl events list|show|redrive` (`lambdactl.events.history`) through the real CLI:
the states it filters by (the lifecycle's), the printed event, and a failed event sent round
again (by a detached worker, through the CLI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.cli import completion
from lambdactl.events import daemon, history
from lambdactl.project import Project
from lambdactl.store.lifecycle import EventState
from tests.events import Harness, handler, wait_gone

S = EventState


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


def failed_event(harness: Harness) -> tuple[Project, str]:
    project = harness.deploy({"f": handler("fails", **{"async": {"maximum_retry_attempts": 0}})})
    request_id = harness.enqueue(project, "f", {"message": "no"})
    harness.drain(harness.worker(project), [request_id])
    return project, request_id


def test_list_and_show_a_failed_event(
    harness: Harness, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")  # tables unfolded
    _project, request_id = failed_event(harness)
    listed = cli("events", "list", "--state", "failed")
    assert listed.code == 0
    assert request_id in listed.out and "RetriesExhausted" in listed.out
    assert request_id not in cli("events", "list", "--state", "succeeded").out

    [event] = cli("events", "list", "-o", "json").json()["Events"]
    assert (event["id"], event["function"], event["state"]) == (request_id, "f", "failed")
    data = event["data"]
    assert (data["attempts"], data["condition"], data["final_state"]) == (
        1,
        "RetriesExhausted",
        "failed",
    )
    assert [h["outcome"] for h in data["history"]] == ["error"]
    assert json.loads(data["payload"]) == {"message": "no"}
    assert cli("events", "show", request_id, "-o", "json").json() == event

    shown = cli("events", "show", request_id)
    assert shown.code == 0
    assert "failed" in shown.out and "RetriesExhausted" in shown.out
    assert "error" in shown.out and "Unhandled" in shown.out  # the attempt's row


def test_an_unknown_state_names_the_states(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    harness.deploy({"f": handler("succeeds")})
    result = cli("events", "list", "--state", "lost")
    assert result.code == 2
    names = ", ".join(state.value for state in EventState)
    assert f"unknown state 'lost' (one of: {names})" in result.err
    assert completion.event_states(None, "r") == ["running", "retrying"]  # the shell's Tab


def test_redrive_runs_a_failed_event_again_from_its_first_attempt(
    harness: Harness, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "0.5")
    project, request_id = failed_event(harness)
    not_failed = harness.enqueue(project, "f", {"message": "later"})
    refused = cli("events", "redrive", not_failed)
    assert refused.code == 2
    assert f"event {not_failed} has not failed" in refused.err

    redriven = cli("events", "redrive", request_id, "-o", "json")
    assert (redriven.code, redriven.json()) == (0, {"Redriven": [request_id]})
    harness.wait_for_runs(3)  # once before, then both events by the detached worker
    pid = daemon.running_pid(project.manifest.state_dir)
    if pid is not None:
        wait_gone(pid, timeout=15)  # idle for 0.5 s, it exits
    event = project.store.get_event(request_id)
    assert (event.state, event.attempts, event.condition) == (S.FAILED, 1, "RetriesExhausted")
    assert [a.outcome for a in event.history] == ["error", "redriven", "error"]
    assert [r["id"] for r in harness.runs()].count(request_id) == 2


def test_redrive_failed_queues_them_again_and_starts_a_worker(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = harness.deploy({"f": handler("fails", **{"async": {"maximum_retry_attempts": 0}})})
    failed = [harness.enqueue(project, "f", {"n": n}) for n in range(2)]
    harness.drain(harness.worker(project), failed)
    started: list[Project] = []
    monkeypatch.setattr(daemon, "ensure", started.append)

    assert history.redrive_failed(project, failed[0]) == [failed[0]]
    assert started == [project]
    assert history.redrive_failed(project) == [failed[1]]  # the first is pending again
    assert [project.store.get_event(i).state for i in failed] == [S.PENDING, S.PENDING]
    assert history.redrive_failed(project) == []  # none failed: no worker wanted
    assert len(started) == 2
