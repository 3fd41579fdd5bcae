"""`lambdactl serve`'s process: the environments it runs point the SDKs at it (a function's
boto3 calls stay on this machine), and `--env-vars` overrides their declared variables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Server
from tests.runtime import fn, write_functions


@pytest.fixture
def calling(project_dir: Path) -> Path:
    """`caller` invokes another function through boto3; `hello` answers; `sender` sends to a
    queue; `env` shows its environment."""
    write_functions(
        project_dir,
        {
            "caller": fn("app.invoke_other", "calls_aws.py", timeout=30),
            "sender": fn("app.send_message", "calls_aws.py", timeout=30),
            "hello": fn("app.echo", environment={"GREETING": "Hello"}),
            "env": fn("app.environ", environment={"STAGE": "prod", "TABLE": "prod-table"}),
        },
    )
    return project_dir


def test_a_function_invoking_another_through_boto3_reaches_the_server(
    calling: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    event = {"function": "hello", "payload": {"from": "caller"}}
    response = server.client().invoke(FunctionName="caller", Payload=json.dumps(event))
    assert "FunctionError" not in response, response["Payload"].read()
    answer = json.loads(response["Payload"].read())
    assert answer == {"StatusCode": 200, "Payload": {"from": "caller"}, "endpoint": server.url}


def test_environments_get_the_endpoints_and_dummy_credentials(
    calling: Path, serve: Callable[..., Server]
) -> None:
    server = serve(env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    seen = json.loads(server.client().invoke(FunctionName="env")["Payload"].read())
    for name in ("LAMBDA", "SQS", "CLOUDWATCH_LOGS"):
        assert seen[f"AWS_ENDPOINT_URL_{name}"] == server.url
    assert seen["AWS_ACCESS_KEY_ID"] == seen["AWS_SECRET_ACCESS_KEY"] == "lambdactl"


def test_a_function_sending_to_a_queue_through_boto3_reaches_the_local_queue(
    calling: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    event = {"QueueUrl": queue_url, "body": "from a function"}
    response = server.client().invoke(FunctionName="sender", Payload=json.dumps(event))
    assert "FunctionError" not in response, response["Payload"].read()
    assert json.loads(response["Payload"].read())["endpoint"] == server.url
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in received] == ["from a function"]


def test_env_vars_override_declared_variables(
    calling: Path, serve: Callable[..., Server], tmp_path: Path
) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps({"Parameters": {"STAGE": "local", "GREETING": "Hi"}, "env": {"TABLE": "t"}})
    )
    server = serve("--env-vars", str(env_file))
    seen: dict[str, Any] = json.loads(server.client().invoke(FunctionName="env")["Payload"].read())
    assert (seen["STAGE"], seen["TABLE"]) == ("local", "t")
    assert "GREETING" not in seen  # in Parameters, but env does not declare it


def test_a_bad_env_vars_file_stops_serve_before_it_listens(calling: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    env_file = tmp_path / "env.json"
    env_file.write_text('{"env": {"AWS_REGION": "eu-west-1"}}')
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "--env-vars", str(env_file)],
        cwd=calling,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: {env_file}: env.AWS_REGION: AWS_REGION is reserved: Lambda sets it itself, "
        "a function cannot be given its own"
    )
    assert not (calling / ".lambda" / "endpoint.json").exists()
