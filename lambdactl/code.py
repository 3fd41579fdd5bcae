"""A code directory as Lambda sees it: the file set, its deterministic zip and `CodeSha256`.

The zip depends only on relative paths, contents and the executable bit, so the same tree gives
the same `CodeSha256` whatever the mtimes, owners or directory listing order.
"""

from __future__ import annotations

import base64
import fnmatch
import io
import os
import re
import stat
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .digests import sha256_hex
from .errors import UsageError, given_bytes, utf8_problem

ALWAYS_IGNORED_DIRS = frozenset({"__pycache__", ".git", ".lambda"})
"""Directory names never packaged."""

IGNORE_FILE = ".lambdaignore"
"""Per code-directory file of gitignore-syntax patterns to leave out."""

EDITOR_FILES = (
    "*.swp", "*.swo", "*.swn", "*.swx", "*~", ".#*", "#*#", "4913",
    "*___jb_tmp___", "*___jb_old___", ".goutputstream-*", "*.kate-swp",
)  # fmt: skip
"""Names of the files editors keep beside the one being edited, never packaged: vim's swap
files (`.app.py.swp`, `.swo`...), the file it creates to test that a directory is writable
(`4913`) and its backups (`app.py~`, as Emacs's); Emacs's lock (`.#app.py`) and auto-save
(`#app.py#`) files; JetBrains' safe-write files, gedit's and Kate's. They come and go while a
file is open or being saved: packaged, they would make the code's digest (and `$LATEST`'s
RevisionId) depend on whether an editor has the file open, and each save a cold start."""

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""Every entry gets this timestamp: the earliest a zip can hold."""
COMPRESS_LEVEL = 6
"""zlib's default (the level is part of the bytes, and so of the digest)."""


@dataclass(frozen=True)
class Package:
    """A packaged code directory."""

    zip_bytes: bytes
    sha256_hex: str
    file_count: int

    @property
    def code_sha256(self) -> str:
        return code_sha256(self.sha256_hex)

    @property
    def size(self) -> int:
        return len(self.zip_bytes)


def code_sha256(sha256_hex: str) -> str:
    """AWS's `CodeSha256`: base64 of the zip's SHA-256 (we key blobs by its hex form)."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()


def files(directory: Path) -> list[tuple[str, Path]]:
    """The files to package, as sorted (posix relative path, real path) pairs.

    Leaves out `__pycache__`, `*.pyc`, `.git`, `.lambda`, editors' files (`EDITOR_FILES`) and
    what `.lambdaignore` names.
    Symlinked directories are followed once; a cycle is not followed twice.
    """
    return [(rel, path) for rel, path, _stat in _scan(directory)]


def _scan(directory: Path) -> list[tuple[str, Path, os.stat_result]]:
    """`files`, with each file's stat (one `stat` per file, as cheap as a walk gets)."""
    root = directory if directory.is_absolute() else directory.resolve()
    spec, dir_spec = _ignore_specs(root)
    found: list[tuple[str, Path, os.stat_result]] = []
    seen: set[tuple[int, int]] = set()
    pending = [(str(root), "")]
    while pending:
        current, prefix = pending.pop()
        try:
            top = os.stat(current)
            entries = list(os.scandir(current))
        except OSError:
            continue
        if (top.st_dev, top.st_ino) in seen:
            continue  # a symlink cycle, or a directory reached twice
        seen.add((top.st_dev, top.st_ino))
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_dir = entry.is_dir()  # follows symlinks, like os.walk(followlinks=True)
            except OSError:
                continue
            if is_dir:
                if entry.name in ALWAYS_IGNORED_DIRS:
                    continue
                if dir_spec is not None and dir_spec.match_file(rel + "/"):
                    continue
                pending.append((entry.path, rel + "/"))
                continue
            if _unpackaged(entry.name) or (spec is not None and spec.match_file(rel)):
                continue
            try:
                stat_result = entry.stat()
            except OSError:
                continue
            if stat.S_ISREG(stat_result.st_mode):
                found.append((rel, Path(entry.path), stat_result))
    found.sort(key=lambda item: item[0])
    return found


_EDITOR_FILE = re.compile("|".join(fnmatch.translate(pattern) for pattern in EDITOR_FILES))


def editor_file(name: str) -> bool:
    """Whether the file name `name` is one of an editor's own (`EDITOR_FILES`)."""
    return _EDITOR_FILE.match(name) is not None


def _unpackaged(name: str) -> bool:
    return name.endswith(".pyc") or editor_file(name)


def left_out(root: Path, path: str) -> bool:
    """Whether `path` (at or below the code directory `root`, both real paths) is no part of
    `root`'s package, whatever it is (it may be gone): inside `__pycache__`, `.git` or
    `.lambda`, a `.pyc`, an editor's file, or what `.lambdaignore` excludes. A watcher asks
    this of each file-system event, so that only what can change the package counts."""
    relative = os.path.relpath(path, root)
    if relative == "." or relative.startswith(".."):
        return False
    parts = relative.split(os.sep)
    if any(part in ALWAYS_IGNORED_DIRS for part in parts) or _unpackaged(parts[-1]):
        return True
    if relative == IGNORE_FILE:
        return False  # its edits change what is left out
    try:
        spec, dir_spec = _ignore_specs_cached(root)
    except UsageError:
        return False  # unreadable: the packaging says so
    if spec is None:
        return False
    posix = "/".join(parts)
    if spec.match_file(posix):
        return True
    return any(dir_spec.match_file("/".join(parts[:i]) + "/") for i in range(1, len(parts)))


_specs: dict[Path, tuple[tuple[int, int, int] | None, tuple[object, object]]] = {}


def _ignore_specs_cached(root: Path):  # type: ignore[no-untyped-def]
    """`_ignore_specs(root)`, read again only when `.lambdaignore` changed."""
    try:
        st = os.stat(root / IGNORE_FILE)
        stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_ctime_ns, st.st_size)
    except OSError:
        stamp = None
    with _recent_lock:
        known = _specs.get(root)
    if known is not None and known[0] == stamp:
        return known[1]
    specs = _ignore_specs(root) if stamp is not None else (None, None)
    with _recent_lock:
        _specs[root] = (stamp, specs)
    return specs


_recent: dict[Path, tuple[tuple[tuple[str, int, int, int, int], ...], Package]] = {}
_recent_lock = threading.Lock()


def package(directory: Path) -> Package:
    """Zip `directory` deterministically. Raises `UsageError` if a file cannot be read.

    The last result per directory is reused while no file was added, removed, resized,
    touched or chmod-ed: a warm `$LATEST` invoke must not re-zip the tree every time. The
    inode change time is part of the check, because a write cannot hide from it the way
    a restored mtime can.
    """
    scanned = _scan(directory)
    signature = tuple(
        (rel, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_mode) for rel, _p, st in scanned
    )
    with _recent_lock:
        known = _recent.get(directory)
    if known and known[0] == signature:
        return known[1]
    built = _zip([(rel, path) for rel, path, _st in scanned])
    with _recent_lock:
        _recent[directory] = (signature, built)
    return built


def _zip(entries: list[tuple[str, Path]]) -> Package:
    buffer = io.BytesIO()
    write_zip(entries, buffer)
    data = buffer.getvalue()
    return Package(data, sha256_hex(data), len(entries))


def write_zip(entries: Iterable[tuple[str, Path]], out: IO[bytes]) -> int:
    """Write `entries` (name in the zip, file) to `out` as a zip whose bytes depend on the
    files' names, contents and exec bits only (fixed dates, fixed permissions, one level of
    compression): what lambdactl packages and what `deploy` uploads. The bytes the files
    hold, unzipped."""
    unzipped = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, path in entries:
            try:
                data = path.read_bytes()
                mode = path.stat().st_mode
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc.strerror}") from None
            if not rel.isascii() and utf8_problem(given_bytes(rel)):
                raise UsageError(
                    f"{path}: the file name is not UTF-8, which a zip (and AWS) needs",
                    hint="rename it, or leave it out with .lambdaignore",
                )
            info = zipfile.ZipInfo(rel, date_time=ZIP_EPOCH)
            info.create_system = 3  # unix, so external_attr carries permission bits
            executable = mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=COMPRESS_LEVEL)
            unzipped += len(data)
    return unzipped


def _ignore_specs(root: Path):  # type: ignore[no-untyped-def]
    """(file patterns, directory patterns) from `.lambdaignore`, or (None, None).

    As in git, an excluded directory's files cannot be re-included, so directories are
    pruned; but `a/**` matches only what is inside `a`, never `a` itself, which for the
    directory decision means `a/*`.
    """
    ignore = root / IGNORE_FILE
    if not ignore.is_file():
        return None, None
    import pathspec  # lazily: only projects with a .lambdaignore pay for it

    try:  # patterns keep bytes that are not UTF-8 as file names do, so they match them
        lines = ignore.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {ignore}: {exc.strerror}") from None
    directory_lines = [line[:-1] if line.rstrip().endswith("/**") else line for line in lines]
    return (
        pathspec.GitIgnoreSpec.from_lines(lines),
        pathspec.GitIgnoreSpec.from_lines(directory_lines),
    )
