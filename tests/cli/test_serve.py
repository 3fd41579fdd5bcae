"""`lambdactl serve`'s banner, read from a real server process through a pipe and through a
terminal (a pty) of a given width."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.runtime import fn, write_functions

LAST_LINE = "  the retry worker runs inside; Ctrl-C stops everything"


@pytest.fixture
def with_url(project_dir: Path) -> Path:
    write_functions(
        project_dir,
        {
            "hello": fn("app.echo", url=True),
            "a-function-with-a-long-name": fn("app.handlers.with_a_rather_long_handler_name"),
        },
    )
    return project_dir


def banner(project_dir: Path, *args: str, columns: int | None = None) -> list[str]:
    """The banner's lines (the server is stopped once it is printed); on a terminal
    `columns` wide when `columns` is given, else to a pipe (COLUMNS=40 to tempt a wrap)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["NO_COLOR"] = "1"
    command = [sys.executable, "-m", "lambdactl", "serve", "--port", "0", *args]
    if columns is None:
        env["COLUMNS"] = "40"
        process = subprocess.Popen(
            command, cwd=project_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        assert process.stdout is not None
        reader = process.stdout.fileno()
    else:
        reader, writer = os.openpty()
        fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        process = subprocess.Popen(command, cwd=project_dir, stdout=writer, stderr=writer, env=env)
        os.close(writer)
    out, deadline = b"", time.monotonic() + 30
    try:
        while b"Ctrl-C stops everything" not in out.replace(b"\r\n", b" "):
            left = deadline - time.monotonic()
            assert left > 0, out
            if select.select([reader], [], [], left)[0]:
                out += os.read(reader, 65536)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()
        else:
            os.close(reader)
    text = out.decode().replace("\r\n", "\n").replace("\x1b[1m", "").replace("\x1b[0m", "")
    return text.splitlines()


def urls_of(lines: list[str]) -> tuple[str, list[str]]:
    endpoint = next(line for line in lines if line.startswith("  endpoint  ")).split()[1]
    return endpoint, [
        f"  try: aws lambda invoke --endpoint-url {endpoint} --function-name NAME out.json",
        LAST_LINE,
    ]


def test_to_a_pipe_the_banner_is_plain_lines_never_wrapped(with_url: Path) -> None:
    lines = banner(with_url)
    endpoint, last = urls_of(lines)
    assert lines[-2:] == last
    assert lines[1] == f"  endpoint  {endpoint}  (Lambda, SQS and CloudWatch Logs APIs)"
    assert lines[2].split() == ["Function", "Runtime", "Handler", "URL"]
    assert lines[3].split() == ["a-function-with-a-long-name", "python3.11",
                                "app.handlers.with_a_rather_long_handler_name"]
    assert lines[4].split() == ["hello", "python3.11", "app.echo", f"{endpoint}/url/hello/"]
    assert len(lines) == 7


@pytest.mark.parametrize(
    ("columns", "kept"),
    [(200, ["Function", "Runtime", "Handler", "URL"]), (110, ["Function", "Handler", "URL"]),
     (60, ["Function", "URL"]), (30, ["Function", "URL"])],
)
def test_on_a_narrow_terminal_runtime_then_handler_give_way_and_nothing_wraps(
    with_url: Path, columns: int, kept: list[str]
) -> None:
    lines = banner(with_url, "--host", "0.0.0.0", columns=columns)
    assert lines[0].startswith("warning: listening on all interfaces (0.0.0.0)")
    endpoint, last = urls_of(lines)
    assert lines[2] == (
        f"  endpoint  {endpoint}  (Lambda, SQS and CloudWatch Logs APIs; listening on all "
        "interfaces)"
    )
    assert lines[-2:] == last
    assert lines[3].split() == kept
    assert lines[5].split()[0] == "hello" and lines[5].split()[-1] == f"{endpoint}/url/hello/"
    assert len(lines) == 8
