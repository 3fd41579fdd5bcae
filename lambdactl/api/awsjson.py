"""AWS's JSON protocols on `POST /`: the operation is the `X-Amz-Target` header
(`<prefix>.<Operation>`), the parameters a JSON object in the body, the result a JSON object,
and an error `{"__type": ..., "message": ...}` with status 400 (or 5xx).

SQS (`AmazonSQS.*`, JSON 1.0) is "query compatible": its `__type` is `com.amazonaws.sqs#<shape>`
and the `x-amzn-query-error: <code>;Sender` header carries the code of its older query
protocol, which botocore takes as the error code (and maps back to the shape's exception
class). CloudWatch Logs (`Logs_20140328.*`, JSON 1.1) sends the bare shape name.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .. import ids
from ..errors import AwsError, LambdactlError
from ..shapes import sqs as sqs_shapes
from . import bodies
from .backend import Backend
from .errors import client_gone

log = logging.getLogger("lambdactl")

Handler = Callable[[Request, Backend, str, dict[str, Any]], Awaitable[Response]]


@dataclass(frozen=True)
class Protocol:
    """One service's flavour of the JSON protocol."""

    service: str
    model: str
    """botocore's name for the service (its operations are named after it)."""
    content_type: str
    max_body: int
    """Largest request body read (larger: 413, without reading it all)."""
    namespace: str = ""
    """Put before an error's shape name in `__type` (`com.amazonaws.sqs#`)."""
    query_compatible: bool = False

    def reply(self, data: dict[str, Any], *, request_id: str | None = None) -> Response:
        """A success: `data` as the JSON body."""
        return Response(
            json.dumps(data),
            headers={"x-amzn-RequestId": request_id or ids.uuid4()},
            media_type=self.content_type,
        )

    def error(self, error: AwsError) -> Response:
        """`error` in this protocol's shape."""
        shape, code = error.aws_type, error.aws_type
        if self.query_compatible:
            shape, code = sqs_shapes.error_code(error.aws_type)
        headers = {"x-amzn-RequestId": ids.uuid4()}
        if self.query_compatible:
            fault = "Sender" if error.http_status < 500 else "Receiver"
            headers["x-amzn-query-error"] = f"{code};{fault}"
        body = {"__type": f"{self.namespace}{shape}", "message": error.message}
        return Response(
            json.dumps(body),
            status_code=error.http_status,
            headers=headers,
            media_type=self.content_type,
        )


SQS = Protocol(
    "SQS",
    "sqs",
    "application/x-amz-json-1.0",
    # A message is at most 1 MiB, and botocore writes JSON with \\u escapes (up to 6 bytes a
    # character): room for the largest valid SendMessageBatch, no more.
    max_body=8 * 1024 * 1024,
    namespace="com.amazonaws.sqs#",
    query_compatible=True,
)
LOGS = Protocol("CloudWatch Logs", "logs", "application/x-amz-json-1.1", max_body=1024 * 1024)


class SerializationException(AwsError):
    """A body that is not a JSON object, or a member of the wrong JSON type."""

    aws_type = "SerializationException"
    http_status = 400


class RequestEntityTooLarge(AwsError):
    aws_type = "RequestEntityTooLarge"
    http_status = 413


class InternalFailure(AwsError):
    """lambdactl failed (its state cannot be read, a bug): the JSON services' 500."""

    aws_type = "InternalFailure"
    http_status = 500


class UnknownTarget(AwsError):
    """An operation the service does not have (or lambdactl does not serve)."""

    aws_type = "UnknownOperationException"
    http_status = 400


async def run(request: Request, protocol: Protocol, handle: Handler, operation: str) -> Response:
    """One request of `protocol`: its JSON parameters read, `handle` run, and any failure
    answered in the protocol's error shape (a bug too: logged, and a 500, never a page)."""
    try:
        params = await params_of(request, protocol, operation)
        return await handle(request, request.app.state.backend, operation, params)
    except AwsError as exc:
        return protocol.error(exc)
    except LambdactlError as exc:  # lambdactl's own failure (its state cannot be read)
        return protocol.error(InternalFailure(exc.message))
    except ClientDisconnect:
        return client_gone()
    except Exception as exc:
        log.exception("request failed")
        return protocol.error(InternalFailure(f"internal error: {exc!r}"))


async def params_of(request: Request, protocol: Protocol, operation: str) -> dict[str, Any]:
    try:
        raw = await bodies.read(request, protocol.max_body, operation or "unknown")
    except AwsError as exc:
        raise RequestEntityTooLarge(exc.message) from None
    if not raw.strip():
        return {}  # botocore sends `{}` for no parameters; a client may send nothing
    try:
        params = json.loads(raw)
    except ValueError as exc:
        raise SerializationException(f"the request body is not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise SerializationException("the request body is not a JSON object")
    return params


def unknown_operation(protocol: Protocol, operation: str) -> UnknownTarget:
    """The error for an operation lambdactl does not serve: one of the service's (by
    botocore's model of it), or none at all."""
    if operation in _model_operations(protocol.model):
        return UnknownTarget(
            f"lambdactl does not implement the {protocol.service} operation {operation}"
        )
    return UnknownTarget(f"{protocol.service} has no operation named '{operation}'")


@functools.cache
def _model_operations(service: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return frozenset(model.operation_names)


class Params:
    """A request's JSON parameters, read by type: a member of the wrong JSON type is a
    SerializationException (as AWS's deserializer answers), a missing required one the
    service's own error (`missing(name)`)."""

    def __init__(self, data: dict[str, Any], missing: Callable[[str], AwsError]) -> None:
        self.data = data
        self._missing = missing

    def string(self, name: str, *, required: bool = False) -> str | None:
        return self._typed(name, str, "a string", required)

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationException(f"{name} must be an integer, not {_kind(value)}")
        return value

    def boolean(self, name: str) -> bool | None:
        return self._typed(name, bool, "a boolean", False)

    def mapping(self, name: str) -> dict[str, Any] | None:
        return self._typed(name, dict, "an object", False)

    def strings(self, name: str) -> list[str] | None:
        values = self._typed(name, list, "a list", False)
        if values is not None and not all(isinstance(v, str) for v in values):
            raise SerializationException(f"{name} must be a list of strings")
        return values

    def objects(self, name: str, *, required: bool = False) -> list[dict[str, Any]] | None:
        values = self._typed(name, list, "a list", required)
        if values is not None and not all(isinstance(v, dict) for v in values):
            raise SerializationException(f"{name} must be a list of objects")
        return values

    def _typed(self, name: str, kind: type, called: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self._missing(name)
            return None
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise SerializationException(f"{name} must be {called}, not {_kind(value)}")
        return value


def _kind(value: object) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "a list" if isinstance(value, list) else "an object"
    )
