"""An ALB target's event (`lambdactl.shapes.alb`): single- or multi-value maps, never both."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from lambdactl.shapes import alb
from lambdactl.urls import HttpRequest

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
ARN = alb.target_group_arn("eu-west-1", "123456789012", "tg")


def test_single_value_maps_by_default() -> None:
    request = HttpRequest(
        method="GET", raw_path="/p", raw_query="a=1&a=x%20y", headers=(("X-Hi", "1"),), time=WHEN
    )
    event = alb.event(request, target_group_arn=ARN)
    assert ARN.startswith("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/")
    assert list(event) == [
        "requestContext", "httpMethod", "path", "queryStringParameters", "headers", "body",
        "isBase64Encoded",
    ]  # fmt: skip
    assert event["requestContext"] == {"elb": {"targetGroupArn": ARN}}
    assert event["queryStringParameters"] == {"a": "x%20y"}  # the last, as sent (not decoded)
    assert event["headers"]["x-hi"] == "1"
    assert {"host", "x-forwarded-for", "x-forwarded-port", "x-amzn-trace-id"} <= set(
        event["headers"]
    )
    assert (event["body"], event["isBase64Encoded"]) == ("", False)


def test_multi_value_maps_when_the_target_group_has_them() -> None:
    request = HttpRequest(method="GET", raw_path="/", raw_query="a=1&a=2", time=WHEN)
    event = alb.event(request, target_group_arn=ARN, multi_value=True)
    assert "headers" not in event and "queryStringParameters" not in event
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert isinstance(event["multiValueHeaders"]["host"], list)


def test_a_body_that_is_not_text_is_base64() -> None:
    binary = HttpRequest(method="POST", raw_path="/", body=b"\x00\x01", time=WHEN)
    event = alb.event(binary, target_group_arn=ARN)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01"
    text = HttpRequest(
        method="POST", raw_path="/", body=b"hi", headers=(("Content-Type", "text/plain"),)
    )
    assert alb.event(text, target_group_arn=ARN)["body"] == "hi"
