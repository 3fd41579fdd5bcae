"""Changing functions over HTTP (`lambdactl.api.management`): boto3 against a real
`lambdactl serve`, and separate `lambdactl` processes beside it reading the same store."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambdactl import queues
from lambdactl.project import Project
from tests.api.conftest import Server
from tests.runtime import fn, process_gone, write_functions
from tests.uploads import HANDLER, ROLE, handler_zip, zip_of

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012"


def lambdactl(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", *args],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return done


def create(client: Any, name: str = "made", **given: Any) -> dict[str, Any]:
    request = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "main.handler",
        "Code": {"ZipFile": handler_zip()},
        **given,
    }
    return client.create_function(**request)  # type: ignore[no-any-return]


def invoke(client: Any, name: str, **options: Any) -> tuple[Any, str]:
    response = client.invoke(FunctionName=name, Payload=b'{"n": 1}', **options)
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read()), response["ExecutedVersion"]


def test_create_invoke_publish_alias(server: Server, lambda_client: Any) -> None:
    upload = handler_zip()
    created = create(lambda_client, Environment={"Variables": {"GREETING": "hi"}})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert created["FunctionArn"] == f"{ARN}:made"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(upload).digest()).decode()
    assert created["Role"] == ROLE
    lambda_client.get_waiter("function_active_v2").wait(FunctionName="made")
    assert invoke(lambda_client, "made") == (
        {"from": "api", "event": {"n": 1}, "greeting": "hi"},
        "$LATEST",
    )
    published = lambda_client.publish_version(FunctionName="made", Description="first")
    assert (published["Version"], published["CodeSha256"]) == ("1", created["CodeSha256"])
    alias = lambda_client.create_alias(FunctionName="made", Name="live", FunctionVersion="1")
    assert alias["AliasArn"] == f"{ARN}:made:live"
    assert invoke(lambda_client, "made", Qualifier="live")[1] == "1"
    # a separate process lists it, marked as the API's
    listed = lambdactl(server.project_dir, "list").stdout
    rows = {words[0]: words for words in map(str.split, listed.splitlines()) if words}
    assert rows["made"][1:3] == ["API", "1"], listed
    got = lambda_client.get_function(FunctionName="made", Qualifier="live")
    assert got["Configuration"]["FunctionArn"] == f"{ARN}:made:live"
    assert got["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(got["Code"]["Location"], timeout=30) as downloaded:
        assert downloaded.read() == upload
    names = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
    assert names == ["hello", "made"]


def test_create_with_publish_answers_version_1_unqualified(lambda_client: Any) -> None:
    created = create(lambda_client, Publish=True)
    assert (created["Version"], created["FunctionArn"]) == ("1", f"{ARN}:made")
    assert invoke(lambda_client, "made", Qualifier="1")[1] == "1"


def test_create_errors_are_the_exceptions_boto3_raises(lambda_client: Any) -> None:
    errors = lambda_client.exceptions
    create(lambda_client)
    with pytest.raises(errors.ResourceConflictException, match="Function already exist: made"):
        create(lambda_client)
    with pytest.raises(errors.ResourceConflictException, match="Function already exist: hello"):
        create(lambda_client, "hello")
    with pytest.raises(errors.InvalidParameterValueException, match="Could not unzip"):
        create(lambda_client, "other", Code={"ZipFile": b"not a zip"})
    escaping = zip_of({"main.py": HANDLER, "../escaped.py": "x"})
    with pytest.raises(errors.InvalidParameterValueException, match="'../escaped.py'"):
        create(lambda_client, "other", Code={"ZipFile": escaping})
    with pytest.raises(errors.InvalidParameterValueException, match="Code.ZipFile only"):
        create(lambda_client, "other", Code={"S3Bucket": "bucket", "S3Key": "code.zip"})
    with pytest.raises(errors.InvalidParameterValueException, match="python3.7 is no longer"):
        create(lambda_client, "other", Runtime="python3.7")
    with pytest.raises(errors.ClientError) as caught:
        create(lambda_client, "other", MemorySize=10241)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "other" not in [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]


def test_update_code_configuration_and_delete(server: Server, lambda_client: Any) -> None:
    errors = lambda_client.exceptions
    revision = create(lambda_client)["RevisionId"]
    with pytest.raises(errors.PreconditionFailedException, match="Revision Id provided"):
        lambda_client.update_function_code(
            FunctionName="made", ZipFile=handler_zip(), RevisionId="stale"
        )
    second = "def handler(event, context):\n    return 'second'\n"
    updated = lambda_client.update_function_code(
        FunctionName="made", ZipFile=handler_zip(second), RevisionId=revision
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName="made")
    assert invoke(lambda_client, "made")[0] == "second"
    configured = lambda_client.update_function_configuration(
        FunctionName="made", Timeout=9, Environment={"Variables": {"GREETING": "x"}}
    )
    assert configured["Timeout"] == 9
    assert configured["Environment"] == {"Variables": {"GREETING": "x"}}

    with pytest.raises(errors.ResourceConflictException, match="functions.yaml"):
        lambda_client.update_function_code(FunctionName="hello", ZipFile=handler_zip())
    overridden = lambda_client.update_function_configuration(FunctionName="hello", MemorySize=256)
    assert overridden["MemorySize"] == 256
    shown = lambdactl(server.project_dir, "show", "hello").stdout
    assert "256 MB (overridden at run time; manifest: 128 MB)" in shown

    deleted = lambda_client.delete_function(FunctionName="made")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(errors.ResourceNotFoundException, match=f"Function not found: {ARN}:made"):
        lambda_client.invoke(FunctionName="made")
    with pytest.raises(errors.ResourceConflictException, match="functions.yaml"):
        lambda_client.delete_function(FunctionName="hello")


def test_configuration_members_are_recorded_or_refused(server: Server, lambda_client: Any) -> None:
    """What lambdactl does not run (tracing, /tmp size, a KMS key, the role) is recorded and
    shown as AWS shows it, a version freezes it, and `show` marks a manifest function's as
    overridden; what it does not model at all is refused with the reason."""
    errors = lambda_client.exceptions
    role = "arn:aws:iam::123456789012:role/other"
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    changed = lambda_client.update_function_configuration(
        FunctionName="hello",
        Role=role,
        EphemeralStorage={"Size": 2048},
        TracingConfig={"Mode": "Active"},
        KMSKeyArn=key,
        VpcConfig={"SubnetIds": [], "SecurityGroupIds": []},  # no VPC: what it is
        SnapStart={"ApplyOn": "None"},
    )
    recorded = {
        "Role": role,
        "EphemeralStorage": {"Size": 2048},
        "TracingConfig": {"Mode": "Active"},
        "KMSKeyArn": key,
    }
    got = lambda_client.get_function_configuration(FunctionName="hello")
    for shape in (changed, got):
        assert {k: shape.get(k) for k in recorded} == recorded
    shown = lambdactl(server.project_dir, "show", "hello").stdout
    assert f"{role} (overridden at run time; manifest: none)" in shown
    assert "2048 MB (overridden at run time; manifest: 512 MB)" in shown
    published = lambda_client.publish_version(FunctionName="hello")
    lambda_client.update_function_configuration(
        FunctionName="hello", EphemeralStorage={"Size": 512}, TracingConfig={"Mode": "PassThrough"}
    )
    frozen = lambda_client.get_function_configuration(
        FunctionName="hello", Qualifier=published["Version"]
    )
    assert (frozen["EphemeralStorage"], frozen["TracingConfig"]) == (
        {"Size": 2048},
        {"Mode": "Active"},
    )
    latest = lambda_client.get_function_configuration(FunctionName="hello")
    assert (latest["EphemeralStorage"], latest["TracingConfig"]) == (
        {"Size": 512},
        {"Mode": "PassThrough"},
    )

    refused = {
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
        "FileSystemConfigs": [
            {"Arn": "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1",
             "LocalMountPath": "/mnt/efs"}
        ],
        "ImageConfig": {"Command": ["app.handler"]},
        "SnapStart": {"ApplyOn": "PublishedVersions"},
        "Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"],
        "DeadLetterConfig": {"TargetArn": f"{QUEUE_ARN}:dlq"},
    }
    for member, value in refused.items():
        with pytest.raises(errors.InvalidParameterValueException, match="lambdactl does not"):
            lambda_client.update_function_configuration(FunctionName="hello", **{member: value})
    with pytest.raises(errors.ClientError) as caught:
        lambda_client.update_function_configuration(
            FunctionName="hello", TracingConfig={"Mode": "Sometimes"}
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_create_function_keeps_its_tags_and_refuses_what_it_cannot_model(
    lambda_client: Any,
) -> None:
    errors = lambda_client.exceptions
    create(lambda_client, Tags={"team": "a"}, TracingConfig={"Mode": "Active"})
    got = lambda_client.get_function(FunctionName="made")
    assert got["Tags"] == {"team": "a"}
    assert got["Configuration"]["TracingConfig"] == {"Mode": "Active"}
    with pytest.raises(errors.InvalidParameterValueException, match="VPCs"):
        create(lambda_client, "other", VpcConfig={"SubnetIds": ["subnet-1"]})
    assert "Tags" not in lambda_client.get_function(FunctionName="hello")


PID = "import os\n\ndef handler(event, context):\n    return os.getpid()\n"


def runtime_pid(client: Any, name: str, **options: Any) -> int:
    response = client.invoke(FunctionName=name, **options)
    assert "FunctionError" not in response, response["Payload"].read()
    return int(response["Payload"].read())


def gone_soon(pid: int) -> bool:
    """Within 10 s: far within the idle timeout (300 s) that would end it otherwise."""
    deadline = time.monotonic() + 10
    while not process_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_environments_of_what_was_changed_or_deleted_go_at_once(
    serve: Callable[..., Server], project_dir: Path
) -> None:
    """Not at the idle timeout: a changed `$LATEST`'s environment (code or configuration,
    of a created or a manifest function), a deleted version's, a deleted function's; what
    did not change stays warm."""
    write_functions(project_dir, {"declared": fn("app.run", source="basic.py")})
    client = serve().client()
    create(client, Code={"ZipFile": handler_zip(PID)})
    first = runtime_pid(client, "made")
    client.update_function_code(FunctionName="made", ZipFile=handler_zip(PID + "# 2\n"))
    assert gone_soon(first)
    published = client.publish_version(FunctionName="made")["Version"]
    latest, version = runtime_pid(client, "made"), runtime_pid(client, "made", Qualifier=published)
    client.update_function_configuration(FunctionName="made", Timeout=9)
    assert gone_soon(latest)
    assert runtime_pid(client, "made", Qualifier=published) == version  # unchanged: warm
    client.delete_function(FunctionName="made", Qualifier=published)
    assert gone_soon(version)
    again = runtime_pid(client, "made")
    client.delete_function(FunctionName="made")
    assert gone_soon(again)

    event = json.dumps({"do": "pid"})
    declared = json.loads(client.invoke(FunctionName="declared", Payload=event)["Payload"].read())
    client.update_function_configuration(FunctionName="declared", MemorySize=256)
    assert gone_soon(declared)


def test_concurrency(server: Server, lambda_client: Any) -> None:
    errors = lambda_client.exceptions
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(
        FunctionName="hello"
    )
    put = lambda_client.put_function_concurrency(
        FunctionName="hello", ReservedConcurrentExecutions=0
    )
    assert put["ReservedConcurrentExecutions"] == 0
    with pytest.raises(errors.TooManyRequestsException) as caught:
        lambda_client.invoke(FunctionName="hello")
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    got = lambda_client.get_function(FunctionName="hello")
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(errors.InvalidParameterValueException, match=r"minimum value of \[100\]"):
        lambda_client.put_function_concurrency(
            FunctionName="hello", ReservedConcurrentExecutions=901
        )
    deleted = lambda_client.delete_function_concurrency(FunctionName="hello")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    invoked = lambda_client.invoke(FunctionName="hello")
    assert invoked["StatusCode"] == 200
    invoked["Payload"].close()  # the connection goes back to the pool
    account = lambda_client.get_account_settings()
    assert account["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
    assert account["AccountUsage"]["FunctionCount"] == 1


def test_event_invoke_configs_and_the_worker_inside_serve(
    server: Server, lambda_client: Any, project_dir: Path
) -> None:
    errors = lambda_client.exceptions
    missing = f"The function {ARN}:failing:$LATEST doesn't have an EventInvokeConfig"
    create(lambda_client, "failing", Handler="main.fails")
    with pytest.raises(errors.ResourceNotFoundException) as caught:
        lambda_client.get_function_event_invoke_config(FunctionName="failing")
    assert caught.value.response["Error"]["Message"] == missing
    project = Project.open(project_dir / "functions.yaml")
    try:
        queues.create(project, "failures")
        put = lambda_client.put_function_event_invoke_config(
            FunctionName="failing",
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": f"{QUEUE_ARN}:failures"}},
        )
        assert put["FunctionArn"] == f"{ARN}:failing:$LATEST"
        assert put["DestinationConfig"] == {
            "OnSuccess": {},
            "OnFailure": {"Destination": f"{QUEUE_ARN}:failures"},
        }
        updated = lambda_client.update_function_event_invoke_config(
            FunctionName="failing", MaximumEventAgeInSeconds=600
        )
        assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (0, 600)
        shown = lambdactl(server.project_dir, "show", "failing").stdout
        assert (
            "Async            retries 0, max age 600 s, on failure: queue failures (set at run "
            "time)"
        ) in shown
        listed = lambda_client.list_function_event_invoke_configs(FunctionName="failing")
        assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
            f"{ARN}:failing:$LATEST"
        ]
        with pytest.raises(errors.InvalidParameterValueException, match="is invalid"):
            lambda_client.put_function_event_invoke_config(
                FunctionName="failing",
                DestinationConfig={"OnFailure": {"Destination": f"{QUEUE_ARN}:nope"}},
            )
        queued = lambda_client.invoke(FunctionName="failing", InvocationType="Event")
        assert (queued["StatusCode"], queued["Payload"].read()) == (202, b"")
        deadline = time.monotonic() + 30
        received: list[dict[str, Any]] = []
        while not received:
            assert time.monotonic() < deadline, "no record reached the OnFailure queue"
            received = queues.receive(project, "failures", max_messages=1)
            time.sleep(0.05)
        record = json.loads(received[0]["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 1  # no retry
    finally:
        project.close()
    deleted = lambda_client.delete_function_event_invoke_config(FunctionName="failing")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(errors.ResourceNotFoundException):
        lambda_client.get_function_event_invoke_config(FunctionName="failing")
