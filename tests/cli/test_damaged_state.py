"""A damaged or unwritable `.lambda/`: a clear line and exit 7, never an internal error (70)."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

GARBAGE = random.Random(9).randbytes(4096)
"""Not a database, a zip, bytecode or a number: what a disk error or a stray write leaves."""


def garble(path: Path) -> None:
    path.chmod(0o644)
    path.write_bytes(GARBAGE)


def one_error_line(err: str) -> str:
    """The single `error:` line of a failed command (and no traceback)."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


# -- a damaged log store ----------------------------------------------------------------------


@pytest.fixture
def damaged_logs(cli, project_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    """`.lambda/logs.db` of a project that has logged an invocation, overwritten with garbage."""
    assert cli("invoke", "hello").code == 0
    path = project_dir / ".lambda" / "logs.db"
    garble(path)
    return path


def test_logs_on_a_damaged_log_store_exits_7_naming_it(cli, damaged_logs: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("logs", "hello")
    assert result.code == 7
    line = one_error_line(result.err)
    assert line == f"error: the log store {damaged_logs} is damaged: file is not a database"
    assert "hint: move it aside; lambdactl makes a new one" in result.err


def test_tail_on_a_damaged_log_store_exits_7_at_once(damaged_logs: Path) -> None:
    tail = subprocess.run(
        [sys.executable, "-m", "lambdactl", "tail", "hello"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tail.returncode == 7, tail.stderr
    assert str(damaged_logs) in one_error_line(tail.stderr)


def test_an_invocation_reaches_the_caller_when_its_log_cannot_be_stored(  # type: ignore[no-untyped-def]
    cli, damaged_logs: Path
) -> None:
    result = cli("invoke", "hello", "--log-type", "Tail", "-p", '{"name": "tail"}')
    assert result.code == 0, result.err
    assert result.out == '{"hello": "tail"}'  # the handler ran: its result is printed
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: log lines were not stored: the log store {damaged_logs} is damaged: file "
        "is not a database; move it aside; lambdactl makes a new one"
    ]
    assert "error:" not in result.err
    for line in ("START RequestId: ", "END RequestId: ", "REPORT RequestId: "):
        assert line in result.err  # the tail, from the lines in hand
    assert result.err.splitlines()[-1].startswith("RequestId: ")  # the usual summary


def test_an_invocation_as_json_carries_its_log_result_all_the_same(cli, damaged_logs) -> None:  # type: ignore[no-untyped-def]
    import base64

    result = cli("invoke", "hello", "--log-type", "Tail", "-o", "json")
    assert result.code == 0, result.err
    shape = result.json()
    assert shape["Payload"] == {"hello": "world"}
    assert base64.b64decode(shape["LogResult"]).decode().startswith("START RequestId: ")


def test_the_log_writer_lives_on_and_recovers_once_the_file_is_moved_aside(  # type: ignore[no-untyped-def]
    cli, damaged_logs: Path, project, invoker
) -> None:
    for _ in range(2):
        assert invoker.invoke("hello").status_code == 200
        assert invoker.logs.flush()
    damaged_logs.rename(damaged_logs.with_name("logs.db.damaged"))
    invoker.invoke("hello", payload=b'{"name": "after"}')
    assert invoker.logs.flush()
    shown = cli("logs", "hello")  # a new logs.db, written by the same writer thread
    assert shown.code == 0, shown.err
    assert shown.out.count("START RequestId: ") == 1


def test_after_moving_the_damaged_log_store_aside_lambdactl_makes_a_new_one(  # type: ignore[no-untyped-def]
    cli, damaged_logs: Path
) -> None:
    damaged_logs.rename(damaged_logs.with_name("logs.db.damaged"))
    assert cli("logs", "hello").code == 0  # nothing logged yet
    assert cli("invoke", "hello").code == 0
    shown = cli("logs", "hello")
    assert shown.code == 0, shown.err
    assert "START RequestId: " in shown.out
    assert sqlite3.connect(damaged_logs).execute("SELECT count(*) FROM events").fetchone()[0]


def test_garbage_in_the_state_database_exits_7_naming_it(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("publish", "hello").code == 0
    state = project_dir / ".lambda" / "state.db"
    db = sqlite3.connect(state)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the records are in the file garbled next
    db.close()
    garble(state)
    for argv in (("list",), ("invoke", "hello"), ("logs", "hello"), ("queue", "list")):
        result = cli(*argv)
        assert result.code == 7, (argv, result.err)
        assert str(state) in one_error_line(result.err)
