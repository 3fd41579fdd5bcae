"""Function URLs against a real `lambdactl serve`: plain HTTP clients (http.client), the
event the function receives, AWS's response mapping, CORS, auth, errors; and the URL
configuration operations through boto3."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Server, start_server

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  echo:
    handler: app.handler
    code: src/web
    url:
      cors:
        allow_origins: ["https://app.example.com"]
        allow_methods: [GET, POST]
        allow_headers: [content-type]
        expose_headers: [x-custom]
        max_age: 600
  iam:
    handler: app.handler
    code: src/web
    url: {auth: AWS_IAM}
  aliased:
    handler: app.handler
    code: src/web
    url: {qualifier: live}
  throttled:
    handler: app.handler
    code: src/web
    reserved_concurrency: 0
    url: true
  plain:
    handler: app.handler
    code: src/web
"""

HANDLER = """\
import base64, json

def handler(event, context):
    path = event["rawPath"]
    if path == "/error":
        raise RuntimeError("boom")
    if path == "/plain":
        return {"hello": "world", "n": [1, 2]}
    if path == "/string":
        return "hello"
    if path == "/binary":
        return {
            "statusCode": 200,
            "headers": {"content-type": "image/png"},
            "body": base64.b64encode(bytes(range(256))).decode(),
            "isBase64Encoded": True,
        }
    if path == "/custom":
        return {
            "statusCode": 201,
            "headers": {"X-Custom": "yes", "Access-Control-Allow-Origin": "https://elsewhere"},
            "cookies": ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2"],
            "body": "created",
        }
    if path == "/invalid":
        return {"statusCode": "teapot"}
    return {"statusCode": 200, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for this module's requests (a project of its own)."""
    root = tmp_path_factory.mktemp("urls")
    (root / "src" / "web").mkdir(parents=True)
    (root / "src" / "web" / "app.py").write_text(HANDLER)
    (root / "functions.yaml").write_text(MANIFEST)
    server = start_server(root)
    yield server
    server.stop()


def send(
    server: Server,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request over plain HTTP: status, header lines (lower-cased names), body."""
    host = urlsplit(server.url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        for name, value in pairs:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        lines = [(k.lower(), v) for k, v in response.getheaders()]
        return response.status, lines, response.read()
    finally:
        connection.close()


def header(lines: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in lines if k == name]
    return ",".join(values) if values else None


def event_of(server: Server, method: str, path: str, **kw: Any) -> dict[str, Any]:
    status, _lines, body = send(server, method, path, **kw)
    assert status == 200, body
    return json.loads(body)


def test_get_with_query_and_cookies(web: Server) -> None:
    event = event_of(
        web,
        "GET",
        "/url/echo/some/path%2Fenc?x=1&x=2&name=J%C3%BCrgen",
        headers=[("Cookie", "a=1; b=2"), ("X-Twice", "one"), ("X-Twice", "two")],
    )
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path%2Fenc"
    assert event["rawQueryString"] == "x=1&x=2&name=J%C3%BCrgen"
    assert event["queryStringParameters"] == {"x": "1,2", "name": "Jürgen"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-twice"] == "one,two"
    assert "cookie" not in event["headers"] and "body" not in event
    context = event["requestContext"]
    assert context["accountId"] == "anonymous"
    assert context["http"]["method"] == "GET" and context["http"]["sourceIp"] == "127.0.0.1"
    assert context["domainName"] == f"{context['apiId']}.lambda-url.us-east-1.on.aws"
    assert context["stage"] == "$default"


def test_the_url_itself_and_without_a_trailing_slash(web: Server) -> None:
    assert event_of(web, "GET", "/url/echo/")["rawPath"] == "/"
    assert event_of(web, "GET", "/url/echo")["rawPath"] == "/"


def test_post_json_arrives_as_text(web: Server) -> None:
    payload = json.dumps({"example": "test"}).encode()
    event = event_of(
        web,
        "POST",
        "/url/echo/?message=HelloWorld",
        body=payload,
        headers={"content-type": "application/json"},
    )
    assert event["body"] == '{"example": "test"}'
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST"


def test_post_binary_arrives_base64(web: Server) -> None:
    blob = bytes(range(256)) * 40
    event = event_of(
        web,
        "PUT",
        "/url/echo/upload",
        body=blob,
        headers={"content-type": "application/octet-stream"},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == blob


def test_a_described_response_status_headers_cookies(web: Server) -> None:
    status, lines, body = send(web, "GET", "/url/echo/custom")
    assert (status, body) == (201, b"created")
    assert header(lines, "x-custom") == "yes"
    assert header(lines, "content-type") == "application/json"
    assert [v for k, v in lines if k == "set-cookie"] == [
        "Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT",
        "Cookie_2=Value2",
    ]
    assert header(lines, "x-amzn-requestid")


def test_a_base64_response_is_sent_as_bytes(web: Server) -> None:
    status, lines, body = send(web, "GET", "/url/echo/binary")
    assert (status, body) == (200, bytes(range(256)))
    assert header(lines, "content-type") == "image/png"


def test_plain_json_and_string_returns(web: Server) -> None:
    status, lines, body = send(web, "GET", "/url/echo/plain")
    assert (status, body) == (200, b'{"hello":"world","n":[1,2]}')
    assert header(lines, "content-type") == "application/json"
    assert send(web, "GET", "/url/echo/string")[2] == b"hello"


def test_a_function_error_or_an_invalid_response_is_502(web: Server) -> None:
    for path in ("/url/echo/error", "/url/echo/invalid"):
        status, lines, body = send(web, "GET", path)
        assert (status, body) == (502, b"Internal Server Error")
        assert header(lines, "x-amzn-requestid")


def test_head_sends_headers_only(web: Server) -> None:
    status, lines, body = send(web, "HEAD", "/url/echo/plain")
    assert (status, body) == (200, b"")
    assert header(lines, "content-length") == str(len(b'{"hello":"world","n":[1,2]}'))


def test_cors_preflight_is_answered_without_the_function(web: Server) -> None:
    status, lines, body = send(
        web,
        "OPTIONS",
        "/url/echo/anything",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert (status, body) == (200, b"")
    assert header(lines, "access-control-allow-origin") == "https://app.example.com"
    assert header(lines, "access-control-allow-methods") == "GET,POST"
    assert header(lines, "access-control-allow-headers") == "content-type"
    assert header(lines, "access-control-max-age") == "600"
    assert header(lines, "x-amzn-requestid") is None  # nothing was invoked
    refused = send(
        web,
        "OPTIONS",
        "/url/echo/",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused[0] == 200 and header(refused[1], "access-control-allow-origin") is None


def test_simple_cors_headers_replace_the_functions(web: Server) -> None:
    status, lines, _ = send(
        web, "GET", "/url/echo/custom", headers={"Origin": "https://app.example.com"}
    )
    assert status == 201
    assert header(lines, "access-control-allow-origin") == "https://app.example.com"
    assert header(lines, "access-control-expose-headers") == "x-custom"
    _, foreign, _ = send(web, "GET", "/url/echo/custom", headers={"Origin": "https://other"})
    assert header(foreign, "access-control-allow-origin") == "https://elsewhere"  # its own


@pytest.mark.parametrize("path", ["/url/nobody/", "/url/plain/", "/url/echo:live/", "/url/"])
def test_no_such_url_is_403_as_on_aws(web: Server, path: str) -> None:
    status, lines, body = send(web, "GET", path)
    assert (status, body) == (403, b'{"Message":null}')
    assert header(lines, "x-amzn-errortype") == "AccessDeniedException"
    assert header(lines, "content-type") == "application/json"


def test_an_iam_url_needs_a_signature(web: Server) -> None:
    status, lines, body = send(web, "GET", "/url/iam/")
    assert status == 403
    assert json.loads(body)["Message"].startswith("Forbidden.")
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest(method="GET", url=f"{web.url}/url/iam/who")
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "lambda", "us-east-1").add_auth(signed)
    event = event_of(web, "GET", "/url/iam/who", headers=dict(signed.headers.items()))
    assert event["requestContext"]["accountId"] == "123456789012"
    assert event["requestContext"]["authorizer"]["iam"]["accessKey"] == "AKIDEXAMPLE"


def test_an_alias_url_answers_once_its_alias_exists(web: Server) -> None:
    status, _, body = send(web, "GET", "/url/aliased:live/")
    assert status == 403 and json.loads(body)["Message"].startswith("Forbidden.")
    for args in (["publish", "aliased"], ["alias", "create", "aliased", "live", "-v", "1"]):
        subprocess.run(
            [sys.executable, "-m", "lambdactl", *args],
            cwd=web.project_dir,
            check=True,
            capture_output=True,
        )
    assert event_of(web, "GET", "/url/aliased:live/x")["rawPath"] == "/x"
    assert send(web, "GET", "/url/aliased/")[0] == 403  # no unqualified URL declared


def test_reserved_concurrency_zero_throttles_with_429(web: Server) -> None:
    status, lines, _ = send(web, "GET", "/url/throttled/")
    assert status == 429
    assert header(lines, "x-amzn-errortype") == "TooManyRequestsException"


def test_a_body_over_6_mb_is_refused(web: Server) -> None:
    status, lines, body = send(web, "POST", "/url/echo/", body=b"x" * (6 * 1024 * 1024 + 1))
    assert status == 413
    assert header(lines, "x-amzn-errortype") == "RequestEntityTooLargeException"
    assert send(web, "GET", "/url/echo/string")[2] == b"hello"  # and the server is fine


def test_get_and_list_url_configs_through_boto3(web: Server) -> None:
    client = web.client("lambda")
    config = client.get_function_url_config(FunctionName="echo")
    assert config["FunctionUrl"] == f"{web.url}/url/echo/"
    assert config["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert config["AuthType"] == "NONE" and config["InvokeMode"] == "BUFFERED"
    assert config["Cors"]["AllowOrigins"] == ["https://app.example.com"]
    assert config["Cors"]["MaxAge"] == 600
    assert config["CreationTime"] and config["LastModifiedTime"]
    aliased = client.get_function_url_config(FunctionName="aliased", Qualifier="live")
    assert aliased["FunctionUrl"] == f"{web.url}/url/aliased:live/"
    listed = client.list_function_url_configs(FunctionName="aliased")["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [f"{web.url}/url/aliased:live/"]
    assert client.list_function_url_configs(FunctionName="plain")["FunctionUrlConfigs"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException) as none:
        client.get_function_url_config(FunctionName="plain")
    assert none.value.response["Error"]["Message"] == "The resource you requested does not exist."
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.get_function_url_config(FunctionName="nobody")
    assert "Function not found" in missing.value.response["Error"]["Message"]


def test_the_ready_line_lists_the_urls(project_dir: Path) -> None:
    (project_dir / "functions.yaml").write_text(
        textwrap.dedent(
            """\
            functions:
              hello:
                handler: app.handler
                code: src/hello
                url: true
            """
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "-o", "json"],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(url="", process=process, project_dir=project_dir)
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready["FunctionUrls"] == {"hello": f"{ready['Endpoint']}/url/hello/"}
    finally:
        server.stop()
