"""Content-addressed code snapshots: `code/<sha256>.zip` and its read-only tree `code/<sha256>/`.

Writers race safely: each writes to a private temporary name and renames into place; a name
that already exists holds the same content, so the loser just discards its copy.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
from pathlib import Path

from .. import digests
from ..code import Package
from ..errors import StoreError


class CodeStore:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "code"

    def zip_path(self, sha256_hex: str) -> Path:
        return self.root / f"{sha256_hex}.zip"

    def tree(self, sha256_hex: str) -> Path:
        """The extracted, read-only snapshot directory."""
        return self.root / sha256_hex

    def has(self, sha256_hex: str) -> bool:
        return self.zip_path(sha256_hex).is_file() and self.tree(sha256_hex).is_dir()

    def put(self, package: Package) -> Path:
        """Store `package` (idempotent) and return its snapshot directory."""
        digest = package.sha256_hex
        if self.has(digest):
            return self.tree(digest)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._put_zip(package)
            self._put_tree(package)
        except OSError as exc:
            raise StoreError.from_os(exc, self.root) from None
        return self.tree(digest)

    def digests(self) -> tuple[set[str], set[str]]:
        """(digests that have a zip, digests that have a tree); both empty without `code/`."""
        try:
            names = [(entry.name, entry.is_dir()) for entry in self.root.iterdir()]
        except FileNotFoundError:
            return set(), set()
        zips = {name[:-4] for name, is_dir in names if name.endswith(".zip") and not is_dir}
        trees = {name for name, is_dir in names if is_dir and not name.startswith(".")}
        return zips, trees

    def rebuild_tree(self, sha256_hex: str) -> bool:
        """Extract a snapshot's tree again from its zip; False when the zip is missing or
        does not hold that content."""
        try:
            data = self.zip_path(sha256_hex).read_bytes()
        except OSError:
            return False
        if digests.sha256_hex(data) != sha256_hex:
            return False
        try:
            self._put_tree(Package(zip_bytes=data, sha256_hex=sha256_hex, file_count=0))
        except OSError as exc:
            raise StoreError(f"cannot write code snapshot in {self.root}: {exc}") from None
        return True

    def _put_zip(self, package: Package) -> None:
        import tempfile  # only publishing writes snapshots (~1 ms of every command's start)

        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".zip-")
        with os.fdopen(fd, "wb") as out:
            out.write(package.zip_bytes)
        os.replace(tmp, self.zip_path(package.sha256_hex))

    def _put_tree(self, package: Package) -> None:
        target = self.tree(package.sha256_hex)
        if target.is_dir():
            return
        import tempfile

        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".tree-"))
        try:
            _extract(package.zip_bytes, tmp)
            _make_read_only(tmp)
            try:
                os.rename(tmp, target)
            except OSError:
                if not target.is_dir():
                    raise
        finally:
            if tmp.exists():
                _remove(tmp)


def _extract(zip_bytes: bytes, into: Path) -> None:
    """Every entry as a plain file (or directory), never a link; an uploaded zip was checked
    before (see `functions.unpack`), this is the last guard."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for info in zf.infolist():
            dest = (into / info.filename).resolve()
            if not dest.is_relative_to(into.resolve()):
                raise StoreError(f"refusing zip entry outside the snapshot: {info.filename}")
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zf.read(info))
            executable = (info.external_attr >> 16) & 0o111
            dest.chmod(0o555 if executable else 0o444)


def _make_read_only(root: Path) -> None:
    for current, _dirs, _files in os.walk(root):
        os.chmod(current, 0o555)


def _remove(path: Path) -> None:
    def writable(func, target, _exc):  # type: ignore[no-untyped-def]
        os.chmod(target, stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)
        os.chmod(os.path.dirname(target), stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)
        func(target)

    shutil.rmtree(path, onerror=writable)
