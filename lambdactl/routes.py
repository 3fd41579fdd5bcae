"""API Gateway routes (`http` events), as API Gateway serves them and `sam local start-api`
emulates them: which route a request takes, the event its function receives (payload format
1.0 or 2.0), and the function's answer as the HTTP response.

Pure: no HTTP stack and no invocation here. `api/routes.py` serves it under `PREFIX` (one
request: `match`, `event`, invoke, `respond`, or `not_found` / `failed`). The pieces shared
with function URLs (payload 2.0) are `lambdactl.urls`'s.

The rules, and where they come from (AWS's API Gateway developer guide: "Lambda proxy
integrations" for REST APIs, "Create AWS Lambda proxy integrations for HTTP APIs" for the
payload formats, "Routes for HTTP APIs" for matching):
- Two things are separate: the kind of API the route belongs to (`HttpSource.api_kind`:
  REST, or HTTP) decides its default stage, its request id (a UUID in `x-amzn-RequestId`,
  or the short form in `apigw-requestid`), its own errors and its not-found answer, and which
  implicit API (apiId) the route is in; the payload format decides the event and how the
  answer is read. A REST API takes 1.0 only; an HTTP API takes 2.0 or 1.0.
- Matching: the most specific route wins, segment by segment from the left: a literal beats
  a `{variable}`, which beats a greedy `{proxy+}` (one segment or more, never none); at the
  same path a route's own method beats `ANY`.
- Payload 2.0 (HTTP APIs): as a function URL's event, with the route's `routeKey`,
  `pathParameters`, the API's id and stage (`rawPath` carries a named stage, not `$default`).
  A body that is not text arrives base64. The answer: a response description, or any other
  JSON as a 200 JSON body (`urls.interpret`); a function error or an invalid answer is 500
  `{"message":"Internal Server Error"}`; no route is 404 `{"message":"Not Found"}`.
- Payload 1.0 of a REST API (SAM's `Api`): header names as the server received them (an ASGI
  server lower-cases them; AWS keeps the client's spelling), `headers` and
  `queryStringParameters` holding a repeated name's last value, the `multiValue` forms all of
  them; maps with nothing in them are null. A body arrives base64 only when its Content-Type
  is one of the API's binary media types. The answer must be an object of `statusCode`,
  `headers`, `multiValueHeaders`, `body` (a string) and `isBase64Encoded` only; anything
  else, or a function error, is 502 `{"message": "Internal server error"}`; no route (or no
  route for the method) is 403 `{"message":"Missing Authentication Token"}`.
- Payload 1.0 of an HTTP API (SAM's `HttpApi` with `PayloadFormatVersion: "1.0"`): the
  event is the REST one with `"version": "1.0"` first and an HTTP API's request context
  (the docs' example: `authorizer` with null `claims` and `scopes`, `resourceId` null, the
  stage `$default` unless named, `requestId` and `extendedRequestId` the short id); `path`
  and `requestContext.path` carry a named stage (as 2.0's `rawPath` does); header names
  lower-case (HTTP APIs lower-case them); a body arrives base64 when it is not text (HTTP
  APIs have no binary media types). The answer must have a `statusCode` (1.0 infers nothing:
  the docs give 1.0 a required shape and 2.0 the inference); other keys are ignored
  (`sam local`'s finding on AWS), a function error or a malformed answer is the HTTP API's
  500, and no route its 404.
- A function throttled (or refusing the invoke) is an integration failure for API Gateway:
  500 with the API's internal-error message (AWS re:Post, "API Gateway internal server
  error": a throttled backend answers 500; 429 "Too Many Requests" is API Gateway's own rate
  limit, which nothing local has).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from . import ids, urls
from .sources.specs import HttpSource, routes
from .urls import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from .manifest import FunctionSpec

PREFIX = "/api"
"""Every route answers under this path on the server: `/users/{id}` at `/api/users/7`."""

REST_STAGE = "Prod"
"""A REST API route's stage when it names none (SAM's implicit REST API's)."""
HTTP_STAGE = "$default"
"""An HTTP API route's stage when it names none (SAM's implicit HTTP API's)."""

V1_ERROR = "Internal server error"
V2_ERROR = "Internal Server Error"
V1_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)
"""What payload 1.0 takes from a function's answer: any other key makes it malformed for a
REST API (an HTTP API leaves it out)."""
_IDENTITY = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "sourceIp",
    "user",
    "userAgent",
    "userArn",
)
"""`requestContext.identity` of payload 1.0: all null but the caller's address and agent
(no IAM, Cognito or API key locally)."""


@dataclass(frozen=True)
class Match:
    """The route a request takes, and what its path says."""

    route: HttpSource
    path: str
    """The request's path below `PREFIX`, decoded (`/users/7`)."""
    parameters: tuple[tuple[str, str], ...] = ()
    """The path's variables, decoded, in the route's order (`{proxy+}`: the rest of the
    path, slashes included)."""

    @property
    def path_parameters(self) -> dict[str, str] | None:
        return dict(self.parameters) or None


def table(functions: Mapping[str, FunctionSpec]) -> tuple[HttpSource, ...]:
    """Every enabled route of the project, in the manifest's order."""
    return tuple(r for spec in functions.values() for r in routes(spec.events) if r.enabled)


def stage_of(route: HttpSource) -> str:
    """The route's stage: its own, else the default of its kind of API."""
    return route.stage or (REST_STAGE if route.rest else HTTP_STAGE)


def route_key(route: HttpSource) -> str:
    """`GET /users/{id}`: the route as HTTP APIs name it (`routeKey`)."""
    return f"{route.method} {route.path}"


def api_id(route: HttpSource, *, account: str, region: str) -> str:
    """A stable 10-character id, like API Gateway's, for the route's API (its `api`, or
    the project's implicit API of its kind: one REST API, one HTTP API, whatever the
    payload formats of their routes)."""
    name = route.api or ids.IMPLICIT_API_NAMES["REST" if route.rest else "HTTP"]
    return ids.api_id(account, region, name)


def domain(identifier: str, region: str) -> str:
    """The API's default domain on AWS (`requestContext.domainName`)."""
    return f"{identifier}.execute-api.{region}.amazonaws.com"


def address(route: HttpSource, endpoint: str) -> str:
    """Where the route answers on the server at `endpoint` (its path as written)."""
    return endpoint.rstrip("/") + PREFIX + (route.path if route.path != "/" else "/")


def below_prefix(raw_path: str) -> str | None:
    """`/api/users/7` -> `/users/7` (raw), `/api` -> `/`; None for a path outside it."""
    if raw_path == PREFIX:
        return "/"
    if raw_path.startswith(PREFIX + "/"):
        return raw_path[len(PREFIX) :]
    return None


# --------------------------------------------------------------------------------------------
# Matching


def match(found: Iterable[HttpSource], method: str, raw_path: str) -> Match | None:
    """The route `method raw_path` takes (`raw_path` below the prefix, percent-encoding
    kept), by API Gateway's priorities; None when no route takes it."""
    segments = _segments(raw_path)
    best: tuple[tuple[int, ...], Match] | None = None
    for route in found:
        if route.method not in (method, "ANY"):
            continue
        bound = _bind(route.path, segments)
        if bound is None:
            continue
        rank = (*_rank(route.path), route.method == "ANY")
        if best is None or rank < best[0]:
            path = "/" + "/".join(unquote(s) for s in segments)
            best = (rank, Match(route, path, bound))
    return None if best is None else best[1]


def _segments(raw_path: str) -> list[str]:
    return [] if raw_path in ("", "/") else raw_path[1:].split("/")


def _parts(path: str) -> list[tuple[str, str]]:
    """A route path's segments: ("literal", text), ("variable", name), ("greedy", name)."""
    parts = []
    for segment in _segments(path):
        variable = re.fullmatch(r"\{(.+?)(\+?)\}", segment)
        if variable is None:
            parts.append(("literal", segment))
        else:
            parts.append(("greedy" if variable.group(2) else "variable", variable.group(1)))
    return parts


def _bind(path: str, segments: list[str]) -> tuple[tuple[str, str], ...] | None:
    """The variables' values when the request's `segments` fit the route's `path`."""
    bound: list[tuple[str, str]] = []
    parts = _parts(path)
    for i, (kind, text) in enumerate(parts):
        if kind == "greedy":
            rest = segments[i:]
            if not rest or not "".join(rest):
                return None
            return (*bound, (text, unquote("/".join(rest))))
        if i >= len(segments) or not segments[i]:
            return None
        if kind == "literal" and unquote(segments[i]) != text:
            return None
        if kind == "variable":
            bound.append((text, unquote(segments[i])))
    return tuple(bound) if len(parts) == len(segments) else None


def _rank(path: str) -> tuple[int, ...]:
    order = {"literal": 0, "variable": 1, "greedy": 2}
    return tuple(order[kind] for kind, _ in _parts(path))


# --------------------------------------------------------------------------------------------
# Request -> event


def event(
    request: HttpRequest,
    found: Match,
    *,
    region: str,
    account: str,
    request_id: str,
) -> dict[str, Any]:
    """The event the route's function receives, in the route's payload format.
    `request.raw_path` is the path below the prefix; `request_id` is API Gateway's id of the
    request (`requestContext.requestId`)."""
    if found.route.payload != "1.0":
        build = event_v2
    else:
        build = event_v1 if found.route.rest else event_http_v1
    return build(request, found, region=region, account=account, request_id=request_id)


def event_v2(
    request: HttpRequest, found: Match, *, region: str, account: str, request_id: str
) -> dict[str, Any]:
    """Payload format 2.0 (HTTP APIs)."""
    route = found.route
    when = request.time.astimezone(timezone.utc)
    headers, cookies = urls.joined_headers(request, when)
    identifier = api_id(route, account=account, region=region)
    stage = stage_of(route)
    raw_path = request.raw_path if stage == HTTP_STAGE else f"/{stage}{request.raw_path}"
    key = route_key(route)
    shaped: dict[str, Any] = {
        "version": "2.0",
        "routeKey": key,
        "rawPath": raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        shaped["cookies"] = cookies
    shaped["headers"] = headers
    parameters = urls.query_parameters(request.raw_query)
    if parameters:
        shaped["queryStringParameters"] = parameters
    shaped["requestContext"] = {
        "accountId": account,
        "apiId": identifier,
        "domainName": domain(identifier, region),
        "domainPrefix": identifier,
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request_id,
        "routeKey": key,
        "stage": stage,
        "time": urls.request_time(when),
        "timeEpoch": int(when.timestamp() * 1000),
    }
    encoded = False
    if request.body:
        text = urls.text_of(request.body, request.header("content-type"))
        encoded = text is None
        shaped["body"] = base64.b64encode(request.body).decode() if encoded else text
    if found.path_parameters:
        shaped["pathParameters"] = found.path_parameters
    shaped["isBase64Encoded"] = encoded
    return shaped


def event_v1(
    request: HttpRequest, found: Match, *, region: str, account: str, request_id: str
) -> dict[str, Any]:
    """Payload format 1.0 (REST APIs)."""
    route = found.route
    when = request.time.astimezone(timezone.utc)
    identifier = api_id(route, account=account, region=region)
    stage = stage_of(route)
    headers, multi_headers = _v1_headers(request, when)
    query, multi_query = _v1_query(request.raw_query)
    body: str | None = None
    encoded = False
    if request.body:
        encoded = is_binary(request.header("content-type"), route.binary_media_types)
        if encoded:
            body = base64.b64encode(request.body).decode()
        else:
            body = request.body.decode("utf-8", "replace")
    return {
        "resource": route.path,
        "path": found.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": found.path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": account,
            "apiId": identifier,
            "domainName": domain(identifier, region),
            "domainPrefix": identifier,
            "extendedRequestId": extended_id(),
            "httpMethod": request.method,
            "identity": _identity(request),
            "path": f"/{stage}{found.path}",
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": urls.request_time(when),
            "requestTimeEpoch": int(when.timestamp() * 1000),
            "resourceId": ids.short_id(f"{identifier}:{route.path}", 6),
            "resourcePath": route.path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def event_http_v1(
    request: HttpRequest, found: Match, *, region: str, account: str, request_id: str
) -> dict[str, Any]:
    """Payload format 1.0 of an HTTP API: the REST API's shape, with `version` and an HTTP
    API's request context (AWS's example of it, field for field)."""
    route = found.route
    when = request.time.astimezone(timezone.utc)
    identifier = api_id(route, account=account, region=region)
    stage = stage_of(route)
    path = found.path if stage == HTTP_STAGE else f"/{stage}{found.path}"
    headers, multi_headers = _v1_headers(request, when, lower=True)
    query, multi_query = _v1_query(request.raw_query)
    body: str | None = None
    encoded = False
    if request.body:
        text = urls.text_of(request.body, request.header("content-type"))
        encoded = text is None
        body = base64.b64encode(request.body).decode() if encoded else text
    return {
        "version": "1.0",
        "resource": route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": {
            "accountId": account,
            "apiId": identifier,
            "authorizer": {"claims": None, "scopes": None},
            "domainName": domain(identifier, region),
            "domainPrefix": identifier,
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": _identity(request),
            "path": path,
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": urls.request_time(when),
            "requestTimeEpoch": int(when.timestamp() * 1000),
            "resourceId": None,
            "resourcePath": route.path,
            "stage": stage,
        },
        "pathParameters": found.path_parameters,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": encoded,
    }


def _identity(request: HttpRequest) -> dict[str, Any]:
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY)
    identity["sourceIp"] = request.source_ip
    identity["userAgent"] = request.header("user-agent")
    return identity


def _v1_headers(
    request: HttpRequest, when: datetime, *, lower: bool = False
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Names as received (a name's first spelling; `lower`: lower-cased, as HTTP APIs give
    them), a repeated one's last value in `headers` and all of them in `multiValueHeaders`;
    the front end's `X-Forwarded-*` and trace id set as REST APIs set them."""
    spelled: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in request.headers:
        shown = spelled.setdefault(name.lower(), name.lower() if lower else name)
        multi.setdefault(shown, []).append(value)
    added: dict[str, str] = {}
    if "x-forwarded-for" in spelled:
        added["x-forwarded-for"] = ", ".join(multi[spelled["x-forwarded-for"]])
    if "x-amzn-trace-id" in spelled:
        added["x-amzn-trace-id"] = multi[spelled["x-amzn-trace-id"]][-1]
    urls.forwarded(added, request, when)
    for key, value in added.items():
        written = key if lower else "-".join(w.capitalize() for w in key.split("-"))
        name = spelled.setdefault(key, written)
        multi[name] = [value]
    return {name: values[-1] for name, values in multi.items()}, multi


def _v1_query(raw_query: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def is_binary(content_type: str | None, binary_media_types: Iterable[str]) -> bool:
    """Whether a REST API delivers a body of this Content-Type base64: one of its binary
    media types matches it (`*/*`, `image/*` or the type itself)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for pattern in binary_media_types:
        kind, _, sub = pattern.partition("/")
        if pattern == "*/*" or pattern == media or (sub == "*" and media.startswith(kind + "/")):
            return True
    return False


def request_id(route: HttpSource) -> str:
    """API Gateway's id of a request: a UUID for a REST API, the short form
    (`JKJaXmPLvHcESHA=`) for an HTTP API, whatever the payload format."""
    return ids.uuid4() if route.rest else extended_id()


def extended_id() -> str:
    """`JKJaXmPLvHcESHA=`: 16 characters of base64, as API Gateway's short request ids."""
    return base64.b64encode(os.urandom(11)).decode()




# --------------------------------------------------------------------------------------------
# Result -> response


def respond(
    route: HttpSource, payload: bytes, *, function_error: bool, request_id: str
) -> HttpResponse:
    """The HTTP response for the route's invocation result: the answer read as its payload
    format says, the errors and request id header its kind of API gives."""
    if function_error:
        answer = None
    elif route.payload == "1.0":
        answer = interpret_v1(payload, strict=route.rest)
    else:
        answer = urls.interpret(payload)
    if answer is None:
        return failed(route, status=502 if route.rest else 500)
    headers = (*answer.headers, *_ids(route, request_id))
    return HttpResponse(answer.status, headers, answer.body)


def interpret_v1(payload: bytes, *, strict: bool = True) -> HttpResponse | None:
    """A function's answer as payload 1.0 reads it; None when it is malformed. `strict` (a
    REST API): a key other than the five makes it malformed; else (an HTTP API) it is left
    out. Neither infers a response: `statusCode` is required."""
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or (strict and not set(value) <= V1_RESPONSE_KEYS):
        return None
    status = urls.status_of(value.get("statusCode"))
    given = value.get("headers") or {}
    multi = value.get("multiValueHeaders") or {}
    raw_body = value.get("body")
    encoded = value.get("isBase64Encoded", False)
    if status is None or not isinstance(given, dict) or not isinstance(multi, dict):
        return None
    if not isinstance(encoded, bool) or not (raw_body is None or isinstance(raw_body, str)):
        return None
    headers = _v1_response_headers(given, multi)
    body = urls.body_of(raw_body, encoded)
    if headers is None or body is None:
        return None
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))
    return HttpResponse(status, tuple(headers), body)


def _v1_response_headers(
    given: Mapping[str, Any], multi: Mapping[str, Any]
) -> list[tuple[str, str]] | None:
    """`headers` and `multiValueHeaders` merged (AWS: a name in both keeps the multi-value
    list's values)."""
    headers: list[tuple[str, str]] = []
    listed = {name.lower() for name in multi}
    for name, raw in given.items():
        text = urls.header_value(raw)
        if text is None:
            return None
        if name.lower() not in listed:
            headers.append((name, text))
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        for raw in values:
            text = urls.header_value(raw)
            if text is None:
                return None
            headers.append((name, text))
    return headers


def _ids(route: HttpSource, request_id: str) -> tuple[tuple[str, str], ...]:
    """The request id header each kind of API answers with."""
    if route.rest:
        return (("x-amzn-RequestId", request_id),)
    return (("apigw-requestid", request_id),)


def failed(route: HttpSource, *, status: int = 500) -> HttpResponse:
    """The API's own error when the integration fails: a function error or a malformed
    answer (502 for a REST API), a throttled or refused invoke (500). An HTTP API's is 500
    `Internal Server Error` for all of them, whatever the payload format."""
    if route.rest:
        return _message(status, V1_ERROR, "InternalServerErrorException", spaced=True)
    return _message(500, V2_ERROR)


def not_found(found: Iterable[HttpSource], raw_path: str) -> HttpResponse:
    """No route takes the request: a REST API's 403 when the path is a REST API's (or every
    route is), an HTTP API's 404 otherwise."""
    listed = list(found)
    segments = _segments(raw_path)
    near = [r for r in listed if _bind(r.path, segments) is not None]
    rest = [r.rest for r in (near or listed)]
    if rest and all(rest):
        return _message(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    return _message(404, "Not Found")


def _message(
    status: int, message: str, error_type: str | None = None, *, spaced: bool = False
) -> HttpResponse:
    """`{"message": ...}`: REST APIs' own errors are written with a space after the colon
    (`{"message": "Internal server error"}`), HTTP APIs' without."""
    separators = (",", ": ") if spaced else (",", ":")
    body = json.dumps({"message": message}, separators=separators).encode()
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if error_type is not None:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, tuple(headers), body)
