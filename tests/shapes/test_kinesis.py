"""Kinesis records (`lambdactl.shapes.kinesis`): spec §7.3's keys, increasing sequence numbers."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

from lambdactl.shapes import kinesis

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone.utc)


def test_a_record_has_the_keys_of_aws() -> None:
    arn = kinesis.stream_arn("eu-west-1", "123456789012", "clicks")
    assert arn == "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
    sequence = kinesis.sequence_number(WHEN)
    record = kinesis.record(
        b"\x00payload", partition_key="p", sequence_number=sequence, stream_arn=arn, arrival=WHEN
    )
    assert list(record) == [
        "kinesis", "eventSource", "eventVersion", "eventID", "eventName", "invokeIdentityArn",
        "awsRegion", "eventSourceARN",
    ]  # fmt: skip
    assert list(record["kinesis"]) == [
        "kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
        "approximateArrivalTimestamp",
    ]  # fmt: skip
    assert base64.b64decode(record["kinesis"]["data"]) == b"\x00payload"
    assert record["kinesis"]["approximateArrivalTimestamp"] == 1767323045.678
    assert record["eventID"] == f"shardId-000000000000:{sequence}"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["invokeIdentityArn"].startswith("arn:aws:iam::123456789012:role/")
    assert (record["awsRegion"], record["eventSourceARN"]) == ("eu-west-1", arn)


def test_sequence_numbers_are_56_digits_and_increase() -> None:
    numbers = [
        kinesis.sequence_number(WHEN, 0),
        kinesis.sequence_number(WHEN, 1),
        kinesis.sequence_number(WHEN + timedelta(microseconds=1), 0),
    ]
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 3
