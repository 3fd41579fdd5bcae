"""The schedule poller (`lambdactl.sources.schedules`): ticks from an injected clock reach a
real function through the real asynchronous path (the durable event queue, a real Worker),
each once, none replayed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.host import POLLERS
from lambdactl.sources.schedules import SchedulePoller
from lambdactl.sources.specs import ScheduleSource
from tests.events import Harness, handler

START = datetime(2026, 3, 1, 10, 0, 30, tzinfo=timezone.utc)


class Clock:
    """A settable UTC clock, read from the poller's thread."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


def deploy(harness: Harness, *events: dict[str, Any]) -> Project:
    return harness.deploy({"tick": handler("succeeds", events=list(events))})


def source(project: Project, index: int = 0) -> ScheduleSource:
    found = project.functions["tick"].events[index]
    assert isinstance(found, ScheduleSource)
    return found


def run(
    harness: Harness, project: Project, clock: Clock, index: int = 0
) -> tuple[SchedulePoller, Callable[[int], list[dict[str, Any]]]]:
    """A started poller (stopped at the end by `harness.close` order: see the fixture) and
    `seen(n)`: drive a real Worker until the function ran n times, then the runs' events."""
    poller = SchedulePoller(
        project, harness.invoker(project), source(project, index), now=clock, nap=0.01
    )
    worker = harness.worker(project)
    poller.start()

    def seen(count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 20
        while len(harness.runs()) < count:
            worker.run_once()
            assert time.monotonic() < deadline, f"{len(harness.runs())} runs, not {count}"
            time.sleep(0.01)
        return [r["event"] for r in harness.runs()]

    harness_close = harness.close

    def close() -> None:
        poller.stop()
        poller.join()
        harness_close()

    harness.close = close  # type: ignore[method-assign]
    return poller, seen


def settle(poller: SchedulePoller, count: int) -> None:
    """Until the poller has queued `count` ticks (and a few naps more, to see no extra one)."""
    deadline = time.monotonic() + 10
    while len(poller.fired) < count:
        assert time.monotonic() < deadline, f"{len(poller.fired)} ticks, not {count}"
        time.sleep(0.01)
    time.sleep(0.1)


def test_registered_as_the_schedule_poller() -> None:
    assert "schedule" in POLLERS


def test_a_rate_fires_the_scheduled_event_once_a_tick_through_the_async_queue(
    harness: Harness,
) -> None:
    project = deploy(harness, {"schedule": "rate(1 minute)"})
    clock = Clock(START)
    poller, seen = run(harness, project, clock)
    time.sleep(0.1)
    assert not poller.fired  # nothing before the first tick (10:01:00)

    clock.set(START + timedelta(seconds=30))  # 10:01:00 exactly
    settle(poller, 1)
    [event] = seen(1)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-03-01T10:01:00Z"
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tick-schedule-1"]
    assert event["detail"] == {} and event["version"] == "0"

    clock.set(START + timedelta(seconds=50))  # still 10:01: no second fire for the same tick
    time.sleep(0.1)
    clock.set(START + timedelta(seconds=90))  # 10:02:00
    settle(poller, 2)
    events = seen(2)
    assert [e["time"] for e in events] == ["2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"]
    assert len({e["id"] for e in events}) == 2
    assert mappings.current(project, source(project)).last_processing_result == mappings.OK


def test_missed_ticks_are_not_replayed(harness: Harness) -> None:
    project = deploy(harness, {"schedule": "rate(1 minute)"})
    clock = Clock(START)
    poller, seen = run(harness, project, clock)
    clock.set(START + timedelta(minutes=10, seconds=5))  # asleep through ten ticks
    settle(poller, 1)
    [event] = seen(1)
    assert event["time"] == "2026-03-01T10:10:00Z"  # the latest one only
    assert len(poller.fired) == 1


def test_a_cron_with_constant_input_sends_the_input_itself(harness: Harness) -> None:
    project = deploy(
        harness,
        {"schedule": "rate(5 minutes)"},
        {"schedule": "cron(15 10 * * ? *)", "input": {"job": "nightly", "n": [1, 2]}},
    )
    clock = Clock(START)
    poller, seen = run(harness, project, clock, index=1)
    assert poller.rule == "tick-schedule-2"
    clock.set(START + timedelta(minutes=14, seconds=29))  # 10:14:59: not yet
    time.sleep(0.1)
    assert not poller.fired
    clock.set(START + timedelta(minutes=14, seconds=30))
    settle(poller, 1)
    assert seen(1) == [{"job": "nightly", "n": [1, 2]}]


def test_stop_ends_the_poller_at_once(harness: Harness) -> None:
    project = deploy(harness, {"schedule": "rate(1 day)"})
    poller = SchedulePoller(project, harness.invoker(project), source(project))  # real naps
    poller.start()
    begun = time.monotonic()
    poller.stop()
    poller.join()
    assert time.monotonic() - begun < 5
    assert not poller.fired
