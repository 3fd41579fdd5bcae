"""SQS's shapes (`lambdactl.shapes.sqs`); sending and receiving are tested in test_queues.py."""

from __future__ import annotations

import hashlib
import struct

from lambdactl.shapes import sqs

STORED = {
    "id": "m-1",
    "body": "hello",
    "attributes": {},
    "sent": 1795773600.123456,
    "group": "g",
    "receipt": "r-1",
    "receive_count": 2,
    "first_receive": 1795773601.5,
}


def test_receive_without_messages_has_no_messages_key() -> None:
    assert sqs.received([]) == {}
    assert sqs.received([{"MessageId": "m-1"}]) == {"Messages": [{"MessageId": "m-1"}]}


def test_sent_carries_a_sequence_number_only_on_fifo() -> None:
    md5 = "5d41402abc4b2a76b9719d911017c592"  # md5("hello")
    assert sqs.sent(STORED, fifo=False) == {"MD5OfMessageBody": md5, "MessageId": "m-1"}
    assert sqs.sent(STORED, fifo=True)["SequenceNumber"] == "00001795773600123456"


def test_a_received_message() -> None:
    shape = sqs.message(STORED, sender="123456789012", fifo=True)
    assert shape["Attributes"] == {
        "SenderId": "123456789012",
        "SentTimestamp": "1795773600123",
        "ApproximateReceiveCount": "2",
        "ApproximateFirstReceiveTimestamp": "1795773601500",
        "MessageGroupId": "g",
    }
    assert "MessageAttributes" not in shape


def test_create_and_list_queues() -> None:
    assert sqs.create_queue("https://q") == {"QueueUrl": "https://q"}
    assert sqs.list_queues(("https://a", "https://b")) == {"QueueUrls": ["https://a", "https://b"]}
    assert sqs.list_queues(()) == {}  # SQS leaves the key out when there are none
    assert sqs.list_queues(["https://a"], "t") == {"QueueUrls": ["https://a"], "NextToken": "t"}


def test_error_codes_are_the_shape_and_the_query_code() -> None:
    assert sqs.error_code("QueueDoesNotExist") == (
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    )
    assert sqs.error_code("QueueNameExists") == ("QueueNameExists", "QueueAlreadyExists")
    assert sqs.error_code("InvalidParameterValueException") == (
        "InvalidParameterValue",
        "InvalidParameterValue",
    )
    assert sqs.error_code("SerializationException") == (
        "SerializationException",
        "SerializationException",
    )


def test_selected_keeps_only_the_attributes_asked_for() -> None:
    attributes = {
        "a.x": {"DataType": "String", "StringValue": "1"},
        "a.y": {"DataType": "String", "StringValue": "2"},
        "b": {"DataType": "Number", "StringValue": "3"},
    }
    full = sqs.message({**STORED, "attributes": attributes}, sender="1", fifo=False)
    bare = sqs.selected(full, system=[], attributes=[])
    assert set(bare) == {"MessageId", "ReceiptHandle", "MD5OfBody", "Body"}
    every = sqs.selected(full, system=["All"], attributes=[".*"])
    assert every == full
    some = sqs.selected(full, system=["SentTimestamp", "Nope"], attributes=["a.*", "c"])
    assert some["Attributes"] == {"SentTimestamp": "1795773600123"}
    assert sorted(some["MessageAttributes"]) == ["a.x", "a.y"]
    only = {k: attributes[k] for k in ("a.x", "a.y")}
    assert some["MD5OfMessageAttributes"] == sqs.attributes_md5(only)


def test_binary_attributes_digest_their_bytes_not_their_base64() -> None:
    raw = {"b": {"DataType": "Binary", "BinaryValue": "AAFyYXc="}}  # b"\x00\x01raw"
    expected = hashlib.md5()
    for part in (b"b", b"Binary"):
        expected.update(struct.pack(">I", len(part)) + part)
    expected.update(b"\x02" + struct.pack(">I", 5) + b"\x00\x01raw")
    assert sqs.attributes_md5(raw) == expected.hexdigest()


def test_queue_attributes_all_named_or_none() -> None:
    every = {"VisibilityTimeout": "30", "DelaySeconds": "0"}
    assert sqs.queue_attributes(every, ["All"]) == {"Attributes": every}
    assert sqs.queue_attributes(every, ["DelaySeconds", "Policy"]) == {
        "Attributes": {"DelaySeconds": "0"}
    }
    assert sqs.queue_attributes(every, []) == {}


def test_batch_shapes() -> None:
    failure = sqs.batch_failure("e1", "ReceiptHandleIsInvalid", "bad")
    assert failure == {
        "Id": "e1",
        "SenderFault": True,
        "Code": "ReceiptHandleIsInvalid",
        "Message": "bad",
    }
    assert sqs.batch_result([{"Id": "e0"}], [failure]) == {
        "Successful": [{"Id": "e0"}],
        "Failed": [failure],
    }


# -- Lambda's SQS records (spec §7.2) -----------------------------------------------------

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"


def test_a_record_has_the_keys_of_aws_and_the_body_md5() -> None:
    record = sqs.record(
        "m-1", "hello", queue_arn=QUEUE, receipt_handle="r", sent=1795773600.123,
        sender="123456789012",
    )  # fmt: skip
    assert list(record) == [
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
        "eventSource", "eventSourceARN", "awsRegion",
    ]  # fmt: skip
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["attributes"] == {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1795773600123",
        "SenderId": "123456789012",
        "ApproximateFirstReceiveTimestamp": "1795773600123",
    }
    assert record["messageAttributes"] == {}
    assert (record["eventSource"], record["eventSourceARN"]) == ("aws:sqs", QUEUE)
    assert record["awsRegion"] == "eu-west-1"


def test_message_attributes_as_lambda_spells_them_with_their_md5() -> None:
    given = {"Author": {"DataType": "String", "StringValue": "J"}}
    record = sqs.record("m", "b", queue_arn=QUEUE, receipt_handle="r", sent=1.0, sender="s",
                        attributes=given)  # fmt: skip
    assert record["messageAttributes"] == {
        "Author": {
            "stringValue": "J", "stringListValues": [], "binaryListValues": [],
            "dataType": "String",
        }
    }  # fmt: skip
    assert record["md5OfMessageAttributes"] == sqs.attributes_md5(given)


def test_a_fifo_record_carries_its_group_deduplication_and_sequence() -> None:
    record = sqs.record("m", "b", queue_arn=QUEUE + ".fifo", receipt_handle="r", sent=2.5,
                        sender="s", group_id="g")  # fmt: skip
    attributes = record["attributes"]
    assert attributes["MessageGroupId"] == "g"
    assert attributes["MessageDeduplicationId"] == hashlib.sha256(b"b").hexdigest()
    assert attributes["SequenceNumber"] == "00000000000002500000"
