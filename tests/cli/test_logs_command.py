"""`lambdactl logs` and `lambdactl tail`, end to end.

Real invocations write `.lambda/logs.db`: the CLI run in-process (`cli`), separate
`lambdactl invoke` processes and the detached async worker. The commands read it back
in-process, or as real follower processes (`tail`, `logs -f`) whose stdout is read line by
line while other processes write. Every process a test starts is stopped or killed, and
waited for, before the test ends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.events import worker_processes
from tests.runtime import REQUEST_ID, call, fn, write_functions

CLI = Callable[..., Any]
"""The `cli` fixture: `cli(*argv)` -> Result(code, out, err)."""

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"
TEXT_LINE = re.compile(rf"({STAMP}) (\[(?:\$LATEST|\d+)\][0-9a-f]{{6}}) (.*)")
"""One human-readable line: timestamp, the stream's short id, the message."""
STREAM_NAME = re.compile(r"(\d{4}/\d\d/\d\d)/\[(\$LATEST|\d+)\][0-9a-f]{32}")
ISO_MS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
JSON_KEYS = ["logStreamName", "timestamp", "message", "ingestionTime", "eventId"]
INIT_START = re.compile(
    r"INIT_START Runtime Version: python:3\.\d+\.v\d+\t"
    r"Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}"
)


@pytest.fixture
def functions(project_dir: Path) -> Path:
    """`f`, which prints and logs a tagged line (and raises when asked), and `quiet`, the same
    code, which no test invokes."""
    return write_functions(
        project_dir,
        {
            "f": fn("app.handler", "logging_cli.py", timeout=10),
            "quiet": fn("app.handler", "logging_cli.py", timeout=10),
        },
    )


# -- helpers ------------------------------------------------------------------------------------


def invoke(cli: CLI, tag: str, *, fail: bool = False, target: str = "f") -> str:
    """Invoke `target` through the CLI (in-process); returns the request id."""
    event: dict[str, Any] = {"tag": tag}
    if fail:
        event["fail"] = True
    result = cli("invoke", target, "-p", json.dumps(event), "-o", "json")
    assert result.code == (1 if fail else 0), result
    request_id = result.json()["RequestId"]
    assert re.fullmatch(REQUEST_ID, request_id)
    return str(request_id)


def invoke_process(cwd: Path, tag: str) -> str:
    """Invoke `f` in a separate `lambdactl invoke` process; returns the request id."""
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "invoke", "f", "-p", json.dumps({"tag": tag})],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    match = re.match(rf"RequestId: ({REQUEST_ID}) ", done.stderr)
    assert match, done.stderr
    return match.group(1)


def text_lines(out: str) -> list[tuple[str, str, str]]:
    """`logs` text output as (timestamp, short stream id, message) per event; a message's
    continuation lines (a stack trace) are joined to it with newlines."""
    events: list[tuple[str, str, str]] = []
    for line in out.splitlines():
        match = TEXT_LINE.fullmatch(line)
        if match:
            stamp, stream, body = match.groups()
            events.append((stamp, stream, body))
        else:
            assert events and line.startswith(" "), f"not an event line: {line!r}"
            stamp, stream, body = events[-1]
            events[-1] = (stamp, stream, body + "\n" + line)
    return events


def bodies(out: str) -> list[str]:
    return [body for _, _, body in text_lines(out)]


def json_events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def report_summary(request_id: str, *, cold: bool) -> re.Pattern[str]:
    """The human REPORT summary: id, duration (billed), memory used/size, cold start."""
    text = rf"REPORT {request_id}  \d+\.\d\d ms \(billed \d+ ms\)  \d+/128 MB"
    if cold:
        text += r"  cold start, init \d+\.\d\d ms"
    return re.compile(text)


def check_invocation_text(events: list[str], request_id: str, tag: str, *, cold: bool) -> None:
    """`events` are exactly one invocation's human lines, in order."""
    expected: list[str | re.Pattern[str]] = []
    if cold:
        expected.append(INIT_START)
    expected += [
        f"START RequestId: {request_id} Version: $LATEST",
        f"printed line tag={tag}",
        f"[INFO] logged line tag={tag}",  # its own time and request id are on the line already
        f"END RequestId: {request_id}",
        report_summary(request_id, cold=cold),
    ]
    assert len(events) == len(expected), events
    for body, want in zip(events, expected):
        if isinstance(want, str):
            assert body == want
        else:
            assert want.fullmatch(body), (body, want.pattern)


def aws_report(request_id: str, *, init: bool = True) -> re.Pattern[str]:
    """AWS's REPORT line (text format), tab-separated with a trailing tab."""
    text = (
        rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t"
    )
    if init:
        text += r"Init Duration: \d+\.\d\d ms\t"
    return re.compile(text + "\n")


def holds_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(fd) == str(path):
                return True
        except OSError:
            continue
    return False


class Follower:
    """`lambdactl ARGS` as a real process (cwd: the project) whose stdout is read line by line
    on a thread, each line with the moment it arrived."""

    def __init__(self, cwd: Path, *args: str) -> None:
        # A child inherits an ignored SIGINT (a test run started in the background): let
        # the follower see Ctrl-C as it would in a terminal.
        previous = signal.getsignal(signal.SIGINT)
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lambdactl", *args],
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        finally:
            if previous is signal.SIG_IGN:
                signal.signal(signal.SIGINT, previous)
        self.lines: list[tuple[float, float, str]] = []
        """(monotonic, wall clock, line) per line, in arrival order."""
        self.ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), time.time(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def text(self) -> str:
        with self._changed:
            return "".join(line + "\n" for _, _, line in self.lines)

    def wait_for(self, wanted: Callable[[str], bool], timeout: float = 10.0) -> tuple[float, float]:
        """(monotonic, wall clock) arrival of the first line for which `wanted` is true.
        Fails after `timeout`, or at once if the follower's output ended."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for arrived, wall, line in self.lines:
                    if wanted(line):
                        return arrived, wall
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    break
                self._changed.wait(left)
        raise AssertionError(
            f"no such line after {timeout} s (follower {'ended' if self.ended else 'runs'}, "
            f"exit {self.process.poll()}); output so far:\n{self.text()}{self.stderr()}"
        )

    def stderr(self) -> str:
        """What the follower wrote to stderr (only once it has ended)."""
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()

    def stop(self, signum: int) -> int:
        """Send `signum`; the exit code (fails if it does not end within 10 s)."""
        self.process.send_signal(signum)
        return self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def wait_until_polling(follower: Follower, state: Path) -> None:
    """Until the follower has opened the project (`state.db`), then a little longer: it is
    then past its setup, polling for new lines or for the log database."""
    deadline = time.monotonic() + 15
    while not holds_open(follower.process.pid, state / "state.db"):
        assert follower.process.poll() is None, follower.stderr()
        assert time.monotonic() < deadline, "the follower did not open the project"
        time.sleep(0.02)
    time.sleep(0.3)


@pytest.fixture
def follow(project_dir: Path) -> Iterator[Callable[..., Follower]]:
    """`follow(*args)` starts `lambdactl ARGS` as a Follower; all are killed and waited for at
    the end."""
    started: list[Follower] = []

    def start(*args: str) -> Follower:
        follower = Follower(project_dir, *args)
        started.append(follower)
        return follower

    try:
        yield start
    finally:
        for follower in started:
            follower.close()


def starts_with_report(request_id: str) -> Callable[[str], bool]:
    def wanted(line: str) -> bool:
        match = TEXT_LINE.fullmatch(line)
        return bool(match) and match.group(3).startswith(f"REPORT {request_id}  ")

    return wanted


# -- reading what was logged --------------------------------------------------------------------


def test_logs_shows_each_invocation_in_order(cli: CLI, functions: Path) -> None:
    first = invoke(cli, "one")
    second = invoke(cli, "two")
    before = datetime.now(timezone.utc)

    result = cli("logs", "f")
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert len(lines) == 12  # INIT_START, START, print, logging, END, REPORT; twice
    events = text_lines(result.out)
    assert len(events) == 12  # every line is an event line: no continuation lines here
    for line in lines:
        assert TEXT_LINE.fullmatch(line), line
        assert re.match(rf"{STAMP} \[\$LATEST\][0-9a-f]{{6}} ", line), line
    check_invocation_text([b for _, _, b in events[:6]], first, "one", cold=True)
    check_invocation_text([b for _, _, b in events[6:]], second, "two", cold=True)
    # each CLI invoke runs its own environment: one stream each
    assert len({stream for _, stream, _ in events[:6]}) == 1
    assert len({stream for _, stream, _ in events[6:]}) == 1
    assert events[0][1] != events[6][1]
    # oldest first, in UTC, just now
    stamps = [datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f") for s, _, _ in events]
    assert stamps == sorted(stamps)
    naive_now = before.replace(tzinfo=None)
    assert naive_now - timedelta(minutes=2) <= stamps[0] <= naive_now


def test_a_warm_invocation_has_no_init_and_no_cold_start(
    cli: CLI, functions: Path, deploy: Any
) -> None:
    invoker = deploy(f=fn("app.handler", "logging_cli.py", timeout=10))
    cold = call(invoker, "f", tag="cold")
    warm = call(invoker, "f", tag="warm")
    assert invoker.logs.flush()

    events = text_lines(cli("logs", "f").out)
    assert len({stream for _, stream, _ in events}) == 1  # one environment, one stream
    check_invocation_text([b for _, _, b in events[:6]], cold.request_id, "cold", cold=True)
    check_invocation_text([b for _, _, b in events[6:]], warm.request_id, "warm", cold=False)
    shown = cli("logs", "f", "--request-id", warm.request_id)
    assert shown.code == 0
    check_invocation_text(bodies(shown.out), warm.request_id, "warm", cold=False)
    assert "cold start" not in shown.out


def test_a_traceback_stays_under_its_error_line(cli: CLI, functions: Path) -> None:
    failed = invoke(cli, "boom", fail=True)
    after = invoke(cli, "after")

    result = cli("logs", "f")
    assert result.code == 0
    lines = result.out.splitlines()
    [at] = [i for i, line in enumerate(lines) if "[ERROR] ValueError: handler failed" in line]
    error = TEXT_LINE.fullmatch(lines[at])
    assert error, lines[at]
    assert error.group(3) == "[ERROR] ValueError: handler failed tag=boom"
    # the trace follows on its own lines, under the message, before the next event
    indent = " " * (len(error.group(1)) + len(error.group(2)) + 2)
    trace = []
    for line in lines[at + 1 :]:
        if TEXT_LINE.fullmatch(line):
            break
        assert line.startswith(indent), line
        trace.append(line[len(indent) :])
    assert trace[0] == "Traceback (most recent call last):"
    assert re.fullmatch(r'  File ".*app\.py", line \d+, in handler', trace[1])
    assert trace[2] == "    _boom(tag)"
    assert re.fullmatch(r'  File ".*app\.py", line \d+, in _boom', trace[3])
    assert trace[4] == '    raise ValueError(f"handler failed tag={tag}")'
    assert len(trace) == 5
    following = TEXT_LINE.fullmatch(lines[at + 1 + len(trace)])
    assert following and following.group(3) == f"END RequestId: {failed}"
    assert following.group(2) == error.group(2)  # same stream
    # the failed invocation's lines, then the next invocation's, whole
    events = text_lines(result.out)
    messages = [body.split("\n")[0] for _, _, body in events]
    assert INIT_START.fullmatch(messages[0])
    assert messages[1:3] == [f"START RequestId: {failed} Version: $LATEST", "printed line tag=boom"]
    assert messages[3] == "[INFO] logged line tag=boom"
    assert messages[4:6] == [
        "[ERROR] ValueError: handler failed tag=boom",
        f"END RequestId: {failed}",
    ]
    assert report_summary(failed, cold=True).fullmatch(messages[6])
    check_invocation_text(messages[7:], after, "after", cold=True)

    # as stored: one event, its lines separated by `\r`, indented with no-break spaces
    stored = json_events(cli("logs", "f", "--request-id", failed, "-o", "json").out)
    [trace_event] = [e for e in stored if e["message"].startswith("[ERROR]")]
    assert trace_event["message"].startswith(
        "[ERROR] ValueError: handler failed tag=boom\rTraceback (most recent call last):\r"
        "\u00a0\u00a0File "
    )
    assert trace_event["message"].count("\n") == 1


def test_output_json_is_filter_log_events_shape(cli: CLI, functions: Path) -> None:
    first = invoke(cli, "one")
    second = invoke(cli, "two")

    result = cli("logs", "f", "--output", "json")
    assert (result.code, result.err) == (0, "")
    events = json_events(result.out)
    assert len(events) == 12
    for event in events:
        assert list(event) == JSON_KEYS
        assert type(event["timestamp"]) is int and type(event["ingestionTime"]) is int
        assert isinstance(event["eventId"], str) and event["eventId"]
        assert event["ingestionTime"] >= event["timestamp"]
        assert event["message"].endswith("\n") and event["message"].count("\n") == 1
        name = STREAM_NAME.fullmatch(event["logStreamName"])
        assert name, event["logStreamName"]
        assert name.group(2) == "$LATEST"
        created = datetime.strptime(name.group(1), "%Y/%m/%d").replace(tzinfo=timezone.utc)
        stamp = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc)
        assert timedelta(0) <= stamp - created < timedelta(days=2)
    assert len({e["eventId"] for e in events}) == 12
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    for part, request_id, tag in ((events[:6], first, "one"), (events[6:], second, "two")):
        assert len({e["logStreamName"] for e in part}) == 1
        messages = [e["message"] for e in part]
        assert INIT_START.fullmatch(messages[0].removesuffix("\n")), messages[0]
        assert messages[1] == f"START RequestId: {request_id} Version: $LATEST\n"
        assert messages[2] == f"printed line tag={tag}\n"
        assert re.fullmatch(
            rf"\[INFO\]\t{ISO_MS}\t{request_id}\tlogged line tag={tag}\n", messages[3]
        ), messages[3]
        assert messages[4] == f"END RequestId: {request_id}\n"
        assert aws_report(request_id).fullmatch(messages[5]), messages[5]
    assert events[0]["logStreamName"] != events[6]["logStreamName"]

    # the text output shows the same events, at the same times, with the stream's short id
    shown = text_lines(cli("logs", "f").out)
    assert len(shown) == len(events)
    for (stamp_text, stream, _), event in zip(shown, events):
        moment = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc)
        assert stamp_text == moment.strftime("%Y-%m-%d %H:%M:%S.") + moment.strftime("%f")[:3]
        name = event["logStreamName"].rsplit("/", 1)[1]
        assert stream == name[: len("[$LATEST]") + 6]


# -- filters ------------------------------------------------------------------------------------


def test_request_id_shows_one_invocation_with_its_init(cli: CLI, functions: Path) -> None:
    first = invoke(cli, "one")
    second = invoke(cli, "two")

    for request_id, tag in ((first, "one"), (second, "two")):
        result = cli("logs", "f", "--request-id", request_id)
        assert (result.code, result.err) == (0, "")
        check_invocation_text(bodies(result.out), request_id, tag, cold=True)
        as_json = json_events(cli("logs", "f", "--request-id", request_id, "-o", "json").out)
        assert len(as_json) == 6
        assert INIT_START.fullmatch(as_json[0]["message"].removesuffix("\n"))
    unknown = cli("logs", "f", "--request-id", "00000000-0000-0000-0000-000000000000")
    assert (unknown.code, unknown.out, unknown.err) == (0, "", "")


def test_filter_patterns(cli: CLI, functions: Path) -> None:
    alpha = invoke(cli, "alpha")
    invoke(cli, "beta")

    def shown(pattern: str) -> list[str]:
        result = cli("logs", "f", "--filter", pattern)
        assert (result.code, result.err) == (0, ""), result
        return bodies(result.out)

    # a word
    assert shown("printed") == ["printed line tag=alpha", "printed line tag=beta"]
    assert shown("PRINTED") == []  # case-sensitive, as in CloudWatch
    # words: all of them, anywhere; a quoted phrase: exactly so
    assert shown("line printed") == ["printed line tag=alpha", "printed line tag=beta"]
    assert shown('"line printed"') == []
    assert shown('"printed line"') == ["printed line tag=alpha", "printed line tag=beta"]
    [logged] = shown('"logged line tag=beta"')
    assert logged == "[INFO] logged line tag=beta"
    # -word excludes
    platform_only = shown("-tag")
    assert len(platform_only) == 8
    assert not any("tag" in body for body in platform_only)
    assert [b.split()[0] for b in platform_only] == ["INIT_START", "START", "END", "REPORT"] * 2
    logged_only = shown("tag -printed")
    assert len(logged_only) == 2 and all(b.startswith("[INFO] logged line") for b in logged_only)
    # ?a ?b: any of them
    any_of = shown("?tag=alpha ?END")
    assert any_of[0] == "printed line tag=alpha"
    assert any_of[1] == "[INFO] logged line tag=alpha"
    assert any_of[2] == f"END RequestId: {alpha}"
    assert re.fullmatch(rf"END RequestId: {REQUEST_ID}", any_of[3]) and any_of[3] != any_of[2]
    assert len(any_of) == 4
    # a filter and a request id together
    result = cli("logs", "f", "--request-id", alpha, "--filter", "?START ?END -INIT_START")
    assert bodies(result.out) == [
        f"START RequestId: {alpha} Version: $LATEST",
        f"END RequestId: {alpha}",
    ]


def test_version_shows_only_that_versions_streams(cli: CLI, functions: Path) -> None:
    published = cli("publish", "f")
    assert published.code == 0, published
    latest = invoke(cli, "latest")
    one = invoke(cli, "one", target="f:1")

    result = cli("logs", "f", "--version", "1")
    assert (result.code, result.err) == (0, "")
    events = text_lines(result.out)
    assert len(events) == 6
    assert all(re.fullmatch(r"\[1\][0-9a-f]{6}", stream) for _, stream, _ in events)
    messages = [body for _, _, body in events]
    assert messages[1] == f"START RequestId: {one} Version: 1"
    assert messages[2] == "printed line tag=one"
    assert latest not in result.out and "$LATEST" not in result.out
    as_json = json_events(cli("logs", "f", "--version", "1", "-o", "json").out)
    assert len(as_json) == 6
    for event in as_json:
        name = STREAM_NAME.fullmatch(event["logStreamName"])
        assert name and name.group(2) == "1"

    only_latest = cli("logs", "f", "--version", "$LATEST")
    assert [body for _, _, body in text_lines(only_latest.out)][1] == (
        f"START RequestId: {latest} Version: $LATEST"
    )
    assert len(text_lines(only_latest.out)) == 6 and one not in only_latest.out
    assert cli("logs", "f", "--version", "2").out == ""
    # a qualified name is refused: logs belong to the function
    qualified = cli("logs", "f:1")
    assert qualified.code == 2
    assert "--version" in qualified.err and qualified.out == ""


def test_since_and_until(cli: CLI, functions: Path) -> None:
    request_id = invoke(cli, "timed")
    now = datetime.now(timezone.utc)
    future = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    past = (now - timedelta(hours=1)).isoformat()

    everything = cli("logs", "f")
    assert len(text_lines(everything.out)) == 6
    for args in (("--since", future), ("--since", "2999-01-01T00:00:00Z"), ("--until", past)):
        result = cli("logs", "f", *args)
        assert (result.code, result.out, result.err) == (0, "", ""), args
    for args in (("--since", "1h"), ("--since", past), ("--until", future), ("--since", "10m")):
        result = cli("logs", "f", *args)
        assert (result.code, result.out) == (0, everything.out), args
    # a one-millisecond window: the REPORT (and whatever was stamped in the same millisecond)
    [report] = [
        e
        for e in json_events(cli("logs", "f", "-o", "json").out)
        if e["message"].startswith("REPORT")
    ]
    moment = datetime.fromtimestamp(report["timestamp"] / 1000, timezone.utc)
    exactly = moment.isoformat(timespec="milliseconds")
    only = cli("logs", "f", "--since", exactly, "--until", exactly, "-o", "json")
    messages = [e["message"] for e in json_events(only.out)]
    assert f"REPORT RequestId: {request_id}\t" in messages[-1]
    assert all(e["timestamp"] == report["timestamp"] for e in json_events(only.out))


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [
        (("logs", "f", "--since", "yesterday"), "--since", "yesterday"),
        (("logs", "f", "--until", "10 minutes"), "--until", "10 minutes"),
        (("tail", "f", "--since", "5x"), "--since", "5x"),
    ],
)
def test_a_bad_time_is_a_one_line_usage_error(
    cli: CLI, functions: Path, args: tuple[str, ...], option: str, value: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"error: {option} '{value}' is not a time")


def test_unknown_and_never_invoked_functions(cli: CLI, functions: Path, project_dir: Path) -> None:
    state = project_dir / ".lambda"
    # nothing was ever logged
    assert not (state / "logs.db").exists()
    for command in ("logs", "tail"):
        missing = cli(command, "nope")
        assert missing.code != 0
        assert missing.out == ""
        assert "Function not found" in missing.err
    never = cli("logs", "quiet")
    assert (never.code, never.out, never.err) == (0, "", "")

    invoke(cli, "one")
    assert (state / "logs.db").exists()
    never = cli("logs", "quiet")
    assert (never.code, never.out, never.err) == (0, "", "")
    missing = cli("logs", "nope")
    assert missing.code != 0 and "Function not found" in missing.err

    # a function removed from the manifest keeps its log group, as on AWS
    write_functions(project_dir, {"quiet": fn("app.handler", "logging_cli.py", timeout=10)})
    removed = cli("logs", "f")
    assert removed.code == 0
    assert len(text_lines(removed.out)) == 6


def test_log_type_tail_prints_the_lines_logs_shows(cli: CLI, functions: Path) -> None:
    for fail in (False, True):
        result = cli(
            "invoke", "f", "-p", json.dumps({"tag": "tail", "fail": fail}), "--log-type", "Tail"
        )
        assert result.code == (1 if fail else 0), result
        tail, _, summary = result.err.rstrip("\n").rpartition("\n")
        match = re.match(rf"RequestId: ({REQUEST_ID})  Version: \$LATEST", summary)
        assert match, result.err
        request_id = match.group(1)
        tail_lines = tail.split("\n")  # not splitlines(): a trace's lines are split by `\r`
        assert tail_lines[0] == f"START RequestId: {request_id} Version: $LATEST"
        assert aws_report(request_id).fullmatch(tail_lines[-1] + "\n"), tail_lines[-1]

        stored = json_events(cli("logs", "f", "--request-id", request_id, "-o", "json").out)
        messages = [e["message"].removesuffix("\n") for e in stored]
        assert INIT_START.fullmatch(messages[0])  # the init phase: in the log, not in the tail
        assert tail_lines == messages[1:]
        assert any(m.startswith("[ERROR] ValueError") for m in tail_lines) == fail


# -- following ----------------------------------------------------------------------------------


def test_tail_follows_new_invocations_and_sigterm_ends_it(
    cli: CLI, functions: Path, follow: Callable[..., Follower]
) -> None:
    before = invoke(cli, "before")
    follower = follow("tail", "f")
    follower.wait_for(starts_with_report(before))  # the last 10 minutes first

    tags = ("new-1", "new-2", "new-3")
    request_ids = []
    measured: list[str] = []
    for tag in tags:
        request_id = invoke(cli, tag)  # in-process: returns once its lines are stored
        returned = time.monotonic()
        arrived, wall = follower.wait_for(starts_with_report(request_id), timeout=5)
        request_ids.append(request_id)
        [report] = [
            e
            for e in json_events(cli("logs", "f", "--request-id", request_id, "-o", "json").out)
            if e["message"].startswith("REPORT")
        ]
        measured.append(
            f"follow latency ({tag}): {(arrived - returned) * 1000:.0f} ms after the invoke "
            f"returned, {wall * 1000 - report['timestamp']:.0f} ms after the REPORT line's "
            "timestamp"
        )
        assert arrived - returned < 5.0

    assert follower.process.poll() is None  # still following
    events = text_lines(follower.text())
    assert len(events) == 24  # history, then each new invocation whole and in order
    check_invocation_text([b for _, _, b in events[:6]], before, "before", cold=True)
    for i, (request_id, tag) in enumerate(zip(request_ids, tags), 1):
        part = events[6 * i : 6 * i + 6]
        check_invocation_text([b for _, _, b in part], request_id, tag, cold=True)
    assert follower.stop(signal.SIGTERM) == 0  # quietly, like Ctrl-C
    assert follower.stderr() == ""
    print("\n".join(measured))  # after the last `cli` call, whose capture would take it


def test_logs_follow_started_before_anything_was_logged(
    functions: Path, project_dir: Path, follow: Callable[..., Follower]
) -> None:
    """The follower waits for the log database; separate `lambdactl invoke` processes, one
    after the other, write to it; SIGINT (Ctrl-C) ends the follower with exit code 0 (`logs`
    catches KeyboardInterrupt itself, so cli.run's 130 does not apply)."""
    state = project_dir / ".lambda"
    follower = follow("logs", "-f", "f")
    wait_until_polling(follower, state)
    assert not (state / "logs.db").exists()
    assert follower.process.poll() is None and follower.lines == []

    written = []
    for tag in ("proc-1", "proc-2"):
        request_id = invoke_process(project_dir, tag)
        written.append((request_id, tag))
        follower.wait_for(starts_with_report(request_id), timeout=5)

    events = text_lines(follower.text())
    assert len(events) == 12
    streams = {stream for _, stream, _ in events}
    assert len(streams) == 2  # two processes, two environments, two streams
    for i, (request_id, tag) in enumerate(written):
        part = events[6 * i : 6 * i + 6]
        check_invocation_text([b for _, _, b in part], request_id, tag, cold=True)
    assert follower.stop(signal.SIGINT) == 0
    assert follower.stderr() == ""


def test_a_follower_still_waiting_for_the_database_ends_on_sigterm(
    functions: Path, project_dir: Path, follow: Callable[..., Follower]
) -> None:
    state = project_dir / ".lambda"
    follower = follow("tail", "f")
    wait_until_polling(follower, state)  # for logs.db, which no one writes
    assert not (state / "logs.db").exists()
    assert follower.stop(signal.SIGTERM) == 0
    assert follower.lines == [] and follower.stderr() == ""


def _schema_less_log_database(state: Path) -> None:
    """`.lambda/logs.db` as its first writer leaves it between creating the file (its WAL
    pragma) and creating the tables (LogStore.__init__). That writer opened the project
    first, so the state database is there (without it, a log database would be the sign of
    a lost one)."""
    from lambdactl.store import open_store

    state.mkdir(parents=True, exist_ok=True)
    open_store(state).close()
    db = sqlite3.connect(state / "logs.db")
    try:
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()


BUG_SCHEMA_RACE = (
    "lambdactl/logs/reader.py _open() / LogStore(create=False): a reader that opens "
    "logs.db after its first writer created the file but before it created the tables "
    "fails with 'internal error: OperationalError: no such table: events' (exit 70) "
    "instead of waiting (follow) or showing nothing"
)


def test_follower_waits_for_the_log_schema(
    cli: CLI, functions: Path, project_dir: Path, follow: Callable[..., Follower]
) -> None:
    """A follower that finds logs.db before its first writer has created the tables (the
    file is created, then the schema) keeps waiting, then shows the lines."""
    state = project_dir / ".lambda"
    _schema_less_log_database(state)
    follower = follow("tail", "f")
    time.sleep(0.5)  # the follower starts and polls the table-less database a few times
    assert follower.process.poll() is None
    request_id = invoke(cli, "late")  # the writer creates the tables and stores the lines
    follower.wait_for(starts_with_report(request_id), timeout=5)


def test_logs_on_a_log_database_without_tables_shows_nothing(
    cli: CLI, functions: Path, project_dir: Path
) -> None:
    _schema_less_log_database(project_dir / ".lambda")
    result = cli("logs", "f")
    assert (result.code, result.out, result.err) == (0, "", "")


# -- asynchronous invocations -------------------------------------------------------------------


def test_async_invocations_appear_in_the_logs(
    cli: CLI, functions: Path, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the detached worker exits by itself soon after its work, should stopping it fail
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "5")
    manifest = (project_dir / "functions.yaml").resolve()
    # A synchronous invoke first creates logs.db: polling `logs` while the worker is the
    # database's first writer runs into the bug of test_follower_waits_for_the_log_schema.
    synchronous = invoke(cli, "sync")
    try:
        queued = cli("invoke", "f", "--async", "-p", json.dumps({"tag": "async"}))
        assert (queued.code, queued.err) == (0, "")
        request_id = queued.out.strip()
        assert re.fullmatch(REQUEST_ID, request_id)

        deadline = time.monotonic() + 10
        while True:
            shown = cli("logs", "f", "--request-id", request_id)
            assert shown.code == 0, shown
            if report_summary(request_id, cold=True).search(shown.out):
                break
            assert time.monotonic() < deadline, f"no REPORT for {request_id}:\n{shown.out}"
            time.sleep(0.1)
        check_invocation_text(bodies(shown.out), request_id, "async", cold=True)
        everything = text_lines(cli("logs", "f").out)
        assert len(everything) == 12
        check_invocation_text([b for _, _, b in everything[:6]], synchronous, "sync", cold=True)
        assert [b for _, _, b in everything[6:]] == bodies(shown.out)
        assert everything[0][1] != everything[6][1]  # the worker's own environment
    finally:
        stopped = cli("worker", "stop")
        deadline = time.monotonic() + 15
        while worker_processes(manifest):  # no worker outlives the test
            assert time.monotonic() < deadline, worker_processes(manifest)
            time.sleep(0.05)
    assert stopped.code == 0, stopped
    assert "stopped worker" in stopped.out


# -- every function at once --------------------------------------------------------------------

ALL_LINE = re.compile(rf"({STAMP}) (f    |quiet) (\[(?:\$LATEST|\d+)\][0-9a-f]{{6}}) (.*)")
"""A line of `logs`/`tail` without a function: the function's name (padded) after the time."""


def all_lines(out: str) -> list[tuple[str, str, str]]:
    """(timestamp, function, message) per event of `logs` without a function."""
    events: list[tuple[str, str, str]] = []
    for line in out.splitlines():
        match = ALL_LINE.fullmatch(line)
        assert match, f"not an event line: {line!r}"
        stamp, name, _stream, body = match.groups()
        events.append((stamp, name.strip(), body))
    return events


def test_logs_without_a_function_interleaves_every_function(cli: CLI, functions: Path) -> None:
    first = invoke(cli, "one")
    second = invoke(cli, "two", target="quiet")
    third = invoke(cli, "three")

    shown = all_lines(cli("logs").out)
    # each `lambdactl invoke` starts its own environment: every invocation is a cold one
    assert [name for _, name, _ in shown] == ["f"] * 6 + ["quiet"] * 6 + ["f"] * 6
    assert [stamp for stamp, _, _ in shown] == sorted(stamp for stamp, _, _ in shown)
    check_invocation_text([b for _, _, b in shown[:6]], first, "one", cold=True)
    check_invocation_text([b for _, _, b in shown[6:12]], second, "two", cold=True)
    check_invocation_text([b for _, _, b in shown[12:]], third, "three", cold=True)

    result = cli("logs", "-o", "json")
    assert (result.code, result.err) == (0, "")
    events = json_events(result.out)
    assert [list(e) for e in events] == [["logGroupName", *JSON_KEYS]] * 18
    assert [e["logGroupName"] for e in events] == (
        ["/aws/lambda/f"] * 6 + ["/aws/lambda/quiet"] * 6 + ["/aws/lambda/f"] * 6
    )
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    # the same filters as for one function
    only = cli("logs", "--request-id", second, "-o", "json")
    assert {e["logGroupName"] for e in json_events(only.out)} == {"/aws/lambda/quiet"}
    assert len(json_events(only.out)) == 6


def test_tail_without_a_function_follows_every_function(
    cli: CLI, functions: Path, follow: Callable[..., Follower]
) -> None:
    before = invoke(cli, "before", target="quiet")
    follower = follow("tail")

    def report_of(request_id: str) -> Callable[[str], bool]:
        def wanted(line: str) -> bool:
            match = ALL_LINE.fullmatch(line)
            return bool(match) and match.group(4).startswith(f"REPORT {request_id}  ")

        return wanted

    follower.wait_for(report_of(before))
    later = [invoke(cli, "f-1"), invoke(cli, "q-1", target="quiet"), invoke(cli, "f-2")]
    for request_id in later:
        follower.wait_for(report_of(request_id), timeout=5)
    names = [name for _, name, _ in all_lines(follower.text())]
    assert names == ["quiet"] * 6 + ["f"] * 6 + ["quiet"] * 6 + ["f"] * 6
    assert follower.stop(signal.SIGTERM) == 0
    assert follower.stderr() == ""


@pytest.mark.parametrize("command", ["logs", "tail"])
def test_a_name_that_is_not_a_function_lists_the_functions(
    cli: CLI, functions: Path, command: str
) -> None:
    invoke(cli, "one")
    result = cli(command, "logs")  # `lambdactl tail logs`, meant as "tail the logs"
    assert (result.code, result.out) == (3, "")
    assert result.err.splitlines() == [
        "error: ResourceNotFoundException: Function not found: "
        "arn:aws:lambda:us-east-1:123456789012:function:logs; the functions are f, quiet "
        f"(lambdactl {command} with no function shows them all)"
    ]
