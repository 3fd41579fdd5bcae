"""The state of each event source mapping (a function's `events:` entry), kept in the store
by the source's stable uuid: what `lambdactl mappings` and the ESM API operations show.

A mapping is Enabled or Disabled. The manifest's `enabled:` decides, until someone enables or
disables the mapping at run time; that choice then holds until the manifest's `enabled:` is
edited (the newer word wins). `LastProcessingResult` uses AWS's words: "No records processed"
until a batch is invoked, then "OK" or "PROBLEM: Function call failed".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ResourceNotFoundException

if TYPE_CHECKING:
    from ..project import Project
    from .specs import EventSource

ENABLED = "Enabled"
DISABLED = "Disabled"
NO_RECORDS = "No records processed"
OK = "OK"
FUNCTION_CALL_FAILED = "PROBLEM: Function call failed"
USER_INITIATED = "USER_INITIATED"
NOT_FOUND = "The resource you requested does not exist."
"""GetEventSourceMapping's message for an unknown UUID."""


@dataclass(frozen=True)
class Mapping:
    """One mapping as it stands: its source as declared, and its run-time state."""

    uuid: str
    function: str
    kind: str
    identity: str
    """The queue's, stream's... name (or the watched directory, the schedule's expression)."""
    state: str
    last_processing_result: str
    last_modified: float
    """Epoch seconds of the last change of its configuration or state."""

    @property
    def enabled(self) -> bool:
        return self.state == ENABLED


def every(project: Project, function: str | None = None) -> list[tuple[EventSource, Mapping]]:
    """Every declared source (of `function` only, when given) with its mapping state, in the
    manifest's order."""
    found: list[tuple[EventSource, Mapping]] = []
    for spec in project.functions.values():
        if function is None or spec.name == function:
            found.extend((source, current(project, source)) for source in spec.events)
    return found


def find(project: Project, uuid: str) -> EventSource:
    """The declared source with this UUID; AWS's ResourceNotFoundException when none has."""
    for spec in project.functions.values():
        for source in spec.events:
            if source.uuid == uuid:
                return source
    raise ResourceNotFoundException(NOT_FOUND)


def current(project: Project, source: EventSource, *, now: float | None = None) -> Mapping:
    """`source`'s mapping state; the first look (or an edit of `enabled:`) stores it."""
    stored = project.store.get_mapping(source.uuid)
    declared = ENABLED if source.enabled else DISABLED
    if stored is None or stored.get("declared") != declared:
        stored = {
            "uuid": source.uuid,
            "declared": declared,
            "state": declared,
            "last_processing_result": (stored or {}).get("last_processing_result", NO_RECORDS),
            "last_modified": time.time() if now is None else now,
        }
        project.store.put_mapping(source.uuid, stored)
    return _mapping(source, stored)


def set_enabled(
    project: Project, source: EventSource, enabled: bool, *, now: float | None = None
) -> Mapping:
    """Enable or disable `source`'s mapping at run time (the host follows within a second)."""
    record = _record(project, source)
    record["state"] = ENABLED if enabled else DISABLED
    record["last_modified"] = time.time() if now is None else now
    project.store.put_mapping(source.uuid, record)
    return _mapping(source, record)


def record_result(project: Project, source: EventSource, result: str) -> None:
    """Note a batch's outcome (`OK` or `FUNCTION_CALL_FAILED`); written only when it changes."""
    record = _record(project, source)
    if record.get("last_processing_result") != result:
        record["last_processing_result"] = result
        project.store.put_mapping(source.uuid, record)


def _record(project: Project, source: EventSource) -> dict[str, Any]:
    current(project, source)
    stored = project.store.get_mapping(source.uuid)
    assert stored is not None  # `current` stored it
    return dict(stored)


def _mapping(source: EventSource, record: dict[str, Any]) -> Mapping:
    return Mapping(
        uuid=source.uuid,
        function=source.function,
        kind=source.kind,
        identity=source.identity,
        state=record["state"],
        last_processing_result=record["last_processing_result"],
        last_modified=record["last_modified"],
    )


def reads(project: Project, kind: str, name: str) -> bool:
    """Whether an enabled mapping reads the local queue (`kind` "queue") or stream `name`."""
    return any(
        source.kind == kind and source.identity == name and state.enabled
        for source, state in every(project)
    )


def wake(project: Project, kind: str, name: str) -> bool:
    """After a message was sent to queue `name` (or a record put on stream `name`): start the
    project's detached worker unless a process holds the worker lock, when an enabled mapping
    reads it, so the message is delivered without `serve`, `dev` or `worker` running (the
    path an asynchronous invoke takes: `daemon.ensure`). Whether a mapping reads it."""
    from ..events import daemon

    if not reads(project, kind, name):
        return False
    daemon.ensure(project)
    return True


def source_arn(project: Project, source: EventSource) -> str:
    """The ARN a mapping's EventSourceArn shows: a local queue's or stream's as AWS would
    name it; for the other kinds, what the source reads (a schedule, a directory, a URL)."""
    from .specs import describe

    region, account = project.manifest.region, project.manifest.account
    if source.kind == "queue":
        return f"arn:aws:sqs:{region}:{account}:{source.identity}"
    if source.kind == "stream":
        return f"arn:aws:kinesis:{region}:{account}:stream/{source.identity}"
    return describe(source, project.manifest.root)
