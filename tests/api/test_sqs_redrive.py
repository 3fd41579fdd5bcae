"""Dead-letter queues through SQS's JSON protocol, with boto3 against a real `lambdactl serve`:
RedrivePolicy on CreateQueue, SetQueueAttributes and GetQueueAttributes, SQS's errors for a bad
one, real receive cycles that end in the dead-letter queue, ListDeadLetterSourceQueues."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Server

ACCOUNT = "123456789012"
ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:"


@pytest.fixture
def sqs(server: Server) -> Any:
    return server.client("sqs")


def policy(target: str, count: object) -> str:
    return json.dumps({"deadLetterTargetArn": ARN + target, "maxReceiveCount": count})


def test_a_message_redriven_after_real_receive_cycles(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    url = sqs.create_queue(
        QueueName="jobs",
        Attributes={"VisibilityTimeout": "1", "RedrivePolicy": policy("jobs-dlq", "2")},
    )["QueueUrl"]
    attributes = {"kind": {"DataType": "String", "StringValue": "poison"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="fails", MessageAttributes=attributes)
    counts = []
    for _ in range(2):  # each comes back when its 1 s visibility timeout runs out
        (message,) = sqs.receive_message(
            QueueUrl=url, WaitTimeSeconds=5, MessageSystemAttributeNames=["All"]
        )["Messages"]
        counts.append(message["Attributes"]["ApproximateReceiveCount"])
    assert counts == ["1", "2"]
    # the third receive moves it instead: it waits its whole time for nothing
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)
    (moved,) = sqs.receive_message(
        QueueUrl=dlq, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    assert (moved["MessageId"], moved["Body"]) == (sent["MessageId"], "fails")
    assert moved["MessageAttributes"] == attributes  # boto3 has checked the MD5s too
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == ARN + "jobs"
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"
    numbers = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert numbers["ApproximateNumberOfMessages"] == "0"
    assert numbers["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_fifo_redrive(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    url = sqs.create_queue(
        QueueName="orders.fifo",
        Attributes={"FifoQueue": "true", "RedrivePolicy": policy("dlq.fifo", 1)},
    )["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=body
        )
    received = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in received] == ["first"]
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]  # "first" moved meanwhile
    assert message["Body"] == "second"
    (moved,) = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"]
    assert moved["Body"] == "first"
    assert moved["Attributes"]["MessageGroupId"] == "g"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == ARN + "orders.fifo"


def test_redrive_policy_is_set_given_back_and_removed(sqs: Any) -> None:
    sqs.create_queue(QueueName="dlq")
    url = sqs.create_queue(QueueName="src")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy("dlq", 5)})
    given = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    assert given["Attributes"] == {
        "RedrivePolicy": '{"deadLetterTargetArn":"' + ARN + 'dlq","maxReceiveCount":5}'
    }
    every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(every["RedrivePolicy"]) == {
        "deadLetterTargetArn": ARN + "dlq",
        "maxReceiveCount": 5,
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy"]
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "not json",
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a "
            "valid JSON map.",
        ),
        (
            policy("dlq", 0),
            f"Value {policy('dlq', 0)} for parameter RedrivePolicy is invalid. Reason: Invalid "
            "value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            policy("missing", 3),
            f"Value {policy('missing', 3)} for parameter RedrivePolicy is invalid. Reason: "
            "Dead letter target does not exist.",
        ),
        (
            policy("dlq.fifo", 3),
            f"Value {policy('dlq.fifo', 3)} for parameter RedrivePolicy is invalid. Reason: "
            "Dead-letter queue must be same type of queue as the source..",
        ),
    ],
)
def test_a_bad_redrive_policy_is_invalid_attribute_value(
    sqs: Any, value: str, message: str
) -> None:
    sqs.create_queue(QueueName="dlq")
    sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": value})
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidAttributeValue", message)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="src")  # nothing made


def test_list_dead_letter_source_queues(server: Server, sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    for name in ("c", "a", "b"):
        sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy("dlq", 3)})
    sqs.create_queue(QueueName="plain")
    listed = sqs.list_dead_letter_source_queues(QueueUrl=dlq)
    assert listed["queueUrls"] == [f"{server.url}/{ACCOUNT}/{n}" for n in ("a", "b", "c")]
    pages = sqs.get_paginator("list_dead_letter_source_queues").paginate(
        QueueUrl=dlq, PaginationConfig={"PageSize": 2}
    )
    assert [len(page["queueUrls"]) for page in pages] == [2, 1]
    plain = sqs.get_queue_url(QueueName="plain")["QueueUrl"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=plain)["queueUrls"] == []
