"""`lambdactl deploy` against moto's server (127.0.0.1, started by the tests), through a small
HTTP proxy of our own that counts the write calls and can fail them (a 500 from the Nth on).

What moto's answers are checked with boto3 calls to it, never to the proxy."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Endpoint

READS = ("Get", "List", "Describe")
"""An operation whose name starts so reads; every other one writes."""


@dataclass
class Recorder:
    """What went through the proxy: every operation, and from which write on it fails."""

    operations: list[str] = field(default_factory=list)
    fail_from: int | None = None
    """The write (1-based) from which every write is answered 500 (None: none)."""

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if not op.startswith(READS)]


def _operation(method: str, path: str, headers: Any, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:  # the JSON protocols: SQS, Kinesis, EventBridge
        return target.rsplit(".", 1)[-1]
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:  # the query protocols: IAM, SNS, STS
        return form["Action"][0]
    # Lambda's rest-json: GET reads
    return ("Get " if method == "GET" else f"{method} ") + urllib.parse.urlsplit(path).path


class _Proxy(BaseHTTPRequestHandler):
    upstream: tuple[str, int]
    recorder: Recorder

    def log_message(self, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        operation = _operation(self.command, self.path, self.headers, body)
        recorder = self.recorder
        recorder.operations.append(operation)
        failing = recorder.fail_from is not None and not operation.startswith(READS)
        if failing and len(recorder.writes) >= (recorder.fail_from or 0):
            payload = json.dumps({"__type": "ServiceException", "message": "injected"}).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


@pytest.fixture
def proxy(aws: Endpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Recorder]]:
    """A recording proxy in front of the (emptied) moto server: (its URL, its recorder)."""
    # AWS's managed policies (AWSLambdaBasicExecutionRole), which moto loads only when asked:
    # read when its IAM backend is made, after the reset of `aws`
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    upstream = urllib.parse.urlsplit(aws.url)
    recorder = Recorder()
    handler = type(
        "Handler",
        (_Proxy,),
        {"upstream": (upstream.hostname, upstream.port), "recorder": recorder},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    runtime: python3.12
    memory: 256
    timeout: 10
    environment: {GREETING: Hello}
    description: Greets
    reserved_concurrency: 5
    async:
      maximum_retry_attempts: 1
      on_failure: {queue: failures}
    url: true
    events:
      - queue: orders
        batch_size: 5
      - files: {path: inbox}
queues:
  orders: {visibility_timeout: 60}
  failures: {}
"""


@pytest.fixture
def project_files(project_dir: Path) -> Path:
    (project_dir / "functions.yaml").write_text(MANIFEST)
    (project_dir / "inbox").mkdir()
    return project_dir


def deploy(cli: Any, url: str, *args: str) -> Any:
    return cli("deploy", "--endpoint-url", url, "-o", "json", *args)


def steps(result: Any) -> dict[str, str]:
    assert result.code == 0, result
    return {s["Resource"]: s["Action"] for s in result.json()["Steps"]}


def test_first_deploy_creates_everything(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "live", "-v", "1").code == 0
    done = deploy(cli, url)
    plan = steps(done)
    assert plan["function:hello"] == "create"
    assert plan["version:hello:1"] == "create"
    assert plan["queue:orders"] == "create"
    assert plan["alias:hello:live"] == "create"
    skipped = [r for r, a in plan.items() if r.startswith("files:")]
    assert skipped and plan[skipped[0]] == "skipped"
    assert recorder.writes

    lam = aws.client("lambda")
    config = lam.get_function(FunctionName="hello")["Configuration"]
    assert (config["Runtime"], config["Handler"], config["MemorySize"], config["Timeout"]) == (
        "python3.12",
        "app.handler",
        256,
        10,
    )
    assert config["Environment"]["Variables"] == {"GREETING": "Hello"}
    assert config["Role"].endswith(":role/hello-role")
    role = aws.client("iam").list_attached_role_policies(RoleName="hello-role")
    assert [p["PolicyName"] for p in role["AttachedPolicies"]] == ["AWSLambdaBasicExecutionRole"]
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="hello")["Versions"]]
    assert versions == ["$LATEST", "1"]
    assert lam.get_alias(FunctionName="hello", Name="live")["FunctionVersion"] == "1"
    assert lam.get_function_concurrency(FunctionName="hello")["ReservedConcurrentExecutions"] == 5
    invoke_config = lam.get_function_event_invoke_config(FunctionName="hello")
    assert invoke_config["MaximumRetryAttempts"] == 1
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(":failures")
    assert lam.get_function_url_config(FunctionName="hello")["AuthType"] == "NONE"
    mappings = lam.list_event_source_mappings(FunctionName="hello")["EventSourceMappings"]
    assert [(m["EventSourceArn"].rsplit(":", 1)[-1], m["BatchSize"]) for m in mappings] == [
        ("orders", 5)
    ]
    sqs = aws.client("sqs")
    orders = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=orders, AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "60"

    recorder.operations.clear()
    again = deploy(cli, url)
    assert again.json()["UpToDate"] is True
    assert recorder.writes == []
    text = cli("deploy", "--endpoint-url", url)
    assert text.code == 0 and "up to date" in text.out
    assert recorder.writes == []
