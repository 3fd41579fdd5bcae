"""Which Python runs a `python3.X` function: the matching interpreter if there is one."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BOOTSTRAP = Path(__file__).parent / "bootstrap" / "python_runtime.py"
"""The stdlib-only Python runtime client that runs inside the child."""

LAUNCHER = Path(__file__).parent / "bootstrap" / "launcher.py"
"""The stdlib-only launcher that runs each runtime on Linux (see `spawner.py`)."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str
    """`major.minor.micro` of the interpreter actually used."""
    warning: str | None = None
    """Set when the runtime's version was not found and another Python stands in."""


@functools.cache
def for_runtime(runtime: str) -> Interpreter:
    """`python3.12` -> a `python3.12` from PATH, else this Python with a warning naming both."""
    wanted = runtime.removeprefix("python")
    current = ".".join(map(str, sys.version_info[:3]))
    if current.rsplit(".", 1)[0] == wanted:
        return Interpreter(sys.executable, current)
    found = shutil.which(f"python{wanted}")
    if found:
        probed = _probe(found)
        if probed and probed[0].rsplit(".", 1)[0] == wanted:
            return Interpreter(probed[1], probed[0])
    return Interpreter(
        sys.executable,
        current,
        warning=f"runtime {runtime} requested but no python{wanted} is on PATH; "
        f"running it with Python {current} ({sys.executable})",
    )


def _probe(path: str) -> tuple[str, str] | None:
    """(version, real executable): launchers such as pyenv's shims cost ~100 ms per start,
    so environments run the interpreter they lead to."""
    code = "import sys; print('.'.join(map(str, sys.version_info[:3]))); print(sys.executable)"
    try:
        done = subprocess.run(
            [path, "-I", "-S", "-c", code],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    return (lines[0], lines[1]) if done.returncode == 0 and len(lines) == 2 else None


def compiled_bootstrap(
    interpreter: Interpreter, cache_dir: Path, *, script: Path = BOOTSTRAP
) -> Path:
    """The runtime client (or another stdlib-only `script` that runs in the child, such as
    the launcher) as bytecode for `interpreter`, compiled once per version.

    A script is recompiled at every start (~10 ms of each cold start); a `.pyc` run directly
    is not. Falls back to the source if compiling fails.
    """
    source = script.read_bytes()
    digest = hashlib.sha256(source + interpreter.version.encode()).hexdigest()[:16]
    target = cache_dir / f"{script.stem}-{digest}.pyc"
    if _looks_compiled(target, source):
        return target
    partial = cache_dir / f".{script.stem}-{digest}.{os.getpid()}.pyc"
    code = "import py_compile, sys; py_compile.compile(sys.argv[1], sys.argv[2], sys.argv[1], True)"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [interpreter.path, "-I", "-S", "-c", code, str(script), str(partial)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        os.replace(partial, target)
    except (OSError, subprocess.SubprocessError):
        partial.unlink(missing_ok=True)
        return script
    return target


def _looks_compiled(pyc: Path, source: bytes) -> bool:
    """Whether `pyc` has the header of `source`'s bytecode: a damaged cache file (which every
    cold start would run, failing as the function's `Runtime.ExitError`) is compiled again."""
    try:
        with open(pyc, "rb") as file:
            header = file.read(16)
    except OSError:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if len(header) < 16 or header[2:4] != b"\r\n" or flags not in (0, 1, 3):
        return False
    size = int.from_bytes(header[12:16], "little")  # hash-based (flags 1, 3): a hash instead
    return bool(flags & 1) or size == len(source) & 0xFFFFFFFF
