"""Seeing what happened to asynchronous events, and sending failed ones round again."""

from __future__ import annotations

import time
from typing import Any

from ..errors import ResourceNotFoundException, UsageError
from ..project import Project
from . import daemon

STATES = ("pending", "running", "retrying", "delivering", "succeeded", "failed")


def list_events(
    project: Project, *, function: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise UsageError(f"unknown state '{state}' (one of: {', '.join(STATES)})")
    if function is not None:
        function = project.ref(function).name
    return project.store.list_events(function=function, state=state)


def show(project: Project, request_id: str) -> dict[str, Any]:
    # Request ids are ASCII: other text (a command line's stray bytes) names no event.
    event = project.store.get_event(request_id) if request_id.isascii() else None
    if event is None:
        raise ResourceNotFoundException(f"no asynchronous event with request id {request_id}")
    return event


def redrive_failed(project: Project, request_id: str | None = None) -> list[str]:
    """Queue failed events again: `request_id`'s, or (None) every failed one, and start the
    project's worker for them unless one runs. The ids redriven, in order (empty: none had
    failed)."""
    ids = [request_id] if request_id else [e["id"] for e in list_events(project, state="failed")]
    redriven = [i for i in ids if redrive(project, i)]
    if redriven:
        daemon.ensure(project)
    return redriven


def redrive(project: Project, request_id: str, *, now: float | None = None) -> bool:
    """Queue a failed event again, from its first attempt; False if it had not failed."""
    event = show(project, request_id)
    data = dict(event["data"])
    data["history"] = [
        *data.get("history", []),
        {"time": now or time.time(), "outcome": "redriven"},
    ]
    for key in ("condition", "final_state", "deliveries", "last"):
        data.pop(key, None)
    data["attempts"] = data["throttles"] = 0
    return project.store.redrive_event(request_id, data, now=time.time() if now is None else now)
