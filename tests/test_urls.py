"""Function URLs as AWS serves them (`lambdactl.urls`): events, responses, CORS, IAM, routes.

Expected values come from AWS's guide ("Invoking Lambda function URLs": the request payload,
the response examples, cookies) and from responses AWS gave (recorded November 2025 in
LocalStack's validated snapshots: bare JSON values, string status codes, 502, 403 bodies).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lambdactl import manifest, shapes, urls
from lambdactl.manifest import Cors, UrlConfig
from lambdactl.urls import FunctionUrl, HttpRequest, HttpResponse

ACCOUNT = "123456789012"
REGION = "us-west-2"
WHEN = datetime(2020, 3, 12, 19, 3, 58, 390000, tzinfo=timezone.utc)


def target(config: UrlConfig | None = None, name: str = "hello") -> FunctionUrl:
    config = config or UrlConfig()
    return FunctionUrl(
        function=name,
        config=config,
        url_id=urls.url_id(ACCOUNT, REGION, name, config.qualifier),
        function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        created="2021-10-27T21:19:16.066054Z",
        modified="2021-10-27T21:19:16.066054Z",
    )


def request(**given: object) -> HttpRequest:
    values: dict[str, object] = {"method": "GET", "raw_path": "/", "time": WHEN}
    values.update(given)
    return HttpRequest(**values)  # type: ignore[arg-type]


def event_of(req: HttpRequest, config: UrlConfig | None = None) -> dict[str, object]:
    return urls.event(req, target(config), region=REGION, account=ACCOUNT, request_id="id")


# --------------------------------------------------------------------------------------------
# Request -> event


def test_the_guides_request_payload() -> None:
    """The guide's example request, field by field (its `authorizer` is an AWS_IAM one)."""
    req = request(
        method="POST",
        raw_path="/my/path",
        raw_query="parameter1=value1&parameter1=value2&parameter2=value",
        headers=(
            ("Header1", "value1"),
            ("header2", "value1"),
            ("Header2", "value2"),
            ("Cookie", "cookie1; cookie2"),
            ("User-Agent", "agent"),
            ("Content-Type", "text/plain"),
        ),
        body=b"Hello from client!",
        source_ip="123.123.123.123",
    )
    event = event_of(req)
    url_id = target().url_id
    added = {k: event["headers"].pop(k) for k in ("x-forwarded-for", "x-forwarded-proto")}  # type: ignore[attr-defined]
    assert added == {"x-forwarded-for": "123.123.123.123", "x-forwarded-proto": "http"}
    assert re.fullmatch(r"Root=1-5e6a879e-[0-9a-f]{24}", event["headers"].pop("x-amzn-trace-id"))  # type: ignore[attr-defined]
    assert event == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/my/path",
        "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
        "cookies": ["cookie1", "cookie2"],
        "headers": {
            "header1": "value1",
            "header2": "value1,value2",
            "user-agent": "agent",
            "content-type": "text/plain",
        },
        "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": f"{url_id}.lambda-url.us-west-2.on.aws",
            "domainPrefix": url_id,
            "http": {
                "method": "POST",
                "path": "/my/path",
                "protocol": "HTTP/1.1",
                "sourceIp": "123.123.123.123",
                "userAgent": "agent",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1584039838390,
        },
        "body": "Hello from client!",
        "isBase64Encoded": False,
    }
    json.dumps(event)  # what the function receives is JSON


def test_a_plain_get_has_no_body_cookies_or_parameters() -> None:
    event = event_of(request(headers=(("Host", "127.0.0.1:3001"),)))
    assert "body" not in event and "cookies" not in event
    assert "queryStringParameters" not in event
    assert event["rawQueryString"] == ""
    assert event["isBase64Encoded"] is False
    assert event["headers"]["host"] == "127.0.0.1:3001"  # type: ignore[index]


def test_the_front_ends_headers_are_added() -> None:
    given = (("X-Forwarded-For", "10.0.0.1"), ("X-Amzn-Trace-Id", "Root=1-abc"))
    headers = event_of(request(headers=given, source_ip="192.0.2.7", port=3001))["headers"]
    assert headers["x-forwarded-for"] == "10.0.0.1, 192.0.2.7"  # type: ignore[index]
    assert headers["x-forwarded-proto"] == "http"  # type: ignore[index]
    assert headers["x-forwarded-port"] == "3001"  # type: ignore[index]
    assert headers["x-amzn-trace-id"] == "Root=1-abc"  # type: ignore[index]


def test_query_parameters_are_decoded_and_the_raw_string_kept() -> None:
    event = event_of(request(raw_query="q=a%20b&multiQuery=foo&multiQuery=%2Fbar&empty="))
    assert event["rawQueryString"] == "q=a%20b&multiQuery=foo&multiQuery=%2Fbar&empty="
    # AWS answered multiQuery=foo&multiQuery=/bar with "foo,/bar"
    assert event["queryStringParameters"] == {"q": "a b", "multiQuery": "foo,/bar", "empty": ""}


def test_the_raw_path_keeps_its_percent_encoding() -> None:
    event = event_of(request(raw_path="/pa2%Fth/1"))
    assert event["rawPath"] == "/pa2%Fth/1"
    assert event["requestContext"]["http"]["path"] == "/pa2%Fth/1"  # type: ignore[index]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/html; charset=utf-8",
        "application/json",
        "Application/JSON; charset=UTF-8",
        "application/xml",
        "application/javascript",
    ],
)
def test_text_bodies_arrive_as_text(content_type: str) -> None:
    event = event_of(request(method="POST", headers=(("Content-Type", content_type),), body=b"{}"))
    assert (event["body"], event["isBase64Encoded"]) == ("{}", False)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/octet-stream",
        "image/png",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=4efd159eae0c4f4e125a5a509e073d85",
        "application/vnd.api+json",
    ],
)
def test_other_bodies_arrive_base64(content_type: str | None) -> None:
    body = b"token=abc&x=\x00\xff"
    headers = () if content_type is None else (("Content-Type", content_type),)
    event = event_of(request(method="POST", headers=headers, body=body))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == body


def test_text_that_is_not_utf8_arrives_base64() -> None:
    body = "café".encode("latin-1")
    event = event_of(request(method="POST", headers=(("Content-Type", "text/plain"),), body=body))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == body


def test_an_iam_url_names_the_owner_and_the_signing_key() -> None:
    signed = (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20200312/us-west-2/lambda/aws4_request,"
        " SignedHeaders=host;x-amz-date, Signature=abc"
    )
    event = event_of(request(headers=(("Authorization", signed),)), UrlConfig(auth="AWS_IAM"))
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT  # type: ignore[index]
    iam = context["authorizer"]["iam"]  # type: ignore[index]
    assert iam["accessKey"] == "AKIAIOSFODNN7EXAMPLE"
    assert iam["accountId"] == ACCOUNT
    assert set(iam) == {
        "accessKey",
        "accountId",
        "callerId",
        "cognitoIdentity",
        "principalOrgId",
        "userArn",
        "userId",
    }


def test_a_none_url_has_no_authorizer() -> None:
    assert "authorizer" not in event_of(request())["requestContext"]  # type: ignore[operator]


def test_request_time_uses_english_months_whatever_the_day() -> None:
    moment = datetime(2021, 9, 7, 22, 50, 22, 677000, tzinfo=timezone.utc)
    context = event_of(request(time=moment))["requestContext"]
    assert context["time"] == "07/Sep/2021:22:50:22 +0000"  # type: ignore[index]
    assert context["timeEpoch"] == 1631055022677  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# AWS_IAM


def test_an_unsigned_request_to_an_iam_url_is_forbidden() -> None:
    refused = urls.authorize(UrlConfig(auth="AWS_IAM"), request())
    assert refused is not None and refused.status == 403
    assert refused.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert json.loads(refused.body) == {
        "Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
    }


def test_signed_requests_pass_the_iam_gate() -> None:
    header = "AWS4-HMAC-SHA256 Credential=AKID/20200312/us-east-1/lambda/aws4_request, Sig=x"
    presigned = (
        "X-Amz-Credential=AKID%2F20200312%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Signature=f"
    )
    iam = UrlConfig(auth="AWS_IAM")
    assert urls.authorize(iam, request(headers=(("Authorization", header),))) is None
    assert urls.authorize(iam, request(raw_query=presigned)) is None
    assert urls.signing_key(request(raw_query=presigned)) == "AKID"
    assert urls.authorize(iam, request(headers=(("Authorization", "Bearer x"),))) is not None


def test_a_none_url_needs_no_signature() -> None:
    assert urls.authorize(UrlConfig(), request()) is None


# --------------------------------------------------------------------------------------------
# Result -> response


def respond(value: object, *, raw: bytes | None = None) -> HttpResponse:
    payload = raw if raw is not None else json.dumps(value).encode()
    return urls.respond(payload, function_error=False, request_id="rid")


def test_the_guides_custom_response() -> None:
    response = respond(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
            "body": json.dumps({"message": "Hello, world!"}),
            "isBase64Encoded": False,
        }
    )
    assert response.status == 201
    assert response.header("content-type") == "application/json"
    assert response.header("my-custom-header") == "Custom Value"
    assert json.loads(response.body) == {"message": "Hello, world!"}
    assert response.header("x-amzn-RequestId") == "rid"


def test_the_guides_cookies_become_set_cookie_headers() -> None:
    response = respond(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json"},
            "body": "{}",
            "cookies": [
                "Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT",
                "Cookie_2=Value2; Max-Age=78000",
            ],
        }
    )
    assert [v for k, v in response.headers if k == "set-cookie"] == [
        "Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT",
        "Cookie_2=Value2; Max-Age=78000",
    ]


@pytest.mark.parametrize(
    ("returned", "body"),
    [
        # what AWS sent for a Python handler returning each value (Content-Length recorded)
        ('{"hello": "world"}', b'{"hello":"world"}'),
        ('["hello", 3, true]', b'["hello",3,true]'),
        ('"hello"', b"hello"),
        ("3", b"3"),
        ("3.1", b"3.1"),
        ("true", b"true"),
        ("null", b"null"),
        ('{"message": "Héllo"}', '{"message":"Héllo"}'.encode()),
    ],
)
def test_json_without_status_code_is_a_200_of_that_json(returned: str, body: bytes) -> None:
    response = respond(None, raw=returned.encode())
    assert (response.status, response.body) == (200, body)
    assert response.header("content-type") == "application/json"


def test_a_status_code_with_a_body_defaults_to_json() -> None:
    response = respond({"statusCode": 200, "body": "body123"})
    assert (response.status, response.body) == (200, b"body123")
    assert response.header("content-type") == "application/json"


def test_a_status_code_may_be_a_numeric_string() -> None:
    response = respond({"statusCode": "418", "body": "i'm a teapot", "isBase64Encoded": False})
    assert (response.status, response.body) == (418, b"i'm a teapot")


def test_a_base64_body_is_decoded() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    response = respond(
        {
            "statusCode": 200,
            "headers": {"content-type": "image/png"},
            "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.body == png
    assert response.header("content-type") == "image/png"


def test_a_status_code_without_body_is_empty() -> None:
    response = respond({"statusCode": 204})
    assert (response.status, response.body) == (204, b"")


def test_header_values_that_are_numbers_are_written_as_text() -> None:
    response = respond({"statusCode": 200, "headers": {"X-Count": 3, "X-On": True}})
    assert (response.header("x-count"), response.header("x-on")) == ("3", "true")


def test_a_function_error_is_a_502() -> None:
    error = json.dumps({"errorMessage": "boom", "errorType": "Exception"}).encode()
    response = urls.respond(error, function_error=True, request_id="rid")
    assert (response.status, response.body) == (502, b"Internal Server Error")
    assert response.header("x-amzn-RequestId") == "rid"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        json.dumps({"statusCode": "abc"}).encode(),
        json.dumps({"statusCode": 99}).encode(),
        json.dumps({"statusCode": True}).encode(),
        json.dumps({"statusCode": 200, "headers": ["a"]}).encode(),
        json.dumps({"statusCode": 200, "headers": {"a": None}}).encode(),
        json.dumps({"statusCode": 200, "cookies": "a=b"}).encode(),
        json.dumps({"statusCode": 200, "isBase64Encoded": "yes"}).encode(),
        json.dumps({"statusCode": 200, "body": "%%%", "isBase64Encoded": True}).encode(),
    ],
)
def test_an_invalid_response_is_a_502(payload: bytes) -> None:
    response = urls.respond(payload, function_error=False, request_id="rid")
    assert (response.status, response.body) == (502, b"Internal Server Error")


def test_an_unknown_url_is_403_with_a_null_message() -> None:
    response = urls.not_found()
    assert response.status == 403
    assert response.body == b'{"Message":null}'
    assert response.header("content-type") == "application/json"
    assert response.header("x-amzn-ErrorType") == "AccessDeniedException"


def test_a_throttle_is_429() -> None:
    response = urls.throttled()
    assert response.status == 429
    assert response.header("x-amzn-ErrorType") == "TooManyRequestsException"


# --------------------------------------------------------------------------------------------
# CORS


EXAMPLE = Cors(
    allow_origins=("https://www.example.com",),
    allow_methods=("GET", "POST"),
    allow_headers=("Content-Type", "X-Custom-Header"),
    expose_headers=("X-Custom-Header",),
    max_age=300,
)


def preflight_request(origin: str, method: str = "POST", headers: str | None = None) -> HttpRequest:
    lines = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers is not None:
        lines.append(("Access-Control-Request-Headers", headers))
    return request(method="OPTIONS", headers=tuple(lines))


def test_a_preflight_is_answered_by_the_url() -> None:
    req = preflight_request("https://www.example.com", "POST", "content-type, x-custom-header")
    assert urls.is_preflight(EXAMPLE, req)
    response = urls.preflight(EXAMPLE, req)
    assert response.status == 200 and response.body == b""
    assert dict(response.headers) == {
        "Access-Control-Allow-Origin": "https://www.example.com",
        "Access-Control-Allow-Methods": "GET,POST",
        "Access-Control-Allow-Headers": "Content-Type,X-Custom-Header",
        "Access-Control-Max-Age": "300",
    }


@pytest.mark.parametrize(
    "req",
    [
        preflight_request("https://evil.example"),
        preflight_request("https://www.example.com", "DELETE"),
        preflight_request("https://www.example.com", "POST", "authorization"),
    ],
    ids=["origin", "method", "header"],
)
def test_a_refused_preflight_carries_no_cors_headers(req: HttpRequest) -> None:
    response = urls.preflight(EXAMPLE, req)
    assert response.status == 200
    assert not any(k.lower().startswith("access-control-") for k, _ in response.headers)


def test_wildcards_allow_anything_and_credentials_echo_the_origin() -> None:
    anything = Cors(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    req = preflight_request("http://localhost:60905", "PATCH", "x-anything")
    assert urls.preflight(anything, req).header("access-control-allow-origin") == "*"
    credentialed = Cors(allow_origins=("*",), allow_methods=("*",), allow_credentials=True)
    response = urls.preflight(credentialed, preflight_request("http://localhost:60905", "PUT"))
    assert response.header("access-control-allow-origin") == "http://localhost:60905"
    assert response.header("access-control-allow-credentials") == "true"


def test_options_reaches_the_function_without_cors_or_preflight_headers() -> None:
    assert not urls.is_preflight(None, preflight_request("https://www.example.com"))
    plain_options = request(method="OPTIONS", headers=(("Origin", "https://www.example.com"),))
    assert not urls.is_preflight(EXAMPLE, plain_options)


def test_configured_cors_headers_take_precedence_over_the_functions() -> None:
    response = HttpResponse(
        200,
        (("Content-Type", "text/plain"), ("access-control-allow-origin", "https://other")),
        b"hi",
    )
    req = request(headers=(("Origin", "https://www.example.com"),))
    shown = urls.with_cors(response, EXAMPLE, req)
    assert shown.header("access-control-allow-origin") == "https://www.example.com"
    assert shown.header("access-control-expose-headers") == "X-Custom-Header"
    assert shown.header("content-type") == "text/plain" and shown.body == b"hi"
    assert [k.lower() for k, _ in shown.headers].count("access-control-allow-origin") == 1


def test_no_cors_headers_for_a_foreign_or_missing_origin() -> None:
    response = HttpResponse(200, (("Content-Type", "text/plain"),), b"hi")
    foreign = request(headers=(("Origin", "https://evil.example"),))
    assert urls.with_cors(response, EXAMPLE, foreign) == response
    assert urls.with_cors(response, EXAMPLE, request()) == response
    assert urls.with_cors(response, None, foreign) == response


# --------------------------------------------------------------------------------------------
# Where URLs live


@pytest.mark.parametrize(
    ("path", "routed"),
    [
        ("/url/hello/", ("hello", None, "/")),
        ("/url/hello", ("hello", None, "/")),
        ("/url/hello/a/b%2Fc/", ("hello", None, "/a/b%2Fc/")),
        ("/url/hello:live/x", ("hello", "live", "/x")),
        ("/url/hello%3Alive/x", ("hello", "live", "/x")),
        ("/url/", None),
        ("/url/../x", None),
        ("/url/hello:/x", None),
        ("/url/hello:%24LATEST/x", None),
        ("/2015-03-31/functions/hello/invocations", None),
    ],
)
def test_route(path: str, routed: tuple[str, str | None, str] | None) -> None:
    assert urls.route(path) == routed


def test_paths_and_urls() -> None:
    assert urls.path_of("hello") == "/url/hello/"
    assert urls.path_of("hello", "live") == "/url/hello:live/"
    assert target().url("http://127.0.0.1:3001/") == "http://127.0.0.1:3001/url/hello/"


def test_url_ids_are_stable_and_look_like_aws() -> None:
    first = urls.url_id(ACCOUNT, REGION, "hello")
    assert first == urls.url_id(ACCOUNT, REGION, "hello")
    assert re.fullmatch(r"[a-z2-7]{32}", first)
    assert first != urls.url_id(ACCOUNT, REGION, "hello", "live")
    assert first != urls.url_id(ACCOUNT, "us-east-1", "hello")


def test_declared_urls_come_from_the_manifest(write_manifest, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_manifest(
        """\
        region: eu-west-1
        account: "123456789012"
        functions:
          hello:
            handler: app.handler
            code: src/hello
            url: {qualifier: live, cors: {allow_origins: ['*']}}
          quiet:
            handler: app.handler
            code: src/hello
        """
    )
    declared = urls.configured(manifest.load(path))
    assert list(declared) == [("hello", "live")]
    found = declared[("hello", "live")]
    assert found.path == "/url/hello:live/"
    assert found.function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:hello:live"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", found.created)
    assert shapes.function_url_config(found, "http://127.0.0.1:3001") == {
        "FunctionUrl": "http://127.0.0.1:3001/url/hello:live/",
        "FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:hello:live",
        "AuthType": "NONE",
        "Cors": {"AllowCredentials": False, "AllowOrigins": ["*"]},
        "CreationTime": found.created,
        "LastModifiedTime": found.modified,
        "InvokeMode": "BUFFERED",
    }


# -- streamed responses (RESPONSE_STREAM URLs) -------------------------------------------------

PRELUDE_TYPE = "application/vnd.awslambda.http-integration-response"


def streamed(payload: bytes, content_type: str = PRELUDE_TYPE, **kw: bool) -> HttpResponse:
    return urls.respond_streamed(
        payload, content_type, function_error=kw.get("failed", False), request_id="r"
    )


def test_a_streamed_prelude_gives_status_headers_and_cookies() -> None:
    prelude = {"statusCode": 404, "headers": {"X-A": "1"}, "cookies": ["c=1"]}
    answer = streamed(json.dumps(prelude).encode() + b"\0" * 8 + b"gone\0 with NULs\0")
    assert (answer.status, answer.body) == (404, b"gone\0 with NULs\0")
    assert answer.header("x-a") == "1" and answer.header("set-cookie") == "c=1"
    assert answer.header("x-amzn-RequestId") == "r"
    # No status in the prelude: 200.
    assert streamed(b'{"headers": {}}' + b"\0" * 8 + b"ok").status == 200


def test_streamed_bytes_without_a_prelude_and_failures() -> None:
    answer = streamed(b"raw,csv", "text/csv")
    assert (answer.status, answer.header("content-type")) == (200, "text/csv")
    assert answer.body == b"raw,csv"
    # Ended before the first write: no prelude was sent.
    assert streamed(b"").status == 200
    assert streamed(b"not json" + b"\0" * 8 + b"x").status == 502
    assert streamed(b'{"statusCode": "teapot"}' + b"\0" * 8).status == 502
    assert streamed(b"partial", "text/plain", failed=True).status == 502
