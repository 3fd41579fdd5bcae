"""`lambdactl worker`, `worker status` and `worker stop` while `lambdactl serve` runs the
project's worker inside itself."""

from __future__ import annotations

import json

from tests.api.conftest import Server


def test_worker_says_serve_runs_it(cli, serve) -> None:  # type: ignore[no-untyped-def]
    server: Server = serve()
    pid = server.process.pid
    text = cli("worker")
    assert (text.code, text.out) == (
        0,
        f"lambdactl serve (pid {pid}, {server.url}) runs this project's worker\n",
    )
    shape = cli("worker", "-o", "json").json()
    assert shape == {"Status": "already running", "Pid": pid, "Endpoint": server.url}


def test_worker_status_says_serve_runs_it(cli, serve) -> None:  # type: ignore[no-untyped-def]
    server: Server = serve()
    pid = server.process.pid
    text = cli("worker", "status")
    assert text.out.splitlines() == [
        f"lambdactl serve (pid {pid}, {server.url}) runs this project's worker",
        "events waiting, running or delivering: 0",
    ]
    shape = cli("worker", "status", "-o", "json").json()
    assert shape == {"Running": True, "Pid": pid, "Waiting": 0, "Endpoint": server.url}


def test_worker_stop_refuses_to_stop_the_server(cli, serve) -> None:  # type: ignore[no-untyped-def]
    server: Server = serve()
    pid = server.process.pid
    result = cli("worker", "stop")
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        f"error: lambdactl serve (pid {pid}, {server.url}) runs this project's worker: it "
        "stops with the server",
        f"hint: stop the server with Ctrl-C where it runs (or kill -TERM {pid})",
    ]
    assert server.process.poll() is None
    answer = server.client().invoke(FunctionName="hello")
    assert json.loads(answer["Payload"].read()) == {"hello": "world"}


def test_without_a_server_nothing_changes(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("worker", "status").out.splitlines()[0] == "worker: not running"
    assert cli("worker", "status", "-o", "json").json() == {
        "Running": False,
        "Pid": None,
        "Waiting": 0,
    }
    assert cli("worker", "stop").out == "no worker is running\n"
