"""`CodeStore`: content-addressed, read-only code snapshots."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from lambdactl import code
from lambdactl.code import Package
from lambdactl.errors import StoreError
from lambdactl.store import CodeStore


@pytest.fixture
def source(project_dir: Path) -> Path:
    """The `hello` code directory with a nested module and an executable script."""
    root = project_dir / "src" / "hello"
    (root / "lib").mkdir()
    (root / "lib" / "util.py").write_text("VALUE = 1\n")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    return root


@pytest.fixture
def blobs(tmp_path: Path) -> CodeStore:
    return CodeStore(tmp_path / "state")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _contents(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_put_returns_the_tree_and_stores_the_zip(blobs: CodeStore, source: Path) -> None:
    package = code.package(source)
    tree = blobs.put(package)
    assert tree == blobs.tree(package.sha256_hex) == blobs.root / package.sha256_hex
    assert tree.is_dir()
    assert blobs.zip_path(package.sha256_hex).read_bytes() == package.zip_bytes
    assert blobs.has(package.sha256_hex)


def test_put_is_idempotent(blobs: CodeStore, source: Path) -> None:
    package = code.package(source)
    first = blobs.put(package)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in blobs.root.rglob("*")}
    second = blobs.put(code.package(source))
    assert second == first
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in blobs.root.rglob("*")}
    assert after == before  # nothing rewritten
    # only the zip and the tree: no temporary leftovers
    assert sorted(p.name for p in blobs.root.iterdir()) == sorted(
        [package.sha256_hex, f"{package.sha256_hex}.zip"]
    )


def test_put_different_content_gets_a_different_snapshot(blobs: CodeStore, source: Path) -> None:
    first = blobs.put(code.package(source))
    (source / "app.py").write_text("def handler(event, context):\n    return 2\n")
    second = blobs.put(code.package(source))
    assert second != first
    assert first.is_dir() and second.is_dir()


def test_snapshot_content_matches_the_source(blobs: CodeStore, source: Path) -> None:
    tree = blobs.put(code.package(source))
    assert _contents(tree) == _contents(source)
    assert set(_contents(tree)) == {"app.py", "lib/util.py", "run.sh"}


def test_snapshot_is_read_only(blobs: CodeStore, source: Path) -> None:
    tree = blobs.put(code.package(source))
    assert _mode(tree / "app.py") == 0o444
    assert _mode(tree / "lib" / "util.py") == 0o444
    assert _mode(tree / "run.sh") == 0o555
    assert _mode(tree) == 0o555
    assert _mode(tree / "lib") == 0o555
    for current, _dirs, files in os.walk(tree):
        assert not _mode(Path(current)) & 0o222
        for name in files:
            assert not _mode(Path(current) / name) & 0o222


def test_editing_the_working_tree_does_not_change_the_snapshot(
    blobs: CodeStore, source: Path
) -> None:
    tree = blobs.put(code.package(source))
    before = _contents(tree)
    (source / "app.py").write_text("def handler(event, context):\n    return 'edited'\n")
    (source / "lib" / "util.py").unlink()
    (source / "new.py").write_text("NEW = True\n")
    assert _contents(tree) == before
    assert "edited" not in (tree / "app.py").read_text()
    assert not (tree / "new.py").exists()
    assert (tree / "lib" / "util.py").read_text() == "VALUE = 1\n"


def test_snapshot_is_not_a_link_to_the_source(blobs: CodeStore, source: Path) -> None:
    tree = blobs.put(code.package(source))
    for rel in ("app.py", "lib/util.py", "run.sh"):
        assert not (tree / rel).is_symlink()
        assert (tree / rel).stat().st_ino != (source / rel).stat().st_ino


def test_put_rebuilds_a_missing_tree(blobs: CodeStore, source: Path) -> None:
    package = code.package(source)
    blobs.root.mkdir(parents=True)
    blobs.zip_path(package.sha256_hex).write_bytes(package.zip_bytes)  # zip only, no tree
    assert not blobs.has(package.sha256_hex)
    tree = blobs.put(package)
    assert _contents(tree) == _contents(source)
    assert blobs.has(package.sha256_hex)


def test_put_restores_a_missing_zip(blobs: CodeStore, source: Path) -> None:
    package = code.package(source)
    blobs.put(package)
    blobs.zip_path(package.sha256_hex).unlink()
    assert not blobs.has(package.sha256_hex)
    assert blobs.put(package) == blobs.tree(package.sha256_hex)
    assert blobs.zip_path(package.sha256_hex).read_bytes() == package.zip_bytes


def test_put_refuses_entries_outside_the_snapshot(blobs: CodeStore) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../escaped.py", "X = 1\n")
    data = buffer.getvalue()
    package = Package(data, hashlib.sha256(data).hexdigest(), 1)
    with pytest.raises(StoreError, match="outside the snapshot"):
        blobs.put(package)
    assert not (blobs.root.parent / "escaped.py").exists()
    assert not blobs.tree(package.sha256_hex).exists()
    assert [p.name for p in blobs.root.iterdir() if p.name.startswith(".tree-")] == []
