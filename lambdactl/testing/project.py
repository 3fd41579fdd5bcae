"""What a test holds as `lambdactl`: the project's functions, queues, streams, events and
logs in the test's own state, through lambdactl's services and the session's invoker."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .. import queues, streams, versions
from ..errors import UsageError
from ..events import history
from ..events.enqueue import enqueue
from ..invoke import InvocationResult, Invoker
from ..logs import lines
from ..logs.store import Query, StoredEvent
from ..project import Project
from ..store.lifecycle import DUE, FINAL, Event
from .clock import Clock

WAIT_POLL_SECONDS = 0.01
"""How often `wait` looks again for an event that is not due yet."""
QUIET_SECONDS = 0.2
"""How long the event sources must have had nothing to do before `deliver` returns."""


@dataclass(frozen=True)
class Invocation:
    """A synchronous invocation's outcome, as a test reads it."""

    status_code: int
    payload: Any
    """The response parsed as JSON when it is JSON (None for `null`), else its text."""
    function_error: str | None
    """`Unhandled` when the function failed (the payload is then the error object)."""
    executed_version: str
    request_id: str
    log: str = field(repr=False)
    """The invocation's log: what the environment's init wrote, when it started cold for
    this invocation, then START..REPORT, one line each."""
    duration_ms: float
    raw: bytes = field(repr=False)
    """The response's bytes as the function returned them."""

    @classmethod
    def of(cls, result: InvocationResult) -> Invocation:
        return cls(
            status_code=result.status_code,
            payload=_parsed(result.payload),
            function_error=result.function_error,
            executed_version=result.executed_version,
            request_id=result.request_id,
            log="".join(_line(text) for text in (*result.init_log, *result.log)),
            duration_ms=result.duration_ms,
            raw=result.payload,
        )


class ProjectUnderTest:
    """The `lambdactl` fixture: one test's view of the project."""

    __test__ = False  # a class a test module imports is not a test class

    def __init__(self, project: Project, invoker: Invoker) -> None:
        self.project = project
        self.invoker = invoker
        self.events = Samples(project)
        self.clock = Clock()
        """The time the test's asynchronous events run on (see `clock.Clock`)."""
        self._worker: Any = None
        self._host: Any = None

    def __repr__(self) -> str:
        return f"<lambdactl project {self.project.manifest.path}>"

    @property
    def state_dir(self) -> Any:
        """This test's state directory (`.lambda/`'s stand-in; replaced at the next test)."""
        return self.project.manifest.state_dir

    def invoke(
        self,
        name: str,
        event: Any = None,
        *,
        qualifier: str | None = None,
        client_context: Mapping[str, Any] | str | None = None,
    ) -> Invocation:
        """Invoke synchronously (RequestResponse). `event`: JSON-encoded unless bytes or str
        (sent as they are); None sends no payload (the function gets `{}`). A function's
        failure is in the result; what AWS refuses before running (an unknown function, a
        payload that is not JSON) raises its error."""
        result = self.invoker.invoke(
            name,
            qualifier=qualifier,
            payload=_payload(event),
            client_context=_client_context(client_context),
        )
        return Invocation.of(result)

    def invoke_async(self, name: str, event: Any = None, *, qualifier: str | None = None) -> str:
        """Queue an Event invocation; its request id. It runs when the test `wait`s for it."""
        request_id, _version = enqueue(
            self.project, name, _payload(event), qualifier=qualifier, now=self.clock.now()
        )
        return request_id

    def wait(self, request_id: str, timeout: float = 10.0, *, advance: bool = True) -> Event:
        """Run the test's asynchronous events until `request_id`'s is final (succeeded or
        failed, destinations delivered); its record (`state`, `attempts`, `history`,
        `deliveries`, `last`, `condition`). Other events due meanwhile run too (a
        destination function's, say).

        A retry is never slept through: when nothing is due, the test's `clock` moves to the
        next attempt that is (with `advance=False`, the real time must get there).
        `TimeoutError` when `timeout` real seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            event = history.show(self.project, request_id)
            if event.state in FINAL:
                return event
            if self._running().run_once():
                continue
            due = self._next_due()
            if advance and due is not None and due > self.clock.now():
                self.clock.advance_to(due)
                continue
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"event {request_id} is still {event.state.value} after {timeout} s"
                    + _due(event, self.clock.now())
                )
            time.sleep(WAIT_POLL_SECONDS)

    def queue(self, name: str) -> QueueHandle:
        """A queue of the test's state. From now on the test's queue and stream event
        sources run, as they do under `serve`: a queue mapped to a function is its consumer's
        (see `deliver`)."""
        queues.get(self.project, name)  # QueueDoesNotExist now rather than at first use
        self._sources()
        return QueueHandle(self.project, name)

    def stream(self, name: str) -> StreamHandle:
        """A stream of the test's state; its event sources run from now on (a `LATEST` one
        starts here: records put after this reach its function)."""
        streams.get(self.project, name)
        self._sources()
        return StreamHandle(self.project, name)

    def deliver(self, timeout: float = 10.0) -> None:
        """Wait until the queue and stream event sources have delivered what waits in their
        queues and streams (messages sent through `queue()` or an SDK client, records put)
        and their invocations have ended. A batch that failed is not waited for: as on AWS,
        its messages show again after the queue's visibility timeout, or the stream retries
        it by its rules, and a later `deliver` sees them. `TimeoutError` after `timeout` real
        seconds of work still waiting. Schedules and watched directories do not run in tests:
        invoke their functions with `events.generate("schedule")` or `("s3-put")` instead."""
        host = self._sources()
        deadline = time.monotonic() + timeout
        while host.idle_for() < QUIET_SECONDS:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the event sources were still busy after {timeout} s")
            time.sleep(WAIT_POLL_SECONDS)

    def publish(self, name: str, *, description: str | None = None) -> str:
        """PublishVersion: the version's number (that of the newest one when nothing changed
        since it, as on AWS). Versions live in the test's state: the next test has none."""
        version, _created = versions.publish(self.project, name, description=description)
        return version.version

    def logs(self, name: str | None = None) -> list[str]:
        """The lines the function (None: every function) logged in this test, oldest first,
        each without its line break."""
        group = None if name is None else lines.group_name(self.project.function(name).name)
        return [event.message.rstrip("\n") for event in self._stored(group)]

    def log_text(self) -> str:
        """Every function's lines of this test, each after its function's name: the report's
        `lambdactl log` section."""
        return "".join(
            f"{event.group.removeprefix(lines.GROUP_PREFIX)} | "
            # a traceback is one event, its lines joined by \r as on CloudWatch: one a line
            + _line(event.message.rstrip("\n").replace("\r", "\n    "))
            for event in self._stored(None)
        )

    def close(self) -> None:
        """Stop the test's event sources and event worker (the session's invoker stays)."""
        if self._host is not None:
            self._host.stop()
            self._host = None
        if self._worker is not None:
            self._worker.close(keep_invoker=True)
            self._worker = None

    def _stored(self, group: str | None) -> list[StoredEvent]:
        self.invoker.logs.flush()
        return list(self.invoker.logs.store().read(group, Query()))

    def _sources(self) -> Any:
        """The test's queue and stream pollers, started on first use."""
        if self._host is None:
            from ..sources.host import IDLE_EXIT_KINDS, Host

            self._host = Host(self.project, self.invoker, kinds=IDLE_EXIT_KINDS)
            self._host.start()
        return self._host

    def _running(self) -> Any:
        if self._worker is None:
            from ..events.worker import Worker

            self._worker = Worker(self.project, invoker=self.invoker, clock=self.clock.now)
        return self._worker

    def _next_due(self) -> float | None:
        """When the first event waiting for its time (queued or to be retried) is due."""
        times = [
            event.due_at for state in DUE for event in self.project.store.list_events(state=state)
        ]
        return min(times, default=None)


class QueueHandle:
    """A local queue of the test's state."""

    def __init__(self, project: Project, name: str) -> None:
        self.project = project
        self.name = name

    def send(
        self,
        body: str,
        *,
        delay: int | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        **attributes: str | int | float | bytes,
    ) -> str:
        """SendMessage; the message id. Keyword arguments besides the three named ones are
        message attributes: a str is a String, a number a Number, bytes Binary."""
        sent = queues.send(
            self.project,
            self.name,
            body,
            delay=delay,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_attributes={key: _attribute(value) for key, value in attributes.items()},
        )
        return str(sent["MessageId"])

    def receive(self, max: int = 10, *, wait: int = 0) -> list[dict[str, Any]]:
        """ReceiveMessage: up to `max` messages as SQS returns them (they stay in flight for
        the queue's visibility timeout)."""
        return queues.receive(self.project, self.name, max_messages=max, wait=wait)


class StreamHandle:
    """A local stream of the test's state."""

    def __init__(self, project: Project, name: str) -> None:
        self.project = project
        self.name = name

    def put(self, data: bytes | str, partition_key: str) -> dict[str, str]:
        """PutRecord; Kinesis's {ShardId, SequenceNumber}."""
        raw = data.encode() if isinstance(data, str) else data
        return streams.put(self.project, self.name, raw, partition_key)


class Samples:
    """`lambdactl.events.generate(kind, **options)`: the sample events of `lambdactl events
    generate` (the same options, by their Python names: `body="x"`, `partition_key="k"`)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def generate(self, kind: str, **options: Any) -> Any:
        from ..shapes import samples

        known = {f.name: f for f in fields(samples.SampleOptions)}
        given: dict[str, Any] = {}
        for name, value in options.items():
            if name not in known:
                raise UsageError(f"events.generate: unknown option {name}= for {kind} events")
            if isinstance(known[name].default, tuple):  # a repeatable option
                value = (value,) if isinstance(value, str) else tuple(value)
            given[name] = value
        manifest = self.project.manifest
        return samples.generate(
            kind,
            samples.SampleOptions(**given),
            region=manifest.region,
            account=manifest.account,
        )


def _payload(event: Any) -> bytes:
    if event is None:
        return b""
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode()
    return json.dumps(event).encode()


def _client_context(given: Mapping[str, Any] | str | None) -> str | None:
    """The X-Amz-Client-Context header's text: base64 of the JSON of a mapping; a str is
    taken as that text already."""
    if given is None or isinstance(given, str):
        return given
    return base64.b64encode(json.dumps(given).encode()).decode()


def _parsed(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:  # not JSON (or not UTF-8): as text
        return payload.decode("utf-8", "replace")


def _line(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _attribute(value: str | int | float | bytes) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"DataType": "Binary", "BinaryValue": base64.b64encode(value).decode()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"DataType": "Number", "StringValue": str(value)}
    return {"DataType": "String", "StringValue": str(value)}


def _due(event: Event, now: float) -> str:
    wait = event.due_at - now
    if wait <= 0:
        return ""
    return f" (its next attempt is due in {wait:.0f} s on the test's clock)"
