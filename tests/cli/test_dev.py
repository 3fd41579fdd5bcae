"""`lambdactl dev`'s command line: plain lines to a pipe (the banner, then one line per
invocation, reload and notice), and what it refuses before starting anything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.dev.conftest import MANIFEST, write_handler

CLOCK = r"\d\d:\d\d:\d\d\.\d\d\d"


def test_to_a_pipe_it_prints_the_banner_then_a_line_per_happening(project_dir: Path) -> None:
    """Without --no-ui too: stdout is not a terminal."""
    import http.client

    (project_dir / "functions.yaml").write_text(MANIFEST.format(greeting="Hello"))
    write_handler(project_dir / "src" / "hello", "1")
    write_handler(project_dir / "src" / "other", "1")
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "dev", "--port", "0"],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    reloaded = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "reloaded" in line:
                reloaded.set()

    try:
        first = process.stdout.readline()
        assert first.startswith("lambdactl dev for ")
        while not (line := process.stdout.readline()).startswith("  endpoint  "):
            assert line, first
        url = line.split()[1]
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        host, _, port = url.removeprefix("http://").rpartition(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.request("POST", "/2015-03-31/functions/hello/invocations", b"{}")
        assert connection.getresponse().read()
        connection.close()
        write_handler(project_dir / "src" / "hello", "2")
        assert reloaded.wait(60), lines
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    reader.join(timeout=60)
    assert process.stderr is not None
    err = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == 0 and err == ""
    assert lines[-1] == "server stopped"
    body = [line for line in lines if re.match(CLOCK, line)]
    assert re.fullmatch(rf"{CLOCK}  hello  \$LATEST  ok  \d+\.\d ms  cold", body[0]), body
    assert re.fullmatch(rf"{CLOCK}  hello  reloaded \(src/hello/app\.py\)", body[1]), body
    assert "  watching  the functions' code and layers, requirements.txt, the manifest" in lines


def test_debug_of_what_cannot_be_debugged_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    import socket

    done = cli("dev", "--port", "0", "--debug", "nope")
    assert (done.code, done.out) == (2, "")
    assert done.err.splitlines()[0] == "error: --debug nope: the project has no function nope"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("dev", "--port", "0", "--debug", "hello", "--debug-port", str(port))
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"error: cannot debug hello on 127.0.0.1:{port}: address")


def test_a_bad_on_change_is_one_line_before_anything_starts(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("dev", "--port", "0", "--on-change", "nope --payload {}")
    assert done.code != 0 and done.out == ""
    assert done.err.splitlines()[0] == (
        "error: --on-change 'nope --payload {}': the project has no function nope"
    )
