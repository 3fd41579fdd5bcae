"""The `dynamodb:` source (`lambdactl.sources.dynamodb` over the stream engine), run by a real
`Host` with a real Invoker (and, for kill -9, a real `lambdactl worker`) against a moto
server on 127.0.0.1: the table's changes as Lambda delivers them, in order, checkpoints in
`.lambda/`, LATEST, retries, bisect, DDBStreamBatchInfo, batch item failures, and a table
without a stream said once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl.project import Project
from lambdactl.sources import mappings
from tests.sources import (
    WINDOW_HANDLER,
    Hosted,
    batches,
    check_windows,
    failures,
    function_manifest,
    hosting,
    item_failures,
    kill_9_mid_batch,
    last_result,
    wait_for,
    window_invokes,
)
from tests.sources.conftest import Endpoint

# Each invoke: one line of batches.jsonl, [[eventName, id], ...], and the whole event in
# batches.jsonl.events. An item with id `bad` raises (with PARTIAL: is reported as a batch
# item failure); `slow` sleeps 30 s on its first delivery.
HANDLER = """\
import json, os, time

def handler(event, context):
    got = [[r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]] for r in event["Records"]]
    with open(os.environ["BATCHES"] + ".events", "a") as f:
        f.write(json.dumps(event) + "\\n")
    with open(os.environ["BATCHES"], "a") as f:
        f.write(json.dumps(got) + "\\n")
    marker = os.environ["BATCHES"] + ".slow"
    if any(key == "slow" for _n, key in got) and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(30)
    bad = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]
           if r["dynamodb"]["Keys"]["id"]["S"] == "bad"]
    if bad and os.environ.get("PARTIAL"):
        return {"batchItemFailures": [{"itemIdentifier": n} for n in bad]}
    if bad:
        raise RuntimeError("bad record")
"""


def manifest(
    project_dir: Path,
    aws: Endpoint,
    settings: str = "",
    *,
    position: str = "TRIM_HORIZON",
    handler: str = HANDLER,
    **options: Any,
) -> Path:
    event = (
        f"dynamodb:\n          table: people\n          endpoint_url: {aws.url}\n"
        f"          starting_position: {position}"
    )
    return function_manifest(project_dir, handler, event, settings, **options)


@pytest.fixture
def hosted(project_dir: Path, aws: Endpoint) -> Iterator[Hosted]:
    """`hosted(settings, ...)`: the manifest, then a project with a running Host."""
    with hosting(lambda *args, **options: manifest(project_dir, aws, *args, **options)) as start:
        yield start


def create_table(aws: Endpoint, *, stream: bool = True) -> Any:
    client = aws.client("dynamodb")
    options: dict[str, Any] = {}
    if stream:
        options["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    client.create_table(
        TableName="people",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **options,
    )
    return client


@pytest.fixture
def table(aws: Endpoint) -> Any:
    return create_table(aws)


def put(client: Any, *ids: str, **extra: Any) -> None:
    for key in ids:
        item = {"id": {"S": key}, **{k: {"S": str(v)} for k, v in extra.items()}}
        client.put_item(TableName="people", Item=item)


def delivered(project_dir: Path) -> list[str]:
    return [key for batch in batches(project_dir) for _name, key in batch]


def events(project_dir: Path) -> list[dict[str, Any]]:
    path = project_dir / "batches.jsonl.events"
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def checkpoints(project: Project) -> dict[str, Any]:
    return project.store.shard_checkpoints(project.functions["hello"].events[0].uuid)


def test_insert_modify_remove_come_in_order_as_lambda_shapes_them(
    hosted: Hosted, table: Any, project_dir: Path
) -> None:
    table.put_item(TableName="people", Item={"id": {"S": "ann"}, "n": {"N": "1"}})
    table.put_item(
        TableName="people", Item={"id": {"S": "ann"}, "n": {"N": "2"}, "b": {"B": b"\x00\xff"}}
    )
    table.delete_item(TableName="people", Key={"id": {"S": "ann"}})
    project, _host = hosted("batch_size: 10\nbatching_window: 1")
    wait_for(lambda: len(delivered(project_dir)) >= 3)
    records = [r for event in events(project_dir) for r in event["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    arn = table.describe_table(TableName="people")["Table"]["LatestStreamArn"]
    for record in records:
        assert list(record) == [
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        ]
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventSourceARN"] == arn
        change = record["dynamodb"]
        assert isinstance(change["ApproximateCreationDateTime"], int)
        assert abs(change["ApproximateCreationDateTime"] - time.time()) < 60
        assert change["Keys"] == {"id": {"S": "ann"}}
        assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert change["SizeBytes"] > 0
    assert insert["dynamodb"]["NewImage"] == {"id": {"S": "ann"}, "n": {"N": "1"}}
    assert "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"] == {"id": {"S": "ann"}, "n": {"N": "1"}}
    assert modify["dynamodb"]["NewImage"]["b"] == {"B": "AP8="}  # base64, as on the wire
    assert remove["dynamodb"]["OldImage"]["n"] == {"N": "2"}
    assert "NewImage" not in remove["dynamodb"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers)
    assert last_result(project) == mappings.OK


def test_a_restart_resumes_after_the_checkpoint(
    hosted: Hosted, table: Any, project_dir: Path
) -> None:
    project, host = hosted()
    put(table, "a", "b")
    wait_for(lambda: delivered(project_dir) == ["a", "b"])
    wait_for(lambda: any(r.get("sequence") for s, r in checkpoints(project).items() if s))
    host.stop()
    put(table, "c")  # while no poller runs
    hosted()
    wait_for(lambda: delivered(project_dir) == ["a", "b", "c"])
    time.sleep(0.5)
    assert delivered(project_dir) == ["a", "b", "c"]


def test_latest_skips_what_came_before_the_first_start(
    hosted: Hosted, table: Any, project_dir: Path
) -> None:
    put(table, "old")
    project, host = hosted(position="LATEST")
    wait_for(lambda: "" in checkpoints(project))
    host.stop()
    put(table, "new")  # pinned at the first start: read even though no poller ran
    hosted(position="LATEST")
    wait_for(lambda: delivered(project_dir) == ["new"])
    time.sleep(0.5)
    assert delivered(project_dir) == ["new"]


def test_bisect_then_the_on_failure_record_has_ddb_stream_batch_info(
    hosted: Hosted, table: Any, project_dir: Path
) -> None:
    put(table, "a", "bad", "c")
    project, _host = hosted(
        "batch_size: 3\nbisect_on_error: true\nmaximum_retry_attempts: 1\n"
        "on_failure: {queue: failed}"
    )
    [record] = wait_for(lambda: failures(project))
    wait_for(lambda: "c" in delivered(project_dir)[3:])
    got = [[key for _n, key in batch] for batch in batches(project_dir)]
    assert got[:5] == [["a", "bad", "c"], ["a"], ["bad", "c"], ["bad"], ["bad"]]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert "KinesisBatchInfo" not in record
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == table.describe_table(TableName="people")["Table"][
        "LatestStreamArn"
    ]
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_batch_item_failures_retry_from_the_lowest_reported(
    hosted: Hosted, table: Any, project_dir: Path
) -> None:
    put(table, "a", "bad", "b")
    got, record = item_failures(hosted, project_dir)
    assert got[:2] == [["a", "bad", "b"], ["bad", "b"]]
    assert record["DDBStreamBatchInfo"]["batchSize"] == 2


def test_a_table_without_a_stream_is_said_once_until_it_has_one(
    hosted: Hosted, aws: Endpoint, project_dir: Path, said: list[logging.LogRecord]
) -> None:
    client = create_table(aws, stream=False)
    project, _host = hosted()
    wait_for(lambda: "has no stream" in last_result(project))
    time.sleep(1.5)
    client.update_table(
        TableName="people",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    put(client, "late")
    wait_for(lambda: delivered(project_dir) == ["late"], seconds=30)
    lines = [r.getMessage() for r in said if "dynamodb source" in r.getMessage()]
    assert len([m for m in lines if "has no stream" in m]) == 1
    assert any("reachable again" in m for m in lines)
    assert not any(r.exc_info for r in said)


def test_kill_9_mid_batch_redelivers_without_a_skip(
    project_dir: Path, aws: Endpoint, table: Any
) -> None:
    manifest(project_dir, aws, "batch_size: 1", timeout=60)
    put(table, "first", "slow", "third")
    kill_9_mid_batch(project_dir, lambda: delivered(project_dir))


def test_filters_see_the_record_as_lambda_does(
    hosted: Hosted, table: Any, project_dir: Path
) -> None:
    put(table, "a")
    table.delete_item(TableName="people", Key={"id": {"S": "a"}})
    put(table, "b", plan="pro")
    project, _host = hosted(
        'filter: {eventName: [INSERT], dynamodb: {NewImage: {plan: {S: ["pro"]}}}}'
    )
    wait_for(lambda: delivered(project_dir) == ["b"])
    wait_for(lambda: len([s for s, r in checkpoints(project).items() if r.get("sequence")]))
    time.sleep(0.5)
    assert [name for batch in batches(project_dir) for name, _key in batch] == ["INSERT"]


def test_tumbling_windows_count_every_record_once(
    hosted: Hosted, aws: Endpoint, table: Any, project_dir: Path
) -> None:
    put(table, "a", "b", "c")
    hosted("tumbling_window: 1", handler=WINDOW_HANDLER)
    wait_for(lambda: sum(i["records"] for i in window_invokes(project_dir)) == 3)
    wait_for(lambda: window_invokes(project_dir)[-1]["isFinalInvokeForWindow"])
    arn = table.describe_table(TableName="people")["Table"]["LatestStreamArn"]
    stream = aws.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]
    shard = stream["Shards"][0]["ShardId"]
    assert sum(check_windows(window_invokes(project_dir), shard, arn)) == 3
