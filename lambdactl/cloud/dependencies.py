"""A function's `requirements.txt`, installed for Lambda's platform rather than this machine's.

`pip install --platform manylinux2014_x86_64|manylinux2014_aarch64 --only-binary=:all:
--python-version X.Y --implementation cp --target DIR -r requirements.txt`, as AWS's own
instructions for deployment packages say: only wheels built for Lambda's Linux are taken, so
what works locally from an sdist or a macOS wheel is refused here rather than failing on AWS.
The result is kept in `.lambda/cloud/deps/<key>/`, keyed by the file's content, the platform
and the Python version: a second build does not run pip at all.

pip's own configuration applies (pip.conf, `PIP_INDEX_URL`, `PIP_FIND_LINKS`, ...);
`LAMBDACTL_PIP_OPTIONS` or the `pip_options` argument add options to this install only
(`--no-index --find-links ./wheels` to build offline).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from ..digests import sha256_hex
from ..errors import UsageError
from ..runtime.dependencies import install
from ..runtime.interpreters import Interpreter

PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
"""pip's platform tag for each of Lambda's architectures."""

PIP_OPTIONS_ENV = "LAMBDACTL_PIP_OPTIONS"
"""Extra options for deploy's pip installs, shell-quoted."""


def platform(architecture: str) -> str:
    """pip's `--platform` for a Lambda architecture; a `UsageError` for any other."""
    try:
        return PLATFORMS[architecture]
    except KeyError:
        raise UsageError(
            f"unknown architecture {architecture!r}: Lambda's are {', '.join(PLATFORMS)}"
        ) from None


def installed(
    requirements: Path,
    state_dir: Path,
    *,
    what: str,
    architecture: str,
    python_version: str,
    pip_options: Sequence[str] = (),
) -> Path | None:
    """The directory `requirements` installs into for Lambda (None: it names nothing),
    installing on first use. `what` names the owner in errors ("function orders").

    Raises `DependencyError` (`what`, then pip's last line) when pip fails: a package with
    no wheel for the platform, a name that does not exist, no network."""
    try:
        content = requirements.read_bytes()
    except OSError as exc:
        raise UsageError(f"{what}: cannot read {requirements}: {exc.strerror}") from None
    if not _names_anything(content):
        return None
    tag = platform(architecture)
    key = sha256_hex(content + f"\0{tag}\0{python_version}\0cp".encode())[:32]
    target = state_dir / "cloud" / "deps" / key
    options = [*pip_options, *shlex.split(os.environ.get(PIP_OPTIONS_ENV, ""))]

    def arguments() -> list[str]:
        return [
            "--platform", tag,
            "--only-binary=:all:",
            "--python-version", python_version,
            "--implementation", "cp",
            "--no-compile",  # .pyc files hold timestamps: the zip would differ every build
            *options,
            "-r", str(requirements),
        ]  # fmt: skip

    installed = install(
        Interpreter(sys.executable, python_version),
        target,
        arguments,
        failure=lambda: f"{what}: pip could not install {requirements.name} for Lambda "
        f"({tag}, Python {python_version})",
    )
    _portable_scripts(installed / "bin")
    return installed


LAMBDA_SHEBANG = b"#!/usr/bin/env python3"
"""What the scripts pip writes start with in a package: Lambda's Python is on its PATH."""


def _portable_scripts(directory: Path) -> None:
    """Point the scripts pip generated (`bin/`) at Lambda's Python, not at this machine's
    (pip writes its own interpreter's path): the zip would work on no Lambda, and differ from
    one machine to the next. Idempotent; the scripts are rewritten once."""
    try:
        scripts = [entry for entry in os.scandir(directory) if entry.is_file()]
    except OSError:
        return  # no scripts
    for entry in scripts:
        with open(entry.path, "rb") as script:
            first, _, rest = script.read().partition(b"\n")
        if not first.startswith(b"#!") or b"python" not in first or first == LAMBDA_SHEBANG:
            continue
        tmp = f"{entry.path}.{os.getpid()}.tmp"  # two builds may rewrite it at once
        with open(tmp, "wb") as out:
            out.write(LAMBDA_SHEBANG + b"\n" + rest)
        os.chmod(tmp, entry.stat().st_mode)
        os.replace(tmp, entry.path)


def _names_anything(content: bytes) -> bool:
    """Whether a requirements file has a line that is neither blank nor a comment."""
    lines = (line.split(b"#", 1)[0].strip() for line in content.splitlines())
    return any(lines)
