"""DynamoDB Streams records (`lambdactl.shapes.dynamodb`): spec §7.3's keys, typed values,
the images each view type and event carry."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lambdactl.shapes import dynamodb

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone.utc)
ARN = dynamodb.stream_arn("eu-west-1", "123456789012", "T", dynamodb.stream_label(WHEN))


def test_plain_json_becomes_typed_values() -> None:
    assert dynamodb.item({"s": "x", "n": 1, "f": 1.5, "b": True, "z": None}) == {
        "s": {"S": "x"}, "n": {"N": "1"}, "f": {"N": "1.5"}, "b": {"BOOL": True},
        "z": {"NULL": True},
    }  # fmt: skip
    assert dynamodb.typed([1, {"a": "b"}]) == {"L": [{"N": "1"}, {"M": {"a": {"S": "b"}}}]}
    assert dynamodb.typed(b"\x01") == {"B": "AQ=="}


def test_a_record_has_the_keys_of_aws() -> None:
    assert ARN == "arn:aws:dynamodb:eu-west-1:123456789012:table/T/stream/2026-01-02T03:04:05.678"
    keys = dynamodb.item({"id": 1})
    record = dynamodb.record(
        "MODIFY", keys, stream_arn=ARN, sequence_number="100",
        new_image=dynamodb.item({"id": 1, "v": "new"}),
        old_image=dynamodb.item({"id": 1, "v": "old"}), created=WHEN,
    )  # fmt: skip
    assert list(record) == [
        "eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
        "eventSourceARN",
    ]  # fmt: skip
    assert (record["eventVersion"], record["eventSource"]) == ("1.1", "aws:dynamodb")
    assert len(record["eventID"]) == 32
    assert list(record["dynamodb"]) == [
        "ApproximateCreationDateTime", "Keys", "NewImage", "OldImage", "SequenceNumber",
        "SizeBytes", "StreamViewType",
    ]  # fmt: skip
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1767323045
    assert record["dynamodb"]["NewImage"]["v"] == {"S": "new"}
    assert record["dynamodb"]["OldImage"]["v"] == {"S": "old"}
    assert record["dynamodb"]["SizeBytes"] > 0


@pytest.mark.parametrize(
    ("event_name", "view_type", "images"),
    [
        ("INSERT", "NEW_AND_OLD_IMAGES", {"NewImage"}),
        ("REMOVE", "NEW_AND_OLD_IMAGES", {"OldImage"}),
        ("MODIFY", "NEW_IMAGE", {"NewImage"}),
        ("MODIFY", "OLD_IMAGE", {"OldImage"}),
        ("MODIFY", "KEYS_ONLY", set()),
    ],
)
def test_the_images_follow_the_event_and_view_type(
    event_name: str, view_type: str, images: set[str]
) -> None:
    keys = dynamodb.item({"id": "1"})
    record = dynamodb.record(
        event_name, keys, stream_arn=ARN, sequence_number="1", view_type=view_type,
        new_image=keys, old_image=keys,
    )  # fmt: skip
    assert {"NewImage", "OldImage"} & set(record["dynamodb"]) == images


def test_sequence_numbers_increase() -> None:
    first, second = dynamodb.sequence_number(WHEN, 0), dynamodb.sequence_number(WHEN, 1)
    assert len(first) == len(second) and int(first) < int(second)
