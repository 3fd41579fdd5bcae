"""Bytecode caches (`.lambda/pycache/<RevisionId>`): a new revision's starts as links to the
project's base cache (the interpreter's standard library and the provided SDK, compiled
outside the function's CPU share) and to the last one's, but for what its own code and layers
compile to; those of `$LATEST` revisions replaced are deleted once their environments are
gone, a published version's never."""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys
import sysconfig
from pathlib import Path

from lambdactl import versions
from lambdactl.invoke import Invoker, seed_bytecode
from lambdactl.project import Project
from lambdactl.runtime import bytecode, dependencies
from lambdactl.runtime.interpreters import Interpreter

TAG = sys.implementation.cache_tag

HANDLER = (
    "import json, os\n\ndef handler(event, context):\n    return {'v': %d, 'pid': os.getpid()}\n"
)


def test_a_seed_links_everything_but_what_the_version_s_own_directories_compiled_to(
    tmp_path: Path,
) -> None:
    code, layer = tmp_path / "src" / "fn", tmp_path / "layers" / "common"
    source = tmp_path / "pycache" / "old"
    stdlib = source / "usr" / "lib" / "python3.11" / "__init__.cpython-311.pyc"
    own = [source / str(d).lstrip("/") / "app.cpython-311.pyc" for d in (code, layer)]
    beside = source / str(tmp_path).lstrip("/") / "src" / "fnx" / "app.cpython-311.pyc"
    for path in (stdlib, *own, beside):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"pyc")
    target = tmp_path / "pycache" / "new"
    seed_bytecode(target, [source], (code, layer))
    linked = target / stdlib.relative_to(source)
    assert os.stat(linked).st_ino == os.stat(stdlib).st_ino
    assert (target / beside.relative_to(source)).is_file()  # a directory named alike
    assert not any((target / path.relative_to(source)).exists() for path in own)
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


def test_each_revision_has_its_cache_and_replaced_ones_go(project: Project) -> None:
    code = project.functions["hello"].code
    (code / "app.py").write_text(HANDLER % 1)
    pycache = project.manifest.state_dir / "pycache"
    with Invoker(project, watch_code=True) as invoker:
        invoker.invoke("hello")
        published, _ = versions.publish(project, "hello")
        invoker.invoke("hello", qualifier="1")
        first = versions.latest(project, "hello").revision_id
        assert {first, published.revision_id} <= set(os.listdir(pycache))
        (code / "app.py").write_text(HANDLER % 22)
        project.latest_versions.clear()  # as the watcher's event would (not waited for here)
        invoker.invoke("hello")
        second = versions.latest(project, "hello").revision_id
        assert second != first
        json_pyc = list((pycache / second).rglob("json/*.pyc"))
        assert json_pyc, "the standard library's bytecode came along"
        assert json_pyc[0].stat().st_nlink > 1
        # The new revision's cold start replaced the old one's idle environment.
        assert invoker.prune_bytecode() == 1
        revisions = {n for n in os.listdir(pycache) if not n.startswith("base-")}
        assert revisions == {second, published.revision_id}


COLD = """\
import importlib.util, tomllib

def handler(event, context):
    boto3 = importlib.util.find_spec("boto3").origin
    return {"tomllib": tomllib.__cached__, "boto3": importlib.util.cache_from_source(boto3)}
"""


def test_a_fresh_project_s_first_cold_start_finds_the_stdlib_and_sdk_compiled(
    project: Project,
) -> None:
    code = project.functions["hello"].code
    (code / "app.py").write_text(COLD)
    with Invoker(project) as invoker:  # a new invoker: no revision of its own to seed from
        result = invoker.invoke("hello")
    assert result.function_error is None, result.payload
    cached = json.loads(result.payload)
    revision = (
        project.manifest.state_dir / "pycache" / versions.latest(project, "hello").revision_id
    )
    assert cached["tomllib"].startswith(f"{revision}{os.sep}")
    # The very file the interpreter's install compiled: linked, not compiled again here.
    stdlib = Path(sysconfig.get_path("stdlib")) / "tomllib" / "__init__.py"
    assert (
        os.stat(cached["tomllib"]).st_ino
        == os.stat(importlib.util.cache_from_source(stdlib)).st_ino
    )
    # boto3 as the function imports it: through the provided directory's link.
    provided = dependencies.provided(project.manifest.state_dir)
    assert provided is not None
    assert cached["boto3"] == str(
        revision / str(provided).lstrip(os.sep) / "boto3" / f"__init__.{TAG}.pyc"
    )
    installed = Path(os.path.realpath(provided / "boto3")) / "__init__.py"
    assert (
        os.stat(cached["boto3"]).st_ino
        == os.stat(importlib.util.cache_from_source(installed)).st_ino
    )
    assert not list(code.rglob("__pycache__")), "the code directory stays clean"


def test_the_base_mirrors_the_prefix_layout_and_a_stale_file_is_compiled_again(
    tmp_path: Path,
) -> None:
    lib = tmp_path / "lib"
    real = tmp_path / "site" / "pkg"
    for source, text in (
        (lib / "mod.py", "VALUE = 1\n"),
        (lib / "test" / "big.py", "X = 1\n"),  # left out: the stdlib's own tests
        (real / "__init__.py", "VALUE = 'pkg'\n"),
    ):
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(text)
        py_compile.compile(str(source), doraise=True)
    py_compile.compile(str(lib / "mod.py"), optimize=1, doraise=True)  # .opt-1: left out
    provided = tmp_path / "provided"
    provided.mkdir()
    (provided / "pkg").symlink_to(real)
    root = tmp_path / "pycache"
    base = bytecode.base(root, bytecode.Stdlib(str(lib), TAG), provided)
    assert base is not None and base == bytecode.base(
        root, bytecode.Stdlib(str(lib), TAG), provided
    )
    made = sorted(str(p.relative_to(base)) for p in base.rglob("*.pyc"))
    assert made == sorted(
        str(Path(str(d).lstrip(os.sep)) / f"{name}.{TAG}.pyc")
        for d, name in ((lib, "mod"), (provided / "pkg", "__init__"))
    )
    original = lib / "__pycache__" / f"mod.{TAG}.pyc"
    revision = root / "rev"
    seed_bytecode(revision, [base], ())
    (lib / "mod.py").write_text("VALUE = 22\n")  # changed since its bytecode was made
    probe = (
        "import importlib.util, json, mod, pkg; "
        "print(json.dumps([mod.VALUE, mod.__cached__, pkg.__cached__, "
        "importlib.util.cache_from_source(pkg.__file__)]))"
    )
    # -I: no PYTHONPATH; the path is given as the bootstrap gives it, by sys.path.
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-X",
            f"pycache_prefix={revision}",
            "-c",
            f"import sys; sys.path[:0] = [{str(lib)!r}, {str(provided)!r}]; {probe}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    value, mod_cached, pkg_cached, expected = json.loads(done.stdout)
    assert value == 22
    seeded = revision / str(lib).lstrip(os.sep) / f"mod.{TAG}.pyc"
    assert mod_cached == str(seeded)
    assert os.stat(seeded).st_ino != os.stat(original).st_ino  # compiled again, as a new file
    # Not written through: the interpreter's own file and the base's are the old bytecode.
    assert (
        os.stat(base / str(lib).lstrip(os.sep) / f"mod.{TAG}.pyc").st_ino
        == os.stat(original).st_ino
    )
    assert seeded.read_bytes() != original.read_bytes()
    assert (
        pkg_cached
        == expected
        == str(revision / str(provided).lstrip(os.sep) / "pkg" / f"__init__.{TAG}.pyc")
    )
    assert (
        os.stat(pkg_cached).st_ino == os.stat(real / "__pycache__" / f"__init__.{TAG}.pyc").st_ino
    )


def test_another_interpreter_is_asked_for_its_stdlib_once(tmp_path: Path) -> None:
    other = tmp_path / "bin" / "python-other"  # another path: not lambdactl's own Python
    other.parent.mkdir()
    other.symlink_to(os.path.realpath(sys.executable))
    interpreter = Interpreter(str(other), ".".join(map(str, sys.version_info[:3])))
    runtime = tmp_path / "runtime"
    found = bytecode.stdlib(interpreter, runtime)
    assert found == bytecode.Stdlib(sysconfig.get_path("stdlib"), TAG)
    assert [p.name.startswith("stdlib-") for p in runtime.iterdir()] == [True]
    assert bytecode.stdlib(interpreter, runtime) == found
    gone = Interpreter(str(tmp_path / "bin" / "missing"), interpreter.version)
    assert bytecode.stdlib(gone, runtime) is None  # no base: it only compiles, as before
