"""`lambdactl queue ...`, run in-process through the real entry point."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/"
NO_QUEUE = "error: QueueDoesNotExist: The specified queue does not exist.\n"
MESSAGE_KEYS = ["MessageId", "ReceiptHandle", "MD5OfBody", "Body", "Attributes"]
SYSTEM_ATTRIBUTES = [
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
]


def test_create_json_is_the_queue_url(cli) -> None:
    result = cli("queue", "create", "jobs", "-o", "json")
    assert (result.code, result.err) == (0, "")
    assert result.json() == {"QueueUrl": URL + "jobs"}
    assert result.out == '{\n    "QueueUrl": "' + URL + 'jobs"\n}\n'


def test_create_text_and_idempotence(cli) -> None:
    result = cli("queue", "create", "jobs", "--visibility-timeout", "60")
    assert (result.code, result.out) == (0, f"✓ queue jobs ({URL}jobs)\n")
    again = cli("queue", "create", "jobs", "--visibility-timeout", "60", "-o", "json")
    assert (again.code, again.json()) == (0, {"QueueUrl": URL + "jobs"})


def test_create_with_other_attributes_is_exit_4(cli) -> None:
    cli("queue", "create", "jobs", "--visibility-timeout", "60")
    result = cli("queue", "create", "jobs", "--visibility-timeout", "61")
    assert result.code == 4
    assert result.err == (
        "error: QueueNameExists: A queue already exists with the same name and a different "
        "value for attribute VisibilityTimeout\n"
    )
    assert result.out == ""


def test_create_again_without_options_is_not_an_error(cli) -> None:
    cli("queue", "create", "jobs", "--visibility-timeout", "60")
    result = cli("queue", "create", "jobs", "-o", "json")
    assert (result.code, result.err) == (0, "")
    assert result.json() == {"QueueUrl": URL + "jobs"}


def test_create_name_rules(cli) -> None:
    result = cli("queue", "create", "jobs", "--fifo")
    assert result.code == 2
    assert result.err == (
        "error: InvalidParameterValueException: The name of a FIFO queue can only include "
        "alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 "
        "to 80 in length.\n"
    )
    result = cli("queue", "create", "bad name")
    assert result.code == 2
    assert result.err == (
        "error: InvalidParameterValueException: Can only include alphanumeric characters, "
        "hyphens, or underscores. 1 to 80 in length\n"
    )
    result = cli("queue", "create", "jobs", "--visibility-timeout", "43201")
    assert result.code == 2
    assert result.err == (
        "error: InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout.\n"
    )


def test_list_json_is_queue_urls(cli, write_manifest) -> None:
    # SQS leaves QueueUrls out when there is no queue (boto/boto3#1813), so do we
    assert cli("queue", "list", "-o", "json").json() == {}
    write_manifest(
        """\
        region: us-east-1
        account: "123456789012"
        functions:
          hello:
            handler: app.handler
            code: src/hello
        queues:
          declared: {visibility_timeout: 5}
        """
    )
    cli("queue", "create", "made.fifo", "--fifo")
    cli("queue", "create", "alpha")
    result = cli("queue", "list", "-o", "json")
    assert result.code == 0
    assert result.json() == {"QueueUrls": [URL + "alpha", URL + "declared", URL + "made.fifo"]}


def test_list_text_shows_counts_and_urls(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the URLs whole, on one line
    cli("queue", "create", "jobs", "--delay", "0")
    cli("queue", "create", "orders.fifo", "--fifo", "--content-based-deduplication")
    for body in ("a", "b", "c"):
        cli("queue", "send", "jobs", body)
    cli("queue", "receive", "jobs")
    made = cli("queue", "create", "retried", "--dead-letter", "jobs", "--max-receive-count", "3")
    assert made.code == 0, made.err
    result = cli("queue", "list")
    assert result.code == 0
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[2:] if line.strip()}
    assert rows["jobs"] == ["jobs", "standard", "2", "1", "30", "s", "0", "s", "-", URL + "jobs"]
    assert rows["orders.fifo"] == [
        "orders.fifo", "FIFO", "0", "0", "30", "s", "0", "s", "-", URL + "orders.fifo"
    ]
    assert rows["retried"][-3:] == ["jobs", "(3)", URL + "retried"]


def test_send_json_with_attributes(cli) -> None:
    cli("queue", "create", "jobs")
    result = cli(
        "queue", "send", "jobs", "hello", "--attribute", "colour=red", "--attribute",
        "n=a=b", "-o", "json",
    )  # fmt: skip
    assert result.code == 0
    sent = result.json()
    assert list(sent) == ["MD5OfMessageBody", "MD5OfMessageAttributes", "MessageId"]
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    received = cli("queue", "receive", "jobs", "-o", "json").json()
    (message,) = received["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["MessageAttributes"] == {
        "colour": {"DataType": "String", "StringValue": "red"},
        "n": {"DataType": "String", "StringValue": "a=b"},  # split at the first '='
    }
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


def test_send_text(cli) -> None:
    cli("queue", "create", "jobs")
    result = cli("queue", "send", "jobs", "hello")
    assert result.code == 0
    assert result.out.startswith("✓ sent ") and result.out.endswith(" to jobs\n")


def test_send_bad_attribute_is_exit_2(cli) -> None:
    cli("queue", "create", "jobs")
    result = cli("queue", "send", "jobs", "x", "--attribute", "novalue")
    assert (result.code, result.err) == (2, "error: attribute 'novalue' is not NAME=VALUE\n")
    result = cli("queue", "send", "jobs", "x", "--attribute", "=v")
    assert (result.code, result.err) == (2, "error: attribute '=v' is not NAME=VALUE\n")


def test_send_body_from_a_file_and_from_stdin(cli, project_dir: Path, monkeypatch) -> None:
    cli("queue", "create", "jobs")
    (project_dir / "body.json").write_text('{"from": "file"}', encoding="utf-8")
    assert cli("queue", "send", "jobs", "--body-file", "body.json").code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("from stdin ✓"))
    assert cli("queue", "send", "jobs", "-").code == 0
    result = cli("queue", "receive", "jobs", "--max", "10", "-o", "json")
    assert [m["Body"] for m in result.json()["Messages"]] == ['{"from": "file"}', "from stdin ✓"]
    both = cli("queue", "send", "jobs", "x", "--body-file", "body.json")
    assert both.code == 2
    assert both.err == "error: give the body as an argument or with --body-file, not both\n"


def test_send_empty_body_is_missing_parameter(cli, project_dir: Path) -> None:
    cli("queue", "create", "jobs")
    result = cli("queue", "send", "jobs", "")
    assert result.code == 2
    assert result.err == (
        "error: MissingParameter: The request must contain the parameter MessageBody.\n"
    )


def test_receive_json_shape(cli) -> None:
    cli("queue", "create", "jobs")
    before = int(time.time() * 1000)
    cli("queue", "send", "jobs", "one")
    cli("queue", "send", "jobs", "two")
    result = cli("queue", "receive", "jobs", "--max", "10", "--wait", "0", "-o", "json")
    assert (result.code, result.err) == (0, "")
    received = result.json()
    assert list(received) == ["Messages"]
    first, second = received["Messages"]
    assert list(first) == MESSAGE_KEYS
    assert (first["Body"], second["Body"]) == ("one", "two")
    assert first["MD5OfBody"] == hashlib.md5(b"one").hexdigest()
    assert list(first["Attributes"]) == SYSTEM_ATTRIBUTES
    assert first["Attributes"]["SenderId"] == "123456789012"
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert before <= int(first["Attributes"]["SentTimestamp"]) <= time.time() * 1000
    assert first["ReceiptHandle"] != second["ReceiptHandle"]


def test_receive_when_empty(cli) -> None:
    cli("queue", "create", "jobs")
    result = cli("queue", "receive", "jobs", "-o", "json")
    assert (result.code, result.out, result.err) == (0, "{}\n", "")
    result = cli("queue", "receive", "jobs")
    assert (result.code, result.out) == (0, "no messages\n")


def test_receive_text(cli) -> None:
    cli("queue", "create", "jobs")
    cli("queue", "send", "jobs", "payload", "--attribute", "k=v")
    result = cli("queue", "receive", "jobs")
    assert result.code == 0
    assert "payload" in result.out
    assert "Receive count" in result.out
    assert '{"k": {"DataType": "String", "StringValue": "v"}}' in result.out


def test_receive_max_bounds_are_exit_2(cli) -> None:
    cli("queue", "create", "jobs")
    for bad in ("0", "11"):
        result = cli("queue", "receive", "jobs", "--max", bad)
        assert result.code == 2
        assert result.err == (
            f"error: InvalidParameterValueException: Value {bad} for parameter "
            "MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.\n"
        )


def test_receive_wait_returns_when_a_message_arrives(cli, project_dir: Path) -> None:
    cli("queue", "create", "jobs")

    def send_later() -> None:
        time.sleep(0.3)
        subprocess.run(
            [sys.executable, "-m", "lambdactl", "queue", "send", "jobs", "late"],
            cwd=project_dir,
            capture_output=True,
            check=True,
            timeout=60,
        )

    sender = threading.Thread(target=send_later)
    started = time.monotonic()
    sender.start()
    result = cli("queue", "receive", "jobs", "--wait", "5", "-o", "json")
    elapsed = time.monotonic() - started
    sender.join()
    assert result.code == 0, result.err
    assert [m["Body"] for m in result.json()["Messages"]] == ["late"]
    assert elapsed < 4


def test_receive_visibility_timeout_option(cli) -> None:
    cli("queue", "create", "jobs")
    cli("queue", "send", "jobs", "x")
    cli("queue", "receive", "jobs", "--visibility-timeout", "0")
    (message,) = cli("queue", "receive", "jobs", "-o", "json").json()["Messages"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "2"


def test_delete_message(cli) -> None:
    cli("queue", "create", "jobs")
    cli("queue", "send", "jobs", "x")
    (message,) = cli("queue", "receive", "jobs", "-o", "json").json()["Messages"]
    handle = message["ReceiptHandle"]
    result = cli("queue", "delete-message", "jobs", handle)
    assert (result.code, result.out) == (0, "✓ deleted\n")
    again = cli("queue", "delete-message", "jobs", handle)
    assert again.code == 2
    assert again.err == (
        f'error: ReceiptHandleIsInvalid: The input receipt handle "{handle}" is not a valid '
        "receipt handle.\n"
    )
    bogus = cli("queue", "delete-message", "jobs", "bogus")
    assert bogus.code == 2
    assert "ReceiptHandleIsInvalid" in bogus.err


def test_purge(cli) -> None:
    cli("queue", "create", "jobs")
    for body in ("a", "b"):
        cli("queue", "send", "jobs", body)
    result = cli("queue", "purge", "jobs")
    assert (result.code, result.out) == (0, "✓ purged 2 message(s) from jobs\n")
    assert cli("queue", "receive", "jobs", "-o", "json").out == "{}\n"


def test_delete_queue(cli) -> None:
    cli("queue", "create", "jobs")
    result = cli("queue", "delete", "jobs")
    assert (result.code, result.out) == (0, "✓ deleted queue jobs\n")
    # SQS leaves QueueUrls out when there is no queue (boto/boto3#1813), so do we
    assert cli("queue", "list", "-o", "json").json() == {}


@pytest.mark.parametrize(
    "args",
    [
        ("receive", "nope"),
        ("send", "nope", "x"),
        ("purge", "nope"),
        ("delete", "nope"),
        ("delete-message", "nope", "handle"),
    ],
)
def test_unknown_queue_is_exit_3(cli, args: tuple[str, ...]) -> None:
    result = cli("queue", *args)
    assert (result.code, result.out, result.err) == (3, "", NO_QUEUE)


def test_fifo_through_the_cli(cli) -> None:
    cli("queue", "create", "orders.fifo", "--fifo", "--content-based-deduplication")
    first = cli("queue", "send", "orders.fifo", "x", "--group-id", "g", "-o", "json").json()
    again = cli("queue", "send", "orders.fifo", "x", "--group-id", "g", "-o", "json").json()
    assert again["MessageId"] == first["MessageId"]
    assert "SequenceNumber" in first
    missing = cli("queue", "send", "orders.fifo", "y")
    assert missing.code == 2
    assert missing.err == (
        "error: MissingParameter: The request must contain the parameter MessageGroupId.\n"
    )
    (message,) = cli("queue", "receive", "orders.fifo", "--max", "10", "-o", "json").json()[
        "Messages"
    ]
    assert message["Attributes"]["MessageGroupId"] == "g"


def test_declared_queue_works_without_create(cli, write_manifest) -> None:
    write_manifest(
        """\
        account: "123456789012"
        functions:
          hello:
            handler: app.handler
            code: src/hello
        queues:
          jobs: {delay: 0}
        """
    )
    assert cli("queue", "send", "jobs", "declared").code == 0
    (message,) = cli("queue", "receive", "jobs", "-o", "json").json()["Messages"]
    assert message["Body"] == "declared"


def test_bad_queue_in_the_manifest_is_one_line_exit_2(cli, write_manifest) -> None:
    write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
        queues:
          jobs:
            visibility_timeout: 43201
        """
    )
    result = cli("queue", "list")
    assert result.code == 2
    assert result.err == (
        "error: functions.yaml:7: queues.jobs.visibility_timeout: 1 validation error detected: "
        "Value '43201' at 'VisibilityTimeout' failed to satisfy constraint: Member must have "
        "value less than or equal to 43200\n"
    )


def test_a_separate_process_sees_the_queue(cli, project_dir: Path) -> None:
    cli("queue", "create", "jobs")
    sent = cli("queue", "send", "jobs", "across", "-o", "json").json()
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "queue", "receive", "jobs", "--max", "10", "-o",
         "json"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (message,) = json.loads(done.stdout)["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    result = cli("queue", "delete-message", "jobs", message["ReceiptHandle"])
    assert result.code == 0


def test_create_with_a_dead_letter_queue(cli) -> None:
    cli("queue", "create", "dlq")
    assert cli("queue", "create", "src", "--dead-letter", "dlq").code == 0
    from lambdactl import queues
    from lambdactl.project import Project

    project = Project.open(Path("functions.yaml"))
    try:
        policy = queues.sqs_attributes(project, "src")["RedrivePolicy"]
    finally:
        project.close()
    assert json.loads(policy)["maxReceiveCount"] == 10  # the default
    lone = cli("queue", "create", "other", "--max-receive-count", "3")
    assert (lone.code, lone.err) == (2, "error: --max-receive-count needs --dead-letter QUEUE\n")
    missing = cli("queue", "create", "other", "--dead-letter", "nowhere")
    assert missing.code == 2
    assert missing.err.startswith("error: InvalidAttributeValue: Value {")
    assert missing.err.endswith("Reason: Dead letter target does not exist.\n")
