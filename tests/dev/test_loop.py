"""The dev loop, end to end: `lambdactl dev` runs as a subprocess in a project, the test edits
files as a person (and their editor) would, and every effect is observed through real
invokes over the Lambda API and the lines `dev` prints."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dev.conftest import MANIFEST, Dev, leftovers, write_handler
from tests.runtime import process_gone


@pytest.fixture
def two_functions(project_dir: Path) -> Path:
    """`hello` and `other`, each answering its VERSION, pid and GREETING."""
    (project_dir / "functions.yaml").write_text(MANIFEST.format(greeting="Hello"))
    write_handler(project_dir / "src" / "hello", "1")
    write_handler(project_dir / "src" / "other", "1")
    return project_dir


def test_a_saved_handler_answers_next_in_a_new_environment_and_nothing_else_restarts(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    """The edited function's next invoke is a cold start of the new code; another function
    and a published version of the same one stay warm; `--on-change` runs after the
    reload; Ctrl-C leaves no process behind."""
    running = dev("--on-change", 'hello --payload {"from": "on-change"}')
    status, published = running.request("POST", "/2015-03-31/functions/hello/versions")
    assert status == 201, published
    before = {name: running.invoke(name) for name in ("hello", "other", "hello:1")}
    write_handler(two_functions / "src" / "hello", "2")
    reload = running.expect("reloaded", Function="hello")
    assert reload["Reason"] == "src/hello/app.py"
    ran = running.expect("invoked", Function="hello")  # the on-change invocation
    assert ran["Cold"] and ran["Version"] == "$LATEST"
    said = running.expect("notice", Text="on-change hello: 200")
    assert '"version": "2"' in said["Text"]
    hello = running.invoke("hello")
    assert hello["version"] == "2" and hello["pid"] != before["hello"]["pid"]
    assert running.invoke("other") == before["other"]  # the same warm environment
    assert running.invoke("hello:1") == before["hello:1"]  # published: untouched
    assert running.expect("invoked", Function="hello", Version="1")["Cold"] is False
    assert len(running.lines("reloaded")) == 1
    assert running.stop(signal.SIGINT) == 0
    assert all(process_gone(pid) for pid in running.pids)
    assert leftovers(two_functions) == []


def test_editor_noise_reloads_nothing_and_each_save_reloads_once(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    """Swap, backup and probe files, `__pycache__`, `.git` and what `.lambdaignore` excludes
    restart nothing; a save through a temporary file renamed over the handler, and one made
    of several writes, are one reload each. An edit of `other` marks the end of each step:
    events come in order, so everything before it has been seen."""
    code = two_functions / "src" / "hello"
    (code / ".lambdaignore").write_text("*.log\n")
    (code / ".git").mkdir()
    running = dev()
    warm = running.invoke("hello")
    marks = 0

    def mark() -> None:
        nonlocal marks
        marks += 1
        write_handler(two_functions / "src" / "other", f"mark {marks}")
        running.expect("reloaded", Function="other")

    swap = code / ".app.py.swp"
    swap.write_bytes(b"b0VIM 9.0")
    (code / "4913").write_text("")
    (code / "4913").unlink()
    (code / "app.py~").write_text("backup")
    (code / "#app.py#").write_text("auto-save")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (code / ".git" / "index").write_text("x")
    (code / "debug.log").write_text("ignored")
    swap.unlink()
    mark()
    assert running.lines("reloaded", Function="hello") == []
    assert running.invoke("hello") == warm  # no cold start either

    temporary = code / "app.py___jb_tmp___"  # written aside, renamed over the file
    temporary.write_text((code / "app.py").read_text().replace("'1'", "'2'"))
    os.replace(temporary, code / "app.py")
    assert running.expect("reloaded", Function="hello")["Reason"] == "src/hello/app.py"
    assert running.invoke("hello")["version"] == "2"

    text = (code / "app.py").read_bytes()
    with open(code / "app.py", "r+b") as file:  # several writes; the content changes once
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
        os.pwrite(file.fileno(), text.replace(b"'2'", b"'3'"), 0)
    running.expect("reloaded", Function="hello")
    mark()
    assert len(running.lines("reloaded", Function="hello")) == 2
    assert running.invoke("hello")["version"] == "3"


def test_a_layer_edit_reloads_every_function_using_it(
    dev: Callable[..., Dev], project_dir: Path
) -> None:
    layer = project_dir / "layers" / "common" / "python"
    layer.mkdir(parents=True)
    (layer / "shared.py").write_text("VALUE = 1\n")
    handler = "import os, shared\n\ndef handler(e, c):\n    return [shared.VALUE, os.getpid()]\n"
    functions = ""
    for name in ("a", "b", "c"):
        (project_dir / "src" / name).mkdir(parents=True)
        (project_dir / "src" / name / "app.py").write_text(handler)
        layers = "[layers/common]" if name != "c" else "[]"
        functions += f"  {name}: {{handler: app.handler, code: src/{name}, layers: {layers}}}\n"
    (layer.parent.parent / "unused").mkdir()
    (project_dir / "functions.yaml").write_text(
        'region: us-east-1\naccount: "123456789012"\nfunctions:\n' + functions
    )
    (project_dir / "src" / "c" / "shared.py").write_text("VALUE = 'own'\n")
    running = dev()
    before = {name: running.invoke(name) for name in "abc"}
    (layer / "shared.py").write_text("VALUE = 2\n")
    reloaded = {running.expect("reloaded")["Function"] for _ in range(2)}
    assert reloaded == {"a", "b"}
    for name in "ab":
        value, pid = running.invoke(name)
        assert value == 2 and pid != before[name][1]
    assert running.invoke("c") == before["c"]


def test_a_manifest_edit_applies_live_and_an_invalid_one_keeps_the_last(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    running = dev()
    other = running.invoke("other")
    assert running.invoke("hello")["greeting"] == "Hello"
    manifest = two_functions / "functions.yaml"
    manifest.write_text(MANIFEST.format(greeting="Howdy"))
    assert running.expect("reloaded", Function="hello")["Reason"] == "functions.yaml"
    assert running.invoke("hello")["greeting"] == "Howdy"
    manifest.write_text(MANIFEST.format(greeting="Hi") + "    memory: lots\n")
    refused = running.expect("notice", Level="error")
    assert "memory" in refused["Text"] and "last valid manifest" in refused["Text"]
    assert "\n" not in refused["Text"]
    assert running.invoke("hello")["greeting"] == "Howdy"
    assert running.invoke("other") == other
    assert running.lines("reloaded", Function="other") == []


def test_an_env_vars_edit_restarts_with_the_new_values_and_an_invalid_one_keeps_the_last(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    env_file = two_functions / "env.json"
    env_file.write_text('{"hello": {"GREETING": "from the file"}}')
    running = dev("--env-vars", "env.json")
    assert running.invoke("hello")["greeting"] == "from the file"
    env_file.write_text('{"Parameters": {"GREETING": "edited"}}')
    assert running.expect("reloaded", Function="hello")["Reason"] == "env.json"
    assert running.invoke("hello")["greeting"] == "edited"
    env_file.write_text('{"hello": ')
    refused = running.expect("notice", Level="error")
    assert refused["Text"].startswith("env.json:1: invalid JSON")
    assert running.invoke("hello")["greeting"] == "edited"
