"""AWS's timestamp formats, from one injectable clock."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def last_modified(moment: datetime | None = None) -> str:
    """FunctionConfiguration's `LastModified`: `2020-04-10T19:06:32.563+0000`."""
    moment = (moment or utcnow()).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
