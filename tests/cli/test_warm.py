"""The warm path's own parts: which command lines it takes (the rest go to typer), and
`publish` handed to a running server."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lambdactl import endpoint
from lambdactl.cli import warm
from tests.cli.test_startup import REPO
from tests.test_lockfile import held


@pytest.mark.parametrize(
    ("argv", "manifest", "options"),
    [
        (["invoke", "hello"], None, {}),
        (["-f", "x.yaml", "invoke", "hello"], "x.yaml", {}),
        (["--manifest=x.yaml", "invoke", "hello"], "x.yaml", {}),
        (["-fx.yaml", "invoke", "hello"], "x.yaml", {}),
        (["invoke", "-q", "1", "hello"], None, {"qualifier": "1"}),
        (["invoke", "hello", "--qualifier=live"], None, {"qualifier": "live"}),
        (["invoke", "hello", "-p", "{}", "-p", "[]"], None, {"payload": "[]"}),
        (["invoke", "hello", "-p", "-1"], None, {"payload": "-1"}),
        (["invoke", "hello", "--payload="], None, {"payload": ""}),
        (
            ["invoke", "hello", "-e", "ev.json", "-o", "json"],
            None,
            {"event": "ev.json", "output": "json"},
        ),
        (
            ["invoke", "hello", "--async", "--log-type", "Tail"],
            None,
            {"async": True, "log_type": "Tail"},
        ),
        (["invoke", "hello", "--invocation-type", "DryRun"], None, {"invocation_type": "DryRun"}),
        (["invoke", "hello", "--client-context", "{}"], None, {"client_context": "{}"}),
        (["invoke", "-"], None, {}),
    ],
)
def test_the_common_spellings_are_parsed(argv, manifest, options) -> None:  # type: ignore[no-untyped-def]
    function = "-" if argv[-1] == "-" else "hello"  # a name like any other, not stdin
    assert warm._parse(argv) == (manifest, {**options, "function": function})


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["publish", "hello"],
        ["--help", "invoke", "hello"],
        ["invoke", "hello", "--help"],
        ["invoke", "hello", "-h"],
        ["invoke", "hello", "--env-vars", "env.json"],
        ["invoke", "hello", "--cpu-throttle"],
        ["invoke", "hello", "--no-cpu-throttle"],
        ["invoke", "hello", "-p{}"],
        ["invoke", "hello", "--async=1"],
        ["invoke", "hello", "world"],
        ["invoke"],
        ["invoke", "hello", "-e", "-"],
        ["invoke", "hello", "-o", "yaml"],
        ["invoke", "hello", "-p"],
        ["-f"],
        ["invoke", "hello", "--", "x"],
    ],
)
def test_anything_else_is_typers(argv) -> None:  # type: ignore[no-untyped-def]
    assert warm._parse(argv) is None


def test_publish_is_handed_to_the_server_with_the_same_output(cli, serve) -> None:  # type: ignore[no-untyped-def]
    serve()
    first = cli("publish", "hello", "-d", "one")
    assert first.code == 0, first.err
    assert "published" in first.out and "one" in first.out
    again = cli("publish")
    assert again.code == 0
    assert "unchanged" in again.out
    shape = cli("publish", "hello", "-o", "json").json()
    assert (shape["Version"], shape["Description"]) == ("1", "one")
    assert shape["FunctionArn"].endswith(":function:hello:1")
    missing = cli("publish", "hello", "nope")
    assert missing.code == 3
    assert missing.err.strip() == (
        "error: ResourceNotFoundException: Function not found: "
        "arn:aws:lambda:us-east-1:123456789012:function:nope"
    )
    assert cli("versions", "hello", "-o", "json").json()["Versions"][-1]["Version"] == "1"


NEVER_ON_WARM = (
    "typer",
    "click",
    "rich",
    "yaml",
    "sqlite3",
    "boto3",
    "starlette",
    "lambdactl.cli.commands",
    "lambdactl.manifest",
    "lambdactl.project",
    "lambdactl.store",
    "lambdactl.invoke",
    "lambdactl.runtime",
)
"""What a warm `lambdactl invoke` does without: typer, the manifest's reader, the project and
its store, the invoker and the runtime."""


def test_a_warm_invoke_imports_neither_typer_nor_the_project(project_dir: Path, serve) -> None:  # type: ignore[no-untyped-def]
    serve()
    probe = (
        "import sys\n"
        "from lambdactl.cli import run\n"
        "code = run(['invoke', 'hello', '-p', '{\"name\": \"x\"}'])\n"
        f"print(sorted(set({NEVER_ON_WARM!r}) & set(sys.modules)), code, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stderr.splitlines()[-1] == "[] 0", done.stderr
    assert json.loads(done.stdout) == {"hello": "x"}
    assert "Init Duration" in done.stderr  # the server's first invoke of hello


def test_a_publish_handed_over_is_the_servers(project_dir: Path, serve) -> None:  # type: ignore[no-untyped-def]
    """The CLI checks the names against the project, as a local publish does; the versions
    service, which publishes, never loads in it."""
    serve()
    probe = (
        "import sys\n"
        "from lambdactl.cli import run\n"
        "code = run(['publish', 'hello', '-o', 'json'])\n"
        "print(sorted({'lambdactl.versions'} & set(sys.modules)),"
        " code, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stderr.splitlines()[-1] == "[] 0", done.stderr
    assert json.loads(done.stdout)["Version"] == "1"


def test_an_edit_the_server_has_not_read_is_waited_for(project_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The server reads an edit within moments (its `reload`): the CLI waits for the endpoint
    file to say it serves the text on disk, then hands over, without a word."""
    state = project_dir / ".lambda"
    state.mkdir()
    manifest = (project_dir / "functions.yaml").resolve()
    with held(state / "worker.lock") as holder:
        older = endpoint.Endpoint("http://127.0.0.1:9", holder.pid, str(manifest), (1, 2), (1, 2))
        endpoint.publish(state, older)
        warm._unreachable.clear()
        caught_up = dataclasses.replace(
            older, stamp=endpoint.stamp(manifest), seen=endpoint.stamp(manifest)
        )
        later = threading.Timer(0.3, endpoint.publish, (state, caught_up))
        later.start()
        try:
            assert warm.server_of(None) == caught_up
        finally:
            later.join()
    assert capsys.readouterr().err == ""


def test_an_edit_never_read_runs_here_with_one_warning(  # type: ignore[no-untyped-def]
    project_dir: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(warm, "RELOAD_WAIT_SECONDS", 0.2)
    state = project_dir / ".lambda"
    state.mkdir()
    manifest = (project_dir / "functions.yaml").resolve()
    with held(state / "worker.lock") as holder:
        older = endpoint.Endpoint("http://127.0.0.1:9", holder.pid, str(manifest), (1, 2), (1, 2))
        endpoint.publish(state, older)
        warm._unreachable.clear()
        assert warm.server_of(None) is None
        assert warm.server_of(None) is None  # typer's path asks again: said once
    assert capsys.readouterr().err == (
        f"warning: lambdactl serve (pid {holder.pid}) has not read the edited manifest: "
        "running here instead\n"
    )
