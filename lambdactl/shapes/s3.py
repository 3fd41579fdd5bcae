"""S3 event notifications as Lambda receives them (AWS "Using Lambda with Amazon S3"; spec
§7.4): `{"Records": [record, ...]}`, one record per object event.

The object key is URL-encoded as S3 sends it (`red flower.jpg` -> `red+flower.jpg`, `/`
kept). `eTag` is the MD5 of the object's content (a single-part upload's), and `sequencer`
grows with the event's time, so that records for the same key order as S3's do. A removal
carries neither `size` nor `eTag`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from .. import timestamps

CREATED = "ObjectCreated:Put"
REMOVED = "ObjectRemoved:Delete"


def etag(content: bytes) -> str:
    """A single-part object's ETag: the MD5 of its bytes, in hex."""
    return hashlib.md5(content).hexdigest()


def sequencer(moment: datetime) -> str:
    """A sequencer that grows with time: 18 upper-case hex digits (S3 compares them as
    strings of the same length)."""
    return f"{int(moment.timestamp() * 1_000_000_000):018X}"


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def record(
    bucket: str,
    key: str,
    *,
    region: str,
    account: str,
    event_name: str = CREATED,
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
    time: datetime | None = None,
    request_id: str | None = None,
    source_ip: str = "127.0.0.1",
    configuration_id: str = "lambdactl",
) -> dict[str, Any]:
    """One object event; `key` as stored (it is URL-encoded here). `size` and `etag` belong
    to creations (`ObjectCreated:*`) and are left out of removals."""
    moment = time or timestamps.utcnow()
    principal = _principal(account)
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/")}
    if not event_name.startswith("ObjectRemoved"):
        obj["size"] = 0 if size is None else size
        obj["eTag"] = etag or hashlib.md5(b"").hexdigest()
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = sequencer(moment)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": timestamps.iso_millis(moment),
        "eventName": event_name,
        "userIdentity": {"principalId": f"AWS:{principal}"},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {
            "x-amz-request-id": request_id or os.urandom(8).hex().upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(56)).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": principal[4:18]},
                "arn": bucket_arn(bucket),
            },
            "object": obj,
        },
    }


def event(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def _principal(account: str) -> str:
    """An IAM user id (`AIDA` + 17 characters), the same for the same account."""
    digest = base64.b32encode(hashlib.sha256(account.encode()).digest()).decode()
    return "AIDA" + digest[:17]
