"""The moto fixture the real-endpoint sources' tests stand on."""

from __future__ import annotations

from tests.sources.conftest import Endpoint


def test_the_moto_server_answers_on_the_loopback(aws: Endpoint) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]
    assert [m["Body"] for m in got] == ["hi"]
    assert url.startswith("http://127.0.0.1:")


def test_a_later_test_starts_empty(aws: Endpoint) -> None:
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []
