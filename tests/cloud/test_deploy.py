"""`lambdactl deploy` against moto's server (127.0.0.1, started by the tests), through a small
HTTP proxy of our own that counts the write calls and can fail them (a 500 from the Nth on).

What moto's answers are checked with boto3 calls to it, never to the proxy."""

from __future__ import annotations

import base64
import http.client
import io
import json
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Endpoint

HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "server", "date")
READS = ("Get", "List", "Describe")
"""An operation whose name starts so reads; every other one writes."""


@dataclass
class Recorder:
    """What went through the proxy: every operation, and from which write on it fails."""

    operations: list[str] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)
    """The last request body of each operation."""
    invoked: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    """Each Invoke request (path, headers, body): the proxy answers them itself with
    `answer` (moto runs no function)."""
    answer: tuple[int, dict[str, str], bytes] = (200, {}, b"null")
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
        recorder.bodies[operation] = body
        if self.path.split("?")[0].endswith("/invocations"):
            recorder.invoked.append((self.path, dict(self.headers.items()), body))
            status, headers, payload = recorder.answer
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        failing = recorder.fail_from is not None and not operation.startswith(READS)
        if failing and len(recorder.writes) >= (recorder.fail_from or 0):
            self._fail(xml=not self.headers.get("X-Amz-Target") and b"Action=" in body)
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
            if key.lower() not in HOP_HEADERS:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fail(self, *, xml: bool) -> None:
        """A 500 in the protocol's own shape (XML for the query protocols, else JSON)."""
        if xml:
            payload = (
                b"<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceException</Code>"
                b"<Message>injected</Message></Error><RequestId>1</RequestId></ErrorResponse>"
            )
            kind = "text/xml"
        else:
            payload = json.dumps({"__type": "ServiceException", "message": "injected"}).encode()
            kind = "application/json"
        self.send_response(500)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

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
    listed = lam.list_versions_by_function(FunctionName="hello")["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1"]
    assert lam.get_alias(FunctionName="hello", Name="live")["FunctionVersion"] == "1"
    assert lam.get_function_concurrency(FunctionName="hello")["ReservedConcurrentExecutions"] == 5
    invoke_config = lam.get_function_event_invoke_config(FunctionName="hello")
    assert invoke_config["MaximumRetryAttempts"] == 1
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(":failures")
    assert lam.get_function_url_config(FunctionName="hello")["AuthType"] == "NONE"
    policy = json.loads(lam.get_policy(FunctionName="hello")["Policy"])
    assert sorted(s["Action"] for s in policy["Statement"]) == [
        "lambda:InvokeFunction",  # through the URL only (AWS's rule since October 2025)
        "lambda:InvokeFunctionUrl",
    ]
    mappings = lam.list_event_source_mappings(FunctionName="hello")["EventSourceMappings"]
    assert [(m["EventSourceArn"].rsplit(":", 1)[-1], m["BatchSize"]) for m in mappings] == [
        ("orders", 5)
    ]
    sqs = aws.client("sqs")
    orders = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=orders, AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "60"

    assert recorder.writes == FIRST_DEPLOY_WRITES
    recorder.operations.clear()
    again = deploy(cli, url)
    assert again.json()["UpToDate"] is True
    assert recorder.writes == []
    text = cli("deploy", "--endpoint-url", url)
    assert text.code == 0 and "up to date" in text.out
    assert recorder.writes == []


def state_file(project_dir: Path, url: str) -> dict[str, Any]:
    host = urllib.parse.urlsplit(url).netloc.replace(":", "_")
    return json.loads((project_dir / ".lambda" / "cloud" / f"{host}-us-east-1.json").read_text())


def test_a_code_change_publishes_a_new_remote_version_and_moves_the_alias(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "live", "-v", "1").code == 0
    steps(deploy(cli, url))
    lam = aws.client("lambda")
    first = lam.get_function(FunctionName="hello:1")["Configuration"]["CodeSha256"]

    (project_files / "src" / "hello" / "app.py").write_text(
        "def handler(event, context):\n    return 2\n"
    )
    assert cli("publish", "hello").code == 0
    assert cli("alias", "update", "hello", "live", "-v", "2", "--routing", "1=0.25").code == 0
    recorder.operations.clear()
    plan = steps(deploy(cli, url))
    assert plan["version:hello:2"] == "create"
    assert plan["alias:hello:live"] == "update"
    assert plan["code:hello"] == "unchanged"  # the version's publish brought $LATEST there
    assert plan["queue:orders"] == "unchanged"
    assert "CreateQueue" not in recorder.writes

    second = lam.get_function(FunctionName="hello:2")["Configuration"]["CodeSha256"]
    assert second != first
    assert lam.get_function(FunctionName="hello")["Configuration"]["CodeSha256"] == second
    alias = lam.get_alias(FunctionName="hello", Name="live")
    assert alias["FunctionVersion"] == "2"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.25}
    assert state_file(project_files, url)["functions"]["hello"]["versions"] == {"1": "1", "2": "2"}

    recorder.operations.clear()
    assert deploy(cli, url).json()["UpToDate"] is True
    assert recorder.writes == []


def test_an_unpublished_edit_updates_latest_only(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    steps(deploy(cli, url))
    (project_files / "src" / "hello" / "app.py").write_text("def handler(e, c):\n    return 3\n")
    text = (project_files / "functions.yaml").read_text().replace("memory: 256", "memory: 512")
    (project_files / "functions.yaml").write_text(text)
    recorder.operations.clear()
    plan = steps(deploy(cli, url))
    assert (plan["code:hello"], plan["config:hello"]) == ("update", "update")
    assert [op for op in recorder.writes if op.startswith("PUT")] == [
        "PUT /2015-03-31/functions/hello/code",
        "PUT /2015-03-31/functions/hello/configuration",
    ]
    lam = aws.client("lambda")
    assert lam.get_function(FunctionName="hello")["Configuration"]["MemorySize"] == 512
    versions = lam.list_versions_by_function(FunctionName="hello")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]


def test_a_deleted_function_is_reported_and_removed_only_with_prune(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    (project_files / "src" / "bye").mkdir()
    (project_files / "src" / "bye" / "app.py").write_text("def handler(e, c):\n    return 0\n")
    manifest = (project_files / "functions.yaml").read_text()
    bye = (
        "  bye:\n    handler: app.handler\n    code: src/bye\n"
        "    events: [{schedule: rate(5 minutes)}]\n"
    )
    (project_files / "functions.yaml").write_text(manifest.replace("queues:\n", bye + "queues:\n"))
    plan = steps(deploy(cli, url))
    assert plan["function:bye"] == "create"
    lam = aws.client("lambda")
    assert lam.get_function(FunctionName="bye")["Configuration"]["FunctionName"] == "bye"
    rules = aws.client("events").list_rules()["Rules"]
    assert [r["ScheduleExpression"] for r in rules] == ["rate(5 minutes)"]

    (project_files / "functions.yaml").write_text(manifest)
    recorder.operations.clear()
    kept = deploy(cli, url)
    plan = steps(kept)
    assert plan["function:bye"] == "skipped"
    reason = next(s["Reason"] for s in kept.json()["Steps"] if s["Resource"] == "function:bye")
    assert "--prune" in reason
    assert recorder.writes == []
    assert lam.get_function(FunctionName="bye")["Configuration"]["FunctionName"] == "bye"

    pruned = steps(deploy(cli, url, "--prune"))
    assert pruned["function:bye"] == "delete"
    assert pruned["role:bye"] == "delete"
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names == ["hello"]
    assert aws.client("events").list_rules()["Rules"] == []
    assert "bye" not in state_file(project_files, url)["functions"]


def test_dry_run_writes_nothing(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    result = deploy(cli, url, "--dry-run")
    plan = steps(result)
    assert plan["function:hello"] == "create" and result.json()["DryRun"] is True
    assert recorder.writes == []
    assert recorder.operations  # it looked (GetFunction)
    assert aws.client("lambda").list_functions()["Functions"] == []
    text = cli("deploy", "--endpoint-url", url, "--dry-run")
    assert text.code == 0
    assert "function:hello" in text.out and "dry run" in text.err
    assert recorder.writes == []


FIRST_DEPLOY_WRITES = [
    "CreateQueue",
    "CreateQueue",
    "CreateRole",
    "AttachRolePolicy",
    "PutRolePolicy",
    "POST /2015-03-31/functions",
    "POST /2015-03-31/functions/hello/versions",
    "PUT /2017-10-31/functions/hello/concurrency",
    "PUT /2019-09-25/functions/hello/event-invoke-config",
    "POST /2015-03-31/functions/hello/aliases",
    "POST /2021-10-31/functions/hello/url",
    "POST /2015-03-31/functions/hello/policy",
    "POST /2015-03-31/functions/hello/policy",
    "POST /2015-03-31/event-source-mappings",
]
"""The write calls of the first deploy of MANIFEST (one published version, one alias)."""


@pytest.mark.parametrize("fail_at", [1, 4, 6, 7, 10, 13, 14])
def test_a_failure_half_way_is_finished_by_the_next_deploy(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint, fail_at: int
) -> None:
    url, recorder = proxy
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "live", "-v", "1").code == 0
    recorder.fail_from = fail_at
    failed = deploy(cli, url)
    assert failed.code != 0
    assert failed.err.count("\n") == 1 and "ServiceException" in failed.err, failed.err
    assert failed.err.startswith("error: ") and ":" in failed.err[len("error: ") :]

    recorder.fail_from = None
    steps(deploy(cli, url))
    lam = aws.client("lambda")
    versions = lam.list_versions_by_function(FunctionName="hello")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert lam.get_alias(FunctionName="hello", Name="live")["FunctionVersion"] == "1"
    mappings = lam.list_event_source_mappings(FunctionName="hello")["EventSourceMappings"]
    assert len(mappings) == 1
    queues = aws.client("sqs").list_queues()["QueueUrls"]
    assert sorted(q.rsplit("/", 1)[-1] for q in queues) == ["failures", "orders"]
    recorder.operations.clear()
    assert deploy(cli, url).json()["UpToDate"] is True
    assert recorder.writes == []


def test_without_its_state_file_a_deploy_takes_over_what_aws_has(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "live", "-v", "1").code == 0
    steps(deploy(cli, url))
    for path in (project_files / ".lambda" / "cloud").glob("*.json"):
        path.unlink()
    plan = steps(deploy(cli, url))
    assert plan["function:hello"] == "update"  # taken over
    lam = aws.client("lambda")
    # its configuration is written again (nothing says what it was), so version 1 is
    # published again, as a new remote version, and the alias follows
    remote = state_file(project_files, url)["functions"]["hello"]["versions"]["1"]
    assert lam.get_alias(FunctionName="hello", Name="live")["FunctionVersion"] == remote
    assert len(lam.list_event_source_mappings(FunctionName="hello")["EventSourceMappings"]) == 1
    recorder.operations.clear()
    assert deploy(cli, url).json()["UpToDate"] is True
    assert recorder.writes == []


WIRED = """\
region: us-east-1
functions:
  reader:
    handler: app.handler
    code: src/hello
    runtime: python3.12
    layers: [layers/common]
    dead_letter: {queue: lost}
    events:
      - stream: clicks
        starting_position: TRIM_HORIZON
      - topic: news
streams:
  clicks: {shards: 2}
queues:
  lost: {}
"""


def test_layers_streams_topics_and_a_prefix(
    cli: Any, project_dir: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    (project_dir / "functions.yaml").write_text(WIRED)
    common = project_dir / "layers" / "common" / "python"
    common.mkdir(parents=True)
    (common / "shared.py").write_text("X = 1\n")
    plan = steps(deploy(cli, url, "--prefix", "dev-"))
    assert plan["stream:clicks"] == "create"
    lam = aws.client("lambda")
    config = lam.get_function(FunctionName="dev-reader")["Configuration"]
    layer = config["Layers"][0]["Arn"]
    assert ":layer:dev-common:" in layer
    # moto keeps no DeadLetterConfig: what was sent is checked
    created = json.loads(recorder.bodies["POST /2015-03-31/functions"])
    assert created["DeadLetterConfig"]["TargetArn"].endswith(":dev-lost")
    assert config["Role"].endswith(":role/dev-reader-role")
    iam = aws.client("iam")
    policy = iam.get_role_policy(RoleName="dev-reader-role", PolicyName="lambdactl-sources")
    actions = {a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"]}
    assert {"kinesis:GetRecords", "sqs:SendMessage"} <= actions
    summary = aws.client("kinesis").describe_stream_summary(StreamName="dev-clicks")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    mappings = lam.list_event_source_mappings(FunctionName="dev-reader")["EventSourceMappings"]
    assert [m["EventSourceArn"].rsplit("/", 1)[-1] for m in mappings] == ["dev-clicks"]
    sns = aws.client("sns")
    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    assert topic.endswith(":dev-news")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("lambda", config["FunctionArn"])
    ]

    recorder.operations.clear()
    again = deploy(cli, url, "--prefix", "dev-").json()
    assert again["UpToDate"] is True and again["StateFile"].endswith("-us-east-1+dev-.json")
    assert recorder.writes == []
    # another prefix is another copy, with a state of its own
    other = steps(deploy(cli, url, "--prefix", "qa-", "--dry-run"))
    assert other["function:reader"] == "create"

    (common / "shared.py").write_text("X = 2\n")
    plan = steps(deploy(cli, url, "--prefix", "dev-"))
    assert plan["config:reader"] == "update"
    newer = lam.get_function(FunctionName="dev-reader")["Configuration"]["Layers"][0]["Arn"]
    assert newer != layer and newer.rsplit(":", 1)[-1] == "2"


def test_versions_shows_the_remote_number_beside_the_local_one(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _recorder = proxy
    monkeypatch.setenv("COLUMNS", "160")
    assert cli("publish", "hello").code == 0
    before = cli("versions", "hello")
    assert "Remote" not in before.out
    steps(deploy(cli, url))
    state = project_files / ".lambda" / "cloud"
    path = next(state.glob("*.json"))
    data = json.loads(path.read_text())
    data["functions"]["hello"]["versions"] = {"1": "7"}  # as when AWS had versions before
    path.write_text(json.dumps(data))
    listed = cli("versions", "hello")
    assert listed.code == 0
    header, *rows = [line.split() for line in listed.out.splitlines() if line.strip()][1:]
    assert header[:2] == ["Version", "Remote"]
    assert [row[:2] for row in rows if row[0] == "1"] == [["1", "7"]]


TAIL = (
    "START RequestId: r-1 Version: 1\nhi\nEND RequestId: r-1\n"
    "REPORT RequestId: r-1\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 31 MB\t\n"
)


def test_invoke_remote_sends_the_local_request_and_shows_the_answer_as_a_local_one(
    cli: Any, project_files: Path, proxy: tuple[str, Recorder]
) -> None:
    url, recorder = proxy
    recorder.answer = (
        200,
        {
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": "1",
            "X-Amz-Log-Result": base64.b64encode(TAIL.encode()).decode(),
            "x-amzn-RequestId": "r-1",
        },
        b'{"hello": "cloud"}',
    )
    remote = ("--remote", "--endpoint-url", url, "--prefix", "dev-")
    shown = cli("invoke", "hello:live", "-p", '{"name": "x"}', *remote)
    assert shown.code == 0, shown
    assert shown.out == '{"hello": "cloud"}'
    assert "RequestId: r-1" in shown.err and "Duration: 1.50 ms" in shown.err
    path, headers, body = recorder.invoked[-1]
    assert path == "/2015-03-31/functions/dev-hello/invocations?Qualifier=live"
    assert headers["X-Amz-Invocation-Type"] == "RequestResponse"
    assert body == b'{"name": "x"}'

    as_json = cli("invoke", "hello", "--log-type", "Tail", "-o", "json", *remote).json()
    assert as_json == {
        "StatusCode": 200,
        "ExecutedVersion": "1",
        "LogResult": base64.b64encode(TAIL.encode()).decode(),
        "Payload": {"hello": "cloud"},
        "RequestId": "r-1",
    }
    local = cli("invoke", "hello", "--log-type", "Tail", "-o", "json").json()
    assert set(local) == set(as_json)  # the same shape as a local invoke's

    recorder.answer = (200, {"X-Amz-Function-Error": "Unhandled"}, b'{"errorMessage": "no"}')
    failed = cli("invoke", "hello", *remote)
    assert failed.code == 1 and failed.out == '{"errorMessage": "no"}'

    cli("invoke", "hello", "--async", "--client-context", '{"a": 1}', *remote)
    _path, headers, _body = recorder.invoked[-1]
    assert headers["X-Amz-Invocation-Type"] == "Event"
    assert json.loads(base64.b64decode(headers["X-Amz-Client-Context"])) == {"a": 1}

    refused = cli("invoke", "hello", "--remote", "--debug-port", "5678")
    assert refused.code == 2 and "--debug-port" in refused.err
    stray = cli("invoke", "hello", "--prefix", "dev-")
    assert stray.code == 2 and "--remote" in stray.err


NODE = """\
region: us-east-1
account: "123456789012"
functions:
  greeter:
    handler: lib/index.handler
    code: src/greeter
    runtime: nodejs24.x
    layers: [layers/shared]
"""


def test_a_node_function_is_created_with_its_runtime_and_production_node_modules(
    cli: Any, project_dir: Path, proxy: tuple[str, Recorder], aws: Endpoint
) -> None:
    url, recorder = proxy
    (project_dir / "functions.yaml").write_text(NODE)
    code = project_dir / "src" / "greeter"
    (code / "lib").mkdir(parents=True)
    (code / "lib" / "index.mjs").write_text(
        "import isNumber from 'is-number';\nexport const handler = async (e) => isNumber(e);\n"
    )
    (code / "package.json").write_text(
        json.dumps({"name": "greeter", "type": "module", "dependencies": {"is-number": "7.0.0"}})
    )
    shared = project_dir / "layers" / "shared" / "nodejs" / "node_modules" / "shared"
    shared.mkdir(parents=True)
    (shared / "index.js").write_text("module.exports = 1;\n")

    plan = steps(deploy(cli, url))
    assert plan["function:greeter"] == "create"
    created = json.loads(recorder.bodies["POST /2015-03-31/functions"])
    assert (created["Runtime"], created["Handler"]) == ("nodejs24.x", "lib/index.handler")
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(created["Code"]["ZipFile"]))) as zf:
        names = set(zf.namelist())
    assert {"lib/index.mjs", "package.json", "node_modules/is-number/index.js"} <= names
    assert not (code / "node_modules").exists()
    published = json.loads(recorder.bodies["POST /2018-10-31/layers/shared/versions"])
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(published["Content"]["ZipFile"]))) as zf:
        assert zf.namelist() == ["nodejs/node_modules/shared/index.js"]  # as the layer holds it

    config = aws.client("lambda").get_function(FunctionName="greeter")["Configuration"]
    assert (config["Runtime"], config["Handler"]) == ("nodejs24.x", "lib/index.handler")

    recorder.operations.clear()
    assert deploy(cli, url).json()["UpToDate"] is True  # the same zip: nothing sent again
    assert recorder.writes == []


def test_a_deprecated_node_runtime_is_refused_before_anything_is_written(
    cli: Any, project_dir: Path, proxy: tuple[str, Recorder]
) -> None:
    url, recorder = proxy
    (project_dir / "functions.yaml").write_text(NODE.replace("nodejs24.x", "nodejs18.x"))
    (project_dir / "src" / "greeter").mkdir(parents=True)
    refused = cli("deploy", "--endpoint-url", url)
    assert refused.code != 0
    assert (
        "The runtime parameter of nodejs18.x is no longer supported for creating or updating "
        "AWS Lambda functions. We recommend you use a supported runtime while creating or "
        "updating functions." in refused.err
    )
    assert "Traceback" not in refused.err
    assert recorder.writes == []
