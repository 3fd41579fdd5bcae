"""S3 event records (`lambdactl.shapes.s3`): spec §7.4's keys, a real eTag, URL-encoded keys."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from lambdactl.shapes import s3

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone.utc)


def test_a_put_record_has_the_keys_of_aws_and_the_content_md5_as_etag() -> None:
    content = b"hello object"
    record = s3.record(
        "photos", "a b/c.jpg", region="eu-west-1", account="123456789012",
        size=len(content), etag=s3.etag(content), time=WHEN,
    )  # fmt: skip
    assert list(record) == [
        "eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
        "requestParameters", "responseElements", "s3",
    ]  # fmt: skip
    assert record["eventTime"] == "2026-01-02T03:04:05.678Z"
    assert (record["eventName"], record["awsRegion"]) == ("ObjectCreated:Put", "eu-west-1")
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert list(record["s3"]) == ["s3SchemaVersion", "configurationId", "bucket", "object"]
    assert record["s3"]["bucket"]["name"] == "photos"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::photos"
    assert set(record["s3"]["bucket"]["ownerIdentity"]) == {"principalId"}
    obj = record["s3"]["object"]
    assert list(obj) == ["key", "size", "eTag", "sequencer"]
    assert obj["key"] == "a+b/c.jpg"  # URL-encoded as S3 sends it, `/` kept
    assert obj["size"] == 12
    assert obj["eTag"] == hashlib.md5(content).hexdigest()


def test_a_removal_has_no_size_or_etag() -> None:
    record = s3.record("b", "k", region="us-east-1", account="1", event_name=s3.REMOVED)
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert list(record["s3"]["object"]) == ["key", "sequencer"]


def test_sequencers_grow_with_time_as_strings() -> None:
    first, later = s3.sequencer(WHEN), s3.sequencer(WHEN + timedelta(microseconds=1))
    assert len(first) == len(later) == 18
    assert first < later


def test_records_make_the_event() -> None:
    record = s3.record("b", "k", region="us-east-1", account="1")
    assert s3.event([record, record]) == {"Records": [record, record]}
