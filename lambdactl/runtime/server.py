"""The only HTTP of the Runtime API: one small HTTP/1.1 server per execution environment.

Each environment gets its own loopback port (`AWS_LAMBDA_RUNTIME_API` is just `host:port`),
so every request on it belongs to that environment. A minimal hand-written HTTP/1.1 layer
(keep-alive, Content-Length and chunked bodies, `Expect: 100-continue`) keeps a warm invoke
at two loopback round trips; `TCP_NODELAY` avoids the 40 ms Nagle/delayed-ACK stall, and each
response leaves in a single write. Plain `_socket` sockets: the `socket` module's own layer
adds ~1.5 ms to every cold start and nothing this server uses.
"""

from __future__ import annotations

import _socket
import errno
import io
import json
import queue
import threading
import time
from collections.abc import Callable

from . import protocol
from .protocol import Invocation, Posted

_OK = json.dumps({"status": "OK"}).encode()
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
}
_MAX_HEAD = 64 * 1024


class RuntimeApiServer:
    """Serves `/next`, `/response`, `/error` and `/init/error` for one environment.

    `hand_over` gives the runtime its event: it answers the runtime's waiting `GET /next`
    itself, from the caller's thread (a warm invoke then wakes one thread fewer: the
    connection's thread keeps reading the runtime's next request meanwhile), or queues the
    event for the next `GET /next`. Everything the runtime posts arrives, in order, through
    the `on_post` callback.
    """

    def __init__(self, on_post: Callable[[Posted], None]) -> None:
        self._on_post = on_post
        self._events: queue.Queue[Invocation] = queue.Queue()
        self._lock = threading.Lock()
        self._current: str | None = None
        self._closed = False
        self._listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self._listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._connections: list[_socket.socket] = []
        self._waiting: list[_socket.socket] = []
        """Connections whose `GET /next` waits for an event (normally one)."""
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(
            target=self._accept, name=f"runtime-api-{self.address}", daemon=True
        ).start()

    def hand_over(self, invocation: Invocation) -> None:
        with self._lock:
            if not self._waiting:
                self._events.put(invocation)
                return
            conn = self._waiting.pop(0)
            self._current = invocation.request_id
        try:
            conn.sendall(_response(200, invocation.headers(), invocation.payload))
        except OSError:
            pass  # the runtime is gone: the environment learns it from the runtime's exit

    def forget(self) -> None:
        """Drop any event not yet taken, the in-flight id and the waiting `GET /next`s (their
        runtime is gone: after a reset)."""
        with self._lock:
            self._current = None
            self._waiting.clear()
        while True:
            try:
                self._events.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        self._closed = True
        for sock in [self._listener, *self._connections]:
            try:
                sock.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    # -- connection handling -------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                fd, _address = self._listener._accept()  # type: ignore[attr-defined]
            except OSError as exc:
                if self._closed or exc.errno not in (errno.EMFILE, errno.ENFILE):
                    return
                # Out of descriptors: the runtime's connection waits in the backlog. Say so
                # (an environment in its init gives up), and try again a little later.
                self._on_post(Posted("no_files", at=time.monotonic()))
                time.sleep(0.1)
                continue
            conn = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM, 0, fd)
            conn.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: _socket.socket) -> None:
        reader = io.BufferedReader(_Reader(conn))
        try:
            while not self._closed:
                request = _read_request(reader, conn)
                if request is None:
                    return
                method, path, headers, body = request
                answer = self._dispatch(conn, method, path, headers, body)
                if answer is None:  # a /next that `hand_over` answers
                    continue
                status, extra, payload = answer
                conn.sendall(_response(status, extra, payload))
                if headers.get("connection", "").lower() == "close":
                    return
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                if conn in self._waiting:
                    self._waiting.remove(conn)
            reader.close()
            conn.close()
            if conn in self._connections:
                self._connections.remove(conn)

    def _dispatch(
        self,
        conn: _socket.socket,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        kind, request_id = protocol.route(method, path.split("?", 1)[0])
        if kind == "next":
            return self._next(conn)
        if kind == "init_error":
            self._on_post(
                Posted(
                    "init_error",
                    body=body or b"",
                    error_type=headers.get("lambda-runtime-function-error-type"),
                    at=time.monotonic(),
                )
            )
            return 202, [], _OK
        if kind in ("response", "error"):
            with self._lock:
                valid = request_id == self._current
                if valid:
                    self._current = None
            if not valid:
                return 400, [], protocol.error_body("InvalidRequestID", "Invalid request ID")
            if body is None:  # over the limit: the invoke fails with ResponseSizeTooLarge
                self._on_post(Posted("too_large", request_id, at=time.monotonic()))
                message = (
                    f"Exceeded maximum allowed payload size ({protocol.MAX_RESPONSE_BYTES} bytes)."
                )
                return 413, [], protocol.error_body("RequestEntityTooLarge", message)
            streamed = (
                kind == "response"
                and headers.get(protocol.H_RESPONSE_MODE.lower(), "").lower() == "streaming"
            )
            error_type = headers.get("lambda-runtime-function-error-type")
            failed = protocol.streamed_error(headers) if streamed else None
            if failed is not None:  # the stream ended with its error in the trailers
                kind, streamed = "error", False
                error_type, body = failed
            self._on_post(
                Posted(
                    kind,
                    request_id,
                    body,
                    error_type=error_type,
                    content_type=headers.get("content-type"),
                    streamed=streamed,
                    at=time.monotonic(),
                )
            )
            return 202, [], _OK
        return 404, [], protocol.error_body("InvalidRequest", f"Unknown path {method} {path}")

    def _next(self, conn: _socket.socket) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The queued event, or None: `conn` then waits for `hand_over` to answer it."""
        self._on_post(Posted("ready", at=time.monotonic()))
        with self._lock:
            try:
                invocation = self._events.get_nowait()
            except queue.Empty:
                self._waiting.append(conn)
                return None
            self._current = invocation.request_id
        return 200, invocation.headers(), invocation.payload


class _Reader(io.RawIOBase):
    """What `socket.makefile("rb")` reads through, for a plain `_socket.socket`."""

    def __init__(self, sock: _socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)


def _read_request(
    reader,
    conn: _socket.socket,  # type: ignore[no-untyped-def]
) -> tuple[str, str, dict[str, str], bytes | None] | None:
    """Read one request; the body is None when it exceeds the response size limit."""
    line = reader.readline(_MAX_HEAD)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(_MAX_HEAD)
    if not line:
        return None
    method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = reader.readline(_MAX_HEAD)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(reader, headers)
    else:
        body = _read_exact(reader, int(headers.get("content-length") or 0))
    if len(body) > protocol.MAX_RESPONSE_BYTES:
        return method, path, headers, None
    return method, path, headers, body


def _read_exact(reader, length: int) -> bytes:  # type: ignore[no-untyped-def]
    data = reader.read(length) if length else b""
    if len(data) < length:
        raise ValueError("connection closed mid-body")
    return data


def _read_chunked(reader, headers: dict[str, str]) -> bytes:  # type: ignore[no-untyped-def]
    """The body; its trailers (a streamed response's error) join `headers`."""
    parts: list[bytes] = []
    while True:
        size = int(reader.readline(_MAX_HEAD).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (raw := reader.readline(_MAX_HEAD)) not in (b"\r\n", b"\n", b""):
                name, _, value = raw.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            return b"".join(parts)
        parts.append(_read_exact(reader, size))
        reader.readline(_MAX_HEAD)


def _response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    has_type = any(name.lower() == "content-type" for name, _ in headers)
    lines += [f"{name}: {value}" for name, value in headers]
    if not has_type:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
