"""The asynchronous event's lifecycle: its states, its record, and the one table of changes
between them (as rq's `JobStatus` is a job's).

    pending, retrying ──lease (when due)──────────► running
    running ──retry──────────────────────────────► retrying
    running ──finish, nothing to deliver─────────► succeeded | failed
    running ──finish, with deliveries────────────► delivering ──settle──► succeeded | failed
    running, delivering ──lease (the holder's lease ran out)──► the same state, taken over
    running ──release (given back, or the holder is dead)──► pending | retrying, as leased
    delivering ──release─────────────────────────► delivering, to be leased again
    delivering ──delivered (one more sent)───────► delivering
    failed ──redrive─────────────────────────────► pending

Every change of state goes through `transition`, which checks it against `TRANSITIONS`: an
illegal one is a bug in lambdactl (`IllegalTransition`), never a user's error. The verbs below
(`lease`, `release`, `retry`, `finish`, `delivered`, `settle`, `redrive`) are the only changes
the worker, the store and `events redrive` make.

An attempt is counted when its outcome is recorded (`attempted`), never when it starts: an
attempt cut off by a dead worker leaves nothing behind, and the event runs again (at least
once). The outcome is recorded before anything is delivered (`finish`), so an event recorded as
finished never runs again; a delivery cut off is repeated.

This module is the store's vocabulary for events (it stores and returns `Event`s, as it
answers `AliasWrite`s), pure: it imports nothing from lambdactl, so that every layer above may
use it. The store keeps the lifecycle columns (`id`, `function`, `state`, `due_at`,
`enqueued_at`) and one JSON object for the rest, `Event.data()`; its keys are the ones every
lambdactl version wrote, so old stores still read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class EventState(enum.Enum):
    """Where an asynchronous event is in its life. The values are what the store keeps and
    what `events list --state` takes."""

    PENDING = "pending"
    """Queued, never attempted since it was queued (or redriven)."""
    RUNNING = "running"
    """Leased by a worker, which is attempting it."""
    RETRYING = "retrying"
    """Attempted (or throttled), to be attempted again at `due_at`."""
    DELIVERING = "delivering"
    """Its outcome is recorded; leased by a worker sending its destination record and dead
    letter."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"


DUE = (EventState.PENDING, EventState.RETRYING)
"""Leased once `due_at` has come."""
LEASED = (EventState.RUNNING, EventState.DELIVERING)
"""Held by a worker; taken over once the lease has run out."""
FINAL = (EventState.SUCCEEDED, EventState.FAILED)
WAITING = (*DUE, *LEASED)
"""Not finished: queued, due later, being attempted or being delivered."""

_S = EventState
TRANSITIONS: dict[EventState, frozenset[EventState]] = {
    _S.PENDING: frozenset({_S.RUNNING}),  # lease
    _S.RETRYING: frozenset({_S.RUNNING}),  # lease (when due)
    _S.RUNNING: frozenset(
        {
            _S.RETRYING,  # retry
            _S.SUCCEEDED,  # finish (nothing to deliver)
            _S.FAILED,  # finish (nothing to deliver)
            _S.DELIVERING,  # finish
            _S.PENDING,  # release (never attempted yet; else retrying)
            _S.RUNNING,  # lease (its holder's lease ran out)
        }
    ),
    _S.DELIVERING: frozenset({_S.DELIVERING, _S.SUCCEEDED, _S.FAILED}),  # delivered; settle
    _S.SUCCEEDED: frozenset(),
    _S.FAILED: frozenset({_S.PENDING}),  # redrive
}
"""Every allowed change of state: from -> the states it may become."""


class IllegalTransition(Exception):
    """A change of state that `TRANSITIONS` does not allow: a bug in lambdactl."""


REDRIVEN = "redriven"
"""The outcome of the history entry `events redrive` adds."""
DEAD_LETTER = "dead_letter"
"""The kind of delivery that sends the original event to the dead-letter queue (the others
are a destination's kind: `queue`, `function`)."""


@dataclass(frozen=True)
class Attempt:
    """One entry of an event's history: an attempt (`success`, `error`, `throttled`,
    `zero_concurrency`), or `redriven`."""

    time: float
    outcome: str
    duration_ms: float = 0.0
    error: str | None = None

    def data(self) -> dict[str, Any]:
        if self.outcome == REDRIVEN:
            return {"time": self.time, "outcome": self.outcome}
        return {
            "time": self.time,
            "duration_ms": self.duration_ms,
            "outcome": self.outcome,
            "error": self.error,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Attempt:
        return cls(
            time=data.get("time", 0.0),
            outcome=data.get("outcome", "-"),
            duration_ms=data.get("duration_ms", 0.0),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class Result:
    """The last attempt's response: what a destination record's `responseContext` and
    `responsePayload` say."""

    status_code: int
    executed_version: str
    function_error: str | None
    payload: str

    def data(self) -> dict[str, Any]:
        return {
            "statusCode": self.status_code,
            "executedVersion": self.executed_version,
            "functionError": self.function_error,
            "payload": self.payload,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Result:
        return cls(
            status_code=data["statusCode"],
            executed_version=data["executedVersion"],
            function_error=data.get("functionError"),
            payload=data["payload"],
        )


@dataclass(frozen=True)
class Delivery:
    """One thing to send once the outcome is recorded: an invocation `record` to a destination
    (`kind` queue or function), or the event to a dead-letter queue with its `attributes`."""

    kind: str
    name: str
    record: dict[str, Any] | None = None
    attributes: dict[str, Any] | None = None
    done: bool = False
    error: str | None = None
    """Why the target refused it (it is dropped, as on AWS)."""

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.record is not None:
            data["record"] = self.record
        if self.attributes is not None:
            data["attributes"] = self.attributes
        if self.error is not None:
            data["error"] = self.error
        if self.done:
            data["done"] = True
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Delivery:
        return cls(
            kind=data["kind"],
            name=data["name"],
            record=data.get("record"),
            attributes=data.get("attributes"),
            done=bool(data.get("done", False)),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class Event:
    """An asynchronous invocation and everything that happened to it."""

    id: str
    function: str
    state: EventState
    due_at: float
    """Epoch seconds: when it may be leased (pending, retrying)."""
    enqueued_at: float
    """Epoch seconds: when it was queued (or redriven); its age counts from here."""
    payload: str
    qualifier: str | None = None
    attempts: int = 0
    """Attempts that ran the function (recorded ones: see the module's docstring)."""
    throttles: int = 0
    history: tuple[Attempt, ...] = ()
    last: Result | None = None
    condition: str | None = None
    """The destination condition (`Success`, `RetriesExhausted`, ...) once finished."""
    final_state: EventState | None = None
    """Succeeded or failed, once finished: the state it settles in after delivering."""
    deliveries: tuple[Delivery, ...] = ()
    error: str | None = None
    """Why it could not be attempted at all (its function left the manifest)."""
    previous: EventState | None = field(default=None, compare=False)
    """The state it had before the last `transition` made this record (not stored: None
    when read from the store)."""

    @classmethod
    def queued(
        cls, event_id: str, function: str, payload: str, *, qualifier: str | None, now: float
    ) -> Event:
        """A new event, pending, due now."""
        return cls(event_id, function, EventState.PENDING, now, now, payload, qualifier=qualifier)

    @property
    def waiting_state(self) -> EventState:
        """Pending until its first attempt (or throttle) is recorded, retrying after."""
        return EventState.RETRYING if self.attempts or self.throttles else EventState.PENDING

    # -- what is not a change of state ----------------------------------------------------------

    def attempted(self, attempt: Attempt, *, last: Result | None = None) -> Event:
        """Record an attempt while running: one that ran the function (with its `last` result)
        counts in `attempts`; a throttle in `throttles`; a `zero_concurrency` in neither."""
        _expect(self, EventState.RUNNING)
        return replace(
            self,
            history=(*self.history, attempt),
            attempts=self.attempts + (last is not None),
            throttles=self.throttles + (attempt.outcome == "throttled"),
            last=last if last is not None else self.last,
        )

    def not_attempted(self, error: str) -> Event:
        """Say why it cannot be attempted at all (then it is finished)."""
        _expect(self, EventState.RUNNING)
        return replace(self, error=error)

    # -- the stored form ------------------------------------------------------------------------

    def data(self) -> dict[str, Any]:
        """Everything but the lifecycle columns, as one JSON-able object (the keys every
        lambdactl version stored: `qualifier`, `payload`, `attempts`, `throttles`, `history`,
        then `last`, `error`, and once finished `condition`, `final_state`, `deliveries`)."""
        data: dict[str, Any] = {
            "qualifier": self.qualifier,
            "payload": self.payload,
            "attempts": self.attempts,
            "throttles": self.throttles,
            "history": [entry.data() for entry in self.history],
        }
        if self.last is not None:
            data["last"] = self.last.data()
        if self.error is not None:
            data["error"] = self.error
        if self.final_state is not None:
            data["condition"] = self.condition
            data["final_state"] = self.final_state.value
            data["deliveries"] = [delivery.data() for delivery in self.deliveries]
        return data

    @classmethod
    def stored(
        cls,
        event_id: str,
        function: str,
        state: str,
        due_at: float,
        enqueued_at: float,
        data: dict[str, Any],
    ) -> Event:
        """The event a store kept: its columns and its `data()`."""
        last = data.get("last")
        final_state = data.get("final_state")
        return cls(
            id=event_id,
            function=function,
            state=EventState(state),
            due_at=due_at,
            enqueued_at=enqueued_at,
            payload=data.get("payload", ""),
            qualifier=data.get("qualifier"),
            attempts=data.get("attempts", 0),
            throttles=data.get("throttles", 0),
            history=tuple(Attempt.from_data(entry) for entry in data.get("history", ())),
            last=Result.from_data(last) if last is not None else None,
            condition=data.get("condition"),
            final_state=EventState(final_state) if final_state is not None else None,
            deliveries=tuple(Delivery.from_data(d) for d in data.get("deliveries", ())),
            error=data.get("error"),
        )

    def document(self) -> dict[str, Any]:
        """The event as `events show -o json` prints it (README: `--output json`)."""
        return {
            "id": self.id,
            "function": self.function,
            "state": self.state.value,
            "due_at": self.due_at,
            "enqueued_at": self.enqueued_at,
            "data": self.data(),
        }


def transition(event: Event, to: EventState, **changes: Any) -> Event:
    """`event` in state `to` (with `changes` to its fields), if `TRANSITIONS` allows it;
    `IllegalTransition` otherwise."""
    if to not in TRANSITIONS[event.state]:
        raise IllegalTransition(f"event {event.id}: {event.state.value} cannot become {to.value}")
    return replace(event, state=to, previous=event.state, **changes)


def _expect(event: Event, *states: EventState) -> None:
    if event.state not in states:
        wanted = " or ".join(state.value for state in states)
        raise IllegalTransition(f"event {event.id} is {event.state.value}, not {wanted}")


# -- the changes -----------------------------------------------------------------------------


def lease(event: Event) -> Event:
    """Taken by a worker: a due event (or one whose holder's lease ran out) is attempted; one
    whose outcome is recorded is delivered."""
    if event.state is EventState.DELIVERING:
        return transition(event, EventState.DELIVERING)
    return transition(event, EventState.RUNNING)


def release(event: Event) -> Event:
    """Given back by its holder (a worker that stops, or for one known dead): an attempt not
    made or cut off goes back to waiting as it was leased, pending or retrying (not counted,
    as when its lease runs out); a delivery stays to be finished."""
    if event.state is EventState.DELIVERING:
        return transition(event, EventState.DELIVERING)
    return transition(event, event.waiting_state)


def retry(event: Event, *, at: float) -> Event:
    """Attempted again at `at` (epoch seconds)."""
    return transition(event, EventState.RETRYING, due_at=at)


def finish(
    event: Event, condition: str, *, succeeded: bool, deliveries: tuple[Delivery, ...] = ()
) -> Event:
    """The outcome, with what is still to be delivered: delivering, or (nothing to deliver)
    succeeded or failed at once."""
    final = EventState.SUCCEEDED if succeeded else EventState.FAILED
    return transition(
        event,
        EventState.DELIVERING if deliveries else final,
        condition=condition,
        final_state=final,
        deliveries=deliveries,
    )


def delivered(event: Event, index: int, *, error: str | None = None) -> Event:
    """Delivery `index` is done (sent, or refused by its target for `error`)."""
    deliveries = list(event.deliveries)
    deliveries[index] = replace(deliveries[index], done=True, error=error)
    return transition(event, EventState.DELIVERING, deliveries=tuple(deliveries))


def settle(event: Event) -> Event:
    """Everything delivered: succeeded or failed, as recorded by `finish`."""
    if event.final_state is None:
        raise IllegalTransition(f"event {event.id} has no recorded outcome")
    return transition(event, event.final_state)


def redrive(event: Event, *, now: float) -> Event:
    """A failed event queued again, from its first attempt; its age counts from `now`."""
    return transition(
        event,
        EventState.PENDING,
        due_at=now,
        enqueued_at=now,
        attempts=0,
        throttles=0,
        history=(*event.history, Attempt(now, REDRIVEN)),
        last=None,
        condition=None,
        final_state=None,
        deliveries=(),
    )
