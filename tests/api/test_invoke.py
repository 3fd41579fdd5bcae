"""Invoke through boto3 against a real server: status codes, headers, errors."""

from __future__ import annotations

import base64
import http.client
import json
import time
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.api.conftest import Server


def request(
    server: Server, method: str, path: str, body: bytes = b""
) -> tuple[int, Message, bytes]:
    """A raw request: (status, headers (any case), body)."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


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


ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"
VERSION_VALUE = """\
import os

def handler(event, context):
    return {"version": context.function_version, "arn": context.invoked_function_arn}
"""


def test_every_way_of_naming_a_version_or_alias(lambda_client: Any, project_dir: Path) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(VERSION_VALUE)
    lambda_client.publish_version(FunctionName="hello")
    lambda_client.create_alias(FunctionName="hello", Name="live", FunctionVersion="1")
    cases = [
        ({"FunctionName": "hello"}, "$LATEST", ARN),
        ({"FunctionName": "hello:$LATEST"}, "$LATEST", f"{ARN}:$LATEST"),
        ({"FunctionName": "hello", "Qualifier": "1"}, "1", f"{ARN}:1"),
        ({"FunctionName": "hello:1"}, "1", f"{ARN}:1"),
        ({"FunctionName": "hello:live"}, "1", f"{ARN}:live"),
        ({"FunctionName": "hello", "Qualifier": "live"}, "1", f"{ARN}:live"),
        ({"FunctionName": f"{ARN}:live"}, "1", f"{ARN}:live"),
        ({"FunctionName": "123456789012:function:hello:1"}, "1", f"{ARN}:1"),
        ({"FunctionName": "function:hello", "Qualifier": "live"}, "1", f"{ARN}:live"),
    ]
    for arguments, executed, invoked_arn in cases:
        response = lambda_client.invoke(**arguments)
        assert response["ExecutedVersion"] == executed, arguments
        body = json.loads(response["Payload"].read())
        assert body == {"version": executed, "arn": invoked_arn}, arguments


def test_the_path_is_percent_decoded(server: Server) -> None:
    """botocore sends `:` and `$` percent-encoded; other clients may send them raw."""
    for name, executed in [
        ("hello%3A%24LATEST", "$LATEST"),
        ("hello:$LATEST", "$LATEST"),
        (quote(f"{ARN}:$LATEST", safe=""), "$LATEST"),
        ("%68%65%6c%6c%6f", "$LATEST"),
    ]:
        path = f"/2015-03-31/functions/{name}/invocations"
        status, headers, _ = request(server, "POST", path)
        assert (status, headers["X-Amz-Executed-Version"]) == (200, executed), name
    path = "/2015-03-31/functions/hello/invocations?Qualifier=%24LATEST"
    assert request(server, "POST", path)[0] == 200


CLIENT_CONTEXT = """\
def handler(event, context):
    cc = context.client_context
    return {"custom": cc.custom, "env": cc.env, "app": cc.client.app_title} if cc else None
"""


def test_the_client_context_reaches_the_handler(lambda_client: Any, project_dir: Path) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(CLIENT_CONTEXT)
    context = {"custom": {"tenant": "t1"}, "env": {"locale": "fr"}, "client": {"app_title": "A"}}
    encoded = base64.b64encode(json.dumps(context).encode()).decode()
    response = lambda_client.invoke(FunctionName="hello", ClientContext=encoded)
    assert json.loads(response["Payload"].read()) == {
        "custom": {"tenant": "t1"}, "env": {"locale": "fr"}, "app": "A"
    }
    plain = lambda_client.invoke(FunctionName="hello")
    assert plain["Payload"].read() == b"null"
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException) as bad:
        lambda_client.invoke(FunctionName="hello", ClientContext="bm90IGpzb24=")  # "not json"
    assert bad.value.response["Error"]["Message"] == (
        "Client context must be a valid Base64-encoded JSON object."
    )


WRITES_A_FILE = """\
import json, pathlib

def handler(event, context):
    pathlib.Path(event["path"]).write_text(json.dumps(event))
"""


def test_invoke_async_is_202_and_the_server_runs_the_event(
    lambda_client: Any, project_dir: Path
) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(WRITES_A_FILE)
    target = project_dir / "ran.json"
    response = lambda_client.invoke_async(
        FunctionName="hello", InvokeArgs=json.dumps({"path": str(target)}).encode()
    )
    assert response["Status"] == 202
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    deadline = time.monotonic() + 60
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(target.read_text()) == {"path": str(target)}


def test_request_size_limits_are_413_and_leave_the_server_healthy(lambda_client: Any) -> None:
    over_six = b'"' + b"x" * (6 * 1024 * 1024) + b'"'
    with pytest.raises(lambda_client.exceptions.ClientError) as sync:
        lambda_client.invoke(FunctionName="hello", Payload=over_six)
    assert sync.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert sync.value.response["Error"] == {
        "Code": "RequestEntityTooLargeException",
        "Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    }
    over_one = b'"' + b"x" * (1024 * 1024) + b'"'
    with pytest.raises(lambda_client.exceptions.ClientError) as event:
        lambda_client.invoke(FunctionName="hello", InvocationType="Event", Payload=over_one)
    assert event.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert event.value.response["Error"]["Message"] == (
        f"{len(over_one)} byte payload is too large for the Event invocation type "
        "(limit 1048576 bytes)"
    )
    # the same megabyte is fine for a synchronous call, and the server goes on
    response = lambda_client.invoke(FunctionName="hello", Payload=b'{"pad": ' + over_one + b"}")
    assert json.loads(response["Payload"].read()) == {"hello": "world"}


NOISY = """\
def handler(event, context):
    for i in range(300):
        print(f"line {i:04d} " + "x" * 40)
    return "done"
"""


def test_tail_is_the_last_4_kb_of_the_log(lambda_client: Any, project_dir: Path) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(NOISY)
    response = lambda_client.invoke(FunctionName="hello", LogType="Tail")
    log = base64.b64decode(response["LogResult"])
    assert len(log) == 4096
    text = log.decode()
    assert text.startswith(("line", " ", "x")) or "\n" in text
    assert "line 0299" in text and "line 0000" not in text
    assert text.rstrip("\n").splitlines()[-1].startswith("REPORT RequestId: ")
