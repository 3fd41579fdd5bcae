"""CloudWatch-style platform log lines, exactly as AWS Lambda writes them (text format).

Fields are tab-separated. REPORT, whose fields are also data, has a module of its own:
`reports`.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import NamedTuple

from ..digests import sha256_hex

TAIL_BYTES = 4096
"""`LogType: Tail` returns the last 4 KB of the invocation's log."""


class LogEvent(NamedTuple):
    """One CloudWatch log event: when (ms since the epoch) and the line, without its newline."""

    timestamp: int
    message: str


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def stamped(*messages: str) -> list[LogEvent]:
    """`messages` as events of this millisecond."""
    now = now_ms()
    return [LogEvent(now, message) for message in messages]


GROUP_PREFIX = "/aws/lambda/"


def group_name(function: str) -> str:
    return GROUP_PREFIX + function


def stream_name(version: str, environment_id: str, moment: datetime | None = None) -> str:
    """`YYYY/MM/DD/[VERSION]<32 hex>`: one stream per execution environment."""
    day = (moment or datetime.now(timezone.utc)).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{environment_id}"


def runtime_version(runtime: str, interpreter_version: str, region: str) -> tuple[str, str]:
    """(Runtime Version, Runtime Version ARN) for INIT_START, stable per interpreter."""
    name = runtime.removesuffix(".al2023").removesuffix(".al2")
    label = f"python:{interpreter_version.rsplit('.', 1)[0]}" if name.startswith("python") else name
    if name.startswith("nodejs"):  # AWS's `nodejs:22.v52`
        label = f"nodejs:{interpreter_version.split('.', 1)[0]}"
    version = f"{label}.v{interpreter_version.rsplit('.', 1)[-1]}"
    digest = sha256_hex(f"{runtime}:{interpreter_version}".encode())
    return version, f"arn:aws:lambda:{region}::runtime:{digest}"


def init_start(version: str, version_arn: str) -> str:
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: {version_arn}"


def init_report(duration_ms: float, *, phase: str, status: str, error_type: str | None) -> str:
    line = f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    return line + (f"\tError Type: {error_type}" if error_type else "")


def start(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def timed_out(request_id: str, seconds: float, moment: datetime | None = None) -> str:
    """The function-log line written when an invocation times out."""
    stamp = (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return f"{stamp} {request_id} Task timed out after {seconds:.2f} seconds"


def tail(lines: list[str]) -> str:
    """The last 4 KB of `lines` joined as the log text, cut on a character boundary."""
    data = ("\n".join(lines) + "\n").encode()[-TAIL_BYTES:]
    return data.decode("utf-8", "ignore")
