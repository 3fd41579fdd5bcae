"""Changing functions through Lambda's rest-json API: CreateFunction, UpdateFunctionCode,
UpdateFunctionConfiguration, DeleteFunction, GetFunction (with a URL its code's zip is served
at), the function's concurrency, its EventInvokeConfigs and GetAccountSettings.

Each handler parses the request, calls one service (`functions`, `events.configs`) in a
worker thread and answers with its shape from `shapes`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from .. import functions, shapes
from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    ResourceNotFoundException,
)
from ..events import configs
from ..functions import Configuration
from ..project import Project
from . import bodies
from .backend import Backend
from .functions import max_items
from .responses import aws_json, no_content

CODE_REQUEST_LIMIT = 70_167_211
"""AWS's limit on a CreateFunction or UpdateFunctionCode request (a 50 MB zip in base64)."""
REQUEST_LIMIT = 6_291_456
"""Other requests of this module: far more than any configuration needs."""
CODE_PATH = "/_lambdactl/code/{digest}.zip"
"""Where GetFunction's `Code.Location` points: the zip of a version's code."""
CONFIG_PAGE = 50
"""ListFunctionEventInvokeConfigs: at most this many per page."""


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _function(request: Request) -> str:
    return str(request.path_params["function"])


TYPES: dict[str, type | tuple[type, ...]] = {
    "FunctionName": str,
    "Runtime": str,
    "Handler": str,
    "Role": str,
    "Description": str,
    "RevisionId": str,
    "PackageType": str,
    "MemorySize": int,
    "Timeout": int,
    "ReservedConcurrentExecutions": int,
    "MaximumRetryAttempts": int,
    "MaximumEventAgeInSeconds": int,
    "Publish": bool,
    "DryRun": bool,
    "ZipFile": str,
    "Code": dict,
    "Environment": dict,
    "LoggingConfig": dict,
    "DestinationConfig": dict,
    "Architectures": list,
    "Layers": list,
    "Tags": dict,
    "KMSKeyArn": str,
    "EphemeralStorage": dict,
    "TracingConfig": dict,
    "SnapStart": dict,
    "DeadLetterConfig": dict,
    "VpcConfig": dict,
    "FileSystemConfigs": list,
    "ImageConfig": dict,
    "CapacityProviderConfig": dict,
    "DurableConfig": dict,
    "TenancyConfig": dict,
    "CodeSigningConfigArn": str,
    "PublishTo": str,
}
"""The members of this module's requests that are read, with their JSON types."""


async def _json(request: Request, operation: str, limit: int = REQUEST_LIMIT) -> dict[str, Any]:
    """The request's JSON object, each member read here of its model's type (null: absent)."""
    given = await bodies.json_object(request, operation, limit=limit)
    for member, expected in TYPES.items():
        value = given.get(member)
        wrong = isinstance(value, bool) and expected is int
        if value is not None and (wrong or not isinstance(value, expected)):
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {member} is not of its type"
            )
    return {key: value for key, value in given.items() if value is not None}


def _code(given: dict[str, Any]) -> dict[str, Any]:
    """AWS's `Code` (or UpdateFunctionCode's top-level members) with `ZipFile` decoded."""
    code = dict(given)
    if isinstance(code.get("ZipFile"), str):
        try:
            code["ZipFile"] = base64.b64decode(code["ZipFile"], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestContentException(
                "Could not parse request body into json: ZipFile is not base64"
            ) from None
    return code


# -- the function -------------------------------------------------------------------------------


async def create_function(request: Request) -> Response:
    """POST /2015-03-31/functions -> 201"""
    backend = _backend(request)
    given = await _json(request, "CreateFunction", CODE_REQUEST_LIMIT)
    name = given.get("FunctionName")
    if not isinstance(name, str):
        raise InvalidParameterValueException("FunctionName is required")

    def create(project: Project) -> dict[str, Any]:
        version = functions.create(
            project,
            name,
            Configuration.from_request(given),
            code=_code(given.get("Code") or {}),
            publish=bool(given.get("Publish")),
            architectures=given.get("Architectures"),
            package_type=given.get("PackageType"),
            tags=given.get("Tags"),
        )
        return shapes.function_configuration(project, version, status="created", unqualified=True)

    return aws_json(await backend.call(create, backend.project), status=201)


async def update_code(request: Request) -> Response:
    """PUT /2015-03-31/functions/{FunctionName}/code"""
    backend = _backend(request)
    given = await _json(request, "UpdateFunctionCode", CODE_REQUEST_LIMIT)

    def update(project: Project) -> dict[str, Any]:
        version = functions.update_code(
            project,
            _function(request),
            code=_code(given),
            publish=bool(given.get("Publish")),
            revision_id=given.get("RevisionId"),
            architectures=given.get("Architectures"),
            dry_run=bool(given.get("DryRun")),
        )
        backend.invoker.recycle(version.function)  # the old code's environments go now
        return shapes.function_configuration(project, version, status="updated")

    return aws_json(await backend.call(update, backend.project))


async def update_configuration(request: Request) -> Response:
    """PUT /2015-03-31/functions/{FunctionName}/configuration"""
    backend = _backend(request)
    given = await _json(request, "UpdateFunctionConfiguration")

    def update(project: Project) -> dict[str, Any]:
        version = functions.update_configuration(
            project,
            _function(request),
            Configuration.from_request(given),
            revision_id=given.get("RevisionId"),
        )
        backend.invoker.recycle(version.function)  # the old configuration's go now
        return shapes.function_configuration(project, version, status="updated")

    return aws_json(await backend.call(update, backend.project))


async def delete_function(request: Request) -> Response:
    """DELETE /2015-03-31/functions/{FunctionName}[?Qualifier=N] -> 204"""
    backend = _backend(request)
    qualifier = request.query_params.get("Qualifier")

    def delete(project: Project) -> None:
        functions.delete(project, _function(request), qualifier)
        # Its environments (or the deleted version's) go now, not at the idle timeout.
        backend.invoker.recycle(project.ref(_function(request)).name)

    await backend.call(delete, backend.project)
    return no_content()


async def get_function(request: Request) -> Response:
    """GET /2015-03-31/functions/{FunctionName}[?Qualifier=]"""
    backend = _backend(request)
    qualifier = request.query_params.get("Qualifier")

    def get(project: Project) -> dict[str, Any]:
        from ..aliases import version_of

        ref = project.ref(_function(request), qualifier)
        version = version_of(project, ref.name, ref.qualifier)
        digest = functions.code_zip(project, version).stem
        return shapes.get_function(
            project,
            version,
            qualifier=ref.qualifier,
            location=backend.endpoint + CODE_PATH.format(digest=digest),
            reserved=project.function(ref.name).reserved_concurrency,
            tags=functions.tags(project, ref.name),
        )

    return aws_json(await backend.call(get, backend.project))


async def code(request: Request) -> Response:
    """GET /_lambdactl/code/{digest}.zip: the zip GetFunction's `Code.Location` names."""
    digest = str(request.path_params["digest"])
    path = _backend(request).project.blobs.zip_path(digest)
    if not re.fullmatch("[0-9a-f]{64}", digest) or not path.is_file():
        raise ResourceNotFoundException(f"No code zip {digest}")
    return FileResponse(path, media_type="application/zip")


# -- concurrency --------------------------------------------------------------------------------


async def put_concurrency(request: Request) -> Response:
    """PUT /2017-10-31/functions/{FunctionName}/concurrency"""
    backend = _backend(request)
    given = await _json(request, "PutFunctionConcurrency")
    reserved = await backend.call(
        functions.put_concurrency,
        backend.project,
        _function(request),
        given.get("ReservedConcurrentExecutions"),
    )
    return aws_json(shapes.concurrency(reserved))


async def get_concurrency(request: Request) -> Response:
    """GET /2019-09-30/functions/{FunctionName}/concurrency"""
    backend = _backend(request)
    reserved = await backend.call(functions.get_concurrency, backend.project, _function(request))
    return aws_json(shapes.concurrency(reserved))


async def delete_concurrency(request: Request) -> Response:
    """DELETE /2017-10-31/functions/{FunctionName}/concurrency -> 204"""
    backend = _backend(request)
    await backend.call(functions.delete_concurrency, backend.project, _function(request))
    return no_content()


# -- EventInvokeConfig --------------------------------------------------------------------------


async def put_event_invoke_config(request: Request) -> Response:
    """PUT /2019-09-25/functions/{FunctionName}/event-invoke-config[?Qualifier=]"""
    return await _set_event_invoke_config(request, configs.put, "PutFunctionEventInvokeConfig")


async def update_event_invoke_config(request: Request) -> Response:
    """POST /2019-09-25/functions/{FunctionName}/event-invoke-config[?Qualifier=]"""
    return await _set_event_invoke_config(
        request, configs.update, "UpdateFunctionEventInvokeConfig"
    )


async def _set_event_invoke_config(
    request: Request, operation: Callable[..., Any], name: str
) -> Response:
    backend = _backend(request)
    given = await _json(request, name)

    def set_config(project: Project) -> dict[str, Any]:
        found = operation(
            project,
            _function(request),
            request.query_params.get("Qualifier"),
            maximum_retry_attempts=given.get("MaximumRetryAttempts"),
            maximum_event_age=given.get("MaximumEventAgeInSeconds"),
            destination_config=given.get("DestinationConfig"),
        )
        return shapes.event_invoke_config(project, project.ref(_function(request)).name, *found)

    return aws_json(await backend.call(set_config, backend.project))


async def get_event_invoke_config(request: Request) -> Response:
    """GET /2019-09-25/functions/{FunctionName}/event-invoke-config[?Qualifier=]"""
    backend = _backend(request)

    def get(project: Project) -> dict[str, Any]:
        found = configs.get(project, _function(request), request.query_params.get("Qualifier"))
        return shapes.event_invoke_config(project, project.ref(_function(request)).name, *found)

    return aws_json(await backend.call(get, backend.project))


async def delete_event_invoke_config(request: Request) -> Response:
    """DELETE /2019-09-25/functions/{FunctionName}/event-invoke-config[?Qualifier=] -> 204"""
    backend = _backend(request)
    qualifier = request.query_params.get("Qualifier")
    await backend.call(configs.delete, backend.project, _function(request), qualifier)
    return no_content()


async def list_event_invoke_configs(request: Request) -> Response:
    """GET /2019-09-25/functions/{FunctionName}/event-invoke-config/list (Marker/MaxItems)"""
    backend = _backend(request)
    limit = max_items(request.query_params.get("MaxItems"), CONFIG_PAGE)
    marker = request.query_params.get("Marker")

    def listed(project: Project) -> dict[str, Any]:
        found = configs.list_configs(project, _function(request))
        keys = [key for key, _ in found]
        start = 0
        if marker is not None:
            if marker not in keys:
                raise InvalidParameterValueException(f"Invalid marker: {marker}")
            start = keys.index(marker) + 1
        page = found[start : start + limit]
        name = project.ref(_function(request)).name
        shape: dict[str, Any] = {
            "FunctionEventInvokeConfigs": [
                shapes.event_invoke_config(project, name, *item) for item in page
            ]
        }
        if start + limit < len(found):
            shape["NextMarker"] = page[-1][0]
        return shape

    return aws_json(await backend.call(listed, backend.project))


# -- the account --------------------------------------------------------------------------------


async def account_settings(request: Request) -> Response:
    """GET /2016-08-19/account-settings"""
    backend = _backend(request)

    def settings(project: Project) -> dict[str, Any]:
        count, size = functions.usage(project)
        return shapes.account_settings(project, function_count=count, code_size=size)

    return aws_json(await backend.call(settings, backend.project))
