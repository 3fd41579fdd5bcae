"""The platform's log lines in the function's log format (`lambdactl.logs.platform`).

Text format: the exact tab-separated AWS lines (spec §4.2). JSON format: Telemetry-API-shaped
records kept or dropped by the system log level, and the function's own output kept or dropped
by the application log level (spec §4.3). The unit tests pin the clock; the end-to-end tests run
real invocations.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from lambdactl.logs import lines
from lambdactl.logs.lines import LogEvent
from lambdactl.logs.platform import PlatformLog
from lambdactl.logs.reports import Report
from lambdactl.manifest import FunctionConfig, LoggingConfig
from lambdactl.runtime import interpreters
from lambdactl.runtime.environment import Environment, EnvironmentSpec, Request
from tests.runtime import HANDLERS, REQUEST_ID, Deployment, fn, payload, report_fields

NOW = 1795773600123
"""2026-11-27T10:00:00.123Z, the pinned clock of the unit tests."""
NOW_TEXT = "2026-11-27T10:00:00.123Z"
RID = "3f0f6c1e-1d6a-4a3b-9a53-6f5d2b1c0e7a"
ARN = "arn:aws:lambda:us-east-1::runtime:" + "ab" * 32
TIMESTAMP_SECONDS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
TIMESTAMP_MS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> int:
    """Pin the platform's clock to NOW."""
    monkeypatch.setattr(lines, "now_ms", lambda: NOW)
    return NOW


def text_log(version: str = "$LATEST") -> PlatformLog:
    return PlatformLog(LoggingConfig(), function="f", version=version)


def json_log(
    application_level: str = "INFO", system_level: str = "INFO", version: str = "$LATEST"
) -> PlatformLog:
    config = LoggingConfig("JSON", application_level, system_level)
    return PlatformLog(config, function="f", version=version)


def only(events: list[LogEvent]) -> str:
    """The message of the only event, which must carry the pinned clock."""
    assert len(events) == 1, events
    assert events[0].timestamp == NOW
    assert isinstance(events[0].timestamp, int)
    return events[0].message


def record(events: list[LogEvent], kind: str) -> dict[str, Any]:
    """The `record` of the only event, a compact JSON line of type `kind` at NOW."""
    message = only(events)
    assert ": " not in message and ", " not in message  # compact separators
    parsed = json.loads(message)
    assert list(parsed) == ["time", "type", "record"]
    assert parsed["time"] == NOW_TEXT
    assert parsed["type"] == kind
    return parsed["record"]  # type: ignore[no-any-return]


# -- text format: AWS's exact lines --------------------------------------------------------------


def test_text_init_start_line(clock: int) -> None:
    message = only(text_log().init_start("python:3.12.v38", ARN))
    assert message == f"INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: {ARN}"


@pytest.mark.parametrize("version", ["$LATEST", "3"])
def test_text_start_and_end_lines(clock: int, version: str) -> None:
    log = text_log(version)
    assert only(log.start(RID)) == f"START RequestId: {RID} Version: {version}"
    end = log.end(RID, status="success", duration_ms=1.0, produced_bytes=2)
    assert only(end) == f"END RequestId: {RID}"


def test_text_report_without_status_ends_in_a_tab(clock: int) -> None:
    message = only(
        text_log().report(Report.measured(RID, duration_ms=15.744, memory_mb=128, max_memory_mb=56))
    )
    assert message == (
        f"REPORT RequestId: {RID}\tDuration: 15.74 ms\tBilled Duration: 16 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 56 MB\t"
    )


def test_text_report_with_init_duration_bills_init_too(clock: int) -> None:
    """The real line of spec §4.2: Billed = ceil(Duration + Init Duration)."""
    message = only(
        text_log().report(
            Report.measured(
                RID, duration_ms=1655.10, memory_mb=128, max_memory_mb=56, init_duration_ms=322.04
            )
        )
    )
    assert message == (
        f"REPORT RequestId: {RID}\tDuration: 1655.10 ms\tBilled Duration: 1978 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 322.04 ms\t"
    )


def test_text_report_timeout_status_has_no_error_type(clock: int) -> None:
    message = only(
        text_log().report(
            Report.measured(
                RID,
                duration_ms=3000.0,
                memory_mb=128,
                max_memory_mb=64,
                status="timeout",
                error_type="Sandbox.Timedout",
            )
        )
    )
    assert message == (
        f"REPORT RequestId: {RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 64 MB\tStatus: timeout"
    )


def test_text_report_error_status_names_the_error_type(clock: int) -> None:
    message = only(
        text_log().report(
            Report.measured(
                RID,
                duration_ms=12.0,
                memory_mb=256,
                max_memory_mb=64,
                init_duration_ms=100.5,
                status="error",
                error_type="Runtime.ExitError",
            )
        )
    )
    assert message == (
        f"REPORT RequestId: {RID}\tDuration: 12.00 ms\tBilled Duration: 113 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 64 MB\tInit Duration: 100.50 ms\t"
        "Status: error\tError Type: Runtime.ExitError"
    )


def test_text_report_success_ignores_an_error_type(clock: int) -> None:
    message = only(
        text_log().report(
            Report.measured(
                RID, duration_ms=1.0, memory_mb=128, max_memory_mb=1, error_type="Runtime.ExitError"
            )
        )
    )
    assert message.endswith("Max Memory Used: 1 MB\t")
    assert "Status" not in message and "Error Type" not in message


def test_text_init_report_lines(clock: int) -> None:
    error = text_log().init_report(
        229.224, phase="init", status="error", error_type="Runtime.ImportModuleError"
    )
    assert only(error) == (
        "INIT_REPORT Init Duration: 229.22 ms\tPhase: init\tStatus: error\t"
        "Error Type: Runtime.ImportModuleError"
    )
    timeout = text_log().init_report(5031.95, phase="invoke", status="timeout", error_type=None)
    assert only(timeout) == "INIT_REPORT Init Duration: 5031.95 ms\tPhase: invoke\tStatus: timeout"


def test_text_fault_lines_are_written_as_given(clock: int) -> None:
    message = f"RequestId: {RID} Error: Runtime exited with error: exit status 1"
    assert text_log().fault(message, "Runtime.ExitError") == [
        LogEvent(NOW, message),
        LogEvent(NOW, "Runtime.ExitError"),
    ]


def test_text_keeps_all_application_output() -> None:
    events = [
        LogEvent(1, "plain"),
        LogEvent(2, '{"level": "DEBUG", "message": "x"}'),
        LogEvent(3, '{"level": "TRACE"}'),
    ]
    assert text_log().application(events) == events


# -- JSON format: platform records ----------------------------------------------------------------


def test_json_start_record_is_one_compact_line(clock: int) -> None:
    """The exact shape of spec §4.3's example."""
    events = json_log().start(RID)
    assert events == [
        LogEvent(
            NOW,
            f'{{"time":"{NOW_TEXT}","type":"platform.start",'
            f'"record":{{"requestId":"{RID}","version":"$LATEST"}}}}',
        )
    ]


def test_json_start_names_a_published_version(clock: int) -> None:
    assert record(json_log(version="7").start(RID), "platform.start") == {
        "requestId": RID,
        "version": "7",
    }


def test_json_report_record_matches_the_spec_example(clock: int) -> None:
    events = json_log().report(
        Report.measured(
            RID, duration_ms=1233.96, memory_mb=256, max_memory_mb=123, init_duration_ms=463.512
        )
    )
    assert only(events) == (
        f'{{"time":"{NOW_TEXT}","type":"platform.report","record":{{"requestId":"{RID}",'
        '"metrics":{"durationMs":1233.96,"billedDurationMs":1698,"memorySizeMB":256,'
        '"maxMemoryUsedMB":123,"initDurationMs":463.512},"status":"success"}}'
    )


def test_json_report_without_init_has_no_init_duration(clock: int) -> None:
    got = record(
        json_log().report(
            Report.measured(RID, duration_ms=1.23456, memory_mb=128, max_memory_mb=40)
        ),
        "platform.report",
    )
    assert got == {
        "requestId": RID,
        "metrics": {
            "durationMs": 1.235,
            "billedDurationMs": 2,
            "memorySizeMB": 128,
            "maxMemoryUsedMB": 40,
        },
        "status": "success",
    }


def test_json_report_error_carries_the_error_type(clock: int) -> None:
    got = record(
        json_log().report(
            Report.measured(
                RID,
                duration_ms=5.0,
                memory_mb=128,
                max_memory_mb=40,
                status="error",
                error_type="Runtime.OutOfMemory",
            )
        ),
        "platform.report",
    )
    assert got["status"] == "error"
    assert got["errorType"] == "Runtime.OutOfMemory"
    assert list(got) == ["requestId", "metrics", "status", "errorType"]


@pytest.mark.parametrize("status", ["timeout", "success"])
def test_json_report_error_type_only_with_status_error(clock: int, status: str) -> None:
    got = record(
        json_log().report(
            Report.measured(
                RID,
                duration_ms=1000.0,
                memory_mb=128,
                max_memory_mb=40,
                status=status,
                error_type="Sandbox.Timedout",
            )
        ),
        "platform.report",
    )
    assert got["status"] == status
    assert "errorType" not in got
    assert got["metrics"]["billedDurationMs"] == 1000


def test_json_runtime_done_replaces_end_at_debug(clock: int) -> None:
    got = record(
        json_log(system_level="DEBUG").end(
            RID, status="success", duration_ms=2.5, produced_bytes=17
        ),
        "platform.runtimeDone",
    )
    assert got == {
        "requestId": RID,
        "status": "success",
        "metrics": {"durationMs": 2.5, "producedBytes": 17},
    }
    assert "END RequestId" not in json.dumps(got)


def test_json_runtime_done_names_the_error_of_a_failure(clock: int) -> None:
    got = record(
        json_log(system_level="DEBUG").end(
            RID,
            status="timeout",
            duration_ms=1000.0,
            produced_bytes=0,
            error_type="Sandbox.Timedout",
        ),
        "platform.runtimeDone",
    )
    assert (got["status"], got["errorType"]) == ("timeout", "Sandbox.Timedout")


def test_json_runtime_done_is_dropped_at_info(clock: int) -> None:
    assert json_log().end(RID, status="success", duration_ms=1.0, produced_bytes=2) == []


def test_json_init_start_record(clock: int) -> None:
    got = record(json_log(version="2").init_start("python:3.12.v38", ARN), "platform.initStart")
    assert got == {
        "initializationType": "on-demand",
        "phase": "init",
        "runtimeVersion": "python:3.12.v38",
        "runtimeVersionArn": ARN,
        "functionName": "f",
        "functionVersion": "2",
    }


def test_json_init_report_record(clock: int) -> None:
    got = record(
        json_log().init_report(
            229.2244, phase="init", status="error", error_type="Runtime.ImportModuleError"
        ),
        "platform.initReport",
    )
    assert got == {
        "initializationType": "on-demand",
        "phase": "init",
        "status": "error",
        "errorType": "Runtime.ImportModuleError",
        "metrics": {"durationMs": 229.224},
    }
    timeout = record(
        json_log().init_report(10000.0, phase="invoke", status="timeout", error_type=None),
        "platform.initReport",
    )
    assert "errorType" not in timeout
    assert (timeout["phase"], timeout["status"]) == ("invoke", "timeout")


def test_json_fault_lines_are_not_written(clock: int) -> None:
    assert json_log().fault(lines.timed_out(RID, 3.0), "Runtime.ExitError") == []


def _every_record(log: PlatformLog) -> dict[str, list[LogEvent]]:
    return {
        "platform.initStart": log.init_start("python:3.12.v38", ARN),
        "platform.initReport": log.init_report(
            1.0, phase="init", status="error", error_type="Runtime.Unknown"
        ),
        "platform.start": log.start(RID),
        "platform.runtimeDone": log.end(RID, status="success", duration_ms=1.0, produced_bytes=1),
        "platform.report": log.report(
            Report.measured(RID, duration_ms=1.0, memory_mb=128, max_memory_mb=1)
        ),
    }


@pytest.mark.parametrize(
    ("system_level", "kept"),
    [
        (
            "DEBUG",
            [
                "platform.initStart",
                "platform.initReport",
                "platform.start",
                "platform.runtimeDone",
                "platform.report",
            ],
        ),
        (
            "INFO",
            ["platform.initStart", "platform.initReport", "platform.start", "platform.report"],
        ),
        ("WARN", []),
    ],
)
def test_system_level_keeps_records_at_or_above_it(
    clock: int, system_level: str, kept: list[str]
) -> None:
    produced = _every_record(json_log(system_level=system_level))
    assert [kind for kind, events in produced.items() if events] == kept
    for kind in kept:
        assert json.loads(only(produced[kind]))["type"] == kind


def test_system_level_does_not_filter_text_lines(clock: int) -> None:
    produced = _every_record(text_log())
    assert all(len(events) == 1 for events in produced.values())


def test_record_time_has_milliseconds_with_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "now_ms", lambda: 1795773599007)
    (event,) = json_log().start(RID)
    assert event.timestamp == 1795773599007
    assert json.loads(event.message)["time"] == "2026-11-27T09:59:59.007Z"


def test_record_time_is_the_event_timestamp_on_the_real_clock() -> None:
    before = lines.now_ms()
    (event,) = json_log().start(RID)
    after = lines.now_ms()
    assert isinstance(event.timestamp, int)
    assert before <= event.timestamp <= after
    stamp = json.loads(event.message)["time"]
    assert re.fullmatch(TIMESTAMP_MS, stamp)
    assert _epoch_ms(stamp) == event.timestamp


def _epoch_ms(stamp: str) -> int:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


# -- JSON format: application log level ------------------------------------------------------------


LINES = {
    "plain": "a plain line",
    "trace": '{"level": "TRACE", "message": "t"}',
    "debug": '{"level": "debug", "message": "d"}',
    "info": '{"level": "INFO", "message": "i"}',
    "warning": '{"level": "WARNING", "message": "w"}',
    "warn": '{"level": "warn", "message": "w"}',
    "error": '{"level": "Error", "message": "e"}',
    "critical": '{"level": "CRITICAL", "message": "c"}',
    "fatal": '{"level": "FATAL", "message": "f"}',
    "no-level": '{"message": "no level"}',
    "number-level": '{"level": 40, "message": "numeric"}',
    "unknown-level": '{"level": "NOTICE", "message": "n"}',
    "broken-json": '{"level": "ERROR", oops',
    "array": '[{"level": "ERROR"}]',
    "log_level-key": '{"log_level": "ERROR", "message": "awslambdaric 4.0.1 key"}',
}
"""Lines of each kind; everything not a JSON object with a known `level` counts as INFO."""

AS_INFO = ["plain", "info", "no-level", "number-level", "unknown-level", "broken-json", "array"]
AS_INFO += ["log_level-key"]


@pytest.mark.parametrize(
    ("level", "kept"),
    [
        ("TRACE", list(LINES)),
        ("DEBUG", [name for name in LINES if name != "trace"]),
        ("INFO", [name for name in LINES if name not in ("trace", "debug")]),
        ("WARN", ["warning", "warn", "error", "critical", "fatal"]),
        ("ERROR", ["error", "critical", "fatal"]),
        ("FATAL", ["critical", "fatal"]),
    ],
)
def test_application_level_filters_json_output(level: str, kept: list[str]) -> None:
    events = [LogEvent(1000 + i, message) for i, message in enumerate(LINES.values())]
    got = json_log(application_level=level).application(events)
    by_message = {message: name for name, message in LINES.items()}
    assert [by_message[event.message] for event in got] == kept
    assert all(event in events for event in got)  # unchanged, timestamps kept, in order


@pytest.mark.parametrize("name", AS_INFO)
def test_lines_without_a_known_level_count_as_info(name: str) -> None:
    event = LogEvent(1, LINES[name])
    assert json_log(application_level="INFO").application([event]) == [event]
    assert json_log(application_level="WARN").application([event]) == []


def test_application_level_does_not_depend_on_system_level() -> None:
    events = [LogEvent(1, LINES["debug"]), LogEvent(2, LINES["warn"])]
    got = json_log(application_level="DEBUG", system_level="WARN").application(events)
    assert got == events


# -- end to end: real invocations ------------------------------------------------------------------


def _json_lines(log: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every line of a JSON-format log parsed; a plain line fails the test."""
    parsed = []
    for line in log:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line in a JSON-format log: {line!r}")
    return parsed


def _platform(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if str(r.get("type", "")).startswith("platform.")]


def _application(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if not str(r.get("type", "")).startswith("platform.")]


def _mixed(**logging: str) -> dict[str, Any]:
    return fn("app.mixed", "json_logging.py", logging=logging)


def _expected_application(request_id: str) -> list[dict[str, Any]]:
    """What the runtime's JSON formatter writes for the warning and the error (levels WARN
    and up), then the JSON line printed with level `error`."""
    common = {"logger": "root", "requestId": request_id}
    return [
        {"level": "WARNING", "message": "a warning record", **common},
        {"level": "ERROR", "message": "an error record", **common},
        {"level": "error", "message": "an error json line"},
    ]


def _without_timestamp(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stripped = []
    for record in records:
        record = dict(record)
        if "timestamp" in record:
            assert re.fullmatch(TIMESTAMP_SECONDS, record.pop("timestamp")), record
        stripped.append(record)
    return stripped


def test_json_format_end_to_end(deploy: Deployment) -> None:
    invoker = deploy(f=_mixed(format="JSON", application_level="WARN"))
    result = invoker.invoke("f")
    rid = result.request_id
    assert payload(result) == {
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "WARN",
        "root_level": 30,  # the runtime set the root logger to WARN
    }
    records = _json_lines(result.log)
    start, report = records[0], records[-1]
    assert start["type"] == "platform.start"
    assert start["record"] == {"requestId": rid, "version": "$LATEST"}
    assert report["type"] == "platform.report"
    assert report["record"]["requestId"] == rid
    assert report["record"]["status"] == "success"
    assert "errorType" not in report["record"]
    metrics = report["record"]["metrics"]
    assert list(metrics) == [
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",  # the first invocation of the environment
    ]
    assert metrics["memorySizeMB"] == 128
    assert metrics["durationMs"] == pytest.approx(result.duration_ms, abs=0.001)
    assert metrics["billedDurationMs"] == result.billed_duration_ms
    assert metrics["maxMemoryUsedMB"] == result.max_memory_mb
    assert metrics["initDurationMs"] == pytest.approx(result.init_duration_ms, abs=0.001)
    assert [r["type"] for r in _platform(records)] == ["platform.start", "platform.report"]
    assert _without_timestamp(_application(records)) == _expected_application(rid)
    text = "\n".join(result.log)
    for dropped in ("a plain print line", "an info record", "a debug json line"):
        assert dropped not in text
    assert not any(line.startswith(("START ", "END ", "REPORT ")) for line in result.log)
    init = _json_lines(result.init_log)
    assert [r["type"] for r in _platform(init)] == ["platform.initStart"]
    assert init[0]["record"]["functionName"] == "f"

    again = invoker.invoke("f")
    records = _json_lines(again.log)
    assert "initDurationMs" not in records[-1]["record"]["metrics"]
    assert _without_timestamp(_application(records)) == _expected_application(again.request_id)


def test_json_format_system_level_warn_writes_no_platform_records(deploy: Deployment) -> None:
    invoker = deploy(f=_mixed(format="JSON", application_level="WARN", system_level="WARN"))
    result = invoker.invoke("f")
    records = _json_lines(result.log)
    assert _platform(records) == []
    assert _without_timestamp(records) == _expected_application(result.request_id)
    assert _platform(_json_lines(result.init_log)) == []
    assert not any("platform." in line for line in invoker.invoke("f").log)


def test_json_format_system_level_debug_adds_runtime_done(deploy: Deployment) -> None:
    result = deploy(f=_mixed(format="JSON", application_level="WARN", system_level="DEBUG")).invoke(
        "f"
    )
    records = _json_lines(result.log)
    kinds = [r["type"] for r in _platform(records)]
    assert kinds == ["platform.start", "platform.runtimeDone", "platform.report"]
    done = next(r for r in records if r.get("type") == "platform.runtimeDone")
    assert done["record"]["requestId"] == result.request_id
    assert done["record"]["status"] == "success"
    assert done["record"]["metrics"]["producedBytes"] == len(result.payload)
    assert records.index(done) == len(records) - 2  # right before the report, like END


def test_json_format_default_levels_keep_info_and_drop_debug(deploy: Deployment) -> None:
    result = deploy(f=_mixed(format="JSON")).invoke("f")
    assert payload(result)["AWS_LAMBDA_LOG_LEVEL"] == "INFO"
    records = _json_lines([line for line in result.log if line != "a plain print line"])
    assert "a plain print line" in result.log  # a plain line counts as INFO
    messages = [r.get("message") for r in _application(records)]
    assert messages == [
        "an info record",
        "a warning record",
        "an error record",
        "an error json line",
    ]


def test_json_format_timeout(deploy: Deployment) -> None:
    result = deploy(f=fn("app.hangs", "json_logging.py", logging={"format": "JSON"})).invoke("f")
    assert result.error_type == "Sandbox.Timedout"
    assert not any("Task timed out" in line for line in result.log)
    records = _json_lines(result.log)
    report = records[-1]
    assert report["type"] == "platform.report"
    assert report["record"]["status"] == "timeout"
    assert "errorType" not in report["record"]
    assert report["record"]["metrics"]["durationMs"] == 1000.0
    assert [r.get("message") for r in _application(records)] == ["about to hang"]


def test_text_format_is_unchanged(deploy: Deployment) -> None:
    result = deploy(f=fn("app.mixed", "json_logging.py")).invoke("f")
    rid = result.request_id
    env = payload(result)
    assert env["AWS_LAMBDA_LOG_FORMAT"] in (None, "Text")
    assert env["AWS_LAMBDA_LOG_LEVEL"] is None
    log = result.log
    assert log[0] == f"START RequestId: {rid} Version: $LATEST"
    assert log[-2] == f"END RequestId: {rid}"
    assert log[-1].startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert log[-1].endswith("\t")  # no status: AWS's trailing tab
    assert report_fields(log[-1])["Memory Size"] == "128 MB"
    body = list(log[1:-2])
    assert body[0] == "a plain print line"
    assert re.fullmatch(rf"\[INFO\]\t{TIMESTAMP_MS}\t{rid}\tan info record", body[1])
    assert re.fullmatch(rf"\[WARNING\]\t{TIMESTAMP_MS}\t{rid}\ta warning record", body[2])
    assert re.fullmatch(rf"\[ERROR\]\t{TIMESTAMP_MS}\t{rid}\tan error record", body[3])
    assert body[4:] == [
        '{"level": "debug", "message": "a debug json line"}',  # no filtering in Text
        '{"level": "error", "message": "an error json line"}',
    ]
    assert result.init_log[0].startswith("INIT_START Runtime Version: python:3.11.v")
    assert not any(line.startswith("{") and "platform." in line for line in log)


def test_text_format_timeout_keeps_the_task_timed_out_line(deploy: Deployment) -> None:
    result = deploy(f=fn("app.hangs", "json_logging.py")).invoke("f")
    rid = result.request_id
    assert re.fullmatch(rf"{TIMESTAMP_MS} {rid} Task timed out after 1\.00 seconds", result.log[-3])
    assert result.log[-1].endswith("\tStatus: timeout")


@pytest.mark.parametrize(
    "logging",
    [LoggingConfig(), LoggingConfig("JSON", "TRACE", "DEBUG")],
    ids=["text", "json-debug"],
)
def test_event_timestamps_are_now_in_ms_and_in_order(
    tmp_path: Path, logging: LoggingConfig
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    shutil.copyfile(HANDLERS / "json_logging.py", code / "app.py")
    spec = EnvironmentSpec(
        function="f",
        version="$LATEST",
        config=FunctionConfig(
            runtime="python3.11", handler="app.mixed", timeout=1, logging=logging
        ),
        code_dir=code,
        layer_dirs=(),
        region="us-east-1",
        account="123456789012",
        interpreter=interpreters.for_runtime("python3.11"),
    )
    env = Environment(spec, scratch_root=tmp_path / "scratch")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    try:
        for _ in range(2):
            before = time.time_ns() // 1_000_000
            result = env.invoke(Request(str(uuid.uuid4()), b"{}", arn))
            after = time.time_ns() // 1_000_000
            assert re.fullmatch(REQUEST_ID, result.request_id)
            events = [*result.init_events, *result.events]
            assert len(result.events) >= 3
            stamps = [event.timestamp for event in events]
            assert all(type(stamp) is int for stamp in stamps)
            assert all(before <= stamp <= after for stamp in stamps), (before, stamps, after)
            assert stamps == sorted(stamps)
            for event in events:
                if logging.json and '"type":"platform.' in event.message:
                    assert _epoch_ms(json.loads(event.message)["time"]) == event.timestamp
    finally:
        env.shutdown()
