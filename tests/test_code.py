"""Deterministic packaging of a code directory (`lambdactl.code`)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

from lambdactl import code

TREE = {
    "app.py": "def handler(event, context):\n    return event\n",
    "lib/__init__.py": "",
    "lib/util.py": "VALUE = 1\n",
    "lib/data/table.json": '{"a": 1}\n',
    "README.txt": "readme\n",
    "zeta.txt": "last\n",
}


def write_tree(root: Path, tree: dict[str, str], order: list[str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel in order or list(tree):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tree[rel])
        path.chmod(0o644)
    return root


def rel_names(directory: Path) -> list[str]:
    return [rel for rel, _ in code.files(directory)]


def test_files_lists_sorted_relative_paths(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    found = code.files(root)
    assert [rel for rel, _ in found] == sorted(TREE)
    assert all(path == root.resolve() / rel for rel, path in found)


def test_same_tree_same_hash_regardless_of_mtime_and_creation_order(tmp_path: Path):
    names = list(TREE)
    one = write_tree(tmp_path / "one", TREE, names)
    two = write_tree(tmp_path / "second-copy", TREE, list(reversed(names)))
    for i, rel in enumerate(names):
        os.utime(one / rel, (1_000_000_000 + i, 1_000_000_000 + i))
        os.utime(two / rel, (2_000_000_000 - i * 3600, 2_000_000_000 - i * 3600))
    os.utime(one / "lib", (1_200_000_000, 1_200_000_000))
    first, second = code.package(one), code.package(two)
    assert first.zip_bytes == second.zip_bytes
    assert first.code_sha256 == second.code_sha256
    assert first.sha256_hex == second.sha256_hex
    assert first.file_count == second.file_count == len(TREE)
    # And packaging is repeatable.
    assert code.package(one).zip_bytes == first.zip_bytes


def test_content_change_changes_hash(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    before = code.package(root).code_sha256
    (root / "lib" / "util.py").write_text("VALUE = 2\n")
    after = code.package(root).code_sha256
    assert after != before
    (root / "lib" / "util.py").write_text(TREE["lib/util.py"])
    assert code.package(root).code_sha256 == before


def test_rename_and_new_file_change_hash(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    before = code.package(root).code_sha256
    (root / "zeta.txt").rename(root / "omega.txt")
    renamed = code.package(root).code_sha256
    assert renamed != before
    (root / "empty").write_text("")
    assert code.package(root).code_sha256 not in (before, renamed)


@pytest.mark.parametrize("mode", [0o755, 0o744, 0o654, 0o645])
def test_exec_bit_change_changes_hash(tmp_path: Path, mode: int):
    root = write_tree(tmp_path / "fn", TREE)
    before = code.package(root)
    (root / "app.py").chmod(mode)
    after = code.package(root)
    assert after.code_sha256 != before.code_sha256
    info = zipfile.ZipFile(io.BytesIO(after.zip_bytes)).getinfo("app.py")
    assert info.external_attr >> 16 == 0o100755


def test_non_exec_permission_change_keeps_hash(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    before = code.package(root).code_sha256
    (root / "app.py").chmod(0o600)
    (root / "zeta.txt").chmod(0o664)
    assert code.package(root).code_sha256 == before


def test_always_ignored_paths_are_excluded(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    junk = {
        "__pycache__/app.cpython-311.pyc": "x",
        "lib/__pycache__/util.cpython-311.pyc": "x",
        "lib/__pycache__/notes.txt": "x",
        "stale.pyc": "x",
        "lib/old.pyc": "x",
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/objects/ab/cdef": "x",
        "lib/.git/config": "x",
        ".lambda/state.sqlite": "x",
        "lib/.lambda/blob": "x",
    }
    write_tree(root, junk)
    kept = {"x.pyc.txt": "kept", ".gitignore": "kept", "pyc": "kept", ".lambdarc": "kept"}
    write_tree(root, kept)
    assert rel_names(root) == sorted({*TREE, *kept})
    with zipfile.ZipFile(io.BytesIO(code.package(root).zip_bytes)) as zf:
        assert zf.namelist() == sorted({*TREE, *kept})


def test_ignored_files_do_not_change_hash(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    before = code.package(root).code_sha256
    write_tree(root, {"__pycache__/app.cpython-311.pyc": "1", ".lambda/x": "2", "a.pyc": "3"})
    assert code.package(root).code_sha256 == before


IGNORE_TREE = {
    "app.py": "code\n",
    "debug.log": "ignored: *.log\n",
    "keep.log": "kept: !keep.log\n",
    "sub/trace.log": "ignored: *.log at any depth\n",
    "sub/keep.log": "kept: !keep.log at any depth\n",
    "sub/mod.py": "kept\n",
    "build/out.txt": "ignored: build/\n",
    "build/keep.log": "ignored: parent dir excluded, cannot be re-included\n",
    "sub/build/x.txt": "ignored: build/ at any depth\n",
    "build.txt": "kept: build/ only matches directories\n",
    "docs/readme.md": "ignored: docs/*.md\n",
    "docs/guide.txt": "kept\n",
    "docs/api/ref.md": "kept: * does not cross /\n",
    "sub/docs/x.md": "kept: docs/*.md is anchored to the code dir\n",
}
IGNORE_PATTERNS = "# comment\n*.log\nbuild/\n!keep.log\ndocs/*.md\n"
IGNORE_KEPT = sorted(
    [
        ".lambdaignore",
        "app.py",
        "keep.log",
        "sub/keep.log",
        "sub/mod.py",
        "build.txt",
        "docs/guide.txt",
        "docs/api/ref.md",
        "sub/docs/x.md",
    ]
)


def test_lambdaignore_excludes_gitignore_patterns(tmp_path: Path):
    root = write_tree(tmp_path / "fn", IGNORE_TREE)
    (root / ".lambdaignore").write_text(IGNORE_PATTERNS)
    assert rel_names(root) == IGNORE_KEPT
    assert code.package(root).file_count == len(IGNORE_KEPT)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_lambdaignore_matches_what_git_ignores(tmp_path: Path):
    root = write_tree(tmp_path / "fn", IGNORE_TREE)
    (root / ".lambdaignore").write_text(IGNORE_PATTERNS)
    repo = tmp_path / "repo"
    shutil.copytree(root, repo)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text(IGNORE_PATTERNS)
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "-z"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    git_kept = sorted(name for name in listed.split("\0") if name)
    assert git_kept == IGNORE_KEPT
    assert rel_names(root) == git_kept


def test_lambdaignore_directory_pattern_without_slash(tmp_path: Path):
    root = write_tree(tmp_path / "fn", {"app.py": "", "tests/t.py": "", "a/tests/u.py": ""})
    (root / ".lambdaignore").write_text("tests\n")
    assert rel_names(root) == [".lambdaignore", "app.py"]


def test_lambdaignore_double_star_contents_can_be_re_included(tmp_path: Path):
    root = write_tree(tmp_path / "fn", {"app.py": "", "a/x.txt": "", "a/y.txt": ""})
    (root / ".lambdaignore").write_text("a/**\n!a/x.txt\n")
    assert rel_names(root) == [".lambdaignore", "a/x.txt", "app.py"]


EDITOR_JUNK = {
    ".app.py.swp": "vim", "lib/.util.py.swx": "vim", ".app.py.swo": "vim", "app.py~": "backup",
    ".#app.py": "emacs lock", "#app.py#": "emacs auto-save", "4913": "vim's probe",
    "app.py___jb_tmp___": "jetbrains", "app.py___jb_old___": "jetbrains",
    ".goutputstream-XYZ123": "gedit", "app.py.kate-swp": "kate",
}  # fmt: skip
EDITOR_LOOKALIKES = {"swp.py": "", "notes~.txt": "", "4913.py": "", "49130": "", "a#b": ""}


def test_editor_files_are_never_packaged(tmp_path: Path):
    """An editor's swap, lock and backup files come and go while a file is open: packaged,
    they would change the digest (and make a cold start) each time."""
    root = write_tree(tmp_path / "fn", TREE)
    before = code.package(root).code_sha256
    write_tree(root, EDITOR_JUNK)
    assert rel_names(root) == sorted(TREE)
    assert code.package(root).code_sha256 == before
    write_tree(root, EDITOR_LOOKALIKES)
    assert rel_names(root) == sorted({*TREE, *EDITOR_LOOKALIKES})


def test_left_out_says_what_the_package_leaves_out(tmp_path: Path):
    """`left_out` (what a watcher asks of each event) agrees with the package, file by file:
    always-ignored directories, .pyc, editors' files, .lambdaignore's patterns."""
    junk = {"__pycache__/a.pyc": "", "lib/.git/config": "", ".lambda/x": "", "old.pyc": ""}
    tree = {**IGNORE_TREE, **EDITOR_JUNK, **EDITOR_LOOKALIKES, **junk}
    root = write_tree(tmp_path / "fn", tree)
    (root / ".lambdaignore").write_text(IGNORE_PATTERNS + "a/**\n!a/x.txt\n")
    write_tree(root, {"a/x.txt": "", "a/y.txt": ""})
    packaged = set(rel_names(root))
    real = Path(os.path.realpath(root))
    for rel in [*tree, "a/x.txt", "a/y.txt", ".lambdaignore"]:
        assert code.left_out(real, str(real / rel)) == (rel not in packaged), rel
    # Gone files are judged by their names all the same (a deleted swap file).
    assert code.left_out(real, str(real / ".gone.py.swp"))
    assert not code.left_out(real, str(real / "gone.py"))
    assert code.left_out(real, str(real / "build" / "gone.txt"))


def test_zip_entries_sorted_dated_1980_with_unix_modes(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    (root / "lib" / "util.py").chmod(0o755)
    pkg = code.package(root)
    with zipfile.ZipFile(io.BytesIO(pkg.zip_bytes)) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names) == sorted(TREE)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED
            expected = 0o100755 if info.filename == "lib/util.py" else 0o100644
            assert info.external_attr >> 16 == expected
            assert zf.read(info).decode() == TREE[info.filename]
        assert zf.testzip() is None


def test_code_sha256_is_base64_of_sha256_of_zip(tmp_path: Path):
    root = write_tree(tmp_path / "fn", TREE)
    pkg = code.package(root)
    digest = hashlib.sha256(pkg.zip_bytes).digest()
    assert pkg.code_sha256 == base64.b64encode(digest).decode("ascii")
    assert pkg.sha256_hex == digest.hex()
    assert pkg.size == len(pkg.zip_bytes)
    assert len(pkg.code_sha256) == 44 and pkg.code_sha256.endswith("=")
    assert code.code_sha256(pkg.sha256_hex) == pkg.code_sha256


def test_empty_directory_packages_to_an_empty_zip(tmp_path: Path):
    root = tmp_path / "empty"
    (root / "only" / "dirs").mkdir(parents=True)
    pkg = code.package(root)
    assert pkg.file_count == 0
    assert zipfile.ZipFile(io.BytesIO(pkg.zip_bytes)).namelist() == []


def test_symlink_loop_does_not_hang(tmp_path: Path):
    root = write_tree(tmp_path / "fn", {"app.py": "a\n", "sub/x.py": "x\n"})
    os.symlink("..", root / "sub" / "up")  # sub/up -> fn: a directory cycle
    os.symlink(".", root / "sub" / "here")  # sub/here -> sub
    os.symlink("self", root / "self")  # a link to itself: ELOOP when followed
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")  # a <-> b
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["files"] = [rel for rel, _ in code.files(root)]
            result["package"] = code.package(root)
        except BaseException as exc:  # pragma: no cover - reported below
            result["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), "code.files/package did not finish: symlink loop followed"
    assert "error" not in result, result.get("error")
    assert result["files"] == ["app.py", "sub/x.py"]
    assert result["package"].file_count == 2


def test_symlinked_file_and_directory_are_followed(tmp_path: Path):
    outside = write_tree(tmp_path / "shared", {"helpers.py": "H = 1\n"})
    root = write_tree(tmp_path / "fn", {"app.py": "a\n"})
    os.symlink(outside, root / "shared")
    os.symlink(outside / "helpers.py", root / "helpers.py")
    assert rel_names(root) == ["app.py", "helpers.py", "shared/helpers.py"]
    with zipfile.ZipFile(io.BytesIO(code.package(root).zip_bytes)) as zf:
        assert zf.read("shared/helpers.py") == b"H = 1\n"
        assert zf.read("helpers.py") == b"H = 1\n"
