"""Versions over the API: PublishVersion (`POST /2015-03-31/functions/{FunctionName}/versions`,
201 and the new version's FunctionConfiguration), with its CodeSha256 and RevisionId
preconditions checked against `$LATEST`."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import shapes, versions
from ..endpoint import SUMMARY_HEADER
from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    PreconditionFailedException,
)
from ..project import Project
from .backend import Backend
from .invoke import body
from .responses import aws_json

MAX_REQUEST_BYTES = 64 * 1024
"""PublishVersion's request is three short strings: anything much larger is refused."""


async def publish_version(request: Request) -> Response:
    """POST /2015-03-31/functions/{FunctionName}/versions"""
    backend: Backend = request.app.state.backend
    fields = _fields(await body(request, MAX_REQUEST_BYTES, "PublishVersion"))
    shape, created = await backend.call(
        _publish, backend.project, request.path_params["function"], fields
    )
    response = aws_json(shape, status=201)
    if SUMMARY_HEADER in request.headers:
        response.headers[SUMMARY_HEADER] = json.dumps({"Created": created})
    return response


def _fields(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        fields = json.loads(raw)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise InvalidRequestContentException("Could not parse request body into json")
    return fields


def _publish(project: Project, function: str, fields: dict[str, Any]) -> tuple[dict, bool]:
    name = project.ref(function).name
    code_sha256, revision_id = fields.get("CodeSha256"), fields.get("RevisionId")
    if code_sha256 is not None or revision_id is not None:
        latest = versions.latest(project, name)
        if code_sha256 is not None and code_sha256 != latest.code_sha256:
            raise InvalidParameterValueException(
                f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
            )
        if revision_id is not None and revision_id != latest.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )
    description = fields.get("Description")
    version, created = versions.publish(
        project, name, description=description if isinstance(description, str) else None
    )
    return shapes.function_configuration(project, version), created
