"""Reading functions' configuration: GetFunctionConfiguration and ListFunctions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import shapes, versions
from ..errors import InvalidParameterValueException, ValidationException, validation_message
from ..project import Project
from .backend import Backend
from .responses import aws_json

PAGE = 50
"""ListFunctions returns at most this many functions per page, whatever MaxItems asks."""


async def get_configuration(request: Request) -> Response:
    """GET /2015-03-31/functions/{FunctionName}/configuration"""
    backend: Backend = request.app.state.backend
    shape = await backend.call(
        _configuration,
        backend.project,
        request.path_params["function"],
        request.query_params.get("Qualifier"),
    )
    return aws_json(shape)


def _configuration(project: Project, function: str, qualifier: str | None) -> dict:
    from ..aliases import version_of

    ref = project.ref(function, qualifier)
    version = version_of(project, ref.name, ref.qualifier)
    return shapes.function_configuration(project, version, qualifier=ref.qualifier)


async def list_functions(request: Request) -> Response:
    """GET /2015-03-31/functions: `$LATEST` of each function (every version with
    `FunctionVersion=ALL`), a page at a time (`Marker`/`MaxItems` -> `NextMarker`)."""
    backend: Backend = request.app.state.backend
    query = request.query_params
    every = query.get("FunctionVersion")
    if every is not None and every != "ALL":
        constraint = "Member must satisfy enum value set: [ALL]"
        raise ValidationException(validation_message(every, "functionVersion", constraint))
    limit = max_items(query.get("MaxItems"), PAGE)
    shape = await backend.call(
        _list, backend.project, every=every == "ALL", marker=query.get("Marker"), limit=limit
    )
    return aws_json(shape)


def _list(project: Project, *, every: bool, marker: str | None, limit: int) -> dict:
    entries: list[tuple[str, versions.Version]] = []
    for name in sorted(project.functions):
        listed = (
            versions.list_versions(project, name) if every else [versions.latest(project, name)]
        )
        entries.extend((f"{name}:{v.version}", v) for v in listed)
    keys = [key for key, _ in entries]
    start = 0
    if marker is not None:
        if marker not in keys:
            raise InvalidParameterValueException(f"Invalid marker: {marker}")
        start = keys.index(marker) + 1
    page = entries[start : start + limit]
    shape: dict = {"Functions": [shapes.function_configuration(project, v) for _, v in page]}
    if start + limit < len(entries):
        shape["NextMarker"] = page[-1][0]
    return shape


def max_items(text: str | None, ceiling: int) -> int:
    """A `MaxItems` query value (1..10000 as AWS's model allows), capped at the page size."""
    if text is None:
        return ceiling
    if not text.isdigit() or not 1 <= int(text) <= 10000:
        constraint = "Member must have value between 1 and 10000"
        raise ValidationException(validation_message(text, "maxItems", constraint))
    return min(int(text), ceiling)
