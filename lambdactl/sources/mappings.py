"""The event source mappings: the manifest's `events:` sources and those made through the
Lambda API (CreateEventSourceMapping), each with its run-time state, kept in the store by UUID.
What `lambdactl mappings`, the ESM API operations and the sources host read.

Two kinds of record, one table:
- a **declared** mapping (a manifest source; a uuid5, see `specs.source_uuid`) keeps its state
  and its run-time *overrides* of settings (`{"batch_size": {"value": 5, "base": 10}}`, the
  catalog's rule: once the manifest says something else than `base`, it was edited since and
  the manifest wins). Its `enabled:` decides until someone enables or disables it at run time;
  that choice holds until the manifest's `enabled:` is edited (the newer word wins). It cannot
  be deleted through the API (the manifest would bring it back): disable it, or drop it from
  the manifest.
- an **API** mapping (a random uuid4, as AWS's) keeps its whole source (`specs.source_record`).

States are AWS's: `Creating`, `Enabling`, `Disabling`, `Updating` and `Deleting` are
transitional: they say what was asked and not yet applied. Only the host (the worker-lock
holder, `host.py`) applies them: it starts, stops or restarts the poller, then *settles* the
state (Enabled, Disabled, or the record is gone). With no lock holder running, they stay until
one starts. A mapping in a transitional state refuses another update or a delete
(ResourceInUseException), as AWS's does. Every change is a compare-and-set
(`Store.swap_mapping`), so the host settling a state never undoes a change made meanwhile.

`LastProcessingResult` uses AWS's words: "No records processed" until a batch is invoked, then
"OK" or "PROBLEM: Function call failed".
"""

from __future__ import annotations

import time
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from .specs import (
    EventSource,
    QueueSettings,
    QueueSource,
    StreamSettings,
    StreamSource,
    is_declared,
    mapped,
    source_from_record,
    source_record,
    sqs_conflict,
    stream_conflict,
)

if TYPE_CHECKING:
    from ..project import Project

ENABLED = "Enabled"
DISABLED = "Disabled"
CREATING = "Creating"
ENABLING = "Enabling"
DISABLING = "Disabling"
UPDATING = "Updating"
DELETING = "Deleting"
TRANSITIONAL = frozenset({CREATING, ENABLING, DISABLING, UPDATING, DELETING})
"""States that say a change was asked and the host has not applied it yet."""
NO_RECORDS = "No records processed"
OK = "OK"
FUNCTION_CALL_FAILED = "PROBLEM: Function call failed"
USER_INITIATED = "USER_INITIATED"
"""StateTransitionReason of a queue's mapping (SQS's word)."""
USER_ACTION = "User action"
"""StateTransitionReason of a stream's mapping (Kinesis's and DynamoDB's words)."""
NOT_FOUND = "The resource you requested does not exist."
"""GetEventSourceMapping's message for an unknown UUID."""
UPDATE_IN_USE = "Cannot update the event source mapping because it is in use."
DELETE_IN_USE = "Cannot delete the event source mapping because it is in use."
_ATTEMPTS = 20
"""Compare-and-set rounds before giving up (each lost round means someone else wrote)."""


@dataclass(frozen=True)
class Mapping:
    """One mapping as it stands: its source, and its run-time state."""

    uuid: str
    function: str
    """The function as the mapping names it: `NAME` or `NAME:QUALIFIER`."""
    kind: str
    identity: str
    """The queue's, stream's... name (or the watched directory, the schedule's expression)."""
    state: str
    last_processing_result: str
    last_modified: float
    """Epoch seconds of the last change of its configuration or state."""
    wanted: bool = True
    """Whether it is to run (Enabled, or on its way there)."""
    declared: bool = True
    """A manifest source (False: made through the API)."""

    @property
    def enabled(self) -> bool:
        return self.state == ENABLED

    @property
    def state_transition_reason(self) -> str:
        return USER_INITIATED if self.kind in ("queue", "sqs") else USER_ACTION


# -- reading -------------------------------------------------------------------------------


def every(project: Project, function: str | None = None) -> list[tuple[EventSource, Mapping]]:
    """Every mapping (of the function named `function` only, when given): the manifest's in
    its order, then the API's by creation. Each source is as it runs (overrides applied)."""
    records = {record["uuid"]: record for record in project.store.list_mappings()}
    found: list[tuple[EventSource, Mapping]] = []
    for spec in project.functions.values():
        if function is None or spec.name == function:
            for source in mapped(spec.events):
                record = _declared_record(project, source, records.get(source.uuid))
                found.append((_effective(source, record), _mapping(source, record)))
    made = sorted(
        (r for r in records.values() if "source" in r),
        key=lambda r: (r.get("created", 0.0), r["uuid"]),
    )
    for record in made:
        source = source_from_record(record["source"])
        if function is None or _name(source.function) == function:
            found.append((source, _mapping(source, record)))
    return found


def get(project: Project, uuid: str) -> tuple[EventSource, Mapping]:
    """The mapping `uuid`: its source as it runs and its state; AWS's ResourceNotFoundException
    when there is none."""
    source, record = _load(project, uuid)
    return source, _mapping(source, record)


def find(project: Project, uuid: str) -> EventSource:
    """The source of mapping `uuid`, as it runs; ResourceNotFoundException when none."""
    return get(project, uuid)[0]


def current(project: Project, source: EventSource, *, now: float | None = None) -> Mapping:
    """`source`'s mapping state; a declared source's first look (or an edit of its
    `enabled:`) stores it."""
    stored = project.store.get_mapping(source.uuid)
    if stored is not None and "source" in stored:
        return _mapping(source, stored)
    return _mapping(source, _declared_record(project, source, stored, now=now))


def plan(project: Project) -> tuple[dict[str, EventSource], dict[str, dict[str, Any]]]:
    """What the host is to run, and the records it read: (uuid -> source as it runs, for
    each mapping wanted running; uuid -> record, for every mapping, to `settle` after)."""
    wanted: dict[str, EventSource] = {}
    seen: dict[str, dict[str, Any]] = {}
    records = {record["uuid"]: record for record in project.store.list_mappings()}
    for spec in project.functions.values():
        for source in mapped(spec.events):
            record = _declared_record(project, source, records.get(source.uuid))
            seen[source.uuid] = record
            if _wanted(record):
                wanted[source.uuid] = _effective(source, record)
    for uuid, record in records.items():
        if "source" in record:
            seen[uuid] = record
            if _wanted(record):
                wanted[uuid] = source_from_record(record["source"])
    return wanted, seen


def settle(
    project: Project,
    seen: dict[str, dict[str, Any]],
    applied: Callable[[str], bool],
    *,
    now: float | None = None,
) -> None:
    """The host applied `plan`'s wishes: each transitional state among `seen` whose wish
    `applied(uuid)` says is in force becomes final (a Deleting mapping's record and stream
    checkpoints go). A record changed since it was read is left for the next round."""
    for uuid, record in seen.items():
        state = record.get("state")
        if state not in TRANSITIONAL or not applied(uuid):
            continue
        if state == DELETING:
            if project.store.swap_mapping(uuid, record, None):
                project.store.delete_checkpoints(uuid)
            continue
        final = ENABLED if _wanted(record) else DISABLED
        settled = {**record, "state": final, "last_modified": _now(now)}
        project.store.swap_mapping(uuid, record, settled)


# -- changing ------------------------------------------------------------------------------


def create(
    project: Project, source: QueueSource | StreamSource, *, enabled: bool = True
) -> Mapping:
    """A new mapping through the API (`source.uuid` fresh): Creating until the host starts
    it. ResourceConflictException (AWS's message) when the function already has a mapping of
    that source."""
    _check_conflict(project, source)
    now = time.time()
    record = {
        "uuid": source.uuid,
        "source": source_record(source),
        "enabled": enabled,
        "state": CREATING,
        "last_processing_result": NO_RECORDS,
        "last_modified": now,
        "created": now,
    }
    if not project.store.swap_mapping(source.uuid, None, record):
        raise ResourceConflictException(f"An event source mapping with UUID {source.uuid} exists")
    return _mapping(source, record)


def update(
    project: Project,
    uuid: str,
    *,
    enabled: bool | None = None,
    settings: Callable[[EventSource], Any] | None = None,
    function: str | None = None,
) -> tuple[EventSource, Mapping]:
    """UpdateEventSourceMapping: `enabled` (None: unchanged), `settings` (given the source as
    it runs, its new settings; None: unchanged) and, for an API mapping, `function`. The
    state AWS answers: Enabling or Disabling when `enabled` changes it, else Updating (an
    `enabled` that changes nothing, alone, changes no state). ResourceInUseException while a
    transitional state is pending."""
    for _attempt in range(_ATTEMPTS):
        source, record = _load(project, uuid)
        if record["state"] in TRANSITIONAL:
            raise ResourceInUseException(UPDATE_IN_USE)
        changed = dict(record)
        new_source = source
        if settings is not None:
            new_source = replace(source, settings=settings(source))  # type: ignore[call-arg]
        if function is not None and function != source.function:
            if "source" not in record:
                raise InvalidParameterValueException(_declared_message(project, source))
            new_source = replace(new_source, function=function)
            _check_conflict(project, new_source)  # type: ignore[arg-type]
        if "source" in record:
            changed["source"] = source_record(new_source)
        else:
            declared = _declared_source(project, uuid)
            changed["overrides"] = _overrides(declared, new_source)
        was = bool(_wanted(record))
        if enabled is not None:
            changed["enabled"] = enabled
        state = record["state"]
        if enabled is not None and enabled != was:
            state = ENABLING if enabled else DISABLING
        elif new_source != source or enabled is None:
            state = UPDATING
        changed["state"] = state
        changed["last_modified"] = time.time()
        if project.store.swap_mapping(uuid, record, changed):
            return new_source, _mapping(new_source, changed)
    raise ResourceInUseException(UPDATE_IN_USE)


def set_enabled(project: Project, source: EventSource, enabled: bool) -> Mapping:
    """Enable or disable `source`'s mapping at run time: Enabling or Disabling until the host
    follows (within a second, when one runs)."""
    return update(project, source.uuid, enabled=enabled)[1]


def delete(project: Project, uuid: str) -> tuple[EventSource, Mapping]:
    """DeleteEventSourceMapping: Deleting until the host stops its poller, then gone. A
    declared mapping is refused (ResourceConflictException naming the manifest)."""
    for _attempt in range(_ATTEMPTS):
        source, record = _load(project, uuid)
        if "source" not in record:
            raise ResourceConflictException(_declared_message(project, source))
        if record["state"] in TRANSITIONAL:
            raise ResourceInUseException(DELETE_IN_USE)
        changed = {**record, "state": DELETING, "last_modified": time.time()}
        if project.store.swap_mapping(uuid, record, changed):
            return source, _mapping(source, changed)
    raise ResourceInUseException(DELETE_IN_USE)


def problem(message: str) -> str:
    """A LastProcessingResult for trouble before any invoke (the stream missing, the
    endpoint unreachable), in AWS's "PROBLEM: ..." form."""
    return f"PROBLEM: {message}"


def record_result(project: Project, source: EventSource, result: str) -> None:
    """Note a batch's outcome (`OK`, `FUNCTION_CALL_FAILED`, a `problem`); written only when
    it changes. A mapping deleted meanwhile stays deleted."""
    for _attempt in range(_ATTEMPTS):
        stored = project.store.get_mapping(source.uuid)
        if stored is None:
            if not is_declared(source.uuid):
                return
            stored = _declared_record(project, source, None)
        if stored.get("last_processing_result") == result:
            return
        if project.store.swap_mapping(
            source.uuid, stored, {**stored, "last_processing_result": result}
        ):
            return


def new_uuid() -> str:
    """An API mapping's UUID: random (version 4), as AWS's are."""
    return str(uuid_module.uuid4())


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
    name it, a real queue's from its URL; for the other kinds, what the source reads (a
    schedule, a directory, a URL)."""
    from .specs import SqsSource, describe, queue_url_arn

    region, account = project.manifest.region, project.manifest.account
    if source.kind == "queue":
        return f"arn:aws:sqs:{region}:{account}:{source.identity}"
    if source.kind == "stream":
        return f"arn:aws:kinesis:{region}:{account}:stream/{source.identity}"
    if isinstance(source, SqsSource):
        return queue_url_arn(source.queue_url, source.endpoint.region) or source.queue_url
    return describe(source, project.manifest.root)


# -- records -------------------------------------------------------------------------------


def _load(project: Project, uuid: str) -> tuple[EventSource, dict[str, Any]]:
    if is_declared(uuid):
        source = _declared_source(project, uuid)
        record = _declared_record(project, source, project.store.get_mapping(uuid))
        return _effective(source, record), record
    stored = project.store.get_mapping(uuid)
    if stored is None or "source" not in stored:
        raise ResourceNotFoundException(NOT_FOUND)
    return source_from_record(stored["source"]), stored


def _declared_source(project: Project, uuid: str) -> EventSource:
    for spec in project.functions.values():
        for source in mapped(spec.events):
            if source.uuid == uuid:
                return source
    raise ResourceNotFoundException(NOT_FOUND)


def _declared_record(
    project: Project,
    source: EventSource,
    stored: dict[str, Any] | None,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """A declared source's record: stored on the first look, and again (its `enabled:` wins)
    once the manifest's `enabled:` says something new."""
    declared = ENABLED if source.enabled else DISABLED
    if stored is not None and stored.get("declared") == declared:
        return stored
    record = {
        "uuid": source.uuid,
        "declared": declared,
        "enabled": source.enabled,
        "state": declared,
        "last_processing_result": (stored or {}).get("last_processing_result", NO_RECORDS),
        "last_modified": _now(now),
    }
    if stored is not None and "overrides" in stored:
        record["overrides"] = stored["overrides"]
    if project.store.swap_mapping(source.uuid, stored, record):
        return record
    again = project.store.get_mapping(source.uuid)  # someone else wrote it first
    return again if again is not None else record


def _wanted(record: dict[str, Any]) -> bool:
    if record.get("state") == DELETING:
        return False
    return bool(record.get("enabled", record.get("state") == ENABLED))


def _effective(source: EventSource, record: dict[str, Any]) -> EventSource:
    """A declared source with its run-time overrides (those the manifest has not since
    changed under them)."""
    overrides = record.get("overrides")
    settings = getattr(source, "settings", None)
    if not overrides or settings is None:
        return source
    values = {}
    for name, override in overrides.items():
        if hasattr(settings, name) and _plain(getattr(settings, name)) == override["base"]:
            value = override["value"]
            values[name] = tuple(value) if isinstance(value, list) else value
    if not values:
        return source
    return replace(source, settings=replace(settings, **values))  # type: ignore[call-arg]


def _overrides(declared: EventSource, wanted: EventSource) -> dict[str, Any]:
    """The settings in which `wanted` differs from the manifest's `declared`, with the
    manifest's value each replaces."""
    base, new = getattr(declared, "settings", None), getattr(wanted, "settings", None)
    if base is None or new is None:
        return {}
    return {
        item.name: {
            "value": _plain(getattr(new, item.name)),
            "base": _plain(getattr(base, item.name)),
        }
        for item in fields(base)
        if getattr(new, item.name) != getattr(base, item.name)
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _mapping(source: EventSource, record: dict[str, Any]) -> Mapping:
    return Mapping(
        uuid=source.uuid,
        function=source.function,
        kind=source.kind,
        identity=source.identity,
        state=record["state"],
        last_processing_result=record["last_processing_result"],
        last_modified=record["last_modified"],
        wanted=_wanted(record),
        declared="source" not in record,
    )


def _check_conflict(project: Project, source: QueueSource | StreamSource) -> None:
    for other, state in every(project):
        if (
            other.uuid != source.uuid
            and other.kind == source.kind
            and other.identity == source.identity
            and other.function == source.function
            and state.state != DELETING
        ):
            raise ResourceConflictException(_conflict(project, source, other.uuid))


def _conflict(project: Project, source: EventSource, uuid: str) -> str:
    arn = source_arn(project, source)
    if source.kind == "queue":
        return sqs_conflict(arn, _name(source.function), uuid)
    return stream_conflict(arn, _name(source.function), uuid)


def _declared_message(project: Project, source: EventSource) -> str:
    return (
        f"The event source mapping {source.uuid} is declared in "
        f"{project.manifest.path.name} (functions.{source.function}.events): change or "
        "remove it there, or disable it (UpdateEventSourceMapping Enabled=false)"
    )


def _name(function: str) -> str:
    return function.split(":", 1)[0]


def _now(now: float | None) -> float:
    return time.time() if now is None else now


# -- sources named by ARN (CreateEventSourceMapping) -----------------------------------------

EVENT_SOURCE_ARN_PATTERN = (
    r"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
)
"""CreateEventSourceMapping's model pattern for EventSourceArn."""
UNRECOGNIZED = "Unrecognized event source."
FUNCTION_DOES_NOT_EXIST = "Function does not exist"


def function_of(project: Project, text: str) -> str:
    """A mapping's function from a FunctionName (name, ARN or partial ARN, qualified or not):
    `NAME` or `NAME:QUALIFIER`. One that does not exist is AWS's InvalidParameterValueException
    (`Function does not exist`)."""
    from ..aliases import version_of

    ref = project.ref(text)
    if ref.name not in project.functions:
        raise InvalidParameterValueException(FUNCTION_DOES_NOT_EXIST)
    if ref.qualifier is not None:
        try:
            version_of(project, ref.name, ref.qualifier)
        except ResourceNotFoundException:
            raise InvalidParameterValueException(FUNCTION_DOES_NOT_EXIST) from None
        return f"{ref.name}:{ref.qualifier}"
    return ref.name


def source_of(
    project: Project,
    event_source_arn: str,
    function: str,
    given: dict[str, Any],
    *,
    uuid: str,
    enabled: bool = True,
) -> QueueSource | StreamSource:
    """The source CreateEventSourceMapping's request names: a local queue
    (`arn:aws:sqs:REGION:ACCOUNT:NAME`) or a local stream (`arn:aws:kinesis:...:stream/NAME`)
    of this project's region and account, with the settings of `given` (AWS's member
    names). Anything else is refused with AWS's error, or a clear one where lambdactl maps no
    such source."""
    import re

    from ..errors import ValidationException, validation_message
    from .specs import api_settings

    if not re.fullmatch(EVENT_SOURCE_ARN_PATTERN, event_source_arn):
        constraint = f"Member must satisfy regular expression pattern: {EVENT_SOURCE_ARN_PATTERN}"
        raise ValidationException(
            validation_message(event_source_arn, "eventSourceArn", constraint)
        )
    service, region, account, resource = event_source_arn.split(":", 5)[2:6]
    here = (region, account) == (project.manifest.region, project.manifest.account)
    if service == "sqs":
        queue = _local_queue(project, resource if here else None)
        _check_visibility(project, queue.attributes, function)
        settings = api_settings("queue", given, fifo=queue.fifo)
        assert isinstance(settings, QueueSettings)
        return QueueSource(
            uuid=uuid, function=function, queue=queue.name, settings=settings, enabled=enabled
        )
    if service == "kinesis":
        name = resource.removeprefix("stream/") if resource.startswith("stream/") else None
        stream = _local_stream(project, name if here else None, event_source_arn)
        found = api_settings("stream", given, on_failure=lambda arn: _on_failure(project, arn))
        assert isinstance(found, StreamSettings)
        return StreamSource(
            uuid=uuid, function=function, stream=stream, settings=found, enabled=enabled
        )
    if service == "dynamodb":
        raise InvalidParameterValueException(
            f"lambdactl maps local queues (arn:aws:sqs:...) and local streams "
            f"(arn:aws:kinesis:...:stream/NAME) through the API, not {event_source_arn}: "
            "a DynamoDB table's stream is read by a manifest source (events: - dynamodb: ...)"
        )
    raise InvalidParameterValueException(UNRECOGNIZED)


def settings_of(project: Project, source: EventSource, given: dict[str, Any]) -> Any:
    """`source`'s settings changed by UpdateEventSourceMapping's members in `given`."""
    from .specs import api_settings

    if not isinstance(source, (QueueSource, StreamSource)):
        from .specs import SETTING_MEMBERS, UNSUPPORTED_PARAMETER

        for member in sorted(SETTING_MEMBERS):
            if given.get(member) is not None:
                raise InvalidParameterValueException(UNSUPPORTED_PARAMETER.format(member=member))
        return getattr(source, "settings", None)
    if isinstance(source, QueueSource):
        queue = _local_queue(project, source.queue)
        return api_settings("queue", given, base=source.settings, fifo=queue.fifo)
    return api_settings(
        "stream",
        given,
        base=source.settings,
        on_failure=lambda arn: _on_failure(project, arn),
    )


def _local_queue(project: Project, name: str | None) -> Any:
    from .. import queues

    try:
        if name is None:
            raise queues.QueueDoesNotExist()
        return queues.get(project, name)
    except queues.QueueDoesNotExist as exc:
        raise InvalidParameterValueException(
            "Error occurred while ReceiveMessage. SQS Error Code: "
            f"AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: {exc.message}"
        ) from None


def _local_stream(project: Project, name: str | None, arn: str) -> str:
    from .. import streams

    try:
        if name is None:
            raise ResourceNotFoundException(arn)
        return streams.get(project, name).name
    except (ResourceNotFoundException, streams.InvalidArgumentException):
        raise InvalidParameterValueException(f"Stream not found: {arn}") from None


def _check_visibility(project: Project, attributes: Any, function: str) -> None:
    """AWS refuses a queue whose visibility timeout is shorter than the function's timeout."""
    visibility = int(attributes["visibility_timeout"])
    timeout = project.function(_name(function)).config.timeout
    if visibility < timeout:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
            f"{timeout} seconds"
        )


def _on_failure(project: Project, arn: str) -> str:
    """An OnFailure destination: a local queue's ARN -> its name."""
    parts = arn.split(":")
    manifest = project.manifest
    if len(parts) == 6 and parts[2] == "sqs" and parts[3:5] == [manifest.region, manifest.account]:
        return str(_local_queue(project, parts[5]).name)
    raise InvalidParameterValueException(
        f"The on-failure destination {arn} is not a local queue of this project: lambdactl "
        f"sends a stream's discarded batches to a queue (arn:aws:sqs:{manifest.region}:"
        f"{manifest.account}:NAME)"
    )
