"""The sources host: runs the project's pollers (queues, streams, schedules, files; real SQS
queues, Kinesis streams and DynamoDB tables) in the one process that holds the project's
worker lock.

Where it runs: `lambdactl serve` (and `dev`, which serves), or `lambdactl worker` when no
server runs. Those three already hold `.lambda/worker.lock` (`events.daemon.hold`), and only
one process can: so no message is polled twice and no schedule ticks twice. A detached worker
started by an asynchronous invoke runs it too.

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
from collections.abc import Callable
from typing import Protocol

from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from . import mappings
from .dynamodb import DynamoDBShards
from .files import FilesPoller
from .kinesis import KinesisShards
from .queue import QueuePoller
from .schedules import SchedulePoller
from .specs import EventSource
from .sqs import poller as sqs_poller
from .stream import StreamPoller

log = logging.getLogger("lambdactl")

SYNC_SECONDS = 0.5
"""How often the host compares the declared sources with its running pollers."""


class Poller(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self) -> None: ...


PollerFactory = Callable[[Project, Invoker, EventSource], Poller]

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


class Host:
    """Runs the pollers of every enabled source; see the module docstring."""

    def __init__(self, project: Project, invoker: Invoker) -> None:
        self.project = project
        self.invoker = invoker
        self.pollers: dict[str, tuple[EventSource, Poller]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sources", daemon=True)

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
        wanted, seen = mappings.plan(self.project)
        wanted = {uuid: s for uuid, s in wanted.items() if s.kind in POLLERS}
        self._apply(wanted)
        with self._lock:
            if self._stop.is_set():
                return
            running = dict(self.pollers)

        def applied(uuid: str) -> bool:
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
            for uuid, source in wanted.items():
                if uuid not in running:
                    try:
                        poller = POLLERS[source.kind](self.project, self.invoker, source)
                        poller.start()
                    except Exception:  # one source's bug must not keep the others down
                        log.exception(f"event source {source.kind} {source.identity}")
                        continue
                    running[uuid] = (source, poller)
                    self.pollers = dict(running)
                    if self._stop.is_set():  # halted meanwhile: `stop` joins it
                        poller.stop()

    def _run(self) -> None:
        while not self._stop.wait(SYNC_SECONDS):
            try:
                self.sync()
            except LambdactlError as exc:  # the store went away for a moment: next time
                log.warning(f"event sources: {exc.message}")
