"""CreateAlias, GetAlias, UpdateAlias, DeleteAlias and ListAliases: the `aliases` service over
rest-json, answering with the AliasConfiguration `lambdactl alias ... -o json` prints."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from .. import aliases, shapes
from ..errors import ValidationException, validation_message
from ..project import Project
from . import bodies
from .backend import Backend
from .functions import PAGE, max_items
from .responses import aws_json, no_content

VERSION_FILTER_PATTERN = r"(\$LATEST|[0-9]+)"
"""ListAliases' FunctionVersion filter, as lambdactl's versions are named."""


async def create_alias(request: Request) -> Response:
    """POST /2015-03-31/functions/{FunctionName}/aliases -> 201"""
    backend: Backend = request.app.state.backend
    body = await bodies.json_object(request, "CreateAlias")
    name, version = bodies.required_strings(
        body, ("Name", "name"), ("FunctionVersion", "functionVersion")
    )
    shape = await backend.call(
        _create,
        backend.project,
        request.path_params["function"],
        name,
        version=version,
        routing=bodies.routing(body),
        description=bodies.string(body, "Description") or "",
    )
    return aws_json(shape, status=201)


def _create(
    project: Project,
    function: str,
    name: str,
    *,
    version: str,
    routing: dict[str, float] | None,
    description: str,
) -> dict:
    alias = aliases.create(
        project,
        project.ref(function).name,
        name,
        version=version,
        routing=routing,
        description=description,
    )
    return shapes.alias_configuration(project, alias)


async def get_alias(request: Request) -> Response:
    """GET /2015-03-31/functions/{FunctionName}/aliases/{Name}"""
    backend: Backend = request.app.state.backend
    shape = await backend.call(
        _get, backend.project, request.path_params["function"], request.path_params["name"]
    )
    return aws_json(shape)


def _get(project: Project, function: str, name: str) -> dict:
    alias = aliases.get(project, project.ref(function).name, name)
    return shapes.alias_configuration(project, alias)


async def update_alias(request: Request) -> Response:
    """PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}: the members given change,
    the others stay; `RevisionId` makes it conditional (412 when the alias moved on)."""
    backend: Backend = request.app.state.backend
    body = await bodies.json_object(request, "UpdateAlias")
    shape = await backend.call(
        _update,
        backend.project,
        request.path_params["function"],
        request.path_params["name"],
        version=bodies.string(body, "FunctionVersion"),
        routing=bodies.routing(body),
        description=bodies.string(body, "Description"),
        revision_id=bodies.string(body, "RevisionId"),
    )
    return aws_json(shape)


def _update(
    project: Project,
    function: str,
    name: str,
    *,
    version: str | None,
    routing: dict[str, float] | None,
    description: str | None,
    revision_id: str | None,
) -> dict:
    alias = aliases.update(
        project,
        project.ref(function).name,
        name,
        version=version,
        routing=routing,
        description=description,
        revision_id=revision_id,
    )
    return shapes.alias_configuration(project, alias)


async def delete_alias(request: Request) -> Response:
    """DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name} -> 204 (also when there
    was no such alias, as on AWS)."""
    backend: Backend = request.app.state.backend
    await backend.call(
        _delete, backend.project, request.path_params["function"], request.path_params["name"]
    )
    return no_content()


def _delete(project: Project, function: str, name: str) -> None:
    aliases.delete(project, project.ref(function).name, name)


async def list_aliases(request: Request) -> Response:
    """GET /2015-03-31/functions/{FunctionName}/aliases: by name, those pointing to
    `FunctionVersion` only when it is given, a page at a time (`Marker`/`MaxItems`)."""
    backend: Backend = request.app.state.backend
    query = request.query_params
    version = query.get("FunctionVersion")
    if version is not None and not re.fullmatch(VERSION_FILTER_PATTERN, version):
        constraint = f"Member must satisfy regular expression pattern: {VERSION_FILTER_PATTERN}"
        raise ValidationException(validation_message(version, "functionVersion", constraint))
    limit = max_items(query.get("MaxItems"), PAGE)
    shape = await backend.call(
        _list,
        backend.project,
        request.path_params["function"],
        version=version,
        marker=query.get("Marker"),
        limit=limit,
    )
    return aws_json(shape)


def _list(
    project: Project, function: str, *, version: str | None, marker: str | None, limit: int
) -> dict:
    found = aliases.list_aliases(project, project.ref(function).name)
    if version is not None:
        found = [a for a in found if a.version == version]
    if marker is not None:  # the last alias of the previous page: go on after it
        found = [a for a in found if a.name > marker]
    page = found[:limit]
    shape: dict = {"Aliases": [shapes.alias_configuration(project, a) for a in page]}
    if len(found) > limit:
        shape["NextMarker"] = page[-1].name
    return shape
