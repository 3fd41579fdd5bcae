"""The live view: `layout` drawn by a recording Rich console at 80x24 and 200x50, then
`lambdactl dev` itself in a real pseudo-terminal (pexpect drives it, pyte renders what a
person would see): invocations over the API appear, keys act, a resize is followed, the
terminal is restored."""

from __future__ import annotations

import dataclasses
import http.client
import io
import json
import os
import signal
import sqlite3
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest
from rich.console import Console

from lambdactl import endpoint
from lambdactl.dev.activity import Activity, Snapshot
from lambdactl.dev.screen import Screen, layout
from lambdactl.invoke import InvocationResult
from lambdactl.logs.reports import Report

ROOT = Path(__file__).resolve().parents[2]
START = 1_750_000_000.0
LONG = "orders-ingest-and-reconcile-with-the-ledger-service"
TRACE = [
    f'  File "/work/shop/src/{LONG}/pipeline/stage_{n}.py", line {10 + n}, in stage_{n}\n'
    f"    return stage_{n + 1}(event, context)\n"
    for n in range(14)
] + ['  File "/work/shop/src/ledger/client.py", line 88, in post\n    raise LedgerError(reply)\n']


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def result(number: int, *, cold: bool = False, error: bool = False) -> InvocationResult:
    request_id = f"8f2c1d3e-0000-4000-8000-{number:012d}"
    report = Report(
        request_id, 2.5 + number * 1.5, 3, 128, 40, init_duration_ms=240.0 if cold else None
    )
    if not error:
        return InvocationResult(200, request_id, "$LATEST", b"{}", report=report)
    payload = {
        "errorType": "LedgerError",
        "errorMessage": "ledger refused the batch: 3 entries out of balance",
        "stackTrace": TRACE,
    }
    body = json.dumps(payload).encode()
    return InvocationResult(200, request_id, "7", body, function_error="Unhandled", report=report)


def busy_snapshot(functions: int = 14, invocations: int = 60) -> Snapshot:
    """A project that has run a while: many functions (one with a long name), many
    invocations (cold starts and errors among them), a long stack trace, reloads, notices."""
    clock = Clock()
    activity = Activity(clock)
    names = [LONG] + [f"worker-{n:02d}" for n in range(functions - 1)]
    for name in names[:4]:
        activity.reloaded(name, "app.py")
        clock.now += 7
    activity.status(names[2], "installing requirements")
    for n in range(invocations):
        clock.now += 1
        name = names[n % len(names)]
        activity.invoked(name, result(n, cold=n % 9 == 0, error=n % 10 == 3))
    warning = "functions.yaml line 12: unknown key 'handlr' (kept the last good one)"
    activity.note(warning, level="warning")
    clock.now += 30
    return activity.snapshot(
        endpoint="http://127.0.0.1:3001",
        manifest="/home/someone/projects/shop/functions.yaml",
        functions=names,
        environments={names[0]: (2, 1), names[1]: (1, 0)},
        queued=5,
        retrying=2,
    )


def draw(snapshot: Snapshot, width: int, height: int) -> list[str]:
    """The lines a `width` x `height` console shows of the layout."""
    console = Console(record=True, width=width, height=height, color_system="truecolor")
    console.print(layout(snapshot, width, height))
    return console.export_text().rstrip("\n").split("\n")


def fits(lines: list[str], width: int, height: int) -> None:
    assert len(lines) <= height, "\n".join(lines)
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, "\n".join(too_wide)


def test_80x24_cuts_every_part_to_the_rows_there_are() -> None:
    lines = draw(busy_snapshot(), 80, 24)
    fits(lines, 80, 24)
    text = "\n".join(lines)
    assert lines[0].startswith("lambdactl dev  http://127.0.0.1:3001")
    assert lines[-1].lstrip().startswith("q  quit  r  reload all  c  clear")
    # Each part is there, cut to its share of the rows, and says how much it left out.
    assert "FUNCTION" in lines[1] and "P50" in lines[1] and "RELOADED" in lines[1]
    assert "more functions" in text and "more invocations" in text
    # The error and the innermost frames of its trace are what is kept.
    assert "lines left out" in text
    assert "raise LedgerError(reply)" in text
    error = next(i for i, line in enumerate(lines) if line.startswith("LATEST ERROR"))
    assert lines[error + 1].startswith("LedgerError: ledger refused the batch")
    # The newest invocation first, cut to the width with an ellipsis, never wrapped.
    newest = lines[next(i for i, line in enumerate(lines) if line.startswith("TIME")) + 1]
    assert newest.startswith(time.strftime("%H:%M:%S", time.localtime(START + 88)))
    assert "worker-" in newest and "$LATEST" in newest and "ok" in newest
    long_row = next(line for line in lines[2:] if line.startswith(LONG[:6]))
    assert "…" in long_row and LONG not in long_row  # cut in the middle: both ends show
    assert long_row.split()[0].endswith(LONG[-6:])
    assert "async queued 5  retrying 2" in text


def test_200x50_uses_the_room() -> None:
    snapshot = busy_snapshot()
    small, large = draw(snapshot, 80, 24), draw(snapshot, 200, 50)
    fits(large, 200, 50)
    text = "\n".join(large)
    # Every function, whole names, the whole status.
    for row in snapshot.functions:
        assert any(line.startswith(row.name + " ") for line in large), row.name
    assert "installing requirements" in text
    assert "more functions" not in text
    # The latest error beside the invocations, its message whole, more of its trace.
    title = next(i for i, line in enumerate(large) if "LATEST INVOCATIONS" in line)
    assert "LATEST ERROR" in large[title]
    error = "LedgerError: ledger refused the batch: 3 entries out of balance"
    assert large[title + 1].rstrip().endswith(error)
    assert sum("File " in line for line in large) > sum("File " in line for line in small)
    assert any(LONG in line for line in large[title + 2 :])  # in the invocations, whole
    assert "unknown key 'handlr' (kept the last good one)" in large[-1]


def test_200x50_without_an_error_has_room_for_more_columns() -> None:
    snapshot = dataclasses.replace(busy_snapshot(), failure=None)
    lines = draw(snapshot, 200, 50)
    fits(lines, 200, 50)
    header = next(line for line in lines if line.startswith("TIME"))
    assert "INIT" in header and "REQUEST ID" in header  # which 80 columns leave out
    assert "REQUEST ID" not in "\n".join(draw(snapshot, 80, 24))
    assert any(snapshot.invocations[0].request_id in line for line in lines)


@pytest.mark.parametrize("size", [(80, 24), (200, 50), (120, 30), (60, 20), (40, 10), (24, 4)])
def test_any_size_fits(size: tuple[int, int]) -> None:
    width, height = size
    lines = draw(busy_snapshot(functions=30, invocations=200), width, height)
    fits(lines, width, height)
    assert lines[0].startswith("lambdactl dev"[:width])
    assert "q " in lines[-1]


def test_rows_are_shared_evenly_and_a_short_list_is_whole() -> None:
    """Three functions are all shown; the invocations and the trace share the rest."""
    lines = draw(busy_snapshot(functions=3), 80, 24)
    fits(lines, 80, 24)
    assert len(lines) == 24
    text = "\n".join(lines)
    assert "more functions" not in text
    start = next(i for i, line in enumerate(lines) if line.startswith("TIME"))
    error = next(i for i, line in enumerate(lines) if line.startswith("LATEST ERROR"))
    invocation_rows, trace_rows = error - start - 1, len(lines) - 1 - error - 1
    assert abs(invocation_rows - trace_rows) <= 1, text


def test_cold_starts_and_errors_are_coloured() -> None:
    console = Console(width=200, height=50, color_system="truecolor")
    colours: dict[str, set[str | None]] = {"cold": set(), "warm": set(), "LedgerError": set()}
    for line in console.render_lines(layout(busy_snapshot(3, 10), 200, 50), pad=False):
        for segment in line:
            word = segment.text.strip()
            if word in colours and segment.style is not None:
                colour = segment.style.color
                colours[word].add(colour.name if colour is not None else None)
    assert colours == {"cold": {"yellow"}, "warm": {None}, "LedgerError": {"red"}}


def test_an_empty_project_says_so() -> None:
    snapshot = Activity().snapshot(
        endpoint="http://127.0.0.1:3001", manifest="functions.yaml", functions=[], environments={}
    )
    lines = draw(snapshot, 80, 24)
    text = "\n".join(lines)
    assert "no functions in the manifest" in text
    assert "no invocations yet" in text
    assert "LATEST ERROR" not in text


def test_the_footer_shows_the_newest_notice_or_reload() -> None:
    clock = Clock()
    activity = Activity(clock)
    activity.note("requirements installed", function="hello")
    clock.now += 1
    activity.reloaded("hello", "requirements.txt")
    args = dict(endpoint="e", manifest="m", functions=["hello"], environments={})
    assert "reloaded hello (requirements.txt)" in draw(activity.snapshot(**args), 80, 24)[-1]
    clock.now += 1
    activity.note("functions.yaml line 3: bad", level="error")
    assert "functions.yaml line 3: bad" in draw(activity.snapshot(**args), 80, 24)[-1]
    clock.now += 65
    row = draw(activity.snapshot(**args), 80, 24)[2]
    assert row.startswith("hello") and "1m ago" in row


class Recorded:
    """A `Source` over a real `Activity`, recording the calls of the keys."""

    def __init__(self, snapshot: Callable[[], Snapshot] | None = None) -> None:
        self.activity = Activity()
        self.activity.invoked("hello", result(1, cold=True))
        self.calls: list[str] = []
        self._snapshot = snapshot

    def snapshot(self) -> Snapshot:
        if self._snapshot is not None:
            return self._snapshot()
        return self.activity.snapshot(
            endpoint="http://127.0.0.1:3001", manifest="functions.yaml", functions=["hello"],
            environments={"hello": (1, 0)},
        )  # fmt: skip

    def reload_all(self) -> None:
        self.calls.append("reload_all")

    def clear(self) -> None:
        self.calls.append("clear")

    def quit(self) -> None:
        self.calls.append("quit")


def terminal_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=80, height=24), out


def test_an_exception_leaves_the_screen_restored() -> None:
    console, out = terminal_console()
    with pytest.raises(RuntimeError, match="the server broke"):
        with Screen(Recorded(), console=console, keys=-1):
            deadline = time.monotonic() + 20
            while "hello" not in out.getvalue():
                assert time.monotonic() < deadline, out.getvalue()
                time.sleep(0.01)
            raise RuntimeError("the server broke")
    written = out.getvalue()
    assert written.startswith("\x1b[?1049h")  # the alternate screen
    assert written.endswith("\x1b[?25h\x1b[?1049l")  # the cursor back, the normal screen back
    assert not [t for t in threading.enumerate() if t.name.startswith("screen")]


def test_a_failing_snapshot_is_shown_not_fatal() -> None:
    def broken() -> Snapshot:
        raise sqlite3.OperationalError("database is locked")

    console, out = terminal_console()
    screen = Screen(Recorded(broken), console=console, keys=-1)
    screen.start()
    try:
        deadline = time.monotonic() + 20
        while "screen: OperationalError" not in out.getvalue():
            assert time.monotonic() < deadline, out.getvalue()
            time.sleep(0.01)
    finally:
        screen.stop()
    screen.stop()  # idempotent


# ---------------------------------------------------------------------------------------------
# In a pseudo-terminal

HANDLERS = """\
def hello(event, context):
    return {"hello": "world"}


def _boom():
    raise ValueError("bad thing")


def broken(event, context):
    _boom()
"""


class Terminal:
    """A process on a pseudo-terminal, and what a person would see of it (pyte)."""

    def __init__(self, argv: list[str], cwd: Path, size: tuple[int, int]) -> None:
        columns, rows = size
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm-256color", PYTHONPATH=str(ROOT))
        self.child = pexpect.spawn(
            argv[0], argv[1:], cwd=str(cwd), env=env, dimensions=(rows, columns)
        )
        self.before = termios.tcgetattr(self.child.child_fd)

    def pump(self) -> bool:
        """Take what the process wrote; False once it has closed the terminal."""
        try:
            while True:
                data = self.child.read_nonblocking(65536, timeout=0.05)
                self.raw += data
                self.stream.feed(data)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False

    def wait_exit(self, limit: float = 20) -> int | None:
        """The exit status, once the process has ended (the limit only ends a failing test)."""
        deadline = time.monotonic() + limit
        while self.pump():
            assert time.monotonic() < deadline, "the process did not end"
        self.child.wait()
        return self.child.exitstatus

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def wait_for(self, what: str, seen: Callable[[list[str]], bool], limit: float = 20) -> None:
        """Until the screen shows `seen` (the limit only ends a failing test)."""
        deadline = time.monotonic() + limit
        while True:
            self.pump()
            if seen(self.lines):
                return
            if time.monotonic() > deadline or not self.child.isalive():
                self.pump()
                shown = "\n".join(self.lines)
                raise AssertionError(f"never saw {what}; the screen:\n{shown}")

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        self.child.setwinsize(rows, columns)

    def left_the_screen(self) -> bool:
        """The last word on the alternate screen left it, and the cursor is shown again."""
        raw = bytes(self.raw)
        left = raw.rfind(b"\x1b[?1049l") > raw.rfind(b"\x1b[?1049h") >= 0
        return left and raw.rfind(b"\x1b[?25h") > raw.rfind(b"\x1b[?25l")

    def restored(self) -> bool:
        """The terminal is as before: line editing and echo back on."""
        now = termios.tcgetattr(self.child.child_fd)
        flags = termios.ICANON | termios.ECHO | termios.ISIG
        return now[3] & flags == self.before[3] & flags == flags

    def close(self) -> None:
        if self.child.isalive():
            self.child.kill(signal.SIGKILL)
        self.child.close(force=True)


@pytest.fixture
def terminal(project_dir: Path) -> Iterator[Callable[[tuple[int, int]], Terminal]]:
    code = project_dir / "src" / "hello"
    (code / "app.py").write_text(HANDLERS)
    functions = {
        "hello": {"handler": "app.hello", "code": "src/hello"},
        "broken": {"handler": "app.broken", "code": "src/hello"},
        LONG: {"handler": "app.hello", "code": "src/hello"},
    }
    manifest = {"region": "us-east-1", "account": "123456789012", "functions": functions}
    (project_dir / "functions.yaml").write_text(json.dumps(manifest))
    opened: list[Terminal] = []

    def open_terminal(size: tuple[int, int]) -> Terminal:
        argv = [sys.executable, "-m", "lambdactl", "dev", "--port", "0"]
        opened.append(Terminal(argv, project_dir, size))
        return opened[-1]

    yield open_terminal
    for shown in opened:
        shown.close()


def invoke(project_dir: Path, function: str) -> None:
    """Invoke `function` over the Lambda API of the `lambdactl dev` running there."""
    running = endpoint.running(project_dir / ".lambda")
    assert running is not None, "lambdactl dev has not published its endpoint"
    connection = http.client.HTTPConnection(*running.host_port, timeout=30)
    try:
        connection.request("POST", f"/2015-03-31/functions/{function}/invocations", body=b"{}")
        connection.getresponse().read()
    finally:
        connection.close()


def row_of(lines: list[str], *words: str) -> bool:
    return any(all(word in line for word in words) for line in lines)


@pytest.mark.parametrize("size, other", [((80, 24), (200, 50)), ((200, 50), (80, 24))])
def test_the_screen_in_a_terminal(
    terminal: Callable[[tuple[int, int]], Terminal],
    project_dir: Path,
    size: tuple[int, int],
    other: tuple[int, int],
) -> None:
    shown = terminal(size)
    footer = "q  quit  r  reload all  c  clear"
    shown.wait_for("the screen", lambda lines: footer in lines[-1] and row_of(lines, "hello"))
    assert shown.lines[0].startswith("lambdactl dev")
    assert row_of(shown.lines, "broken") and row_of(shown.lines, "FUNCTION", "WARM", "P50")
    assert not shown.restored()  # cbreak: keys arrive at once, unechoed

    invoke(project_dir, "hello")
    shown.wait_for(
        "hello's invocation", lambda lines: row_of(lines, "hello", "$LATEST", "ok", "cold")
    )
    invoke(project_dir, "broken")
    shown.wait_for("the error", lambda lines: row_of(lines, "ValueError: bad thing"))
    assert row_of(shown.lines, "LATEST ERROR", "broken", "$LATEST")
    assert row_of(shown.lines, "raise ValueError")
    assert row_of(shown.lines, "broken", "$LATEST", "ValueError", "cold")

    shown.child.send("c")
    shown.wait_for("the invocations cleared", lambda lines: row_of(lines, "no invocations yet"))
    assert not row_of(shown.lines, "LATEST ERROR")

    shown.child.send("r")
    shown.wait_for("a reload notice", lambda lines: "reloaded" in lines[-1])
    assert row_of(shown.lines, "hello", "s ago")  # RELOADED: a moment ago

    # The layout follows a resize: the footer on the new last row, the long name whole only
    # when there is room for it.
    columns, rows = other
    shown.resize(columns, rows)
    shown.wait_for(
        f"the layout at {columns}x{rows}",
        lambda lines: len(lines) == rows and footer in lines[-1] and "reloaded" in lines[-1],
    )
    assert row_of(shown.lines, LONG) == (columns == 200)
    assert all(len(line) <= columns for line in shown.lines)

    if size == (80, 24):
        shown.child.send("q")
    else:
        shown.child.sendintr()  # Ctrl-C: SIGINT to the process, as serve stops on
    assert shown.wait_exit() == 0
    assert shown.left_the_screen()
    assert shown.restored()


def test_sigterm_restores_the_terminal(
    terminal: Callable[[tuple[int, int]], Terminal],
) -> None:
    shown = terminal((80, 24))
    shown.wait_for("the screen", lambda lines: "q  quit" in lines[-1] and row_of(lines, "hello"))
    assert not shown.restored()
    shown.child.kill(signal.SIGTERM)
    shown.wait_exit()
    assert shown.left_the_screen()
    assert shown.restored()


def test_control_characters_in_a_message_are_not_passed_to_the_terminal() -> None:
    activity = Activity()
    payload = {"errorType": "Oops", "errorMessage": "boom\x1b[2J\tthere\nsecond\x07 line"}
    failed = InvocationResult(
        200, "r-1", "$LATEST", json.dumps(payload).encode(), function_error="Unhandled",
        report=Report("r-1", 1.0, 1, 128, 40),
    )  # fmt: skip
    activity.invoked("hello", failed)
    activity.note("a\x1b]0;title\x07b")
    snapshot = activity.snapshot(endpoint="e", manifest="m", functions=["hello"], environments={})
    console = Console(file=io.StringIO(), force_terminal=True, width=80, height=24)
    console.print(layout(snapshot, 80, 24))
    written = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[2J" not in written and "\x1b]0;" not in written and "\x07" not in written
    lines = draw(snapshot, 80, 24)
    fits(lines, 80, 24)
    assert any(line.startswith("Oops: boom?[2J there") for line in lines)
    assert any(line.startswith("second line") for line in lines)  # BEL: dropped by Rich


def test_invocations_by_event_sources_show_their_trigger(
    terminal: Callable[[tuple[int, int]], Terminal], project_dir: Path
) -> None:
    """Pollers' invocations appear like the others, with what triggered them (a queue, a
    watched directory), and the sources are listed when the view starts."""
    from lambdactl import queues
    from lambdactl.project import Project

    (project_dir / "inbox").mkdir()
    manifest = json.loads((project_dir / "functions.yaml").read_text())
    manifest["functions"]["hello"]["events"] = [{"queue": "orders"}, {"files": {"path": "inbox"}}]
    manifest["queues"] = {"orders": {}}
    (project_dir / "functions.yaml").write_text(json.dumps(manifest))
    shown = terminal((200, 50))
    shown.wait_for(
        "the sources", lambda lines: "event sources: queue orders -> hello (Enabled)" in lines[-1]
    )
    assert "files inbox -> hello (Enabled)" in shown.lines[-1]
    project = Project.open(project_dir / "functions.yaml")
    try:
        queues.send(project, "orders", "an order")
        shown.wait_for(
            "the queue's invocation",
            lambda lines: row_of(lines, "hello", "queue orders", "$LATEST", "ok"),
        )
        deadline = time.monotonic() + 30
        while not row_of(shown.lines, "hello", "files inbox/", "$LATEST", "ok"):
            assert time.monotonic() < deadline, "\n".join(shown.lines)
            (project_dir / "inbox" / "drop.txt").write_text(str(time.monotonic()))
            shown.wait_for("a moment", lambda _lines: True)
            time.sleep(0.3)
        assert row_of(shown.lines, "TIME", "FUNCTION", "TRIGGER", "VERSION")
    finally:
        project.close()
    shown.child.send("q")
    assert shown.wait_exit() == 0
