"""Successful rest-json responses: a JSON body and the request id header AWS always sends."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from .. import ids


def aws_json(data: Any, *, status: int = 200, request_id: str | None = None) -> Response:
    """`data` as the JSON body of a Lambda API response."""
    return Response(
        json.dumps(data),
        status_code=status,
        headers={"x-amzn-RequestId": request_id or ids.uuid4()},
        media_type="application/json",
    )


def no_content(*, status: int = 204) -> Response:
    """A success with an empty body (DeleteAlias, DeleteFunctionConcurrency, ...)."""
    return Response(status_code=status, headers={"x-amzn-RequestId": ids.uuid4()})
