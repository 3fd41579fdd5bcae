"""API Gateway routes on the server: every request under `/api/` takes the route that
matches it (see `lambdactl.routes` for the rules), invokes the route's function through the
invoker with the event of the route's payload format, and answers as its kind of API
(REST or HTTP) does. The
routes are read afresh when the project's functions change (a reloaded manifest)."""

from __future__ import annotations

import dataclasses
import json

from starlette.requests import Request
from starlette.responses import Response

from .. import routes
from ..errors import AwsError
from ..invoke import InvocationResult, triggered_by
from ..payloads import MAX_SYNC_PAYLOAD_BYTES
from ..sources.specs import HttpSource
from .backend import Backend
from .bodies import read as read_body
from .urls import http_request, raw_path, send

PREFIX = routes.PREFIX
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
"""The methods a route may take (`ANY` is each of them)."""


async def serve(request: Request) -> Response:
    """Any method on `/api` or below: the answer of the route the request takes."""
    backend: Backend = request.app.state.backend
    below = routes.below_prefix(raw_path(request))
    table = project_routes(request)
    found = routes.match(table, request.method, below) if below is not None else None
    if below is None or found is None:
        return send(routes.not_found(table, below or "/"), request)
    http = http_request(request, below)
    answer = await _invoke(backend, request, http, found)
    return send(answer, request)


async def _invoke(
    backend: Backend, request: Request, http: routes.HttpRequest, found: routes.Match
) -> routes.HttpResponse:
    manifest = backend.project.manifest
    route = found.route
    request_id = routes.request_id(route)
    try:
        body = await read_body(request, MAX_SYNC_PAYLOAD_BYTES, "InvokeFunction")
        http = dataclasses.replace(http, body=body)
        event = routes.event(
            http, found, region=manifest.region, account=manifest.account, request_id=request_id
        )
        result = await backend.call(_call, backend, route, json.dumps(event).encode())
    except AwsError:  # throttled, too large, the function gone: the integration failed
        return routes.failed(route)
    return routes.respond(
        route,
        result.payload,
        function_error=result.function_error is not None,
        request_id=request_id,
    )


def _call(backend: Backend, route: HttpSource, payload: bytes) -> InvocationResult:
    """The invoke, labelled with its route (the dev view's TRIGGER column)."""
    with triggered_by(f"http {route.method} {route.path}"):
        return backend.invoker.invoke(route.function, payload=payload)


def project_routes(request: Request) -> tuple[HttpSource, ...]:
    """The project's routes now: read again only when `Project.functions` changed."""
    state = request.app.state
    backend: Backend = state.backend
    functions = backend.project.functions
    known = getattr(state, "routes", None)
    if known is None or known[0] is not functions:
        known = (functions, routes.table(functions))
        state.routes = known
    found: tuple[HttpSource, ...] = known[1]
    return found
