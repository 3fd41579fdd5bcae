"""`lambdactl stream ...`, run in-process through the real entry point (binary data through a
real process's standard input)."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/"


def test_create_list_describe_delete(cli) -> None:
    created = cli("stream", "create", "clicks", "--shards", "2", "--retention-hours", "48")
    assert (created.code, created.out, created.err) == (
        0,
        "✓ stream clicks (2 shard(s), 48 h)\n",
        "",
    )
    listed = cli("stream", "list", "-o", "json")
    assert listed.json()["StreamNames"] == ["clicks"]
    assert listed.json()["StreamSummaries"][0]["StreamARN"] == ARN + "clicks"
    table = cli("stream", "list")
    assert "clicks" in table.out and "48 h" in table.out
    described = cli("stream", "describe", "clicks", "-o", "json").json()["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE" and described["RetentionPeriodHours"] == 48
    assert [s["ShardId"] for s in described["Shards"]] == [
        "shardId-000000000000",
        "shardId-000000000001",
    ]
    text = cli("stream", "describe", "clicks")
    assert "shardId-000000000001 170141183460469231731687303715884105728" in text.out
    deleted = cli("stream", "delete", "clicks", "-o", "json")
    assert (deleted.code, deleted.json()) == (0, {})
    assert cli("stream", "list", "-o", "json").json()["StreamNames"] == []


def test_errors_are_one_line_with_exit_codes(cli) -> None:
    missing = cli("stream", "describe", "nope")
    assert missing.code == 3
    assert missing.err == (
        "error: ResourceNotFoundException: Stream nope under account 123456789012 not found.\n"
    )
    cli("stream", "create", "s")
    again = cli("stream", "create", "s")
    assert again.code == 4
    assert again.err == (
        "error: ResourceInUseException: Stream s under account 123456789012 already exists.\n"
    )
    short = cli("stream", "create", "t", "--retention-hours", "1")
    assert short.code == 2 and short.err.startswith("error: InvalidArgumentException: Minimum")
    bad = cli("stream", "put", "s", "x", "-k", "")
    assert bad.code == 2 and "at 'partitionKey'" in bad.err and "\n" not in bad.err[:-1]
    position = cli("stream", "read", "s", "--from", "OLDEST")
    assert position.code == 2 and "at 'shardIteratorType'" in position.err


def test_put_json_and_read_back(cli) -> None:
    cli("stream", "create", "s", "--shards", "3")
    put = cli("stream", "put", "s", "hello", "--partition-key", "b", "-o", "json")
    assert put.code == 0, put.err
    assert put.json()["ShardId"] == "shardId-000000000001"
    assert len(put.json()["SequenceNumber"]) == 56
    text = cli("stream", "put", "s", "again", "-k", "b")
    assert text.out.startswith("✓ put 49") and "on shardId-000000000001 of s" in text.out
    read = cli("stream", "read", "s", "--shard", "shardId-000000000001", "-o", "json").json()
    [shard] = read["Shards"]
    assert shard["ShardId"] == "shardId-000000000001"
    assert [base64.b64decode(r["Data"]) for r in shard["Records"]] == [b"hello", b"again"]
    assert set(shard["Records"][0]) == {
        "SequenceNumber",
        "ApproximateArrivalTimestamp",
        "Data",
        "PartitionKey",
    }
    after = cli(
        "stream", "read", "s", "--shard", "1", "--from", "AFTER_SEQUENCE_NUMBER",
        "--sequence-number", put.json()["SequenceNumber"], "-o", "json",
    ).json()  # fmt: skip
    assert [base64.b64decode(r["Data"]) for r in after["Shards"][0]["Records"]] == [b"again"]
    every = cli("stream", "read", "s", "-o", "json").json()
    assert [s["ShardId"][-1] for s in every["Shards"]] == ["0", "1", "2"]
    table = cli("stream", "read", "s")
    assert "hello" in table.out and "again" in table.out
    assert cli("stream", "read", "s", "--from", "LATEST").out == "no records\n"
    recent = cli("stream", "read", "s", "--from", "AT_TIMESTAMP", "--timestamp", "1h", "-o", "json")
    assert len(recent.json()["Shards"][1]["Records"]) == 2


def test_explicit_hash_key_picks_the_shard(cli) -> None:
    cli("stream", "create", "s", "--shards", "2")
    put = cli("stream", "put", "s", "x", "-k", "a", "--explicit-hash-key", str(2**128 - 1))
    assert "shardId-000000000001" in put.out


def test_binary_data_from_stdin(project_dir: Path) -> None:
    blob = bytes(range(256))

    def run(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "lambdactl", "stream", *args],
            cwd=project_dir,
            input=data,
            capture_output=True,
            timeout=60,
        )

    assert run("create", "s").returncode == 0
    put = run("put", "s", "-", "-k", "bin", data=blob)
    assert put.returncode == 0, put.stderr
    read = run("read", "s", "-o", "json")
    import json

    [record] = json.loads(read.stdout)["Shards"][0]["Records"]
    assert base64.b64decode(record["Data"]) == blob
    assert b"base64:" in run("read", "s").stdout
