"""The sources host: runs the project's pollers (queues, streams, schedules, files; real SQS
queues, Kinesis streams and DynamoDB tables) in the one process that holds the project's
worker lock.

Where it runs: `lambdactl serve` (and `dev`, which serves), or `lambdactl worker` when no
server runs. Those three already hold `.lambda/worker.lock` (`events.daemon.hold`), and only
one process can: so no message is polled twice and no schedule ticks twice. A detached worker
(started by an asynchronous invoke, or by `queue send` / `stream put` to a mapped queue or
stream: `mappings.wake`) runs it too, with `kinds=IDLE_EXIT_KINDS`: a worker that exits when
idle runs the queue and stream pollers only. Schedules and watched directories have no end
of work to wait for: they run while serve, dev or a foreground worker runs, never in a
background process nobody started on purpose.

Busy: `idle_for` says how long the pollers have had nothing to do: zero while an invoke of
theirs is in flight or a mapped queue or stream holds messages not yet delivered (visible,
or delayed and never received; a batch that failed and waits for its visibility timeout is
the next worker's, as an async event's later retry is), else the time since the last
invoke ended. The worker's idle exit asks it.

Triggers: every poller invokes through a `Delivery` that says what triggered the invoke
(`queue orders`, `stream clicks`, `schedule rate(5 minutes)`, `files inbox/`:
`invoke.triggered_by`), which the dev view shows beside each invocation.

Life: `start` after the lock is taken (and after `Worker.take_over`); `stop` before the lock
is let go: each poller takes no new batch, the batches in flight finish (or, when the
Invoker is interrupted, fail and show again after their visibility timeout: never lost).

Reloads: a supervisor thread compares, every `SYNC_SECONDS`, the mappings (`mappings.plan`:
the sources of `project.functions`, which follows `Reloader`'s adopted manifest, with their
run-time overrides and enable/disable, and those made through the Lambda API) with the
pollers running: a source added or enabled gets a poller, one removed, disabled or deleted is
stopped (in order, as above), one whose settings changed is restarted. Then it settles the
transitional states it applied (`mappings.settle`: Creating -> Enabled, Deleting -> gone...):
until then the API and `lambdactl mappings` show them, as AWS does.
A poller is keyed by its source's stable uuid and compared by value (frozen dataclasses).

A poller kind registers in `POLLERS`: a class taking (project, invoker, source) with
`start()`, `stop()` (no new work, non-blocking) and `join()` (in-flight work settled).
Every invoke goes through the process's one Invoker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import Any, Protocol

from .. import streams
from ..errors import LambdactlError
from ..invoke import InvocationResult, Invoker, triggered_by
from ..project import Project
from . import mappings
from .dynamodb import DynamoDBShards
from .files import FilesPoller
from .kinesis import KinesisShards
from .queue import QueuePoller
from .schedules import SchedulePoller
from .specs import EventSource, FilesSource, QueueSource, StreamSource, describe
from .sqs import poller as sqs_poller
from .stream import StreamPoller

log = logging.getLogger("lambdactl")

SYNC_SECONDS = 0.5
"""How often the host compares the declared sources with its running pollers."""
WAITING_SECONDS = 0.5
"""How long `idle_for`'s look at the queues and streams holds (it costs a read each)."""
RETRY_SECONDS = (0.5, 10.0)
"""A poller that failed to start is tried again after the first, doubling up to the second."""
IDLE_EXIT_KINDS = frozenset({"queue", "stream"})
"""What a worker that exits when idle runs: sources whose work ends (see the docstring)."""


class Poller(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self) -> None: ...


PollerFactory = Callable[[Project, Any, EventSource], Poller]
"""Given the project, the invoker to call (a `Delivery`: `invoke` as `Invoker.invoke`), and
the source."""

POLLERS: dict[str, PollerFactory] = {
    "queue": lambda project, invoker, source: QueuePoller(project, invoker, source),  # type: ignore[arg-type]
    "schedule": lambda project, invoker, source: SchedulePoller(project, invoker, source),  # type: ignore[arg-type]
    "files": lambda project, invoker, source: FilesPoller(project, invoker, source),  # type: ignore[arg-type]
    "stream": lambda project, invoker, source: StreamPoller(project, invoker, source),  # type: ignore[arg-type]
    "kinesis": lambda project, invoker, source: StreamPoller(
        project, invoker, source, backend=KinesisShards(project, source)  # type: ignore[arg-type]
    ),
    "dynamodb": lambda project, invoker, source: StreamPoller(
        project, invoker, source, backend=DynamoDBShards(project, source)  # type: ignore[arg-type]
    ),
    "sqs": lambda project, invoker, source: sqs_poller(project, invoker, source),  # type: ignore[arg-type]
}
"""Each source kind that has a poller: how to make one."""


def trigger(project: Project, source: EventSource) -> str:
    """How an invoke by `source`'s poller is labelled: `queue orders`, `files inbox/`."""
    what = describe(source, project.manifest.root)
    if isinstance(source, FilesSource) and not what.endswith("/"):
        what += "/"
    return f"{source.kind} {what}"


class Activity:
    """The pollers' invokes: how many are in flight, when the last one ended. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.ended_at = time.monotonic()

    def began(self) -> None:
        with self._lock:
            self.in_flight += 1

    def ended(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self.ended_at = time.monotonic()

    def idle_for(self) -> float:
        with self._lock:
            return 0.0 if self.in_flight else time.monotonic() - self.ended_at


class Delivery:
    """What a poller invokes through: the host's Invoker, each call counted in `activity`
    and labelled with the source's trigger."""

    def __init__(self, invoker: Invoker, activity: Activity, trigger: str) -> None:
        self.invoker = invoker
        self.activity = activity
        self.trigger = trigger

    def invoke(self, function: str, **options: Any) -> InvocationResult:
        self.activity.began()
        try:
            with triggered_by(self.trigger):
                return self.invoker.invoke(function, **options)
        finally:
            self.activity.ended()

    def __getattr__(self, name: str) -> Any:  # the rest of the Invoker, as is
        return getattr(self.invoker, name)


class Host:
    """Runs the pollers of every enabled source; see the module docstring. `kinds`: only
    sources of these kinds (None: every kind that has a poller)."""

    def __init__(
        self, project: Project, invoker: Invoker, *, kinds: Collection[str] | None = None
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.kinds = frozenset(POLLERS if kinds is None else kinds)
        self.activity = Activity()
        self.pollers: dict[str, tuple[EventSource, Poller]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sources", daemon=True)
        self._failed: dict[str, tuple[str, float, float]] = {}
        """Source uuid -> (why its poller did not start, when to try again, the last wait)."""
        self._waiting: tuple[float, bool] | None = None
        """When the queues and streams were last looked at, and whether work waited."""

    def start(self) -> None:
        try:
            self.sync()
        except LambdactlError as exc:  # a queue not there yet...: the supervisor tries again
            log.warning(f"event sources: {exc.message}")
        self._thread.start()

    def halt(self) -> None:
        """No new batch from any poller (those in flight go on); returns at once, from any
        thread (a signal handler's, a stopper's)."""
        self._stop.set()
        for _source, poller in list(self.pollers.values()):
            poller.stop()

    def stop(self) -> None:
        """Stop every poller in order: no new batch, those in flight finish (`Invoker`'s
        interruption cuts them off: their messages show again after the visibility timeout).
        """
        self.halt()
        if self._thread.ident is not None:
            self._thread.join()
        with self._lock:
            running = list(self.pollers.values())
            self.pollers = {}
        for _source, poller in running:
            poller.stop()
        for _source, poller in running:
            poller.join()

    def sync(self) -> None:
        """Start, stop and restart pollers to match the enabled mappings (the manifest's and
        the API's), then settle the transitional states this applied (Creating -> Enabled,
        Disabling -> Disabled, Deleting -> gone, ...)."""
        planned, seen = mappings.plan(self.project)
        wanted = {u: s for u, s in planned.items() if s.kind in POLLERS and s.kind in self.kinds}
        # Wanted running, but of a kind this host leaves out: their states are not settled here.
        elsewhere = {u for u, s in planned.items() if s.kind not in self.kinds}
        self._apply(wanted)
        with self._lock:
            if self._stop.is_set():
                return
            running = dict(self.pollers)

        def applied(uuid: str) -> bool:
            if uuid in elsewhere:
                return False
            source = wanted.get(uuid)
            if source is None:
                return uuid not in running
            return running.get(uuid, (None, None))[0] == source

        mappings.settle(self.project, seen, applied)

    def _apply(self, wanted: dict[str, EventSource]) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            # Copy on write: `halt` (a signal handler's) reads `pollers` without the lock.
            running = dict(self.pollers)
            gone = [uuid for uuid, (source, _p) in running.items() if wanted.get(uuid) != source]
            stopping = [running.pop(uuid)[1] for uuid in gone]
            self.pollers = dict(running)
            for poller in stopping:
                poller.stop()
            for poller in stopping:
                poller.join()
            for uuid in list(self._failed):
                if uuid not in wanted:
                    del self._failed[uuid]
            for uuid, source in wanted.items():
                if uuid not in running:
                    failed = self._failed.get(uuid)
                    if failed is not None and time.monotonic() < failed[1]:
                        continue  # a quiet wait before the next try
                    try:
                        delivery = Delivery(
                            self.invoker, self.activity, trigger(self.project, source)
                        )
                        poller = POLLERS[source.kind](self.project, delivery, source)
                        poller.start()
                    except Exception as exc:  # one source's fault must not keep the others down
                        self._not_started(source, exc)
                        continue
                    if self._failed.pop(uuid, None) is not None:
                        log.warning(f"event source {trigger(self.project, source)}: started")
                    running[uuid] = (source, poller)
                    self.pollers = dict(running)
                    if self._stop.is_set():  # halted meanwhile: `stop` joins it
                        poller.stop()

    def _not_started(self, source: EventSource, exc: Exception) -> None:
        """Say why `source`'s poller did not start, once per reason (a traceback only for a
        bug), and try again later, waiting longer each time (`RETRY_SECONDS`)."""
        reason = exc.message if isinstance(exc, LambdactlError) else repr(exc)
        said, _at, wait = self._failed.get(source.uuid, ("", 0.0, 0.0))
        if reason != said:
            where = f"event source {trigger(self.project, source)} of function {source.function}"
            if isinstance(exc, LambdactlError):  # a queue or stream not there yet...
                log.warning(f"{where}: {reason} (tried again until it starts)")
            else:
                log.exception(f"{where}: not started")
        wait = min(max(wait * 2, RETRY_SECONDS[0]), RETRY_SECONDS[1])
        self._failed[source.uuid] = (reason, time.monotonic() + wait, wait)

    def idle_for(self) -> float:
        """Seconds the pollers have had nothing to do (see the module docstring): 0 while an
        invoke is in flight or a queue or stream has messages waiting for them."""
        idle = self.activity.idle_for()
        if idle == 0.0:
            return 0.0
        now = time.monotonic()
        if self._waiting is None or now - self._waiting[0] >= WAITING_SECONDS:
            try:
                waiting = self._work_waits()
            except LambdactlError:  # the store gone for a moment: not a reason to stay
                waiting = False
            self._waiting = (now, waiting)
        return 0.0 if self._waiting[1] else idle

    def _work_waits(self) -> bool:
        now = time.time()
        store = self.project.store
        for source, _poller in list(self.pollers.values()):
            if isinstance(source, QueueSource):
                name = source.queue
                if store.queue_counts(name, now)[0] or store.queue_delayed(name, now):
                    return True
            elif isinstance(source, StreamSource):
                latest = source.settings.starting_position == "LATEST"
                if streams.unread(self.project, source.stream, source.uuid, latest=latest):
                    return True
        return False

    def _run(self) -> None:
        while not self._stop.wait(SYNC_SECONDS):
            try:
                self.sync()
            except LambdactlError as exc:  # the store went away for a moment: next time
                log.warning(f"event sources: {exc.message}")
