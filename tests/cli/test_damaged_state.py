"""A damaged or unwritable `.lambda/`: a clear line and exit 7, never an internal error (70).

Garbage in the log store, a read-only project, and then every command against every file of
a used project's `.lambda/` damaged in turn. Read-only cases run lambdactl in a child process
that file permissions bind, also when the tests run as root (it drops the capabilities that
override them); everything else runs in-process.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl.cli import run
from tests.conftest import HELLO, MANIFEST

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


def test_a_damaged_bytecode_cache_of_the_runtime_client_is_compiled_again(  # type: ignore[no-untyped-def]
    cli, project_dir: Path
) -> None:
    assert cli("invoke", "hello").code == 0
    (compiled,) = (project_dir / ".lambda" / "runtime").glob("python_runtime-*.pyc")
    garble(compiled)
    result = cli("invoke", "hello")
    assert result.code == 0, result.err  # not the function's Runtime.ExitError
    assert compiled.read_bytes() != GARBAGE


def test_a_published_version_whose_snapshot_is_gone_exits_7_naming_it(  # type: ignore[no-untyped-def]
    cli, project_dir: Path
) -> None:
    assert cli("publish", "hello").code == 0
    (snapshot,) = (p for p in (project_dir / ".lambda" / "code").iterdir() if p.is_dir())
    _file_for_directory(snapshot)
    result = cli("invoke", "hello:1")
    assert result.code == 7, result.err  # not the function's Runtime.ImportModuleError
    assert one_error_line(result.err) == (
        f"error: the code of hello:1 is missing: {snapshot} is not a directory"
    )
    assert cli("invoke", "hello").code == 0  # $LATEST runs from the working tree


# -- read-only state ----------------------------------------------------------------------------


def _drop_permission_overrides() -> None:  # pragma: no cover - runs in the forked child
    """For root: give up CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH in what is exec'd next."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in (1, 2):
        if prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


@pytest.fixture
def bound_by_permissions(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run(*argv)`: lambdactl in a child process on which file permissions are enforced."""
    preexec = _drop_permission_overrides if os.geteuid() == 0 else None

    def lambdactl(*argv: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, *(["-c", code] if code else ["-m", "lambdactl", *argv])]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=60, preexec_fn=preexec
        )

    probe = tmp_path / "read-only"
    probe.mkdir(mode=0o555)
    try:
        tried = lambdactl(code=f"open({str(probe / 'x')!r}, 'w')")
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop root's permission overrides here: {exc}")
    finally:
        probe.chmod(0o755)
    if tried.returncode == 0:
        pytest.skip("file permissions are not enforced on this process (root's overrides)")
    return lambdactl


@pytest.mark.parametrize(
    "argv",
    [
        ("invoke", "hello"),
        ("invoke", "hello", "--log-type", "Tail"),
        ("invoke", "hello", "--async"),
        ("logs", "hello"),
        ("publish", "hello"),
        ("queue", "create", "q"),
        ("worker", "status"),
    ],
    ids=" ".join,
)
def test_a_read_only_project_without_state_exits_7_naming_it(
    argv: tuple[str, ...], project_dir: Path, bound_by_permissions: Callable[..., Any]
) -> None:
    project_dir.chmod(0o555)
    try:
        result = bound_by_permissions(*argv)
    finally:
        project_dir.chmod(0o755)
    assert result.returncode == 7, result.stderr
    line = one_error_line(result.stderr)
    assert line == f"error: cannot write {project_dir / '.lambda'}: permission denied"
    assert not (project_dir / ".lambda").exists()


@pytest.fixture
def read_only_state(cli, project_dir: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """`.lambda/` of a used project with every directory read-only; its databases (and their
    `-wal`/`-shm` files, left by a CLI invoke) still open for writing."""
    assert cli("publish", "hello").code == 0
    assert cli("invoke", "hello").code == 0
    state = project_dir / ".lambda"
    holder = sqlite3.connect(state / "state.db")  # keeps -wal and -shm, as a running worker
    holder.execute("SELECT count(*) FROM functions").fetchone()
    directories = [state, *(p for p in state.rglob("*") if p.is_dir() and not p.is_symlink())]
    modes = {d: d.stat().st_mode for d in directories}
    for directory in directories:
        directory.chmod(0o555)
    yield state
    for directory, mode in modes.items():
        directory.chmod(mode)
    holder.close()


@pytest.mark.parametrize("argv", [("invoke", "hello"), ("invoke", "hello:1")], ids=" ".join)
def test_invoke_in_a_read_only_state_exits_7_naming_the_path(
    argv: tuple[str, ...], read_only_state: Path, bound_by_permissions: Callable[..., Any]
) -> None:
    result = bound_by_permissions(*argv)
    assert result.returncode == 7, result.stderr
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: cannot write {read_only_state}/"), line
    assert line.endswith(": permission denied")


def test_logs_in_a_read_only_state_exits_7_naming_the_log_store(
    read_only_state: Path, bound_by_permissions: Callable[..., Any]
) -> None:
    result = bound_by_permissions("logs", "hello")
    assert result.returncode == 7, result.stderr
    assert f"the log store {read_only_state / 'logs.db'}" in one_error_line(result.stderr)


def test_an_async_invoke_that_cannot_start_a_worker_is_still_accepted(
    read_only_state: Path, bound_by_permissions: Callable[..., Any]
) -> None:
    result = bound_by_permissions("invoke", "hello", "--async", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["StatusCode"] == 202  # queued durably
    assert result.stderr.splitlines() == [
        f"warning: no worker could be started (cannot write {read_only_state / 'worker.lock'}: "
        "permission denied); run `lambdactl worker`"
    ]


# -- every command, every file damaged ------------------------------------------------------

COMMANDS: list[tuple[str, ...]] = [
    ("list",),
    ("show", "hello:live"),
    ("versions", "hello"),
    ("invoke", "hello"),
    ("invoke", "hello:live", "--log-type", "Tail"),
    ("invoke", "hello", "--async"),
    ("alias", "list", "hello"),
    ("queue", "list"),
    ("queue", "receive", "q"),
    ("events", "list"),
    ("events", "show", "{event}"),
    ("logs", "hello"),
    ("logs",),
    ("worker", "status"),
    ("validate",),
    # the ones that write last: what they leave behind is the next command's state
    ("publish", "hello"),
    ("alias", "create", "hello", "beta", "--version", "1"),
    ("queue", "send", "q", "hi"),
    ("events", "redrive", "--all-failed"),
    ("delete-version", "hello", "1"),
]


def _used_project(root: Path) -> str:
    """A project with some of everything in `.lambda/`; the request id of its queued event."""
    (root / "src" / "hello").mkdir(parents=True)
    (root / "src" / "hello" / "app.py").write_text(HELLO)
    (root / "functions.yaml").write_text(MANIFEST)
    manifest = str(root / "functions.yaml")
    for argv in (
        ("publish", "hello"),
        ("alias", "create", "hello", "live", "--version", "1"),
        ("queue", "create", "q"),
        ("queue", "send", "q", "kept"),
        ("invoke", "hello:live"),
        ("invoke", "hello", "--async"),
    ):
        assert run(["-f", manifest, *argv]) == 0, argv
    state = root / ".lambda"
    for database in ("state.db", "logs.db"):  # all in the main file, as after a clean exit
        with sqlite3.connect(state / database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    db = sqlite3.connect(state / "state.db")
    (event,) = db.execute("SELECT id FROM events").fetchone()
    db.close()
    return str(event)


def _damages(state: Path) -> list[tuple[str, Callable[[Path], None]]]:
    """(path, how to damage it) for what is in `state`: a file gets garbage, a directory is
    replaced by a file (which blocks writing into it, even for root). Below two levels only
    files count (the rest are the bytecode caches of Python itself)."""
    found: list[tuple[str, Callable[[Path], None]]] = [(".lambda/", _file_for_directory)]
    for path in sorted(state.rglob("*")):
        depth = len(path.relative_to(state).parts)
        if path.is_symlink() or (path.is_dir() and depth > 2) or depth > 3:
            continue
        what = f".lambda/{path.relative_to(state)}"
        found.append((what + "/", _file_for_directory) if path.is_dir() else (what, garble))
    return found


def _file_for_directory(path: Path) -> None:
    def writable(func: Any, target: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(target), 0o755)
        os.chmod(target, 0o755)
        func(target)

    shutil.rmtree(path, onerror=writable)
    path.write_bytes(GARBAGE)


@pytest.fixture(scope="module")
def damaged_projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """[(what was damaged, the project)] and the queued event's request id: one copy of a
    used project per damage. No detached worker runs (or outlives) these tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("lambdactl.events.daemon._detach", lambda *_a, **_k: None)
        base = tmp_path_factory.mktemp("damaged")
        event = _used_project(base / "used")
        projects = []
        for index, (what, damage) in enumerate(_damages(base / "used" / ".lambda")):
            copy = base / str(index)
            shutil.copytree(base / "used", copy, symlinks=True)
            damage(copy / what.rstrip("/"))
            projects.append((what, copy))
        yield projects, event


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_command_fails_as_a_bug_on_damaged_state(
    command: tuple[str, ...],
    damaged_projects: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    projects, event = damaged_projects
    monkeypatch.setattr("lambdactl.events.daemon._detach", lambda *_a, **_k: None)
    argv = [part.format(event=event) for part in command]
    problems = []
    for what, project in projects:
        monkeypatch.chdir(project)
        code = run(argv)
        err = capsys.readouterr().err
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        if code == 70 or "Traceback" in err:
            problems.append(f"{what}: exit {code}: {err.strip()}")
        elif code == 1 and not what.startswith(".lambda/code/"):  # only snapshots hold code
            problems.append(f"{what}: a function error from damaged state: {err.strip()}")
        elif code not in (0, 1) and len(errors) != 1:
            problems.append(f"{what}: exit {code} without exactly one error line: {err!r}")
        elif code == 7 and what.rstrip("/").removeprefix(".lambda/") not in errors[0]:
            problems.append(f"{what}: exit 7 without naming it: {errors[0]}")
    assert not problems, "\n".join(problems)
