"""What a function can import besides its own code and layers.

- `requirements.txt` in the code directory is installed once (`pip install --target`) into
  `.lambda/deps/<hash>`, keyed by the file's content and the Python version, like `sam build`.
  A published version's snapshot holds its `requirements.txt`, so it keeps the install it
  was published with.
- boto3 and botocore, which AWS's managed runtime provides, are offered when lambdactl's own
  Python has them, through a directory holding only links to them and their dependencies:
  nothing else of lambdactl's environment becomes importable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from ..errors import LambdactlError
from .interpreters import Interpreter

PROVIDED_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
"""The AWS SDK and what it imports."""


class DependencyError(LambdactlError):
    """`pip install -r requirements.txt` failed."""

    exit_code = 8


def requirements(code_dir: Path, state_dir: Path, interpreter: Interpreter) -> Path | None:
    """The installed dependencies of `code_dir`, installing them on first use."""
    spec = code_dir / "requirements.txt"
    if not spec.is_file():
        return None
    import fcntl
    import subprocess
    import tempfile

    content = spec.read_bytes()
    python = interpreter.version.rsplit(".", 1)[0]
    key = hashlib.sha256(content + f"\0python{python}\0{os.uname().machine}".encode()).hexdigest()
    root = state_dir / "deps"
    target = root / key[:32]
    if (target / ".complete").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{key[:32]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer per requirements set at a time
        if (target / ".complete").exists():
            return target
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".install-"))
        done = subprocess.run(
            [
                interpreter.path,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-warn-script-location",
                "--target",
                str(staging),
                "-r",
                str(spec),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            detail = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise DependencyError(f"installing {spec} failed: {detail}")
        (staging / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    return target


def provided(state_dir: Path) -> Path | None:
    """A directory of links to boto3 & co. from lambdactl's Python, or None without boto3."""
    import importlib.util
    import tempfile

    if importlib.util.find_spec("boto3") is None:
        return None
    sources: dict[str, Path] = {}
    for name in PROVIDED_MODULES:
        found = importlib.util.find_spec(name)
        if found is None or found.origin is None:
            continue
        origin = Path(found.origin)
        sources[name] = origin.parent if origin.name == "__init__.py" else origin
    digest = hashlib.sha256(repr(sorted(sources.items())).encode()).hexdigest()[:16]
    target = state_dir / "runtime" / f"provided-{digest}"
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(dir=_mkdir(state_dir / "runtime"), prefix=".provided-"))
    for source in sources.values():
        (staging / source.name).symlink_to(source)
    try:
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process made it first
    return target


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
