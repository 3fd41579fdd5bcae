"""Accepting an asynchronous invocation: validate, resolve, write the event durably."""

from __future__ import annotations

import time

from .. import ids, versions
from ..errors import RequestEntityTooLargeException
from ..project import Project

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
    request_id = request_id or ids.uuid4()
    moment = time.time() if now is None else now
    project.store.enqueue_event(
        {
            "id": request_id,
            "function": ref.name,
            "due_at": moment,
            "enqueued_at": moment,
            "data": {
                "qualifier": ref.qualifier,
                "payload": event.decode("utf-8", "replace"),
                "attempts": 0,
                "throttles": 0,
                "history": [],
            },
        }
    )
    return request_id, resolved.version.version
