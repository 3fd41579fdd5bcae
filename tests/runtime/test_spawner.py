"""Starting runtimes (lambdactl/runtime/spawner.py) with real processes: the runtime's pid
comes from its launcher, exec failures surface as Popen's do, and the guardian makes the
launchers clean up when lambdactl is gone (issue 9)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.runtime.spawner import LAUNCHES, Runtime, Spawner
from tests.runtime import process_gone

PYTHON = [sys.executable, "-I", "-S", "-u"]

ESCAPE = """\
import os, subprocess, time
escaped = subprocess.Popen(["sleep", "300"], start_new_session=True)
print(os.getpid(), escaped.pid, flush=True)
time.sleep(300)
"""


@pytest.fixture
def spawner() -> Iterator[Spawner]:
    """A spawner of its own; its guardian is stopped (killing what is left) at the end."""
    spawner = Spawner()
    yield spawner
    if spawner._guardian_fd is not None and spawner._guardian is not None:
        os.close(spawner._guardian_fd)
        spawner._guardian.wait(timeout=10)


def start_escaping(spawner: Spawner, tmp_path: Path) -> tuple[Runtime, list[int]]:
    """A runtime that starts `sleep 300` in a new session: (runtime, [its pid, sleep's])."""
    script = tmp_path / "escape.py"
    script.write_text(ESCAPE)
    read_fd, write_fd = os.pipe()
    runtime = spawner.start(
        [str(script)], python=PYTHON, script=True, cwd=tmp_path, env={}, output_fd=write_fd
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as output:
        pids = [int(pid) for pid in output.readline().split()]
    return runtime, pids


def end(runtime: Runtime, pids: list[int]) -> None:
    """Kill whatever of `pids` still runs, and reap the launcher."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    runtime.process.wait(timeout=10)


def wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := [pid for pid in pids if not process_gone(pid)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def test_the_runtime_pid_is_the_runtimes_own(spawner: Spawner, tmp_path: Path) -> None:
    runtime, pids = start_escaping(spawner, tmp_path)
    try:
        assert runtime.pid == pids[0]
        assert (runtime.process.pid != runtime.pid) is LAUNCHES
    finally:
        end(runtime, pids)


@pytest.mark.parametrize(
    ("bootstrap", "error"),
    [("#!/nonexistent/interpreter\n", FileNotFoundError), ("\x7fELF not really\n", OSError)],
    ids=["missing interpreter", "exec format"],
)
def test_a_program_that_cannot_be_executed_raises_as_popen_does(
    spawner: Spawner, tmp_path: Path, bootstrap: str, error: type[OSError]
) -> None:
    program = tmp_path / "bootstrap"
    program.write_text(bootstrap)
    program.chmod(0o755)
    read_fd, write_fd = os.pipe()
    try:
        with pytest.raises(error) as raised:
            spawner.start(
                [str(program)],
                python=PYTHON,
                script=False,
                cwd=tmp_path,
                env={},
                output_fd=write_fd,
            )
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert raised.value.strerror


@pytest.mark.skipif(not LAUNCHES, reason="launchers are Linux only")
def test_the_guardian_has_the_launchers_clean_up_when_lambdactl_is_gone(
    spawner: Spawner, tmp_path: Path
) -> None:
    """lambdactl's end of the guardian's pipe closes (here without lambdactl dying, so the
    launcher gets no parent-death signal): the guardian sends the launcher SIGTERM, and the
    launcher kills its runtime and the process that escaped it before the guardian kills
    the groups it knows."""
    runtime, pids = start_escaping(spawner, tmp_path)
    try:
        assert spawner._guardian_fd is not None and spawner._guardian is not None
        os.close(spawner._guardian_fd)
        spawner._guardian_fd = None
        assert runtime.process.wait(timeout=10) == -signal.SIGKILL
        assert wait_gone(pids) == []
        spawner._guardian.wait(timeout=10)
    finally:
        end(runtime, pids)


def test_forgotten_processes_are_left_alone_by_the_guardian(
    spawner: Spawner, tmp_path: Path
) -> None:
    """A pid lambdactl has reaped may be reused by an unrelated process."""
    runtime, pids = start_escaping(spawner, tmp_path)
    try:
        spawner.forget(runtime.process.pid, runtime.pid)
        assert spawner._guardian_fd is not None and spawner._guardian is not None
        os.close(spawner._guardian_fd)
        spawner._guardian_fd = None
        spawner._guardian.wait(timeout=10)
        assert runtime.process.poll() is None
        assert not any(process_gone(pid) for pid in pids)
    finally:
        end(runtime, pids)
