"""A CloudWatch Logs subscription's event (`lambdactl.shapes.logs`): base64 of the gzipped
JSON, decoded as a handler does."""

from __future__ import annotations

import base64
import gzip
import json

from lambdactl.shapes import logs


def test_the_data_is_base64_gzip_json() -> None:
    events = [(logs.log_event_id(1767323045678, i), 1767323045678, m) for i, m in enumerate("ab")]
    data = logs.subscription_data("/aws/lambda/f", "s", events, owner="123456789012")
    event = logs.subscription_event(data)
    assert list(event) == ["awslogs"] and list(event["awslogs"]) == ["data"]
    decoded = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    assert decoded == data == logs.subscription_decoded(event)
    assert list(decoded) == [
        "messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents",
    ]  # fmt: skip
    assert decoded["messageType"] == "DATA_MESSAGE"
    assert decoded["owner"] == "123456789012"
    assert [e["message"] for e in decoded["logEvents"]] == ["a", "b"]
    assert set(decoded["logEvents"][0]) == {"id", "timestamp", "message"}


def test_event_ids_are_56_digits_and_increase() -> None:
    ids = [logs.log_event_id(1767323045678, 0), logs.log_event_id(1767323045678, 1)]
    ids.append(logs.log_event_id(1767323045679, 0))
    assert all(len(i) == 56 and i.isdigit() for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 3
