"""CloudWatch Logs' JSON protocol through boto3 and the AWS CLI against a real server: log
groups, streams and events of invoked functions, with CloudWatch's shapes, tokens, filter
patterns and errors."""

from __future__ import annotations

import concurrent.futures
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Server, aws, post

ACCOUNT = "123456789012"
GROUP = "/aws/lambda/hello"
GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{GROUP}"

PRINTER = """\
import json
import time


def handler(event, context):
    for line in event.get("lines", []):
        print(line if isinstance(line, str) else json.dumps(line))
    time.sleep(event.get("sleep", 0))
    return {"ok": True}
"""
TWO_FUNCTIONS = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
  other:
    handler: app.handler
    code: src/hello
"""
LOG_GROUP_KEYS = [
    "logGroupName",
    "creationTime",
    "retentionInDays",
    "metricFilterCount",
    "arn",
    "storedBytes",
    "logGroupClass",
    "logGroupArn",
    "deletionProtectionEnabled",
]


@pytest.fixture
def printing(project_dir: Path) -> Path:
    """`hello` prints the lines its event lists (and `other` runs the same code)."""
    (project_dir / "src" / "hello" / "app.py").write_text(PRINTER)
    (project_dir / "functions.yaml").write_text(TWO_FUNCTIONS)
    return project_dir


@pytest.fixture
def server(printing: Path, serve: Callable[..., Server]) -> Server:
    return serve()


@pytest.fixture
def logs(server: Server) -> Any:
    return server.client("logs")


def invoke(server: Server, *lines: Any, function: str = "hello", sleep: float = 0) -> str:
    """Invoke through the server; the request id."""
    payload = json.dumps({"lines": list(lines), "sleep": sleep}).encode()
    response = server.client("lambda").invoke(FunctionName=function, Payload=payload)
    assert response["StatusCode"] == 200
    request_id: str = response["ResponseMetadata"]["RequestId"]
    return request_id


def settled(logs: Any, *request_ids: str, group: str = GROUP) -> list[dict[str, Any]]:
    """Every event of `group` once each invocation's REPORT line is stored (logs are written
    in the background), oldest first."""
    deadline = time.monotonic() + 30
    while True:
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            events = [e for page in pages for e in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        reports = {e["message"].split()[2] for e in events if e["message"].startswith("REPORT")}
        if set(request_ids) <= reports:
            return events
        assert time.monotonic() < deadline, f"no REPORT of {request_ids} in {events}"
        time.sleep(0.1)


# -- groups and streams -------------------------------------------------------------------------


def test_describe_log_groups(server: Server, logs: Any) -> None:
    settled(logs, invoke(server, "hi"))
    settled(logs, invoke(server, "hi", function="other"), group="/aws/lambda/other")
    groups = logs.describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == [GROUP, "/aws/lambda/other"]
    hello = groups[0]
    assert list(hello) == LOG_GROUP_KEYS
    assert hello["arn"] == f"{GROUP_ARN}:*"
    assert hello["logGroupArn"] == GROUP_ARN
    assert hello["retentionInDays"] == 30  # lambdactl's default retention
    assert hello["storedBytes"] > 0
    assert hello["creationTime"] <= time.time() * 1000
    assert (hello["metricFilterCount"], hello["logGroupClass"]) == (0, "STANDARD")

    first = logs.describe_log_groups(limit=1)
    assert [g["logGroupName"] for g in first["logGroups"]] == [GROUP]
    rest = logs.describe_log_groups(limit=1, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == ["/aws/lambda/other"]
    assert "nextToken" not in rest
    by_prefix = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/o")["logGroups"]
    assert [g["logGroupName"] for g in by_prefix] == ["/aws/lambda/other"]
    by_pattern = logs.describe_log_groups(logGroupNamePattern="hell")["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == [GROUP]
    assert logs.describe_log_groups(logGroupNamePrefix="/nothing")["logGroups"] == []
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_groups(logGroupNamePrefix="/aws", logGroupNamePattern="x")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_groups(limit=51)
    with pytest.raises(logs.exceptions.InvalidParameterException) as token:
        logs.describe_log_groups(nextToken="garbage")
    assert token.value.response["Error"]["Message"] == "The specified nextToken is invalid."


def test_describe_log_streams(server: Server, logs: Any) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two environments, two streams
        ids = list(pool.map(lambda n: invoke(server, f"call {n}", sleep=1), range(2)))
    settled(logs, *ids)
    streams = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert len(streams) == 2
    names = [s["logStreamName"] for s in streams]
    assert names == sorted(names)
    stream = streams[0]
    assert list(stream) == [
        "logStreamName",
        "creationTime",
        "firstEventTimestamp",
        "lastEventTimestamp",
        "lastIngestionTime",
        "uploadSequenceToken",
        "arn",
        "storedBytes",
    ]
    assert stream["arn"] == f"{GROUP_ARN}:log-stream:{stream['logStreamName']}"
    assert stream["firstEventTimestamp"] <= stream["lastEventTimestamp"]
    assert stream["storedBytes"] == 0
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream["logStreamName"])

    latest = logs.describe_log_streams(
        logGroupName=GROUP, orderBy="LastEventTime", descending=True
    )["logStreams"]
    times = [s["lastEventTimestamp"] for s in latest]
    assert times == sorted(times, reverse=True)
    page = logs.describe_log_streams(logGroupName=GROUP, limit=1)
    assert [s["logStreamName"] for s in page["logStreams"]] == names[:1]
    after = logs.describe_log_streams(logGroupName=GROUP, limit=1, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in after["logStreams"]] == names[1:]
    prefix = names[1][: len(names[1]) - 31]  # date, version and the first hex digit
    by_prefix = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=prefix)
    assert names[1] in [s["logStreamName"] for s in by_prefix["logStreams"]]
    by_arn = logs.describe_log_streams(logGroupIdentifier=GROUP_ARN)["logStreams"]
    assert [s["logStreamName"] for s in by_arn] == names

    with pytest.raises(logs.exceptions.InvalidParameterException) as both:
        logs.describe_log_streams(
            logGroupName=GROUP, orderBy="LastEventTime", logStreamNamePrefix="2"
        )
    assert both.value.response["Error"]["Message"] == (
        "Cannot order by LastEventTime with a logStreamNamePrefix."
    )
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as missing:
        logs.describe_log_streams(logGroupName="/aws/lambda/nope")
    assert missing.value.response["Error"]["Message"] == "The specified log group does not exist."
    elsewhere = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{GROUP}"
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupIdentifier=elsewhere)


# -- events -------------------------------------------------------------------------------------


def _stream(logs: Any) -> str:
    (stream,) = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    name: str = stream["logStreamName"]
    return name


def test_get_log_events_pages_forward_and_back_with_cloudwatch_tokens(
    server: Server, logs: Any
) -> None:
    request_id = invoke(server, *[f"line {n}" for n in range(10)])
    settled(logs, request_id)
    stream = _stream(logs)
    whole = logs.get_log_events(logGroupName=GROUP, logStreamName=stream)
    messages = [e["message"] for e in whole["events"]]
    assert messages[0].startswith("INIT_START")
    assert messages[1] == f"START RequestId: {request_id} Version: $LATEST\n"
    assert messages[2:12] == [f"line {n}\n" for n in range(10)]
    assert messages[-1].startswith(f"REPORT RequestId: {request_id}")
    assert list(whole["events"][0]) == ["timestamp", "message", "ingestionTime"]
    assert whole["nextForwardToken"].startswith("f/")
    assert whole["nextBackwardToken"].startswith("b/")

    # from the head, three at a time, until the same token comes back with nothing
    forward: list[str] = []
    response = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, startFromHead=True, limit=3
    )
    while response["events"]:
        forward += [e["message"] for e in response["events"]]
        token = response["nextForwardToken"]
        response = logs.get_log_events(
            logGroupName=GROUP, logStreamName=stream, nextToken=token, limit=3
        )
    assert forward == messages
    assert response["nextForwardToken"] == token

    # from the tail (the default), three at a time, backwards
    response = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=3)
    assert [e["message"] for e in response["events"]] == messages[-3:]
    backward: list[str] = []
    while response["events"]:
        backward = [e["message"] for e in response["events"]] + backward
        back = response["nextBackwardToken"]
        response = logs.get_log_events(
            logGroupName=GROUP, logStreamName=stream, nextToken=back, limit=3
        )
    assert backward == messages
    assert response["nextBackwardToken"] == back

    # a forward token read to the end picks up what is logged later
    later = invoke(server, "later line")
    settled(logs, request_id, later)
    more = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken=token)
    assert "later line\n" in [e["message"] for e in more["events"]]

    # startTime is inclusive, endTime exclusive
    stamps = [e["timestamp"] for e in whole["events"]]
    middle = stamps[5]
    bounded = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, startTime=middle, endTime=middle + 1
    )
    assert {e["timestamp"] for e in bounded["events"]} == {middle}


def test_get_log_events_errors(server: Server, logs: Any) -> None:
    settled(logs, invoke(server, "x"))
    stream = _stream(logs)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as group:
        logs.get_log_events(logGroupName="/aws/lambda/nope", logStreamName=stream)
    assert group.value.response["Error"]["Message"] == "The specified log group does not exist."
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as missing:
        logs.get_log_events(logGroupName=GROUP, logStreamName="no-such-stream")
    assert missing.value.response["Error"]["Message"] == (
        "The specified log stream does not exist."
    )
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken="f/123")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.get_log_events(
            logGroupName=GROUP, logGroupIdentifier=GROUP_ARN, logStreamName=stream
        )

    status, headers, body = post(
        server,
        json.dumps({"logGroupName": "/aws/lambda/nope", "logStreamName": "s"}).encode(),
        {
            "X-Amz-Target": "Logs_20140328.GetLogEvents",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert status == 400
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert "x-amzn-query-error" not in headers
    assert body == {
        "__type": "ResourceNotFoundException",
        "message": "The specified log group does not exist.",
    }
    status, _, body = post(server, b"{oops", {"X-Amz-Target": "Logs_20140328.GetLogEvents"})
    assert (status, body["__type"]) == (400, "SerializationException")
    status, _, body = post(server, b"{}", {"X-Amz-Target": "Logs_20140328.PutLogEvents"})
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert "PutLogEvents" in body["message"]


def test_filter_log_events_with_patterns_streams_times_and_pages(
    server: Server, logs: Any
) -> None:
    first = invoke(
        server,
        "ERROR disk full",
        "WARN disk slow",
        "INFO all good",
        {"level": "ERROR", "durationMs": 250},
        {"level": "INFO", "durationMs": 20},
    )
    settled(logs, first)

    def messages(**options: Any) -> list[str]:
        if "logGroupIdentifier" not in options:
            options["logGroupName"] = GROUP
        pages = logs.get_paginator("filter_log_events").paginate(**options)
        return [e["message"] for page in pages for e in page["events"]]

    assert messages(filterPattern="ERROR disk") == ["ERROR disk full\n"]
    assert messages(filterPattern='"disk slow"') == ["WARN disk slow\n"]
    assert messages(filterPattern="?WARN ?all -good") == ["WARN disk slow\n"]
    assert messages(filterPattern='{ $.level = "ERROR" && $.durationMs > 100 }') == [
        json.dumps({"level": "ERROR", "durationMs": 250}) + "\n"
    ]
    everything = messages()
    assert messages(filterPattern="") == everything
    assert messages(filterPattern="nothing-matches-this") == []

    page = logs.filter_log_events(logGroupName=GROUP, filterPattern="disk", limit=1)
    assert [e["message"] for e in page["events"]] == ["ERROR disk full\n"]
    assert page["searchedLogStreams"] == []
    event = page["events"][0]
    assert list(event) == ["logStreamName", "timestamp", "message", "ingestionTime", "eventId"]
    rest = logs.filter_log_events(
        logGroupName=GROUP, filterPattern="disk", limit=1, nextToken=page["nextToken"]
    )
    assert [e["message"] for e in rest["events"]] == ["WARN disk slow\n"]
    assert "nextToken" not in rest

    stream = event["logStreamName"]
    assert messages(logStreamNames=[stream]) == everything
    assert messages(logStreamNames=["other-stream"]) == []
    assert messages(logStreamNamePrefix=stream[:12]) == everything
    assert messages(logGroupIdentifier=f"{GROUP_ARN}:*", filterPattern="disk full") == [
        "ERROR disk full\n"
    ]
    stamp = event["timestamp"]  # endTime is inclusive here, unlike GetLogEvents'
    timed = logs.filter_log_events(logGroupName=GROUP, startTime=stamp, endTime=stamp)
    assert "ERROR disk full\n" in [e["message"] for e in timed["events"]]
    assert {e["timestamp"] for e in timed["events"]} == {stamp}

    with pytest.raises(logs.exceptions.InvalidParameterException) as pattern:
        logs.filter_log_events(logGroupName=GROUP, filterPattern='{ $.level = "ERROR"')
    assert "Invalid filter pattern" in pattern.value.response["Error"]["Message"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(
            logGroupName=GROUP, logStreamNames=[stream], logStreamNamePrefix="2"
        )
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/aws/lambda/nope")


def test_aws_cli_filter_log_events_and_get_log_events(server: Server, logs: Any) -> None:
    request_id = invoke(server, "ERROR from the cli test", "fine line")
    settled(logs, request_id)
    found = aws(
        server,
        "logs",
        "filter-log-events",
        "--log-group-name",
        GROUP,
        "--filter-pattern",
        "ERROR",
    )
    assert found.returncode == 0, found.stderr
    events = json.loads(found.stdout)["events"]
    assert [e["message"] for e in events] == ["ERROR from the cli test\n"]

    stream = events[0]["logStreamName"]
    got = aws(
        server,
        "logs",
        "get-log-events",
        "--log-group-name",
        GROUP,
        "--log-stream-name",
        stream,
        "--start-from-head",
    )
    assert got.returncode == 0, got.stderr
    messages = [e["message"] for e in json.loads(got.stdout)["events"]]
    assert "fine line\n" in messages
    assert messages[-1].startswith(f"REPORT RequestId: {request_id}")

    groups = aws(server, "logs", "describe-log-groups")
    assert groups.returncode == 0, groups.stderr
    assert [g["logGroupName"] for g in json.loads(groups.stdout)["logGroups"]] == [GROUP]

    missing = aws(server, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/nope")
    assert missing.returncode != 0
    assert (
        "An error occurred (ResourceNotFoundException) when calling the FilterLogEvents "
        "operation: The specified log group does not exist." in missing.stderr
    )
