"""SQS's JSON protocol through boto3 and the AWS CLI against a real server: every operation
served, SQS's error codes as boto3 and the AWS CLI read them, long polling that holds no
thread, and the same queues as `lambdactl queue`."""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.api.conftest import Server, aws, post

ACCOUNT = "123456789012"


@pytest.fixture
def sqs(server: Server) -> Any:
    return server.client("sqs")


def sqs_target(operation: str) -> dict[str, str]:
    return {
        "X-Amz-Target": f"AmazonSQS.{operation}",
        "Content-Type": "application/x-amz-json-1.0",
    }


def lambdactl(server: Server, *args: str) -> Any:
    """`lambdactl ... -o json` in the server's project: its JSON output."""
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", *args, "-o", "json"],
        cwd=server.project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# -- queues -------------------------------------------------------------------------------------


def test_create_get_list_and_delete_queues(server: Server, sqs: Any) -> None:
    created = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "45"})
    url = f"{server.url}/{ACCOUNT}/jobs"
    assert created["QueueUrl"] == url
    again = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "45"})
    assert again["QueueUrl"] == url  # the same attributes again is no error
    with pytest.raises(sqs.exceptions.QueueNameExists) as caught:
        sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "46"})
    assert caught.value.response["Error"]["Code"] == "QueueAlreadyExists"
    assert sqs.get_queue_url(QueueName="jobs")["QueueUrl"] == url
    for name in ("jobs-b", "jobs-c", "other"):
        sqs.create_queue(QueueName=name)
    assert sqs.list_queues()["QueueUrls"] == [
        f"{server.url}/{ACCOUNT}/{n}" for n in ("jobs", "jobs-b", "jobs-c", "other")
    ]
    assert len(sqs.list_queues(QueueNamePrefix="jobs")["QueueUrls"]) == 3
    first = sqs.list_queues(QueueNamePrefix="jobs", MaxResults=2)
    assert len(first["QueueUrls"]) == 2
    rest = sqs.list_queues(QueueNamePrefix="jobs", MaxResults=2, NextToken=first["NextToken"])
    assert rest["QueueUrls"] == [f"{server.url}/{ACCOUNT}/jobs-c"]
    assert "NextToken" not in rest
    paged = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1})
    assert len([u for page in paged for u in page.get("QueueUrls", [])]) == 4

    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as missing:
        sqs.get_queue_url(QueueName="jobs")
    error = missing.value.response
    assert error["Error"] == {
        "Code": "AWS.SimpleQueueService.NonExistentQueue",
        "Message": "The specified queue does not exist.",
        "QueryErrorCode": "QueueDoesNotExist",
        "Type": "Sender",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.delete_queue(QueueUrl=url)


def test_the_wire_error_is_sqs_json_shape(server: Server, sqs: Any) -> None:
    status, headers, body = post(
        server,
        json.dumps({"QueueName": "nope"}).encode(),
        sqs_target("GetQueueUrl"),
    )
    assert status == 400
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-requestid"]
    assert body == {
        "__type": "com.amazonaws.sqs#QueueDoesNotExist",
        "message": "The specified queue does not exist.",
    }


def test_queue_urls_in_sqs_form_and_of_other_accounts(server: Server, sqs: Any) -> None:
    sqs.create_queue(QueueName="jobs")
    aws_form = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"
    assert "MessageId" in sqs.send_message(QueueUrl=aws_form, MessageBody="by SQS's URL")
    localhost = server.url.replace("127.0.0.1", "localhost") + f"/{ACCOUNT}/jobs"
    assert "MessageId" in sqs.send_message(QueueUrl=localhost, MessageBody="by localhost")
    for url in (
        f"{server.url}/999999999999/jobs",
        f"{server.url}/jobs",
        f"{server.url}/{ACCOUNT}/jobs/more",
    ):
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            sqs.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="jobs", QueueOwnerAWSAccountId="999999999999")


def test_queue_attributes_all_named_and_set(server: Server, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs", Attributes={"DelaySeconds": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    sqs.send_message(QueueUrl=url, MessageBody="taken")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert every["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
    assert every["ApproximateNumberOfMessages"] == "1"
    assert every["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert every["ApproximateNumberOfMessagesDelayed"] == "1"
    assert every["VisibilityTimeout"] == "30"
    assert every["MaximumMessageSize"] == "1048576"
    assert every["MessageRetentionPeriod"] == "345600"
    assert every["CreatedTimestamp"].isdigit()
    assert "FifoQueue" not in every
    named = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert named["Attributes"] == {"VisibilityTimeout": "30"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    with pytest.raises(sqs.exceptions.InvalidAttributeName) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Colour"])
    assert caught.value.response["Error"]["Message"] == "Unknown Attribute Colour."

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})
    named = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert named["Attributes"] == {"VisibilityTimeout": "5"}
    with pytest.raises(sqs.exceptions.InvalidAttributeValue) as bad:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99999"})
    assert bad.value.response["Error"]["Message"] == (
        "Invalid value for the parameter VisibilityTimeout."
    )
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.create_queue(QueueName="q2", Attributes={"DelaySeconds": "soon"})

    fifo = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})
    attributes = sqs.get_queue_attributes(QueueUrl=fifo["QueueUrl"], AttributeNames=["All"])
    assert attributes["Attributes"]["FifoQueue"] == "true"
    assert attributes["Attributes"]["ContentBasedDeduplication"] == "false"


def test_purge_queue(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


# -- messages -----------------------------------------------------------------------------------


def test_send_receive_delete_round_trip(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    attributes = {
        "kind": {"DataType": "String", "StringValue": "order"},
        "count": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01raw"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()
    received = sqs.receive_message(
        QueueUrl=url,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
        VisibilityTimeout=30,
    )
    (message,) = received["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01raw"
    assert message["MessageAttributes"]["count"] == {"StringValue": "3", "DataType": "Number"}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["SenderId"] == ACCOUNT
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_receive_returns_only_the_attributes_asked_for(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    attributes = {
        "order.id": {"DataType": "String", "StringValue": "7"},
        "order.kind": {"DataType": "String", "StringValue": "book"},
        "trace": {"DataType": "String", "StringValue": "t-1"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    (plain,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert "Attributes" not in plain
    assert "MessageAttributes" not in plain
    assert "MD5OfMessageAttributes" not in plain
    (some,) = sqs.receive_message(
        QueueUrl=url,
        VisibilityTimeout=0,
        MessageAttributeNames=["order.*"],
        AttributeNames=["SentTimestamp"],
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )["Messages"]
    assert sorted(some["MessageAttributes"]) == ["order.id", "order.kind"]
    assert sorted(some["Attributes"]) == ["ApproximateReceiveCount", "SentTimestamp"]
    only = {k: attributes[k] for k in ("order.id", "order.kind")}
    assert some["MD5OfMessageAttributes"] == _attributes_md5(only)
    (exact,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["trace"])["Messages"]
    assert list(exact["MessageAttributes"]) == ["trace"]


def _attributes_md5(attributes: dict[str, dict[str, str]]) -> str:
    from lambdactl.shapes.sqs import attributes_md5

    return attributes_md5(attributes)


def test_send_message_batch_successes_failures_and_whole_batch_errors(
    server: Server, sqs: Any
) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "first"},
            {"Id": "b", "MessageBody": "late", "DelaySeconds": 901},
            {"Id": "c", "MessageBody": "third"},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["a", "c"]
    assert result["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"first").hexdigest()
    (failed,) = result["Failed"]
    assert failed == {
        "Id": "b",
        "SenderFault": True,
        "Code": "InvalidParameterValue",
        "Message": "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds "
        "must be >= 0 and <= 900.",
    }
    bodies = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in bodies) == ["first", "third"]

    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct) as twice:
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}],
        )
    assert twice.value.response["Error"]["Message"] == "Id x repeated."
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest) as many:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": f"m{n}", "MessageBody": "x"} for n in range(11)]
        )
    assert many.value.response["Error"]["Message"] == (
        "Maximum number of entries per request are 10. You have sent 11."
    )
    with pytest.raises(sqs.exceptions.InvalidBatchEntryId):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "x"}])
    # botocore refuses an empty list itself; the server answers it as SQS does
    status, headers, body = post(
        server,
        json.dumps({"QueueUrl": url, "Entries": []}).encode(),
        sqs_target("SendMessageBatch"),
    )
    assert status == 400
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.EmptyBatchRequest;Sender"
    assert body["__type"] == "com.amazonaws.sqs#EmptyBatchRequest"
    assert body["message"] == (
        "There should be at least one SendMessageBatchRequestEntry in the request."
    )


def test_delete_message_batch(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    for n in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    entries = [{"Id": f"e{n}", "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)]
    entries.append({"Id": "gone", "ReceiptHandle": "not-a-receipt"})
    result = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in result["Successful"]) == ["e0", "e1"]
    (failed,) = result["Failed"]
    assert failed["Id"] == "gone"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_change_message_visibility(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="work")
    (taken,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"], VisibilityTimeout=0
    )
    (again,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
    assert again["MessageId"] == taken["MessageId"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):  # superseded by `again`'s
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"], VisibilityTimeout=10
        )
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0
    )
    with pytest.raises(sqs.exceptions.MessageNotInflight) as caught:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=10
        )
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.MessageNotInflight"
    (third,) = sqs.receive_message(QueueUrl=url)["Messages"]
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "ReceiptHandle": third["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "nope", "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["ok"]
    assert [e["Id"] for e in result["Failed"]] == ["bad"]
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "work"


def test_bad_receive_parameters_are_sqs_errors(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert caught.value.response["Error"]["Message"] == (
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
        "and 10, if provided."
    )
    with pytest.raises(sqs.exceptions.ClientError) as wait:
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    assert wait.value.response["Error"]["Code"] == "InvalidParameterValue"


# -- long polling -------------------------------------------------------------------------------


def test_a_long_poll_returns_when_a_message_arrives(server: Server, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
        time.sleep(1.0)
        assert not waiting.done()  # it waits for a message...
        server.client("sqs").send_message(QueueUrl=url, MessageBody="wake up")
        (message,) = waiting.result(timeout=30)["Messages"]
    assert message["Body"] == "wake up"
    assert time.monotonic() - started < 19  # ... and returns with it, not at the deadline


def test_a_long_poll_sees_a_message_sent_by_the_cli(server: Server, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
        lambdactl(server, "queue", "send", "jobs", "from the cli")
        (message,) = waiting.result(timeout=30)["Messages"]
    assert message["Body"] == "from the cli"


def test_an_empty_long_poll_waits_its_time_then_answers_empty(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert time.monotonic() - started >= 0.9


def test_many_long_polls_hold_no_thread_and_invoke_still_answers(server: Server) -> None:
    polls = 24
    sqs = server.client("sqs", max_pool_connections=polls + 4)
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    lambda_client = server.client("lambda")
    lambda_client.invoke(FunctionName="hello")  # warm
    with concurrent.futures.ThreadPoolExecutor(polls) as pool:
        waiting = [
            pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
            for _ in range(polls)
        ]
        time.sleep(1.5)
        assert not any(w.done() for w in waiting)
        started = time.monotonic()
        response = lambda_client.invoke(FunctionName="hello", Payload=b'{"name": "busy"}')
        assert json.loads(response["Payload"].read()) == {"hello": "busy"}
        assert time.monotonic() - started < 5
        for first in range(0, polls, 10):
            count = min(10, polls - first)
            entries = [{"Id": f"m{first + n}", "MessageBody": "go"} for n in range(count)]
            assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == count
        received = [w.result(timeout=30).get("Messages", []) for w in waiting]
    # every message went to a poll, none twice; a poll woken by a batch may take several
    ids = [m["MessageId"] for batch in received for m in batch]
    assert len(ids) == len(set(ids))
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(ids) + len(left) == polls


def test_a_poll_whose_client_left_takes_nothing(server: Server, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    host, _, port = server.url.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"QueueUrl": url, "WaitTimeSeconds": 20}).encode()
    connection.request("POST", "/", body=body, headers=sqs_target("ReceiveMessage"))
    time.sleep(1.0)
    connection.close()  # gone before any message
    time.sleep(1.0)
    sqs.send_message(QueueUrl=url, MessageBody="for someone who stayed")
    time.sleep(0.5)
    (message,) = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert message["Body"] == "for someone who stayed"


# -- the same queues as the CLI -----------------------------------------------------------------


def test_the_cli_and_the_api_share_queues_and_urls(server: Server, sqs: Any) -> None:
    created = lambdactl(server, "queue", "create", "jobs")
    assert created == {"QueueUrl": f"{server.url}/{ACCOUNT}/jobs"}  # the server's URL
    url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
    assert url == created["QueueUrl"]
    assert lambdactl(server, "queue", "list") == {"QueueUrls": [url]}
    table = subprocess.run(
        [sys.executable, "-m", "lambdactl", "queue", "list"],
        cwd=server.project_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    [row] = [line.split() for line in table.stdout.splitlines() if "jobs" in line]
    assert row[-1] == url  # the table says what json does

    sent = sqs.send_message(QueueUrl=url, MessageBody="api to cli")
    received = lambdactl(server, "queue", "receive", "jobs")["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in received] == [(sent["MessageId"], "api to cli")]

    by_cli = lambdactl(server, "queue", "send", "jobs", "cli to api", "--attribute", "k=v")
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert message["MessageId"] == by_cli["MessageId"]
    assert message["Body"] == "cli to api"
    assert message["MessageAttributes"] == {"k": {"StringValue": "v", "DataType": "String"}}
    lambdactl(server, "queue", "delete-message", "jobs", message["ReceiptHandle"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"  # the CLI's receive


def test_aws_cli_sends_and_receives(server: Server, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sent = aws(server, "sqs", "send-message", "--queue-url", url, "--message-body", "from aws")
    assert sent.returncode == 0, sent.stderr
    message_id = json.loads(sent.stdout)["MessageId"]
    got = aws(server, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5")
    assert got.returncode == 0, got.stderr
    (message,) = json.loads(got.stdout)["Messages"]
    assert (message["MessageId"], message["Body"]) == (message_id, "from aws")
    missing = aws(server, "sqs", "get-queue-url", "--queue-name", "nope")
    assert missing.returncode != 0
    assert (
        "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the "
        "GetQueueUrl operation: The specified queue does not exist." in missing.stderr
    )


# -- malformed requests -------------------------------------------------------------------------


def test_malformed_requests_are_4xx_and_the_server_stays_healthy(server: Server, sqs: Any) -> None:
    status, headers, body = post(server, b"{not json", sqs_target("ListQueues"))
    assert status == 400
    assert body["__type"].endswith("#SerializationException")
    assert headers["x-amzn-query-error"] == "SerializationException;Sender"

    status, _, body = post(server, b"[1, 2]", sqs_target("ListQueues"))
    assert (status, body["__type"]) == (400, "com.amazonaws.sqs#SerializationException")

    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    wrong_type = json.dumps({"QueueUrl": url, "MaxNumberOfMessages": "ten"}).encode()
    status, _, body = post(server, wrong_type, sqs_target("ReceiveMessage"))
    assert status == 400
    assert "MaxNumberOfMessages" in body["message"]

    status, _, body = post(server, b"{}", sqs_target("SendMessage"))
    assert status == 400
    assert body == {
        "__type": "com.amazonaws.sqs#MissingParameter",
        "message": "The request must contain the parameter QueueUrl.",
    }

    status, _, body = post(server, b"{}", sqs_target("ListQueueTags"))
    assert status == 400
    assert body["message"] == "lambdactl does not implement the SQS operation ListQueueTags"
    status, _, body = post(server, b"{}", sqs_target("Frobnicate"))
    assert (status, body["message"]) == (400, "SQS has no operation named 'Frobnicate'")

    status, headers, body = post(server, b"{}", {"Content-Type": "application/json"})
    assert status == 400
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "X-Amz-Target" in body["message"]

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = post(server, b"Action=ListQueues&Version=2012-11-05", form)
    assert status == 400
    assert "query protocol" in body["message"]

    status, _, body = post(server, b"{}", {"X-Amz-Target": "DynamoDB_20120810.GetItem"})
    assert status == 400
    assert "DynamoDB_20120810.GetItem" in body["message"]

    host, _, port = server.url.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/")
    for key, value in sqs_target("SendMessage").items():
        connection.putheader(key, value)
    connection.putheader("Content-Length", str(64 * 1024 * 1024))
    connection.endheaders()
    huge = connection.getresponse()
    assert huge.status == 413
    connection.close()

    assert sqs.list_queues()["QueueUrls"] == [url]  # still answering
