"""Local streams with Kinesis semantics (`lambdactl.streams`): shard choice, sequence numbers,
starting positions, retention, checkpoints, errors, and concurrent writers (real processes).

Time is injected (`now=`) wherever the test is about time.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lambdactl import streams
from lambdactl.errors import ValidationException
from lambdactl.project import Project
from lambdactl.streams import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    StreamNotFound,
)

T0 = float(int(time.time())) - 3600
"""An hour ago, in whole seconds."""
ACCOUNT = "123456789012"
SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"


def _put(project: Project, name: str, key: str, data: bytes = b"x", **kw: object) -> str:
    return streams.put(project, name, data, key, **kw)["SequenceNumber"]  # type: ignore[arg-type]


# -- creating, describing, deleting -------------------------------------------------------------


def test_create_describe_list_delete(project: Project) -> None:
    stream = streams.create(project, "clicks", shards=2, now=T0)
    assert (stream.name, stream.shards, stream.retention_hours) == ("clicks", 2, 24)
    described = streams.description(project, streams.get(project, "clicks"))["StreamDescription"]
    assert described["StreamName"] == "clicks"
    assert described["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
    assert described["StreamStatus"] == "ACTIVE"
    assert described["RetentionPeriodHours"] == 24
    assert described["HasMoreShards"] is False
    assert [s["ShardId"] for s in described["Shards"]] == [SHARD0, SHARD1]
    assert [s["HashKeyRange"] for s in described["Shards"]] == [
        {"StartingHashKey": "0", "EndingHashKey": "170141183460469231731687303715884105727"},
        {
            "StartingHashKey": "170141183460469231731687303715884105728",
            "EndingHashKey": "340282366920938463463374607431768211455",
        },
    ]
    start = described["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"]
    assert len(start) == 56 and start.isdigit()
    summary = streams.summary(project, stream)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    assert streams.listing(project, streams.list_streams(project))["StreamNames"] == ["clicks"]
    streams.delete(project, "clicks")
    assert streams.list_streams(project) == []


def test_three_shards_split_the_hash_space_as_kinesis_does() -> None:
    third = 2**128 // 3
    assert streams.hash_key_ranges(3) == [
        (0, third - 1),
        (third, 2 * third - 1),
        (2 * third, 2**128 - 1),
    ]


def test_errors_are_kinesis_s(project: Project) -> None:
    streams.create(project, "clicks")
    with pytest.raises(ResourceInUseException) as exc:
        streams.create(project, "clicks")
    assert exc.value.message == f"Stream clicks under account {ACCOUNT} already exists."
    with pytest.raises(StreamNotFound) as missing:
        streams.get(project, "nope")
    assert missing.value.message == f"Stream nope under account {ACCOUNT} not found."
    assert missing.value.aws_type == "ResourceNotFoundException"
    assert missing.value.http_status == 400
    with pytest.raises(StreamNotFound):
        streams.delete(project, "nope")
    with pytest.raises(ValidationException) as bad:
        streams.create(project, "a b", shards=0)
    assert bad.value.message == (
        "2 validation errors detected: Value 'a b' at 'streamName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
        "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1"
    )
    with pytest.raises(InvalidArgumentException) as short:
        streams.create(project, "other", retention_hours=23)
    assert short.value.message == (
        "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) "
        "is too short."
    )
    with pytest.raises(InvalidArgumentException) as long:
        streams.create(project, "other", retention_hours=8761)
    assert long.value.message == (
        "Maximum allowed retention period is 8760 hours. Requested retention period "
        "(8761 hours) is too long."
    )
    with pytest.raises(LimitExceededException) as limit:
        streams.create(project, "huge", shards=500)
    assert "Current shard count for the account: 1. Limit: 500." in limit.value.message
    streams.create(project, "long", retention_hours=8760)
    streams.create(project, "max", shards=498)


# -- writing ------------------------------------------------------------------------------------


def test_the_partition_key_s_md5_picks_the_shard_as_kinesis_does(project: Project) -> None:
    # Kinesis's answers for a 3-shard stream (as kinesalite's tests, run against AWS, record)
    streams.create(project, "s", shards=3)
    assert [streams.put(project, "s", b"", k)["ShardId"] for k in "abef"] == [
        SHARD0,
        SHARD1,
        "shardId-000000000002",
        SHARD1,
    ]
    third = 2**128 // 3
    explicit = [str(2**128 - 1), str(third * 2 - 1), str(third * 2), "0"]
    assert [
        streams.put(project, "s", b"", "a", explicit_hash_key=h)["ShardId"] for h in explicit
    ] == ["shardId-000000000002", SHARD1, "shardId-000000000002", SHARD0]
    assert streams.hash_key("a") == 0x0CC175B9C0F1B6A831C399E269772661


def test_sequence_numbers_increase_per_shard(project: Project) -> None:
    streams.create(project, "s", shards=2)
    numbers = [_put(project, "s", "a") for _ in range(20)]
    assert len(set(numbers)) == 20
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert all(len(n) == 56 for n in numbers)


def test_put_many_keeps_order_and_shapes(project: Project) -> None:
    streams.create(project, "s", shards=3)
    entries = [{"Data": f"{i}".encode(), "PartitionKey": k} for i, k in enumerate("abefa")]
    response = streams.put_many(project, "s", entries)
    assert response["FailedRecordCount"] == 0
    assert [r["ShardId"][-1] for r in response["Records"]] == ["0", "1", "2", "1", "0"]
    read = streams.read(project, "s", SHARD0)
    assert [r.data for r in read.records] == [b"0", b"4"]
    assert [r.sequence_number for r in read.records] == [
        response["Records"][0]["SequenceNumber"],
        response["Records"][4]["SequenceNumber"],
    ]


def test_put_errors(project: Project) -> None:
    streams.create(project, "s")
    with pytest.raises(ValidationException) as empty:
        streams.put(project, "s", b"x", "")
    assert empty.value.message == (
        "1 validation error detected: Value '' at 'partitionKey' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1"
    )
    big = b"x" * (streams.MAX_DATA_BYTES + 1)
    with pytest.raises(ValidationException) as large:
        streams.put(project, "s", big, "k")
    assert large.value.message == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 "
        "cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less "
        "than or equal to 1048576"
    )
    streams.put(project, "s", big[:-1], "k")  # exactly 1 MiB goes in
    with pytest.raises(InvalidArgumentException) as out_of_range:
        streams.put(project, "s", b"", "k", explicit_hash_key=str(2**128))
    assert out_of_range.value.message == (
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {2**128}"
    )
    with pytest.raises(ValidationException, match="at 'explicitHashKey'"):
        streams.put(project, "s", b"", "k", explicit_hash_key="-1")
    with pytest.raises(StreamNotFound):
        streams.put(project, "nope", b"", "k")
    with pytest.raises(ValidationException) as many:
        streams.put_many(project, "s", [{"Data": b"", "PartitionKey": "k"}] * 501)
    assert many.value.message == (
        "1 validation error detected: Value at 'records' failed to satisfy constraint: "
        "Member must have length less than or equal to 500"
    )
    with pytest.raises(ValidationException, match="'records.2.member.partitionKey'"):
        streams.put_many(
            project, "s", [{"Data": b"", "PartitionKey": "k"}, {"Data": b"", "PartitionKey": ""}]
        )


# -- reading ------------------------------------------------------------------------------------


def _stream_of_five(project: Project) -> list[str]:
    """A one-shard stream `s` with records 0..4, one a second from T0."""
    streams.create(project, "s", now=T0)
    return [_put(project, "s", "k", str(i).encode(), now=T0 + i) for i in range(5)]


def _data(read: streams.ShardRead) -> list[bytes]:
    return [r.data for r in read.records]


def test_each_starting_position(project: Project) -> None:
    seqs = _stream_of_five(project)
    now = T0 + 10
    assert _data(streams.read(project, "s", SHARD0, now=now)) == [b"0", b"1", b"2", b"3", b"4"]
    at = streams.read(
        project, "s", SHARD0, position="AT_SEQUENCE_NUMBER", sequence=seqs[2], now=now
    )
    assert _data(at) == [b"2", b"3", b"4"]
    after = streams.read(
        project, "s", SHARD0, position="AFTER_SEQUENCE_NUMBER", sequence=seqs[2], now=now
    )
    assert _data(after) == [b"3", b"4"]
    assert _data(streams.read(project, "s", SHARD0, after=seqs[3], now=now)) == [b"4"]
    stamp = streams.read(project, "s", SHARD0, position="AT_TIMESTAMP", timestamp=T0 + 3, now=now)
    assert _data(stamp) == [b"3", b"4"]
    latest = streams.read(project, "s", SHARD0, position="LATEST", now=now)
    assert latest.records == ()
    _put(project, "s", "k", b"5", now=now)
    assert _data(streams.read(project, "s", SHARD0, after=latest.next_after, now=now)) == [b"5"]


def test_reading_on_from_next_after(project: Project) -> None:
    seqs = _stream_of_five(project)
    first = streams.read(project, "s", SHARD0, limit=2, now=T0 + 10)
    assert _data(first) == [b"0", b"1"] and first.next_after == seqs[1]
    assert first.millis_behind_latest == 9000  # the last read arrived at T0 + 1
    rest = streams.read(project, "s", SHARD0, after=first.next_after, now=T0 + 10)
    assert _data(rest) == [b"2", b"3", b"4"] and rest.millis_behind_latest == 0
    empty = streams.read(project, "s", SHARD0, after=rest.next_after, now=T0 + 10)
    assert empty.records == () and empty.next_after == rest.next_after
    # nothing at or after a timestamp yet: reading on from next_after misses nothing later
    none_yet = streams.read(
        project, "s", SHARD0, position="AT_TIMESTAMP", timestamp=T0 + 10, now=T0 + 10
    )
    assert none_yet.records == ()
    _put(project, "s", "k", b"later", now=T0 + 11)
    later = streams.read(project, "s", SHARD0, after=none_yet.next_after, now=T0 + 11)
    assert _data(later) == [b"later"]


def test_an_empty_shard_reads_nothing_from_any_position(project: Project) -> None:
    streams.create(project, "s", now=T0)
    trim = streams.read(project, "s", SHARD0, now=T0)
    assert trim.records == ()
    _put(project, "s", "k", b"first", now=T0 + 1)
    assert _data(streams.read(project, "s", SHARD0, after=trim.next_after, now=T0 + 1)) == [
        b"first"
    ]


def test_retention_trims_and_old_positions_start_at_the_oldest_kept(project: Project) -> None:
    seqs = _stream_of_five(project)
    day = 24 * 3600
    now = T0 + day + 2.5  # records 0, 1 and 2 are older than 24 hours
    assert _data(streams.read(project, "s", SHARD0, now=now)) == [b"3", b"4"]
    at_trimmed = streams.read(
        project, "s", SHARD0, position="AT_SEQUENCE_NUMBER", sequence=seqs[0], now=now
    )
    assert _data(at_trimmed) == [b"3", b"4"]
    assert _data(streams.read(project, "s", SHARD0, after=seqs[1], now=now)) == [b"3", b"4"]
    later = _put(project, "s", "k", b"5", now=now + day)  # the rest went meanwhile
    assert int(later) > int(seqs[-1])  # numbers are not reused after trimming
    assert _data(streams.read(project, "s", SHARD0, now=now + day)) == [b"5"]


def test_a_longer_retention_keeps_more(project: Project) -> None:
    _stream_of_five(project)
    streams.set_retention(project, "s", 48)
    now = T0 + 30 * 3600
    assert len(streams.read(project, "s", SHARD0, now=now).records) == 5


def test_a_read_stops_at_10_mib_of_data(project: Project) -> None:
    streams.create(project, "s")
    mib = b"x" * streams.MAX_DATA_BYTES
    streams.put_many(project, "s", [{"Data": mib, "PartitionKey": "k"}] * 4)
    streams.put_many(project, "s", [{"Data": mib, "PartitionKey": "k"}] * 4)
    streams.put_many(project, "s", [{"Data": mib, "PartitionKey": "k"}] * 3)
    first = streams.read(project, "s", SHARD0)
    assert len(first.records) == 10
    assert len(streams.read(project, "s", SHARD0, after=first.next_after).records) == 1


def test_read_errors(project: Project) -> None:
    seqs = _stream_of_five(project)
    streams.create(project, "other", shards=2)
    other = _put(project, "other", "b")  # shard 1 of 'other'
    where = f"used in GetShardIterator on shard {SHARD0} in stream s under account {ACCOUNT}"
    cases: list[tuple[dict[str, object], str]] = [
        ({"after": "12"}, f"StartingSequenceNumber 12 {where} is invalid."),
        (
            {"after": other},
            "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used "
            f"in a call to a shard with {SHARD0}",
        ),
        (
            {"after": seqs[0][:2] + "0" * 13 + seqs[0][15:]},
            f"StartingSequenceNumber {seqs[0][:2] + '0' * 13 + seqs[0][15:]} {where} is invalid "
            "because it did not come from this stream.",
        ),
        (
            {"position": "LATEST", "sequence": seqs[0]},
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
            "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
            "Request specified LATEST and also a StartingSequenceNumber.",
        ),
        (
            {"position": "AT_SEQUENCE_NUMBER"},
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
            "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
            "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidArgumentException) as exc:
            streams.read(project, "s", SHARD0, **kwargs)  # type: ignore[arg-type]
        assert exc.value.message == message
    with pytest.raises(StreamNotFound) as shard:
        streams.read(project, "s", SHARD1)
    assert (
        shard.value.message == f"Shard {SHARD1} in stream s under account {ACCOUNT} does not exist"
    )
    with pytest.raises(StreamNotFound, match="Could not find shard bogus in stream s"):
        streams.read(project, "s", "bogus")
    with pytest.raises(ValidationException, match="at 'shardIteratorType'"):
        streams.read(project, "s", SHARD0, position="OLDEST")
    with pytest.raises(ValidationException, match="Value '0' at 'limit'"):
        streams.read(project, "s", SHARD0, limit=0)


def test_a_recreated_stream_refuses_the_old_one_s_sequence_numbers(project: Project) -> None:
    seqs = _stream_of_five(project)
    streams.delete(project, "s")
    streams.create(project, "s", now=T0 + 7)
    with pytest.raises(InvalidArgumentException, match="did not come from this stream"):
        streams.read(project, "s", SHARD0, after=seqs[0])


# -- checkpoints --------------------------------------------------------------------------------


def test_checkpoints_resume_a_reader(project: Project, project_dir: Path) -> None:
    _stream_of_five(project)
    assert streams.checkpoint_of(project, "uuid-1", SHARD0) is None
    first = streams.read(project, "s", SHARD0, limit=3, now=T0 + 10)
    streams.checkpoint(project, "uuid-1", SHARD0, first.next_after)
    again = Project.open(project_dir / "functions.yaml")  # another process's view
    try:
        resumed = streams.checkpoint_of(again, "uuid-1", SHARD0)
        assert resumed == first.next_after
        assert _data(streams.read(again, "s", SHARD0, after=resumed, now=T0 + 10)) == [b"3", b"4"]
    finally:
        again.close()


# -- declared streams ---------------------------------------------------------------------------


def test_ensure_declared_creates_updates_and_remakes(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    streams.ensure_declared(project, {"orders": (2, 48)}, now=T0)
    stream = streams.get(project, "orders")
    assert (stream.shards, stream.retention_hours) == (2, 48)
    _put(project, "orders", "a")
    streams.ensure_declared(project, {"orders": (2, 72)})
    assert streams.get(project, "orders").retention_hours == 72
    assert len(streams.read(project, "orders", SHARD0).records) == 1  # records kept
    logger = logging.getLogger("lambdactl")  # the CLI stops it propagating to caplog's root
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("WARNING", logger="lambdactl"):
            streams.ensure_declared(project, {"orders": (3, 72)})
    finally:
        logger.removeHandler(caplog.handler)
    assert streams.get(project, "orders").shards == 3
    assert streams.read(project, "orders", SHARD0).records == ()
    assert "made anew" in caplog.text
    with pytest.raises(InvalidArgumentException, match="too short"):
        streams.ensure_declared(project, {"bad": (1, 1)})


# -- concurrency --------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from lambdactl import streams
    from lambdactl.project import Project

    project = Project.open(Path(sys.argv[1]))
    tag = sys.argv[2]
    sys.stdin.readline()  # start together
    given = [streams.put(project, "s", f"{tag}{i}".encode(), "same")["SequenceNumber"]
             for i in range(int(sys.argv[3]))]
    project.close()
    print(json.dumps(given))
    """
)


def test_two_processes_putting_to_one_shard_keep_order_and_unique_numbers(
    project: Project, project_dir: Path
) -> None:
    streams.create(project, "s", shards=1)
    count = 40
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(project_dir / "functions.yaml"), tag, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for tag in "ab"
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    given = {}
    for tag, writer in zip("ab", writers):
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0
        given[tag] = json.loads(out)
    for numbers in given.values():  # each writer's numbers increase in the order it put
        assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(given["a"]) | set(given["b"])) == 2 * count
    read = streams.read(project, "s", SHARD0)
    assert len(read.records) == 2 * count
    assert [int(r.sequence_number) for r in read.records] == sorted(
        int(n) for n in given["a"] + given["b"]
    )
    for tag in "ab":  # and the shard keeps each writer's records in its order
        mine = [r.data.decode() for r in read.records if r.data.decode().startswith(tag)]
        assert mine == [f"{tag}{i}" for i in range(count)]
    arrivals = [r.arrival for r in read.records]
    assert arrivals == sorted(arrivals)


def test_streams_declared_in_the_manifest_exist_without_create(write_manifest) -> None:  # type: ignore[no-untyped-def]
    path = write_manifest(
        """\
        account: "123456789012"
        functions:
          hello: {handler: app.handler, code: src/hello}
        streams:
          clicks: {shards: 2, retention_hours: 48}
          plain: {}
        """
    )
    declared = Project.open(path)
    try:
        assert [(s.name, s.shards, s.retention_hours) for s in streams.list_streams(declared)] == [
            ("clicks", 2, 48),
            ("plain", 1, 24),
        ]
        assert streams.put(declared, "clicks", b"x", "a")["ShardId"] == SHARD0
    finally:
        declared.close()
