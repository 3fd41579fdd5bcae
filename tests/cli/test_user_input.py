"""What a user can type that lambdactl cannot take as given: AWS's error for it (or a usage
error for lambdactl's own options), never an internal error (exit 70).

Mostly command-line text that is not UTF-8: Python hands over such argv bytes as lone
surrogates (`\\xff` -> `\\udcff`); in-process tests pass such strings, and one runs real bytes
through a child process. Then numbers too large for the store, and odd option values.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

FF = b"\xff".decode("utf-8", "surrogateescape")
"""Byte 0xFF on a command line, as Python gives it."""

SOURCE = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"
NO_QUEUE = "QueueDoesNotExist: The specified queue does not exist."
ALLOWED = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"


def error_of(result) -> str:  # type: ignore[no-untyped-def]
    """The failed command's error, hint lines left out (AWS's message may span lines)."""
    assert "Traceback" not in result.err
    assert result.err.count("error:") == 1, result.err
    return "\n".join(line for line in result.err.splitlines() if not line.startswith("hint:"))


@pytest.fixture
def used(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "live", "--version", "1").code == 0
    assert cli("queue", "create", "q").code == 0
    assert cli("queue", "create", "q.fifo", "--fifo").code == 0


# -- Invoke: InvalidRequestContentException, as for an event file with the same bytes -------


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (
            '{"s":"' + FF + '"}',
            "Invalid UTF-8 start byte 0xff\n at [Source: {}; line: 1, column: 7]",
        ),
        (
            '{"s":\n "' + b"\xc3(".decode("utf-8", "surrogateescape") + '"}',
            "Invalid UTF-8 middle byte 0x28\n at [Source: {}; line: 2, column: 4]",
        ),
    ],
    ids=["start byte", "middle byte"],
)
@pytest.mark.parametrize("mode", ["sync", "async", "event file"])
def test_an_invoke_payload_that_is_not_utf8_gets_aws_error(  # type: ignore[no-untyped-def]
    cli, used, tmp_path: Path, given: str, problem: str, mode: str
) -> None:
    if mode == "event file":
        event = tmp_path / "event.json"
        event.write_bytes(given.encode("utf-8", "surrogateescape"))
        result = cli("invoke", "hello", "--event", str(event))
    else:
        result = cli(
            "invoke", "hello", "--payload", given, *(["--async"] if mode == "async" else [])
        )
    assert result.code == 2
    assert error_of(result) == (
        "error: InvalidRequestContentException: Could not parse request body into json: "
        "Could not parse payload into json: " + problem.format(SOURCE)
    )
    assert cli("events", "list", "-o", "json").json() == {"Events": []}  # nothing queued


def test_client_context_that_is_not_utf8(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "hello", "--client-context", '{"custom": "' + FF + '"}')
    assert result.code == 2
    assert error_of(result) == (
        "error: InvalidRequestContentException: Client context must be a valid Base64-encoded "
        "JSON object."
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("publish", "hello", "--description", "d" + FF),
        ("alias", "create", "hello", "beta", "--version", "1", "--description", "d" + FF),
        ("alias", "update", "hello", "live", "--description", "d" + FF),
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_description_that_is_not_utf8(cli, used, argv: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*argv)
    assert result.code == 2
    assert error_of(result) == (
        "error: InvalidRequestContentException: Could not parse request body into json: "
        "Invalid UTF-8 start byte 0xff"
    )


# -- SQS: InvalidMessageContents and its neighbours ------------------------------------------


def test_a_message_body_that_is_not_utf8(cli, used) -> None:  # type: ignore[no-untyped-def]
    result = cli("queue", "send", "q", "x" + FF)
    assert result.code == 2
    assert error_of(result) == (
        "error: InvalidMessageContents: Invalid binary character '#xFF' was found in the "
        f"message body, the set of allowed characters is {ALLOWED}."
    )
    assert cli("queue", "list", "-o", "json").code == 0
    assert cli("queue", "receive", "q", "-o", "json").json() == {}  # nothing was sent


def test_a_control_character_in_a_message_body_is_refused_as_by_sqs(cli, used) -> None:  # type: ignore[no-untyped-def]
    result = cli("queue", "send", "q", "escape \x1b[0m")
    assert result.code == 2
    assert "Invalid binary character '#x1B' was found in the message body" in error_of(result)


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_body_from_a_file_or_stdin_that_is_not_utf8(  # type: ignore[no-untyped-def]
    cli, used, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    data = b"caf\xe9"  # Latin-1
    if source == "file":
        (tmp_path / "body").write_bytes(data)
        result = cli("queue", "send", "q", "--body-file", str(tmp_path / "body"))
    else:

        class Stdin:
            buffer = io.BytesIO(data)

        monkeypatch.setattr(sys, "stdin", Stdin())
        result = cli("queue", "send", "q", "-")
    assert result.code == 2
    assert "InvalidMessageContents: Invalid binary character '#xE9'" in error_of(result)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--attribute", "k=" + FF),
            "InvalidMessageContents: Invalid binary character '#xFF' was found in the value of "
            f"message attribute k, the set of allowed characters is {ALLOWED}.",
        ),
        (
            ("--attribute", "k" + FF + "=v"),
            "InvalidParameterValueException: Invalid non-alphanumeric character '#xFF' was found "
            "in the message attribute name. Can only include alphanumeric characters, hyphens, "
            "underscores, or dots.",
        ),
        (
            ("--group-id", "g" + FF),
            "InvalidParameterValueException: Value g\\udcff for parameter MessageGroupId is "
            "invalid. Reason: MessageGroupId can only include alphanumeric and punctuation "
            "characters. 1 to 128 in length.",
        ),
    ],
    ids=["attribute value", "attribute name", "group id"],
)
def test_message_parameters_that_are_not_utf8(  # type: ignore[no-untyped-def]
    cli, used, argv: tuple[str, ...], message: str
) -> None:
    result = cli("queue", "send", "q", "body", *argv)
    assert result.code == 2
    assert error_of(result) == f"error: {message}"


def test_a_fifo_deduplication_id_that_is_not_utf8(cli, used) -> None:  # type: ignore[no-untyped-def]
    result = cli("queue", "send", "q.fifo", "b", "--group-id", "g", "--deduplication-id", FF)
    assert result.code == 2
    assert "Value \\udcff for parameter MessageDeduplicationId is invalid." in error_of(result)


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ("queue", "send", "q" + FF, "x"),
            3,
            "QueueDoesNotExist: The specified queue does not exist.",
        ),
        (
            ("queue", "receive", "q" + FF),
            3,
            "QueueDoesNotExist: The specified queue does not exist.",
        ),
        (("queue", "purge", "q" + FF), 3, "QueueDoesNotExist: The specified queue does not exist."),
        (
            ("queue", "delete", "q" + FF),
            3,
            "QueueDoesNotExist: The specified queue does not exist.",
        ),
        (
            ("queue", "delete-message", "q", FF),
            2,
            'ReceiptHandleIsInvalid: The input receipt handle "\\udcff" is not a valid receipt '
            "handle.",
        ),
        (
            ("events", "show", FF),
            3,
            "ResourceNotFoundException: no asynchronous event with request id \\udcff",
        ),
        (
            ("events", "redrive", FF),
            3,
            "ResourceNotFoundException: no asynchronous event with request id \\udcff",
        ),
    ],
    ids=lambda value: " ".join(value[:2]) if isinstance(value, tuple) else None,
)
def test_names_and_ids_that_are_not_utf8_name_nothing(  # type: ignore[no-untyped-def]
    cli, used, argv: tuple[str, ...], code: int, message: str
) -> None:
    result = cli(*argv)
    assert result.code == code
    assert error_of(result) == f"error: {message}"


# -- lambdactl's own options and the code directory ------------------------------------------


@pytest.mark.parametrize("option", ["--filter", "--request-id", "--version"])
def test_log_query_options_that_are_not_utf8(cli, option: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("invoke", "hello").code == 0  # some logs to search
    result = cli("logs", "hello", option, '"x' + FF + '"')
    assert result.code == 2
    assert error_of(result) == f"error: {option} is not UTF-8 text: b'\"x\\xff\"'"


def test_a_code_file_whose_name_is_not_utf8(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code = project_dir / "src" / "hello"
    open(os.fsencode(code) + b"/notes-\xff.txt", "w").close()
    result = cli("invoke", "hello")
    assert result.code == 2
    shown = f"{code}/notes-\\udcff.txt"  # the byte escaped, as Python's stderr shows it
    assert error_of(result) == (
        f"error: {shown}: the file name is not UTF-8, which a zip (and AWS) needs"
    )
    (code / ".lambdaignore").write_bytes(b"notes-\xff.txt\n")  # which can leave it out
    assert cli("invoke", "hello").code == 0


# -- real bytes on a real command line ---------------------------------------------------------


def test_real_command_line_bytes(cli, used) -> None:  # type: ignore[no-untyped-def]
    lambdactl = [sys.executable, "-m", "lambdactl"]
    invoke = subprocess.run(
        [*lambdactl, "invoke", "hello", "--payload", b'{"s":"\xff"}'],
        capture_output=True,
        timeout=60,
    )
    assert invoke.returncode == 2, invoke.stderr
    assert invoke.stderr.startswith(
        b"error: InvalidRequestContentException: Could not parse request body into json: "
        b"Could not parse payload into json: Invalid UTF-8 start byte 0xff\n"
    )
    send = subprocess.run(
        [*lambdactl, "queue", "send", "q", b"x\xff"], capture_output=True, timeout=60
    )
    assert send.returncode == 2, send.stderr
    assert send.stderr.startswith(
        b"error: InvalidMessageContents: Invalid binary character '#xFF' was found in the "
        b"message body"
    )


# -- numbers and option values ------------------------------------------------------------------

HUGE = "99999999999999999999"
"""A version number larger than SQLite's integers."""


@pytest.mark.parametrize(
    "argv",
    [
        ("invoke", f"hello:{HUGE}"),
        ("invoke", "hello", "--qualifier", HUGE),
        ("show", f"hello:{HUGE}"),
        ("delete-version", "hello", HUGE),
        ("alias", "create", "hello", "big", "--version", HUGE),
        ("alias", "update", "hello", "live", "--routing", f"{HUGE}=0.5"),
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_version_number_beyond_the_store_is_not_found(cli, used, argv: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*argv)
    assert result.code == 3
    assert error_of(result) == (
        "error: ResourceNotFoundException: Function not found: "
        f"arn:aws:lambda:us-east-1:123456789012:function:hello:{HUGE}"
    )


def test_logs_since_longer_ago_than_1970(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("invoke", "hello").code == 0
    for since in (f"{HUGE}d", "9" * 400 + "w"):  # the second is more than a float holds
        result = cli("logs", "hello", "--since", since)
        assert result.code == 0, result.err
        assert "START RequestId: " in result.out


def test_a_worker_with_no_concurrency_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("worker", "--concurrency", "0", "--idle-exit", "0.1")
    assert result.code == 2
    assert "Invalid value for '--concurrency': 0 is not in the range x>=1." in result.err
    assert "internal error" not in result.err


@pytest.mark.parametrize(
    ("option", "value", "wording"),
    [
        ("--lease", "nan", "more than zero"),
        ("--lease", "0", "more than zero"),
        ("--lease", "-5", "more than zero"),
        ("--lease", "inf", "more than zero"),
        ("--idle-exit", "nan", "zero or more"),
        ("--idle-exit", "-1", "zero or more"),
    ],
)
def test_a_worker_duration_must_be_a_number_of_seconds(  # type: ignore[no-untyped-def]
    cli, project_dir: Path, option: str, value: str, wording: str
) -> None:
    idle = () if option == "--idle-exit" else ("--idle-exit", "0.1")
    result = cli("worker", option, value, *idle)
    assert result.code == 2, result.err
    assert result.err.startswith(f"error: {option} takes a number of seconds, {wording}, not ")
    assert not (project_dir / ".lambda" / "worker.lock").exists()  # refused before starting


@pytest.mark.parametrize("where", ["under a file", "missing parent"])
def test_init_where_nothing_can_be_written(cli, project_dir: Path, where: str) -> None:  # type: ignore[no-untyped-def]
    (project_dir / "a-file").write_text("")
    target = "a-file/new" if where == "under a file" else "/proc/no/such/dir"
    result = cli("init", target)
    assert result.code == 2
    reason = "Not a directory" if where == "under a file" else "No such file or directory"
    assert error_of(result).startswith("error: cannot write ")
    assert error_of(result).endswith(f": {reason}")


def test_init_keeps_the_bytes_of_an_existing_gitignore(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / ".gitignore").write_bytes(b"caf\xe9/\n")  # Latin-1
    assert cli("init", str(tmp_path / "new")).code == 0
    assert (tmp_path / "new" / ".gitignore").read_bytes() == (b"caf\xe9/\n.lambda/\n__pycache__/\n")
