"""Bytecode caches (`.lambda/pycache/<RevisionId>`): a new revision's starts as links to the
last one's, but for what its own code and layers compile to; those of `$LATEST` revisions
replaced are deleted once their environments are gone, a published version's never."""

from __future__ import annotations

import os
from pathlib import Path

from lambdactl import versions
from lambdactl.invoke import Invoker, seed_bytecode
from lambdactl.project import Project

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
    seed_bytecode(target, source, (code, layer))
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
        assert set(os.listdir(pycache)) == {second, published.revision_id}
