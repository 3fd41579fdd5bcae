"""SNS notification records (`lambdactl.shapes.sns`): spec §7.4's keys."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from lambdactl.shapes import sns

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone.utc)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:orders"


def test_a_notification_has_the_keys_of_aws() -> None:
    record = sns.record(
        "hello", topic_arn=TOPIC, subject="Hi", attributes={"k": sns.string_attribute("v")},
        time=WHEN, message_id="m-1", subscription_id="s-1",
    )  # fmt: skip
    assert list(record) == ["EventVersion", "EventSubscriptionArn", "EventSource", "Sns"]
    assert record["EventSubscriptionArn"] == f"{TOPIC}:s-1"
    assert record["EventSource"] == "aws:sns"
    message = record["Sns"]
    assert list(message) == [
        "SignatureVersion", "Timestamp", "Signature", "SigningCertUrl", "MessageId", "Message",
        "MessageAttributes", "Type", "UnsubscribeUrl", "TopicArn", "Subject",
    ]  # fmt: skip
    assert message["Timestamp"] == "2026-01-02T03:04:05.678Z"
    assert (message["Message"], message["Subject"], message["MessageId"]) == ("hello", "Hi", "m-1")
    assert message["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert message["SigningCertUrl"].startswith("https://sns.eu-west-1.amazonaws.com/")
    assert message["UnsubscribeUrl"].endswith(f"SubscriptionArn={TOPIC}:s-1")
    assert len(base64.b64decode(message["Signature"])) == 256


def test_no_subject_is_null_and_the_event_holds_one_record() -> None:
    record = sns.record("x", topic_arn=TOPIC)
    assert record["Sns"]["Subject"] is None
    assert record["Sns"]["MessageAttributes"] == {}
    assert sns.event(record) == {"Records": [record]}
