"""Function URLs against a real `lambdactl serve`: plain HTTP clients (http.client), the
event the function receives, AWS's response mapping, CORS, auth, errors; and the URL
configuration operations through boto3."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Server, start_server
from tests.uploads import create_request

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
    assert missing.value.response["Error"]["Message"] == NO_SUCH_URL


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


# -- URLs made through the API: Create, Update, Delete --------------------------------------------

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
NO_SUCH_URL = "The resource you requested does not exist."


def lambdactl(project_dir: Path, *args: str) -> str:
    """A `lambdactl` command beside the server, reading the same store: its output."""
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", *args],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


def error_of(caught: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    response = caught.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, response["Error"]["Code"], response["Error"]["Message"]


def test_create_serve_update_preflight_delete(server: Server, lambda_client: Any) -> None:
    client = lambda_client
    made = client.create_function_url_config(FunctionName="hello", AuthType="NONE")
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert made["FunctionUrl"] == f"{server.url}/url/hello/"
    assert (made["FunctionArn"], made["AuthType"], made["InvokeMode"]) == (
        f"{ARN}:hello",
        "NONE",
        "BUFFERED",
    )
    assert "Cors" not in made and "LastModifiedTime" not in made  # Create's shape
    status, lines, body = send(server, "GET", "/url/hello/anything?name=url")
    assert (status, json.loads(body)) == (200, {"hello": "world"})
    assert header(lines, "content-type") == "application/json"

    with pytest.raises(client.exceptions.ResourceConflictException) as conflict:
        client.create_function_url_config(FunctionName="hello", AuthType="AWS_IAM")
    assert error_of(conflict) == (
        409,
        "ResourceConflictException",
        f"Failed to create function url config for [functionArn = {ARN}:hello]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function",
    )

    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["POST"], "MaxAge": 300}
    updated = client.update_function_url_config(FunctionName="hello", Cors=cors)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert updated["CreationTime"] == made["CreationTime"]
    assert updated["LastModifiedTime"] >= made["CreationTime"]
    assert updated["Cors"] == {**cors, "AllowCredentials": False}
    asked = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    status, lines, body = send(server, "OPTIONS", "/url/hello/", headers=asked)
    assert (status, body) == (200, b"")  # answered by the URL, not the function
    assert header(lines, "access-control-allow-origin") == "https://app.example"
    assert header(lines, "access-control-allow-methods") == "POST"
    assert header(lines, "access-control-max-age") == "300"
    got = client.get_function_url_config(FunctionName="hello")
    del got["ResponseMetadata"], updated["ResponseMetadata"]
    assert got == updated

    deleted = client.delete_function_url_config(FunctionName="hello")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert send(server, "GET", "/url/hello/")[::2] == (403, b'{"Message":null}')
    for gone in (
        client.get_function_url_config,
        client.delete_function_url_config,
        lambda **kw: client.update_function_url_config(AuthType="NONE", **kw),
    ):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
            gone(FunctionName="hello")
        assert error_of(missing) == (404, "ResourceNotFoundException", NO_SUCH_URL)
    assert client.list_function_url_configs(FunctionName="hello")["FunctionUrlConfigs"] == []


def test_url_config_errors_through_boto3(lambda_client: Any) -> None:
    client = lambda_client
    for given in ({"FunctionName": "nobody"}, {"FunctionName": "hello", "Qualifier": "live"}):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
            client.create_function_url_config(AuthType="NONE", **given)
        assert error_of(missing) == (404, "ResourceNotFoundException", "Function does not exist")
    with pytest.raises(client.exceptions.ClientError) as invalid:
        client.create_function_url_config(FunctionName="hello", AuthType="OPEN")
    assert error_of(invalid) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'OPEN' at 'authType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [NONE, AWS_IAM]",
    )
    with pytest.raises(client.exceptions.ClientError) as version:
        client.create_function_url_config(FunctionName="hello", Qualifier="1", AuthType="NONE")
    assert error_of(version)[:2] == (400, "ValidationException")
    assert "at 'qualifier' failed to satisfy constraint" in error_of(version)[2]
    with pytest.raises(client.exceptions.ClientError) as methods:
        client.create_function_url_config(
            FunctionName="hello", AuthType="NONE", Cors={"AllowMethods": ["TRACE"]}
        )
    assert error_of(methods)[:2] == (400, "ValidationException")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_url_config(FunctionName="hello")  # nothing was made


def test_a_created_function_and_its_alias_get_urls(server: Server, lambda_client: Any) -> None:
    client = lambda_client
    client.create_function(FunctionName="made", **create_request())
    client.get_waiter("function_active_v2").wait(FunctionName="made")
    made = client.create_function_url_config(FunctionName="made", AuthType="NONE")
    assert made["FunctionUrl"] == f"{server.url}/url/made/"
    status, _lines, body = send(server, "POST", "/url/made/orders?id=7", body=b'{"n": 1}',
                                headers={"Content-Type": "application/json"})
    assert status == 200
    answered = json.loads(body)
    assert answered["from"] == "api"
    assert (answered["event"]["rawPath"], answered["event"]["body"]) == ("/orders", '{"n": 1}')

    client.publish_version(FunctionName="made")
    client.create_alias(FunctionName="made", Name="live", FunctionVersion="1")
    live = client.create_function_url_config(
        FunctionName=f"{ARN}:made", Qualifier="live", AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )
    assert (live["FunctionUrl"], live["FunctionArn"]) == (
        f"{server.url}/url/made:live/",
        f"{ARN}:made:live",
    )
    assert send(server, "GET", "/url/made:live/")[0] == 200
    listed = client.list_function_url_configs(FunctionName="made")["FunctionUrlConfigs"]
    assert [(c["FunctionUrl"], c["InvokeMode"]) for c in listed] == [
        (f"{server.url}/url/made/", "BUFFERED"),
        (f"{server.url}/url/made:live/", "RESPONSE_STREAM"),
    ]
    listing = lambdactl(server.project_dir, "list")
    assert f"{server.url}/url/made/, {server.url}/url/made:live/" in listing
    shown = lambdactl(server.project_dir, "show", "made")
    assert f"URL {server.url}/url/made/ URL {server.url}/url/made:live/" in shown
    assert "run time" not in shown  # its own URLs, not overrides

    client.delete_function(FunctionName="made")
    assert send(server, "GET", "/url/made/")[0] == 403
    assert send(server, "GET", "/url/made:live/")[0] == 403


def test_a_manifest_edit_of_url_drops_what_the_api_changed(
    serve: Any, project_dir: Path, write_manifest: Any
) -> None:
    declared = "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n    url: {}\n"
    write_manifest(declared.format("true"))
    server = serve()
    client = server.client("lambda")
    client.update_function_url_config(FunctionName="hello", AuthType="AWS_IAM")
    assert send(server, "GET", "/url/hello/")[0] == 403  # unsigned, now that it is AWS_IAM
    shown = lambdactl(project_dir, "show", "hello")
    assert "(changed at run time; manifest: auth NONE, BUFFERED, no CORS)" in shown
    client.publish_version(FunctionName="hello")
    client.create_alias(FunctionName="hello", Name="live", FunctionVersion="1")
    client.create_function_url_config(FunctionName="hello", Qualifier="live", AuthType="NONE")
    assert "/url/hello:live/ (created at run time)" in lambdactl(project_dir, "show", "hello")
    client.delete_function_url_config(FunctionName="hello")
    assert send(server, "GET", "/url/hello/")[::2] == (403, b'{"Message":null}')
    assert "none (deleted at run time; manifest: /url/hello/)" in lambdactl(
        project_dir, "show", "hello"
    )
    server.stop()

    write_manifest(declared.format("{cors: {allow_origins: ['*']}}"))
    restarted = serve()
    config = restarted.client("lambda").get_function_url_config(FunctionName="hello")
    assert (config["AuthType"], config["Cors"]["AllowOrigins"]) == ("NONE", ["*"])
    listed = restarted.client("lambda").list_function_url_configs(FunctionName="hello")
    assert len(listed["FunctionUrlConfigs"]) == 1  # the alias's URL went too
    assert send(restarted, "GET", "/url/hello/")[0] == 200
    assert "run time" not in lambdactl(project_dir, "show", "hello")


STREAMING_MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  streamer:
    handler: index.web
    runtime: nodejs20.x
    code: src/node
    url: {invoke_mode: RESPONSE_STREAM}
  csv:
    handler: index.plain
    runtime: nodejs20.x
    code: src/node
    url: {invoke_mode: RESPONSE_STREAM}
  broken:
    handler: index.fails
    runtime: nodejs20.x
    code: src/node
    url: {invoke_mode: RESPONSE_STREAM}
  buffered:
    handler: index.web
    runtime: nodejs20.x
    code: src/node
    url: true
"""


def test_a_streamed_node_response_through_a_response_stream_url(tmp_path: Path) -> None:
    """`awslambda.streamifyResponse` + `HttpResponseStream.from`: the prelude becomes the
    status, headers and cookies; a plain Invoke returns the bytes as written, prelude too."""
    fixture = Path(__file__).parents[1] / "fixtures" / "node" / "streaming.mjs"
    (tmp_path / "src" / "node").mkdir(parents=True)
    (tmp_path / "src" / "node" / "index.mjs").write_text(fixture.read_text())
    (tmp_path / "functions.yaml").write_text(STREAMING_MANIFEST)
    server = start_server(tmp_path)
    try:
        status, lines, body = send(server, "GET", "/url/streamer/some/path")
        assert (status, body) == (201, b"first /some/path piped streamer"), body
        assert header(lines, "content-type") == "text/plain"
        assert header(lines, "x-streamed") == "yes"
        assert [v for k, v in lines if k == "set-cookie"] == ["a=1", "b=2; Path=/"]
        assert header(lines, "x-amzn-requestid")

        status, lines, body = send(server, "GET", "/url/csv/")
        assert (status, body, header(lines, "content-type")) == (200, b'a,b\n{"n":1}\n', "text/csv")

        status, _lines, body = send(server, "GET", "/url/broken/")
        assert (status, body) == (502, b"Internal Server Error")

        # A BUFFERED URL reads the same bytes as a payload 2.0 answer: not one.
        status, _lines, body = send(server, "GET", "/url/buffered/")
        assert (status, body) == (502, b"Internal Server Error")

        client = server.client()
        answer = client.invoke(FunctionName="streamer", Payload=b'{"rawPath": "/direct"}')
        assert "FunctionError" not in answer
        prelude, delimiter, rest = answer["Payload"].read().partition(b"\0" * 8)
        assert delimiter and rest == b"first /direct piped streamer"
        assert json.loads(prelude) == {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain", "X-Streamed": "yes"},
            "cookies": ["a=1", "b=2; Path=/"],
        }
    finally:
        server.stop()
