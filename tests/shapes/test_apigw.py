"""API Gateway's events (`lambdactl.shapes.apigw`): payload 1.0's keys and maps (spec §7.4),
payload 2.0 as the function URL's event with the API's names."""

from __future__ import annotations

from datetime import datetime, timezone

from lambdactl.shapes import apigw
from lambdactl.urls import HttpRequest

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone.utc)
REQUEST = HttpRequest(
    method="POST",
    raw_path="/items/a%20b",
    raw_query="x=1&x=2&y=",
    headers=(("Content-Type", "application/json"), ("X-Twice", "1"), ("X-Twice", "2")),
    body=b'{"a": 1}',
    source_ip="198.51.100.7",
    time=WHEN,
)
API = apigw.api_id("123456789012", "eu-west-1")


def test_a_rest_event_has_the_keys_of_aws() -> None:
    event = apigw.rest_event(
        REQUEST, region="eu-west-1", account="123456789012", api=API, request_id="r-1"
    )
    assert list(event) == [
        "resource", "path", "httpMethod", "headers", "multiValueHeaders",
        "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
        "stageVariables", "requestContext", "body", "isBase64Encoded",
    ]  # fmt: skip
    context = event["requestContext"]
    assert {
        "accountId", "resourceId", "stage", "domainName", "domainPrefix", "requestId",
        "identity", "resourcePath", "httpMethod", "requestTime", "requestTimeEpoch", "apiId",
        "path", "protocol",
    } <= set(context)  # fmt: skip
    assert event["path"] == event["resource"] == "/items/a b"
    assert context["path"] == "/prod/items/a b"
    assert context["requestTime"] == "02/Jan/2026:03:04:05 +0000"
    assert context["requestTimeEpoch"] == 1767323045678
    assert context["domainName"] == f"{API}.execute-api.eu-west-1.amazonaws.com"
    assert context["identity"]["sourceIp"] == "198.51.100.7"
    assert event["headers"]["X-Twice"] == "2"
    assert event["multiValueHeaders"]["X-Twice"] == ["1", "2"]
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
    assert event["pathParameters"] is None and event["stageVariables"] is None


def test_a_rest_event_without_query_or_body_has_nulls() -> None:
    request = HttpRequest(method="GET", raw_path="/", time=WHEN)
    event = apigw.rest_event(request, region="eu-west-1", account="1", api=API, request_id="r")
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)


def test_an_http_api_event_is_payload_2_0_with_the_api_names() -> None:
    event = apigw.http_event(
        REQUEST, region="eu-west-1", account="123456789012", api=API, request_id="r-1"
    )
    assert event["version"] == "2.0"
    assert (event["rawPath"], event["rawQueryString"]) == ("/items/a%20b", "x=1&x=2&y=")
    assert event["headers"]["x-twice"] == "1,2"
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    context = event["requestContext"]
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == API
    assert context["domainName"] == f"{API}.execute-api.eu-west-1.amazonaws.com"
    assert (context["routeKey"], context["stage"]) == ("$default", "$default")
    assert context["http"]["method"] == "POST"
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
