"""Kinesis records as Lambda's event source mapping delivers them (spec §7.3):
`{"Records": [record, ...]}`, in sequence order within a shard.

Sequence numbers are 56-digit decimal strings, as Kinesis's: `sequence_number` makes ones
that grow with time and, within one moment, with the record's index, so a batch built here
is in order and a later batch sorts after it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .. import timestamps

SHARD = "shardId-000000000000"
"""The shard a single-shard stream's records come from."""


def stream_arn(region: str, account: str, stream: str) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{stream}"


def sequence_number(moment: datetime, index: int = 0) -> str:
    """A 56-digit sequence number: later moments, then higher indexes, sort after."""
    return f"49{int(moment.timestamp() * 1_000_000):020d}{index:034d}"


def record(
    data: bytes,
    *,
    partition_key: str,
    sequence_number: str,
    stream_arn: str,
    arrival: datetime | None = None,
    shard_id: str = SHARD,
    role_arn: str | None = None,
) -> dict[str, Any]:
    """One record: `data` as put (base64-encoded here), `arrival` its approximate arrival
    time, `role_arn` the function's execution role (`invokeIdentityArn`). The region and
    account are the stream's (from its ARN)."""
    _, _, _, region, account, _ = stream_arn.split(":", 5)
    moment = arrival or timestamps.utcnow()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": round(moment.timestamp(), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn or f"arn:aws:iam::{account}:role/lambda-role",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def event(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}
