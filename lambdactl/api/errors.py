"""The one table from lambdactl's errors to Lambda's rest-json error responses.

botocore takes the error code from the `x-amzn-ErrorType` header and the message from the
body's `message` or `Message`; which of the two AWS sends depends on the exception's shape
(lower case for the InvalidParameter/Conflict/Throttle family, upper case for
ResourceNotFoundException and ServiceException). `Type` is `User` for 4xx and `Service` for
5xx; the generic ValidationException carries no `Type` at all.
"""

from __future__ import annotations

import json
import logging

from starlette.responses import Response

from .. import ids
from ..errors import AwsError, LambdactlError, TooManyRequestsException

log = logging.getLogger("lambdactl")

UPPER_CASE_MESSAGE = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceInUseException",
        "ServiceException",
        "RequestEntityTooLargeException",
    }
)
"""Shapes whose message member is `Message` (and the 413 AWS sends, as it sends it)."""
NO_TYPE = frozenset({"ValidationException", "RequestEntityTooLargeException"})
"""Errors AWS's model does not declare: their body has no `Type`."""


def error_response(error: AwsError, *, request_id: str | None = None) -> Response:
    """AWS's response for `error`: status, `x-amzn-ErrorType`, JSON body."""
    body: dict[str, str] = {}
    if error.aws_type not in NO_TYPE:
        body["Type"] = "User" if error.http_status < 500 else "Service"
    body["Message" if error.aws_type in UPPER_CASE_MESSAGE else "message"] = error.message
    headers = {
        "x-amzn-RequestId": request_id or ids.uuid4(),
        "x-amzn-ErrorType": error.aws_type,
    }
    if isinstance(error, TooManyRequestsException):
        body["Reason"] = error.reason
    return Response(
        json.dumps(body),
        status_code=error.http_status,
        headers=headers,
        media_type="application/json",
    )


def service_error(error: LambdactlError | Exception) -> Response:
    """A failure of lambdactl itself (its state cannot be read, a bug): AWS's 500
    ServiceException, with lambdactl's one-line reason as the message."""
    if not isinstance(error, LambdactlError):
        log.exception("request failed")
    message = error.message if isinstance(error, LambdactlError) else f"internal error: {error!r}"
    failure = AwsError(message)
    return error_response(failure)


def client_gone() -> Response:
    """The client closed its connection before sending the body it announced: nobody is
    left to answer, and nothing failed here (a debug line only). The response is never sent."""
    log.debug("a client closed its connection before its request was read")
    return Response(status_code=400)


class UnknownOperation(AwsError):
    """A request lambdactl's server does not implement: named, so the caller knows what."""

    aws_type = "UnknownOperationException"
    http_status = 400
