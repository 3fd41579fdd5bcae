"""DynamoDB Streams records as Lambda's event source mapping delivers them (spec §7.3):
`{"Records": [record, ...]}`.

Items are in DynamoDB's typed form (`{"S": "x"}`, `{"N": "1"}`, ...); `typed` turns plain
JSON values into it. Which images a record carries follows the stream's view type and the
event: an INSERT has no old image, a REMOVE no new one, `KEYS_ONLY` neither.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import ids, timestamps

EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


def stream_arn(region: str, account: str, table: str, label: str) -> str:
    """A table's stream ARN; `label` is the stream's creation time (`2015-05-11T21:21:33.291`)."""
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}/stream/{label}"


def stream_label(moment: datetime) -> str:
    """A stream label from its creation time: `2015-05-11T21:21:33.291`."""
    return timestamps.iso_millis(moment)[:-1]


def sequence_number(moment: datetime, index: int = 0) -> str:
    """A 28-digit sequence number: later moments, then higher indexes, sort after."""
    return f"{int(moment.timestamp() * 1_000_000):016d}{index:012d}"


def typed(value: Any) -> dict[str, Any]:
    """A plain JSON value as a DynamoDB attribute value (numbers as text, `bytes` as B)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": json.dumps(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"M": item(value)}
    if isinstance(value, Sequence):
        return {"L": [typed(v) for v in value]}
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain JSON object as a typed item (each attribute `typed`)."""
    return {name: typed(value) for name, value in values.items()}


def record(
    event_name: str,
    keys: Mapping[str, Any],
    *,
    stream_arn: str,
    sequence_number: str,
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    view_type: str = "NEW_AND_OLD_IMAGES",
    created: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One stream record; `keys` and the images already typed (see `item`). The images the
    view type and event do not carry are left out whatever is given. The region is the
    stream's (from its ARN). `SizeBytes` is the typed keys and images' JSON size, an
    approximation, as AWS's own name for it says."""
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": int((created or timestamps.utcnow()).timestamp()),
        "Keys": dict(keys),
    }
    if event_name != "REMOVE" and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        dynamodb["NewImage"] = dict(new_image if new_image is not None else keys)
    if event_name != "INSERT" and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        dynamodb["OldImage"] = dict(old_image if old_image is not None else keys)
    dynamodb["SequenceNumber"] = sequence_number
    sized = [dynamodb[k] for k in ("Keys", "NewImage", "OldImage") if k in dynamodb]
    dynamodb["SizeBytes"] = sum(len(json.dumps(part, separators=(",", ":"))) for part in sized)
    dynamodb["StreamViewType"] = view_type
    return {
        "eventID": event_id or ids.hex_id(32),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": stream_arn.split(":")[3],
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def event(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}
