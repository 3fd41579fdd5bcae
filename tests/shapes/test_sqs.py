"""SQS's shapes (`lambdactl.shapes.sqs`); sending and receiving are tested in test_queues.py."""

from __future__ import annotations

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
