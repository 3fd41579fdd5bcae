"""AWS's timestamp formats, from one injectable clock."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def last_modified(moment: datetime | None = None) -> str:
    """FunctionConfiguration's `LastModified`: `2020-04-10T19:06:32.563+0000`."""
    moment = (moment or utcnow()).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def iso_millis(moment: datetime | None = None) -> str:
    """An event's time as S3 and SNS write it: `2019-09-03T19:37:27.192Z`."""
    moment = (moment or utcnow()).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_millis(moment: datetime | None = None) -> int:
    """Milliseconds since the epoch (SQS's SentTimestamp, CloudWatch Logs' timestamps)."""
    return int((moment or utcnow()).timestamp() * 1000)
