"""Debugging a function under debugpy (issue 11): an editor (a DAP client, `tests/dap.py`)
attaches to a real environment and stops at breakpoints; the limits stand still while it is
attached. Handlers: tests/fixtures/handlers/debugged.py. debugpy is really installed, once
per test session (`debug_cache`)."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from lambdactl.errors import TooManyRequestsException
from lambdactl.invoke import DEBUG_THROTTLE_REASON, Debug, InvocationResult
from lambdactl.project import Project
from lambdactl.runtime import debugger
from tests.dap import Dap, free_port, marked_line, wait_until
from tests.runtime import fn, payload, write_functions


@pytest.fixture
def functions(project_dir: Path, debug_cache: Path) -> Project:
    path = write_functions(
        project_dir,
        {
            "f": fn("app.handler", "debugged.py"),  # timeout 1 s
            "other": fn("app.debugpy_importable", "debugged.py"),
        },
    )
    project = Project.open(path)
    yield project
    project.close()


def test_an_editor_stops_the_function_at_breakpoints_and_only_it(
    functions: Project, project_dir: Path
) -> None:
    from lambdactl.invoke import Invoker

    port, waiting = free_port(), threading.Event()
    invoker = Invoker(functions, debug=Debug("f", port, announce=lambda _debug: waiting.set()))
    results: list[InvocationResult] = []
    running = threading.Thread(target=lambda: results.append(invoker.invoke("f")))
    code = (project_dir / "src" / "f" / "app.py").resolve()
    try:
        running.start()
        assert waiting.wait(60)
        editor = Dap("127.0.0.1", port)
        editor.attach({code: [marked_line(code, "import"), marked_line(code, "handler")]})
        # The module is imported after the editor attached: its import-time line stops too.
        for mark in ("import", "handler"):
            thread = editor.stopped()["threadId"]
            assert editor.frame(thread)["line"] == marked_line(code, mark)
            assert editor.frame(thread)["source"]["path"] == str(code)
            if mark == "handler":  # one environment holds the port: another invoke waits
                with pytest.raises(TooManyRequestsException) as throttled:
                    invoker.invoke("f")
                assert throttled.value.reason == DEBUG_THROTTLE_REASON
                assert str(throttled.value) == (
                    "TooManyRequestsException "
                    "(ReservedFunctionConcurrentInvocationLimitExceeded): Rate Exceeded."
                )
            editor.resume(thread)
        running.join(30)
        idle_timeout, invoker.pool.idle_timeout = invoker.pool.idle_timeout, 0
        invoker.pool.reap()
        assert list(invoker.pool.sizes().values()) == [(1, 0)]  # idle, but attached: it stays
        invoker.pool.idle_timeout = idle_timeout
        editor.disconnect()
        [result] = results
        assert (result.function_error, payload(result)) == (None, {"answer": 42})
        assert f"waiting for a debugger to attach on 127.0.0.1:{port}" in result.init_log

        # Detached, the limits apply again: the timeout (1 s) ends a 2 s handler.
        late = invoker.invoke("f", payload=json.dumps({"sleep": 2}).encode())
        assert json.loads(late.payload)["errorType"] == "Sandbox.Timedout"
        # Other functions run as ever, without debugpy.
        assert payload(invoker.invoke("other")) == {"debugpy": False}
        invoker.pool.idle_timeout = 0
        invoker.pool.reap()
        assert invoker.pool.sizes() == {}  # none attached: both go
    finally:
        invoker.close()
        running.join(30)


def test_the_socket_table_tells_listening_attached_and_detached() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        debug = Debug("f", listener.getsockname()[1])
        assert debugger.state(debug) == "none"
        listener.listen()
        assert debugger.state(debug) == "listening"
        editor = socket.create_connection(("127.0.0.1", debug.port))
        accepted, _ = listener.accept()
        assert debugger.state(debug) == "attached"
        assert debugger._proc_states(debug.port, False) == {1, 10}  # the same from /proc
        editor.close()  # hung up: the server's end is in CLOSE_WAIT until it closes it
        wait_until(lambda: debugger.state(debug) == "listening")
        accepted.close()


def test_an_attached_editor_stops_the_deadline() -> None:
    seen = iter(["none", "listening", "attached", "attached", "listening", "listening"])
    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    changes: list[Any] = []
    deadline = debugger.Deadline(
        2.5,
        Debug("f"),
        on_attach=changes.append,
        probe=lambda _debug: next(seen),
        clock=lambda: next(clock),
    )  # made at 0.0
    remaining = [deadline.remaining() for _ in range(6)]
    # Looks at 1.0 .. 6.0; the time since the last look is as this look finds it: attached
    # from 2.0 to 4.0, which does not count, so the deadline moves from 2.5 to 4.5.
    assert deadline.at == 4.5
    assert remaining == [debugger.POLL_SECONDS] * 4 + [-0.5, -1.5]
    assert changes == [True, False]


def test_init_waits_for_an_editor_without_a_limit() -> None:
    seen = iter(["none", "listening", "listening", "attached", "listening", "listening"])
    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    announced: list[Debug] = []
    debug = Debug("f", announce=announced.append)
    deadline = debugger.Deadline(
        0.5, debug, until_attached=True, probe=lambda _d: next(seen), clock=lambda: next(clock)
    )
    remaining = [deadline.remaining() for _ in range(6)]
    # Until the editor has come and gone (4.0), nothing counts; then the limit runs.
    assert deadline.at == 4.5
    assert remaining == [debugger.POLL_SECONDS] * 4 + [-0.5, -1.5]
    assert announced == [debug]  # once, when the runtime listens
