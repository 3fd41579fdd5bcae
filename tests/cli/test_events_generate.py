"""`lambdactl events generate TYPE`: the event printed from flags and the manifest's region
and account, piped into `lambdactl invoke F --event -` (real processes, a handler reading
the event's fields), and its one-line errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

READER = """\
import base64, gzip, hashlib, json

def handler(event, context):
    if "awslogs" in event:
        data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
        return {"owner": data["owner"], "messages": [e["message"] for e in data["logEvents"]]}
    if event.get("version") == "2.0":
        return {"method": event["requestContext"]["http"]["method"], "body": event["body"]}
    record = event["Records"][0]
    if record.get("eventSource") == "aws:sqs":
        digest = hashlib.md5(record["body"].encode()).hexdigest()
        return {"body": record["body"], "md5": digest == record["md5OfBody"],
                "queue": record["eventSourceARN"]}
    obj = record["s3"]["object"]
    return {"key": obj["key"], "size": obj["size"], "etag": obj["eTag"]}
"""


@pytest.fixture
def reader(project_dir: Path) -> Path:
    (project_dir / "src" / "reader").mkdir()
    (project_dir / "src" / "reader" / "app.py").write_text(READER)
    with (project_dir / "functions.yaml").open("a") as manifest:
        manifest.write("  reader:\n    handler: app.handler\n    code: src/reader\n")
    return project_dir


def _piped(project_dir: Path, generate: list[str]) -> subprocess.CompletedProcess[str]:
    """`lambdactl events generate ... | lambdactl invoke reader --event -`, two processes."""
    lambdactl = [sys.executable, "-m", "lambdactl"]
    producer = subprocess.Popen(
        [*lambdactl, "events", "generate", *generate], cwd=project_dir, stdout=subprocess.PIPE
    )
    try:
        return subprocess.run(
            [*lambdactl, "invoke", "reader", "--event", "-"],
            cwd=project_dir,
            stdin=producer.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        assert producer.stdout is not None
        producer.stdout.close()
        assert producer.wait(timeout=30) == 0


def test_an_sqs_event_piped_into_invoke(reader: Path) -> None:
    done = _piped(reader, ["sqs", "--body", "hi", "--queue", "jobs"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "body": "hi",
        "md5": True,
        "queue": "arn:aws:sqs:us-east-1:123456789012:jobs",
    }


def test_an_s3_event_of_a_real_file_piped_into_invoke(reader: Path) -> None:
    (reader / "upload.bin").write_bytes(b"\x00" * 10 + b"data")
    done = _piped(reader, ["s3-put", "--bucket", "b", "--file", "upload.bin"])
    assert done.returncode == 0, done.stderr
    expected = hashlib.md5(b"\x00" * 10 + b"data").hexdigest()
    assert json.loads(done.stdout) == {"key": "upload.bin", "size": 14, "etag": expected}


def test_a_cloudwatch_logs_event_piped_into_invoke(reader: Path) -> None:
    done = _piped(reader, ["cloudwatch-logs", "--message", "one", "--message", "two"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"owner": "123456789012", "messages": ["one", "two"]}


def test_a_function_url_event_piped_into_invoke(reader: Path) -> None:
    done = _piped(reader, ["function-url", "--method", "post", "--body", '{"a": 1}'])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"method": "POST", "body": '{"a": 1}'}


def test_the_text_and_json_outputs_are_the_event(cli) -> None:  # type: ignore[no-untyped-def]
    for extra in ([], ["-o", "json"]):
        done = cli("events", "generate", "sqs", "--body", "x", *extra)
        assert done.code == 0, done.err
        assert done.json()["Records"][0]["body"] == "x"
        assert done.out.startswith('{\n    "Records"')


def test_outside_a_project_aws_like_defaults(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    done = cli("events", "generate", "schedule")
    assert done.code == 0, done.err
    assert (done.json()["region"], done.json()["account"]) == ("us-east-1", "000000000000")
    missing = cli("--manifest", str(tmp_path / "none.yaml"), "events", "generate", "schedule")
    assert missing.code == 2
    assert missing.err.startswith("error: manifest not found")


def test_the_manifest_region_and_account(cli, write_manifest) -> None:  # type: ignore[no-untyped-def]
    write_manifest(
        """\
        region: eu-central-1
        account: "210987654321"
        functions:
          hello: {handler: app.handler, code: src/hello}
        """
    )
    done = cli("events", "generate", "sns", "--topic", "t")
    assert done.code == 0, done.err
    topic = done.json()["Records"][0]["Sns"]["TopicArn"]
    assert topic == "arn:aws:sns:eu-central-1:210987654321:t"


TYPES = (
    "s3-put, s3-delete, sqs, sns, kinesis, dynamodb, schedule, apigw-rest, apigw-http, "
    "function-url, alb, cloudwatch-logs"
)


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["nope"], f"error: unknown event type 'nope': one of {TYPES}"),
        (["sqs", "--bogus", "1"], "error: events generate: No such option: --bogus"),
        (["s3-put", "--size", "big"], "error: events generate: Invalid value for '--size'"),
        ([], "error: events generate: Missing argument 'TYPE'."),
        (["sqs", "--table", "t"], "error: --table does not apply to sqs events"),
    ],
)
def test_errors_are_one_line(cli, argv: list[str], first_line: str) -> None:  # type: ignore[no-untyped-def]
    done = cli("events", "generate", *argv)
    assert done.code == 2
    assert done.out == ""
    lines = done.err.splitlines()
    assert lines[0].startswith(first_line), done.err
    assert all(line.startswith("hint:") for line in lines[1:])
    if "does not apply" not in first_line:
        assert TYPES in lines[0]


def test_help_lists_each_type_flags(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("events", "generate", "--help")
    assert done.code == 0
    for flag in ("--bucket", "--queue", "--partition-key", "--event-name", "--log-group"):
        assert flag in done.out
