"""Lambda's shapes for functions: Invoke's response (FunctionConfiguration and
AliasConfiguration are pinned through the CLI in tests/cli/test_output_json.py)."""

from __future__ import annotations

from lambdactl import shapes
from lambdactl.invoke import InvocationResult

RID = "3f0f6c1e-1d6a-4a3b-9a53-6f5d2b1c0e7a"


def test_a_queued_invocation_is_its_status_and_request_id() -> None:
    queued = InvocationResult(202, RID, "$LATEST")
    assert shapes.invoke_response(queued) == {"StatusCode": 202, "RequestId": RID}


def test_a_function_error_with_a_tail_in_the_aws_clis_order() -> None:
    failed = InvocationResult(
        200, RID, "3", b'{"errorType": "E"}', function_error="Unhandled", log_result="dGFpbA=="
    )
    shape = shapes.invoke_response(failed)
    assert list(shape) == [
        "StatusCode",
        "FunctionError",
        "ExecutedVersion",
        "LogResult",
        "Payload",
        "RequestId",
    ]
    assert shape["Payload"] == {"errorType": "E"}


def test_a_payload_that_is_not_json_is_its_text() -> None:
    assert shapes.invoke_response(InvocationResult(200, RID, "1", b"plain"))["Payload"] == "plain"
    dry_run = shapes.invoke_response(InvocationResult(204, RID, "1"))
    assert dry_run == {"StatusCode": 204, "ExecutedVersion": "1", "Payload": "", "RequestId": RID}
