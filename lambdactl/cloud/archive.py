"""Deterministic zips: the same files give the same bytes, so the same `CodeSha256`.

Entries are sorted by path, each dated 1980-01-01 00:00:00 (the earliest a zip holds), with
mode 0o755 when the file is executable (by anyone) and 0o644 otherwise, deflated at level 6;
no directory entries. This is exactly `code.package`'s format, so a function without
dependencies gets the `CodeSha256` its local `$LATEST` shows.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..code import write_zip
from ..digests import sha256_hex
from ..errors import StoreError


@dataclass(frozen=True)
class Written:
    """A zip written to disk: where, the hex SHA-256 of its bytes, its size, and the total
    size of its files once extracted."""

    path: Path
    sha256_hex: str
    size: int
    unzipped_size: int


def write(entries: Iterable[tuple[str, Path]], directory: Path) -> Written:
    """Zip `entries` ((posix path in the zip, file)) into `directory/<sha256 hex>.zip`.

    Written to a private temporary name and renamed into place: a reader never sees half a
    zip, and two builds of the same input race harmlessly (they write the same bytes).
    The zip made last time is reused while no entry was added, removed, resized, touched or
    chmod-ed (a `stat` per file, the inode change time included, as `code.package` does):
    a deploy with nothing changed does not deflate its dependencies again."""
    ordered = sorted(entries)
    signature = _signature(ordered)
    record = directory / "index" / f"{signature}.json" if signature else None
    known = _recall(record, directory)
    if known is not None:
        return known
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".zip-")
    except OSError as exc:
        raise StoreError.from_os(exc, directory) from None
    try:
        with os.fdopen(fd, "w+b") as out:
            unzipped = write_zip(ordered, out)
            out.seek(0)
            data = out.read()
        digest = sha256_hex(data)
        target = directory / f"{digest}.zip"
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError.from_os(exc, directory) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    written = Written(target, digest, len(data), unzipped)
    if record is not None:
        _remember(record, written)
    return written


FORMAT = 1
"""Part of every signature: a change of the zip's format must not reuse older zips."""


def _signature(entries: list[tuple[str, Path]]) -> str | None:
    """What the zip depends on, as far as `stat` tells; None when a file cannot be read
    (the build says which)."""
    described: list[object] = [FORMAT]
    for rel, path in entries:
        try:
            st = path.stat()
        except OSError:
            return None
        described.append((rel, str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode))
    return sha256_hex(repr(described).encode())


def _recall(record: Path | None, directory: Path) -> Written | None:
    if record is None:
        return None
    try:
        known = json.loads(record.read_text())
        target = directory / f"{known['sha256']}.zip"
        if target.stat().st_size != known["size"]:
            return None
        return Written(target, known["sha256"], known["size"], known["unzipped"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(record: Path, written: Written) -> None:
    """Best effort: without the record the next build zips again."""
    body = {"sha256": written.sha256_hex, "size": written.size, "unzipped": written.unzipped_size}
    try:
        record.parent.mkdir(exist_ok=True)
        tmp = record.with_name(f".{record.name}.{os.getpid()}")
        tmp.write_text(json.dumps(body))
        os.replace(tmp, record)
    except OSError:
        pass


