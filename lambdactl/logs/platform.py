"""What the platform writes to a function's log, in the function's log format.

Text format: the tab-separated lines of `lines`. JSON format (AWS's LoggingConfig, Nov 2023):
the platform's lines become Telemetry-API-shaped records (`platform.start`,
`platform.report`, ...) kept or dropped by the system log level, and the function's own
output is kept or dropped by the application log level: a JSON line by its `level`, any
other line counts as INFO, as AWS does.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..manifest import LoggingConfig
from . import lines, reports
from .lines import LogEvent
from .reports import Report

SYSTEM_EVENT_LEVELS = {
    "platform.initStart": "INFO",
    "platform.initRuntimeDone": "DEBUG",
    "platform.initReport": "INFO",
    "platform.start": "INFO",
    "platform.runtimeDone": "DEBUG",
    "platform.report": "INFO",
}
"""The level of each system record, which `system_level` compares against."""

LEVEL_RANKS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}
LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
"""Python's level names for AWS's."""


class PlatformLog:
    """The platform lines of one function version's environments."""

    def __init__(self, config: LoggingConfig, *, function: str, version: str) -> None:
        self.config = config
        self.function = function
        self.version = version
        self._system_rank = LEVEL_RANKS[config.system_level]
        self._application_rank = LEVEL_RANKS[config.application_level]

    def init_start(self, runtime_version: str, runtime_version_arn: str) -> list[LogEvent]:
        if not self.config.json:
            return lines.stamped(lines.init_start(runtime_version, runtime_version_arn))
        record = {
            "initializationType": "on-demand",
            "phase": "init",
            "runtimeVersion": runtime_version,
            "runtimeVersionArn": runtime_version_arn,
            "functionName": self.function,
            "functionVersion": self.version,
        }
        return self._record("platform.initStart", record)

    def init_report(
        self, duration_ms: float, *, phase: str, status: str, error_type: str | None
    ) -> list[LogEvent]:
        if not self.config.json:
            text = lines.init_report(duration_ms, phase=phase, status=status, error_type=error_type)
            return lines.stamped(text)
        record: dict[str, Any] = {
            "initializationType": "on-demand",
            "phase": phase,
            "status": status,
        }
        if error_type:
            record["errorType"] = error_type
        record["metrics"] = {"durationMs": round(duration_ms, 3)}
        return self._record("platform.initReport", record)

    def start(self, request_id: str) -> list[LogEvent]:
        if not self.config.json:
            return lines.stamped(lines.start(request_id, self.version))
        return self._record("platform.start", {"requestId": request_id, "version": self.version})

    def end(
        self,
        request_id: str,
        *,
        status: str,
        duration_ms: float,
        produced_bytes: int,
        error_type: str | None = None,
    ) -> list[LogEvent]:
        """END in text; in JSON, `platform.runtimeDone` (a DEBUG record)."""
        if not self.config.json:
            return lines.stamped(lines.end(request_id))
        record: dict[str, Any] = {"requestId": request_id, "status": status}
        if error_type and status != "success":
            record["errorType"] = error_type
        record["metrics"] = {"durationMs": round(duration_ms, 3), "producedBytes": produced_bytes}
        return self._record("platform.runtimeDone", record)

    def report(self, report: Report) -> list[LogEvent]:
        """REPORT: AWS's line in text, a `platform.report` record in JSON."""
        if not self.config.json:
            return lines.stamped(reports.text(report))
        return self._record("platform.report", reports.record(report))

    def fault(self, *messages: str) -> list[LogEvent]:
        """The platform's plain fault lines (timeout, runtime exit): text format only; in
        JSON the report record carries the status and error type instead."""
        return [] if self.config.json else lines.stamped(*messages)

    def application(self, events: list[LogEvent]) -> list[LogEvent]:
        """The function's own output, without what the application log level drops."""
        if not self.config.json or self._application_rank == 0:
            return events
        return [event for event in events if self._keeps(event.message)]

    def _keeps(self, message: str) -> bool:
        level = "INFO"
        if message.startswith("{"):
            try:
                value = json.loads(message)
            except ValueError:
                value = None
            if isinstance(value, dict) and isinstance(value.get("level"), str):
                named = value["level"].upper()
                named = LEVEL_ALIASES.get(named, named)
                level = named if named in LEVEL_RANKS else "INFO"
        return LEVEL_RANKS[level] >= self._application_rank

    def _record(self, kind: str, record: dict[str, Any]) -> list[LogEvent]:
        if LEVEL_RANKS[SYSTEM_EVENT_LEVELS[kind]] < self._system_rank:
            return []
        now = lines.now_ms()
        moment = datetime.fromtimestamp(now / 1000, timezone.utc)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now % 1000:03d}Z"
        text = json.dumps({"time": stamp, "type": kind, "record": record}, separators=(",", ":"))
        return [LogEvent(now, text)]
