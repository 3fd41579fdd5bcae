"""SAM templates as the manifest, end to end through the CLI: the fixture projects of
tests/fixtures/sam/projects/ (a `sam init` hello world, an SQS consumer, a template with
functions that cannot run here) invoked, published, logged, served, their queues consumed by
the detached worker, with `--parameter-overrides` in both of SAM's forms."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdactl.events import daemon
from lambdactl.sam import options
from tests.api.conftest import start_server
from tests.events import wait_gone, worker_processes

PROJECTS = Path(__file__).parent.parent / "fixtures" / "sam" / "projects"


@pytest.fixture
def sam_project(project_dir: Path) -> Callable[[str], Path]:
    """`sam_project(name)`: the fixture project copied into the test's project directory
    (beside its functions.yaml, which is not the template's); its template.yaml."""

    def copy(name: str) -> Path:
        target = project_dir / name
        shutil.copytree(PROJECTS / name, target)
        return target / "template.yaml"

    return copy


def body(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.code == 0, result.err
    return json.loads(json.loads(result.out)["body"])


def test_the_hello_world_template_invokes_publishes_and_logs(cli, sam_project) -> None:  # type: ignore[no-untyped-def]
    path = str(sam_project("hello"))
    result = cli("-f", path, "invoke", "HelloWorldFunction", "-p", "{}")
    assert body(result) == {"message": "Hello world", "stage": "dev"}
    assert "warning" not in result.err

    published = cli("-f", path, "publish", "-o", "json")
    assert published.code == 0, published.err
    assert published.json()["Version"] == "1"
    alias = cli("-f", path, "alias", "show", "HelloWorldFunction", "live", "-o", "json")
    assert alias.code == 0, alias.err
    assert alias.json()["FunctionVersion"] == "1"
    through_alias = cli("-f", path, "invoke", "HelloWorldFunction:live", "-p", "{}", "-o", "json")
    assert through_alias.code == 0, through_alias.err
    assert through_alias.json()["ExecutedVersion"] == "1"

    logs = cli("-f", path, "logs", "HelloWorldFunction")
    assert logs.code == 0, logs.err
    assert "greeting with Hello" in logs.out


def test_publishing_again_points_the_alias_at_the_new_version(cli, sam_project) -> None:  # type: ignore[no-untyped-def]
    path = sam_project("hello")
    assert cli("-f", str(path), "publish").code == 0
    app = path.parent / "hello_world" / "app.py"
    app.write_text(app.read_text().replace("world", "there"))
    second = cli("-f", str(path), "publish", "HelloWorldFunction", "-o", "json")
    assert second.json()["Version"] == "2"
    alias = cli("-f", str(path), "alias", "show", "HelloWorldFunction", "live", "-o", "json")
    assert alias.json()["FunctionVersion"] == "2"
    result = cli("-f", str(path), "invoke", "HelloWorldFunction:live", "-p", "{}")
    assert body(result)["message"] == "Hello there"


def test_a_template_is_found_by_the_upward_search(
    cli, sam_project, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = sam_project("hello")
    (path.parent / "hello_world" / "deeper").mkdir()
    monkeypatch.chdir(path.parent / "hello_world" / "deeper")
    result = cli("validate", "-o", "json")
    assert result.code == 0, result.err
    assert result.json()["Manifest"] == str(path)
    assert result.json()["Functions"] == ["HelloWorldFunction"]
    (path.parent / "functions.yaml").write_text(
        "functions:\n  other:\n    handler: app.lambda_handler\n    code: hello_world\n"
    )
    assert cli("validate", "-o", "json").json()["Functions"] == ["other"]  # it wins


def test_parameter_overrides_in_both_forms_and_remembered(cli, sam_project) -> None:  # type: ignore[no-untyped-def]
    path = str(sam_project("hello"))
    short = cli(
        "-f",
        path,
        "--parameter-overrides",
        "Greeting=Hej Stage=prod",
        "invoke",
        "HelloWorldFunction",
        "-p",
        "{}",
    )
    assert body(short) == {"message": "Hej world", "stage": "prod"}
    long = cli(
        "-f",
        path,
        "--parameter-overrides",
        "ParameterKey=Greeting,ParameterValue=Hallo",
        "invoke",
        "HelloWorldFunction",
        "-p",
        "{}",
    )
    assert body(long) == {"message": "Hallo world", "stage": "dev"}
    again = cli("-f", path, "invoke", "HelloWorldFunction", "-p", "{}")
    assert body(again)["message"] == "Hallo world"  # remembered in .lambda/
    remembered = options.recall(Path(path).parent / ".lambda")
    assert remembered.parameter_overrides == {"Greeting": "Hallo"}
    refused = cli("-f", path, "--parameter-overrides", "Stage=qa", "validate")
    assert refused.code == 2
    assert "Stage" in refused.err and "AllowedValues" in refused.err, refused.err
    assert options.recall(Path(path).parent / ".lambda") == remembered  # not kept
    cleared = cli(
        "-f", path, "--parameter-overrides", "", "invoke", "HelloWorldFunction", "-p", "{}"
    )
    assert body(cleared)["message"] == "Hello world"


def test_region_and_account_options(cli, sam_project) -> None:  # type: ignore[no-untyped-def]
    path = str(sam_project("hello"))
    result = cli(
        "-f",
        path,
        "--region",
        "eu-west-1",
        "--account",
        "123456789012",
        "show",
        "HelloWorldFunction",
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    arn = result.json()["FunctionArn"]
    assert arn == "arn:aws:lambda:eu-west-1:123456789012:function:HelloWorldFunction"
    bad = cli("-f", path, "--region", "mars", "validate")
    assert (bad.code, bad.err) == (
        2,
        "error: --region: 'mars' is not an AWS region name (like us-east-1)\n",
    )


def test_template_options_for_a_functions_yaml_are_errors(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--parameter-overrides", "A=b", "validate")
    assert result.code == 2
    assert result.err.startswith(
        "error: --parameter-overrides is for a SAM template; functions.yaml has no parameters"
    )
    region = cli("--region", "eu-west-1", "validate")
    assert region.code == 2
    assert region.err.startswith("error: --region eu-west-1: functions.yaml declares us-east-1")
    assert cli("--region", "us-east-1", "validate").code == 0


def wait_for_file(path: Path, seconds: float = 30.0) -> str:
    deadline = time.monotonic() + seconds
    while not (path.is_file() and path.read_text()):
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.05)
    return path.read_text()


def test_an_sqs_consumer_and_an_async_invoke_run_by_the_detached_worker(
    cli, sam_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "1")
    path = sam_project("consumer")
    marker = tmp_path / "marker"
    marker.mkdir()
    overrides = f"MarkerDir={marker}"
    sent = cli(
        "-f",
        str(path),
        "--parameter-overrides",
        overrides,
        "queue",
        "send",
        "OrdersQueue",
        "order-1",
    )
    assert sent.code == 0, sent.err
    assert wait_for_file(marker / "orders.txt") == "order-1\n"

    queued = cli("-f", str(path), "invoke", "Notifier", "--async", "-p", '{"order": 1}')
    assert queued.code == 0, queued.err
    assert wait_for_file(marker / "notified.txt") == str(marker)  # the worker saw the override
    deadline = time.monotonic() + 30
    while True:  # the success record reaches the destination queue
        received = cli("-f", str(path), "queue", "receive", "receipts", "-o", "json")
        assert received.code == 0, received.err
        messages = received.json().get("Messages", [])
        if messages:
            break
        assert time.monotonic() < deadline, "no success record on receipts"
        time.sleep(0.1)
    record = json.loads(messages[0]["Body"])
    assert record["responsePayload"] == {"notified": 1}

    failing = cli("-f", str(path), "invoke", "Notifier", "--async", "-p", '{"order": 2, "fail": 1}')
    assert failing.code == 0, failing.err
    # OnFailure (SNS): the record is published to the topic, whose subscriber gets it
    assert wait_for_file(marker / "failures.txt") == "order 2 failed"
    pid = daemon.running_pid(path.parent / ".lambda")
    if pid is not None:
        wait_gone(pid, timeout=30)
    deadline = time.monotonic() + 10
    while worker_processes(path):
        assert time.monotonic() < deadline, worker_processes(path)
        time.sleep(0.05)


def test_functions_that_cannot_run_here_fail_alone(cli, sam_project) -> None:  # type: ignore[no-untyped-def]
    path = str(sam_project("mixed"))
    validated = cli("-f", path, "validate")
    assert validated.code == 0, validated.err
    warnings = [line for line in validated.err.splitlines() if line.startswith("warning: ")]
    assert any("Events.SignUp: event type Cognito is not run" in w for w in warnings)
    assert any("FromS3 cannot run here: its code is in S3" in w for w in warnings)
    assert any("runtime python3.8 is deprecated" in w for w in warnings)
    for line in warnings:  # each located: file (as the user knows it), line, property
        assert line.startswith("warning: mixed/template.yaml:"), line

    works = cli("-f", path, "invoke", "works", "-p", "{}", "-o", "json")
    assert works.code == 0, works.err
    assert works.json()["Payload"]["layer"] == "from the layer"
    by_logical_id = cli("-f", path, "invoke", "Works", "-p", "{}", "-o", "json")  # as sam's
    assert by_logical_id.json()["Payload"]["layer"] == "from the layer"

    for name, reason in (
        ("FromS3", "its code is in S3 (s3://my-artifacts/from-s3.zip), not in this project"),
        ("NodeFunction", "The runtime parameter of nodejs16.x is no longer supported"),
        ("Container", "a container image (PackageType Image) is not run here"),
        ("Imported", "its variable VPC_ID is !ImportValue SharedVpcId"),
        ("WithPowertools", "is not a layer of this template"),
    ):
        failed = cli("-f", path, "invoke", name, "-p", "{}")
        assert failed.code != 0, name
        assert failed.err.startswith("error: "), failed.err
        assert f"{name} cannot run here" in failed.err and reason in failed.err, failed.err
        assert "Traceback" not in failed.err
        queued = cli("-f", path, "invoke", name, "--async", "-p", "{}")
        assert queued.code != 0 and reason in queued.err, queued.err

    legacy = cli("-f", path, "invoke", "Legacy", "-p", "{}", "-o", "json")
    assert legacy.code == 0, legacy.err
    (warning,) = legacy.err.splitlines()
    assert warning.startswith("warning: runtime python3.8 is deprecated; running it with Python")
    assert legacy.json()["Payload"]["layer"] == "from the layer"

    inline = cli("-f", path, "invoke", "Inline", "-p", "{}", "-o", "json")
    assert inline.json()["Payload"] == {"inline": True}
    plain = cli("-f", path, "invoke", "Plain", "-p", '{"a": 1}', "-o", "json")
    assert plain.json()["Payload"] == {"plain": {"a": 1}}


def test_serve_on_a_template(cli, sam_project) -> None:  # type: ignore[no-untyped-def]
    path = sam_project("hello")
    server = start_server(path.parent)
    try:
        client = server.client()
        answer = client.invoke(FunctionName="HelloWorldFunction", Payload=b"{}")
        payload = json.loads(answer["Payload"].read())
        assert payload["statusCode"] == 200
        assert json.loads(payload["body"]) == {"message": "Hello world", "stage": "dev"}
        listed = client.list_functions()["Functions"]
        assert [f["FunctionName"] for f in listed] == ["HelloWorldFunction"]
        with urllib.request.urlopen(f"{server.url}/api/hello", timeout=60) as response:
            assert json.loads(response.read())["message"] == "Hello world"  # the Api event

        # New options: the server reads the template again with them, and the CLI hands
        # its invoke over only once it has.
        given = cli(
            "-f",
            str(path),
            "--parameter-overrides",
            "Greeting=Moi",
            "invoke",
            "HelloWorldFunction",
            "-p",
            "{}",
        )
        assert body(given)["message"] == "Moi world"
        deadline = time.monotonic() + 30
        while True:
            answer = client.invoke(FunctionName="HelloWorldFunction", Payload=b"{}")
            message = json.loads(json.loads(answer["Payload"].read())["body"])["message"]
            if message == "Moi world":
                break
            assert time.monotonic() < deadline, message
            time.sleep(0.1)
    finally:
        server.stop()
