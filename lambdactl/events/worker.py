"""The retry worker: leases due events, invokes them, records the outcome, then fires
destinations and dead letters.

At-least-once, never lost: an event is leased (and heartbeated while it runs), every state
change is persisted before anything is delivered, and a dead worker's leases are taken over
by the next worker (at once when it holds the project's worker lock, else when they expire).
A delivery interrupted by a crash is repeated; an invocation recorded as finished is never
run again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from .. import ids, queues
from ..errors import LambdactlError, StoreError, TooManyRequestsException
from ..invoke import Invoker
from ..project import Project
from ..shapes import destinations
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
        self._running: set[str] = set()
        """Events whose invocation is under way: the heartbeat renews their leases."""
        self._running_lock = threading.Lock()
        self._stopped = threading.Event()
        self._abandoned = threading.Event()
        """Set when the store is gone: whatever is still in flight records nothing."""
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._heartbeat.start()

    def take_over(self) -> int:
        """Reclaim every event another worker left leased, so it runs again now rather than
        when its lease runs out; how many. Only for the holder of the project's worker lock:
        one worker runs per project, so every other lease holder is dead."""
        return self.project.store.reclaim_leases(self.owner)

    def run_once(self) -> int:
        """Lease what is due and process it to the end; how many events were taken."""
        leased = self.project.store.lease_events(
            self.owner, now=self.clock(), lease=self.lease, limit=self.concurrency
        )
        for future in [self._pool.submit(self.process, event) for event in leased]:
            future.result()
        self.processed += len(leased)
        return len(leased)

    def run(
        self,
        stop: threading.Event,
        *,
        idle_exit: float | None = None,
        lost: Callable[[], str | None] | None = None,
    ) -> str | None:
        """Work until `stop` is set or idle for `idle_exit` s; in-flight events finish first.

        Up to `concurrency` events run at once, and a finished one makes room for the next
        due event at once (no waiting for a whole batch).

        `lost`, asked every `WATCH_SECONDS`, says why the store is no longer there (None while
        it is): then the worker stops leasing at once and returns that reason, without waiting
        for its in-flight events (`close(abandon=True)` ends them); otherwise None.
        """
        in_flight: set[Future[None]] = set()
        idle_since = watched = time.monotonic()
        while not stop.is_set():
            if lost is not None and time.monotonic() - watched >= WATCH_SECONDS:
                watched = time.monotonic()
                reason = lost()
                if reason is not None:
                    return reason
            in_flight = {future for future in in_flight if not future.done()}
            free = self.concurrency - len(in_flight)
            leased = (
                self.project.store.lease_events(
                    self.owner, now=self.clock(), lease=self.lease, limit=free
                )
                if free
                else []
            )
            for event in leased:
                in_flight.add(self._pool.submit(self._process_logged, event))
            self.processed += len(leased)
            if leased or in_flight:
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                break
            if not leased:
                if in_flight:
                    wait(in_flight, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                else:
                    stop.wait(POLL_SECONDS)
        wait(in_flight)
        return None

    def _process_logged(self, event: dict[str, Any]) -> None:
        """A bug in one event's processing must not stop the worker: its lease expires and
        the event is taken up again."""
        try:
            self.process(event)
        except Exception:
            if not self._abandoned.is_set():  # else: the closed store refused the record
                log.exception("processing event %s failed", event["id"])

    def close(self, *, abandon: bool = False) -> None:
        """Let in-flight events finish, then shut the environments down.

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
        self._pool.shutdown(wait=True)
        self._stopped.set()
        self.invoker.close()

    def _beat(self) -> None:
        """One heartbeat for all: renew the lease of every event being invoked."""
        while not self._stopped.wait(self.lease / 3):
            with self._running_lock:
                running = list(self._running)
            for event_id in running:
                try:
                    self.project.store.renew_lease(
                        event_id, self.owner, until=self.clock() + self.lease
                    )
                except StoreError:
                    if self._abandoned.is_set():  # closed under our feet: nothing to renew
                        return
                    raise

    # -- one event ----------------------------------------------------------------------------

    def process(self, event: dict[str, Any]) -> None:
        if event["state"] == "delivering":
            self._deliver(event)
            return
        spec = self.project.manifest.functions.get(event["function"])
        if spec is None:  # the function left the manifest: nothing can run it any more
            event["data"]["error"] = "the function is no longer declared in the manifest"
            self._finish(event, policy.EVENT_AGE_EXCEEDED, deliver=False)
            return
        config = spec.asynchronous
        if policy.expired(enqueued_at=event["enqueued_at"], now=self.clock(), config=config):
            self._finish(event, policy.EVENT_AGE_EXCEEDED)
            return
        outcome = self._attempt(event, reserved=spec.reserved_concurrency)
        data = event["data"]
        decision = policy.after_attempt(
            outcome,
            attempts=data["attempts"],
            throttles=data["throttles"],
            now=self.clock(),
            config=config,
        )
        if decision.action == "retry":
            self.project.store.update_event(
                event["id"], self.owner, state="retrying", data=data, due_at=decision.retry_at
            )
        else:
            assert decision.condition is not None
            self._finish(event, decision.condition)

    def _attempt(self, event: dict[str, Any], *, reserved: int | None) -> str:
        data = event["data"]
        started = self.clock()
        with self._running_lock:
            self._running.add(event["id"])
        try:
            result = self.invoker.invoke(
                event["function"],
                qualifier=data.get("qualifier"),
                payload=data["payload"].encode(),
                request_id=event["id"],
            )
        except TooManyRequestsException as exc:
            outcome = "zero_concurrency" if reserved == 0 else "throttled"
            if outcome == "throttled":
                data["throttles"] += 1
            data["history"].append(
                {"time": started, "duration_ms": 0.0, "outcome": outcome, "error": exc.reason}
            )
            return outcome
        except LambdactlError as exc:  # e.g. the qualifier's version was deleted meanwhile
            data["attempts"] += 1
            data["last"] = {
                "statusCode": 200,
                "executedVersion": data.get("qualifier") or "$LATEST",
                "functionError": "Unhandled",
                "payload": str(exc),
            }
            data["history"].append(
                {"time": started, "duration_ms": 0.0, "outcome": "error", "error": str(exc)}
            )
            return "error"
        finally:
            with self._running_lock:
                self._running.discard(event["id"])
        data["attempts"] += 1
        data["last"] = {
            "statusCode": result.status_code,
            "executedVersion": result.executed_version,
            "functionError": result.function_error,
            "payload": result.payload.decode("utf-8", "replace"),
        }
        data["history"].append(
            {
                "time": started,
                "duration_ms": result.duration_ms,
                "outcome": "error" if result.function_error else "success",
                "error": result.error_type or (result.function_error and "Unhandled"),
            }
        )
        return "error" if result.function_error else "success"

    def _finish(self, event: dict[str, Any], condition: str, *, deliver: bool = True) -> None:
        """Persist the outcome first (with what is still to be delivered), then deliver."""
        data = event["data"]
        spec = self.project.manifest.functions.get(event["function"])
        data["condition"] = condition
        data["final_state"] = "succeeded" if condition == policy.SUCCESS else "failed"
        deliveries = []
        if deliver and spec is not None:
            record = destinations.invocation_record(
                self.project, event, condition=condition, now=self.clock()
            )
            target = (
                spec.asynchronous.on_success
                if condition == policy.SUCCESS
                else spec.asynchronous.on_failure
            )
            if target is not None:
                deliveries.append({"kind": target.kind, "name": target.name, "record": record})
            if condition != policy.SUCCESS and spec.dead_letter is not None:
                deliveries.append(
                    {
                        "kind": "dead_letter",
                        "name": spec.dead_letter.name,
                        "attributes": destinations.dead_letter_attributes(event),
                    }
                )
        data["deliveries"] = deliveries
        if self.project.store.update_event(
            event["id"], self.owner, state="delivering", data=data, release=False
        ):
            event["state"] = "delivering"
            self._deliver(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        with self._running_lock:  # heartbeated while delivering too
            self._running.add(event["id"])
        try:
            self._deliver_all(event)
        finally:
            with self._running_lock:
                self._running.discard(event["id"])

    def _deliver_all(self, event: dict[str, Any]) -> None:
        data = event["data"]
        for delivery in data.get("deliveries", []):
            if delivery.get("done"):
                continue
            try:
                self._send(event, delivery)
            except LambdactlError as exc:
                # As on AWS, a record the target refuses is dropped (AWS counts it in the
                # DestinationDeliveryFailures / DeadLetterErrors metrics); say why.
                delivery["error"] = str(exc)
                log.warning(
                    "event %s: delivery to %s %s failed: %s",
                    event["id"],
                    delivery["kind"],
                    delivery["name"],
                    exc,
                )
            delivery["done"] = True
            if not self.project.store.update_event(
                event["id"], self.owner, state="delivering", data=data, release=False
            ):
                return  # the lease was lost: whoever holds it now finishes the deliveries
        self.project.store.update_event(
            event["id"], self.owner, state=data["final_state"], data=data
        )

    def _send(self, event: dict[str, Any], delivery: dict[str, Any]) -> None:
        import json

        if delivery["kind"] == "queue":
            queues.send(self.project, delivery["name"], json.dumps(delivery["record"]))
        elif delivery["kind"] == "function":
            enqueue(self.project, delivery["name"], json.dumps(delivery["record"]).encode())
        else:  # dead letter: the original event, with AWS's three attributes
            queues.send(
                self.project,
                delivery["name"],
                event["data"]["payload"],
                message_attributes=delivery["attributes"],
            )
