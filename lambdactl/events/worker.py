"""The retry worker: leases due events, invokes them, records the outcome, then fires
destinations and dead letters.

At-least-once, never lost: an event is leased (and heartbeated while it runs), every state
change is persisted before anything is delivered, and a lease that expires because its
worker died is taken over by the next worker. A delivery interrupted by a crash is repeated;
an invocation recorded as finished is never run again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import ids, queues
from ..errors import LambdactlError, TooManyRequestsException
from ..invoke import Invoker
from ..project import Project
from . import policy, records
from .enqueue import enqueue

LEASE_SECONDS = 30.0
"""How long a leased event is a worker's before another may take it over."""
POLL_SECONDS = 0.05
"""How often an idle worker looks for due events."""


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

    def run_once(self) -> int:
        """Lease what is due and process it to the end; how many events were taken."""
        leased = self.project.store.lease_events(
            self.owner, now=self.clock(), lease=self.lease, limit=self.concurrency
        )
        for future in [self._pool.submit(self.process, event) for event in leased]:
            future.result()
        self.processed += len(leased)
        return len(leased)

    def run(self, stop: threading.Event, *, idle_exit: float | None = None) -> None:
        """Work until `stop` is set (in-flight events finish first) or idle for `idle_exit` s."""
        idle_since = time.monotonic()
        while not stop.is_set():
            if self.run_once():
                idle_since = time.monotonic()
                continue
            if idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                return
            stop.wait(POLL_SECONDS)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.invoker.close()

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
        beat = _Heartbeat(self, event["id"])
        try:
            result = self.invoker.invoke(
                event["function"],
                qualifier=data.get("qualifier"),
                payload=data["payload"].encode(),
                request_id=event["id"],
            )
        except TooManyRequestsException as exc:
            beat.stop()
            outcome = "zero_concurrency" if reserved == 0 else "throttled"
            if outcome == "throttled":
                data["throttles"] += 1
            data["history"].append(
                {"time": started, "duration_ms": 0.0, "outcome": outcome, "error": exc.reason}
            )
            return outcome
        except LambdactlError as exc:  # e.g. the qualifier's version was deleted meanwhile
            beat.stop()
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
        beat.stop()
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
            record = records.invocation_record(
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
                        "attributes": records.dead_letter_attributes(event),
                    }
                )
        data["deliveries"] = deliveries
        if self.project.store.update_event(
            event["id"], self.owner, state="delivering", data=data, release=False
        ):
            event["state"] = "delivering"
            self._deliver(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        data = event["data"]
        for delivery in data.get("deliveries", []):
            if delivery.get("done"):
                continue
            self._send(event, delivery)
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


class _Heartbeat:
    """Renews an event's lease while its invocation runs."""

    def __init__(self, worker: Worker, event_id: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(worker, event_id), name="heartbeat", daemon=True
        )
        self._thread.start()

    def _beat(self, worker: Worker, event_id: str) -> None:
        while not self._stop.wait(worker.lease / 3):
            worker.project.store.renew_lease(
                event_id, worker.owner, until=worker.clock() + worker.lease
            )

    def stop(self) -> None:
        self._stop.set()
