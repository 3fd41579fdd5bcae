"""What a function can import besides its own code and layers.

- `requirements.txt` in the code directory is installed once (`pip install --target`) into
  `.lambda/deps/<hash>`, keyed by the file's content and the Python version, like `sam build`.
  A published version's snapshot holds its `requirements.txt`, so it keeps the install it
  was published with.
- boto3, which AWS's managed Python runtimes include, is offered with exactly its closure
  (botocore, s3transfer, jmespath, python-dateutil, six, urllib3 today), taken from lambdactl's
  own Python (boto3 is one of lambdactl's dependencies): a directory in `.lambda/runtime/`
  holds links to those distributions' top-level modules and `.dist-info` directories, and
  nothing else of lambdactl's environment becomes importable. It goes last on `sys.path`,
  after the code, its requirements and its layers, so a function that brings its own boto3
  gets that one, as on AWS.

Node.js functions' counterparts (package.json, the AWS SDK for JavaScript) are in `npm.py`,
which installs through `staged` as pip does here.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import cache
from ..digests import sha256_hex
from ..errors import LambdactlError
from .interpreters import Interpreter

if TYPE_CHECKING:
    import subprocess
    from importlib.metadata import Distribution

SDK_DISTRIBUTION = "boto3"
"""What AWS's Python runtimes provide: this distribution and everything it requires."""


class DependencyError(LambdactlError):
    """`pip install -r requirements.txt` failed."""

    exit_code = 8


def requirements(
    code_dir: Path,
    state_dir: Path,
    interpreter: Interpreter,
    *,
    content: bytes | None = None,
    started: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Path | None:
    """The installed dependencies of `code_dir`, installing them on first use.

    `content`: install this requirements.txt rather than the one in `code_dir` (empty:
    none), as a held `$LATEST` does (see `versions.hold`). `started`: told the pip process as
    it starts, which runs in a session of its own, so that the caller can stop it and
    everything it started (the dev loop's installs in the background)."""
    spec = code_dir / "requirements.txt"
    if content is None:
        if not spec.is_file():
            return None
        content = spec.read_bytes()
    elif not content.strip():
        return None
    python = interpreter.version.rsplit(".", 1)[0]
    key = sha256_hex(content + f"\0python{python}\0{os.uname().machine}".encode())
    root = state_dir / "deps"

    def arguments() -> list[str]:
        named = spec
        if not named.is_file() or named.read_bytes() != content:  # the file says otherwise now
            named = root / f"{key[:32]}.txt"
            named.write_bytes(content)
        return ["-r", str(named)]

    return install(
        interpreter,
        root / key[:32],
        arguments,
        failure=lambda: f"installing {spec} failed",
        started=started,
    )


def install(
    interpreter: Interpreter,
    target: Path,
    arguments: Callable[[], list[str]],
    *,
    failure: Callable[[], str],
    started: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Path:
    """`target`, holding what `pip install --target` makes of `arguments()` for
    `interpreter`, installed on first use (see `staged`). Raises `DependencyError`:
    `failure()`, then pip's last line."""

    def command(staging: Path) -> list[str]:
        return [
            interpreter.path,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            "--target",
            str(staging),
            *arguments(),
        ]

    return staged(target, command, failure=failure, started=started)


def staged(
    target: Path,
    command: Callable[[Path], list[str]],
    *,
    failure: Callable[[], str],
    started: Callable[[subprocess.Popen[str]], None] | None = None,
    env: dict[str, str] | None = None,
    in_staging: bool = False,
    detail: Callable[[str], str] | None = None,
) -> Path:
    """`target`, made on first use by the installer `command(staging)` (run in `staging`
    when `in_staging`, with `env` when given). One installer at a time per target (a lock
    file beside it; `command` is called under it); staged beside it and renamed into place,
    so a failed or interrupted install leaves nothing behind. `started` is told the
    installer's process, which runs in a session of its own, so that the caller can stop it
    and all it started. Raises `DependencyError`: `failure()`, then `detail(stderr)` (the
    last line of it by default)."""
    import fcntl
    import subprocess
    import tempfile

    if (target / ".complete").exists():
        return target
    root = target.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = open(root / f"{target.name}.lock", "w")  # noqa: SIM115 (held below)
    except OSError as exc:
        raise DependencyError(f"{failure()}: {exc}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return target
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".install-"))
        try:
            process = subprocess.Popen(
                command(staging),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=staging if in_staging else None,
                env=env,
                start_new_session=started is not None,
            )
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise DependencyError(f"{failure()}: {exc}") from None
        if started is not None:
            started(process)
        _out, stderr = process.communicate()
        if process.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            last = (stderr.strip().splitlines() or ["the installer failed"])[-1]
            raise DependencyError(f"{failure()}: {detail(stderr) if detail else last}")
        (staging / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    return target


def provided(state_dir: Path) -> Path | None:
    """A directory of links to boto3 and its closure from lambdactl's Python, or None when
    boto3 is not installed.

    Finding the closure reads package metadata (~30 ms), so the answer is remembered in
    `.lambda/runtime/`, keyed by this Python, its `sys.path` and the modification time of
    every directory on it: installing, upgrading or removing a package changes its
    directory's, and the next call looks again. One record per `sys.path` (`lambdactl` and
    `python -m lambdactl` differ in its first entry), so that they do not undo each other's.
    """
    runtime_dir = state_dir / "runtime"
    where = repr([sys.executable, sys.version, sys.path]).encode()
    record = runtime_dir / f"provided-{sha256_hex(where)[:16]}.json"
    key = [sys.executable, sys.version, [[entry, cache.stamp(entry or ".")] for entry in sys.path]]
    remembered = cache.recall(record, key) or {}
    if "dir" in remembered and remembered["dir"] is None:
        return None  # no boto3 here
    if isinstance(remembered.get("dir"), str) and Path(remembered["dir"]).is_dir():
        return Path(remembered["dir"])
    links = sdk_links()
    target = _link_directory(runtime_dir, links) if links else None
    cache.save(record, key, {"dir": target and str(target)})
    return target


def sdk_links() -> dict[str, Path]:
    """Top-level modules and metadata directories of boto3 and every distribution it
    requires (recursively; optional extras left out): link name -> installed path."""
    from importlib import metadata

    links: dict[str, Path] = {}
    seen: set[str] = set()
    wanted = [SDK_DISTRIBUTION]
    while wanted:
        name = _normalized(wanted.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed
        links.update(_top_level(dist))
        for requirement in dist.requires or ():
            requirement_name, _, marker = requirement.partition(";")
            if "extra" in marker:
                continue
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement_name)
            if found:
                wanted.append(found.group(1))
    return links


def _top_level(dist: Distribution) -> dict[str, Path]:
    """What a distribution puts at the top of site-packages: packages, modules, metadata."""
    from importlib.machinery import EXTENSION_SUFFIXES

    names: set[str] = set()
    for file in dist.files or ():
        parts = file.parts
        if len(parts) > 1 and parts[0] not in ("..", "__pycache__") and "." not in parts[0]:
            names.add(parts[0])  # a package
        elif len(parts) > 1 and parts[0].endswith((".dist-info", ".egg-info")):
            names.add(parts[0])
        elif len(parts) == 1 and parts[0].endswith((".py", *EXTENSION_SUFFIXES)):
            names.add(parts[0])  # a single-file module, like six.py
    found = {name: Path(str(dist.locate_file(name))) for name in sorted(names)}
    return {name: path for name, path in found.items() if path.exists()}


def _link_directory(runtime_dir: Path, links: dict[str, Path]) -> Path:
    """`runtime_dir/provided-<digest of the links>`, made once."""
    import tempfile

    digest = sha256_hex(repr(sorted(links.items())).encode())[:16]
    target = runtime_dir / f"provided-{digest}"
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(dir=_mkdir(runtime_dir), prefix=".provided-"))
    for name, source in links.items():
        (staging / name).symlink_to(source)
    try:
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process made it first
    return target


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
