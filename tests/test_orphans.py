"""No child process outlives lambdactl, however it ends (issue 4), nor its environment, however
it escapes (issue 9).

A real `python -m lambdactl invoke` runs a handler that starts `sleep 300`; then the CLI is
interrupted, terminated or killed, and both the runtime and its child must be gone. A dead
process may linger as a zombie here (PID 1 of this container does not reap orphans):
`process_gone` counts a zombie as gone.

Escapes (`app.escape`): a child in a new session, a double-forked daemon, and a new-session
child that starts its own new-session child. None of them is in the runtime's process group,
so only the environment's launcher (their subreaper) can end them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime import call, fn, kill_leftovers, payload, process_gone, write_functions

REPO = Path(__file__).resolve().parents[1]
LINUX = sys.platform.startswith("linux")
ESCAPES = ["session", "double_fork", "nested"]
LIMITS = "limits.py"


@pytest.fixture
def functions(project_dir: Path) -> Path:
    write_functions(
        project_dir,
        {
            "f": fn("app.spawn", "limits.py", timeout=30),
            "small": fn("app.spawn", "limits.py", timeout=30, memory=128),
        },
    )
    return project_dir


@pytest.fixture
def children() -> Iterator[list[int]]:
    """Pids a test saw; whatever still runs at the end is killed (so a failure leaks
    nothing)."""
    seen: list[int] = []
    yield seen
    kill_leftovers(seen)


def environ() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LAMBDACTL_MANIFEST", None)
    return env


def wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"the CLI ended early ({process.returncode}): {err.decode()}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def wait_gone(pids: list[int], seconds: float = 2.0) -> list[int]:
    """The pids still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        alive = [pid for pid in pids if not process_gone(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        return "?"


def wait_stopped(pid: int, seconds: float = 5.0) -> None:
    """Until the CPU governor has stopped `pid` (SIGSTOP): state T."""
    deadline = time.monotonic() + seconds
    while state(pid) != "T":
        assert time.monotonic() < deadline, f"{pid} was never stopped by the CPU governor"
        time.sleep(0.001)


def start_cli(
    root: Path, pid_file: Path, function: str = "f", **event: object
) -> subprocess.Popen[bytes]:
    body = json.dumps({"pid_file": str(pid_file), **event})
    return subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "invoke", function, "-p", body],
        cwd=root,
        env=environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_and_stop(
    root: Path,
    tmp_path: Path,
    children: list[int],
    signum: int,
    function: str = "f",
    **event: object,
) -> tuple[subprocess.Popen[bytes], list[int], str]:
    """Start the CLI, wait until the handler runs, send `signum`: (cli, [runtime, sleep],
    stderr)."""
    pid_file = tmp_path / "pids"
    cli = start_cli(root, pid_file, function, **event)
    try:
        wait_for(pid_file, cli)
        pids = [int(p) for p in pid_file.read_text().split()]
        children.extend(pids)
        assert not any(process_gone(pid) for pid in pids)
        if event.get("spin"):
            wait_stopped(pids[0])
        cli.send_signal(signum)
        _out, err = cli.communicate(timeout=10)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    return cli, pids, err.decode()


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)],
    ids=["SIGTERM", "SIGINT", "SIGHUP"],
)
def test_signalled_cli_exits_cleanly_and_leaves_nothing(
    functions: Path, tmp_path: Path, children: list[int], signum: int, code: int
) -> None:
    cli, pids, err = run_and_stop(functions, tmp_path, children, signum)
    assert cli.returncode == code, err
    assert "Traceback" not in err
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.skipif(not LINUX, reason="reads the process state from /proc")
def test_signalled_cli_ends_a_runtime_stopped_by_the_cpu_governor(
    functions: Path, tmp_path: Path, children: list[int]
) -> None:
    cli, pids, err = run_and_stop(
        functions, tmp_path, children, signal.SIGTERM, function="small", spin=True
    )
    assert cli.returncode == 143, err
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signalled_cli_stops_a_handler_that_ignores_sigterm(
    functions: Path, tmp_path: Path, children: list[int], signum: int
) -> None:
    cli, pids, err = run_and_stop(functions, tmp_path, children, signum, ignore_sigterm=True)
    assert cli.returncode == 128 + signum, err
    assert wait_gone(pids) == []


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux only")
def test_killed_cli_leaves_nothing(functions: Path, tmp_path: Path, children: list[int]) -> None:
    cli, pids, _err = run_and_stop(functions, tmp_path, children, signal.SIGKILL)
    assert cli.returncode == -signal.SIGKILL
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux only")
def test_killed_cli_leaves_nothing_when_the_handler_ignores_sigterm(
    functions: Path, tmp_path: Path, children: list[int]
) -> None:
    cli, pids, _err = run_and_stop(
        functions, tmp_path, children, signal.SIGKILL, ignore_sigterm=True
    )
    assert cli.returncode == -signal.SIGKILL
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux only")
def test_killed_cli_leaves_nothing_while_the_cpu_governor_holds_the_runtime(
    functions: Path, tmp_path: Path, children: list[int]
) -> None:
    """At 128 MB a CPU-bound runtime is stopped (SIGSTOP) ~93% of the time."""
    cli, pids, _err = run_and_stop(
        functions, tmp_path, children, signal.SIGKILL, function="small", spin=True
    )
    assert cli.returncode == -signal.SIGKILL
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


def test_invoker_without_close_leaves_nothing_at_exit(
    functions: Path, tmp_path: Path, children: list[int]
) -> None:
    """A script that uses the Invoker API and just returns: atexit shuts the pool down. The
    handler ignores SIGTERM, so only that shutdown (not the parent-death signal) stops it."""
    pid_file = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path

        from lambdactl.invoke import Invoker
        from lambdactl.project import Project

        project = Project.open(Path("functions.yaml"))
        invoker = Invoker(project)
        event = {{"pid_file": {str(pid_file)!r}, "return": True, "ignore_sigterm": True}}
        result = invoker.invoke("f", payload=json.dumps(event).encode())
        print(result.payload.decode())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=functions,
        env=environ(),
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    pids = json.loads(done.stdout)
    children.extend(pids)
    assert pids == [int(p) for p in pid_file.read_text().split()]
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


# -- processes that escape the runtime's process group (Linux: the launcher is a subreaper) ------


@pytest.fixture
def escaping(project_dir: Path) -> Path:
    write_functions(project_dir, {"escape": fn("app.escape", LIMITS, timeout=30)})
    return project_dir


def escape_event(tmp_path: Path, how: str, **extra: object) -> dict[str, object]:
    return {"pid_file": str(tmp_path / f"{how}.pids"), "how": how, **extra}


def written_pids(event: dict[str, object]) -> list[int]:
    """[runtime, escaped...] as the handler wrote them."""
    return [int(pid) for pid in Path(str(event["pid_file"])).read_text().split()]


@pytest.mark.skipif(not LINUX, reason="the launcher (a subreaper) is Linux only")
@pytest.mark.parametrize("how", ESCAPES)
def test_nothing_a_handler_started_outlives_the_invoke_command(
    escaping: Path, tmp_path: Path, children: list[int], how: str
) -> None:
    event = escape_event(tmp_path, how)
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "invoke", "escape", "-p", json.dumps(event)],
        cwd=escaping,
        env=environ(),
        capture_output=True,
        timeout=60,
    )
    pids = written_pids(event)
    children.extend(pids)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout) == pids
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.skipif(not LINUX, reason="the launcher (a subreaper) is Linux only")
@pytest.mark.parametrize("how", ESCAPES)
def test_escaped_processes_live_while_the_environment_is_warm_and_end_with_it(
    launch, tmp_path: Path, children: list[int], how: str
) -> None:
    """As in a warm sandbox, a background process keeps running between invocations; the
    environment's shutdown ends it."""
    invoker = launch(f=fn("app.escape", LIMITS, timeout=10))
    event = escape_event(tmp_path, how)
    pids = payload(call(invoker, **event))
    children.extend(pids)
    again = call(invoker, **escape_event(tmp_path, "session"))
    children.extend(payload(again))
    assert payload(again)[0] == pids[0]  # the same, warm runtime
    assert not any(process_gone(pid) for pid in pids)
    invoker.close()
    alive = wait_gone(pids + payload(again))
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.skipif(not LINUX, reason="the launcher (a subreaper) is Linux only")
@pytest.mark.parametrize("how", ESCAPES)
def test_escaped_processes_end_with_a_timeout_and_the_environment_starts_again(
    launch, tmp_path: Path, children: list[int], how: str
) -> None:
    invoker = launch(f=fn("app.escape", LIMITS, timeout=1))
    event = escape_event(tmp_path, how, hang=True)
    result = call(invoker, **event)
    pids = written_pids(event)
    children.extend(pids)
    assert result.error_type == "Sandbox.Timedout"
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"
    after = call(invoker, **escape_event(tmp_path, "session"))
    children.extend(payload(after))
    assert after.function_error is None and after.init_duration_ms is not None
    assert payload(after)[0] != pids[0]


@pytest.mark.skipif(not LINUX, reason="the launcher (a subreaper) is Linux only")
def test_escaped_processes_end_when_the_runtime_crashes_and_the_exit_status_is_kept(
    launch, tmp_path: Path, children: list[int]
) -> None:
    invoker = launch(f=fn("app.escape", LIMITS, timeout=10))
    event = escape_event(tmp_path, "nested", exit=3)
    result = call(invoker, **event)
    pids = written_pids(event)
    children.extend(pids)
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.ExitError")
    assert json.loads(result.payload)["errorMessage"].endswith(
        "Error: Runtime exited with error: exit status 3"
    )
    alive = wait_gone(pids)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"


@pytest.mark.skipif(not LINUX, reason="the launcher (a subreaper) is Linux only")
@pytest.mark.parametrize("how", ESCAPES)
def test_killed_cli_leaves_no_escaped_process(
    escaping: Path, tmp_path: Path, children: list[int], how: str
) -> None:
    cli, pids, _err = run_and_stop(
        escaping, tmp_path, children, signal.SIGKILL, function="escape", how=how, hang=True
    )
    assert cli.returncode == -signal.SIGKILL
    assert len(pids) == (3 if how == "nested" else 2)
    alive = wait_gone(pids, seconds=5)
    assert alive == [], f"left running: {[(pid, state(pid)) for pid in alive]}"
