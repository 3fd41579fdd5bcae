"""Failed events sent round again (`lambdactl.events.history`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.events import daemon, history
from lambdactl.project import Project
from tests.events import Harness, handler


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


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
    assert [project.store.get_event(i)["state"] for i in failed] == ["pending", "pending"]
    assert history.redrive_failed(project) == []  # none failed: no worker wanted
    assert len(started) == 2
