"""The function URL event for a URL described by its function (`shapes.urls.url_event`): the
same event `serve` delivers (`lambdactl.urls.event`)."""

from __future__ import annotations

from datetime import datetime, timezone

from lambdactl import urls
from lambdactl.shapes.urls import url_event

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_the_event_is_the_one_serve_delivers() -> None:
    request = urls.HttpRequest(
        method="POST", raw_path="/a", raw_query="q=1", body=b"hi",
        headers=(("Content-Type", "text/plain"), ("Cookie", "a=1; b=2")), time=WHEN,
    )  # fmt: skip
    event = url_event(request, "fn", region="eu-west-1", account="123456789012", request_id="r")
    url_id = urls.url_id("123456789012", "eu-west-1", "fn")
    assert event["requestContext"]["domainName"] == f"{url_id}.lambda-url.eu-west-1.on.aws"
    assert event["requestContext"]["accountId"] == "anonymous"
    assert event["cookies"] == ["a=1", "b=2"]
    assert (event["rawPath"], event["rawQueryString"], event["body"]) == ("/a", "q=1", "hi")
    del event["headers"]["x-amzn-trace-id"]  # random
    served = urls.event(
        request, _target(url_id), region="eu-west-1", account="123456789012", request_id="r"
    )
    del served["headers"]["x-amzn-trace-id"]
    assert event == served


def test_an_aws_iam_url_shows_the_account() -> None:
    request = urls.HttpRequest(method="GET", raw_path="/", time=WHEN)
    event = url_event(request, "fn", region="eu-west-1", account="123456789012",
                      request_id="r", auth="AWS_IAM")  # fmt: skip
    assert event["requestContext"]["accountId"] == "123456789012"
    assert "iam" in event["requestContext"]["authorizer"]


def _target(url_id: str) -> urls.FunctionUrl:
    from lambdactl.manifest import UrlConfig

    return urls.FunctionUrl(
        function="fn",
        config=UrlConfig(),
        url_id=url_id,
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:fn",
        created="",
        modified="",
    )
