"""The Lambda Runtime API, as data: paths, headers, limits and the messages that cross it.

Pure: no sockets, no processes. `server.py` speaks it, `environment.py` acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "2018-06-01"
NEXT_PATH = f"/{API_VERSION}/runtime/invocation/next"
INIT_ERROR_PATH = f"/{API_VERSION}/runtime/init/error"
INVOCATION_PREFIX = f"/{API_VERSION}/runtime/invocation/"

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""Synchronous request payload limit (6 MB)."""

MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
"""Response limit: AWS's 6 MB + 100 bytes (6291556)."""

H_REQUEST_ID = "Lambda-Runtime-Aws-Request-Id"
H_DEADLINE = "Lambda-Runtime-Deadline-Ms"
H_ARN = "Lambda-Runtime-Invoked-Function-Arn"
H_TRACE = "Lambda-Runtime-Trace-Id"
H_CLIENT_CONTEXT = "Lambda-Runtime-Client-Context"
H_COGNITO = "Lambda-Runtime-Cognito-Identity"
H_ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
H_ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
"""A streamed response's error, in a trailer: the error payload's JSON, base64."""
H_RESPONSE_MODE = "Lambda-Runtime-Function-Response-Mode"
"""`streaming` on a response the runtime streams (chunked, its own content type)."""


@dataclass(frozen=True)
class Invocation:
    """One event handed to the runtime by `GET /next`."""

    request_id: str
    payload: bytes
    deadline_ms: int
    invoked_arn: str
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None
    content_type: str = "application/json"

    def headers(self) -> list[tuple[str, str]]:
        """The `/next` response headers; optional ones only when set, as the RIE does."""
        headers = [
            (H_REQUEST_ID, self.request_id),
            (H_DEADLINE, str(self.deadline_ms)),
            (H_ARN, self.invoked_arn),
            (H_TRACE, self.trace_id),
            ("Content-Type", self.content_type),
        ]
        if self.client_context:
            headers.append((H_CLIENT_CONTEXT, self.client_context))
        if self.cognito_identity:
            headers.append((H_COGNITO, self.cognito_identity))
        return headers


@dataclass(frozen=True)
class Posted:
    """Something the runtime told us: `kind` is `ready`, `response`, `error`,
    `init_error`, `too_large` or `exit` (the process ended; `exit_status` says how); or
    `no_files`: lambdactl had no descriptor left to accept the runtime's connection."""

    kind: str
    request_id: str = ""
    body: bytes = b""
    error_type: str | None = None
    content_type: str | None = None
    streamed: bool = False
    """A `response` sent in streaming mode: `content_type` says how to read its bytes."""
    exit_status: int | None = None
    peak_memory_mb: int | None = None
    """For `exit`: the process's peak resident memory, from the kernel's accounting."""
    at: float = 0.0


def route(method: str, path: str) -> tuple[str, str]:
    """Map a request to (`next` | `response` | `error` | `init_error` | `unknown`, request id)."""
    if method == "GET" and path == NEXT_PATH:
        return "next", ""
    if method == "POST" and path == INIT_ERROR_PATH:
        return "init_error", ""
    if method == "POST" and path.startswith(INVOCATION_PREFIX):
        request_id, _, action = path[len(INVOCATION_PREFIX) :].partition("/")
        if action in ("response", "error") and request_id:
            return action, request_id
    return "unknown", ""


def streamed_error(trailers: dict[str, str]) -> tuple[str, bytes] | None:
    """A streamed response's error trailers as (error type, error payload), or None when the
    stream ended well."""
    import base64
    import binascii

    error_type = trailers.get(H_ERROR_TYPE.lower())
    if not error_type:
        return None
    try:
        body = base64.b64decode(trailers.get(H_ERROR_BODY.lower(), ""), validate=True)
    except (binascii.Error, ValueError):
        body = b""
    return error_type, body or error_body(error_type, "")


def error_body(error_type: str, message: str) -> bytes:
    import json

    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()
