"""The retry worker: leases due events, invokes them, records the outcome, then fires
destinations and dead letters.

At-least-once, never lost: an event is leased (and heartbeated until its outcome is
recorded), every change of state (`store.lifecycle`) is persisted before anything is
delivered, and a dead worker's leases are taken over by the next worker (at once when it
holds the project's worker lock, else when they expire). A delivery interrupted by a crash is
repeated; an invocation recorded as finished is never run again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .. import ids, queues
from ..errors import LambdactlError, StoreError, TooManyRequestsException
from ..invoke import Invoker
from ..project import Project
from ..shapes import destinations
from ..store import lifecycle
from ..store.lifecycle import DEAD_LETTER, Attempt, Delivery, Event, EventState, Result
from . import policy
from .enqueue import enqueue

log = logging.getLogger("lambdactl")

LEASE_SECONDS = 30.0
"""How long a leased event is a worker's before another may take it over."""
POLL_SECONDS = 0.05
"""How often an idle worker looks for due events."""
WATCH_SECONDS = 2.0
"""How often a running worker makes sure its store is still there (see `run`'s `lost`)."""


class Worker:
    def __init__(
        self,
        project: Project,
        *,
        invoker: Invoker | None = None,
        concurrency: int = 4,
        lease: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.project = project
        self.invoker = invoker or Invoker(project, watch_code=True)
        self.owner = f"worker-{ids.hex_id(12)}"
        self.concurrency = concurrency
        self.lease = lease
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="event")
        self.processed = 0
        self._held: set[str] = set()
        """Events leased to this worker and not yet recorded: the heartbeat renews them."""
        self._held_lock = threading.Lock()
        self._ready: deque[Event] = deque()
        """Leased in the same batch as the event a runner took, for the next free runner."""
        self._busy = 0
        """Runners processing an event."""
        self._lock = threading.Lock()
        """Guards `_ready`, `_busy`, `_active_at` and `processed`."""
        self._leasing = threading.Lock()
        """One runner leases at a time (the others then find its batch ready)."""
        self._active_at = time.monotonic()
        self._runners: list[threading.Thread] = []
        self._failure: BaseException | None = None
        self._stopped = threading.Event()
        self._abandoned = threading.Event()
        """Set when the store is gone: whatever is still in flight records nothing."""
        self._interrupted = threading.Event()
        """Set by `interrupt`: attempts in flight are cut off and handed back, not recorded."""
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._heartbeat.start()

    def take_over(self) -> int:
        """Reclaim every event another worker left leased, so it runs again now rather than
        when its lease runs out; how many. Only for the holder of the project's worker lock:
        one worker runs per project, so every other lease holder is dead."""
        return self.project.store.reclaim_leases(self.owner)

    def run_once(self) -> int:
        """Lease what is due and process it to the end; how many events were taken."""
        leased = self._lease(self.concurrency)
        for future in [self._pool.submit(self._process_held, event) for event in leased]:
            future.result()
        self.processed += len(leased)
        return len(leased)

    def run(
        self,
        stop: threading.Event,
        *,
        idle_exit: float | None = None,
        lost: Callable[[], str | None] | None = None,
        also_idle: Callable[[], float] | None = None,
    ) -> str | None:
        """Work until `stop` is set or idle for `idle_exit` s; in-flight events finish first
        (unless `interrupt` cuts them off).

        `concurrency` runners each take an event, process it to the end and take the next:
        a finished event makes room for the next due one at once. A runner that finds none
        ready leases a batch (up to `concurrency`): one write for several events; those the
        others have not taken when the worker stops are handed back (`lifecycle.release`).

        `lost`, asked every `WATCH_SECONDS`, says why the store is no longer there (None while
        it is): then the worker stops leasing at once and returns that reason, without waiting
        for its in-flight events (`close(abandon=True)` ends them); otherwise None.

        `also_idle`: how long what else this process runs has been idle (the event sources'
        `Host.idle_for`): the worker exits only once both have been idle for `idle_exit`.
        """
        halt = threading.Event()
        self._active_at = watched = time.monotonic()
        self._runners = [
            threading.Thread(target=self._runner, args=(stop, halt), name=f"event-{n}")
            for n in range(self.concurrency)
        ]
        for runner in self._runners:
            runner.start()
        try:
            while not stop.wait(POLL_SECONDS) and self._failure is None:
                if lost is not None and time.monotonic() - watched >= WATCH_SECONDS:
                    watched = time.monotonic()
                    reason = lost()
                    if reason is not None:
                        return reason
                if idle_exit is not None and self._idle_for() >= idle_exit:
                    if also_idle is None or also_idle() >= idle_exit:
                        break
        finally:
            halt.set()
        for runner in self._runners:
            runner.join()
        if self._failure is not None:
            raise self._failure  # what is still leased is taken over by the next worker
        self._hand_back()
        return None

    def _runner(self, stop: threading.Event, halt: threading.Event) -> None:
        def stopping() -> bool:  # no new event once told to stop
            return stop.is_set() or halt.is_set()

        while True:
            try:
                event = self._take(stopping, halt)
            except BaseException as exc:  # e.g. the store cannot be written: `run` raises it
                if not self._abandoned.is_set():
                    self._failure = exc
                return
            if event is None:
                return
            try:
                self._process_logged(event)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._active_at = time.monotonic()

    def _take(self, stopping: Callable[[], bool], halt: threading.Event) -> Event | None:
        """The next event for a runner: one ready, else the first of a new batch (up to
        `concurrency`, the rest ready for the runners that finish next), waiting for one to
        be due; None once `stopping`. One runner looks at a time (an idle worker polls the
        store once per `POLL_SECONDS`, however many runners it has); the others wait here."""
        with self._leasing:
            while not stopping():
                with self._lock:
                    if self._ready:
                        return self._start(self._ready.popleft())
                leased = self._lease(self.concurrency)
                with self._lock:
                    self._ready.extend(leased)
                    if self._ready:
                        return self._start(self._ready.popleft())
                halt.wait(POLL_SECONDS)
        return None

    def _start(self, event: Event) -> Event:
        self._busy += 1
        self.processed += 1
        self._active_at = time.monotonic()
        return event

    def _idle_for(self) -> float:
        with self._lock:
            busy = self._busy or self._ready
            return 0.0 if busy else time.monotonic() - self._active_at

    def _lease(self, limit: int) -> list[Event]:
        leased = self.project.store.lease_events(
            self.owner, now=self.clock(), lease=self.lease, limit=limit
        )
        with self._held_lock:
            self._held.update(event.id for event in leased)
        return leased

    def _hand_back(self) -> None:
        """Give back what was leased but not taken: due again at once, for any worker."""
        with self._lock:
            left, self._ready = list(self._ready), deque()
        for event in left:
            self._release(event)
            self._let_go(event)

    def _release(self, event: Event) -> None:
        """Give `event` back as it was leased: pending or retrying again, due at once, the
        attempt that was cut off (if any) not counted."""
        self.project.store.update_event(lifecycle.release(event), self.owner)

    def interrupt(self) -> None:
        """Cut the events in flight short and hand them back to the queue, for a worker that
        must stop now rather than when they end (a server whose grace is over, a second
        Ctrl-C). Every environment of the invoker is shut down (those of synchronous
        invokes too, when the invoker is shared), nothing of the attempts it cuts off is
        recorded, and each such event is released as it was leased: not failed, not
        finished, not counted, but due again at once for the next worker. An attempt that
        had just ended when this was called may be handed back too (at least once). Then
        `run` returns as soon as its runners have; safe from any thread, more than once."""
        self._interrupted.set()
        self.invoker.pool.shutdown()

    def _let_go(self, event: Event) -> None:
        with self._held_lock:
            self._held.discard(event.id)

    def _process_held(self, event: Event) -> None:
        try:
            self.process(event)
        finally:
            self._let_go(event)

    def _process_logged(self, event: Event) -> None:
        """A bug in one event's processing must not stop the worker: its lease expires and
        the event is taken up again."""
        try:
            self._process_held(event)
        except Exception:
            if not self._abandoned.is_set():  # else: the closed store refused the record
                log.exception("processing event %s failed", event.id)

    def close(self, *, abandon: bool = False, keep_invoker: bool = False) -> None:
        """Let in-flight events finish, then shut the environments down (not with
        `keep_invoker`: the invoker is shared with something that outlives this worker, as
        the pytest plugin's session invoker outlives each test's worker).

        With `abandon` (the store is gone), record nothing more: the store is closed first, so
        any later write fails, then the environments are shut down, so in-flight attempts end
        now; their leases stay as they were (in a store that is back, the next worker takes
        them over)."""
        if abandon:
            self._abandoned.set()
            self._stopped.set()
            self.project.store.close()
            self.invoker.logs.abandon()  # the environments' last lines are not stored either
            self.invoker.close()
        for runner in self._runners:
            runner.join()
        self._pool.shutdown(wait=True)
        self._stopped.set()
        if not keep_invoker:
            self.invoker.close()

    def _beat(self) -> None:
        """One heartbeat for all: renew the lease of every event this worker holds."""
        while not self._stopped.wait(self.lease / 3):
            with self._held_lock:
                held = list(self._held)
            for event_id in held:
                try:
                    self.project.store.renew_lease(
                        event_id, self.owner, until=self.clock() + self.lease
                    )
                except StoreError:
                    if self._abandoned.is_set():  # closed under our feet: nothing to renew
                        return
                    raise

    # -- one event ----------------------------------------------------------------------------

    def process(self, event: Event) -> None:
        if event.state is EventState.DELIVERING:
            self._deliver(event)
            return
        spec = self.project.functions.get(event.function)
        if spec is None:  # the function left the manifest (or was deleted): nothing can run it
            gone = event.not_attempted(
                "the function no longer exists (the manifest does not declare it, and none of "
                "that name was created through the API)"
            )
            self._finish(gone, policy.EVENT_AGE_EXCEEDED, deliver=False)
            return
        config = spec.async_config(event.qualifier)
        if policy.expired(enqueued_at=event.enqueued_at, now=self.clock(), config=config):
            self._finish(event, policy.EVENT_AGE_EXCEEDED)
            return
        outcome, attempted = self._attempt(event, reserved=spec.reserved_concurrency)
        if self._interrupted.is_set():  # cut off (or about to be): not an attempt
            self._release(event)
            return
        event = attempted
        decision = policy.after_attempt(
            outcome,
            attempts=event.attempts,
            throttles=event.throttles,
            now=self.clock(),
            config=config,
        )
        if decision.action == "retry":
            assert decision.retry_at is not None
            retrying = lifecycle.retry(event, at=decision.retry_at)
            self.project.store.update_event(retrying, self.owner)
        else:
            assert decision.condition is not None
            self._finish(event, decision.condition)

    def _attempt(self, event: Event, *, reserved: int | None) -> tuple[str, Event]:
        """Invoke once: the outcome (`policy.after_attempt`'s), and the event with it recorded."""
        started = self.clock()
        try:
            result = self.invoker.invoke(
                event.function,
                qualifier=event.qualifier,
                payload=event.payload.encode(),
                request_id=event.id,
            )
        except TooManyRequestsException as exc:
            outcome = "zero_concurrency" if reserved == 0 else "throttled"
            return outcome, event.attempted(Attempt(started, outcome, error=exc.reason))
        except LambdactlError as exc:  # e.g. the qualifier's version was deleted meanwhile
            last = Result(200, event.qualifier or "$LATEST", "Unhandled", str(exc))
            return "error", event.attempted(Attempt(started, "error", error=str(exc)), last=last)
        outcome = "error" if result.function_error else "success"
        attempt = Attempt(
            started,
            outcome,
            duration_ms=result.duration_ms,
            error=result.error_type or (result.function_error and "Unhandled"),
        )
        last = Result(
            result.status_code,
            result.executed_version,
            result.function_error,
            result.payload.decode("utf-8", "replace"),
        )
        return outcome, event.attempted(attempt, last=last)

    def _finish(self, event: Event, condition: str, *, deliver: bool = True) -> None:
        """Persist the outcome first (with what is still to be delivered), then deliver."""
        spec = self.project.functions.get(event.function)
        deliveries: list[Delivery] = []
        if deliver and spec is not None:
            config = spec.async_config(event.qualifier)
            target = config.on_success if condition == policy.SUCCESS else config.on_failure
            if target is not None:
                record = destinations.invocation_record(
                    self.project, event, condition=condition, now=self.clock()
                )
                deliveries.append(Delivery(target.kind, target.name, record=record))
            if condition != policy.SUCCESS and spec.dead_letter is not None:
                attributes = destinations.dead_letter_attributes(event)
                deliveries.append(
                    Delivery(DEAD_LETTER, spec.dead_letter.name, attributes=attributes)
                )
        finished = lifecycle.finish(
            event,
            condition,
            succeeded=condition == policy.SUCCESS,
            deliveries=tuple(deliveries),
        )
        if finished.state is EventState.DELIVERING:
            if self.project.store.update_event(finished, self.owner, release=False):
                self._deliver(finished)
        else:
            self.project.store.update_event(finished, self.owner)

    def _deliver(self, event: Event) -> None:
        for index, delivery in enumerate(event.deliveries):
            if delivery.done:
                continue
            error = None
            try:
                self._send(event, delivery)
            except LambdactlError as exc:
                # As on AWS, a record the target refuses is dropped (AWS counts it in the
                # DestinationDeliveryFailures / DeadLetterErrors metrics); say why.
                error = str(exc)
                log.warning(
                    "event %s: delivery to %s %s failed: %s",
                    event.id,
                    delivery.kind,
                    delivery.name,
                    exc,
                )
            event = lifecycle.delivered(event, index, error=error)
            if not self.project.store.update_event(event, self.owner, release=False):
                return  # the lease was lost: whoever holds it now finishes the deliveries
        self.project.store.update_event(lifecycle.settle(event), self.owner)

    def _send(self, event: Event, delivery: Delivery) -> None:
        import json

        if delivery.kind == "queue":
            queues.send(self.project, delivery.name, json.dumps(delivery.record))
        elif delivery.kind == "function":
            enqueue(self.project, delivery.name, json.dumps(delivery.record).encode())
        elif delivery.kind == "topic":  # a SAM template's SNS destination: a local topic
            from ..topics import publish

            publish(self.project, delivery.name, json.dumps(delivery.record))
        else:  # dead letter: the original event, with AWS's three attributes
            queues.send(
                self.project,
                delivery.name,
                event.payload,
                message_attributes=delivery.attributes,
            )
