"""Invoke through boto3 against a real server: status codes, headers, errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest


def test_sync_invoke_returns_the_payload_and_the_executed_version(lambda_client: Any) -> None:
    response = lambda_client.invoke(FunctionName="hello", Payload=b'{"name": "boto"}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"hello": "boto"}
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_tail_returns_the_invocation_log(lambda_client: Any) -> None:
    response = lambda_client.invoke(FunctionName="hello", LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert f"REPORT RequestId: {request_id}" in log


def test_event_is_accepted_with_202_and_dry_run_with_204(lambda_client: Any) -> None:
    event = lambda_client.invoke(FunctionName="hello", InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == 202
    assert event["Payload"].read() == b""
    dry = lambda_client.invoke(FunctionName="hello", InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def test_a_handler_error_is_200_with_the_function_error_header(
    lambda_client: Any, project_dir: Any
) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(
        "def handler(event, context):\n    raise ValueError('bad thing')\n"
    )
    response = lambda_client.invoke(FunctionName="hello")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad thing"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("missing", "ResourceNotFoundException"),
        ("arn:aws:lambda:us-east-1:123456789012:function:missing", "ResourceNotFoundException"),
        ("hello:nope", "ResourceNotFoundException"),
        ("bad name!", "ValidationException"),
    ],
)
def test_errors_are_aws_types_boto3_recognises(lambda_client: Any, name: str, error: str) -> None:
    with pytest.raises(lambda_client.exceptions.ClientError) as caught:
        lambda_client.invoke(FunctionName=name)
    assert caught.value.response["Error"]["Code"] == error


def test_invalid_json_is_invalid_request_content(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException) as caught:
        lambda_client.invoke(FunctionName="hello", Payload=b"{nope")
    assert "Could not parse request body into json" in str(caught.value)


def test_qualifier_in_the_name_and_as_parameter_must_agree(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as caught:
        lambda_client.invoke(FunctionName="hello:1", Qualifier="2")
    assert "derived qualifier" in str(caught.value)


def test_an_unimplemented_operation_is_named_not_a_500(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ClientError) as caught:
        lambda_client.get_policy(FunctionName="hello")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "GetPolicy" in error["Error"]["Message"]
    # ... and the server still answers
    assert lambda_client.invoke(FunctionName="hello")["StatusCode"] == 200
