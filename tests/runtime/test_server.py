"""The Runtime API server, driven directly over HTTP (spec §8.1)."""

from __future__ import annotations

import base64
import http.client
import json
import queue
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from lambdactl.runtime import protocol
from lambdactl.runtime.protocol import Invocation, Posted
from lambdactl.runtime.server import RuntimeApiServer

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"
TRACE = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
INVALID_ID = {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}


class Api:
    def __init__(self) -> None:
        self.posts: queue.Queue[Posted] = queue.Queue()
        self.server = RuntimeApiServer(self.posts.put)
        self.host, port = self.server.address.split(":")
        self.port = int(port)
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._connections: list[http.client.HTTPConnection] = []

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        self._connections.append(conn)
        return conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = conn or self.connect()
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def next_later(self, conn: http.client.HTTPConnection | None = None):  # type: ignore[no-untyped-def]
        """Start `GET /next` in the background; returns its future."""
        return self._pool.submit(self.request, "GET", NEXT, None, None, conn)

    def take(self, kind: str, timeout: float = 5.0) -> Posted:
        """The next post of `kind` (skipping `ready`s unless asked for)."""
        deadline = time.monotonic() + timeout
        while True:
            post = self.posts.get(timeout=max(0.01, deadline - time.monotonic()))
            if post.kind == kind:
                return post
            assert post.kind == "ready", post

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self.server.close()
        self._pool.shutdown(wait=True)


@pytest.fixture
def api() -> Iterator[Api]:
    opened = Api()
    yield opened
    opened.close()


def _invocation(request_id: str = "req-1", **extra: object) -> Invocation:
    fields: dict[str, object] = {
        "request_id": request_id,
        "payload": b'{"k": "v"}',
        "deadline_ms": 1_700_000_003_000,
        "invoked_arn": ARN,
        "trace_id": TRACE,
    }
    fields.update(extra)
    return Invocation(**fields)  # type: ignore[arg-type]


def _deliver(api: Api, request_id: str = "req-1", **extra: object) -> http.client.HTTPConnection:
    """Hand over one invocation to a `GET /next`; returns the connection it used."""
    conn = api.connect()
    future = api.next_later(conn)
    api.take("ready")
    api.server.hand_over(_invocation(request_id, **extra))
    status, _headers, _body = future.result(timeout=5)
    assert status == 200
    return conn


def test_address_is_loopback(api: Api) -> None:
    assert api.host == "127.0.0.1"
    assert api.port > 0


def test_next_blocks_until_an_invocation_is_handed_over(api: Api) -> None:
    future = api.next_later()
    ready = api.posts.get(timeout=5)
    assert ready.kind == "ready"
    with pytest.raises(FutureTimeout):
        future.result(timeout=0.3)
    api.server.hand_over(_invocation())
    status, headers, body = future.result(timeout=5)
    assert status == 200
    assert body == b'{"k": "v"}'
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Deadline-Ms"] == "1700000003000"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == ARN
    assert headers["Lambda-Runtime-Trace-Id"] == TRACE
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    assert "Lambda-Runtime-Client-Context" not in headers
    assert "Lambda-Runtime-Cognito-Identity" not in headers


def test_next_carries_client_context_and_cognito_identity_when_set(api: Api) -> None:
    cognito = '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}'
    future = api.next_later()
    api.take("ready")
    api.server.hand_over(
        _invocation(client_context='{"custom":{"a":"b"}}', cognito_identity=cognito)
    )
    _status, headers, _body = future.result(timeout=5)
    assert headers["Lambda-Runtime-Client-Context"] == '{"custom":{"a":"b"}}'
    assert headers["Lambda-Runtime-Cognito-Identity"] == cognito


def test_response_is_accepted_once(api: Api) -> None:
    conn = _deliver(api)
    path = "/2018-06-01/runtime/invocation/req-1/response"
    status, _headers, body = api.request(
        "POST", path, b'{"ok": true}', {"Content-Type": "application/json"}, conn=conn
    )
    assert (status, json.loads(body)) == (202, {"status": "OK"})
    posted = api.take("response")
    assert (posted.request_id, posted.body, posted.content_type) == (
        "req-1",
        b'{"ok": true}',
        "application/json",
    )
    status, _headers, body = api.request("POST", path, b"{}", conn=conn)
    assert status == 400
    assert json.loads(body) == INVALID_ID
    assert list(json.loads(body)) == ["errorMessage", "errorType"]
    error_path = "/2018-06-01/runtime/invocation/req-1/error"
    status, _headers, body = api.request("POST", error_path, b"{}", conn=conn)
    assert (status, json.loads(body)) == (400, INVALID_ID)
    assert api.posts.empty()


def test_unknown_request_id_is_refused(api: Api) -> None:
    _deliver(api)
    for action in ("response", "error"):
        path = f"/2018-06-01/runtime/invocation/someone-else/{action}"
        status, _headers, body = api.request("POST", path, b"{}")
        assert (status, json.loads(body)) == (400, INVALID_ID)
    # nothing in flight at all
    api.request("POST", "/2018-06-01/runtime/invocation/req-1/response", b"1")
    api.take("response")
    status, _headers, body = api.request(
        "POST", "/2018-06-01/runtime/invocation/req-2/response", b"1"
    )
    assert (status, json.loads(body)) == (400, INVALID_ID)


def test_error_post_is_accepted(api: Api) -> None:
    conn = _deliver(api)
    body = b'{"errorMessage": "bad", "errorType": "ValueError"}'
    status, _headers, reply = api.request(
        "POST",
        "/2018-06-01/runtime/invocation/req-1/error",
        body,
        {"Lambda-Runtime-Function-Error-Type": "Function.Bad", "Content-Type": "application/json"},
        conn=conn,
    )
    assert (status, json.loads(reply)) == (202, {"status": "OK"})
    posted = api.take("error")
    assert (posted.request_id, posted.body, posted.error_type) == ("req-1", body, "Function.Bad")


def test_init_error_is_accepted(api: Api) -> None:
    body = b'{"errorMessage": "x", "errorType": "Runtime.ImportModuleError"}'
    status, _headers, reply = api.request(
        "POST",
        INIT_ERROR,
        body,
        {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"},
    )
    assert status == 202
    assert json.loads(reply) == {"status": "OK"}
    posted = api.take("init_error")
    assert (posted.body, posted.error_type) == (body, "Runtime.ImportModuleError")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/2018-06-01/runtime/nothing"),
        ("POST", NEXT),
        ("GET", "/2018-06-01/runtime/invocation/req-1/response"),
        ("POST", "/2018-06-01/runtime/invocation/req-1/other"),
        ("POST", "/2018-06-01/runtime/invocation//response"),
        ("GET", "/2020-01-01/extension/event/next"),
    ],
)
def test_unknown_path_is_404(api: Api, method: str, path: str) -> None:
    status, _headers, body = api.request(method, path, b"" if method == "POST" else None)
    assert status == 404
    assert set(json.loads(body)) == {"errorMessage", "errorType"}


def test_keep_alive_serves_several_requests_on_one_connection(api: Api) -> None:
    conn = api.connect()
    for request_id in ("a", "b", "c"):
        future = api.next_later(conn)
        api.take("ready")
        api.server.hand_over(_invocation(request_id))
        status, headers, _body = future.result(timeout=5)
        assert (status, headers["Lambda-Runtime-Aws-Request-Id"]) == (200, request_id)
        path = f"/2018-06-01/runtime/invocation/{request_id}/response"
        assert api.request("POST", path, request_id.encode(), conn=conn)[0] == 202
        assert api.take("response").body == request_id.encode()


def test_expect_100_continue_is_honoured(api: Api) -> None:
    _deliver(api)
    body = b'{"via": "100-continue"}'
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        head = (
            "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\n"
            f"Host: {api.server.address}\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n"
        )
        sock.sendall(head.encode())
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            chunk = sock.recv(1)
            assert chunk, "connection closed before 100 Continue"
            interim += chunk
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        final = b""
        while b"\r\n\r\n" not in final:
            final += sock.recv(4096)
        head_text, _, rest = final.partition(b"\r\n\r\n")
        assert head_text.startswith(b"HTTP/1.1 202 ")
        length = int(
            next(
                line.split(b":", 1)[1]
                for line in head_text.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
        )
        while len(rest) < length:
            rest += sock.recv(4096)
        assert json.loads(rest) == {"status": "OK"}
    assert api.take("response").body == body


def test_chunked_request_body_is_accepted(api: Api) -> None:
    conn = _deliver(api)
    conn.request(
        "POST",
        "/2018-06-01/runtime/invocation/req-1/response",
        body=iter([b'{"part": ', b'"one"', b", ", b'"more": 2}']),
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert (response.status, json.loads(response.read())) == (202, {"status": "OK"})
    assert api.take("response").body == b'{"part": "one", "more": 2}'


def _stream(api: Api, chunks: list[bytes], trailers: str = "") -> bytes:
    """A streaming-mode response, as AWS's Node client sends it: the reply's status line."""
    _deliver(api)
    head = (
        "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\n"
        f"Host: {api.server.address}\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n"
        "Transfer-Encoding: chunked\r\nContent-Type: text/csv\r\n"
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n"
    )
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(head.encode() + body + b"0\r\n" + trailers.encode() + b"\r\n")
        reply = b""
        while b"\r\n" not in reply:
            reply += sock.recv(4096)
    return reply.split(b"\r\n", 1)[0]


def test_a_streamed_response_keeps_its_content_type(api: Api) -> None:
    assert _stream(api, [b"a,b\n", b"\0" * 8, b"1,2\n"]).startswith(b"HTTP/1.1 202 ")
    posted = api.take("response")
    assert (posted.body, posted.content_type, posted.streamed) == (
        b"a,b\n" + b"\0" * 8 + b"1,2\n",
        "text/csv",
        True,
    )


def test_a_streamed_responses_error_trailers_make_it_an_error(api: Api) -> None:
    error = {"errorType": "TypeError", "errorMessage": "late", "trace": []}
    encoded = base64.b64encode(json.dumps(error).encode()).decode()
    trailers = (
        "Lambda-Runtime-Function-Error-Type: TypeError\r\n"
        f"Lambda-Runtime-Function-Error-Body: {encoded}\r\n"
    )
    assert _stream(api, [b"partial"], trailers).startswith(b"HTTP/1.1 202 ")
    posted = api.take("error")
    assert (posted.error_type, json.loads(posted.body), posted.streamed) == (
        "TypeError",
        error,
        False,
    )


def test_response_at_the_limit_is_accepted(api: Api) -> None:
    conn = _deliver(api)
    body = b"x" * protocol.MAX_RESPONSE_BYTES
    status, _headers, _reply = api.request(
        "POST", "/2018-06-01/runtime/invocation/req-1/response", body, conn=conn
    )
    assert status == 202
    assert len(api.take("response").body) == 6291556


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_response_over_the_limit_is_413(api: Api, chunked: bool) -> None:
    conn = _deliver(api)
    body = b"x" * (protocol.MAX_RESPONSE_BYTES + 1)
    path = "/2018-06-01/runtime/invocation/req-1/response"
    if chunked:
        pieces = [body[i : i + 1_000_000] for i in range(0, len(body), 1_000_000)]
        conn.request("POST", path, body=iter(pieces), encode_chunked=True)
        response = conn.getresponse()
        status, reply = response.status, response.read()
    else:
        status, _headers, reply = api.request("POST", path, body, conn=conn)
    assert status == 413
    assert json.loads(reply) == {
        "errorMessage": "Exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "RequestEntityTooLarge",
    }
    posted = api.take("too_large")
    assert posted.request_id == "req-1"
    # the connection is still usable, and the id is spent
    status, _headers, reply = api.request("POST", path, b"{}", conn=conn)
    assert (status, json.loads(reply)) == (400, INVALID_ID)


def test_forget_drops_a_pending_event_and_the_in_flight_id(api: Api) -> None:
    _deliver(api)
    api.server.hand_over(_invocation("stale"))
    api.server.forget()
    path = "/2018-06-01/runtime/invocation/req-1/response"
    status, _headers, reply = api.request("POST", path, b"{}")
    assert (status, json.loads(reply)) == (400, INVALID_ID)
    future = api.next_later()
    api.take("ready")
    with pytest.raises(FutureTimeout):
        future.result(timeout=0.2)  # "stale" was dropped
    api.server.hand_over(_invocation("fresh"))
    _status, headers, _body = future.result(timeout=5)
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "fresh"


def test_close_ends_a_blocked_next(api: Api) -> None:
    future = api.next_later()
    api.take("ready")
    api.server.close()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        future.result(timeout=5)
