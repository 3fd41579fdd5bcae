"""A real `lambdactl serve` subprocess on a free port of 127.0.0.1, and boto3 clients bound
to it (dummy credentials, the manifest's region)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

READY_SECONDS = 30.0


@dataclass
class Server:
    """A running `lambdactl serve`: its base URL and process."""

    url: str
    process: subprocess.Popen[str]
    project_dir: Path
    before_ready: str = ""
    """What it printed before its ready line (warnings)."""
    clients: list[Any] = field(default_factory=list)
    """Closed with the server: a pooled connection left to the garbage collector is a
    ResourceWarning in whichever later test it is collected."""

    def client(self, service: str = "lambda", **options: Any) -> Any:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, read_timeout=60, **options),
        )
        self.clients.append(client)
        return client

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> str:
        """Stop the server; what it printed after its ready line."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        out, _ = self.process.communicate(timeout=timeout)
        return out


def start_server(project_dir: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """Start `lambdactl serve --port 0 -o json` in `project_dir`; return once it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "-o", "json", *args],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    before = ""
    first = process.stdout.readline()
    while first.startswith("warning: "):
        before, first = before + first, process.stdout.readline()
    try:
        ready = json.loads(first)
    except ValueError:
        process.kill()
        rest = process.communicate()[0]
        raise AssertionError(f"serve did not start: {before}{first}{rest}") from None
    assert ready["Status"] == "ready", ready
    return Server(
        url=ready["Endpoint"], process=process, project_dir=project_dir, before_ready=before
    )


def post(server: Server, body: bytes, headers: dict[str, str]) -> tuple[int, Any, dict]:
    """A raw POST / : (status, headers, JSON body)."""
    host, _, port = server.url.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """The AWS CLI pointed at the server, with dummy credentials."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(
        ["aws", *args, "--endpoint-url", server.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def serve(project_dir: Path) -> Iterator[Callable[..., Server]]:
    """Start servers for the test's project (all stopped after the test)."""
    started: list[Server] = []

    def start(*args: str, directory: Path | None = None, **kw: Any) -> Server:
        server = start_server(directory or project_dir, *args, **kw)
        started.append(server)
        return server

    yield start
    for server in started:
        for client in server.clients:
            client.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate(timeout=30)


@pytest.fixture
def server(serve: Callable[..., Server]) -> Server:
    """One server for the test's project."""
    return serve()


@pytest.fixture
def lambda_client(server: Server) -> Any:
    return server.client("lambda")
