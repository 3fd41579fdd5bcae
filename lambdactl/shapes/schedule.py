"""The event an EventBridge schedule rule sends (AWS "Using Lambda with scheduled events";
spec §7.4). A rule target with a constant input sends that input instead of this event."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .. import ids, timestamps


def rule_arn(region: str, account: str, rule: str) -> str:
    return f"arn:aws:events:{region}:{account}:rule/{rule}"


def event(
    rule_arn: str, *, time: datetime | None = None, event_id: str | None = None
) -> dict[str, Any]:
    """One firing of the rule at `time` (whole seconds, as EventBridge writes it). The region
    and account are the rule's (from its ARN)."""
    _, _, _, region, account, _ = rule_arn.split(":", 5)
    moment = (time or timestamps.utcnow()).astimezone(timezone.utc)
    return {
        "version": "0",
        "id": event_id or ids.uuid4(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
