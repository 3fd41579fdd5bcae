"""The launcher (lambdactl/runtime/bootstrap/launcher.py), run for real: it mirrors its
runtime's end, reports the runtime's pid and peak memory, and leaves nothing the runtime
started, however it escaped (issue 9). Linux only: it needs `prctl`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.runtime.interpreters import LAUNCHER
from tests.runtime import process_gone

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the launcher needs Linux's prctl"
)

PYTHON = [sys.executable, "-I", "-S"]

ESCAPE = """\
import os, subprocess, sys, time
escaped = subprocess.Popen(["sleep", "300"], start_new_session=True)
print(os.getpid(), escaped.pid, flush=True)
if sys.argv[1:] == ["exit"]:
    sys.exit(0)
time.sleep(300)
"""
"""A runtime that starts `sleep 300` in a new session, prints both pids, then ends (`exit`)
or sleeps."""


class Launched:
    """A launcher started as lambdactl starts it: its own session, a status pipe."""

    def __init__(self, mode: str, *target: str) -> None:
        self._status, write = os.pipe()
        self.process = subprocess.Popen(
            [*PYTHON, str(LAUNCHER), str(write), "0", mode, *target],
            pass_fds=(write,),
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        os.close(write)

    def status(self) -> list[str]:
        """Every line the launcher wrote on its status pipe, once it has ended."""
        data = b""
        while chunk := os.read(self._status, 4096):
            data += chunk
        return data.decode().splitlines()

    def first_status(self) -> str:
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(self._status, 1)
            assert chunk, f"no line on the status pipe: {data!r}"
            data += chunk
        return data.decode().strip()

    def output_pids(self) -> list[int]:
        assert self.process.stdout is not None
        return [int(pid) for pid in self.process.stdout.readline().split()]

    def wait(self, seconds: float = 10.0) -> int:
        return self.process.wait(timeout=seconds)


@pytest.fixture
def started() -> Iterator[list[Launched]]:
    """Launchers a test started: killed (with their runtimes) at the end."""
    launched: list[Launched] = []
    yield launched
    for each in launched:
        if each.process.poll() is None:
            each.process.send_signal(signal.SIGTERM)
            each.wait()
        assert each.process.stdout is not None
        each.process.stdout.close()
        os.close(each._status)


def launch(started: list[Launched], mode: str, *target: str) -> Launched:
    launched = Launched(mode, *target)
    started.append(launched)
    return launched


def wait_gone(pids: list[int], seconds: float = 3.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := [pid for pid in pids if not process_gone(pid)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def test_the_launcher_ends_with_its_runtimes_exit_code_and_reports_it(
    started: list[Launched],
) -> None:
    launched = launch(started, "exec", "/bin/sh", "-c", "exit 3")
    assert launched.wait() == 3
    pid_line, exit_line = launched.status()
    assert pid_line.startswith("pid ") and int(pid_line.split()[1]) != launched.process.pid
    assert exit_line.startswith("exit ")


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGSEGV, signal.SIGTERM])
def test_the_launcher_ends_with_the_signal_that_ended_its_runtime(
    started: list[Launched], signum: int
) -> None:
    launched = launch(started, "exec", "/bin/sleep", "300")
    runtime = int(launched.first_status().split()[1])
    os.killpg(runtime, signum)  # as a timeout, reset or OOM kill does (SIGKILL)
    assert launched.wait() == -signum


def test_a_program_that_cannot_be_executed_is_reported(started: list[Launched]) -> None:
    launched = launch(started, "exec", "/nonexistent/bootstrap")
    assert launched.status() == [f"error {2}"]  # ENOENT
    assert launched.wait() == 127


def test_python_mode_runs_the_script_as_main_in_its_own_session(
    started: list[Launched], tmp_path: Path
) -> None:
    script = tmp_path / "runtime.py"
    script.write_text(
        textwrap.dedent(
            """\
            import os, sys
            print(__name__, sys.argv[1:], os.getppid(), os.getsid(0) == os.getpid(), flush=True)
            sys.exit(4)
            """
        )
    )
    launched = launch(started, "python", str(script), "app.handler")
    assert launched.wait() == 4
    assert launched.process.stdout is not None
    out = launched.process.stdout.read().decode().split()
    assert out == ["__main__", "['app.handler']", str(launched.process.pid), "True"]


def test_what_the_runtime_started_in_a_new_session_ends_with_it(
    started: list[Launched],
) -> None:
    launched = launch(started, "exec", sys.executable, "-c", ESCAPE, "exit")
    runtime, escaped = launched.output_pids()
    assert launched.wait() == 0
    assert wait_gone([runtime, escaped]) == []


def test_a_double_forked_daemon_and_its_own_escaped_child_end_with_the_runtime(
    started: list[Launched],
) -> None:
    """The daemon is adopted at once; its new-session child only when the daemon is killed:
    the launcher keeps killing until nothing is left."""
    daemon = (
        "import os, subprocess, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', {ESCAPE!r}])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "print(os.getpid(), flush=True)\n"
        "import time; time.sleep(0.5)\n"
    )
    launched = launch(started, "exec", sys.executable, "-c", daemon)
    pids = launched.output_pids() + launched.output_pids()  # the daemon's two, the runtime's
    assert launched.wait() == 0
    assert len(pids) == 3
    assert wait_gone(pids) == []


def test_sigterm_kills_the_runtime_and_what_it_adopted(started: list[Launched]) -> None:
    """What lambdactl's death (PR_SET_PDEATHSIG) or its guardian sends."""
    launched = launch(started, "exec", sys.executable, "-c", ESCAPE)
    pids = launched.output_pids()
    launched.process.send_signal(signal.SIGTERM)
    assert launched.wait() == -signal.SIGKILL  # the runtime was killed: so is its launcher
    assert wait_gone(pids) == []


def test_the_runtime_dies_with_its_launcher(started: list[Launched]) -> None:
    launched = launch(started, "exec", "/bin/sleep", "300")
    runtime = int(launched.first_status().split()[1])
    launched.process.kill()
    launched.wait()
    assert wait_gone([runtime]) == []


def test_the_peak_memory_reported_is_the_runtimes_own(started: list[Launched]) -> None:
    """A small shell's peak, not the launcher's (a Python interpreter's) own."""
    launched = launch(started, "exec", "/bin/sh", "-c", "exit 0")
    _pid, _status, usage = os.wait4(launched.process.pid, 0)
    launched.process.returncode = 0
    reported = int(launched.status()[1].split()[1])
    assert 0 < reported < usage.ru_maxrss
