"""The `sqs:` source (`lambdactl.sources.sqs`), run by a real `Host` with a real Invoker (and,
for kill -9, a real `lambdactl worker`) against a moto server on 127.0.0.1: messages of a real
SQS queue reach the function as Lambda's records, and what the function answers decides what
is deleted; what SQS does itself (redrive, FIFO group holds) is moto's."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.specs import SqsSource, queue_url_region
from lambdactl.sources.sqs import SqsQueue
from tests.sources import batches, hosting, wait_for, workers
from tests.sources.conftest import Endpoint
from tests.sources.test_queue import HANDLER, POWERTOOLS_HANDLER, powertools_layer
from tests.sources.test_queue import manifest as queue_manifest

RECORDS_HANDLER = """\
import json, os

def handler(event, context):
    with open(os.environ["BATCHES"] + ".records", "a") as f:
        f.write(json.dumps(event["Records"]) + "\\n")
"""

# `slow` sleeps 30 s on its first delivery (a marker file remembers it): a kill -9 meets it.
SLOW_HANDLER = """\
import json, os, time

def handler(event, context):
    bodies = [r["body"] for r in event["Records"]]
    with open(os.environ["BATCHES"], "a") as f:
        f.write(json.dumps(bodies) + "\\n")
    marker = os.environ["BATCHES"] + ".slow"
    if "slow" in bodies and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(30)
"""


def manifest(
    project_dir: Path, url: str, settings: str = "", *, endpoint: str | None = None, **options: Any
) -> Path:
    """test_queue's manifest, with one `sqs:` source (its settings one per line)."""
    lines = [f"queue_url: {url}"] + ([f"endpoint_url: {endpoint}"] if endpoint else [])
    lines += settings.splitlines()
    events = "      - sqs:\n" + "".join(f"          {line}\n" for line in lines)
    return queue_manifest(project_dir, events, "  {}\n", **options)


@pytest.fixture
def hosted(project_dir: Path, aws: Endpoint) -> Iterator[Callable[..., Project]]:
    """`hosted(url, settings, ...)`: the manifest (moto's endpoint unless told), then a
    project with a running Host."""

    def manifested(url: str, settings: str = "", **options: Any) -> Path:
        options.setdefault("endpoint", aws.url)
        return manifest(project_dir, url, settings, **options)

    with hosting(manifested) as start:
        yield lambda *args, **options: start(*args, **options)[0]


def queue(aws: Endpoint, name: str, **attributes: Any) -> str:
    given = {key: str(value) for key, value in attributes.items()}
    return aws.client("sqs").create_queue(QueueName=name, Attributes=given)["QueueUrl"]


def send(aws: Endpoint, url: str, *bodies: str, **options: Any) -> None:
    sqs = aws.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body, **options)


def left(aws: Endpoint, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    got = aws.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(got["ApproximateNumberOfMessages"]),
        int(got["ApproximateNumberOfMessagesNotVisible"]),
    )


def result(project: Project) -> str:
    source = project.functions["hello"].events[0]
    return mappings.current(project, source).last_processing_result


def test_messages_reach_the_function_in_batches_and_are_deleted(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint
) -> None:
    url = queue(aws, "orders")
    send(aws, url, *(f"m{n}" for n in range(25)))
    project = hosted(url, "batch_size: 20\nbatching_window: 1")
    wait_for(lambda: sum(len(b) for b in batches(project_dir)) >= 25)
    wait_for(lambda: left(aws, url) == (0, 0))
    got = batches(project_dir)
    assert sorted(body for batch in got for body in batch) == sorted(f"m{n}" for n in range(25))
    assert max(len(batch) for batch in got) == 20  # several receives of 10 at most
    assert result(project) == mappings.OK


def test_records_carry_what_lambda_delivers(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint
) -> None:
    url = queue(aws, "orders")
    send(
        aws,
        url,
        "hello",
        MessageAttributes={
            "Author": {"DataType": "String", "StringValue": "John Grisham"},
            "Pages": {"DataType": "Number", "StringValue": "42"},
            "Raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    hosted(url, handler=RECORDS_HANDLER)
    path = project_dir / "batches.jsonl.records"
    wait_for(lambda: path.exists() and path.read_text().endswith("\n"))
    (record,) = json.loads(path.read_text().splitlines()[0])
    arn = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    assert record["eventSourceARN"] == arn["Attributes"]["QueueArn"]
    assert record["eventSource"] == "aws:sqs"
    assert record["awsRegion"] == "us-east-1"
    assert record["body"] == "hello"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId"} <= set(record["attributes"])
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "Author": {
            "stringValue": "John Grisham",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "Pages": {
            "stringValue": "42",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
        "Raw": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }


def test_a_throw_leaves_the_batch_to_sqs_which_redrives_it(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint
) -> None:
    dlq = queue(aws, "orders-dlq")
    dlq_arn = aws.client("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    policy = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": "2"}
    url = queue(aws, "orders", VisibilityTimeout=1, RedrivePolicy=json.dumps(policy))
    send(aws, url, "fail")
    project = hosted(url)
    # delivered, shown again after the visibility timeout, delivered again, then redriven
    wait_for(lambda: left(aws, dlq)[0] == 1)
    assert batches(project_dir) == [["fail"], ["fail"]]
    assert left(aws, url) == (0, 0)
    assert result(project) == mappings.FUNCTION_CALL_FAILED


def test_powertools_batch_processor_reports_partial_failures(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint
) -> None:
    pytest.importorskip("aws_lambda_powertools")
    url = queue(aws, "orders", VisibilityTimeout=5)
    send(aws, url, "ok1", "bad1", "ok2")
    project = hosted(
        url,
        "report_batch_item_failures: true",
        handler=POWERTOOLS_HANDLER,
        layer=powertools_layer(project_dir),
        timeout=5,  # importing powertools takes most of a second
    )
    wait_for(lambda: len(batches(project_dir)) == 3)
    # bad1 was reported: it stays in flight (until its visibility timeout); the rest is gone
    wait_for(lambda: left(aws, url) == (0, 1))
    assert sorted(body for (body,) in batches(project_dir)) == ["bad1", "ok1", "ok2"]
    assert result(project) == mappings.OK


def test_a_filter_deletes_what_it_drops(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint
) -> None:
    url = queue(aws, "orders")
    send(aws, url, json.dumps({"kind": "drop"}), json.dumps({"kind": "keep"}))
    hosted(url, 'filter:\n  - {body: {kind: ["keep"]}}')
    wait_for(lambda: batches(project_dir))
    wait_for(lambda: left(aws, url) == (0, 0))
    delivered = [json.loads(body) for batch in batches(project_dir) for body in batch]
    assert delivered == [{"kind": "keep"}]


def test_fifo_groups_arrive_in_order(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint
) -> None:
    url = queue(aws, "jobs.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for n in range(8):
        send(aws, url, f"{'ab'[n % 2]}{n}", MessageGroupId="ab"[n % 2])
    hosted(url, "batch_size: 2", handler=HANDLER)
    wait_for(lambda: sum(len(b) for b in batches(project_dir)) >= 8)
    delivered = [body for batch in batches(project_dir) for body in batch]
    assert sorted(delivered) == sorted(f"{'ab'[n % 2]}{n}" for n in range(8))
    for group in "ab":
        mine = [body for body in delivered if body.startswith(group)]
        assert mine == sorted(mine, key=lambda body: int(body[1:]))
    wait_for(lambda: left(aws, url) == (0, 0))


def test_a_missing_queue_is_a_problem_until_it_is_made(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint, said: list[logging.LogRecord]
) -> None:
    url = f"{aws.url}/123456789012/later"
    project = hosted(url)
    wait_for(lambda: result(project).startswith("PROBLEM: "))
    assert "queue does not exist" in result(project).lower()
    wait_for(lambda: said)
    send(aws, queue(aws, "later"), "hi")
    wait_for(lambda: batches(project_dir) == [["hi"]])
    wait_for(lambda: result(project) == mappings.OK)
    lines = [r.getMessage() for r in said if r.getMessage().startswith("sqs source")]
    assert len([line for line in lines if "retrying" in line]) == 1  # said once, not per try
    assert not any(r.exc_info for r in said)  # no traceback


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_an_endpoint_down_then_up(
    hosted: Callable[..., Project], project_dir: Path, aws: Endpoint, said: list[logging.LogRecord]
) -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    later = Endpoint(f"http://127.0.0.1:{port}")
    url = f"{later.url}/123456789012/orders"
    project = hosted(url, endpoint=later.url)
    wait_for(lambda: result(project).startswith("PROBLEM: Could not connect"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        send(aws, queue(later, "orders"), "hi")
        wait_for(lambda: batches(project_dir) == [["hi"]])
        wait_for(lambda: left(later, url) == (0, 0))
        lines = [r.getMessage() for r in said if r.getMessage().startswith("sqs source")]
    finally:
        server.stop()
    down = f'Could not connect to the endpoint URL: "{later.url}/"'
    assert lines[0] == f"sqs source {url}: {down} (retrying)"
    assert lines[-1] == f"sqs source {url}: reading again"
    # a server starting up may first close a connection unanswered: another line, once
    assert all(line.endswith("(retrying)") for line in lines[:-1])
    assert all(first != then for first, then in zip(lines, lines[1:], strict=False))


def test_no_credentials_is_one_clear_problem(
    hosted: Callable[..., Project], aws: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a network address
    project = hosted(queue(aws, "orders"))
    wait_for(lambda: result(project) == "PROBLEM: Unable to locate credentials")


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://sqs.eu-west-1.amazonaws.com/123456789012/q", "eu-west-1"),
        ("https://ap-south-1.queue.amazonaws.com/123456789012/q", "ap-south-1"),
        ("https://queue.amazonaws.com/123456789012/q", "us-east-1"),
        ("http://127.0.0.1:4566/000000000000/q", None),
    ],
)
def test_an_aws_queue_url_names_its_region(url: str, region: str | None) -> None:
    assert queue_url_region(url) == region


def test_the_region_comes_from_the_url_unless_given(project_dir: Path) -> None:
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/q"
    source = Project.open(manifest(project_dir, url)).functions["hello"].events[0]
    assert source.endpoint.region == "eu-west-1"  # type: ignore[union-attr]
    given = Project.open(manifest(project_dir, url, "region: eu-west-2"))
    assert given.functions["hello"].events[0].endpoint.region == "eu-west-2"  # type: ignore[union-attr]
    local = Project.open(manifest(project_dir, "http://127.0.0.1:4566/000000000000/q"))
    assert local.functions["hello"].events[0].endpoint.region == "us-east-1"  # type: ignore[union-attr]


def test_kill_9_mid_batch_loses_no_message(project_dir: Path, aws: Endpoint) -> None:
    url = queue(aws, "orders", VisibilityTimeout=3)
    send(aws, url, "first")
    manifest(project_dir, url, "batch_size: 1", endpoint=aws.url, handler=SLOW_HANDLER, timeout=3)
    delivered = lambda: [body for batch in batches(project_dir) for body in batch]  # noqa: E731
    with workers(project_dir) as start:
        worker = start(project_dir / "worker.log")
        wait_for(lambda: delivered() == ["first"])
        send(aws, url, "slow")
        wait_for(lambda: delivered() == ["first", "slow"])
        send(aws, url, "third")
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: the function is asleep on "slow"
        worker.wait()
        worker = start()
        # "slow" shows again after its visibility timeout; "third" may have been taken by the
        # killed worker too (then it shows again as well): at least once, never lost
        wait_for(lambda: delivered().count("slow") == 2 and "third" in delivered())
        wait_for(lambda: left(aws, url) == (0, 0))
        worker.send_signal(signal.SIGINT)
        assert worker.wait(15) == 0


def test_a_mapping_names_the_queue_by_its_arn(project_dir: Path) -> None:
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    project = Project.open(manifest(project_dir, url))
    source = project.functions["hello"].events[0]
    assert mappings.source_arn(project, source) == "arn:aws:sqs:eu-west-1:123456789012:orders"


def test_the_endpoint_follows_aws_endpoint_url_sqs(
    project_dir: Path, aws: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `endpoint_url`, boto3's own choice (checked on the client: no call is made)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", aws.url)
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    source = Project.open(manifest(project_dir, url)).functions["hello"].events[0]
    assert isinstance(source, SqsSource)
    client = SqsQueue(source).client()
    assert (client.meta.endpoint_url, client.meta.region_name) == (aws.url, "eu-west-1")
