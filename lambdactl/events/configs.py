"""EventInvokeConfig: a function's asynchronous invocation settings per qualifier, set at run
time through the API (Put, Update, Get, Delete, List FunctionEventInvokeConfig(s)).

AWS keys a config by the qualifier it was set on: `$LATEST` (also an unqualified call), a
version or an alias; an asynchronous invocation follows the config of the qualifier it was
made with (`FunctionSpec.async_config`). A declared function's `async:` section is its config
for every qualifier without its own, and shows as `$LATEST`'s; what is set through the API
overrides it until the manifest's `async:` changes (see `catalog`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from .. import catalog, queues, versions
from ..errors import (
    AwsError,
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
    validation_message,
)
from ..manifest import API, AsyncConfig, Destination, EventInvokeConfig, FunctionSpec
from ..project import Project

LATEST = "$LATEST"
DESTINATION_PATTERN = (
    r"^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?"
    r":(\d{12})?:(.*)"
)
"""AWS's model pattern for a destination ARN."""
NOTHING_GIVEN = "You must specify at least one of error handling or destination setting."
SELF_DESTINATION = "You can't specify the function as a destination for itself."
LOCAL_TARGETS = (
    "lambdactl delivers invocation records to a function or a queue of this project only"
)


def put(
    project: Project,
    function: str,
    qualifier: str | None = None,
    *,
    maximum_retry_attempts: int | None = None,
    maximum_event_age: int | None = None,
    destination_config: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> tuple[str, EventInvokeConfig]:
    """PutFunctionEventInvokeConfig: replaces the whole config (what is not given is gone);
    (the qualifier it is keyed by, the config)."""
    _check_values(maximum_retry_attempts, maximum_event_age, destination_config)
    spec, key = _existing(project, function, qualifier)
    on_success, on_failure = _destinations(project, spec.name, destination_config)
    config = EventInvokeConfig(
        last_modified=time.time() if now is None else now,
        maximum_retry_attempts=maximum_retry_attempts,
        maximum_event_age=maximum_event_age,
        on_success=on_success,
        on_failure=on_failure,
    )
    _write(project, spec, key, config)
    return key, config


def update(
    project: Project,
    function: str,
    qualifier: str | None = None,
    *,
    maximum_retry_attempts: int | None = None,
    maximum_event_age: int | None = None,
    destination_config: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> tuple[str, EventInvokeConfig]:
    """UpdateFunctionEventInvokeConfig: changes what is given of an existing config (a given
    DestinationConfig replaces the one there)."""
    _check_values(maximum_retry_attempts, maximum_event_age, destination_config)
    spec, key = _existing(project, function, qualifier)
    current = _current(project, spec, key)
    if current is None:
        raise _missing(project, spec.name, key)
    on_success, on_failure = current.on_success, current.on_failure
    if destination_config is not None:
        on_success, on_failure = _destinations(project, spec.name, destination_config)
    config = EventInvokeConfig(
        last_modified=time.time() if now is None else now,
        maximum_retry_attempts=_either(maximum_retry_attempts, current.maximum_retry_attempts),
        maximum_event_age=_either(maximum_event_age, current.maximum_event_age),
        on_success=on_success,
        on_failure=on_failure,
    )
    _write(project, spec, key, config)
    return key, config


def get(
    project: Project, function: str, qualifier: str | None = None
) -> tuple[str, EventInvokeConfig]:
    """GetFunctionEventInvokeConfig; ResourceNotFoundException when none is set."""
    spec, key = _target(project, function, qualifier)
    config = None if spec is None else _current(project, spec, key)
    if config is None:
        raise _missing(project, project.ref(function).name, key)
    return key, config


def delete(project: Project, function: str, qualifier: str | None = None) -> None:
    """DeleteFunctionEventInvokeConfig: AWS's defaults apply again to that qualifier (a
    declared function's `$LATEST`: no config at all, the manifest's included)."""
    spec, key = _target(project, function, qualifier)
    if spec is None or _current(project, spec, key) is None:
        raise _missing(project, project.ref(function).name, key)
    setting = catalog.event_invoke_key(key)
    if spec.source == API:
        project.store.delete_settings(spec.name, [setting])
    elif key == LATEST and _declared(project, spec.name) is not None:
        _override(project, spec.name, setting, None)  # the manifest's is deleted at run time
    else:
        project.store.delete_settings(spec.name, [setting])


def list_configs(project: Project, function: str) -> list[tuple[str, EventInvokeConfig]]:
    """ListFunctionEventInvokeConfigs: `$LATEST`'s first, then by qualifier."""
    name = _unqualified(project, function)
    spec = project.function(name)
    keys = sorted({LATEST, *spec.event_invoke}, key=lambda k: (k != LATEST, k))
    found = [(key, _current(project, spec, key)) for key in keys]
    return [(key, config) for key, config in found if config is not None]


# -- helpers ------------------------------------------------------------------------------------


def _existing(
    project: Project, function: str, qualifier: str | None
) -> tuple[FunctionSpec, str]:
    """(the function, the qualifier a config of it is keyed by): both must exist to set one."""
    spec, key = _target(project, function, qualifier)
    if spec is None:
        raise ResourceNotFoundException("The function doesn't exist.")
    return spec, key


def _target(
    project: Project, function: str, qualifier: str | None
) -> tuple[FunctionSpec | None, str]:
    """(the function, None when it or the qualifier does not exist; the qualifier a config
    of it is keyed by)."""
    ref = project.ref(function, qualifier)
    key = ref.qualifier or LATEST
    spec = project.functions.get(ref.name)
    if spec is None or not _qualifier_exists(project, ref.name, key):
        return None, key
    return spec, key


def _qualifier_exists(project: Project, name: str, key: str) -> bool:
    if key == LATEST:
        return True
    if versions.is_number(key):
        return project.store.get_version(name, int(key)) is not None
    return project.store.get_alias(name, key) is not None


def _unqualified(project: Project, function: str) -> str:
    ref = project.ref(function)
    if ref.qualifier is not None:
        raise InvalidParameterValueException(
            "Function names may not be qualified for this operation: "
            f"{function} (use the function's name or unqualified ARN)"
        )
    return ref.name


def _current(project: Project, spec: FunctionSpec, key: str) -> EventInvokeConfig | None:
    """The config set for `key` (through the API, or the manifest's for `$LATEST`)."""
    if key in spec.event_invoke:
        return spec.event_invoke[key]
    declared = _declared(project, spec.name) if key == LATEST else None
    if declared is None:
        return None
    return EventInvokeConfig(
        last_modified=project.manifest.path.stat().st_mtime,
        maximum_retry_attempts=declared.maximum_retry_attempts,
        maximum_event_age=declared.maximum_event_age,
        on_success=declared.on_success,
        on_failure=declared.on_failure,
    )


def _declared(project: Project, name: str) -> AsyncConfig | None:
    """The manifest's `async:` of a declared function, when it sets anything AWS's
    EventInvokeConfig holds."""
    spec = project.manifest.functions.get(name)
    if spec is None:
        return None
    declares = catalog.async_fields(spec.asynchronous) != catalog.async_fields(AsyncConfig())
    return spec.asynchronous if declares else None


def _check_values(
    maximum_retry_attempts: int | None,
    maximum_event_age: int | None,
    destination_config: Mapping[str, Any] | None,
) -> None:
    if maximum_retry_attempts is not None:
        _check_range(maximum_retry_attempts, "maximumRetryAttempts", 0, 2)
    if maximum_event_age is not None:
        _check_range(maximum_event_age, "maximumEventAgeInSeconds", 60, 21600)
    if maximum_retry_attempts is None and maximum_event_age is None and destination_config is None:
        raise InvalidParameterValueException(NOTHING_GIVEN)


def _destinations(
    project: Project, function: str, destination_config: Mapping[str, Any] | None
) -> tuple[Destination | None, Destination | None]:
    """(OnSuccess, OnFailure) of AWS's DestinationConfig, each a local function or queue."""
    found: list[Destination | None] = []
    for which in ("OnSuccess", "OnFailure"):
        given = (destination_config or {}).get(which) or {}
        arn = given.get("Destination") if isinstance(given, Mapping) else None
        found.append(_destination(project, function, str(arn), which) if arn else None)
    return found[0], found[1]


def _destination(project: Project, function: str, arn: str, which: str) -> Destination:
    """A local function or queue from its ARN; AWS's errors for anything else."""
    if not re.fullmatch(DESTINATION_PATTERN, arn):
        field = f"destinationConfig.{which[0].lower()}{which[1:]}.destination"
        constraint = f"Member must satisfy regular expression pattern: {DESTINATION_PATTERN}"
        raise ValidationException(validation_message(arn, field, constraint))
    invalid = InvalidParameterValueException(
        f"The destination ARN {arn} is invalid.", hint=LOCAL_TARGETS
    )
    parts = arn.split(":", 5)
    manifest = project.manifest
    if len(parts) < 6 or parts[3] != manifest.region or parts[4] != manifest.account:
        raise invalid
    service, resource = parts[2], parts[5]
    if service == "lambda" and resource.startswith("function:"):
        ref = project.ref(arn)
        if ref.name == function:
            raise InvalidParameterValueException(SELF_DESTINATION)
        if ref.name not in project.functions:
            raise invalid
        name = ref.name if ref.qualifier is None else f"{ref.name}:{ref.qualifier}"
        return Destination("function", name)
    if service == "sqs" and ":" not in resource:
        try:
            queues.get(project, resource)
        except AwsError:
            raise invalid from None
        return Destination("queue", resource)
    raise invalid


def _check_range(value: object, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        constraint = "Member must be a whole number"
        raise ValidationException(validation_message(value, field, constraint))
    if value < low:
        constraint = f"Member must have value greater than or equal to {low}"
        raise ValidationException(validation_message(value, field, constraint))
    if value > high:
        constraint = f"Member must have value less than or equal to {high}"
        raise ValidationException(validation_message(value, field, constraint))


def _write(project: Project, spec: FunctionSpec, key: str, config: EventInvokeConfig) -> None:
    setting = catalog.event_invoke_key(key)
    value = catalog.encode_event_invoke(config)
    if spec.source == API:
        project.store.put_setting(spec.name, setting, {"value": value})
    else:
        _override(project, spec.name, setting, value)


def _override(project: Project, name: str, setting: str, value: Any) -> None:
    base = catalog.base(project.manifest.functions[name], setting)
    project.store.put_setting(name, setting, {"value": value, "base": base})


def _missing(project: Project, name: str, key: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"The function {project.arn(name, key)} doesn't have an EventInvokeConfig"
    )


def _either(given: int | None, current: int | None) -> int | None:
    return current if given is None else given
