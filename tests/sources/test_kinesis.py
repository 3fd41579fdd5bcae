"""The `kinesis:` source (`lambdactl.sources.kinesis` over the stream engine), run by a real
`Host` with a real Invoker (and, for kill -9, a real `lambdactl worker`) against a moto
server on 127.0.0.1: per-shard order, checkpoints in `.lambda/`, starting positions,
retries, bisect, on-failure records and batch item failures, and trouble said once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.host import Host
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
from tests.sources.test_stream import HANDLER, delivered


def manifest(
    project_dir: Path,
    aws: Endpoint,
    settings: str = "",
    *,
    position: str = "TRIM_HORIZON",
    stream: str = "clicks",
    handler: str = HANDLER,
    **options: Any,
) -> Path:
    event = (
        f"kinesis:\n          stream_name: {stream}\n          endpoint_url: {aws.url}\n"
        f"          starting_position: {position}"
    )
    return function_manifest(project_dir, handler, event, settings, **options)


@pytest.fixture
def hosted(project_dir: Path, aws: Endpoint) -> Iterator[Hosted]:
    """`hosted(settings, ...)`: the manifest, then a project with a running Host."""
    with hosting(lambda *args, **options: manifest(project_dir, aws, *args, **options)) as start:
        yield start


@pytest.fixture
def kinesis(aws: Endpoint) -> Any:
    client = aws.client("kinesis")
    client.create_stream(StreamName="clicks", ShardCount=1)
    return client


def put(client: Any, *data: str, key: str = "k", stream: str = "clicks") -> list[str]:
    return [
        client.put_record(StreamName=stream, Data=item.encode(), PartitionKey=key)[
            "SequenceNumber"
        ]
        for item in data
    ]


def checkpoints(project: Project) -> dict[str, Any]:
    return project.store.shard_checkpoints(project.functions["hello"].events[0].uuid)


def sequence_of(project: Project, shard: str = "shardId-000000000000") -> str | None:
    return (checkpoints(project).get(shard) or {}).get("sequence")


def test_records_arrive_in_order_per_shard_as_lambda_shapes_them(
    hosted: Hosted, kinesis: Any, project_dir: Path
) -> None:
    kinesis.create_stream(StreamName="wide", ShardCount=3)
    keys = [f"key{n}" for n in range(6)]
    for key in keys:
        put(kinesis, *(f"{key}-{n}" for n in range(4)), key=key, stream="wide")
    project, _host = hosted("batch_size: 3", stream="wide")
    wait_for(lambda: len(delivered(project_dir)) >= 24)
    assert max(len(batch) for batch in batches(project_dir)) <= 3
    for key in keys:  # one key, one shard: in order, each once
        assert [d for d in delivered(project_dir) if d.startswith(key + "-")] == [
            f"{key}-{n}" for n in range(4)
        ]
    assert len({shard for batch in batches(project_dir) for shard, _d in batch}) > 1
    assert last_result(project) == mappings.OK


def test_a_record_is_section_7_3s(hosted: Hosted, kinesis: Any, project_dir: Path) -> None:
    handler = (
        "import json, os\n"
        "def handler(event, context):\n"
        "    with open(os.environ['BATCHES'] + '.events', 'a') as f:\n"
        "        f.write(json.dumps(event) + '\\n')\n"
    )
    [number] = put(kinesis, "hello", key="pk")
    hosted(handler=handler)
    events = project_dir / "batches.jsonl.events"
    wait_for(lambda: events.exists() and events.read_text().endswith("\n"))
    [record] = json.loads(events.read_text().splitlines()[0])["Records"]
    arn = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    assert record["kinesis"]["data"] == "aGVsbG8="
    assert record["kinesis"]["partitionKey"] == "pk"
    assert record["kinesis"]["sequenceNumber"] == number
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
    assert abs(record["kinesis"]["approximateArrivalTimestamp"] - time.time()) < 60
    assert record["eventID"] == f"shardId-000000000000:{number}"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"


def test_a_restart_resumes_after_the_checkpoint(
    hosted: Hosted, kinesis: Any, project_dir: Path
) -> None:
    project, host = hosted()
    first = put(kinesis, "a", "b")
    wait_for(lambda: delivered(project_dir) == ["a", "b"])
    wait_for(lambda: sequence_of(project) == first[-1])
    host.stop()
    put(kinesis, "c")  # while no poller runs
    hosted()
    wait_for(lambda: delivered(project_dir) == ["a", "b", "c"])
    time.sleep(0.5)
    assert delivered(project_dir) == ["a", "b", "c"]


@pytest.mark.parametrize("position", ["LATEST", "AT_TIMESTAMP"])
def test_starting_positions_skip_what_came_before(
    hosted: Hosted, kinesis: Any, project_dir: Path, position: str
) -> None:
    put(kinesis, "old")
    time.sleep(1.1)
    settings = f"starting_position_timestamp: {int(time.time())}" if position != "LATEST" else ""
    project, host = hosted(settings, position=position)
    wait_for(lambda: "" in checkpoints(project))  # the first start is settled
    host.stop()
    put(kinesis, "new")  # LATEST is pinned: what came after the first start is read
    hosted(settings, position=position)
    wait_for(lambda: delivered(project_dir) == ["new"])
    time.sleep(0.5)
    assert delivered(project_dir) == ["new"]


def test_a_failing_batch_is_retried_then_sent_to_the_on_failure_queue(
    hosted: Hosted, kinesis: Any, project_dir: Path
) -> None:
    numbers = put(kinesis, "x", "bad")
    project, _host = hosted("maximum_retry_attempts: 1\non_failure: {queue: failed}")
    [record] = wait_for(lambda: failures(project))
    put(kinesis, "after")
    wait_for(lambda: delivered(project_dir)[-1:] == ["after"])
    assert [[d for _s, d in batch] for batch in batches(project_dir)[:2]] == [["x", "bad"]] * 2
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == tuple(numbers)
    assert info["shardId"] == "shardId-000000000000"
    assert info["streamArn"].endswith(":stream/clicks")
    assert info["batchSize"] == 2


def test_bisect_isolates_the_bad_record(hosted: Hosted, kinesis: Any, project_dir: Path) -> None:
    put(kinesis, "a", "b", "bad", "c")
    project, _host = hosted(
        "batch_size: 4\nbisect_on_error: true\nmaximum_retry_attempts: 0\n"
        "on_failure: {queue: failed}"
    )
    [record] = wait_for(lambda: failures(project))
    wait_for(lambda: "c" in delivered(project_dir)[4:])
    got = [[data for _shard, data in batch] for batch in batches(project_dir)]
    assert got == [["a", "b", "bad", "c"], ["a", "b"], ["bad", "c"], ["bad"], ["c"]]
    assert record["KinesisBatchInfo"]["batchSize"] == 1


def test_batch_item_failures_retry_from_the_lowest_reported(
    hosted: Hosted, kinesis: Any, project_dir: Path
) -> None:
    put(kinesis, "a", "bad", "b")
    got, record = item_failures(hosted, project_dir)
    assert got[:2] == [["a", "bad", "b"], ["bad", "b"]]
    assert record["KinesisBatchInfo"]["batchSize"] == 2


def test_a_missing_stream_is_said_once_and_read_when_it_comes(
    hosted: Hosted, aws: Endpoint, project_dir: Path, said: list[logging.LogRecord]
) -> None:
    project, _host = hosted()
    wait_for(lambda: last_result(project).startswith("PROBLEM:"))
    assert "ResourceNotFoundException" in last_result(project)
    client = aws.client("kinesis")
    client.create_stream(StreamName="clicks", ShardCount=1)
    put(client, "late")
    wait_for(lambda: delivered(project_dir) == ["late"], seconds=30)
    lines = [r.getMessage() for r in said if "kinesis source" in r.getMessage()]
    assert len([m for m in lines if "ResourceNotFoundException" in m]) == 1
    assert any("reachable again" in m for m in lines)
    assert not any(r.exc_info for r in said)
    wait_for(lambda: last_result(project) == mappings.OK)


def test_an_unreachable_endpoint_is_a_problem_not_a_traceback(
    project_dir: Path, aws: Endpoint, said: list[logging.LogRecord]
) -> None:
    closed = Endpoint("http://127.0.0.1:9")  # the discard port: nothing listens
    project = Project.open(manifest(project_dir, closed))
    invoker = Invoker(project)
    host = Host(project, invoker)
    host.start()
    try:
        wait_for(lambda: last_result(project).startswith("PROBLEM:"))
        time.sleep(1.5)
        lines = [r.getMessage() for r in said if "kinesis source" in r.getMessage()]
        assert len(lines) == 1
        assert "127.0.0.1:9" in lines[0]
        assert not any(r.exc_info for r in said)
    finally:
        host.stop()
        invoker.close()
        project.close()


def test_kill_9_mid_batch_redelivers_without_a_skip(
    project_dir: Path, aws: Endpoint, kinesis: Any
) -> None:
    manifest(project_dir, aws, "batch_size: 1", timeout=60)
    put(kinesis, "first", "slow", "third")
    kill_9_mid_batch(project_dir, lambda: delivered(project_dir))


def test_tumbling_windows_count_every_record_once(
    hosted: Hosted, kinesis: Any, project_dir: Path
) -> None:
    put(kinesis, "a", "b", "c")
    project, _host = hosted("tumbling_window: 1", handler=WINDOW_HANDLER)
    wait_for(lambda: sum(i["records"] for i in window_invokes(project_dir)) == 3)
    wait_for(lambda: window_invokes(project_dir)[-1]["isFinalInvokeForWindow"])
    arn = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    assert sum(check_windows(window_invokes(project_dir), "shardId-000000000000", arn)) == 3
