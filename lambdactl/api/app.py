"""The ASGI application: one route table for Lambda's rest-json operations, the JSON
protocols (SQS, CloudWatch Logs) dispatched on `X-Amz-Target`, and errors in AWS's shapes.

Anything not served is answered with a 4xx that names the operation it would have been (from
botocore's model of Lambda's API), never a 500 and never a hang.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import AwsError, LambdactlError
from . import (
    aliases,
    awsjson,
    functions,
    invoke,
    logs,
    management,
    mappings,
    routes,
    sqs,
    urls,
    versions,
)
from .backend import Backend
from .errors import UnknownOperation, client_gone, error_response, service_error

JSON_SERVICES: dict[str, tuple[awsjson.Protocol, awsjson.Handler]] = {
    "AmazonSQS": (awsjson.SQS, sqs.handle),
    "Logs_20140328": (awsjson.LOGS, logs.handle),
}
"""The services served on `POST /`, by the prefix of `X-Amz-Target` (`<prefix>.<Operation>`)."""


async def json_protocols(request: Request) -> Response:
    """POST /: SQS and CloudWatch Logs, told apart by `X-Amz-Target`."""
    target = request.headers.get("x-amz-target")
    if not target:
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise UnknownOperation(
                "POST / in AWS's query protocol (Action=...) is not served: lambdactl speaks "
                "SQS's and CloudWatch Logs' JSON protocols (X-Amz-Target), as current SDKs do"
            )
        raise UnknownOperation(
            "POST / without an X-Amz-Target header: no operation of Lambda, SQS or "
            "CloudWatch Logs is that"
        )
    prefix, _, operation = target.partition(".")
    served = JSON_SERVICES.get(prefix)
    if served is None:
        served_prefixes = ", ".join(f"{p}.*" for p in JSON_SERVICES)
        failure = awsjson.UnknownTarget(
            f"lambdactl serves no service whose X-Amz-Target is {target} "
            f"(it serves {served_prefixes})"
        )
        return awsjson.LOGS.error(failure)  # the plain JSON error shape
    protocol, handle = served
    return await awsjson.run(request, protocol, handle, operation)


FUNCTION = "/2015-03-31/functions/{function}"
EVENT_INVOKE_CONFIG = "/2019-09-25/functions/{function}/event-invoke-config"
URL_CONFIG = "/2021-10-31/functions/{function}/url"
MAPPINGS = "/2015-03-31/event-source-mappings"

ROUTES = [
    Route("/", json_protocols, methods=["POST"]),  # SQS and CloudWatch Logs
    Route(f"{FUNCTION}/invocations", invoke.invoke, methods=["POST"]),
    Route("/2014-11-13/functions/{function}/invoke-async", invoke.invoke_async, methods=["POST"]),
    Route(f"{FUNCTION}/configuration", functions.get_configuration, methods=["GET"]),
    Route("/2015-03-31/functions", functions.list_functions, methods=["GET"]),
    Route(f"{FUNCTION}/versions", versions.publish_version, methods=["POST"]),
    Route(f"{FUNCTION}/versions", versions.list_versions, methods=["GET"]),
    Route(f"{FUNCTION}/aliases", aliases.create_alias, methods=["POST"]),
    Route(f"{FUNCTION}/aliases", aliases.list_aliases, methods=["GET"]),
    Route(f"{FUNCTION}/aliases/{{name}}", aliases.get_alias, methods=["GET"]),
    Route(f"{FUNCTION}/aliases/{{name}}", aliases.update_alias, methods=["PUT"]),
    Route(f"{FUNCTION}/aliases/{{name}}", aliases.delete_alias, methods=["DELETE"]),
    # changing functions (management.py)
    Route("/2015-03-31/functions", management.create_function, methods=["POST"]),
    Route(FUNCTION, management.get_function, methods=["GET"]),
    Route(FUNCTION, management.delete_function, methods=["DELETE"]),
    Route(f"{FUNCTION}/code", management.update_code, methods=["PUT"]),
    Route(f"{FUNCTION}/configuration", management.update_configuration, methods=["PUT"]),
    Route(management.CODE_PATH, management.code, methods=["GET"]),
    Route(
        "/2017-10-31/functions/{function}/concurrency",
        management.put_concurrency,
        methods=["PUT"],
    ),
    Route(
        "/2017-10-31/functions/{function}/concurrency",
        management.delete_concurrency,
        methods=["DELETE"],
    ),
    Route(
        "/2019-09-30/functions/{function}/concurrency",
        management.get_concurrency,
        methods=["GET"],
    ),
    Route(EVENT_INVOKE_CONFIG, management.put_event_invoke_config, methods=["PUT"]),
    Route(EVENT_INVOKE_CONFIG, management.update_event_invoke_config, methods=["POST"]),
    Route(EVENT_INVOKE_CONFIG, management.get_event_invoke_config, methods=["GET"]),
    Route(EVENT_INVOKE_CONFIG, management.delete_event_invoke_config, methods=["DELETE"]),
    Route(f"{EVENT_INVOKE_CONFIG}/list", management.list_event_invoke_configs, methods=["GET"]),
    Route("/2016-08-19/account-settings", management.account_settings, methods=["GET"]),
    Route(URL_CONFIG, urls.create_url_config, methods=["POST"]),
    Route(URL_CONFIG, urls.get_url_config, methods=["GET"]),
    Route(URL_CONFIG, urls.update_url_config, methods=["PUT"]),
    Route(URL_CONFIG, urls.delete_url_config, methods=["DELETE"]),
    Route("/2021-10-31/functions/{function}/urls", urls.list_url_configs, methods=["GET"]),
    Route(MAPPINGS, mappings.create_mapping, methods=["POST"]),
    Route(MAPPINGS, mappings.list_mappings, methods=["GET"]),
    Route(f"{MAPPINGS}/{{uuid}}", mappings.get_mapping, methods=["GET"]),
    Route(f"{MAPPINGS}/{{uuid}}", mappings.update_mapping, methods=["PUT"]),
    Route(f"{MAPPINGS}/{{uuid}}", mappings.delete_mapping, methods=["DELETE"]),
    Route(f"{urls.PREFIX}{{target:path}}", urls.serve, methods=urls.METHODS),
    Route(f"{routes.PREFIX}{{target:path}}", routes.serve, methods=routes.METHODS),
]
# AWS's API reference writes some URIs with a trailing slash (`GET /2015-03-31/functions/`,
# `POST /2014-11-13/functions/{F}/invoke-async/`), and older SDKs send them so: every Lambda
# route answers both ways (a route of its own, not a redirect, which a POST would not follow).
# A function URL's path is the function's to read, slash included.
ROUTES += [
    Route(route.path + "/", route.endpoint, methods=route.methods)
    for route in list(ROUTES)
    if route.path.startswith("/20")
]


def build(backend: Backend) -> Starlette:
    """The application serving `backend`'s project."""
    app = Starlette(
        routes=ROUTES,
        exception_handlers={
            AwsError: _aws_error,
            LambdactlError: _service_error,
            HTTPException: _unrouted,
            ClientDisconnect: _client_gone,  # not a failure: never logged as one
            Exception: _service_error,
        },
    )
    app.router.redirect_slashes = False  # AWS does not redirect: both forms are routes (ROUTES)
    app.state.backend = backend
    return app


async def _aws_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AwsError)
    return error_response(exc)


async def _service_error(_request: Request, exc: Exception) -> Response:
    return service_error(exc)


async def _client_gone(_request: Request, _exc: Exception) -> Response:
    return client_gone()


async def _unrouted(request: Request, exc: Exception) -> Response:
    """No route (404) or not this method (405): say which operation that would be. A
    FunctionName holding an encoded `/` (`..%2F..%2Fetc`) is an operation served here given a
    name AWS's pattern refuses: AWS's ValidationException for that name."""
    raw_path = request.scope.get("raw_path") or b""
    matched = _operation_match(request.method, raw_path.decode("latin-1"))
    if matched is not None and matched[0] in _served() and "FunctionName" in matched[1]:
        backend: Backend = request.app.state.backend
        try:
            backend.project.ref(unquote(matched[1]["FunctionName"]))
        except AwsError as error:  # a handler's own exceptions reach no handler
            return error_response(error)
    operation = lambda_operation(request.method, request.url.path, request.query_params)
    if operation is not None:
        message = f"lambdactl does not implement the Lambda operation {operation}"
    else:
        message = (
            f"no operation of Lambda, SQS or CloudWatch Logs is {request.method} {request.url.path}"
        )
    return error_response(UnknownOperation(message))


def lambda_operation(method: str, path: str, query: Mapping[str, str] | None = None) -> str | None:
    """The Lambda API operation that `method path?query` is, by botocore's model of the API
    (where two share a path, the fixed query of one's URI tells them apart: `?find=
    LayerVersion` is GetLayerVersionByArn, not ListLayers)."""
    matched = _operation_match(method, path, query)
    return None if matched is None else matched[0]


def _operation_match(
    method: str, path: str, query: Mapping[str, str] | None = None
) -> tuple[str, dict[str, str]] | None:
    """(operation, its URI parameters as they appear in `path`), or None. A trailing slash
    is the same path (see `ROUTES`)."""
    if path != "/":
        path = path.removesuffix("/")
    given = query or {}
    for verb, pattern, fixed, name in _operations():
        found = pattern.fullmatch(path) if verb == method else None
        if found is not None and all(given.get(k) == v for k, v in fixed.items()):
            return name, found.groupdict()
    return None


@functools.cache
def _operations() -> list[tuple[str, re.Pattern[str], dict[str, str], str]]:
    """(method, path pattern, fixed query, operation) of every operation of Lambda's model,
    those with a fixed query first (they are the more specific)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    table = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri, _, query = http["requestUri"].partition("?")
        pattern = re.sub(r"\\\{(\w+)(?:\\\+)?\\\}", r"(?P<\1>[^/]+)", re.escape(uri))
        fixed = dict(parse_qsl(query))
        table.append((http["method"], re.compile(pattern), fixed, name))
    return sorted(table, key=lambda entry: not entry[2])


@functools.cache
def _served() -> frozenset[str]:
    """The Lambda operations the route table serves."""
    served = set()
    for route in ROUTES:
        example = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in route.methods or ():
            operation = lambda_operation(method, example)
            if operation is not None:
                served.add(operation)
    return frozenset(served)
