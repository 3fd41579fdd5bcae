"""REPORT as data (`lambdactl.logs.reports`): one report, its two written forms, read back.

The exact lines are pinned in test_platform.py; here: what goes in comes back out.
"""

from __future__ import annotations

import json

import pytest

from lambdactl.logs import reports
from lambdactl.logs.reports import Report

RID = "3f0f6c1e-1d6a-4a3b-9a53-6f5d2b1c0e7a"

COLD_ERROR = Report.measured(
    RID,
    duration_ms=12.5,
    memory_mb=256,
    max_memory_mb=64,
    init_duration_ms=100.25,
    status="error",
    error_type="Runtime.ExitError",
)
WARM = Report.measured(RID, duration_ms=1.5, memory_mb=128, max_memory_mb=40)
TIMEOUT = Report.measured(
    RID, duration_ms=3000.0, memory_mb=128, max_memory_mb=40, status="timeout"
)


def _json_line(report: Report) -> str:
    return json.dumps(
        {
            "time": "2026-11-27T10:00:00.123Z",
            "type": "platform.report",
            "record": reports.record(report),
        },
        separators=(",", ":"),
    )


@pytest.mark.parametrize("report", [COLD_ERROR, WARM, TIMEOUT])
def test_both_written_forms_read_back(report: Report) -> None:
    assert reports.parse(reports.text(report)) == report
    assert reports.parse(_json_line(report)) == report


def test_a_line_states_no_error_type_without_status_error() -> None:
    failed = Report.measured(RID, duration_ms=1.0, memory_mb=128, max_memory_mb=1, error_type="E")
    assert "Error Type" not in reports.text(failed)
    assert "errorType" not in reports.record(failed)
    assert reports.parse(reports.text(failed)) == Report(RID, 1.0, 1, 128, 1)


def test_billed_duration_is_the_lines_own() -> None:
    """Durations are written to 0.01 ms: the billed duration is read, not worked out again."""
    report = Report.measured(RID, duration_ms=15.001, memory_mb=128, max_memory_mb=1)
    assert report.billed_duration_ms == 16
    parsed = reports.parse(reports.text(report))
    assert parsed is not None
    assert (parsed.duration_ms, parsed.billed_duration_ms) == (15.0, 16)


def test_metrics_are_named_as_report_names_them() -> None:
    assert reports.metrics(COLD_ERROR) == [
        ("Duration", "12.50 ms"),
        ("Billed Duration", "113 ms"),
        ("Memory Size", "256 MB"),
        ("Max Memory Used", "64 MB"),
        ("Init Duration", "100.25 ms"),
    ]


@pytest.mark.parametrize(
    "message",
    [
        f"START RequestId: {RID} Version: $LATEST",
        f"REPORT RequestId: {RID}\tDuration: soon",  # a function's own line that looks like one
        f"REPORT RequestId: {RID}",
        '{"type":"platform.start","record":{"requestId":"x"}}',
        '{"message":"platform.report is what I print","level":"INFO"}',
        '{"type":"platform.report","record":{"requestId":"x","metrics":{}}}',
        "{not json platform.report",
        "",
    ],
)
def test_other_lines_are_no_report(message: str) -> None:
    assert reports.parse(message) is None
