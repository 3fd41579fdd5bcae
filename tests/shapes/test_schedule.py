"""The scheduled event (`lambdactl.shapes.schedule`): spec §7.4's keys."""

from __future__ import annotations

from datetime import datetime, timezone

from lambdactl.shapes import schedule

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone.utc)


def test_a_scheduled_event_has_the_keys_of_aws() -> None:
    arn = schedule.rule_arn("eu-west-1", "123456789012", "nightly")
    event = schedule.event(arn, time=WHEN)
    assert list(event) == [
        "version", "id", "detail-type", "source", "account", "time", "region", "resources",
        "detail",
    ]  # fmt: skip
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert (event["account"], event["region"]) == ("123456789012", "eu-west-1")
    assert event["time"] == "2026-01-02T03:04:05Z"
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/nightly"]
    assert event["detail"] == {}
    assert len(event["id"]) == 36 and event["id"][14] == "4"  # a version-4 UUID
