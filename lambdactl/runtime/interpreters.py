"""Which Python runs a `python3.X` function: the matching interpreter if there is one."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass


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
