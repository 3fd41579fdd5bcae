"""The local stream poller (`lambdactl.sources.stream`), run by a real `Host` with a real
Invoker (and, for kill -9, a real `lambdactl worker`): records put to a local stream reach
the function in per-shard order, the checkpoint moves only after the function returned, and
failures are retried, bisected, reported per item or given up on with an on-failure record."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import streams
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
    wait_for,
    window_invokes,
)

# Each invoke is one line of `batches.jsonl`: [[shard, data], ...] (data base64-decoded).
# Data `bad` raises; with PARTIAL set, a `bad` is reported as a batch item failure instead;
# `slow` sleeps 30 s on its first delivery (a marker file remembers it).
HANDLER = """\
import base64, json, os, time

def handler(event, context):
    got = [[r["eventID"].split(":")[0], base64.b64decode(r["kinesis"]["data"]).decode()]
           for r in event["Records"]]
    with open(os.environ["BATCHES"], "a") as f:
        f.write(json.dumps(got) + "\\n")
    marker = os.environ["BATCHES"] + ".slow"
    if any(data == "slow" for _s, data in got) and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(30)
    bad = [r["kinesis"]["sequenceNumber"] for r in event["Records"]
           if base64.b64decode(r["kinesis"]["data"]) == b"bad"]
    if bad and os.environ.get("PARTIAL"):
        return {"batchItemFailures": [{"itemIdentifier": n} for n in bad]}
    if bad:
        raise RuntimeError("bad record")
"""


def manifest(
    project_dir: Path,
    settings: str = "",
    *,
    shards: int = 1,
    position: str = "TRIM_HORIZON",
    handler: str = HANDLER,
    **options: Any,
) -> Path:
    event = f"stream: clicks\n        starting_position: {position}"
    tail = f"streams:\n  clicks: {{shards: {shards}}}\n"
    return function_manifest(project_dir, handler, event, settings, tail=tail, **options)


@pytest.fixture
def hosted(project_dir: Path) -> Iterator[Hosted]:
    """`hosted(settings, ...)`: the manifest, then a project with a running Host."""
    with hosting(lambda *args, **options: manifest(project_dir, *args, **options)) as start:
        yield start


def delivered(project_dir: Path) -> list[str]:
    return [data for batch in batches(project_dir) for _shard, data in batch]


def put(project: Project, *data: str, key: str = "k", now: float | None = None) -> list[str]:
    return [
        streams.put(project, "clicks", item.encode(), key, now=now)["SequenceNumber"]
        for item in data
    ]


def source_uuid(project: Project) -> str:
    return project.functions["hello"].events[0].uuid


def test_records_come_in_order_per_shard_and_are_checkpointed(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir, shards=3))
    keys = [f"key{n}" for n in range(6)]
    sent = {key: put(project, *(f"{key}-{n}" for n in range(5)), key=key) for key in keys}
    project.close()
    project, _host = hosted("batch_size: 4", shards=3)
    wait_for(lambda: len(delivered(project_dir)) >= 30)
    got = batches(project_dir)
    assert max(len(batch) for batch in got) <= 4
    for key in keys:  # each key is on one shard: its records in order, each once
        assert [d for d in delivered(project_dir) if d.startswith(key + "-")] == [
            f"{key}-{n}" for n in range(5)
        ]
    by_shard: dict[str, list[str]] = {}
    for batch in got:
        for shard, data in batch:
            by_shard.setdefault(shard, []).append(data)
    assert len(by_shard) > 1
    for key, numbers in sent.items():
        shard = streams.get(project, "clicks").shard_ids[int(numbers[0][15:21])]
        wait_for(lambda s=shard: streams.checkpoint_of(project, source_uuid(project), s))
        assert streams.checkpoint_of(project, source_uuid(project), shard) >= numbers[-1]
    source = project.functions["hello"].events[0]
    assert mappings.current(project, source).last_processing_result == mappings.OK


def test_a_restart_resumes_after_the_checkpoint(
    hosted: Hosted, project_dir: Path
) -> None:
    project, host = hosted()
    put(project, "a", "b")
    wait_for(lambda: delivered(project_dir) == ["a", "b"])
    wait_for(lambda: streams.checkpoint_of(project, source_uuid(project), "shardId-000000000000"))
    host.stop()
    put(project, "c")  # while no poller runs
    hosted()
    wait_for(lambda: delivered(project_dir) == ["a", "b", "c"])


def test_a_checkpoint_from_a_stream_made_again_starts_over(
    hosted: Hosted, project_dir: Path
) -> None:
    project, host = hosted()
    shard = "shardId-000000000000"
    put(project, "a")
    wait_for(lambda: streams.checkpoint_of(project, source_uuid(project), shard))
    host.stop()
    old = streams.checkpoint_of(project, source_uuid(project), shard)
    streams.delete(project, "clicks")
    time.sleep(0.01)  # another creation time: the old sequence numbers are not this stream's
    put(project, "b")  # the declared stream exists again, with "b" only
    hosted()
    wait_for(lambda: delivered(project_dir) == ["a", "b"])
    wait_for(lambda: streams.checkpoint_of(project, source_uuid(project), shard) != old)


@pytest.mark.parametrize("position", ["LATEST", "AT_TIMESTAMP"])
def test_starting_positions_skip_what_came_before(
    hosted: Hosted, project_dir: Path, position: str
) -> None:
    project = Project.open(manifest(project_dir))
    put(project, "old", now=time.time() - 120)
    project.close()
    settings = (
        f"starting_position_timestamp: {int(time.time() - 60)}" if position != "LATEST" else ""
    )
    project, host = hosted(settings, position=position)
    if position == "LATEST":  # pinned at the first start: what comes after it is read
        wait_for(
            lambda: streams.checkpoint_of(project, source_uuid(project), "shardId-000000000000")
        )
    put(project, "new")
    wait_for(lambda: delivered(project_dir) == ["new"])
    assert delivered(project_dir) == ["new"]


def test_a_failing_batch_is_retried_then_sent_to_the_on_failure_queue(
    hosted: Hosted, project_dir: Path
) -> None:
    settings = "maximum_retry_attempts: 2\non_failure: {queue: failed}"
    project = Project.open(manifest(project_dir, settings))
    numbers = put(project, "x", "bad")  # both there before the poller's first read: one batch
    project.close()
    project, _host = hosted(settings)
    wait_for(lambda: len(batches(project_dir)) >= 3)
    [record] = wait_for(lambda: failures(project))
    put(project, "after")
    wait_for(lambda: delivered(project_dir)[-1:] == ["after"])
    assert (
        batches(project_dir)[:3]
        == [[["shardId-000000000000", "x"], ["shardId-000000000000", "bad"]]] * 3
    )
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == project.arn("hello")
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["version"] == "1.0"
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000"
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == tuple(numbers)
    assert info["batchSize"] == 2
    assert info["streamArn"] == streams.arn(project, "clicks")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    source = project.functions["hello"].events[0]
    assert mappings.current(project, source).last_processing_result in (
        mappings.OK,
        mappings.FUNCTION_CALL_FAILED,
    )


def test_bisect_isolates_the_bad_record(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir))
    put(project, "a", "b", "bad", "c")
    project.close()
    project, _host = hosted(
        "batch_size: 4\nbisect_on_error: true\nmaximum_retry_attempts: 0\n"
        "on_failure: {queue: failed}"
    )
    [record] = wait_for(lambda: failures(project))
    wait_for(lambda: "c" in delivered(project_dir)[4:])
    assert record["KinesisBatchInfo"]["batchSize"] == 1
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    got = [[data for _shard, data in batch] for batch in batches(project_dir)]
    assert got == [["a", "b", "bad", "c"], ["a", "b"], ["bad", "c"], ["bad"], ["c"]]


def test_batch_item_failures_retry_from_the_lowest_reported(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir))
    put(project, "a", "bad", "b")
    project.close()
    got, record = item_failures(hosted, project_dir)
    assert got[:2] == [["a", "bad", "b"], ["bad", "b"]]
    assert record["KinesisBatchInfo"]["batchSize"] == 2


def test_records_older_than_the_maximum_age_are_not_delivered(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir))
    put(project, "stale", now=time.time() - 120)
    put(project, "fresh")
    project.close()
    project, _host = hosted("batch_size: 2\nmaximum_record_age: 60\non_failure: {queue: failed}")
    wait_for(lambda: delivered(project_dir) == ["fresh"])
    [record] = wait_for(lambda: failures(project))
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record
    assert record["KinesisBatchInfo"]["batchSize"] == 1


def test_filters_skip_records_and_the_checkpoint_moves_past_them(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir))
    put(project, json.dumps({"n": 1}), json.dumps({"n": 2}))
    last = put(project, json.dumps({"n": 3}))[0]
    project.close()
    project, _host = hosted("filter: {data: {n: [2]}}")
    wait_for(lambda: delivered(project_dir) == [json.dumps({"n": 2})])
    shard = "shardId-000000000000"
    wait_for(lambda: streams.checkpoint_of(project, source_uuid(project), shard) == last)


def test_parallelization_keeps_each_keys_order(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir))
    for n in range(4):
        for key in ("p", "q", "r", "s"):
            put(project, f"{key}{n}", key=key)
    project.close()
    project, _host = hosted("batch_size: 16\nparallelization_factor: 4")
    wait_for(lambda: len(delivered(project_dir)) >= 16)
    for key in ("p", "q", "r", "s"):
        assert [d for d in delivered(project_dir) if d[0] == key] == [f"{key}{n}" for n in range(4)]
    assert len(batches(project_dir)) > 1


def test_kill_9_mid_batch_redelivers_without_a_skip(project_dir: Path) -> None:
    project = Project.open(manifest(project_dir, "batch_size: 1", timeout=60))
    put(project, "first", "slow", "third")
    project.close()
    kill_9_mid_batch(project_dir, lambda: delivered(project_dir))


def test_tumbling_windows_carry_state_and_close_with_a_final_invoke(
    hosted: Hosted, project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir))
    base = int(time.time() // 10 * 10) - 60  # two windows of 10 s, both over
    put(project, "a", now=base + 1)
    put(project, "b", now=base + 2)
    put(project, "c", now=base + 11)
    project.close()
    project, _host = hosted("tumbling_window: 10", handler=WINDOW_HANDLER)
    wait_for(lambda: len(window_invokes(project_dir)) >= 4)
    invokes = window_invokes(project_dir)
    shard = "shardId-000000000000"
    assert check_windows(invokes, shard, streams.arn(project, "clicks")) == [2, 1]
    assert [i["records"] for i in invokes] == [2, 0, 1, 0]
    assert invokes[0]["window"]["end"] == invokes[2]["window"]["start"]
    last = streams.read(project, "clicks", shard).records[-1].sequence_number
    wait_for(lambda: streams.checkpoint_of(project, source_uuid(project), shard) == last)


def test_an_unfinished_window_is_read_again_from_its_start(
    hosted: Hosted, project_dir: Path
) -> None:
    if 900 - time.time() % 900 < 30:  # the window must stay open through the test
        time.sleep(900 - time.time() % 900 + 0.1)
    project, host = hosted("tumbling_window: 900", handler=WINDOW_HANDLER)
    put(project, "a")
    wait_for(lambda: len(window_invokes(project_dir)) == 1)
    host.stop()  # mid-window: no checkpoint moved past it
    assert not streams.checkpoint_of(project, source_uuid(project), "shardId-000000000000")
    hosted("tumbling_window: 900", handler=WINDOW_HANDLER)
    wait_for(lambda: len(window_invokes(project_dir)) == 2)
    again = window_invokes(project_dir)[1]
    assert (again["records"], again["state"], again["isFinalInvokeForWindow"]) == (1, {}, False)
