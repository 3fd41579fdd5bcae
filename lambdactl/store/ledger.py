"""Recovery records: published versions, aliases and functions created through the API, once
more, as plain files in `.lambda/ledger/`.

The state database is their home; the ledger is what `lambdactl doctor --repair` rebuilds them
from when that database is lost (the code snapshots alone say nothing about version numbers or
configuration). One file per fact, each written once under a temporary name and renamed into
place, so a reader finds a whole record or none:

    ledger/FUNCTION/versions/N.json        version N's record, as publishing stored it
    ledger/FUNCTION/versions/N.deleted     version N was deleted (its number stays used)
    ledger/FUNCTION/aliases/NAME.json      the alias's record as last written (gone when deleted)
    ledger/FUNCTION/function.json          a function created through the API: its record as
                                           last written (the whole directory goes when the
                                           function is deleted)

Files are written after the database commits. A version's record never changes, so its file
is exact; an alias's file is the last write that reached it (two processes changing the same
alias at the same moment may leave the earlier one).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import StoreError
from .base import Record

DIR_NAME = "ledger"
FUNCTION_FILE = "function.json"


class Ledger:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / DIR_NAME
        self.unreadable: list[Path] = []
        """Record files the last reads skipped (not JSON, or unreadable)."""

    # -- writing ------------------------------------------------------------------------------

    def record_version(self, function: str, number: int, record: Record) -> None:
        self._write(self._versions(function) / f"{number}.json", record)

    def record_deletion(self, function: str, number: int) -> None:
        self._write(self._versions(function) / f"{number}.deleted", {})

    def record_alias(self, function: str, record: Record) -> None:
        self._write(self._aliases(function) / f"{record['name']}.json", record)

    def forget_alias(self, function: str, name: str) -> None:
        try:
            (self._aliases(function) / f"{name}.json").unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot remove the recovery record of alias {name}: {exc}") from None

    def record_function(self, function: str, record: Record) -> None:
        self._write(self.root / function / FUNCTION_FILE, record)

    def forget_function(self, function: str) -> None:
        """Every record of `function` (deleted, so a rebuilt state must not bring it back)."""
        try:
            shutil.rmtree(self.root / function)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot remove the recovery records of {function}: {exc}") from None

    # -- reading ------------------------------------------------------------------------------

    def function(self, function: str) -> Record | None:
        """The record of a function created through the API; None for a declared one."""
        path = self.root / function / FUNCTION_FILE
        return self._read(path) if path.exists() else None

    def functions(self) -> list[str]:
        """Functions with any record, by name."""
        try:
            return sorted(entry.name for entry in self.root.iterdir() if entry.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def numbers(self, function: str) -> set[int]:
        """The version numbers with a record (deleted ones included), without reading them."""
        names = (p.name.partition(".") for p in _files(self._versions(function)))
        return {int(n) for n, _, kind in names if n.isdigit() and kind in ("json", "deleted")}

    def versions(self, function: str) -> dict[int, Record | None]:
        """Recorded versions by number; None for one recorded as deleted."""
        found: dict[int, Record | None] = {}
        for path in _files(self._versions(function)):
            number, _, kind = path.name.partition(".")
            if not number.isdigit() or kind not in ("json", "deleted"):
                continue
            if kind == "deleted":
                found[int(number)] = None
            elif int(number) not in found and (record := self._read(path)) is not None:
                found[int(number)] = record
        return dict(sorted(found.items()))

    def digests(self) -> set[str]:
        """Every code or layer snapshot a version record names, deleted versions' included."""
        named = set()
        for function in self.functions():
            created = self.function(function)
            if created is not None:
                named.add(created.get("code", {}).get("sha256"))
            for path in _files(self._versions(function)):
                if path.suffix == ".json" and (record := self._read(path)) is not None:
                    named.add(record.get("code", {}).get("sha256"))
                    named.update(x.get("sha256") for x in record.get("layers", []))
        return {digest for digest in named if isinstance(digest, str)}

    def aliases(self, function: str) -> list[Record]:
        """Recorded aliases, by name."""
        paths = [p for p in _files(self._aliases(function)) if p.suffix == ".json"]
        return [r for p in sorted(paths) if (r := self._read(p)) is not None]

    # -- helpers ------------------------------------------------------------------------------

    def _versions(self, function: str) -> Path:
        return self.root / function / "versions"

    def _aliases(self, function: str) -> Path:
        return self.root / function / "aliases"

    def _read(self, path: Path) -> Record | None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        if not isinstance(record, dict):
            self.unreadable.append(path)
            return None
        return record

    @staticmethod
    def _write(path: Path, record: Record) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".record-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(record, out, sort_keys=True)
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"cannot write the recovery record {path}: {exc}") from None


def _files(directory: Path) -> list[Path]:
    try:
        return [entry for entry in directory.iterdir() if not entry.name.startswith(".")]
    except (FileNotFoundError, NotADirectoryError):  # none yet, or damaged: nothing to read
        return []
