"""The `lambdactl` object's asynchronous events, queues, streams, sample events, versions and
logs, each in the test's own state; and a failing test's `lambdactl log` section."""

from __future__ import annotations

import pytest

from tests.testing.conftest import run

pytest_plugins = ("pytester",)


def test_events_queues_streams_samples_and_logs(functions: pytest.Pytester) -> None:
    result = run(
        functions,
        """
        import json
        import pytest
        from lambdactl.streams import read

        def test_async_success(lambdactl):
            request_id = lambdactl.invoke_async("hello", {"name": "later"})
            event = lambdactl.wait(request_id)
            assert event.state.value == "succeeded"
            assert event.attempts == 1
            assert json.loads(event.last.payload)["hello"] == "later"
            assert "handling later" in lambdactl.logs("hello")

        def test_async_failure_goes_to_the_destination_and_the_dead_letter_queue(lambdactl):
            request_id = lambdactl.invoke_async("broken", {"n": 1})
            event = lambdactl.wait(request_id)
            assert event.state.value == "failed"
            assert event.attempts == 3
            assert event.condition == "RetriesExhausted"
            [record] = lambdactl.queue("failures").receive()
            body = json.loads(record["Body"])
            assert body["requestContext"]["requestId"] == request_id
            assert body["requestContext"]["condition"] == "RetriesExhausted"
            [dead] = lambdactl.queue("dead").receive()
            assert json.loads(dead["Body"]) == {"n": 1}
            assert dead["MessageAttributes"]["RequestID"]["StringValue"] == request_id

        def test_wait_gives_up_after_its_timeout(lambdactl):
            from lambdactl.errors import ResourceNotFoundException
            with pytest.raises(ResourceNotFoundException):
                lambdactl.wait("no-such-request", timeout=0.1)

        def test_queue(lambdactl):
            inbox = lambdactl.queue("inbox")
            message_id = inbox.send("hi", color="red", size=3, raw=b"\\x00")
            [message] = inbox.receive(max=10)
            assert message["MessageId"] == message_id
            assert message["Body"] == "hi"
            attributes = message["MessageAttributes"]
            assert attributes["color"] == {"DataType": "String", "StringValue": "red"}
            assert attributes["size"] == {"DataType": "Number", "StringValue": "3"}
            assert attributes["raw"] == {"DataType": "Binary", "BinaryValue": "AA=="}
            from lambdactl.queues import QueueDoesNotExist
            with pytest.raises(QueueDoesNotExist):
                lambdactl.queue("nope")

        def test_stream(lambdactl):
            put = lambdactl.stream("clicks").put('{"page": "/"}', "user-1")
            assert put["ShardId"] == "shardId-000000000000"
            [record] = read(lambdactl.project, "clicks", put["ShardId"]).records
            assert record.data == b'{"page": "/"}'

        def test_sample_events(lambdactl):
            event = lambdactl.events.generate("sqs", body="x", attribute=["k=v"])
            [record] = event["Records"]
            assert record["body"] == "x"
            assert record["eventSourceARN"].startswith("arn:aws:sqs:us-east-1:000000000000:")
            got = lambdactl.invoke("hello", lambdactl.events.generate("sqs", body="y"))
            assert got.function_error is None
            from lambdactl.errors import UsageError
            with pytest.raises(UsageError, match="unknown option bodies="):
                lambdactl.events.generate("sqs", bodies="x")
            with pytest.raises(UsageError, match="unknown event type 'nope'"):
                lambdactl.events.generate("nope")

        def test_logs(lambdactl):
            assert lambdactl.logs() == []
            lambdactl.invoke("hello", {"name": "a"})
            lambdactl.invoke("broken")
            hello = lambdactl.logs("hello")
            assert hello[-4].startswith("START RequestId:")
            assert hello[-3] == "handling a"
            assert not any("broken by" in line for line in hello)
            assert any("broken by" in line for line in lambdactl.logs())
        """,
    )
    result.assert_outcomes(passed=7)


def test_a_failing_test_shows_its_functions_log(functions: pytest.Pytester) -> None:
    result = run(
        functions,
        """
        def test_passes(lambdactl):
            lambdactl.invoke("hello", {"name": "quiet"})

        def test_fails(lambdactl):
            got = lambdactl.invoke("hello", {"name": "loud", "fail": True})
            assert got.function_error is None

        def test_fails_without_invoking(lambdactl):
            assert False
        """,
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_fails _*",
            "*- Captured lambdactl log call -*",
            "hello | START RequestId: * Version: $LATEST",
            "hello | handling loud",
            "hello | [[]ERROR] ValueError: asked to fail",
            "    Traceback (most recent call last):",
            "hello | END RequestId: *",
            "hello | REPORT RequestId: *",
            "*_ test_fails_without_invoking _*",
        ]
    )
    output = result.stdout.str()
    assert "quiet" not in output  # a passing test's lines are not shown
    assert output.count("Captured lambdactl log") == 1  # nor an empty section


SOURCES = """\
functions:
  consumer:
    handler: app.consume
    code: src/app
    events:
      - queue: orders
        batch_size: 5
      - stream: clicks
        starting_position: LATEST
queues:
  orders: {}
streams:
  clicks: {shards: 1}
"""

CONSUMER = """
def consume(event, context):
    for record in event["Records"]:
        if record.get("eventSource") == "aws:sqs":
            print("order", record["body"])
        else:
            import base64
            print("click", base64.b64decode(record["kinesis"]["data"]).decode())
"""


def test_deliver_runs_the_queue_and_stream_sources(functions: pytest.Pytester) -> None:
    (functions.path / "sources").mkdir()
    (functions.path / "sources" / "functions.yaml").write_text(SOURCES)
    (functions.path / "sources" / "src" / "app").mkdir(parents=True)
    (functions.path / "sources" / "src" / "app" / "app.py").write_text(CONSUMER)
    result = run(
        functions,
        """
        import pytest

        pytestmark = pytest.mark.lambdactl(manifest="../sources/functions.yaml")

        def test_queue_and_stream(lambdactl, sqs_client):
            lambdactl.queue("orders").send("one")
            url = sqs_client.get_queue_url(QueueName="orders")["QueueUrl"]
            sqs_client.send_message(QueueUrl=url, MessageBody="two")
            clicks = lambdactl.stream("clicks")  # LATEST starts here
            clicks.put("left", "k")
            clicks.put(b"right", "k")
            lambdactl.deliver()
            said = lambdactl.logs("consumer")
            lines = [line for line in said if line.startswith(("order", "click"))]
            assert sorted(lines) == ["click left", "click right", "order one", "order two"]
            assert lambdactl.queue("orders").receive() == []  # consumed, deleted

        def test_the_next_test_starts_empty(lambdactl):
            lambdactl.deliver()
            assert lambdactl.logs("consumer") == []
        """,
    )
    result.assert_outcomes(passed=2)
