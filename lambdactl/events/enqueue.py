"""Accepting an asynchronous invocation: validate, resolve, write the event durably."""

from __future__ import annotations

import time

from .. import ids, versions
from ..payloads import check_payload
from ..project import Project
from ..store.lifecycle import Event


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
    event = check_payload(payload, event=True)
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
