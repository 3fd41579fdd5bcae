"""`lambdactl logs F --remote` (and `tail --remote`) against moto's server: the function is
deployed there by a real `lambdactl deploy --endpoint-url`; moto runs no function, so the
tests put the log events Lambda would write into `/aws/lambda/<name>` with boto3."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from lambdactl.cloud import watch
from lambdactl.cloud.apply import Clients, Target
from tests.conftest import Endpoint

STREAM = "2026/11/30/[$LATEST]0123456789abcdef0123456789abcdef"
JSON_KEYS = ["logStreamName", "timestamp", "message", "ingestionTime", "eventId"]


def _lines(request_id: str) -> list[str]:
    """What Lambda writes for one invocation (each message ends in a newline)."""
    return [
        f"START RequestId: {request_id} Version: $LATEST\n",
        f"[ERROR]\t2026-11-30T10:00:00.000Z\t{request_id}\tboom {request_id}\n",
        f"hello from {request_id}\n",
        f"END RequestId: {request_id}\n",
        f"REPORT RequestId: {request_id}\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 31 MB\t\n",
    ]


def _put(
    aws: Endpoint, group: str, messages: list[str], *, start: int, stream: str = STREAM
) -> None:
    logs = aws.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


@pytest.fixture
def deployed(cli: Any, aws: Endpoint, monkeypatch: pytest.MonkeyPatch) -> str:
    """`hello` (the test project's function) deployed to moto; the endpoint's URL."""
    # AWSLambdaBasicExecutionRole, which moto's IAM has only when asked (see test_deploy)
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    result = cli("deploy", "--endpoint-url", aws.url, "-o", "json")
    assert result.code == 0, result
    return aws.url


def _now() -> int:
    return int(time.time() * 1000)


def test_remote_logs_print_as_local_ones_text_and_json(
    cli: Any, aws: Endpoint, deployed: str
) -> None:
    start = _now() - 60_000
    _put(aws, "/aws/lambda/hello", _lines("r-1") + _lines("r-2"), start=start)

    text = cli("logs", "hello", "--remote", "--endpoint-url", deployed)
    assert text.code == 0, text
    rows = text.out.splitlines()
    assert len(rows) == 10
    assert re.fullmatch(
        r"\S+ \S+ \[\$LATEST\]012345 START RequestId: r-1 Version: \$LATEST", rows[0]
    )
    assert rows[1].endswith("[$LATEST]012345 [ERROR] boom r-1")
    assert rows[4].endswith("REPORT r-1  1.50 ms (billed 2 ms)  31/128 MB")

    shown = cli("logs", "hello", "--remote", "--endpoint-url", deployed, "-o", "json")
    events = [json.loads(line) for line in shown.out.splitlines()]
    assert [list(e) for e in events] == [JSON_KEYS] * 10
    assert events[0]["message"] == "START RequestId: r-1 Version: $LATEST\n"
    assert events[0]["logStreamName"] == STREAM and events[0]["timestamp"] == start
    # a local function's events: the same keys, in the same order
    assert cli("invoke", "hello").code == 0
    local = cli("logs", "hello", "-o", "json")
    assert [list(json.loads(line)) for line in local.out.splitlines()][0] == JSON_KEYS


def test_filter_request_id_since_and_version_select_as_locally(
    cli: Any, aws: Endpoint, deployed: str
) -> None:
    old = _now() - 7_200_000
    _put(aws, "/aws/lambda/hello", _lines("r-old"), start=old)
    _put(aws, "/aws/lambda/hello", _lines("r-new"), start=_now() - 1000)
    remote = ("--remote", "--endpoint-url", deployed)

    def messages(*args: str) -> list[str]:
        result = cli("logs", "hello", *remote, "-o", "json", *args)
        assert result.code == 0, result
        return [json.loads(line)["message"] for line in result.out.splitlines()]

    assert messages("--filter", "boom") == [
        "[ERROR]\t2026-11-30T10:00:00.000Z\tr-old\tboom r-old\n",
        "[ERROR]\t2026-11-30T10:00:00.000Z\tr-new\tboom r-new\n",
    ]
    assert len(messages("--since", "1h")) == 5
    assert all("r-old" in m for m in messages("--request-id", "r-old"))
    assert len(messages("--request-id", "r-old")) == 5
    assert messages("--version", "$LATEST") == messages()
    refused = cli("logs", "hello", *remote, "--version", "7")
    assert refused.code == 2 and "version 7 of hello is not deployed" in refused.err


def test_a_function_not_deployed_is_one_line_naming_it(cli: Any, aws: Endpoint) -> None:
    result = cli("logs", "hello", "--remote", "--endpoint-url", aws.url)
    assert result.code == 3
    assert result.err.strip().count("\n") == 0, result.err
    assert "hello is not deployed" in result.err and "lambdactl deploy hello" in result.err
    assert "Traceback" not in result.err


def test_a_deployed_function_never_invoked_has_no_lines(cli: Any, deployed: str) -> None:
    result = cli("logs", "hello", "--remote", "--endpoint-url", deployed)
    assert result.code == 0 and result.out == ""


def test_an_aws_error_is_one_line_with_its_code(cli: Any, aws: Endpoint, deployed: str) -> None:
    # a page of more than 10000 events is refused by the server: its code and message
    clients = Clients(Target(aws.region, endpoint_url=deployed))
    _put(aws, "/aws/lambda/hello", _lines("r-1"), start=_now())
    with pytest.raises(watch.LambdactlError) as raised:
        list(watch.read(clients, "/aws/lambda/hello", page_size=10001))
    assert str(raised.value).startswith("log group /aws/lambda/hello: InvalidParameterException: ")
    assert "\n" not in str(raised.value)


def test_every_page_is_read(aws: Endpoint, deployed: str) -> None:
    _put(aws, "/aws/lambda/hello", [f"line {i}\n" for i in range(7)], start=_now() - 1000)
    clients = Clients(Target(aws.region, endpoint_url=deployed))
    read = list(watch.read(clients, "/aws/lambda/hello", page_size=2))
    assert [e.message for e in read] == [f"line {i}" for i in range(7)]


def test_following_prints_each_new_event_once(aws: Endpoint, deployed: str) -> None:
    start = _now() - 1000
    _put(aws, "/aws/lambda/hello", ["first\n"], start=start)
    clients = Clients(Target(aws.region, endpoint_url=deployed))
    stop = threading.Event()
    seen: list[str] = []
    arrived = threading.Event()

    def follow() -> None:
        for event in watch.read(
            clients,
            "/aws/lambda/hello",
            watch.Window(since=start),
            follow=True,
            stop=stop,
            poll_seconds=0.05,
        ):
            seen.append(event.message)
            if event.message == "third":
                arrived.set()

    thread = threading.Thread(target=follow)
    thread.start()
    try:
        _put(aws, "/aws/lambda/hello", ["second\n", "third\n"], start=start + 1)
        assert arrived.wait(30)
    finally:
        stop.set()
        thread.join(30)
    assert seen == ["first", "second", "third"]


def test_remote_options_go_with_remote_and_remote_with_a_function(cli: Any) -> None:
    stray = cli("logs", "hello", "--endpoint-url", "http://127.0.0.1:1")
    assert stray.code == 2 and "--remote" in stray.err
    every = cli("logs", "--remote")
    assert every.code == 2 and "name the FUNCTION" in every.err


def test_tail_remote_follows_in_a_process_until_sigterm(aws: Endpoint, deployed: str) -> None:
    start = _now() - 1000
    _put(aws, "/aws/lambda/hello", ["first\n"], start=start)
    command = [sys.executable, "-m", "lambdactl", "tail", "hello", "--remote", "-o", "json"]
    with subprocess.Popen(
        [*command, "--endpoint-url", deployed], stdout=subprocess.PIPE, text=True
    ) as process:
        _follow_then_stop(process, aws, start)


def _follow_then_stop(process: subprocess.Popen[str], aws: Endpoint, start: int) -> None:
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["message"] == "first\n"
        _put(aws, "/aws/lambda/hello", ["second\n"], start=start + 1)
        assert json.loads(process.stdout.readline())["message"] == "second\n"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        process.kill()
        process.wait()
