"""Invoke and the deprecated InvokeAsync, as Lambda's rest-json API carries them: the event is
the raw body, the options are headers and the `Qualifier` query parameter, and the result is
the status code, a few `X-Amz-*` headers and the function's response bytes."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from ..endpoint import SUMMARY_HEADER
from ..invoke import InvocationResult
from ..logs import reports
from ..payloads import MAX_SYNC_PAYLOAD_BYTES
from . import bodies
from .backend import Backend


async def invoke(request: Request) -> Response:
    """POST /2015-03-31/functions/{FunctionName}/invocations"""
    backend: Backend = request.app.state.backend
    headers = request.headers
    result = await backend.call(
        backend.invoker.invoke,
        request.path_params["function"],
        qualifier=request.query_params.get("Qualifier"),
        payload=await bodies.read(request, MAX_SYNC_PAYLOAD_BYTES, "InvokeFunction"),
        invocation_type=headers.get("x-amz-invocation-type", "RequestResponse"),
        log_type=headers.get("x-amz-log-type", "None"),
        client_context=headers.get("x-amz-client-context"),
    )
    reply = {"x-amzn-RequestId": result.request_id}
    if SUMMARY_HEADER in headers:
        reply[SUMMARY_HEADER] = summary(result)
    if result.status_code != 200:  # 202 queued, 204 dry run: no body
        return Response(status_code=result.status_code, headers=reply)
    reply["X-Amz-Executed-Version"] = result.executed_version
    if result.function_error:
        reply["X-Amz-Function-Error"] = result.function_error
    if result.log_result is not None:
        reply["X-Amz-Log-Result"] = result.log_result
    return Response(result.payload, headers=reply, media_type="application/json")


def summary(result: InvocationResult) -> str:
    """What lambdactl's CLI prints beside the payload and AWS's headers do not carry: the
    executed version of a dry run, and the invocation's REPORT (with its error type)."""
    report = reports.to_json(result.report) if result.report is not None else None
    return json.dumps({"ExecutedVersion": result.executed_version, "Report": report})


async def invoke_async(request: Request) -> Response:
    """POST /2014-11-13/functions/{FunctionName}/invoke-async: an Event invoke, answered
    with 202 and `{"Status": 202}`."""
    backend: Backend = request.app.state.backend
    result = await backend.call(
        backend.invoker.invoke,
        request.path_params["function"],
        payload=await bodies.read(request, MAX_SYNC_PAYLOAD_BYTES, "InvokeAsync"),
        invocation_type="Event",
    )
    return Response(
        json.dumps({"Status": 202}),
        status_code=202,
        headers={"x-amzn-RequestId": result.request_id},
        media_type="application/json",
    )
