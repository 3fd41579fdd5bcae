"""Function URLs on the server: every request under `/url/NAME[:ALIAS]/` (any method, any
sub-path, query, cookies, binary bodies) invokes the function whose URL it names and answers
as AWS's function URLs do (see `lambdactl.urls` for the rules); and Lambda's operations that
read URL configurations (GetFunctionUrlConfig, ListFunctionUrlConfigs).

`RESPONSE_STREAM` URLs are served buffered: the whole response is sent once the function
returns (the same bytes, without the early first byte).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import ids, shapes, urls
from ..errors import (
    AwsError,
    InvalidParameterValueException,
    ResourceNotFoundException,
    TooManyRequestsException,
    ValidationException,
    validation_message,
)
from ..manifest import URL_QUALIFIER_PATTERN
from ..payloads import MAX_SYNC_PAYLOAD_BYTES
from ..project import Project
from .backend import Backend
from .bodies import read as read_body
from .functions import max_items
from .responses import aws_json

PREFIX = urls.PATH_PREFIX
"""Where function URLs live on the server."""
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
"""The methods a function URL takes (AWS's `requestContext.http.method` values)."""
PAGE = 50
"""ListFunctionUrlConfigs returns at most this many per page."""
_NOT_FORWARDED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
"""Headers of a function's response that describe the connection, not the content: the
server writes its own."""


async def serve(request: Request) -> Response:
    """Any method on `/url/...`: the function URL's answer."""
    backend: Backend = request.app.state.backend
    routed = urls.route(_raw_path(request))
    target = None
    if routed is not None:
        target = function_urls(request).get((routed[0], routed[1]))
    if routed is None or target is None:
        return _send(urls.not_found(), request)
    http = _http_request(request, routed[2])
    cors = target.config.cors
    if cors is not None and urls.is_preflight(cors, http):
        return _send(urls.preflight(cors, http), request)
    answer = urls.authorize(target.config, http)
    if answer is None:
        answer = await _invoke(backend, request, http, target)
    return _send(urls.with_cors(answer, cors, http), request)


async def _invoke(
    backend: Backend, request: Request, http: urls.HttpRequest, target: urls.FunctionUrl
) -> urls.HttpResponse:
    manifest = backend.project.manifest
    request_id = ids.uuid4()
    try:
        body = await read_body(request, MAX_SYNC_PAYLOAD_BYTES, "InvokeFunction")
        http = dataclasses.replace(http, body=body)
        event = urls.event(
            http, target, region=manifest.region, account=manifest.account, request_id=request_id
        )
        result = await backend.call(
            backend.invoker.invoke,
            target.function,
            qualifier=target.qualifier,
            payload=json.dumps(event).encode(),
            request_id=request_id,
        )
    except TooManyRequestsException:
        return urls.throttled()
    except ResourceNotFoundException:  # the URL's alias is gone: AWS refuses, as for no right
        return urls.error_response(403, "AccessDeniedException", urls.FORBIDDEN)
    except AwsError as exc:  # a request too large (413), or another refusal before running
        return urls.error_response(exc.http_status, exc.aws_type, exc.message)
    return urls.respond(
        result.payload, function_error=result.function_error is not None, request_id=request_id
    )


def function_urls(request: Request) -> dict[tuple[str, str | None], urls.FunctionUrl]:
    """The project's URLs, read once per server (its manifest does not change under it)."""
    state = request.app.state
    if not hasattr(state, "function_urls"):
        backend: Backend = state.backend
        state.function_urls = urls.declared(backend.project.manifest)
    found: dict[tuple[str, str | None], urls.FunctionUrl] = state.function_urls
    return found


def _raw_path(request: Request) -> str:
    """The path as sent (percent-encoding kept): `rawPath` is the client's, not a decoding."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def _http_request(request: Request, raw_path: str) -> urls.HttpRequest:
    client = request.client
    server = request.scope.get("server")
    return urls.HttpRequest(
        method=request.method,
        raw_path=raw_path,
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=tuple((_text(k), _text(v)) for k, v in request.headers.raw),
        source_ip=client.host if client else "127.0.0.1",
        protocol=f"HTTP/{request.scope.get('http_version', '1.1')}",
        port=server[1] if server else None,
    )


def _text(raw: bytes) -> str:
    """A header as text: UTF-8 when it is (browsers send it), else its bytes as Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _send(answer: urls.HttpResponse, request: Request) -> Response:
    """`answer` as Starlette's response, headers in order (`set-cookie` may repeat)."""
    body = b"" if request.method == "HEAD" else answer.body
    response = Response(body, status_code=answer.status)
    if request.method == "HEAD":  # the length of what a GET would have sent
        response.headers["content-length"] = str(len(answer.body))
    response.raw_headers.extend(
        (name.lower().encode("latin-1"), value.encode("utf-8"))
        for name, value in answer.headers
        if name.lower() not in _NOT_FORWARDED
    )
    return response


# --------------------------------------------------------------------------------------------
# Lambda's API: URL configurations


async def get_url_config(request: Request) -> Response:
    """GET /2021-10-31/functions/{FunctionName}/url[?Qualifier=alias]"""
    backend: Backend = request.app.state.backend
    name, qualifier = _function_and_qualifier(
        backend.project, request.path_params["function"], request.query_params.get("Qualifier")
    )
    found = function_urls(request).get((name, qualifier))
    if found is None:
        raise ResourceNotFoundException("The resource you requested does not exist.")
    shape = shapes.function_url_config(found, backend.endpoint)
    return aws_json(shape)


async def list_url_configs(request: Request) -> Response:
    """GET /2021-10-31/functions/{FunctionName}/urls: the function's URLs (unqualified first,
    then by alias), a page at a time (`Marker`/`MaxItems` -> `NextMarker`)."""
    backend: Backend = request.app.state.backend
    name, _ = _function_and_qualifier(backend.project, request.path_params["function"], None)
    limit = max_items(request.query_params.get("MaxItems"), PAGE)
    found = sorted(
        (u for (function, _q), u in function_urls(request).items() if function == name),
        key=lambda u: (u.qualifier is not None, u.qualifier or ""),
    )
    start = _start(request.query_params.get("Marker"), len(found))
    page = found[start : start + limit]
    shape: dict[str, Any] = {
        "FunctionUrlConfigs": [shapes.function_url_config(u, backend.endpoint) for u in page]
    }
    if start + limit < len(found):
        shape["NextMarker"] = str(start + limit)
    return aws_json(shape)


def _function_and_qualifier(
    project: Project, text: str, qualifier: str | None
) -> tuple[str, str | None]:
    """A declared function and the alias asked for (None: the unqualified URL)."""
    ref = project.ref(text, qualifier)
    if ref.qualifier is not None and not re.search(URL_QUALIFIER_PATTERN, ref.qualifier):
        constraint = f"Member must satisfy regular expression pattern: {URL_QUALIFIER_PATTERN}"
        raise ValidationException(validation_message(ref.qualifier, "qualifier", constraint))
    project.function(ref.name)  # AWS's "Function not found" first
    return ref.name, ref.qualifier


def _start(marker: str | None, total: int) -> int:
    if marker is None:
        return 0
    if not marker.isdigit() or int(marker) > total:
        raise InvalidParameterValueException(f"Invalid marker: {marker}")
    return int(marker)
