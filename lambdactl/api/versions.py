"""PublishVersion and ListVersionsByFunction: the `versions` service over rest-json, with the
shapes `lambdactl publish` and `lambdactl versions -o json` print."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from .. import shapes, versions
from ..endpoint import SUMMARY_HEADER
from ..errors import InvalidParameterValueException
from ..project import Project
from . import bodies
from .backend import Backend
from .functions import PAGE, max_items
from .responses import aws_json


async def publish_version(request: Request) -> Response:
    """POST /2015-03-31/functions/{FunctionName}/versions -> 201, the version's
    configuration (an unchanged `$LATEST` gives the newest version back, still 201). Asked
    by lambdactl's CLI (`SUMMARY_HEADER`), it also says whether a version was created."""
    backend: Backend = request.app.state.backend
    body = await bodies.json_object(request, "PublishVersion")
    shape, created = await backend.call(
        _publish,
        backend.project,
        request.path_params["function"],
        description=bodies.string(body, "Description"),
        code_sha256=bodies.string(body, "CodeSha256"),
        revision_id=bodies.string(body, "RevisionId"),
    )
    response = aws_json(shape, status=201)
    if SUMMARY_HEADER in request.headers:
        response.headers[SUMMARY_HEADER] = json.dumps({"Created": created})
    return response


def _publish(
    project: Project,
    function: str,
    *,
    description: str | None,
    code_sha256: str | None,
    revision_id: str | None,
) -> tuple[dict, bool]:
    name = project.ref(function).name
    version, created = versions.publish(
        project, name, description=description, code_sha256=code_sha256, revision_id=revision_id
    )
    return shapes.function_configuration(project, version), created


async def list_versions(request: Request) -> Response:
    """GET /2015-03-31/functions/{FunctionName}/versions: `$LATEST` first, then the published
    versions in order, a page at a time (`Marker`/`MaxItems` -> `NextMarker`)."""
    backend: Backend = request.app.state.backend
    query = request.query_params
    limit = max_items(query.get("MaxItems"), PAGE)
    shape = await backend.call(
        _list,
        backend.project,
        request.path_params["function"],
        marker=query.get("Marker"),
        limit=limit,
    )
    return aws_json(shape)


def _list(project: Project, function: str, *, marker: str | None, limit: int) -> dict:
    name = project.ref(function).name
    every = versions.list_versions(project, name)
    start = 0
    if marker is not None:
        # The last version of the previous page: go on after it, even if it was deleted since.
        after = _order(marker)
        start = next((i for i, v in enumerate(every) if _order(v.version) > after), len(every))
    page = every[start : start + limit]
    shape: dict = {
        "Versions": [shapes.function_configuration(project, v, qualifier=v.version) for v in page]
    }
    if start + limit < len(every):
        shape["NextMarker"] = page[-1].version
    return shape


def _order(version: str) -> int:
    """Where a version (a marker) sits in the list: `$LATEST` first, then by number."""
    if version == versions.LATEST:
        return 0
    if versions.is_number(version):
        return int(version)
    raise InvalidParameterValueException(f"Invalid marker: {version}")
