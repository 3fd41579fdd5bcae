"""API Gateway routes against a real `lambdactl serve`: plain HTTP requests under `/api`,
routes of a REST API (1.0) and an HTTP API of both payload formats (path variables, a greedy
proxy, ANY, repeated query keys, cookies, a binary POST), AWS's response mapping and errors
of each kind of API; the ready line lists them, and ListEventSourceMappings does not."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Server, start_server
from tests.api.test_urls import send

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  users:
    handler: app.handler
    code: src/web
    events:
      - http: {path: "/users/{id}", method: GET}
      - http: {path: "/users/{id}", method: POST}
      - http: {path: /users/me, method: GET}
      - http: {path: /raise, method: GET}
      - http: {path: /plain, method: GET}
      - http: {path: /cookies, method: GET}
  files:
    handler: app.handler
    code: src/web
    events:
      - http:
          path: "/files/{proxy+}"
          payload: "1.0"
          binary_media_types: [image/png]
      - http: {path: /legacy, method: GET, payload: "1.0", api: shop, stage: v1}
      - http: {path: /legacy-raise, method: GET, payload: "1.0"}
      - http: {path: /legacy-plain, method: GET, payload: "1.0"}
  modern:
    handler: app.handler
    code: src/web
    events:
      - http: {path: "/modern/{id}", method: GET, payload: "1.0", api_type: http}
      - http: {path: /modern-raise, method: GET, payload: "1.0", api_type: http}
      - http: {path: /modern-plain, method: GET, payload: "1.0", api_type: http}
      - http: {path: /modern-extra, method: GET, payload: "1.0", api_type: http}
      - http: {path: /modern-inferred, method: GET, payload: "1.0", api_type: http}
  anything:
    handler: app.handler
    code: src/web
    events:
      - http: {path: /any}
      - http: {path: /off, enabled: false}
      - queue: jobs
queues:
  jobs: {}
"""

HANDLER = """\
import base64, json

def handler(event, context):
    path = event.get("rawPath") or event.get("path")
    if path.endswith("raise"):
        raise RuntimeError("boom")
    if path.endswith("plain"):
        return ["not", "a", "response"]
    if path == "/cookies":
        return {"statusCode": 200, "cookies": ["a=1", "b=2"], "body": "ok"}
    if path == "/modern-extra":
        return {"statusCode": 200, "body": "ok", "cookies": ["a=1"], "extra": True}
    if path == "/modern-inferred":
        return {"hello": "world"}
    if event.get("version") == "2.0":
        return {"seen": event}  # no statusCode: inferred 200 JSON
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"x-seen": ["one", "two"]},
        "body": json.dumps(event),
    }
"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for this module's requests (a project of its own)."""
    root = tmp_path_factory.mktemp("routes")
    (root / "src" / "web").mkdir(parents=True)
    (root / "src" / "web" / "app.py").write_text(HANDLER)
    (root / "functions.yaml").write_text(MANIFEST)
    server = start_server(root)
    yield server
    server.stop()


def call(server: Server, method: str, path: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
    status, headers, body = send(server, method, path, **kw)
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body
    return status, dict(headers), parsed


def test_a_v2_route_with_a_path_variable_and_repeated_query_keys(web: Server) -> None:
    status, headers, body = call(
        web, "GET", "/api/users/42?tag=a&tag=b&q=x%20y", headers={"User-Agent": "tests"}
    )
    assert status == 200 and headers["content-type"] == "application/json"
    event = body["seen"]
    assert event["routeKey"] == "GET /users/{id}"
    assert event["rawPath"] == "/users/42"
    assert event["rawQueryString"] == "tag=a&tag=b&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "x y"}
    assert event["pathParameters"] == {"id": "42"}
    context = event["requestContext"]
    assert context["http"]["method"] == "GET" and context["http"]["userAgent"] == "tests"
    assert context["stage"] == "$default" and context["accountId"] == "123456789012"
    assert headers["apigw-requestid"] == context["requestId"]
    assert "body" not in event and event["isBase64Encoded"] is False


def test_an_exact_route_beats_the_variable_and_post_reaches_its_own(web: Server) -> None:
    assert call(web, "GET", "/api/users/me")[2]["seen"]["routeKey"] == "GET /users/me"
    status, _, body = call(
        web,
        "POST",
        "/api/users/7",
        body=b'{"name": "ann"}',
        headers={"Content-Type": "application/json", "Cookie": "s=1; t=2"},
    )
    assert status == 200
    event = body["seen"]
    assert event["routeKey"] == "POST /users/{id}"
    assert event["body"] == '{"name": "ann"}' and event["isBase64Encoded"] is False
    assert event["cookies"] == ["s=1", "t=2"] and "cookie" not in event["headers"]


def test_any_takes_every_method(web: Server) -> None:
    for method in ("GET", "DELETE", "PATCH"):
        status, _, body = call(web, method, "/api/any")
        assert status == 200 and body["seen"]["routeKey"] == "ANY /any"
        assert body["seen"]["requestContext"]["http"]["method"] == method


def test_v2_cookies_become_set_cookie_headers(web: Server) -> None:
    status, headers, body = send(web, "GET", "/api/cookies")
    assert (status, body) == (200, b"ok")
    assert [v for k, v in headers if k == "set-cookie"] == ["a=1", "b=2"]


def test_a_v1_greedy_route_with_multi_value_query_and_response_headers(web: Server) -> None:
    status, headers, body = send(web, "DELETE", "/api/files/a/b%20c.txt?k=1&k=2")
    assert status == 201
    assert [v for k, v in headers if k == "x-seen"] == ["one", "two"]
    event = json.loads(body)
    assert event["resource"] == "/files/{proxy+}"
    assert event["path"] == "/files/a/b c.txt"
    assert event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"proxy": "a/b c.txt"}
    assert event["queryStringParameters"] == {"k": "2"}
    assert event["multiValueQueryStringParameters"] == {"k": ["1", "2"]}
    assert event["stageVariables"] is None and event["body"] is None
    context = event["requestContext"]
    assert context["stage"] == "Prod" and context["path"] == "/Prod/files/a/b c.txt"
    assert context["resourcePath"] == "/files/{proxy+}"
    assert dict(headers)["x-amzn-requestid"] == context["requestId"]


def test_a_v1_binary_post_arrives_base64(web: Server) -> None:
    data = bytes(range(256))
    status, _, body = call(
        web, "POST", "/api/files/up.png", body=data, headers={"Content-Type": "image/png"}
    )
    assert status == 201
    assert body["isBase64Encoded"] is True
    assert base64.b64decode(body["body"]) == data
    status, _, body = call(
        web, "POST", "/api/files/up.txt", body=b"plain", headers={"Content-Type": "text/plain"}
    )
    assert (body["body"], body["isBase64Encoded"]) == ("plain", False)


def test_a_named_api_and_stage(web: Server) -> None:
    event = call(web, "GET", "/api/legacy")[2]
    context = event["requestContext"]
    assert context["stage"] == "v1" and context["path"] == "/v1/legacy"
    other = call(web, "GET", "/api/files/x")[2]["requestContext"]["apiId"]
    assert context["apiId"] != other
    assert event["queryStringParameters"] is None and event["pathParameters"] is None


def test_a_handler_raising(web: Server) -> None:
    assert send(web, "GET", "/api/raise")[0::2] == (500, b'{"message":"Internal Server Error"}')
    assert send(web, "GET", "/api/legacy-raise")[0::2] == (
        502,
        b'{"message": "Internal server error"}',
    )


def test_a_handler_returning_a_non_dict(web: Server) -> None:
    status, headers, body = send(web, "GET", "/api/plain")
    assert (status, body) == (200, b'["not","a","response"]')  # 2.0 infers a JSON body
    assert send(web, "GET", "/api/legacy-plain")[0::2] == (
        502,
        b'{"message": "Internal server error"}',
    )


def test_no_route(web: Server) -> None:
    assert send(web, "GET", "/api/nothing/here")[0::2] == (404, b'{"message":"Not Found"}')
    assert send(web, "PUT", "/api/users/me")[0::2] == (404, b'{"message":"Not Found"}')
    assert send(web, "GET", "/api/off")[0] == 404  # a disabled route is not served
    status, headers, body = send(web, "GET", "/api/legacy-raise/x")
    assert (status, body) == (404, b'{"message":"Not Found"}')
    status, headers, body = send(web, "POST", "/api/legacy")
    assert (status, body) == (403, b'{"message":"Missing Authentication Token"}')
    assert dict(headers)["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_an_http_api_route_with_payload_1_0(web: Server) -> None:
    status, headers, body = send(
        web,
        "GET",
        "/api/modern/7?k=1&k=2",
        headers={"User-Agent": "tests", "Content-Type": "image/png"},
    )
    assert status == 201
    assert [v for k, v in headers if k == "x-seen"] == ["one", "two"]
    event = json.loads(body)
    assert event["version"] == "1.0"
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/modern/{id}",
        "/modern/7",
        "GET",
    )
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"k": "2"}
    assert event["multiValueQueryStringParameters"] == {"k": ["1", "2"]}
    assert event["headers"]["user-agent"] == "tests"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["multiValueHeaders"]["user-agent"] == ["tests"]
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["resourceId"]) == (
        "$default",
        "/modern/7",
        None,
    )
    assert context["authorizer"] == {"claims": None, "scopes": None}
    assert context["identity"]["userAgent"] == "tests"
    request_id = dict(headers)["apigw-requestid"]
    assert context["requestId"] == request_id == context["extendedRequestId"]
    assert len(request_id) == 16 and "x-amzn-requestid" not in dict(headers)
    # the implicit HTTP API's id (the 2.0 routes'), not the REST API's
    http_api = call(web, "GET", "/api/users/1")[2]["seen"]["requestContext"]["apiId"]
    rest_api = call(web, "GET", "/api/files/x")[2]["requestContext"]["apiId"]
    assert context["apiId"] == http_api != rest_api


def test_an_http_api_1_0_answer_and_errors(web: Server) -> None:
    failure = (500, b'{"message":"Internal Server Error"}')
    assert send(web, "GET", "/api/modern-raise")[0::2] == failure
    assert send(web, "GET", "/api/modern-plain")[0::2] == failure  # 1.0 infers nothing
    assert send(web, "GET", "/api/modern-inferred")[0::2] == failure  # no statusCode
    status, headers, body = send(web, "GET", "/api/modern-extra")  # other keys: left out
    assert (status, body) == (200, b"ok")
    assert "set-cookie" not in dict(headers)
    # no route for the method: the HTTP API's 404, not a REST API's 403
    assert send(web, "POST", "/api/modern/7")[0::2] == (404, b'{"message":"Not Found"}')


def test_head_answers_without_a_body(web: Server) -> None:
    status, headers, body = send(web, "HEAD", "/api/any")
    assert status == 200 and body == b"" and int(dict(headers)["content-length"]) > 0


def test_list_event_source_mappings_leaves_routes_out(web: Server) -> None:
    mappings = web.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[1] for m in mappings] == ["anything"]


def test_ready_line_routes(tmp_path_factory: pytest.TempPathFactory) -> None:
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("ready")
    (root / "src" / "web").mkdir(parents=True)
    (root / "src" / "web" / "app.py").write_text(HANDLER)
    (root / "functions.yaml").write_text(MANIFEST)
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "-o", "json"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.communicate(timeout=30)
    endpoint = ready["Endpoint"]
    assert ready["Routes"][0] == {
        "Method": "GET",
        "Url": f"{endpoint}/api/users/{{id}}",
        "Function": "users",
        "Api": "HTTP",
        "Payload": "2.0",
    }
    assert {"Method": "ANY", "Url": f"{endpoint}/api/files/{{proxy+}}", "Function": "files",
            "Api": "REST", "Payload": "1.0"} in ready["Routes"]  # fmt: skip
    assert {"Method": "GET", "Url": f"{endpoint}/api/modern/{{id}}", "Function": "modern",
            "Api": "HTTP", "Payload": "1.0"} in ready["Routes"]  # fmt: skip
    assert len(ready["Routes"]) == 16  # the disabled one left out


def test_the_banner_lists_the_routes(tmp_path_factory: pytest.TempPathFactory) -> None:
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("banner")
    (root / "src" / "web").mkdir(parents=True)
    (root / "src" / "web" / "app.py").write_text(HANDLER)
    (root / "functions.yaml").write_text(MANIFEST)
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            if "Ctrl-C" in line:
                break
    finally:
        process.terminate()
        process.communicate(timeout=30)
    endpoint = lines[1].split()[1]
    routes = [line.split(None, 1)[1] for line in lines if line.startswith("  route ")]
    assert routes[0] == f"GET {endpoint}/api/users/{{id}} -> users (HTTP API, payload 2.0)"
    assert f"ANY {endpoint}/api/files/{{proxy+}} -> files (REST API, payload 1.0)" in routes
    assert f"GET {endpoint}/api/modern/{{id}} -> modern (HTTP API, payload 1.0)" in routes
    assert len(routes) == 16
