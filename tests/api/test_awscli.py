"""The AWS CLI (`aws lambda ...`, a real subprocess, as users run it) against a real server.

Each `aws` start costs about half a second, so the commands are grouped into few tests.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from functools import cache
from pathlib import Path

from tests.api.conftest import Server

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"


@cache
def aws_command() -> list[str]:
    """`aws` on the PATH, else the awscli package of this interpreter (the test extra)."""
    found = shutil.which("aws")
    return [found] if found else [sys.executable, "-m", "awscli"]


@cache
def major_version() -> int:
    out = subprocess.run([*aws_command(), "--version"], capture_output=True, text=True)
    text = out.stdout + out.stderr  # v1 prints its version on stderr
    return int(text.split("aws-cli/")[1].split(".")[0])


def aws(
    server: Server, *args: str, cwd: Path, via_env: bool = False, service: str = "lambda"
) -> subprocess.CompletedProcess[str]:
    """Run `aws SERVICE ARGS --endpoint-url URL` with dummy credentials and no user config
    (`via_env`: the endpoint in AWS_ENDPOINT_URL_<SERVICE> instead of the option)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "PYTHONPATH"
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    command = [*aws_command(), service, *args]
    if via_env:
        variable = {"logs": "CLOUDWATCH_LOGS"}.get(service, service.upper())
        env[f"AWS_ENDPOINT_URL_{variable}"] = server.url
    else:
        command += ["--endpoint-url", server.url]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def raw_payload() -> list[str]:
    """AWS CLI v2 reads --payload as base64 unless told otherwise; v1 sends it as given."""
    return ["--cli-binary-format", "raw-in-base64-out"] if major_version() >= 2 else []


def test_aws_lambda_invoke(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = aws(
        server, "invoke", "--function-name", "hello", "--payload", '{"name": "cli"}',
        *raw_payload(), str(out), cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads(out.read_text()) == {"hello": "cli"}

    tail = aws(server, "invoke", "--function-name", "hello", "--log-type", "Tail", str(out),
               cwd=tmp_path)
    assert tail.returncode == 0, tail.stderr
    log = base64.b64decode(json.loads(tail.stdout)["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and "\nREPORT RequestId: " in log

    event = aws(server, "invoke", "--function-name", "hello", "--invocation-type", "Event",
                str(out), cwd=tmp_path)
    assert event.returncode == 0, event.stderr
    assert json.loads(event.stdout) == {"StatusCode": 202}

    missing = aws(server, "invoke", "--function-name", "missing", str(out), cwd=tmp_path)
    assert missing.returncode in (254, 255)  # v2 exits 254 for a service error, v1 255
    assert missing.stdout == ""
    assert missing.stderr.strip() == (
        "An error occurred (ResourceNotFoundException) when calling the Invoke operation: "
        f"Function not found: {ARN.replace('hello', 'missing')}"
    )


def test_aws_lambda_versions_and_aliases(server: Server, tmp_path: Path) -> None:
    def run(*args: str) -> dict:
        done = aws(server, *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    by_env = aws(server, "list-functions", cwd=tmp_path, via_env=True)
    assert by_env.returncode == 0, by_env.stderr
    assert [f["FunctionName"] for f in json.loads(by_env.stdout)["Functions"]] == ["hello"]
    latest = run("get-function-configuration", "--function-name", "hello")
    assert (latest["FunctionArn"], latest["Version"]) == (ARN, "$LATEST")

    published = run("publish-version", "--function-name", "hello", "--description", "one",
                    "--revision-id", latest["RevisionId"])
    assert (published["Version"], published["Description"]) == ("1", "one")
    alias = run("create-alias", "--function-name", "hello", "--name", "live",
                "--function-version", "1")
    assert alias["AliasArn"] == f"{ARN}:live"
    aliases = run("list-aliases", "--function-name", "hello")
    assert [a["Name"] for a in aliases["Aliases"]] == ["live"]
    versions = run("list-versions-by-function", "--function-name", "hello")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1"]
    through_alias = run("get-function-configuration", "--function-name", "hello",
                        "--qualifier", "live")
    assert (through_alias["Version"], through_alias["FunctionArn"]) == ("1", f"{ARN}:live")
    invoked = run("invoke", "--function-name", "hello", "--qualifier", "live",
                  str(tmp_path / "out.json"))
    assert invoked == {"StatusCode": 200, "ExecutedVersion": "1"}

    stale = aws(server, "update-alias", "--function-name", "hello", "--name", "live",
                "--revision-id", "stale", "--description", "x", cwd=tmp_path)
    assert stale.returncode in (254, 255)
    assert stale.stderr.strip().startswith(
        "An error occurred (PreconditionFailedException) when calling the UpdateAlias "
        "operation: The Revision Id provided does not match the latest Revision Id."
    )


def test_aws_lambda_create_function_url_config(server: Server, tmp_path: Path) -> None:
    done = aws(server, "create-function-url-config", "--function-name", "hello",
               "--auth-type", "NONE", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert (made["FunctionUrl"], made["FunctionArn"]) == (f"{server.url}/url/hello/", ARN)
    with urllib.request.urlopen(made["FunctionUrl"] + "?name=cli", timeout=60) as answered:
        assert (answered.status, json.loads(answered.read())) == (200, {"hello": "world"})


def test_aws_lambda_update_function_configuration_of_a_manifest_function(
    server: Server, tmp_path: Path
) -> None:
    """Every member the command takes is an override or refused with a 4xx that says why:
    never a 500 (a KeyError once), never dropped."""
    role = "arn:aws:iam::000000000000:role/other"
    done = aws(server, "update-function-configuration", "--function-name", "hello",
               "--role", role, "--tracing-config", "Mode=Active", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (json.loads(done.stdout)["Role"], json.loads(done.stdout)["TracingConfig"]) == (
        role, {"Mode": "Active"}
    )
    got = aws(server, "get-function-configuration", "--function-name", "hello", cwd=tmp_path)
    assert json.loads(got.stdout)["Role"] == role
    vpc = aws(server, "update-function-configuration", "--function-name", "hello",
              "--vpc-config", "SubnetIds=subnet-1,SecurityGroupIds=sg-1", cwd=tmp_path)
    assert vpc.returncode in (254, 255)
    assert vpc.stderr.strip() == (
        "An error occurred (InvalidParameterValueException) when calling the "
        "UpdateFunctionConfiguration operation: lambdactl does not model VPCs (a local "
        "function reaches whatever its machine reaches): leave VpcConfig out, or give it empty"
    )


def test_aws_logs_by_its_variable_and_aws_sqs_by_the_option(server: Server, tmp_path: Path) -> None:
    """What the README says of the AWS CLI: `aws logs` reads AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
    `aws sqs` is given --endpoint-url (v1 sets an SQS endpoint of its own over the variables)."""
    invoked = aws(server, "invoke", "--function-name", "hello", str(tmp_path / "o"), cwd=tmp_path)
    assert invoked.returncode == 0, invoked.stderr
    groups = aws(server, "describe-log-groups", cwd=tmp_path, via_env=True, service="logs")
    assert groups.returncode == 0, groups.stderr
    assert [g["logGroupName"] for g in json.loads(groups.stdout)["logGroups"]] == [
        "/aws/lambda/hello"
    ]
    created = aws(server, "create-queue", "--queue-name", "jobs", cwd=tmp_path, service="sqs")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["QueueUrl"] == f"{server.url}/123456789012/jobs"
