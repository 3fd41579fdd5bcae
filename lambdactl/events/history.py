"""Seeing what happened to asynchronous events, and sending failed ones round again."""

from __future__ import annotations

import time

from ..errors import ResourceNotFoundException, UsageError
from ..project import Project
from ..store import lifecycle
from ..store.lifecycle import Event, EventState
from . import daemon


def state_named(name: str) -> EventState:
    """The event state called `name`; a `UsageError` naming them all otherwise."""
    try:
        return EventState(name)
    except ValueError:
        names = ", ".join(state.value for state in EventState)
        raise UsageError(f"unknown state '{name}' (one of: {names})") from None


def list_events(
    project: Project, *, function: str | None = None, state: EventState | None = None
) -> list[Event]:
    if function is not None:
        function = project.ref(function).name
    return project.store.list_events(function=function, state=state)


def waiting(project: Project) -> int:
    """How many events are not finished: queued, due later, being attempted or delivered."""
    return project.store.count_events(lifecycle.WAITING)


def show(project: Project, request_id: str) -> Event:
    # Request ids are ASCII: other text (a command line's stray bytes) names no event.
    event = project.store.get_event(request_id) if request_id.isascii() else None
    if event is None:
        raise ResourceNotFoundException(f"no asynchronous event with request id {request_id}")
    return event


def redrive_failed(project: Project, request_id: str | None = None) -> list[str]:
    """Queue failed events again: `request_id`'s, or (None) every failed one, and start the
    project's worker for them unless one runs. The ids redriven, in order (empty: none had
    failed)."""
    if request_id:
        ids = [request_id]
    else:
        ids = [event.id for event in list_events(project, state=EventState.FAILED)]
    redriven = [i for i in ids if redrive(project, i)]
    if redriven:
        daemon.ensure(project)
    return redriven


def redrive(project: Project, request_id: str, *, now: float | None = None) -> bool:
    """Queue a failed event again, from its first attempt; False if it had not failed."""
    event = show(project, request_id)
    if event.state is not EventState.FAILED:
        return False
    return project.store.redrive_event(
        lifecycle.redrive(event, now=time.time() if now is None else now)
    )
