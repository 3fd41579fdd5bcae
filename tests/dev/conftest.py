"""A real `lambdactl dev -o json` subprocess on a free port of 127.0.0.1, read line by line,
and invoked over its Lambda API with plain HTTP."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.runtime import kill_leftovers

WAIT_SECONDS = 60.0
"""Only a safety net for a line that never comes: no test waits this long when it passes."""

HANDLER = """\
import os

VERSION = {version!r}


def handler(event, context):
    return {{"version": VERSION, "pid": os.getpid(), "greeting": os.environ.get("GREETING")}}
"""

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    environment: {{GREETING: {greeting}}}
  other:
    handler: app.handler
    code: src/other
"""


def write_handler(directory: Path, version: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(HANDLER.format(version=version))


@dataclass
class Dev:
    """A running `lambdactl dev`: its endpoint, its output lines as objects (non-JSON lines
    as {"Raw": line}), read on a thread; `expect` waits for the next line of a kind."""

    process: subprocess.Popen[str]
    project_dir: Path
    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    _lines: queue.Queue[dict[str, Any] | None] = field(default_factory=queue.Queue)
    pids: list[int] = field(default_factory=list)
    """Every pid a handler returned: none may outlive the process."""

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                value = json.loads(line)
            except ValueError:
                value = {"Raw": line.rstrip("\n")}
            self._lines.put(value if isinstance(value, dict) else {"Raw": line})
        self._lines.put(None)

    def expect(self, what: str, **fields: Any) -> dict[str, Any]:
        """The next line whose `Status` is `what` and whose fields have the given values (a
        `Text` by what it contains); the lines passed over stay in `seen`."""
        while True:
            try:
                line = self._lines.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                raise AssertionError(f"no {what} {fields} line; saw {self.seen}") from None
            if line is None:
                raise AssertionError(f"dev ended before a {what} {fields} line; saw {self.seen}")
            self.seen.append(line)
            assert "internal error" not in line.get("Text", ""), line
            if line.get("Status") == what and all(
                (value in line.get(key, "")) if key == "Text" else line.get(key) == value
                for key, value in fields.items()
            ):
                return line

    def lines(self, what: str, **fields: Any) -> list[dict[str, Any]]:
        """The lines seen so far of that kind."""
        return [
            line
            for line in self.seen
            if line.get("Status") == what and all(line.get(k) == v for k, v in fields.items())
        ]

    def request(self, method: str, path: str, body: bytes = b"{}") -> tuple[int, Any]:
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            connection.request(method, path, body=body)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def invoke(self, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Invoke over the Lambda API; the handler's answer (its pid kept)."""
        status, answer = self.request(
            "POST",
            f"/2015-03-31/functions/{name}/invocations",
            json.dumps(payload or {}).encode(),
        )
        assert status == 200, answer
        if isinstance(answer, dict) and isinstance(answer.get("pid"), int):
            self.pids.append(answer["pid"])
        return answer  # type: ignore[no-any-return]

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Stop it as a person would (Ctrl-C); its exit status, once every line is read."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout=WAIT_SECONDS)
        self.expect("stopped")
        return code


def leftovers(project_dir: Path) -> list[int]:
    """Processes whose command line names the project directory (its environments'
    runtimes, a pip installing into `.lambda/deps`), the dev process's own excepted."""
    found = []
    mark = str(project_dir).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if mark in command and ") Z" not in stat:
            found.append(int(entry.name))
    return found


@pytest.fixture
def dev(project_dir: Path) -> Iterator[Callable[..., Dev]]:
    """Start `lambdactl dev --no-ui --port 0 -o json ARGS` in the test's project; every one
    is stopped after the test, and whatever it left running killed."""
    started: list[Dev] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Dev:
        process = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "dev", "--no-ui", "--port", "0", "-o", "json",
             *args],
            cwd=project_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        running = Dev(process, project_dir)
        started.append(running)
        threading.Thread(target=running.read, daemon=True).start()
        running.url = running.expect("ready")["Endpoint"]
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=30)
        if running.process.stdout is not None:
            running.process.stdout.close()
        kill_leftovers(running.pids + leftovers(project_dir))
