"""Create/Get/Update/Delete/ListEventSourceMappings through boto3 and the AWS CLI against a
real `lambdactl serve`: a local queue or stream wired to a function at run time, polled by the
server (the worker-lock holder), AWS's transitional states until it has applied a change, the
same mappings in `lambdactl mappings`, and kept across a restart."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambdactl.project import Project
from tests.api.conftest import Server
from tests.api.test_awscli import aws
from tests.sources import wait_for

ACCOUNT = "123456789012"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:"
WORKER_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
NOT_FOUND = "The resource you requested does not exist."

# One line per record delivered: [source ARN, body or decoded data, records in its batch].
HANDLER = """\
import base64, json, os

def handler(event, context):
    with open(os.environ["SEEN"], "a") as f:
        for r in event["Records"]:
            data = r["body"] if "body" in r else base64.b64decode(r["kinesis"]["data"]).decode()
            f.write(json.dumps([r["eventSourceARN"], data, len(event["Records"])]) + "\\n")
"""


@pytest.fixture
def project(project_dir: Path) -> Path:
    """Two functions (`other` maps the manifest's queue `jobs`), a stream `clicks`."""
    (project_dir / "src" / "worker").mkdir()
    (project_dir / "src" / "worker" / "app.py").write_text(HANDLER)
    function = (
        "    handler: app.handler\n    code: src/worker\n    timeout: 3\n"
        f"    environment: {{SEEN: {project_dir / 'seen.jsonl'}}}\n"
    )
    (project_dir / "functions.yaml").write_text(
        f'region: us-east-1\naccount: "{ACCOUNT}"\nfunctions:\n'
        f"  worker:\n{function}  other:\n{function}    events:\n      - queue: jobs\n"
        "queues:\n  jobs: {}\nstreams:\n  clicks: {shards: 1}\n"
    )
    return project_dir


def seen(project_dir: Path) -> list[list[Any]]:
    path = project_dir / "seen.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def state_of(client: Any, uuid: str) -> str:
    return str(client.get_event_source_mapping(UUID=uuid)["State"])


def settled(client: Any, uuid: str, state: str) -> None:
    """Wait until the server applied the mapping's change (it syncs every half second)."""
    wait_for(lambda: state_of(client, uuid) == state, seconds=30.0)


def lambdactl(project_dir: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", *args, "-o", "json"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_queue_wired_at_run_time_is_polled_updated_disabled_and_deleted(
    project: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    lam, sqs = server.client("lambda"), server.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    created = lam.create_event_source_mapping(
        EventSourceArn=QUEUE_ARN + "orders", FunctionName="worker", BatchSize=5
    )
    uuid = created["UUID"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert (created["BatchSize"], created["MaximumBatchingWindowInSeconds"]) == (5, 0)
    assert created["FunctionArn"] == WORKER_ARN
    assert created["EventSourceArn"] == QUEUE_ARN + "orders"
    assert created["FunctionResponseTypes"] == []
    assert created["EventSourceMappingArn"] == (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:{uuid}"
    )
    assert abs(created["LastModified"].timestamp() - time.time()) < 60
    settled(lam, uuid, "Enabled")

    sqs.send_message(QueueUrl=url, MessageBody="one")
    wait_for(lambda: seen(project) == [[QUEUE_ARN + "orders", "one", 1]], seconds=30.0)
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK")

    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=2)
    assert (updated["State"], updated["BatchSize"]) == ("Updating", 2)
    settled(lam, uuid, "Enabled")
    assert lam.get_event_source_mapping(UUID=uuid)["BatchSize"] == 2

    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    settled(lam, uuid, "Disabled")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    time.sleep(1.5)  # three syncs: a disabled mapping polls nothing
    assert len(seen(project)) == 1
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    shown = lambdactl(project, "mappings", "show", uuid)  # the CLI sees the API's mapping
    assert (shown["State"], shown["BatchSize"], shown["FunctionArn"]) == ("Disabled", 2, WORKER_ARN)

    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    wait_for(lambda: len(seen(project)) == 2, seconds=30.0)
    assert seen(project)[1][1] == "two"
    settled(lam, uuid, "Enabled")

    deleted = lam.delete_event_source_mapping(UUID=uuid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["State"] == "Deleting"

    def gone() -> bool:
        try:
            lam.get_event_source_mapping(UUID=uuid)
        except lam.exceptions.ResourceNotFoundException as exc:
            return bool(exc.response["Error"]["Message"] == NOT_FOUND)
        return False

    wait_for(gone, seconds=30.0)
    sqs.send_message(QueueUrl=url, MessageBody="three")
    time.sleep(1.5)
    assert len(seen(project)) == 2


def test_a_stream_mapping_has_the_stream_members_and_reads_records(
    project: Path, serve: Callable[..., Server]
) -> None:
    from lambdactl import streams

    server = serve()
    lam = server.client("lambda")
    created = lam.create_event_source_mapping(
        EventSourceArn=STREAM_ARN, FunctionName="worker", StartingPosition="TRIM_HORIZON"
    )
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"
    assert created["LastProcessingResult"] == "No records processed"
    members = {key: created[key] for key in created if key not in ("ResponseMetadata",)}
    assert {
        k: members[k]
        for k in (
            "StartingPosition",
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "ParallelizationFactor",
            "DestinationConfig",
            "MaximumRecordAgeInSeconds",
            "BisectBatchOnFunctionError",
            "MaximumRetryAttempts",
            "TumblingWindowInSeconds",
            "FunctionResponseTypes",
        )
    } == {
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "ParallelizationFactor": 1,
        "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
    }
    uuid = created["UUID"]
    settled(lam, uuid, "Enabled")
    project_handle = Project.open(project / "functions.yaml")
    try:
        streams.put(project_handle, "clicks", b"a click", "user-1")
    finally:
        project_handle.close()
    wait_for(lambda: seen(project) == [[STREAM_ARN, "a click", 1]], seconds=30.0)
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK")
    updated = lam.update_event_source_mapping(
        UUID=uuid,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": QUEUE_ARN + "jobs"}},
    )
    assert updated["State"] == "Updating"
    assert updated["DestinationConfig"] == {"OnFailure": {"Destination": QUEUE_ARN + "jobs"}}
    assert (updated["BisectBatchOnFunctionError"], updated["MaximumRetryAttempts"]) == (True, 2)
    settled(lam, uuid, "Enabled")


def test_list_pages_and_filters(project: Path, serve: Callable[..., Server]) -> None:
    server = serve()
    lam = server.client("lambda")
    sqs = server.client("sqs")
    made = []
    for name in ("q1", "q2", "q3"):
        sqs.create_queue(QueueName=name)
        made.append(
            lam.create_event_source_mapping(EventSourceArn=QUEUE_ARN + name, FunctionName="worker")[
                "UUID"
            ]
        )
    every = lam.list_event_source_mappings()["EventSourceMappings"]
    declared = [m for m in every if m["FunctionArn"].endswith(":other")]
    assert len(every) == 4 and len(declared) == 1  # the manifest's, then the API's
    assert [m["UUID"] for m in every[1:]] == made
    assert declared[0]["EventSourceArn"] == QUEUE_ARN + "jobs"

    first = lam.list_event_source_mappings(MaxItems=2)
    assert [m["UUID"] for m in first["EventSourceMappings"]] == [every[0]["UUID"], made[0]]
    second = lam.list_event_source_mappings(MaxItems=2, Marker=first["NextMarker"])
    assert [m["UUID"] for m in second["EventSourceMappings"]] == made[1:]
    assert "NextMarker" not in second
    pages = lam.get_paginator("list_event_source_mappings").paginate(
        PaginationConfig={"PageSize": 1}
    )
    assert [m["UUID"] for page in pages for m in page["EventSourceMappings"]] == [
        m["UUID"] for m in every
    ]

    by_function = lam.list_event_source_mappings(FunctionName=WORKER_ARN)["EventSourceMappings"]
    assert [m["UUID"] for m in by_function] == made
    by_source = lam.list_event_source_mappings(EventSourceArn=QUEUE_ARN + "q2")
    assert [m["UUID"] for m in by_source["EventSourceMappings"]] == [made[1]]
    both = lam.list_event_source_mappings(FunctionName="other", EventSourceArn=QUEUE_ARN + "q2")
    assert both["EventSourceMappings"] == []
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.list_event_source_mappings(FunctionName="nobody")
    assert missing.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nobody"
    )
    unchecked = server.client("lambda", parameter_validation=False)
    with pytest.raises(unchecked.exceptions.ClientError) as invalid:
        unchecked.list_event_source_mappings(MaxItems=0)
    assert invalid.value.response["Error"]["Code"] == "ValidationException"


def test_errors_have_aws_types_and_messages(project: Path, serve: Callable[..., Server]) -> None:
    server = serve()
    lam = server.client("lambda")
    unchecked = server.client("lambda", parameter_validation=False)
    sqs = server.client("sqs")
    sqs.create_queue(QueueName="orders")

    def error(call: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
        with pytest.raises(lam.exceptions.ClientError) as caught:
            call(**params)
        response = caught.value.response
        status = response["ResponseMetadata"]["HTTPStatusCode"]
        return response["Error"]["Code"], response["Error"]["Message"], status

    create = lam.create_event_source_mapping
    invalid = "InvalidParameterValueException"
    assert error(create, EventSourceArn=QUEUE_ARN + "nope", FunctionName="worker") == (
        invalid,
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist.",
        400,
    )
    assert error(create, EventSourceArn=QUEUE_ARN + "orders", FunctionName="nobody") == (
        invalid,
        "Function does not exist",
        400,
    )
    assert error(create, EventSourceArn=STREAM_ARN, FunctionName="worker") == (
        invalid,
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null.",
        400,
    )
    missing_stream = STREAM_ARN + "-gone"
    assert error(
        create, EventSourceArn=missing_stream, FunctionName="worker", StartingPosition="LATEST"
    ) == (invalid, f"Stream not found: {missing_stream}", 400)
    assert error(create, EventSourceArn=QUEUE_ARN + "orders", FunctionName="worker", BatchSize=20)[
        :2
    ] == (
        invalid,
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10",
    )
    assert error(
        create,
        EventSourceArn=QUEUE_ARN + "orders",
        FunctionName="worker",
        DestinationConfig={"OnFailure": {"Destination": QUEUE_ARN + "jobs"}},
    )[:2] == (
        invalid,
        "Unsupported DestinationConfig parameter for given event source mapping type.",
    )
    assert error(
        unchecked.create_event_source_mapping,
        EventSourceArn=QUEUE_ARN + "orders",
        FunctionName="worker",
        BatchSize=0,
    )[:2] == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )
    dynamodb = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/stream/2024-01-01T00:00:00.000"
    code, message, _status = error(
        create, EventSourceArn=dynamodb, FunctionName="worker", StartingPosition="LATEST"
    )
    assert code == invalid and "local queues" in message
    assert error(create, EventSourceArn="arn:aws:s3:::bucket", FunctionName="worker")[:2] == (
        invalid,
        "Unrecognized event source.",
    )

    uuid = create(EventSourceArn=QUEUE_ARN + "orders", FunctionName="worker")["UUID"]
    assert error(create, EventSourceArn=QUEUE_ARN + "orders", FunctionName=WORKER_ARN) == (
        "ResourceConflictException",
        f'An event source mapping with SQS arn (" {QUEUE_ARN}orders ") and function (" worker '
        f'") already exists. Please update or delete the existing mapping with UUID {uuid}',
        409,
    )
    unknown = "0f8fad5b-d9cb-469f-a165-70867728950e"
    for call in (lam.get_event_source_mapping, lam.delete_event_source_mapping):
        assert error(call, UUID=unknown) == ("ResourceNotFoundException", NOT_FOUND, 404)
    assert error(lam.update_event_source_mapping, UUID=unknown, BatchSize=1)[0] == (
        "ResourceNotFoundException"
    )

    declared = lam.list_event_source_mappings(FunctionName="other")["EventSourceMappings"][0]
    code, message, status = error(lam.delete_event_source_mapping, UUID=declared["UUID"])
    assert (code, status) == ("ResourceConflictException", 409)
    assert message == (
        f"The event source mapping {declared['UUID']} is declared in functions.yaml "
        "(functions.other.events): change or remove it there, or disable it "
        "(UpdateEventSourceMapping Enabled=false)"
    )
    assert error(create, EventSourceArn=QUEUE_ARN + "jobs", FunctionName="worker", Tags={"a": "b"})[
        :2
    ] == (invalid, "lambdactl does not implement Tags for event source mappings")


def test_a_manifest_mapping_is_updated_through_the_api(
    project: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    lam = server.client("lambda")
    (declared,) = lam.list_event_source_mappings(FunctionName="other")["EventSourceMappings"]
    uuid = declared["UUID"]
    assert (declared["State"], declared["BatchSize"]) == ("Enabled", 10)
    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=3, Enabled=False)
    assert (updated["State"], updated["BatchSize"]) == ("Disabling", 3)
    settled(lam, uuid, "Disabled")
    shown = lambdactl(project, "mappings", "show", uuid)
    assert (shown["State"], shown["BatchSize"]) == ("Disabled", 3)
    # the manifest edited under the override: the manifest wins again
    text = (project / "functions.yaml").read_text()
    (project / "functions.yaml").write_text(
        text.replace("      - queue: jobs\n", "      - queue: jobs\n        batch_size: 4\n")
    )
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["BatchSize"] == 4, seconds=30.0)


def test_mappings_survive_a_restart_and_settle_when_a_server_starts(
    project: Path, serve: Callable[..., Server]
) -> None:
    from lambdactl.sources import mappings

    first = serve()
    lam, sqs = first.client("lambda"), first.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.create_queue(QueueName="later")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=QUEUE_ARN + "orders", FunctionName="worker", BatchSize=4
    )["UUID"]
    settled(lam, uuid, "Enabled")
    first.stop()

    # With no server running, a mapping made (as the API makes it) waits in Creating.
    handle = Project.open(project / "functions.yaml")
    try:
        source = mappings.source_of(
            handle, QUEUE_ARN + "later", "worker", {}, uuid=mappings.new_uuid()
        )
        waiting = mappings.create(handle, source).uuid
    finally:
        handle.close()
    assert lambdactl(project, "mappings", "show", waiting)["State"] == "Creating"

    second = serve()
    lam, sqs = second.client("lambda"), second.client("sqs")
    again = lam.get_event_source_mapping(UUID=uuid)
    assert (again["State"], again["BatchSize"]) == ("Enabled", 4)
    settled(lam, waiting, "Enabled")
    sqs.send_message(QueueUrl=url, MessageBody="after the restart")
    wait_for(lambda: [r[1] for r in seen(project)] == ["after the restart"], seconds=30.0)


def test_aws_cli_wires_a_queue(project: Path, serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve()
    server.client("sqs").create_queue(QueueName="orders")
    created = aws(
        server,
        "create-event-source-mapping",
        "--function-name",
        "worker",
        "--event-source-arn",
        QUEUE_ARN + "orders",
        "--batch-size",
        "3",
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    shape = json.loads(created.stdout)
    assert (shape["State"], shape["BatchSize"], shape["FunctionArn"]) == (
        "Creating",
        3,
        WORKER_ARN,
    )
    listed = aws(server, "list-event-source-mappings", "--function-name", "worker", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [m["UUID"] for m in json.loads(listed.stdout)["EventSourceMappings"]] == [shape["UUID"]]
    conflict = aws(
        server,
        "create-event-source-mapping",
        "--function-name",
        "worker",
        "--event-source-arn",
        QUEUE_ARN + "orders",
        cwd=tmp_path,
    )
    assert conflict.returncode != 0
    assert "ResourceConflictException" in conflict.stderr
    assert f"existing mapping with UUID {shape['UUID']}" in conflict.stderr
