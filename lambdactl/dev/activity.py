"""What the dev loop has seen, for its live view and its plain log lines.

The invoker tells each finished invocation (`Invoker.observe`), the loop tells each reload
and each note worth a person's attention (a rejected manifest, a requirements install);
the view asks for a `Snapshot` at most 10 times a second. Listeners (the plain log lines)
hear each of them as it happens, in the thread that recorded it. Thread-safe; the record is
bounded (`KEPT_INVOCATIONS`, `KEPT_DURATIONS`), however long `dev` runs.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..invoke import InvocationResult

KEPT_INVOCATIONS = 200
"""The latest invocations kept, newest first (the view shows what fits)."""
KEPT_DURATIONS = 200
"""Durations kept per function for its p50."""
KEPT_NOTICES = 50
"""The latest notices kept, and as many reloads."""


@dataclass(frozen=True)
class Failure:
    """A function error, as the invoker saw it (its payload's fields)."""

    error_type: str
    message: str
    trace: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invocation:
    """One finished synchronous run (an asynchronous event's attempts included)."""

    at: float
    """When it ended (`time.time()`)."""
    function: str
    version: str
    request_id: str
    duration_ms: float
    init_ms: float | None
    """The cold start's Init Duration; None for a warm invocation."""
    failure: Failure | None = None
    trigger: str | None = None
    """What caused it, when known: an event source (`queue orders`, `files inbox/`), or
    `on-change`; None for a call over the API or the CLI."""

    @property
    def cold(self) -> bool:
        return self.init_ms is not None

    @property
    def status(self) -> str:
        """`ok`, or the error type."""
        return "ok" if self.failure is None else self.failure.error_type


@dataclass(frozen=True)
class Reloaded:
    """A function's `$LATEST` now runs new code (or configuration, or variables)."""

    at: float
    function: str
    reason: str
    """What changed, for a person: `app.py`, `requirements.txt`, `functions.yaml`..."""


@dataclass(frozen=True)
class Notice:
    """A line for a person that is neither an invocation nor a reload."""

    at: float
    level: str
    """`info`, `warning` or `error`."""
    text: str
    function: str | None = None


Happening = Invocation | Reloaded | Notice


@dataclass(frozen=True)
class FunctionRow:
    name: str
    warm: int = 0
    """Idle environments, ready for an invoke."""
    busy: int = 0
    invocations: int = 0
    errors: int = 0
    p50_ms: float | None = None
    last_reload: float | None = None
    status: str = ""
    """What is under way for it (`installing requirements`, `installing packages`), or
    empty."""


@dataclass(frozen=True)
class Snapshot:
    """Everything the live view draws, at one moment."""

    endpoint: str
    manifest: str
    functions: tuple[FunctionRow, ...]
    invocations: tuple[Invocation, ...]
    """Newest first."""
    queued: int = 0
    """Asynchronous events not finished."""
    retrying: int = 0
    """Of those, the ones waiting for their next attempt."""
    failure: Invocation | None = None
    """The latest invocation that failed."""
    notices: tuple[Notice, ...] = ()
    """Newest first."""
    debug: str = ""
    """`FUNCTION on 127.0.0.1:5678`, when a function runs under the debugger."""
    reloads: tuple[Reloaded, ...] = ()
    """The latest reloads, newest first (the view's footer shows the newest of these and the
    notices)."""
    at: float = field(default_factory=time.time)


@dataclass
class _Stats:
    invocations: int = 0
    errors: int = 0
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT_DURATIONS))
    last_reload: float | None = None
    status: str = ""


class Activity:
    """The dev loop's record. `clock` is injected for tests."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._stats: dict[str, _Stats] = {}
        self._invocations: deque[Invocation] = deque(maxlen=KEPT_INVOCATIONS)
        self._notices: deque[Notice] = deque(maxlen=KEPT_NOTICES)
        self._reloads: deque[Reloaded] = deque(maxlen=KEPT_NOTICES)
        self._failure: Invocation | None = None
        self._listeners: list[Callable[[Happening], None]] = []

    def listen(self, listener: Callable[[Happening], None]) -> None:
        """Call `listener` with each invocation, reload and notice from now on."""
        with self._lock:
            self._listeners.append(listener)

    def invoked(self, function: str, result: InvocationResult) -> Invocation:
        """Record a finished synchronous invocation (what `Invoker.observe` hears)."""
        failure = _failure(result.payload) if result.function_error else None
        entry = Invocation(
            at=self._clock(),
            function=function,
            version=result.executed_version,
            request_id=result.request_id,
            duration_ms=result.duration_ms,
            init_ms=result.init_duration_ms,
            failure=failure,
            trigger=result.trigger,
        )
        with self._lock:
            stats = self._stats.setdefault(function, _Stats())
            stats.invocations += 1
            stats.durations.append(entry.duration_ms)
            if failure is not None:
                stats.errors += 1
                self._failure = entry
            self._invocations.appendleft(entry)
        self._tell(entry)
        return entry

    def reloaded(self, function: str, reason: str) -> Reloaded:
        entry = Reloaded(at=self._clock(), function=function, reason=reason)
        with self._lock:
            self._stats.setdefault(function, _Stats()).last_reload = entry.at
            self._reloads.appendleft(entry)
        self._tell(entry)
        return entry

    def note(self, text: str, *, level: str = "info", function: str | None = None) -> Notice:
        entry = Notice(at=self._clock(), level=level, text=text, function=function)
        with self._lock:
            self._notices.appendleft(entry)
        self._tell(entry)
        return entry

    def status(self, function: str, text: str) -> None:
        """What is under way for `function` (empty: nothing); shown beside it, not logged."""
        with self._lock:
            self._stats.setdefault(function, _Stats()).status = text

    def clear(self) -> None:
        """Forget the invocations, counts, notices, reloads and the latest error (`c` in the
        view); what is under way, and when each function last reloaded, stay."""
        with self._lock:
            for name, stats in self._stats.items():
                self._stats[name] = _Stats(last_reload=stats.last_reload, status=stats.status)
            self._invocations.clear()
            self._notices.clear()
            self._reloads.clear()
            self._failure = None

    def snapshot(
        self,
        *,
        endpoint: str,
        manifest: str,
        functions: list[str],
        environments: Mapping[str, tuple[int, int]],
        queued: int = 0,
        retrying: int = 0,
        debug: str = "",
    ) -> Snapshot:
        """The record as of now, for `functions` (the project's, in this order) with their
        (warm, busy) environment counts."""
        with self._lock:
            rows = tuple(
                _row(name, self._stats.get(name, _Stats()), environments.get(name, (0, 0)))
                for name in functions
            )
            return Snapshot(
                endpoint=endpoint,
                manifest=manifest,
                functions=rows,
                invocations=tuple(self._invocations),
                queued=queued,
                retrying=retrying,
                failure=self._failure,
                notices=tuple(self._notices),
                debug=debug,
                reloads=tuple(self._reloads),
                at=self._clock(),
            )

    def _tell(self, happening: Happening) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(happening)


def _row(name: str, stats: _Stats, environments: tuple[int, int]) -> FunctionRow:
    durations = list(stats.durations)
    return FunctionRow(
        name=name,
        warm=environments[0],
        busy=environments[1],
        invocations=stats.invocations,
        errors=stats.errors,
        p50_ms=statistics.median(durations) if durations else None,
        last_reload=stats.last_reload,
        status=stats.status,
    )


def _failure(payload: bytes) -> Failure:
    """The error a function's payload describes (AWS's `errorType`/`errorMessage`/
    `stackTrace`), however little of it there is."""
    try:
        body = json.loads(payload)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Failure("Unhandled", payload.decode("utf-8", "replace")[:500])
    trace = body.get("stackTrace")
    lines = tuple(str(line).rstrip("\n") for line in trace) if isinstance(trace, list) else ()
    return Failure(
        error_type=str(body.get("errorType") or "Unhandled"),
        message=str(body.get("errorMessage") or ""),
        trace=lines,
    )
