"""Invoking a deployed function (`lambdactl invoke F --remote`): the same request as a local
invoke, sent to AWS Lambda with the deploy's credentials, and its answer in the shape the CLI
shows a local one with (so local and cloud results compare with one flag).

A RequestResponse invoke always asks for the log tail: its REPORT line gives the summary the
CLI prints (duration, memory), as a local invoke's; the tail itself is shown only when asked.
"""

from __future__ import annotations

import base64

from ..logs import reports
from ..replies import Reply
from .apply import Clients, Target, _call


def invoke(
    target: Target,
    function: str,
    *,
    qualifier: str | None = None,
    payload: bytes = b"",
    invocation_type: str = "RequestResponse",
    log_type: str = "None",
    client_context: str | None = None,
) -> Reply:
    """Invoke `function` (its remote name) on `target`; AWS's refusal is one line."""
    clients = Clients(target)
    request: dict[str, object] = {
        "FunctionName": function,
        "InvocationType": invocation_type,
        "Payload": payload,
    }
    if invocation_type == "RequestResponse":
        request["LogType"] = "Tail"  # for the REPORT line of the summary
    elif log_type != "None":
        request["LogType"] = log_type
    if qualifier:
        request["Qualifier"] = qualifier
    if client_context:
        request["ClientContext"] = client_context
    answer = _call(f"function:{function}", lambda: clients("lambda").invoke(**request))
    tail = answer.get("LogResult")
    report = None
    if tail:
        lines = base64.b64decode(tail).decode("utf-8", "replace").splitlines()
        found = [r for r in map(reports.parse, lines) if r is not None]
        report = found[-1] if found else None
    body = answer.get("Payload")
    return Reply(
        status_code=int(answer["StatusCode"]),
        request_id=str(answer.get("ResponseMetadata", {}).get("RequestId", "")),
        executed_version=str(answer.get("ExecutedVersion", "")),
        payload=body.read() if body is not None else b"",
        function_error=answer.get("FunctionError"),
        log_result=tail if log_type == "Tail" else None,
        report=report,
    )
