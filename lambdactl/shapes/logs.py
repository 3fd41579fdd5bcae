"""CloudWatch Logs' shapes: groups, streams and events as DescribeLogGroups,
DescribeLogStreams, GetLogEvents and FilterLogEvents return them."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
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


# --------------------------------------------------------------------------------------------
# A subscription filter's delivery to Lambda: {"awslogs": {"data": base64(gzip(JSON))}}


def log_event_id(timestamp: int, index: int = 0) -> str:
    """A 56-digit event id, as CloudWatch Logs' are: later times, then higher indexes,
    sort after."""
    return f"{timestamp:013d}{index:043d}"


def subscription_data(
    group: str,
    stream: str,
    events: Sequence[tuple[str, int, str]],
    *,
    owner: str,
    filters: Sequence[str] = ("lambdactl",),
) -> dict[str, Any]:
    """What a subscription filter delivers, decoded: `events` as (id, timestamp in epoch
    milliseconds, message), `owner` the group's account, `filters` the filters' names."""
    return {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": list(filters),
        "logEvents": [
            {"id": event_id, "timestamp": timestamp, "message": message}
            for event_id, timestamp, message in events
        ],
    }


def subscription_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """The event Lambda receives: `data` (see `subscription_data`) as JSON, gzipped, then
    base64-encoded."""
    import gzip  # here: the CLI's other commands never need it

    raw = json.dumps(data, separators=(",", ":")).encode()
    return {"awslogs": {"data": base64.b64encode(gzip.compress(raw, mtime=0)).decode()}}


def subscription_decoded(event: Mapping[str, Any]) -> dict[str, Any]:
    """`subscription_event`'s inverse, as a handler reads its event."""
    import gzip

    data = base64.b64decode(event["awslogs"]["data"])
    decoded: dict[str, Any] = json.loads(gzip.decompress(data))
    return decoded
