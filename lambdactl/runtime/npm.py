"""What a Node.js function can import besides its own code: npm packages.

- `package.json` in the code directory (with `package-lock.json`: `npm ci --omit=dev`;
  without: `npm install --omit=dev`) is installed once into `.lambda/deps/<hash>/node_modules`,
  keyed by both files, the Node.js major version and the machine, as `requirements.txt` is
  (same cache root, same lock, staged and renamed into place). On AWS the deployed zip carries
  `node_modules/` beside the handler: a code directory that has its own is used as is and
  nothing is installed. A published version's snapshot holds its package files, so it keeps
  the install it was published with.
- The AWS SDK for JavaScript v3, which AWS's Node.js runtimes include in
  `/var/runtime/node_modules`: the `@aws-sdk/*` packages a function's code imports (a static
  scan) and does not bring itself are installed on first use into one cache per Node.js major
  version that every function of the project shares, `.lambda/deps/aws-sdk-node<major>`.

Both go on `NODE_PATH` (see `environment.py`) in AWS's order: the function's packages first
(where its own `node_modules/` would be), then its layers, then the SDK. The runtime client
makes ES module imports search the same directories, as AWS's runtimes do since nodejs18.x.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..digests import sha256_hex
from .dependencies import DependencyError, staged
from .interpreters import Interpreter, npm_command

if TYPE_CHECKING:
    import subprocess

SDK_SCOPE = "@aws-sdk/"
"""The packages of the AWS SDK for JavaScript v3."""

SOURCE_SUFFIXES = (".js", ".mjs", ".cjs")
"""The files a function's imports are read from."""

_IMPORTED = re.compile(
    r"""(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s*|\bimport\s+)(['"])"""
    r"""(@aws-sdk/[a-z0-9][a-z0-9._-]*)(?:/[^'"]*)?\1"""
)
"""`require('x')`, `import('x')`, `import ... from 'x'`, `export ... from 'x'`, `import 'x'`."""


def major(node: Interpreter) -> str:
    return node.version.split(".", 1)[0]


def packages(
    code_dir: Path,
    state_dir: Path,
    node: Interpreter,
    *,
    content: tuple[bytes, bytes | None] | None = None,
    started: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Path | None:
    """The `node_modules` installed from `code_dir`'s package.json, installing it on first
    use; None when there is no package.json, it names no dependencies, or the code has its
    own `node_modules/`.

    `content`: install this package.json and package-lock.json (None: no lock file) rather
    than the code directory's (an empty package.json: none), as a held `$LATEST` does (see
    `versions.hold`). `started`: told the npm process as it starts, in a session of its own,
    so that the caller can stop it and all it started (see `dependencies.staged`).
    Raises `DependencyError` naming the file, with npm's own error."""
    spec = code_dir / "package.json"
    if (code_dir / "node_modules").is_dir():
        return None
    lock = code_dir / "package-lock.json"
    if content is None:
        if not spec.is_file():
            return None
        content = (spec.read_bytes(), lock.read_bytes() if lock.is_file() else None)
    elif not content[0].strip():
        return None
    manifest, locked = content
    if not _depends(manifest):
        return None  # often there only for `"type": "module"`
    where = f"\0node{major(node)}\0{os.uname().machine}"
    key = sha256_hex(manifest + b"\0" + (locked or b"") + where.encode())

    def command(staging: Path) -> list[str]:
        (staging / "package.json").write_bytes(manifest)
        if locked is not None:
            (staging / "package-lock.json").write_bytes(locked)
        verb = "ci" if locked is not None else "install"
        return [*npm_command(node.path), verb, "--omit=dev", *QUIET]

    target = staged(
        state_dir / "deps" / key[:32],
        command,
        failure=lambda: f"installing {spec} failed",
        started=started,
        env=npm_environment(node),
        in_staging=True,
        detail=npm_error,
    )
    modules = target / "node_modules"
    modules.mkdir(exist_ok=True)  # a package.json without dependencies
    return modules


def _depends(content: bytes) -> bool:
    """Whether a package.json names packages to install (one npm cannot read: npm says why)."""
    try:
        manifest = json.loads(content)
    except ValueError:
        return True
    if not isinstance(manifest, dict):
        return True
    return any(manifest.get(field) for field in ("dependencies", "optionalDependencies"))


QUIET = ("--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error")
"""npm's options for an install nobody watches: no audit, funding or update notices."""


def sdk(
    code_dir: Path,
    state_dir: Path,
    node: Interpreter,
    *,
    own: Sequence[Path] = (),
) -> Path | None:
    """The shared `node_modules` of AWS SDK packages, holding every `@aws-sdk/*` package
    `code_dir` imports that none of the `own` module directories (its packages, its layers')
    holds; None when it imports none. What is missing is installed with one `npm install`,
    one installer at a time (a lock beside the cache). Raises `DependencyError` naming the
    packages, with npm's own error (offline: the registry cannot be reached)."""
    wanted = [name for name in imported_sdk(code_dir) if not _held(name, own)]
    if not wanted:
        return None
    root = state_dir / "deps" / f"aws-sdk-node{major(node)}"
    modules = root / "node_modules"
    if not [name for name in wanted if not (modules / name / "package.json").is_file()]:
        return modules
    import fcntl
    import subprocess

    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = open(root.with_name(f"{root.name}.lock"), "w")  # noqa: SIM115 (held below)
    except OSError as exc:
        raise DependencyError(f"cannot make {root}: {exc}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [name for name in wanted if not (modules / name / "package.json").is_file()]
        if not missing:
            return modules
        manifest = root / "package.json"
        if not manifest.is_file():
            manifest.write_text(json.dumps({"name": "lambdactl-aws-sdk", "private": True}))
        done = subprocess.run(
            [*npm_command(node.path), "install", "--omit=dev", *QUIET, *missing],
            cwd=root,
            env=npm_environment(node),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise DependencyError(
                f"installing {', '.join(missing)} (the AWS SDK for JavaScript v3, which AWS's "
                f"Node.js runtimes include) failed: {npm_error(done.stderr)}",
                hint="lambdactl installs the SDK packages a function imports on first use; "
                "bring them in package.json to work offline",
            )
    return modules


def imported_sdk(code_dir: Path) -> list[str]:
    """The `@aws-sdk/*` packages the function's own sources (outside `node_modules/`)
    import or require, sorted. Read again only when a source changed (every cold start
    asks; a bundle can be megabytes)."""
    stamps = []
    for source in _sources(code_dir):
        try:
            stat = source.stat()
        except OSError:
            continue
        stamps.append((str(source), stat.st_mtime_ns, stat.st_size))
    known = _SCANNED.get(str(code_dir))
    if known is not None and known[0] == stamps:
        return known[1]
    found: set[str] = set()
    for name, _mtime, _size in stamps:
        try:
            text = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if SDK_SCOPE in text:
            found.update(match.group(2) for match in _IMPORTED.finditer(text))
    _SCANNED[str(code_dir)] = (stamps, sorted(found))
    return sorted(found)


_SCANNED: dict[str, tuple[list[tuple[str, int, int]], list[str]]] = {}
"""Code directory -> (its sources' paths, mtimes and sizes; what they import)."""


def _sources(code_dir: Path) -> Iterable[Path]:
    for directory, dirs, files in os.walk(code_dir):
        dirs[:] = [d for d in dirs if d != "node_modules" and not d.startswith(".")]
        for name in files:
            if name.endswith(SOURCE_SUFFIXES):
                yield Path(directory, name)


def _held(name: str, directories: Sequence[Path]) -> bool:
    return any((directory / name / "package.json").is_file() for directory in directories)


def module_dirs(code_dir: Path, layer_dirs: Sequence[Path], runtime_major: str) -> list[Path]:
    """Where a function's packages are besides the SDK cache: its own `node_modules/`, then
    its layers' (`nodejs/node<major>/node_modules`, `nodejs/node_modules`)."""
    dirs = [code_dir / "node_modules"]
    dirs += [layer / "nodejs" / f"node{runtime_major}" / "node_modules" for layer in layer_dirs]
    dirs += [layer / "nodejs" / "node_modules" for layer in layer_dirs]
    return dirs


def npm_error(stderr: str) -> str:
    """npm's own error in one line: its first `npm error` lines (`npm ERR!` up to npm 9),
    without the code, the stack, single words and where its log went."""
    kept = []
    for line in stderr.splitlines():
        text = re.sub(r"^npm (?:error|ERR!)\s?", "", line).strip()
        if " " not in text or text.startswith(("code ", "A complete log", "errno ", "at ")):
            continue
        if text.startswith(("syscall ", "path ", "command ", "signal ")):
            continue
        if text not in kept:
            kept.append(text)
    return "; ".join(kept[:3]) or "npm failed"


def npm_environment(node: Interpreter) -> dict[str, str]:
    """npm's environment: the chosen node first on PATH (install scripts run `node`)."""
    path = os.pathsep.join([str(Path(node.path).parent), os.environ.get("PATH", os.defpath)])
    return {**os.environ, "PATH": path, "npm_config_update_notifier": "false"}
