"""Function URLs, as AWS serves them: where each URL lives on a server, the HTTP request as
the function's event (payload format 2.0), the function's result as the HTTP response, CORS
answered by the URL itself, and the `AWS_IAM` gate.

Pure: no HTTP stack and no invocation here. `api/urls.py` serves it (one request: `route`,
`preflight`, `authorize`, `event`, invoke, `respond`, `with_cors`).

The rules, and where they come from:
- The event (AWS "Invoking Lambda function URLs", urls-invocation): header names lower-cased
  and repeated ones comma-joined, plus the `x-forwarded-*` and `x-amzn-trace-id` headers AWS's
  front end adds; the `cookie` header becomes `cookies`; repeated query
  parameters comma-joined; `body` absent when the request has none. `requestContext.accountId`
  is `anonymous` for `NONE` auth and the owner's account for `AWS_IAM`.
- The body is text only for `text/*`, `application/json`, `application/xml` and
  `application/javascript`; anything else (no Content-Type, forms, binaries) is base64 with
  `isBase64Encoded: true`, as HTTP APIs (payload 2.0) were observed to do on AWS.
- The response: a JSON object with `statusCode` is a response description (an integer or a
  numeric string; `headers`, `cookies` as `set-cookie`, `body`, `isBase64Encoded`); any other
  valid JSON is a 200 `application/json` whose body is the JSON, compact, and a bare string
  is sent as its text (AWS, recorded November 2025: "hello" -> `hello`, 5 bytes; {"hello":
  "world"} -> 17 bytes; the guide's example shows the string quoted, which AWS no longer does).
- A function error, or a response that is not valid, is 502 `Internal Server Error`.
- A `RESPONSE_STREAM` URL whose function streamed its response (Node's
  `awslambda.streamifyResponse`) answers with the bytes written, 200 with the stream's
  content type; after `HttpResponseStream.from` (content type
  `application/vnd.awslambda.http-integration-response`) the JSON prelude before the first
  8 NUL bytes gives the status, headers and cookies, and the rest is the body (AWS
  "Response streaming", and its Node client's HttpResponseStream). A plain Invoke returns
  the bytes as written, prelude included, as AWS's does.
- A URL that does not exist is 403 `{"Message":null}` (AccessDeniedException); one whose alias
  is gone, or an unsigned request to an `AWS_IAM` URL, is 403 with the Forbidden message.
- CORS (urls-configuration): a preflight is answered by the URL without invoking the function
  when CORS is configured; the configured headers take precedence over the function's own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import arns, ids, timestamps
from .manifest import Cors, FunctionSpec, Manifest, UrlConfig

PATH_PREFIX = "/url/"
"""Every function URL lives under this path on the server (no DNS set-up needed)."""

DEFAULT_ENDPOINT = "http://127.0.0.1:3001"
"""`lambdactl serve`'s address unless told otherwise."""

TEXT_MEDIA_TYPES = ("application/json", "application/xml", "application/javascript")
"""Besides `text/*`, the request bodies a function receives as text."""

FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)
"""AWS's message when a URL's request is refused (no permission, alias gone, unsigned)."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CORS_RESPONSE_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
)


@dataclass(frozen=True)
class HttpRequest:
    """A request to a function URL, as the server received it."""

    method: str
    raw_path: str
    """The path below the URL (`/` at least), percent-encoding kept."""
    raw_query: str = ""
    """The query string as sent, without `?`."""
    headers: tuple[tuple[str, str], ...] = ()
    """Every header line in order, names as sent."""
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    time: datetime = field(default_factory=timestamps.utcnow)
    protocol: str = "HTTP/1.1"
    port: int | None = None
    """The server's port, passed on as `x-forwarded-port`."""

    def header(self, name: str) -> str | None:
        """The header's value (repeated ones comma-joined), None when absent."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    """In order; `set-cookie` may repeat."""
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class FunctionUrl:
    """One function URL: which function (and alias) it invokes, and its settings."""

    function: str
    config: UrlConfig
    url_id: str
    function_arn: str
    created: str
    """ISO-8601 (AWS's CreationTime)."""
    modified: str

    @property
    def qualifier(self) -> str | None:
        return self.config.qualifier

    @property
    def path(self) -> str:
        return path_of(self.function, self.qualifier)

    def url(self, endpoint: str = DEFAULT_ENDPOINT) -> str:
        """The full URL on the server at `endpoint` (`http://host:port`)."""
        return endpoint.rstrip("/") + self.path

    def domain(self, region: str) -> str:
        """The domain AWS would give it (the event's `domainName`)."""
        return f"{self.url_id}.lambda-url.{region}.on.aws"


# --------------------------------------------------------------------------------------------
# Where URLs live


def path_of(function: str, qualifier: str | None = None) -> str:
    """`/url/NAME/`, or `/url/NAME:ALIAS/` for a URL of an alias."""
    return f"{PATH_PREFIX}{function}:{qualifier}/" if qualifier else f"{PATH_PREFIX}{function}/"


def url_id(account: str, region: str, function: str, qualifier: str | None = None) -> str:
    """A stable 32-character id, like AWS's `<url-id>` (the same URL keeps its id)."""
    digest = hashlib.sha256(f"{account}:{region}:{function}:{qualifier or ''}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:32]


def configured(
    manifest: Manifest, functions: Mapping[str, FunctionSpec] | None = None
) -> dict[tuple[str, str | None], FunctionUrl]:
    """Every URL by (function, qualifier): each function's `url:` from the manifest, as
    changed or deleted through the API, and those created through the API (`functions`:
    `Project.functions`; the manifest's alone by default). A URL of the manifest was created
    and last modified when the manifest was (its file's time); one made through the API
    keeps its own times."""
    found: dict[tuple[str, str | None], FunctionUrl] = {}
    stamp: str | None = None
    for name, spec in (manifest.functions if functions is None else functions).items():
        made: dict[str | None, tuple[UrlConfig, str, str]] = {}
        if spec.url is not None and _key(spec.url.qualifier) not in spec.url_changes:
            stamp = stamp or _manifest_time(manifest)
            made[spec.url.qualifier] = (spec.url, stamp, stamp)
        for record in spec.url_changes.values():
            if record is not None:
                made[record.config.qualifier] = (record.config, record.created, record.modified)
        for qualifier in sorted(made, key=lambda q: (q is not None, q or "")):
            config, created, modified = made[qualifier]
            found[(name, qualifier)] = FunctionUrl(
                function=name,
                config=config,
                url_id=url_id(manifest.account, manifest.region, name, qualifier),
                function_arn=arns.function_arn(manifest.region, manifest.account, name, qualifier),
                created=created,
                modified=modified,
            )
    return found


def _key(qualifier: str | None) -> str:
    """How `FunctionSpec.url_changes` keys a URL: its alias, `$LATEST` for none."""
    return qualifier or "$LATEST"


def _manifest_time(manifest: Manifest) -> str:
    try:
        return iso_time(datetime.fromtimestamp(Path(manifest.path).stat().st_mtime, timezone.utc))
    except OSError:
        return iso_time(timestamps.utcnow())


def addresses(
    manifest: Manifest, functions: Mapping[str, FunctionSpec] | None, endpoint: str | None
) -> dict[str, str]:
    """Each function's URLs (the unqualified first, comma-separated), in full on the server
    at `endpoint`, or their paths alone when no server runs (a URL answers only while
    `lambdactl serve` does)."""
    found: dict[str, list[str]] = {}
    for (name, _qualifier), url in configured(manifest, functions).items():
        found.setdefault(name, []).append(url.url(endpoint) if endpoint else url.path)
    return {name: ", ".join(addresses) for name, addresses in found.items()}


NOT_SERVED = f"function URLs answer while `lambdactl serve` runs (by default at {DEFAULT_ENDPOINT})"
"""What the CLI says beside URL paths when no server runs."""


def route(path: str) -> tuple[str, str | None, str] | None:
    """`/url/NAME[:ALIAS][/rest]` -> (NAME, ALIAS or None, `/rest` raw); None when the path
    names no URL this way."""
    if not path.startswith(PATH_PREFIX):
        return None
    segment, slash, rest = path[len(PATH_PREFIX) :].partition("/")
    name, colon, qualifier = unquote(segment).partition(":")
    if not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", name):
        return None
    if colon and not re.fullmatch(r"[a-zA-Z0-9-_]{1,128}", qualifier):
        return None
    return name, (qualifier if colon else None), "/" + rest if slash else "/"


def iso_time(moment: datetime) -> str:
    """AWS's CreationTime / LastModifiedTime: `2021-10-27T21:19:16.066054Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------------------------
# Request -> event


def event(
    request: HttpRequest,
    target: FunctionUrl,
    *,
    region: str,
    account: str,
    request_id: str,
) -> dict[str, Any]:
    """The event the function receives (payload format 2.0). `account` is the function
    owner's, shown only to `AWS_IAM` URLs (a `NONE` URL's caller is `anonymous`)."""
    when = request.time.astimezone(timezone.utc)
    headers, cookies = joined_headers(request, when)
    context: dict[str, Any] = {
        "accountId": "anonymous",
        "apiId": target.url_id,
        "domainName": target.domain(region),
        "domainPrefix": target.url_id,
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": request_time(when),
        "timeEpoch": int(when.timestamp() * 1000),
    }
    if target.config.auth == "AWS_IAM":
        context["accountId"] = account
        context["authorizer"] = {"iam": _caller(request, account)}
    shaped: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        shaped["cookies"] = cookies
    shaped["headers"] = headers
    parameters = query_parameters(request.raw_query)
    if parameters:
        shaped["queryStringParameters"] = parameters
    shaped["requestContext"] = context
    if request.body:
        text = text_of(request.body, request.header("content-type"))
        shaped["body"] = text if text is not None else base64.b64encode(request.body).decode()
        shaped["isBase64Encoded"] = text is None
    else:
        shaped["isBase64Encoded"] = False
    return shaped


def joined_headers(request: HttpRequest, when: datetime) -> tuple[dict[str, str], list[str]]:
    """Payload 2.0's headers (names lower-cased, repeated ones comma-joined, the front end's
    `forwarded` ones added) and its cookies (the `cookie` headers' pairs, in order)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    forwarded(headers, request, when)
    return headers, cookies


def forwarded(headers: dict[str, str], request: HttpRequest, when: datetime) -> None:
    """The headers AWS's front end adds: the client's address, scheme and port, and a trace
    id (the TLS ones are left out: nothing here is TLS)."""
    given = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{given}, {request.source_ip}" if given else request.source_ip
    headers["x-forwarded-proto"] = "http"
    if request.port is not None:
        headers["x-forwarded-port"] = str(request.port)
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(when.timestamp()):08x}-{ids.hex_id(24)}")


def query_parameters(raw_query: str) -> dict[str, str]:
    """Decoded query parameters, repeated names comma-joined in order."""
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def is_text(content_type: str | None) -> bool:
    """Whether a body of this Content-Type reaches the function as text."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def text_of(body: bytes, content_type: str | None) -> str | None:
    if not is_text(content_type):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:  # labelled text, but not UTF-8: only base64 carries it intact
        return None


def request_time(moment: datetime) -> str:
    """`12/Mar/2020:19:03:58 +0000` (English month names, whatever the locale)."""
    month = _MONTHS[moment.month - 1]
    return f"{moment.day:02d}/{month}/{moment.year}:{moment:%H:%M:%S} +0000"


def _caller(request: HttpRequest, account: str) -> dict[str, Any]:
    """`authorizer.iam` for a signed request: the access key the signature names. Signatures
    are not checked locally, so nothing else about the caller is known (left null)."""
    return {
        "accessKey": signing_key(request),
        "accountId": account,
        "callerId": None,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": None,
        "userId": None,
    }


# --------------------------------------------------------------------------------------------
# AWS_IAM


def signing_key(request: HttpRequest) -> str | None:
    """The access key of a SigV4 signature (Authorization header or presigned query), or
    None when the request is not signed."""
    authorization = request.header("authorization") or ""
    if authorization.startswith("AWS4-HMAC-SHA256 "):
        match = re.search(r"Credential=([^/,\s]+)/", authorization)
        return match.group(1) if match else None
    parameters = query_parameters(request.raw_query)
    if "X-Amz-Signature" in parameters and "X-Amz-Credential" in parameters:
        return parameters["X-Amz-Credential"].split("/", 1)[0] or None
    return None


def authorize(config: UrlConfig, request: HttpRequest) -> HttpResponse | None:
    """None when the request may invoke; AWS's 403 otherwise. An `AWS_IAM` URL needs a SigV4
    signature; locally its presence is checked, not its validity (there are no IAM users)."""
    if config.auth != "AWS_IAM" or signing_key(request) is not None:
        return None
    return error_response(403, "AccessDeniedException", FORBIDDEN)


# --------------------------------------------------------------------------------------------
# Result -> response


def respond(payload: bytes, *, function_error: bool, request_id: str) -> HttpResponse:
    """The HTTP response for an invocation's result (its payload and whether it failed)."""
    common = (("x-amzn-RequestId", request_id),)
    answer = None if function_error else interpret(payload)
    if answer is None:
        return _bad_gateway(common)
    return HttpResponse(answer.status, (*answer.headers, *common), answer.body)


HTTP_INTEGRATION_RESPONSE = "application/vnd.awslambda.http-integration-response"
"""A streamed response that starts with its HTTP status, headers and cookies (the prelude)."""
PRELUDE_END = b"\0" * 8
"""What ends the prelude: 8 NUL bytes."""


def respond_streamed(
    payload: bytes, content_type: str, *, function_error: bool, request_id: str
) -> HttpResponse:
    """The HTTP response of a `RESPONSE_STREAM` URL for a response the function streamed."""
    common = (("x-amzn-RequestId", request_id),)
    if function_error:
        return _bad_gateway(common)
    media = content_type.split(";", 1)[0].strip().lower()
    if media != HTTP_INTEGRATION_RESPONSE:
        return HttpResponse(200, (("Content-Type", content_type), *common), payload)
    prelude, found, body = payload.partition(PRELUDE_END)
    if not found:  # nothing was written: the prelude is sent with the first byte only
        return HttpResponse(200, (("Content-Type", content_type), *common), payload)
    try:
        value = json.loads(prelude)
    except (ValueError, UnicodeDecodeError):
        return _bad_gateway(common)
    if not isinstance(value, dict):
        return _bad_gateway(common)
    described = _described({"statusCode": 200, **value, "body": None, "isBase64Encoded": False})
    if described is None:
        return _bad_gateway(common)
    status, headers, _ = described
    return HttpResponse(status, (*headers, *common), body)


def interpret(payload: bytes) -> HttpResponse | None:
    """A function's answer read as payload format 2.0 reads it (function URLs, HTTP APIs):
    a response description (`statusCode`...), or any other JSON as a 200 JSON body; None when
    it is neither (not JSON, or a description that is not valid)."""
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(value, dict) and "statusCode" in value:
        described = _described(value)
        if described is None:
            return None
        status, headers, body = described
        return HttpResponse(status, tuple(headers), body)
    if isinstance(value, str):
        body = value.encode()
    else:
        body = compact(value)
    return HttpResponse(200, (("Content-Type", "application/json"),), body)


def _described(value: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """A response description (`statusCode`...), or None when it is not a valid one."""
    status = status_of(value["statusCode"])
    headers_given = value.get("headers") or {}
    cookies = value.get("cookies") or []
    encoded = value.get("isBase64Encoded", False)
    if status is None or not isinstance(headers_given, dict) or not isinstance(cookies, list):
        return None
    if not isinstance(encoded, bool) or not all(isinstance(c, str) for c in cookies):
        return None
    headers: list[tuple[str, str]] = []
    for name, raw in headers_given.items():
        text = header_value(raw)
        if text is None:
            return None
        headers.append((name, text))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))
    headers.extend(("set-cookie", cookie) for cookie in cookies)
    body = body_of(value.get("body"), encoded)
    return None if body is None else (status, headers, body)


def status_of(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and re.fullmatch(r"\d{3}", raw.strip()):
        raw = int(raw)
    return raw if isinstance(raw, int) and 100 <= raw <= 599 else None


def header_value(raw: object) -> str | None:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        return json.dumps(raw)
    return None


def body_of(raw: object, encoded: bool) -> bytes | None:
    if raw is None:
        return b""
    if not isinstance(raw, str):
        return compact(raw)
    if not encoded:
        return raw.encode()
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def compact(value: object) -> bytes:
    """JSON as AWS re-serializes a returned value: no spaces, UTF-8 kept as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _bad_gateway(headers: tuple[tuple[str, str], ...]) -> HttpResponse:
    return HttpResponse(
        502, (("Content-Type", "application/json"), *headers), b"Internal Server Error"
    )


def error_response(status: int, error_type: str, message: str | None) -> HttpResponse:
    """A function URL's own error (no function answered): `{"Message": ...}` with the type in
    `x-amzn-ErrorType`, as AWS sends its 403s."""
    body = json.dumps({"Message": message}, separators=(",", ":")).encode()
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, body)


def not_found() -> HttpResponse:
    """No URL at this address: AWS answers 403, not 404, for a URL id it does not know."""
    return error_response(403, "AccessDeniedException", None)


def throttled() -> HttpResponse:
    """Concurrency exhausted (reserved concurrency 0 deactivates a URL this way)."""
    return error_response(429, "TooManyRequestsException", "Rate Exceeded.")


# --------------------------------------------------------------------------------------------
# CORS


def is_preflight(cors: Cors | None, request: HttpRequest) -> bool:
    """A CORS preflight the URL answers itself: CORS configured, OPTIONS, an Origin and an
    Access-Control-Request-Method. (Without CORS, OPTIONS reaches the function.)"""
    return (
        cors is not None
        and request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


def preflight(cors: Cors, request: HttpRequest) -> HttpResponse:
    """200 with the CORS headers when origin, method and headers are allowed; 200 without
    them otherwise (the browser then refuses the real request)."""
    origin = request.header("origin") or ""
    method = (request.header("access-control-request-method") or "").strip()
    asked = _tokens(request.header("access-control-request-headers"))
    if not (
        _origin_allowed(cors, origin)
        and _method_allowed(cors, method)
        and _headers_allowed(cors, asked)
    ):
        return HttpResponse(200)
    headers = [("Access-Control-Allow-Origin", _allow_origin(cors, origin))]
    if cors.allow_methods:
        headers.append(("Access-Control-Allow-Methods", ",".join(cors.allow_methods)))
    if cors.allow_headers:
        headers.append(("Access-Control-Allow-Headers", ",".join(cors.allow_headers)))
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.max_age is not None:
        headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return HttpResponse(200, tuple(headers))


def with_cors(response: HttpResponse, cors: Cors | None, request: HttpRequest) -> HttpResponse:
    """`response` with the URL's CORS headers for an allowed Origin; they replace any the
    function set itself (AWS: the configured headers take precedence)."""
    origin = request.header("origin")
    if cors is None or origin is None or not _origin_allowed(cors, origin):
        return response
    added = [("Access-Control-Allow-Origin", _allow_origin(cors, origin))]
    if cors.allow_credentials:
        added.append(("Access-Control-Allow-Credentials", "true"))
    if cors.expose_headers:
        added.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))
    kept = [(k, v) for k, v in response.headers if k.lower() not in _CORS_RESPONSE_HEADERS]
    return HttpResponse(response.status, (*kept, *added), response.body)


def _origin_allowed(cors: Cors, origin: str) -> bool:
    return "*" in cors.allow_origins or origin.lower() in (o.lower() for o in cors.allow_origins)


def _allow_origin(cors: Cors, origin: str) -> str:
    """`*` when any origin is allowed and no credentials are (browsers refuse `*` with
    credentials), else the request's origin."""
    return "*" if "*" in cors.allow_origins and not cors.allow_credentials else origin


def _method_allowed(cors: Cors, method: str) -> bool:
    return "*" in cors.allow_methods or method.upper() in cors.allow_methods


def _headers_allowed(cors: Cors, asked: Iterable[str]) -> bool:
    allowed = {h.lower() for h in cors.allow_headers}
    return "*" in allowed or all(h.lower() in allowed for h in asked)


def _tokens(value: str | None) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]
