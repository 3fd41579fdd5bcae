"""CloudWatch Logs' shapes: a stored event as FilterLogEvents returns it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..logs.store import StoredEvent


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
