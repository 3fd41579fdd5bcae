"""A minimal Debug Adapter Protocol client, enough to attach to debugpy as an editor does:
Content-Length framed JSON over a socket."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any


class Dap:
    """One editor session: `attach` (initialize, attach, breakpoints, configurationDone),
    `stopped`, `resume`, `disconnect`."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        self._seq = 0
        self.events: list[dict[str, Any]] = []
        """Every event seen so far, in order."""

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        """Send a request; its response (events read meanwhile are kept)."""
        seq = self._send(command, **arguments)
        return self._until(lambda m: m["type"] == "response" and m["request_seq"] == seq)

    def _send(self, command: str, **arguments: Any) -> int:
        self._seq += 1
        message = {"seq": self._seq, "type": "request", "command": command, "arguments": arguments}
        body = json.dumps(message).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self._seq

    def attach(self, breakpoints: dict[Path, list[int]]) -> None:
        """Attach, set `breakpoints` (file -> lines) and let the debuggee run."""
        self.request("initialize", adapterID="debugpy", clientID="tests", pathFormat="path")
        self._send("attach", justMyCode=True)  # answered only after configurationDone
        for path, lines in breakpoints.items():
            answer = self.request(
                "setBreakpoints",
                source={"path": str(path)},
                breakpoints=[{"line": line} for line in lines],
            )
            assert answer["success"], answer
        assert self.request("configurationDone")["success"]

    def stopped(self) -> dict[str, Any]:
        """The next `stopped` event's body (the debuggee is at a breakpoint)."""
        event = self._until(lambda m: m["type"] == "event" and m["event"] == "stopped")
        return dict(event["body"])

    def frame(self, thread: int) -> dict[str, Any]:
        """The top stack frame of a stopped `thread`."""
        trace = self.request("stackTrace", threadId=thread, levels=1)
        return dict(trace["body"]["stackFrames"][0])

    def resume(self, thread: int, *, last: bool = False) -> None:
        """Continue `thread`. debugpy answers only once the thread runs again, from its writer
        thread: with `last` (the debuggee's process ends as soon as the handler returns, as a
        one-shot `lambdactl invoke` does), the connection closing first is an answer too (on
        a loaded machine that writer thread may not get to write before the process is
        gone). The caller then checks what the debuggee did."""
        seq = self._send("continue", threadId=thread)
        try:
            answer = self._until(lambda m: m["type"] == "response" and m["request_seq"] == seq)
        except EOFError:
            if not last:
                raise
            return
        assert answer["success"], answer

    def disconnect(self) -> None:
        """Detach (the debuggee goes on), or just close if it has ended meanwhile."""
        try:
            self.request("disconnect")
        except (EOFError, OSError):
            pass  # the debuggee's environment is gone: so is its end of the session
        finally:
            self.sock.close()

    def _until(self, wanted: Any) -> dict[str, Any]:
        while True:
            message = self._read()
            if message["type"] == "event":
                self.events.append(message)
            if wanted(message):
                return message

    def _read(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self._buffer:
            self._receive()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        self._buffer = rest
        while len(self._buffer) < length:
            self._receive()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return dict(json.loads(body))

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the debug adapter closed the connection")
        self._buffer += chunk


def marked_line(path: Path, name: str) -> int:
    """The line of `path` marked `# breakpoint: NAME`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.endswith(f"# breakpoint: {name}"):
            return number
    raise LookupError(f"no line marked {name!r} in {path}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
