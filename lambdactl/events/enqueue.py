"""Accepting an asynchronous invocation: validate, resolve, write the event durably."""

from __future__ import annotations

import time

from .. import ids, versions
from ..errors import RequestEntityTooLargeException
from ..project import Project
from ..store.lifecycle import Event

MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024
"""AWS's asynchronous payload limit (1 MB since October 2025)."""


def enqueue(
    project: Project,
    function: str,
    payload: bytes,
    *,
    qualifier: str | None = None,
    request_id: str | None = None,
    now: float | None = None,
) -> tuple[str, str]:
    """Durably queue an Event invocation; (request id, the version it resolves to now).

    When this returns, the event is on disk: a crash cannot lose it.
    """
    from ..invoke import check_payload  # the same JSON rules as a synchronous invoke

    if len(payload) > MAX_ASYNC_PAYLOAD_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_ASYNC_PAYLOAD_BYTES} bytes for the "
            "InvokeFunction operation"
        )
    event = check_payload(payload)
    ref = project.ref(function, qualifier)
    resolved = versions.resolve(project, ref.name, ref.qualifier)
    queued = Event.queued(
        request_id or ids.uuid4(),
        ref.name,
        event.decode("utf-8", "replace"),
        qualifier=ref.qualifier,
        now=time.time() if now is None else now,
    )
    project.store.enqueue_event(queued)
    return queued.id, resolved.version.version
