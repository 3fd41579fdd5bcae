"""Malformed and hostile requests, sent over raw sockets to a real server: each gets a 4xx
(never a 500, never a hang), nothing is buffered without bound, and the server stays healthy
for the next caller."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Server

MB = 1024 * 1024


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def exchange(server: Server, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read one response: (status, lower-cased headers, body)."""
    with socket.create_connection(address(server), timeout=30) as sock:
        sock.sendall(data)
        return read_response(sock)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def post(path: str, body: bytes = b"", *, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def error_of(response: tuple[int, dict[str, str], bytes]) -> tuple[int, str, str]:
    status, headers, body = response
    data = json.loads(body)
    return status, headers["x-amzn-errortype"], data.get("message") or data.get("Message")


def healthy(server: Server) -> None:
    response = server.client().invoke(FunctionName="hello", Payload=b'{"name": "still"}')
    assert json.loads(response["Payload"].read()) == {"hello": "still"}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize(
    ("path", "error", "field"),
    [
        ("/2015-03-31/functions/..%2F..%2Fetc/invocations", "ValidationException", "'../../etc'"),
        ("/2015-03-31/functions/%2e%2e/invocations", "ValidationException", "'..'"),
        ("/2015-03-31/functions/hello%00/invocations", "ValidationException", "'hello\x00'"),
        ("/2015-03-31/functions/hello/invocations?Qualifier=bad!", "ValidationException",
         "'bad!' at 'qualifier'"),
        ("/2015-03-31/functions/hello/invocations?Qualifier=", "ValidationException",
         "at 'qualifier'"),
        ("/2015-03-31/functions/hello/aliases/li%00ve", "ValidationException", "at 'name'"),
        ("/2015-03-31/functions/nope%2Fx/versions", "ValidationException", "'nope/x'"),
        ("/2015-03-31/functions/hello/invocations/extra", "UnknownOperationException", "POST"),
        ("/nope", "UnknownOperationException", "no operation"),
    ],
)
def test_bad_names_and_paths_are_4xx_and_the_server_goes_on(
    server: Server, path: str, error: str, field: str
) -> None:
    method = "GET" if "/aliases/" in path else "POST"
    request = post(path) if method == "POST" else f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    status, kind, message = error_of(exchange(server, request))
    assert 400 <= status < 500
    assert (kind, field in message) == (error, True), message
    healthy(server)


def test_wrong_methods_and_unimplemented_operations_are_named(server: Server) -> None:
    request = b"DELETE /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: x\r\n\r\n"
    status, kind, message = error_of(exchange(server, request))
    assert (status, kind) == (400, "UnknownOperationException")
    assert message == (
        "no operation of Lambda, SQS or CloudWatch Logs is DELETE "
        "/2015-03-31/functions/hello/invocations"
    )
    request = b"GET /2015-03-31/functions/hello/policy HTTP/1.1\r\nHost: x\r\n\r\n"
    status, kind, message = error_of(exchange(server, request))
    assert message == "lambdactl does not implement the Lambda operation GetPolicy"


def test_missing_bodies_are_the_members_left_out(server: Server) -> None:
    status, headers, body = exchange(server, post("/2015-03-31/functions/hello/versions"))
    assert status == 201
    assert json.loads(body)["Version"] == "1"
    chunked = b"POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: x\r\n\r\n"
    status, headers, body = exchange(server, chunked)  # no length at all: an empty event
    assert (status, json.loads(body)) == (200, {"hello": "world"})


def test_http_1_0_without_host_and_garbage(server: Server) -> None:
    status, headers, body = exchange(server, b"GET /2015-03-31/functions HTTP/1.0\r\n\r\n")
    assert status == 200
    assert [f["FunctionName"] for f in json.loads(body)["Functions"]] == ["hello"]
    status, _, _ = exchange(server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")  # a TLS hello
    assert status == 400
    healthy(server)


def send_huge(server: Server, head: bytes, total: int, *, chunked: bool) -> tuple[int, str]:
    """Send `head` then `total` bytes of body (in chunked encoding if asked) while reading
    the response: the server must answer without waiting for (or keeping) all of it."""
    with socket.create_connection(address(server), timeout=60) as sock:
        sock.sendall(head)
        responses: list[Any] = []
        reader = threading.Thread(target=lambda: responses.append(read_response(sock)))
        reader.start()
        block, sent = b"x" * MB, 0
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
                sent += len(block)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may close after answering; the answer is what matters
        reader.join(60)
    status, headers, _ = responses[0]
    return status, headers.get("x-amzn-errortype", "")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc")
def test_a_100_mb_body_is_refused_without_being_buffered(server: Server) -> None:
    before = rss_kb(server.process.pid)
    total = 100 * MB
    invoke = "/2015-03-31/functions/hello/invocations"
    cases = [
        (b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total, False,
         (400, "UnknownOperationException")),
        (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (invoke.encode(), total),
         False, (413, "RequestEntityTooLargeException")),
        (b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % invoke.encode(),
         True, (413, "RequestEntityTooLargeException")),
        (b"POST /2015-03-31/functions/hello/aliases HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", True, (413, "RequestEntityTooLargeException")),
    ]
    for head, chunked, expected in cases:
        assert send_huge(server, head, total, chunked=chunked) == expected
    grown_mb = (rss_kb(server.process.pid) - before) / 1024
    assert grown_mb < 30, f"the server grew by {grown_mb:.0f} MB"
    healthy(server)


def test_half_sent_requests_do_not_hold_up_others(server: Server) -> None:
    """A client that sends part of a request and stops (headers, or a body shorter than its
    Content-Length) costs the server a socket, not a worker: others are served meanwhile."""
    stalled = []
    try:
        for i in range(20):
            sock = socket.create_connection(address(server), timeout=30)
            if i % 2:
                sock.sendall(b"POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHo")
            else:
                sock.sendall(
                    b"POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: x\r\n"
                    b'Content-Length: 100\r\n\r\n{"half'
                )
            stalled.append(sock)
        for _ in range(5):
            healthy(server)
    finally:
        for sock in stalled:
            sock.close()
    healthy(server)


def test_a_client_that_goes_away_mid_body_is_not_an_error(server: Server) -> None:
    """It announced 100 bytes, sent 5 and closed: nobody is left to answer, nothing failed,
    so serve says nothing (Lambda's API and the JSON protocols alike)."""
    heads = [
        b"POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\n",
        b"POST /2015-03-31/functions HTTP/1.1\r\n",
        b"POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n",
    ]
    for head in heads:
        with socket.create_connection(address(server), timeout=30) as sock:
            sock.sendall(head + b"Host: x\r\nContent-Length: 100\r\n\r\nhello")
    healthy(server)
    out = server.stop()
    assert "request failed" not in out and "Traceback" not in out, out


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/2018-10-31/layers", "ListLayers"),
        ("/2018-10-31/layers?find=LayerVersion&Arn=arn:aws:lambda:us-east-1:1:layer:x:1",
         "GetLayerVersionByArn"),
        ("/2019-09-30/functions/hello/provisioned-concurrency?Qualifier=1",
         "GetProvisionedConcurrencyConfig"),
        ("/2019-09-30/functions/hello/provisioned-concurrency?List=ALL",
         "ListProvisionedConcurrencyConfigs"),
        ("/2015-03-31/functions/hello/policy/", "GetPolicy"),
    ],
)
def test_operations_sharing_a_path_are_told_apart_by_their_fixed_query(
    server: Server, path: str, operation: str
) -> None:
    status, kind, message = error_of(exchange(server, get(path)))
    assert (status, kind) == (400, "UnknownOperationException")
    assert message == f"lambdactl does not implement the Lambda operation {operation}"


def test_every_lambda_route_answers_with_a_trailing_slash_too(server: Server) -> None:
    """As AWS's API reference writes some URIs and older SDKs send them: no redirect."""
    status, _, body = exchange(server, get("/2015-03-31/functions/"))
    assert status == 200
    assert [f["FunctionName"] for f in json.loads(body)["Functions"]] == ["hello"]
    status, _, body = exchange(server, get("/2015-03-31/functions/hello/configuration/"))
    assert (status, json.loads(body)["FunctionName"]) == (200, "hello")
    status, _, body = exchange(server, post("/2014-11-13/functions/hello/invoke-async/", b"{}"))
    assert (status, json.loads(body)) == (202, {"Status": 202})
    status, _, body = exchange(server, post("/2015-03-31/functions/hello/invocations/", b"{}"))
    assert (status, json.loads(body)) == (200, {"hello": "world"})
