"""Accepting an asynchronous invocation: validate, resolve, write the event durably."""

from __future__ import annotations

import time

from .. import ids, versions
from ..payloads import MAX_ASYNC_PAYLOAD_BYTES, check_payload
from ..project import Project


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
    event = check_payload(payload, limit=MAX_ASYNC_PAYLOAD_BYTES)
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
