"""API Gateway routes (`lambdactl.routes`): which route a request takes, the v1 and v2 events
field by field, and the mapping of each payload format's answers to HTTP responses."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lambdactl import routes
from lambdactl.sources.specs import HttpSource
from lambdactl.urls import HttpRequest

WHEN = datetime(2020, 3, 12, 19, 3, 58, 123000, tzinfo=timezone.utc)
ACCOUNT = "123456789012"
REGION = "us-east-1"


def route(path: str, method: str = "ANY", function: str = "f", **kw: object) -> HttpSource:
    return HttpSource(uuid=f"{method} {path}", function=function, path=path, method=method, **kw)  # type: ignore[arg-type]


def request(
    method: str = "GET",
    raw_path: str = "/",
    raw_query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> HttpRequest:
    return HttpRequest(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        body=body,
        source_ip="203.0.113.9",
        time=WHEN,
        port=3001,
    )


def taken(table: list[HttpSource], method: str, path: str) -> str | None:
    found = routes.match(table, method, path)
    return None if found is None else routes.route_key(found.route)


# --------------------------------------------------------------------------------------------
# Matching


def test_an_exact_path_beats_a_variable_which_beats_a_greedy_one() -> None:
    table = [route("/users/{proxy+}"), route("/users/{id}"), route("/users/me")]
    assert taken(table, "GET", "/users/me") == "ANY /users/me"
    assert taken(table, "GET", "/users/7") == "ANY /users/{id}"
    assert taken(table, "GET", "/users/7/books") == "ANY /users/{proxy+}"


def test_a_method_beats_any_at_the_same_path() -> None:
    table = [route("/items"), route("/items", "POST")]
    assert taken(table, "POST", "/items") == "POST /items"
    assert taken(table, "DELETE", "/items") == "ANY /items"
    assert taken([route("/items", "POST")], "GET", "/items") is None


def test_segments_are_compared_from_the_left() -> None:
    table = [route("/a/{x}/c"), route("/a/b/{y}")]
    assert taken(table, "GET", "/a/b/c") == "ANY /a/b/{y}"


def test_a_greedy_variable_takes_one_segment_or_more_never_none() -> None:
    table = [route("/files/{proxy+}")]
    found = routes.match(table, "GET", "/files/a/b%20c/d")
    assert found is not None
    assert found.path_parameters == {"proxy": "a/b c/d"}
    assert found.path == "/files/a/b c/d"
    assert routes.match(table, "GET", "/files") is None
    assert routes.match(table, "GET", "/files/") is None


def test_variables_are_decoded_and_never_empty() -> None:
    table = [route("/users/{id}/books/{book}")]
    found = routes.match(table, "GET", "/users/j%C3%B6rg/books/9")
    assert found is not None and found.parameters == (("id", "jörg"), ("book", "9"))
    assert routes.match(table, "GET", "/users//books/9") is None
    assert routes.match(table, "GET", "/users/1/books/9/extra") is None


def test_the_root_route_and_a_path_without_variables() -> None:
    table = [route("/", "GET"), route("/health", "GET")]
    root = routes.match(table, "GET", "/")
    assert root is not None and root.path_parameters is None and root.path == "/"
    assert taken(table, "GET", "/health") == "GET /health"


def test_the_table_leaves_disabled_routes_out() -> None:
    from lambdactl.manifest import FunctionConfig, FunctionSpec

    on, off = route("/on"), route("/off", enabled=False)
    config = FunctionConfig(handler="app.handler", runtime="python3.11")
    spec = FunctionSpec(name="f", code=Path(__file__).parent, config=config, events=(on, off))
    assert routes.table({"f": spec}) == (on,)


def test_below_the_prefix() -> None:
    assert routes.below_prefix("/api/users/7") == "/users/7"
    assert routes.below_prefix("/api") == "/"
    assert routes.below_prefix("/apix/users") is None
    assert routes.address(route("/users/{id}"), "http://127.0.0.1:3001") == (
        "http://127.0.0.1:3001/api/users/{id}"
    )


# --------------------------------------------------------------------------------------------
# Payload 2.0


def v2(found_route: HttpSource, http: HttpRequest) -> dict:
    found = routes.match([found_route], http.method, http.raw_path)
    assert found is not None
    return routes.event(http, found, region=REGION, account=ACCOUNT, request_id="JKJaXmPLvHcESHA=")


def test_the_v2_event_field_by_field() -> None:
    http = request(
        "POST",
        "/users/7",
        "a=1&a=2&b=x%20y",
        (
            ("Host", "127.0.0.1:3001"),
            ("User-Agent", "curl/8"),
            ("Cookie", "c1=v1; c2=v2"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Content-Type", "application/json"),
            ("X-Amzn-Trace-Id", "Root=1-abc"),
        ),
        b'{"name": "ann"}',
    )
    event = v2(route("/users/{id}", "POST"), http)
    identifier = routes.api_id(route("/x"), account=ACCOUNT, region=REGION)
    assert len(identifier) == 10 and identifier.isalnum() and identifier.islower()
    assert event == {
        "version": "2.0",
        "routeKey": "POST /users/{id}",
        "rawPath": "/users/7",
        "rawQueryString": "a=1&a=2&b=x%20y",
        "cookies": ["c1=v1", "c2=v2"],
        "headers": {
            "host": "127.0.0.1:3001",
            "user-agent": "curl/8",
            "x-multi": "one,two",
            "content-type": "application/json",
            "x-amzn-trace-id": "Root=1-abc",
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-proto": "http",
            "x-forwarded-port": "3001",
        },
        "queryStringParameters": {"a": "1,2", "b": "x y"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": identifier,
            "domainName": f"{identifier}.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": identifier,
            "http": {
                "method": "POST",
                "path": "/users/7",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "curl/8",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /users/{id}",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1584039838123,
        },
        "body": '{"name": "ann"}',
        "pathParameters": {"id": "7"},
        "isBase64Encoded": False,
    }


def test_a_bare_v2_event_leaves_out_what_the_request_lacks() -> None:
    event = v2(route("/ping", "GET"), request("GET", "/ping"))
    for absent in ("cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"):
        assert absent not in event
    assert event["isBase64Encoded"] is False and event["rawQueryString"] == ""


def test_a_v2_binary_body_is_base64_and_a_named_stage_is_in_the_raw_path() -> None:
    data = bytes(range(256))
    event = v2(
        route("/up", stage="beta", api="shop"),
        request("PUT", "/up", headers=(("Content-Type", "image/png"),), body=data),
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    assert event["rawPath"] == "/beta/up" == event["requestContext"]["http"]["path"]
    assert event["requestContext"]["stage"] == "beta"
    other = routes.api_id(route("/x"), account=ACCOUNT, region=REGION)
    assert event["requestContext"]["apiId"] != other  # its own API


# --------------------------------------------------------------------------------------------
# Payload 1.0


def v1(found_route: HttpSource, http: HttpRequest) -> dict:
    found = routes.match([found_route], http.method, http.raw_path)
    assert found is not None
    rid = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    return routes.event(http, found, region=REGION, account=ACCOUNT, request_id=rid)


def test_the_v1_event_field_by_field() -> None:
    http = request(
        "GET",
        "/items/a/b",
        "q=1&q=2&empty=",
        (
            ("host", "127.0.0.1:3001"),
            ("user-agent", "curl/8"),
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("cookie", "c1=v1"),
            ("x-forwarded-for", "198.51.100.1"),
        ),
    )
    event = v1(route("/items/{proxy+}", payload="1.0"), http)
    context = event.pop("requestContext")
    assert event == {
        "resource": "/items/{proxy+}",
        "path": "/items/a/b",
        "httpMethod": "GET",
        "headers": {
            "host": "127.0.0.1:3001",
            "user-agent": "curl/8",
            "x-multi": "two",
            "cookie": "c1=v1",
            "x-forwarded-for": "198.51.100.1, 203.0.113.9",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Port": "3001",
            "X-Amzn-Trace-Id": event["headers"]["X-Amzn-Trace-Id"],
        },
        "multiValueHeaders": {
            "host": ["127.0.0.1:3001"],
            "user-agent": ["curl/8"],
            "x-multi": ["one", "two"],
            "cookie": ["c1=v1"],
            "x-forwarded-for": ["198.51.100.1, 203.0.113.9"],
            "X-Forwarded-Proto": ["http"],
            "X-Forwarded-Port": ["3001"],
            "X-Amzn-Trace-Id": [event["headers"]["X-Amzn-Trace-Id"]],
        },
        "queryStringParameters": {"q": "2", "empty": ""},
        "multiValueQueryStringParameters": {"q": ["1", "2"], "empty": [""]},
        "pathParameters": {"proxy": "a/b"},
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
    }
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    identifier = context["apiId"]
    extended = context.pop("extendedRequestId")
    resource_id = context.pop("resourceId")
    assert len(extended) == 16 and extended.endswith("=")
    assert len(resource_id) == 6
    assert context == {
        "accountId": ACCOUNT,
        "apiId": identifier,
        "domainName": f"{identifier}.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": identifier,
        "httpMethod": "GET",
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": "203.0.113.9",
            "user": None,
            "userAgent": "curl/8",
            "userArn": None,
        },
        "path": "/Prod/items/a/b",
        "protocol": "HTTP/1.1",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "12/Mar/2020:19:03:58 +0000",
        "requestTimeEpoch": 1584039838123,
        "resourcePath": "/items/{proxy+}",
        "stage": "Prod",
    }


def test_a_v1_event_without_query_or_variables_has_nulls() -> None:
    event = v1(route("/ping", "GET", payload="1.0", stage="dev"), request("GET", "/ping"))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["requestContext"]["path"] == "/dev/ping"


def test_a_v1_body_is_base64_only_for_a_binary_media_type() -> None:
    data = bytes(range(256))
    binary = route("/up", payload="1.0", binary_media_types=("image/*",))
    png = request("POST", "/up", headers=(("content-type", "image/png"),), body=data)
    event = v1(binary, png)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == data
    text = request("POST", "/up", headers=(("content-type", "text/plain"),), body=b"hi")
    assert (v1(binary, text)["body"], v1(binary, text)["isBase64Encoded"]) == ("hi", False)
    form = request("POST", "/up", headers=(("content-type", "application/x-foo"),), body=b"a=1")
    assert v1(route("/up", payload="1.0"), form)["body"] == "a=1"


@pytest.mark.parametrize(
    ("content_type", "types", "binary"),
    [
        ("image/png", ("image/png",), True),
        ("image/png; q=1", ("*/*",), True),
        ("IMAGE/PNG", ("image/*",), True),
        ("image/png", ("application/octet-stream",), False),
        (None, ("image/png",), False),
    ],
)
def test_binary_media_types(content_type: str | None, types: tuple[str, ...], binary: bool) -> None:
    assert routes.is_binary(content_type, types) is binary


# --------------------------------------------------------------------------------------------
# Responses


def answer(r: HttpSource, value: object, *, error: bool = False, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    payload = raw if raw is not None else json.dumps(value).encode()
    return routes.respond(r, payload, function_error=error, request_id="rid")


V1 = route("/x", payload="1.0")
V2 = route("/x")
V1_FAILURE = (502, b'{"message": "Internal server error"}')
V2_FAILURE = (500, b'{"message":"Internal Server Error"}')


def test_a_v1_response_with_headers_merged_and_a_base64_body() -> None:
    response = answer(
        V1,
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "X-Both": "from-headers", "X-Num": 5},
            "multiValueHeaders": {"X-Both": ["a", "b"], "Set-Cookie": ["s=1", "t=2"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        },
    )
    assert response.status == 201 and response.body == b"\x00\x01"
    assert response.headers == (
        ("Content-Type", "application/json"),
        ("X-One", "1"),
        ("X-Num", "5"),
        ("X-Both", "a"),
        ("X-Both", "b"),
        ("Set-Cookie", "s=1"),
        ("Set-Cookie", "t=2"),
        ("x-amzn-RequestId", "rid"),
    )


def test_a_v1_response_with_its_own_content_type_and_a_text_body() -> None:
    response = answer(
        V1, {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hi"}
    )
    assert (response.status, response.body) == (200, b"hi")
    assert response.header("content-type") == "text/plain"
    assert answer(V1, {"statusCode": 204}).body == b""


@pytest.mark.parametrize(
    "value",
    [
        {"hello": "world"},  # no statusCode: a REST API infers nothing
        {"statusCode": 200, "body": "x", "cookies": ["a=b"]},  # a 2.0-only key
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": "teapot"},
        {"statusCode": 200, "multiValueHeaders": {"X": "not a list"}},
        "just a string",
        [1, 2],
    ],
)
def test_a_malformed_v1_response_is_502(value: object) -> None:
    response = answer(V1, value)
    assert (response.status, response.body) == V1_FAILURE
    assert response.header("x-amzn-ErrorType") == "InternalServerErrorException"


def test_a_v1_function_error_or_non_json_is_502() -> None:
    assert (
        answer(V1, {"statusCode": 200}, error=True).status,
        answer(V1, {}, error=True).body,
    ) == V1_FAILURE
    assert (answer(V1, None, raw=b"not json").status, answer(V1, None, raw=b"{").body) == V1_FAILURE


def test_a_v2_answer_without_status_code_is_a_200_json_body() -> None:
    response = answer(V2, {"hello": "world", "n": [1, 2]})
    assert response.status == 200
    assert response.body == b'{"hello":"world","n":[1,2]}'
    assert response.headers == (("Content-Type", "application/json"), ("apigw-requestid", "rid"))
    assert answer(V2, "hello").body == b"hello"


def test_a_v2_described_response_with_cookies() -> None:
    response = answer(
        V2,
        {"statusCode": 302, "headers": {"Location": "/next"}, "cookies": ["a=1", "b=2; Secure"]},
    )
    assert response.status == 302
    assert response.header("location") == "/next"
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1", "b=2; Secure"]


@pytest.mark.parametrize(
    ("value", "raw", "error"),
    [
        ({"statusCode": 200}, None, True),
        ({"statusCode": "teapot"}, None, False),
        ({"statusCode": 200, "cookies": "a=1"}, None, False),
        (None, b"not json", False),
    ],
)
def test_a_v2_function_error_or_invalid_answer_is_500(
    value: object, raw: bytes | None, error: bool
) -> None:
    response = answer(V2, value, raw=raw, error=error)
    assert (response.status, response.body) == V2_FAILURE


def test_no_route_is_404_for_http_apis_and_403_for_rest_apis() -> None:
    rest, http = route("/items", "GET", payload="1.0"), route("/users", "GET")
    missing = routes.not_found([rest, http], "/nothing")
    assert (missing.status, missing.body) == (404, b'{"message":"Not Found"}')
    wrong_method = routes.not_found([rest, http], "/items")
    assert (wrong_method.status, wrong_method.body) == (
        403,
        b'{"message":"Missing Authentication Token"}',
    )
    assert wrong_method.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    assert routes.not_found([rest], "/nothing").status == 403
    assert routes.not_found([], "/nothing").status == 404


def test_a_refused_invoke_is_the_apis_internal_error() -> None:
    assert (routes.failed(V2).status, routes.failed(V2).body) == V2_FAILURE
    assert (routes.failed(HTTP_V1).status, routes.failed(HTTP_V1).body) == V2_FAILURE
    refused = routes.failed(V1)
    assert (refused.status, refused.body) == (500, b'{"message": "Internal server error"}')


# --------------------------------------------------------------------------------------------
# An HTTP API with payload 1.0


HTTP_V1 = route("/x", payload="1.0", api_type="HTTP")


def test_the_kind_of_api_is_given_or_follows_the_payload() -> None:
    assert (V1.api_kind, V2.api_kind, HTTP_V1.api_kind) == ("REST", "HTTP", "HTTP")
    assert (V1.rest, V2.rest, HTTP_V1.rest) == (True, False, False)


def test_the_http_api_v1_event_field_by_field() -> None:
    http = request(
        "GET",
        "/items/a/b",
        "q=1&q=2&empty=",
        (
            ("Host", "127.0.0.1:3001"),
            ("User-Agent", "curl/8"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "c1=v1"),
        ),
    )
    found = route("/items/{proxy+}", "GET", payload="1.0", api_type="HTTP")
    event = v1(found, http)
    context = event.pop("requestContext")
    trace = event["headers"]["x-amzn-trace-id"]
    assert trace.startswith("Root=1-")
    assert list(event)[0] == "version"
    assert event == {
        "version": "1.0",
        "resource": "/items/{proxy+}",
        "path": "/items/a/b",
        "httpMethod": "GET",
        "headers": {
            "host": "127.0.0.1:3001",
            "user-agent": "curl/8",
            "x-multi": "two",
            "cookie": "c1=v1",
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-proto": "http",
            "x-forwarded-port": "3001",
            "x-amzn-trace-id": trace,
        },
        "multiValueHeaders": {
            "host": ["127.0.0.1:3001"],
            "user-agent": ["curl/8"],
            "x-multi": ["one", "two"],
            "cookie": ["c1=v1"],
            "x-forwarded-for": ["203.0.113.9"],
            "x-forwarded-proto": ["http"],
            "x-forwarded-port": ["3001"],
            "x-amzn-trace-id": [trace],
        },
        "queryStringParameters": {"q": "2", "empty": ""},
        "multiValueQueryStringParameters": {"q": ["1", "2"], "empty": [""]},
        "pathParameters": {"proxy": "a/b"},
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
    }
    identifier = routes.api_id(V2, account=ACCOUNT, region=REGION)  # the implicit HTTP API
    rid = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert context == {
        "accountId": ACCOUNT,
        "apiId": identifier,
        "authorizer": {"claims": None, "scopes": None},
        "domainName": f"{identifier}.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": identifier,
        "extendedRequestId": rid,
        "httpMethod": "GET",
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": "203.0.113.9",
            "user": None,
            "userAgent": "curl/8",
            "userArn": None,
        },
        "path": "/items/a/b",
        "protocol": "HTTP/1.1",
        "requestId": rid,
        "requestTime": "12/Mar/2020:19:03:58 +0000",
        "requestTimeEpoch": 1584039838123,
        "resourceId": None,
        "resourcePath": "/items/{proxy+}",
        "stage": "$default",
    }


def test_the_http_api_v1_event_is_in_the_http_apis_api_not_the_rest_one() -> None:
    event = v1(HTTP_V1, request("GET", "/x"))
    rest = routes.api_id(V1, account=ACCOUNT, region=REGION)
    http = routes.api_id(V2, account=ACCOUNT, region=REGION)
    assert rest != http and event["requestContext"]["apiId"] == http
    assert v1(V1, request("GET", "/x"))["requestContext"]["apiId"] == rest
    assert "version" not in v1(V1, request("GET", "/x"))  # a REST API's event has none


def test_a_named_stage_of_an_http_api_v1_is_in_its_paths() -> None:
    staged = route("/ping", "GET", payload="1.0", api_type="HTTP", stage="dev")
    event = v1(staged, request("GET", "/ping"))
    assert event["path"] == "/dev/ping" == event["requestContext"]["path"]
    assert (event["requestContext"]["stage"], event["resource"]) == ("dev", "/ping")
    assert event["requestContext"]["resourcePath"] == "/ping"


def test_an_http_api_v1_body_is_base64_when_it_is_not_text() -> None:
    data = bytes(range(256))
    png = request("POST", "/x", headers=(("content-type", "image/png"),), body=data)
    event = v1(HTTP_V1, png)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == data
    text = request("POST", "/x", headers=(("content-type", "application/json"),), body=b"{}")
    assert (v1(HTTP_V1, text)["body"], v1(HTTP_V1, text)["isBase64Encoded"]) == ("{}", False)


def test_an_http_api_v1_request_id_is_the_short_form_in_apigw_requestid() -> None:
    rid = routes.request_id(HTTP_V1)
    assert len(rid) == 16 and rid.endswith("=")
    assert len(routes.request_id(V1)) == 36  # a REST API's: a UUID
    response = answer(HTTP_V1, {"statusCode": 200, "body": "hi"})
    assert response.header("apigw-requestid") == "rid"
    assert response.header("x-amzn-RequestId") is None


def test_an_http_api_v1_response_is_read_as_1_0_and_leaves_unknown_keys_out() -> None:
    response = answer(
        HTTP_V1,
        {
            "statusCode": 201,
            "headers": {"X-One": "1"},
            "multiValueHeaders": {"Set-Cookie": ["s=1", "t=2"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
            "cookies": ["ignored=1"],  # a 2.0 key: not read, and not an error
        },
    )
    assert (response.status, response.body) == (201, b"\x00\x01")
    assert response.headers == (
        ("Content-Type", "application/json"),
        ("X-One", "1"),
        ("Set-Cookie", "s=1"),
        ("Set-Cookie", "t=2"),
        ("apigw-requestid", "rid"),
    )


@pytest.mark.parametrize(
    ("value", "raw", "error"),
    [
        ({"hello": "world"}, None, False),  # 1.0 infers nothing: statusCode is required
        ("just a string", None, False),
        ({"statusCode": "teapot"}, None, False),
        ({"statusCode": 200, "body": {"not": "a string"}}, None, False),
        ({"statusCode": 200}, None, True),
        (None, b"not json", False),
    ],
)
def test_an_http_api_v1_function_error_or_malformed_answer_is_the_http_apis_500(
    value: object, raw: bytes | None, error: bool
) -> None:
    response = answer(HTTP_V1, value, raw=raw, error=error)
    assert (response.status, response.body) == V2_FAILURE
    assert response.header("x-amzn-ErrorType") is None


def test_no_route_of_an_http_api_v1_is_404() -> None:
    rest = route("/items", "GET", payload="1.0")
    http_v1 = route("/users", "GET", payload="1.0", api_type="HTTP")
    wrong_method = routes.not_found([rest, http_v1], "/users")
    assert (wrong_method.status, wrong_method.body) == (404, b'{"message":"Not Found"}')
    assert routes.not_found([http_v1], "/nothing").status == 404
    assert routes.not_found([rest], "/nothing").status == 403


def test_stages_follow_the_kind_of_api() -> None:
    assert [routes.stage_of(r) for r in (V1, V2, HTTP_V1)] == ["Prod", "$default", "$default"]
