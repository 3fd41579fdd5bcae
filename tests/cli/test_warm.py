"""The warm path's own parts: which command lines it takes (the rest go to typer), and
`publish` handed to a running server."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl import endpoint
from lambdactl.cli import warm
from tests.api.test_server import signal_twice, wait_for
from tests.cli.test_startup import REPO
from tests.runtime import fn, write_functions
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


# -- what a server answers that is not a success ------------------------------------------------


@contextlib.contextmanager
def announced(project_dir: Path, answer: bytes) -> Iterator[str]:
    """A server announced in `.lambda/endpoint.json` (its lock held, as `serve` holds it)
    that answers every request with the raw bytes `answer`: what a server that fails, or
    something else on its port, may send. Its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # to see `stop`
    stop = threading.Event()

    def answer_all() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(30)
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                head, _, body = received.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                while length and len(body) < int(length[1]):
                    body += connection.recv(65536)
                connection.sendall(answer)

    thread = threading.Thread(target=answer_all, daemon=True)
    thread.start()
    state = project_dir / ".lambda"
    state.mkdir(exist_ok=True)
    manifest = (project_dir / "functions.yaml").resolve()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with held(state / "worker.lock") as holder:
            record = endpoint.Endpoint(url, holder.pid, str(manifest), endpoint.stamp(manifest))
            endpoint.publish(state, record)
            yield url
    finally:
        stop.set()
        thread.join(30)
        listener.close()


BARE_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 21\r\nconnection: close\r\n\r\nInternal Server Error"
)
"""What uvicorn sends when the application fails before it answers."""


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (BARE_500, "answered HTTP 500 Internal Server Error"),
        (
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 14\r\nconnection: close\r\n\r\n"
            b"upstream gone\n",
            "answered HTTP 502 Bad Gateway: upstream gone",
        ),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "answered something that is not HTTP"),
        (
            b"HTTP/1.1 200 OK\r\nX-Lambdactl-Summary: {not json\r\ncontent-length: 2\r\n"
            b"connection: close\r\n\r\n{}",
            "answered with JSON that does not parse",
        ),
    ],
    ids=["bare-500", "502-text", "not-http", "bad-summary"],
)
@pytest.mark.parametrize(
    "argv", [("invoke", "hello"), ("invoke", "hello", "-o", "json")], ids=["text", "json"]
)
def test_an_answer_that_is_no_success_is_one_line_naming_the_server(  # type: ignore[no-untyped-def]
    cli, project_dir: Path, answer: bytes, said: str, argv: tuple[str, ...]
) -> None:
    with announced(project_dir, answer) as url:
        result = cli(*argv)
    pid = json.loads((project_dir / ".lambda" / endpoint.FILE_NAME).read_text())["pid"]
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        f"error: lambdactl serve (pid {pid}, {url}) {said}",
        "hint: its output says more",
    ]


def test_a_publish_answered_with_no_success_is_one_line_naming_the_server(  # type: ignore[no-untyped-def]
    cli, project_dir: Path
) -> None:
    for answer in (BARE_500, b"HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\n[1]"):
        with announced(project_dir, answer):
            result = cli("publish", "hello")
        assert (result.code, result.out) == (1, "")
        assert result.err.startswith("error: lambdactl serve (pid "), result.err
        assert len(result.err.splitlines()) == 2  # the line and its hint


def test_an_error_in_aws_shape_exits_as_the_local_run_of_that_error_does(  # type: ignore[no-untyped-def]
    cli, project_dir: Path
) -> None:
    """With or without `x-amzn-ErrorType` (botocore reads the type from the body then)."""
    body = b'{"__type": "ResourceNotFoundException", "message": "Function not found: x"}'
    answers = [
        b"HTTP/1.1 404 Not Found\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body),
        b"HTTP/1.1 404 Not Found\r\nx-amzn-ErrorType: ResourceNotFoundException\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body),
    ]
    for answer in answers:
        with announced(project_dir, answer):
            result = cli("invoke", "hello")
        assert (result.code, result.out) == (3, "")
        assert result.err.strip() == "error: ResourceNotFoundException: Function not found: x"
    failed = b'{"Type": "Service", "Message": "cannot write .lambda/state.db"}'
    answer = (
        b"HTTP/1.1 500 Internal Server Error\r\nx-amzn-ErrorType: ServiceException\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(failed), failed)
    )
    with announced(project_dir, answer) as url:
        result = cli("invoke", "hello")
    assert (result.code, result.out) == (6, "")
    assert f"{url}) failed: ServiceException: cannot write .lambda/state.db" in result.err


def test_an_invoke_cut_off_by_a_stopping_server_fails(  # type: ignore[no-untyped-def]
    project_dir: Path, serve, tmp_path: Path
) -> None:
    """The review's case: a warm invoke running when serve is stopped (Ctrl-C twice: cut
    off at once) is the function's error, exit 1, never a success."""
    write_functions(project_dir, {"nap": fn("app.hold", "limits.py", timeout=600)})
    server = serve()
    started = tmp_path / "started"
    event = json.dumps({"pid_file": str(started), "sleep": 300})
    invoke = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "invoke", "nap", "-p", event],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        wait_for(started, server)
        signal_twice(server, project_dir / ".lambda")
        out, err = invoke.communicate(timeout=60)
    finally:
        invoke.kill()
        invoke.communicate()
    assert invoke.returncode == 1, (out, err)
    assert json.loads(out)["errorType"] == "Runtime.ExitError"
    server.stop()
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
