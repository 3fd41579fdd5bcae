"""The schedule poller: a `schedule:` source's rule fires its function as EventBridge does
(spec §7.4): an asynchronous invoke, through the durable event queue, per tick.

- Payload: the rule's constant `input:` when declared (EventBridge's target Input), else the
  "Scheduled Event" whose `time` is the scheduled minute (`schedule.scheduled_event`).
- Ticks: `schedule.Ticker` decides. The first comes within one period of the start (rate) or
  at the next matching minute (cron); ticks missed while nothing ran (no process held the
  worker lock, the machine slept) are not replayed; a late wake-up fires once, for the latest.
- Once: the host runs pollers only in the process holding the worker lock, and one poller's
  Ticker fires each tick once; a restart starts a new Ticker, which only looks forward.
- Sleep: until the next wake-up, in naps of at most `NAP_SECONDS` (a wall clock that jumps,
  or a suspended machine, is seen within a nap), cut short by `stop()`.
- LastProcessingResult: OK once an event is queued; "PROBLEM: Function call failed" when the
  invoke is refused (the function gone, the payload too big).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime

from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from ..timestamps import utcnow
from . import mappings, schedule
from .specs import ScheduleSource

log = logging.getLogger("lambdactl")

FIRED_KEPT = 100
"""How many of the latest fired events a poller remembers."""

NAP_SECONDS = 30.0
"""The longest single sleep: the wall clock is looked at again at least this often."""


def rule_for(project: Project, source: ScheduleSource) -> str:
    """The source's local rule name: `<function>-schedule-<n>`, n counting the function's
    schedule events from 1 in the manifest's order."""
    spec = project.functions.get(source.function)
    schedules = [s for s in (spec.events if spec else ()) if s.kind == "schedule"]
    for index, declared in enumerate(schedules, 1):
        if declared.uuid == source.uuid:
            return schedule.rule_name(source.function, index)
    return schedule.rule_name(source.function, 1)


class SchedulePoller:
    """Fires one schedule source's ticks; `start`, then `stop` (and `join`)."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        source: ScheduleSource,
        *,
        now: Callable[[], datetime] = utcnow,
        nap: float = NAP_SECONDS,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.source = source
        self.rule = rule_for(project, source)
        self.now = now
        self.nap = nap
        self.fired: deque[schedule.Tick] = deque(maxlen=FIRED_KEPT)
        """The latest ticks queued, in order (for tests and diagnostics to read)."""
        self._schedule = schedule.parse(source.expression)
        self._ticker: schedule.Ticker | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{self.rule}", daemon=True)

    def start(self) -> None:
        # The ticker starts now, in the caller's thread: "within one period of start" holds
        # from here, not from when the thread first runs.
        self._ticker = schedule.Ticker({self.rule: self._schedule}, now=self.now)
        self._thread.start()

    def stop(self) -> None:
        """No tick from now on (one being queued finishes; see `join`)."""
        self._stop.set()

    def join(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()

    def _run(self) -> None:
        ticker = self._ticker
        assert ticker is not None
        while not self._stop.is_set():
            try:
                for tick in ticker.due():
                    if self._stop.is_set():
                        return
                    self._fire(tick)
            except Exception:  # a bug must not end the schedule: said, and the next tick comes
                log.exception(f"schedule {self.rule}: tick failed")
            wakeup = ticker.next_wakeup()
            if wakeup is None:  # the cron's years are over: nothing will ever fire
                self._stop.wait()
                return
            left = (wakeup - self.now()).total_seconds()
            self._stop.wait(min(max(left, 0.0), self.nap))

    def _fire(self, tick: schedule.Tick) -> None:
        manifest = self.project.manifest
        if self.source.input is not None:
            payload = self.source.input.encode()
        else:
            event = schedule.scheduled_event(
                self.rule, tick.time, region=manifest.region, account=manifest.account
            )
            payload = json.dumps(event).encode()
        try:
            self.invoker.invoke(self.source.function, payload=payload, invocation_type="Event")
        except LambdactlError as exc:  # the function removed, the store gone...: said
            log.warning(f"schedule {self.rule}: {exc.message}")
            mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
            return
        self.fired.append(tick)
        mappings.record_result(self.project, self.source, mappings.OK)
