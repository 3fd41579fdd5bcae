"""Function URLs on the server: every request under `/url/NAME[:ALIAS]/` (any method, any
sub-path, query, cookies, binary bodies) invokes the function whose URL it names and answers
as AWS's function URLs do (see `lambdactl.urls` for the rules); and Lambda's operations on
URL configurations (Create, Get, Update, Delete and ListFunctionUrlConfig(s), through
`lambdactl.url_configs`). A URL created, changed or deleted answers so at once: each request
reads the project's URLs afresh when the store says something changed.

`RESPONSE_STREAM` URLs are served buffered: the whole response is sent once the function
returns (the same bytes, without the early first byte). A response the function streamed
(Node's `awslambda.streamifyResponse`) is read as AWS's streaming URLs read it (its prelude:
status, headers, cookies); a buffered one as a `BUFFERED` URL reads it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import ids, shapes, url_configs, urls
from ..errors import (
    AwsError,
    InvalidParameterValueException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from ..payloads import MAX_SYNC_PAYLOAD_BYTES
from .backend import Backend
from .bodies import json_object
from .bodies import read as read_body
from .functions import max_items
from .responses import aws_json, no_content

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
    routed = urls.route(raw_path(request))
    target = None
    if routed is not None:
        target = function_urls(request).get((routed[0], routed[1]))
    if routed is None or target is None:
        return send(urls.not_found(), request)
    http = http_request(request, routed[2])
    cors = target.config.cors
    if cors is not None and urls.is_preflight(cors, http):
        return send(urls.preflight(cors, http), request)
    answer = urls.authorize(target.config, http)
    if answer is None:
        answer = await _invoke(backend, request, http, target)
    return send(urls.with_cors(answer, cors, http), request)


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
    failed = result.function_error is not None
    if target.config.invoke_mode == "RESPONSE_STREAM" and result.stream_type is not None:
        return urls.respond_streamed(
            result.payload, result.stream_type, function_error=failed, request_id=request_id
        )
    return urls.respond(result.payload, function_error=failed, request_id=request_id)


def function_urls(request: Request) -> dict[tuple[str, str | None], urls.FunctionUrl]:
    """The project's URLs now: computed again only when `Project.functions` changed (a URL or
    a function made, changed or deleted through the API, here or by another process)."""
    state = request.app.state
    backend: Backend = state.backend
    functions = backend.project.functions  # the same mapping while nothing changed
    known = getattr(state, "function_urls", None)
    if known is None or known[0] is not functions:
        known = (functions, urls.configured(backend.project.manifest, functions))
        state.function_urls = known
    found: dict[tuple[str, str | None], urls.FunctionUrl] = known[1]
    return found


def raw_path(request: Request) -> str:
    """The path as sent (percent-encoding kept): `rawPath` is the client's, not a decoding."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def http_request(request: Request, raw_path: str) -> urls.HttpRequest:
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


def send(answer: urls.HttpResponse, request: Request) -> Response:
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


async def create_url_config(request: Request) -> Response:
    """POST /2021-10-31/functions/{FunctionName}/url[?Qualifier=alias] -> 201"""
    backend: Backend = request.app.state.backend
    given = await _settings(request, "CreateFunctionUrlConfig")
    found = await backend.call(
        url_configs.create,
        backend.project,
        request.path_params["function"],
        request.query_params.get("Qualifier"),
        auth=given.get("AuthType"),
        cors=given.get("Cors"),
        invoke_mode=given.get("InvokeMode"),
    )
    shape = shapes.function_url_config(found, backend.endpoint, last_modified=False)
    return aws_json(shape, status=201)


async def update_url_config(request: Request) -> Response:
    """PUT /2021-10-31/functions/{FunctionName}/url[?Qualifier=alias]"""
    backend: Backend = request.app.state.backend
    given = await _settings(request, "UpdateFunctionUrlConfig")
    found = await backend.call(
        url_configs.update,
        backend.project,
        request.path_params["function"],
        request.query_params.get("Qualifier"),
        auth=given.get("AuthType"),
        cors=given.get("Cors"),
        invoke_mode=given.get("InvokeMode"),
    )
    return aws_json(shapes.function_url_config(found, backend.endpoint))


async def delete_url_config(request: Request) -> Response:
    """DELETE /2021-10-31/functions/{FunctionName}/url[?Qualifier=alias] -> 204"""
    backend: Backend = request.app.state.backend
    await backend.call(
        url_configs.delete,
        backend.project,
        request.path_params["function"],
        request.query_params.get("Qualifier"),
    )
    return no_content()


async def get_url_config(request: Request) -> Response:
    """GET /2021-10-31/functions/{FunctionName}/url[?Qualifier=alias]"""
    backend: Backend = request.app.state.backend
    found = await backend.call(
        url_configs.get,
        backend.project,
        request.path_params["function"],
        request.query_params.get("Qualifier"),
    )
    return aws_json(shapes.function_url_config(found, backend.endpoint))


async def list_url_configs(request: Request) -> Response:
    """GET /2021-10-31/functions/{FunctionName}/urls: the function's URLs (unqualified first,
    then by alias), a page at a time (`Marker`/`MaxItems` -> `NextMarker`)."""
    backend: Backend = request.app.state.backend
    limit = max_items(request.query_params.get("MaxItems"), PAGE)
    found = await backend.call(
        url_configs.list_urls, backend.project, request.path_params["function"]
    )
    start = _start(request.query_params.get("Marker"), len(found))
    page = found[start : start + limit]
    shape: dict[str, Any] = {
        "FunctionUrlConfigs": [shapes.function_url_config(u, backend.endpoint) for u in page]
    }
    if start + limit < len(found):
        shape["NextMarker"] = str(start + limit)
    return aws_json(shape)


async def _settings(request: Request, operation: str) -> dict[str, Any]:
    """The request's members (a null one: not given)."""
    given = await json_object(request, operation)
    return {key: value for key, value in given.items() if value is not None}


def _start(marker: str | None, total: int) -> int:
    if marker is None:
        return 0
    if not marker.isdigit() or int(marker) > total:
        raise InvalidParameterValueException(f"Invalid marker: {marker}")
    return int(marker)
