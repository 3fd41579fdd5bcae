"""Create/Get/Update/Delete/ListEventSourceMappings: the `sources.mappings` service over
rest-json, answering with the EventSourceMappingConfiguration `lambdactl mappings -o json`
prints.

Local queues and local streams can be mapped by ARN. Mappings the manifest declares are
listed and read like the others, and UpdateEventSourceMapping changes them at run time (until
the manifest is edited under the change); DeleteEventSourceMapping refuses them (the
manifest would bring them back): disable them, or drop them from the manifest.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import InvalidParameterValueException, InvalidRequestContentException
from ..project import Project
from ..sources import mappings
from ..sources.specs import EventSource
from . import bodies
from .backend import Backend
from .functions import max_items
from .responses import aws_json

PAGE = 100
"""ListEventSourceMappings returns at most this many per page."""

_TYPES: dict[str, type | tuple[type, ...]] = {
    "EventSourceArn": str,
    "FunctionName": str,
    "Enabled": bool,
    "BatchSize": int,
    "MaximumBatchingWindowInSeconds": int,
    "ParallelizationFactor": int,
    "StartingPosition": str,
    "StartingPositionTimestamp": (int, float),
    "MaximumRecordAgeInSeconds": int,
    "BisectBatchOnFunctionError": bool,
    "MaximumRetryAttempts": int,
    "TumblingWindowInSeconds": int,
    "FunctionResponseTypes": list,
    "FilterCriteria": dict,
    "ScalingConfig": dict,
    "DestinationConfig": dict,
}
"""The request members served, with their JSON types."""
_SETTINGS = tuple(k for k in _TYPES if k not in ("EventSourceArn", "FunctionName", "Enabled"))
_NOT_SERVED = (
    "Tags",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "KMSKeyArn",
    "MetricsConfig",
    "LoggingConfig",
    "ProvisionedPollerConfig",
)
"""Members of AWS's model lambdactl does not implement: refused by name, never ignored."""


async def create_mapping(request: Request) -> Response:
    """POST /2015-03-31/event-source-mappings -> 202, State Creating."""
    backend: Backend = request.app.state.backend
    body = await _body(request, "CreateEventSourceMapping")
    (function,) = bodies.required_strings(body, ("FunctionName", "functionName"))
    shape = await backend.call(_create, backend.project, function, body)
    return aws_json(shape, status=202)


def _create(project: Project, function_name: str, body: dict[str, Any]) -> dict[str, Any]:
    arn = body.get("EventSourceArn")
    if arn is None:
        raise InvalidParameterValueException(mappings.UNRECOGNIZED)
    function = mappings.function_of(project, function_name)
    source = mappings.source_of(
        project,
        arn,
        function,
        _settings(body),
        uuid=mappings.new_uuid(),
        enabled=body.get("Enabled", True),
    )
    return _shape(project, source, mappings.create(project, source, enabled=source.enabled))


async def get_mapping(request: Request) -> Response:
    """GET /2015-03-31/event-source-mappings/{UUID}"""
    backend: Backend = request.app.state.backend
    shape = await backend.call(_get, backend.project, request.path_params["uuid"])
    return aws_json(shape)


def _get(project: Project, uuid: str) -> dict[str, Any]:
    source, state = mappings.get(project, uuid)
    return _shape(project, source, state)


async def update_mapping(request: Request) -> Response:
    """PUT /2015-03-31/event-source-mappings/{UUID} -> 202: the members given change, the
    others stay; State Enabling, Disabling or Updating until the host applies it."""
    backend: Backend = request.app.state.backend
    body = await _body(request, "UpdateEventSourceMapping")
    for member in ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp"):
        if member in body:  # not members of UpdateEventSourceMapping's request
            raise InvalidParameterValueException(
                f"{member} cannot be changed: delete the mapping and create another"
            )
    shape = await backend.call(_update, backend.project, request.path_params["uuid"], body)
    return aws_json(shape, status=202)


def _update(project: Project, uuid: str, body: dict[str, Any]) -> dict[str, Any]:
    given = _settings(body)
    function = body.get("FunctionName")
    source, state = mappings.update(
        project,
        uuid,
        enabled=body.get("Enabled"),
        settings=(lambda s: mappings.settings_of(project, s, given)) if given else None,
        function=None if function is None else mappings.function_of(project, function),
    )
    return _shape(project, source, state)


async def delete_mapping(request: Request) -> Response:
    """DELETE /2015-03-31/event-source-mappings/{UUID} -> 202, State Deleting (gone once the
    host stopped its poller)."""
    backend: Backend = request.app.state.backend
    shape = await backend.call(_delete, backend.project, request.path_params["uuid"])
    return aws_json(shape, status=202)


def _delete(project: Project, uuid: str) -> dict[str, Any]:
    source, state = mappings.delete(project, uuid)
    return _shape(project, source, state)


async def list_mappings(request: Request) -> Response:
    """GET /2015-03-31/event-source-mappings: every mapping (of `FunctionName`, of
    `EventSourceArn`, when given), a page at a time (`Marker`/`MaxItems` -> `NextMarker`)."""
    backend: Backend = request.app.state.backend
    query = request.query_params
    limit = max_items(query.get("MaxItems"), PAGE)
    shape = await backend.call(
        _list,
        backend.project,
        function=query.get("FunctionName"),
        source_arn=query.get("EventSourceArn"),
        marker=query.get("Marker"),
        limit=limit,
    )
    return aws_json(shape)


def _list(
    project: Project,
    *,
    function: str | None,
    source_arn: str | None,
    marker: str | None,
    limit: int,
) -> dict[str, Any]:
    wanted = None
    if function is not None:
        ref = project.ref(function)
        project.function(ref.name)  # AWS's ResourceNotFoundException for an unknown one
        wanted = ref.name if ref.qualifier is None else f"{ref.name}:{ref.qualifier}"
    shapes = [
        _shape(project, source, state)
        for source, state in mappings.every(project)
        if wanted is None or state.function == wanted
    ]
    if source_arn is not None:
        shapes = [shape for shape in shapes if shape["EventSourceArn"] == source_arn]
    start = 0
    if marker is not None:  # the last mapping of the previous page: go on after it
        uuids = [shape["UUID"] for shape in shapes]
        if marker not in uuids:
            raise InvalidParameterValueException(f"Invalid marker: {marker}")
        start = uuids.index(marker) + 1
    page = shapes[start : start + limit]
    shape: dict[str, Any] = {"EventSourceMappings": page}
    if start + limit < len(shapes):
        shape["NextMarker"] = page[-1]["UUID"]
    return shape


# -- requests and answers ----------------------------------------------------------------------


async def _body(request: Request, operation: str) -> dict[str, Any]:
    """The request's JSON object, each member of its model's type (null: absent); a member
    lambdactl does not implement is refused by name."""
    given = await bodies.json_object(request, operation)
    for member, expected in _TYPES.items():
        value = given.get(member)
        wrong = isinstance(value, bool) and expected is not bool
        if value is not None and (wrong or not isinstance(value, expected)):
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {member} is not of its type"
            )
    for member in _NOT_SERVED:
        if given.get(member) is not None:
            raise InvalidParameterValueException(
                f"lambdactl does not implement {member} for event source mappings"
            )
    return {key: value for key, value in given.items() if value is not None}


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    return {member: body[member] for member in _SETTINGS if member in body}


def _shape(project: Project, source: EventSource, state: mappings.Mapping) -> dict[str, Any]:
    from ..shapes.mappings import mapping

    manifest = project.manifest
    return mapping(
        source,
        state,
        region=manifest.region,
        account=manifest.account,
        source_arn=mappings.source_arn(project, source),
    )
