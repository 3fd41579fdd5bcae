"""CloudWatch Logs' shapes: groups, streams and events as DescribeLogGroups,
DescribeLogStreams, GetLogEvents and FilterLogEvents return them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..logs.store import StoredEvent, StreamSummary


def filtered_event(event: StoredEvent, *, with_group: bool = False) -> dict[str, Any]:
    """A FilteredLogEvent (its message ends in a newline, as CloudWatch's do); `with_group`
    puts the event's `logGroupName` first, for a stream of every group's events."""
    shape: dict[str, Any] = {"logGroupName": event.group} if with_group else {}
    shape.update(
        {
            "logStreamName": event.stream,
            "timestamp": event.timestamp,
            "message": event.message + "\n",
            "ingestionTime": event.ingestion_time,
            "eventId": str(event.id),
        }
    )
    return shape


def output_event(event: StoredEvent) -> dict[str, Any]:
    """An OutputLogEvent, as GetLogEvents lists them."""
    return {
        "timestamp": event.timestamp,
        "message": event.message + "\n",
        "ingestionTime": event.ingestion_time,
    }


def log_group(
    name: str, *, created: int, stored_bytes: int, arn: str, retention_days: int | None
) -> dict[str, Any]:
    """A LogGroup, its keys in CloudWatch's order; `arn` without the `:*` that the older
    `arn` member ends with. `retentionInDays` only when the group has a retention."""
    shape: dict[str, Any] = {"logGroupName": name, "creationTime": created}
    if retention_days is not None:
        shape["retentionInDays"] = retention_days
    shape.update(
        {
            "metricFilterCount": 0,
            "arn": f"{arn}:*",
            "storedBytes": stored_bytes,
            "logGroupClass": "STANDARD",
            "logGroupArn": arn,
            "deletionProtectionEnabled": False,
        }
    )
    return shape


def log_stream(stream: StreamSummary, *, group_arn: str) -> dict[str, Any]:
    """A LogStream (CloudWatch reports every stream's `storedBytes` as 0 since 2019)."""
    return {
        "logStreamName": stream.name,
        "creationTime": stream.first_ingestion,
        "firstEventTimestamp": stream.first_event,
        "lastEventTimestamp": stream.last_event,
        "lastIngestionTime": stream.last_ingestion,
        "uploadSequenceToken": f"{stream.last_id:056d}",
        "arn": f"{group_arn}:log-stream:{stream.name}",
        "storedBytes": 0,
    }
