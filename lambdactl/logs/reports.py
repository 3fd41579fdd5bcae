"""REPORT: an invocation's metrics as data, written once and read back in one place.

`Report` is what the environment measured. `text` is AWS's REPORT line (text log format),
`record` the `platform.report` record (JSON log format), `metrics` the named fields both the
line and people's summaries show, `to_json` every field exactly (for the CLI that hands an
invoke to a running server), and `parse` gets a `Report` back from either stored form
(the log store keeps lines, as CloudWatch does). Rounding is the line's: a parsed text line
has durations to 0.01 ms, a parsed record to 0.001 ms.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

TYPE_CHECKING = False  # not typing's: importing typing costs the warm path ~2.5 ms
if TYPE_CHECKING:
    from typing import Any

TEXT_PREFIX = "REPORT RequestId: "
RECORD_TYPE = "platform.report"


@dataclass(frozen=True)
class Report:
    """One invocation's REPORT. `status` is `success`, `error` (a runtime-level failure) or
    `timeout`; `error_type` is the invocation's error type, if any, which the log states only
    with `error`."""

    request_id: str
    duration_ms: float
    billed_duration_ms: int
    memory_mb: int
    max_memory_mb: int
    init_duration_ms: float | None = None
    status: str = "success"
    error_type: str | None = None

    @classmethod
    def measured(
        cls,
        request_id: str,
        *,
        duration_ms: float,
        memory_mb: int,
        max_memory_mb: int,
        init_duration_ms: float | None = None,
        status: str = "success",
        error_type: str | None = None,
    ) -> Report:
        """A report with its billed duration worked out as AWS bills it."""
        billed = billed_ms(duration_ms, init_duration_ms)
        return cls(
            request_id,
            duration_ms,
            billed,
            memory_mb,
            max_memory_mb,
            init_duration_ms,
            status,
            error_type,
        )

    @property
    def stated_error_type(self) -> str | None:
        """The error type the log states: only a runtime-level failure's (`error`)."""
        return self.error_type if self.status == "error" else None


def billed_ms(duration_ms: float, init_duration_ms: float | None) -> int:
    """Billed Duration: rounded up to 1 ms; since Aug 2025 the INIT phase is billed too."""
    return math.ceil(duration_ms + (init_duration_ms or 0.0))


def metrics(report: Report) -> list[tuple[str, str]]:
    """(name, value) of each measurement, in REPORT's order and words."""
    fields = [
        ("Duration", f"{report.duration_ms:.2f} ms"),
        ("Billed Duration", f"{report.billed_duration_ms} ms"),
        ("Memory Size", f"{report.memory_mb} MB"),
        ("Max Memory Used", f"{report.max_memory_mb} MB"),
    ]
    if report.init_duration_ms is not None:
        fields.append(("Init Duration", f"{report.init_duration_ms:.2f} ms"))
    return fields


def text(report: Report) -> str:
    """The REPORT line: tab-separated fields; one without a status ends in a tab, as AWS's
    does."""
    fields = metrics(report)
    if report.status != "success":
        fields.append(("Status", report.status))
        if report.stated_error_type:
            fields.append(("Error Type", report.stated_error_type))
    line = TEXT_PREFIX + report.request_id + "\t" + "\t".join(f"{k}: {v}" for k, v in fields)
    return line if report.status != "success" else line + "\t"


def record(report: Report) -> dict[str, Any]:
    """The `platform.report` record (the Telemetry API's shape)."""
    values: dict[str, Any] = {
        "durationMs": round(report.duration_ms, 3),
        "billedDurationMs": report.billed_duration_ms,
        "memorySizeMB": report.memory_mb,
        "maxMemoryUsedMB": report.max_memory_mb,
    }
    if report.init_duration_ms is not None:
        values["initDurationMs"] = round(report.init_duration_ms, 3)
    shaped: dict[str, Any] = {
        "requestId": report.request_id,
        "metrics": values,
        "status": report.status,
    }
    if report.stated_error_type:
        shaped["errorType"] = report.stated_error_type
    return shaped


def to_json(report: Report) -> dict[str, Any]:
    """Every field, exactly (unlike the line and the record, which round and state the error
    type only with `error`): for a client of lambdactl's own server that shows the report."""
    return {
        "requestId": report.request_id,
        "durationMs": report.duration_ms,
        "billedDurationMs": report.billed_duration_ms,
        "memorySizeMB": report.memory_mb,
        "maxMemoryUsedMB": report.max_memory_mb,
        "initDurationMs": report.init_duration_ms,
        "status": report.status,
        "errorType": report.error_type,
    }


def from_json(data: dict[str, Any]) -> Report:
    """The report `to_json` gave. Raises KeyError, TypeError or ValueError for anything else."""
    init = data["initDurationMs"]
    error_type = data["errorType"]
    return Report(
        str(data["requestId"]),
        float(data["durationMs"]),
        int(data["billedDurationMs"]),
        int(data["memorySizeMB"]),
        int(data["maxMemoryUsedMB"]),
        float(init) if init is not None else None,
        str(data["status"]),
        str(error_type) if error_type is not None else None,
    )


def parse(message: str) -> Report | None:
    """The report a stored log line states (a REPORT line or a `platform.report` record);
    None for any other line, or one that lacks a measurement."""
    try:
        if message.startswith(TEXT_PREFIX):
            return _from_text(message)
        if message.startswith("{") and RECORD_TYPE in message:
            return _from_record(message)
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _from_text(message: str) -> Report:
    head, *rest = message.removeprefix(TEXT_PREFIX).split("\t")
    fields = dict(field.split(": ", 1) for field in rest if field)
    init = fields.get("Init Duration")
    return Report(
        head,
        float(fields["Duration"].removesuffix(" ms")),
        int(fields["Billed Duration"].removesuffix(" ms")),
        int(fields["Memory Size"].removesuffix(" MB")),
        int(fields["Max Memory Used"].removesuffix(" MB")),
        float(init.removesuffix(" ms")) if init is not None else None,
        fields.get("Status", "success"),
        fields.get("Error Type"),
    )


def _from_record(message: str) -> Report | None:
    event = json.loads(message)
    if event.get("type") != RECORD_TYPE:
        return None
    data = event["record"]
    values = data["metrics"]
    init = values.get("initDurationMs")
    return Report(
        str(data["requestId"]),
        float(values["durationMs"]),
        int(values["billedDurationMs"]),
        int(values["memorySizeMB"]),
        int(values["maxMemoryUsedMB"]),
        float(init) if init is not None else None,
        str(data.get("status", "success")),
        data.get("errorType"),
    )
