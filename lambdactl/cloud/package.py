"""Deployment packages: what `deploy` uploads for a function, a published version or a layer.

A function's package is its code directory as its `$LATEST` sees it (`.lambdaignore` and
what `code.files` always leaves out are honoured) plus its `requirements.txt` installed for
Lambda's platform (`cloud.dependencies`), side by side at the zip's root as AWS's Python
runtimes expect; on a clash the code's file wins (noted in `Package.notes`). A Node.js
function's `package.json` is installed for production instead (`cloud.node_modules`), as
`node_modules/` at the zip's root, where Node resolves it from `/var/task`; a code directory
that holds its own `node_modules/` is packaged as it is, npm not run (noted). boto3 is kept
when requirements.txt names it: AWS's runtimes provide one, but a pinned one is the user's
choice, and it wins on AWS too (the code's directory comes first on `sys.path`).

Zips are deterministic (`cloud.archive`): the same input gives the same bytes and the same
`CodeSha256`, whatever the machine, the mtimes or the copy. Without dependencies the package
is byte for byte the zip lambdactl computes locally, so the remote `CodeSha256` equals the
local one. Each zip is kept in `.lambda/cloud/build/<sha256 hex>.zip`.

AWS's limits are checked here, before any upload: 50 MB zipped (uploaded directly) and
250 MB unzipped, the function's layers counted.
"""

from __future__ import annotations

import base64
import os
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import code as code_module
from .. import versions
from ..errors import (
    InvalidParameterValueException,
    RequestEntityTooLargeException,
    StoreError,
    UsageError,
)
from ..project import Project
from . import archive, dependencies, node_modules

CODE_SIZE_ZIPPED = 52_428_800
"""AWS's CodeSizeZipped: the largest zip uploaded directly (50 MB)."""

CODE_SIZE_UNZIPPED = 262_144_000
"""AWS's CodeSizeUnzipped: a function's package and layers once extracted (250 MB)."""

REQUEST_LIMIT = 69_905_067
"""The request size AWS names when a zip over 50 MB is uploaded directly (its base64)."""

DEFAULT_ARCHITECTURE = "x86_64"
"""A function's architecture when it names none, as on AWS."""

REQUIREMENTS = "requirements.txt"


@dataclass(frozen=True)
class Package:
    """A deployment package on disk."""

    path: Path
    """The zip, under `.lambda/cloud/build/`, named by the hex SHA-256 of its bytes."""
    sha256: str
    """Base64 of the SHA-256 of the zip's bytes: AWS's CodeSha256."""
    size: int
    unzipped_size: int = 0
    """What its files take once extracted (layers not counted)."""
    notes: tuple[str, ...] = ()
    """What the user should hear about (a code file that replaced an installed one)."""

    @property
    def sha256_hex(self) -> str:
        return self.path.stem

    def read(self) -> bytes:
        """The zip's bytes (what `ZipFile=` takes)."""
        return self.path.read_bytes()


def function_zip(
    project: Project,
    name: str,
    *,
    architecture: str | None = None,
    python_version: str | None = None,
    pip_options: Sequence[str] = (),
) -> Package:
    """The function's deployment package, from its code directory as `$LATEST` sees it.

    `architecture`: x86_64 or arm64 (None: the function's own, x86_64 when it names none);
    `python_version`: "3.12" (None: its runtime's); `pip_options`: more options for pip
    (`["--no-index", "--find-links", DIR]`). A function created through the API is its zip.
    """
    spec = project.function(name)
    stored = None
    code_dir = spec.code
    if spec.upload is not None:
        stored = project.blobs.zip_path(spec.upload.sha256_hex)
        code_dir = _tree(project, spec.upload.sha256_hex)
    return _build(
        project,
        f"function {name}",
        code_dir,
        stored=stored,
        runtime=spec.config.runtime,
        layers=spec.layers,
        architecture=architecture or _architecture(spec.config.architectures),
        python_version=python_version,
        pip_options=pip_options,
    )


def version_zip(
    project: Project,
    name: str,
    version: str,
    *,
    architecture: str | None = None,
    python_version: str | None = None,
    pip_options: Sequence[str] = (),
) -> Package:
    """The same for a published version: its frozen code snapshot (its requirements.txt
    included), whatever the working tree holds now. `$LATEST` is `function_zip`'s."""
    if version == versions.LATEST:
        return function_zip(
            project,
            name,
            architecture=architecture,
            python_version=python_version,
            pip_options=pip_options,
        )
    found = versions.get(project, name, version)  # AWS's not-found error when it is not
    digest = base64.b64decode(found.code_sha256).hex()
    return _build(
        project,
        f"function {name} version {version}",
        _tree(project, digest),
        stored=project.blobs.zip_path(digest),
        runtime=found.config.runtime,
        layers=tuple(layer.directory for layer in found.layers),
        architecture=architecture or _architecture(found.config.architectures),
        python_version=python_version,
        pip_options=pip_options,
    )


def layer_zip(
    project: Project,
    layer_dir: Path,
    *,
    architecture: str | None = None,
    python_version: str | None = None,
    pip_options: Sequence[str] = (),
) -> Package:
    """A layer directory as AWS wants it: its files at the zip's root, as given (`python/`,
    `bin/`, `lib/`...). Nothing is installed into a layer (its files are what it runs with
    locally too); the keyword options are taken for symmetry and checked only."""
    if architecture is not None:
        dependencies.platform(architecture)
    del python_version, pip_options
    what = f"layer {layer_dir.name}"
    if not layer_dir.is_dir():
        raise UsageError(f"{what}: its directory {layer_dir} does not exist")
    entries = code_module.files(layer_dir)
    _check_unzipped(_sizes(entries), what, ())
    written = archive.write(entries, _build_dir(project))
    return _checked(_package(written), what, "PublishLayerVersion")


def _build(
    project: Project,
    what: str,
    code_dir: Path,
    *,
    stored: Path | None,
    runtime: str,
    layers: Sequence[Path],
    architecture: str,
    python_version: str | None,
    pip_options: Sequence[str],
) -> Package:
    dependencies.platform(architecture)  # an unknown one is refused even without requirements
    if not code_dir.is_dir():
        raise UsageError(f"{what}: its code directory {code_dir} does not exist")
    installed = None
    notes: list[str] = []
    requirements = code_dir / REQUIREMENTS
    if runtime.startswith("nodejs"):
        if node_modules.wanted(code_dir):
            installed = node_modules.installed(
                code_dir,
                project.manifest.state_dir,
                what=what,
                architecture=architecture,
                runtime=runtime,
            )
        elif (code_dir / "node_modules").is_dir():
            notes.append(f"{what}: its own node_modules/ is packaged as it is (npm not run)")
    if requirements.is_file():
        version = python_version or _python_version(runtime)
        if version is None:
            notes.append(f"{what}: {REQUIREMENTS} not installed: {runtime} is not a Python runtime")
        else:
            installed = dependencies.installed(
                requirements,
                project.manifest.state_dir,
                what=what,
                architecture=architecture,
                python_version=version,
                pip_options=pip_options,
            )
    if installed is None and stored is not None and stored.is_file():
        written = _copy(stored, _build_dir(project))
        _check_unzipped(written.unzipped_size, what, layers)
    else:
        entries = dict(code_module.files(code_dir))
        prefix = "node_modules/" if installed and installed.name == "node_modules" else ""
        for found, path in _installed_files(installed) if installed else ():
            rel = prefix + found
            if rel in entries:
                source = "package.json" if runtime.startswith("nodejs") else REQUIREMENTS
                notes.append(f"{what}: {rel} is the code's, not the one {source} installed")
                continue
            entries[rel] = path
        _check_unzipped(_sizes(entries.items()), what, layers)  # before deflating it all
        written = archive.write(entries.items(), _build_dir(project))
    return _checked(_package(written, tuple(notes)), what, "CreateFunction")


def _installed_files(directory: Path) -> list[tuple[str, Path]]:
    """What pip or npm put in `directory`, as (posix relative path, file); its `.complete` marker
    and any `__pycache__` left out."""
    found = []
    for current, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        relative = os.path.relpath(current, directory)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for file in files:
            if prefix or file != ".complete":
                found.append((prefix + file, Path(current) / file))
    return found


def _checked(package: Package, what: str, operation: str) -> Package:
    """`package`, or AWS's error for a zip too large to upload directly (sizes in the hint)."""
    if package.size > CODE_SIZE_ZIPPED:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {REQUEST_LIMIT} bytes for the {operation} operation",
            hint=f"{what}: its zip is {package.size} bytes, over the {CODE_SIZE_ZIPPED} bytes "
            "(50 MB) AWS takes uploaded directly; leave files out with .lambdaignore",
        )
    return package


def _check_unzipped(own: int, what: str, layers: Sequence[Path]) -> None:
    """AWS's error when `own` bytes and the layers' files pass 250 MB."""
    layered = sum(_sizes(code_module.files(layer)) for layer in layers)
    if own + layered > CODE_SIZE_UNZIPPED:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {CODE_SIZE_UNZIPPED} bytes",
            hint=f"{what}: {own} bytes unzipped, {layered} more in its layers, over AWS's "
            f"{CODE_SIZE_UNZIPPED} (250 MB)",
        )


def _sizes(entries: Iterable[tuple[str, Path]]) -> int:
    """The files' total size (one that cannot be read counts 0: the zip says which)."""
    total = 0
    for _rel, path in entries:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


def _package(written: archive.Written, notes: tuple[str, ...] = ()) -> Package:
    sha256 = code_module.code_sha256(written.sha256_hex)
    return Package(written.path, sha256, written.size, written.unzipped_size, notes)


def _copy(stored: Path, directory: Path) -> archive.Written:
    """A stored snapshot zip (named by its digest) as a build: the same bytes."""
    digest = stored.stem
    target = directory / stored.name
    try:
        if not target.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            tmp = directory / f".copy-{os.getpid()}-{digest}"
            shutil.copyfile(stored, tmp)
            os.replace(tmp, target)
        with zipfile.ZipFile(target) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
    except OSError as exc:
        raise StoreError.from_os(exc, target) from None
    return archive.Written(target, digest, target.stat().st_size, unzipped)


def _tree(project: Project, digest: str) -> Path:
    """A snapshot's tree, extracted again from its zip when it went missing."""
    tree = project.blobs.tree(digest)
    if not tree.is_dir() and not project.blobs.rebuild_tree(digest):
        raise StoreError(
            f"the code snapshot {digest[:12]} is missing from {project.blobs.root}",
            hint="lambdactl doctor --repair",
        )
    return tree


def _build_dir(project: Project) -> Path:
    return project.manifest.state_dir / "cloud" / "build"


def _architecture(architectures: Sequence[str]) -> str:
    return architectures[0] if architectures else DEFAULT_ARCHITECTURE


def _python_version(runtime: str) -> str | None:
    """`python3.12` -> `3.12`; None for a runtime that is not Python's."""
    if runtime.startswith("python"):
        return runtime.removeprefix("python")
    return None
