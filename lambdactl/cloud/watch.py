"""Reading a deployed function's CloudWatch Logs (`lambdactl logs F --remote`): its log group
(`/aws/lambda/<remote name>`, or the LoggingConfig's group when it names one) through
FilterLogEvents, every page, oldest first; following polls for what arrives after.

The filter pattern is CloudWatch's own (sent as `filterPattern`, evaluated by AWS). A request
id and a version have no CloudWatch field: a request's lines are those that name its id
(START, END, REPORT, the runtime's log lines), a version's are those of its streams
(`YYYY/MM/DD/[VERSION]...`). A group that does not exist yet (never invoked) has no events.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import LambdactlError
from .apply import Clients, _call

POLL_SECONDS = 1.0
"""How often following asks CloudWatch again (FilterLogEvents allows a few calls a second)."""


class NotDeployed(LambdactlError):
    """The function has no counterpart on the target yet."""

    exit_code = 3


@dataclass(frozen=True)
class CloudEvent:
    """A FilteredLogEvent as CloudWatch returned it; `message` without the final newline
    (as the local log store keeps lines), `text` as CloudWatch keeps it."""

    group: str
    stream: str
    timestamp: int
    ingestion_time: int
    event_id: str
    text: str

    @property
    def message(self) -> str:
        return self.text[:-1] if self.text.endswith("\n") else self.text


@dataclass(frozen=True)
class Window:
    """Which events to show: times in epoch ms (None: no bound), CloudWatch's pattern, and
    the request id and remote version lambdactl selects by."""

    since: int | None = None
    until: int | None = None
    pattern: str | None = None
    request_id: str | None = None
    version: str | None = None

    def keeps(self, event: CloudEvent) -> bool:
        if self.request_id is not None and self.request_id not in event.text:
            return False
        return self.version is None or f"[{self.version}]" in event.stream


def log_group(clients: Clients, function: str, *, local: str) -> str:
    """The log group of the deployed `function` (its remote name); `NotDeployed` when the
    target has no such function."""
    import botocore.exceptions

    def get() -> Any:
        try:
            return clients("lambda").get_function(FunctionName=function)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise

    answer = _call(f"function:{function}", get)
    if answer is None:
        raise NotDeployed(
            f"{local} is not deployed (no function {function} in {clients.target.region}"
            + (f" at {clients.target.endpoint_url}" if clients.target.endpoint_url else "")
            + f"): run `lambdactl deploy {local}` first"
        )
    logging = answer.get("Configuration", {}).get("LoggingConfig") or {}
    return str(logging.get("LogGroup") or f"/aws/lambda/{function}")


def read(
    clients: Clients,
    group: str,
    window: Window = Window(),
    *,
    follow: bool = False,
    stop: threading.Event | None = None,
    page_size: int | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> Iterator[CloudEvent]:
    """The group's events in `window`, every page of them; then, if `follow`, new ones
    (each once: a poll starts at the newest timestamp seen) until `stop` is set."""
    stop = stop or threading.Event()
    since = window.since
    seen: dict[str, int] = {}  # event id -> timestamp, of those at or after `since`
    while True:
        for event in _pages(clients, group, window, since=since, page_size=page_size):
            if event.event_id in seen:
                continue
            seen[event.event_id] = event.timestamp
            if window.keeps(event):
                yield event
        if not follow or stop.wait(poll_seconds):
            return
        if seen:
            since = max(seen.values())
            seen = {k: t for k, t in seen.items() if t >= since}


def _pages(
    clients: Clients, group: str, window: Window, *, since: int | None, page_size: int | None
) -> Iterator[CloudEvent]:
    import botocore.exceptions

    request: dict[str, Any] = {"logGroupName": group}
    if since is not None:
        request["startTime"] = since
    if window.until is not None:
        request["endTime"] = window.until
    pattern = window.pattern
    if pattern is None and window.request_id is not None:
        pattern = '"' + window.request_id.replace('"', '\\"') + '"'  # fewer lines to fetch
    if pattern is not None:
        request["filterPattern"] = pattern
    if page_size is not None:
        request["limit"] = page_size

    def page() -> Any:
        try:
            return clients("logs").filter_log_events(**request)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return {"events": []}  # no invoke has logged yet: the group comes with one
            raise

    while True:
        answer = _call(f"log group {group}", page)
        for raw in answer.get("events", []):
            yield CloudEvent(
                group=group,
                stream=str(raw.get("logStreamName", "")),
                timestamp=int(raw.get("timestamp", 0)),
                ingestion_time=int(raw.get("ingestionTime", 0)),
                event_id=str(raw.get("eventId", "")),
                text=str(raw.get("message", "")),
            )
        token = answer.get("nextToken")
        if not token:
            return
        request["nextToken"] = token
