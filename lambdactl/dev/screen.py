"""The live view of `lambdactl dev`: one compact screen of what the dev loop has seen.

`layout` is pure: a `Snapshot` and a terminal size in, a renderable of that many lines,
none wider than the terminal, out (lists and the stack trace are cut to the rows there are,
long cells end in an ellipsis, columns that do not fit are left out). `Screen`
draws it with Rich's `Live` in the terminal's alternate screen from its own threads (the
server keeps the main thread and the signal handlers) and turns key presses into calls on
its `Source`: `q` quits, `r` reloads every function, `c` clears.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import itertools
import os
import select
import signal
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rich.cells import cell_len
from rich.console import Console, Group
from rich.text import Text

from .activity import FunctionRow, Invocation, Notice, Reloaded, Snapshot

if TYPE_CHECKING:
    from types import TracebackType

    from rich.live import Live

FRAME_SECONDS = 0.1
"""At most 10 frames a second: the screen looks for a change (or a resize) this often."""
STILL_SECONDS = 1.0
"""Redrawn at least this often although nothing changed: the relative times move on."""
WIDE = 160
"""From this width on, the invocations and the latest error stand side by side."""
GAP = "  "
KEYS = (("q", "quit"), ("r", "reload all"), ("c", "clear"))

# What `Screen` writes itself when it must restore the terminal without Rich (a signal):
# show the cursor, leave the alternate screen.
_RESTORE = b"\x1b[?25h\x1b[?1049l"


class Source(Protocol):
    """What the screen draws and what its keys do: the dev loop."""

    def snapshot(self) -> Snapshot:
        """The activity as of now (called up to 10 times a second, from the screen's thread)."""
        ...

    def reload_all(self) -> None:
        """Recycle every function's `$LATEST` environments (`r`)."""
        ...

    def clear(self) -> None:
        """Forget the invocations, counts, notices and the latest error (`c`)."""
        ...

    def quit(self) -> None:
        """Stop the dev loop (`q`), as Ctrl-C does; the loop then calls `Screen.stop`."""
        ...


class Screen:
    """The live view in the terminal, from its own threads: one draws (at most 10 frames a
    second, and only when something changed, the terminal was resized, or a second passed),
    one reads keys from stdin in cbreak mode (Ctrl-C still sends SIGINT to the main thread).
    `stop` (or leaving `with`) restores the terminal as it was; so do an exit that skips it
    (`atexit`) and a SIGTERM, SIGHUP or SIGQUIT nobody else handles (the signal then does
    what it would have done)."""

    def __init__(
        self, source: Source, *, console: Console | None = None, keys: int | None = None
    ) -> None:
        """`console`: where to draw (stdout's terminal by default). `keys`: the file
        descriptor to read keys from (stdin by default; none read unless it is a terminal
        and this process is in its foreground)."""
        self._source = source
        self._console = console if console is not None else Console()
        self._keys = keys
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._live: Live | None = None
        self._saved: tuple[int, list] | None = None  # type: ignore[type-arg]
        self._wake: tuple[int, int] | None = None
        self._signals: list[int] = []
        """The signals whose handler is `_on_signal`."""
        self._problem: Notice | None = None

    def __enter__(self) -> Screen:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Enter the alternate screen, draw the first frame, start reading keys."""
        from rich.live import Live

        with self._lock:
            if self._live is not None:
                return
            self._stopping.clear()
            self._live = Live(
                console=self._console,
                screen=True,
                auto_refresh=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            atexit.register(self.stop)
            self._catch_signals()
            self._live.start()
            self._threads = [threading.Thread(target=self._draw, name="screen", daemon=True)]
            if self._cbreak():
                reader = threading.Thread(target=self._read_keys, name="screen-keys", daemon=True)
                self._threads.append(reader)
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        """Stop drawing and reading keys, leave the alternate screen, restore the terminal.
        Idempotent; callable from any thread (a key's action included)."""
        with self._lock:
            live, self._live = self._live, None
            if live is None:
                return
            self._stopping.set()
            if self._wake is not None:
                os.write(self._wake[1], b"x")
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=2)
            self._threads = []
            try:
                live.stop()
            except OSError:  # the terminal is gone (hung up): nothing to restore on it
                pass
            finally:
                self._restore_keys()
                self._release_signals()
                atexit.unregister(self.stop)

    # -- drawing

    def _draw(self) -> None:
        last: tuple[object, ...] | None = None
        drawn = 0.0
        while True:
            width, height = self._size()
            snapshot = self._snapshot()
            frame = (width, height, dataclasses.replace(snapshot, at=0.0))
            now = time.monotonic()
            if frame != last or now - drawn >= STILL_SECONDS:
                live = self._live
                if live is None:
                    return
                try:
                    live.update(layout(snapshot, width, height), refresh=True)
                except OSError:  # the terminal is gone
                    return
                last, drawn = frame, now
            if self._stopping.wait(FRAME_SECONDS):
                return

    def _size(self) -> tuple[int, int]:
        """The terminal's size now (it follows a resize); the console's when it draws
        elsewhere."""
        try:
            columns, lines = os.get_terminal_size(self._console.file.fileno())
        except (AttributeError, ValueError, OSError):
            return self._console.size
        if columns and lines:
            self._console.size = (columns, lines)  # what Live's screen is cut to
            return columns, lines
        return self._console.size

    def _snapshot(self) -> Snapshot:
        """The source's snapshot, with this screen's own trouble (a failed key action, a
        failed snapshot) as the newest notice."""
        try:
            snapshot = self._source.snapshot()
        except Exception as error:  # the view goes on: the next frame may do better
            problem = Notice(time.time(), "error", f"screen: {type(error).__name__}: {error}")
            snapshot = Snapshot(endpoint="", manifest="", functions=(), invocations=())
            return dataclasses.replace(snapshot, notices=(problem,))
        if self._problem is not None:
            return dataclasses.replace(snapshot, notices=(self._problem, *snapshot.notices))
        return snapshot

    # -- keys

    def _cbreak(self) -> bool:
        """Put the keys' terminal in cbreak mode (keys arrive at once, unechoed; ISIG kept,
        so Ctrl-C is still SIGINT); False when keys are not read."""
        fd = sys.stdin.fileno() if self._keys is None else self._keys
        try:
            if not os.isatty(fd) or os.tcgetpgrp(fd) != os.getpgrp():
                return False  # a pipe, or a background job (it would be stopped: SIGTTOU)
            saved = termios.tcgetattr(fd)
        except (OSError, ValueError, termios.error):
            return False
        mode = termios.tcgetattr(fd)
        mode[tty.LFLAG] &= ~(termios.ECHO | termios.ICANON)
        mode[tty.CC][termios.VMIN] = 1
        mode[tty.CC][termios.VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        self._saved = (fd, saved)
        self._wake = os.pipe()
        return True

    def _restore_keys(self) -> None:
        saved, self._saved = self._saved, None
        if saved is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(saved[0], termios.TCSADRAIN, saved[1])
        wake, self._wake = self._wake, None
        if wake is not None:
            for fd in wake:
                os.close(fd)

    def _read_keys(self) -> None:
        saved, wake = self._saved, self._wake
        assert saved is not None and wake is not None
        fd = saved[0]
        actions: dict[str, Callable[[], None]] = {
            "q": self._source.quit,
            "r": self._source.reload_all,
            "c": self._source.clear,
        }
        while not self._stopping.is_set():
            ready, _, _ = select.select([fd, wake[0]], [], [])
            if wake[0] in ready:
                return
            try:
                data = os.read(fd, 64)
            except OSError:  # the terminal is gone
                return
            if not data:
                return
            if data.startswith(b"\x1b"):  # an arrow or function key's sequence, not a key
                continue
            for key in data.decode("ascii", "ignore"):
                action = actions.get(key)
                if action is not None:
                    self._run(action)

    def _run(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:  # shown in the footer, the keys keep working
            text = f"{action.__name__}: {type(error).__name__}: {error}"
            self._problem = Notice(time.time(), "error", text)
        else:
            self._problem = None

    # -- signals

    def _catch_signals(self) -> None:
        """Restore the terminal before a signal that would end the process unhandled."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, self._on_signal)
                self._signals.append(signum)

    def _release_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in self._signals:
            if signal.getsignal(signum) == self._on_signal:  # not replaced since (serve)
                signal.signal(signum, signal.SIG_DFL)
        self._signals.clear()

    def _on_signal(self, signum: int, _frame: object) -> None:
        """What a signal handler may do: no lock, no Rich; then the signal's own action."""
        saved = self._saved
        if saved is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(saved[0], termios.TCSANOW, saved[1])
        with contextlib.suppress(OSError, AttributeError, ValueError):
            os.write(self._console.file.fileno(), _RESTORE)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def run(source: Source) -> Screen:
    """The screen of `source` on this process's terminal, shown while in `with run(loop):`
    (what `lambdactl dev` does when stdout is a terminal and `--no-ui` is not given)."""
    return Screen(source)


# ---------------------------------------------------------------------------------------------
# Layout (pure)


def layout(snapshot: Snapshot, width: int, height: int) -> Group:
    """The screen for `snapshot` in a `width` x `height` terminal: `height` lines (the header
    on the first, the footer on the last) of at most `width` cells each. Between them, as rows
    allow, the functions, the latest invocations and the latest error, sharing evenly the rows
    beyond what each needs."""
    width, height = max(width, 1), max(height, 1)
    lines = [_header(snapshot, width)]
    if height >= 2:
        body = height - 2
        failure = snapshot.failure
        if failure is not None and width >= WIDE:
            lines += _side_by_side(snapshot, failure, width, body)
        else:
            lines += _stacked(snapshot, failure, width, body)
        lines += [Text()] * (height - 1 - len(lines))  # the footer on the last row
        lines.append(_footer(snapshot, width))
    return Group(*(_fit(line, width) for line in lines))


def _stacked(snapshot: Snapshot, failure: Invocation | None, width: int, body: int) -> list[Text]:
    trace = _error_body(failure) if failure is not None else []
    # (lines it always needs, rows it would like): functions, invocations, latest error
    wanted = [(1, max(1, len(snapshot.functions))), (2, max(1, len(snapshot.invocations)))]
    if failure is not None:
        wanted.append((1, len(trace)))
    rows = _share(body, wanted)
    lines: list[Text] = []
    if rows[0] is not None:
        lines += _functions(snapshot, width, rows[0])
    if rows[1] is not None:
        lines += _invocations(snapshot, width, rows[1])
    if failure is not None and rows[2] is not None:
        lines += _error(failure, trace, width, rows[2])
    return lines


def _side_by_side(snapshot: Snapshot, failure: Invocation, width: int, body: int) -> list[Text]:
    """Functions across the top; below, the invocations on the left, the latest error on the
    right, each as tall as the room left."""
    trace = _error_body(failure)
    band_rows = max(1, len(snapshot.invocations), len(trace) - 1)
    rows = _share(body, [(1, max(1, len(snapshot.functions))), (2, band_rows)])
    lines: list[Text] = []
    if rows[0] is not None:
        lines += _functions(snapshot, width, rows[0])
    if rows[1] is not None:
        left_width = (width - 3) // 2
        right_width = width - 3 - left_width
        left = _invocations(snapshot, left_width, rows[1])
        right = _error(failure, trace, right_width, rows[1] + 1)
        for left_line, right_line in itertools.zip_longest(left, right, fillvalue=Text()):
            lines.append(Text.assemble(_fit(left_line, left_width), (" │ ", "dim"), right_line))
    return lines


def _share(room: int, wanted: Sequence[tuple[int, int]]) -> list[int | None]:
    """Rows for each section, in order of importance: `wanted` is (the lines it always needs,
    the rows it would like). A section is shown (not None) when its lines and its first row
    fit; the rows beyond those are dealt out one at a time in turn, so each gets an even share
    of what is left, and none more than it would like."""
    shares: list[int | None] = []
    for fixed, want in wanted:
        first = min(1, want)
        if fixed + first <= room:
            shares.append(first)
            room -= fixed + first
        else:
            shares.append(None)
    dealt = True
    while room > 0 and dealt:
        dealt = False
        for index, (_fixed, want) in enumerate(wanted):
            share = shares[index]
            if share is not None and share < want and room > 0:
                shares[index] = share + 1
                room -= 1
                dealt = True
    return shares


def _header(snapshot: Snapshot, width: int) -> Text:
    line = Text.assemble(("lambdactl dev", "bold"), GAP, (snapshot.endpoint, "bold cyan"))
    right = Text(f"debug: {snapshot.debug}", style="magenta") if snapshot.debug else Text()
    room = width - line.cell_len - len(GAP) - (right.cell_len + len(GAP) if right else 0)
    if snapshot.manifest and room > 1:
        line.append(GAP)
        line.append(_left_ellipsis(snapshot.manifest, room), style="dim")
    if right:
        line.append(" " * max(len(GAP), width - line.cell_len - right.cell_len))
        line.append_text(right)
    return line


def _functions(snapshot: Snapshot, width: int, rows: int) -> list[Text]:
    columns = (
        Column("FUNCTION", flex=True, minimum=8, keep=9, middle=True),
        Column("WARM", justify="right", keep=8),
        Column("BUSY", justify="right", keep=7),
        Column("INVOKES", justify="right", keep=6),
        Column("ERRORS", justify="right", keep=6),
        Column("P50", justify="right", keep=5),
        Column("RELOADED", justify="right", keep=4),
        Column("STATUS", flex=True, minimum=6, keep=7),
    )
    cells = [_function_cells(row, snapshot.at) for row in snapshot.functions]
    if not cells:
        return _table(columns, [], width, filler=Text("no functions in the manifest", "dim"))
    return _table(columns, _cut(cells, rows, "functions"), width)


def _function_cells(row: FunctionRow, now: float) -> list[Text]:
    return [
        Text(row.name, style="bold"),
        Text(str(row.warm)),
        Text(str(row.busy), style="bold" if row.busy else ""),
        Text(str(row.invocations)),
        Text(str(row.errors), style="bold red" if row.errors else ""),
        Text(_duration(row.p50_ms) if row.p50_ms is not None else "-"),
        Text(_ago(now - row.last_reload) if row.last_reload is not None else "-"),
        Text(row.status, style="yellow"),
    ]


def _invocations(snapshot: Snapshot, width: int, rows: int) -> list[Text]:
    """Title (with the asynchronous queue), column headers, then `rows` rows."""
    title = Text("LATEST INVOCATIONS", style="bold")
    queue = Text.assemble(
        "async queued ",
        (str(snapshot.queued), "bold" if snapshot.queued else ""),
        "  retrying ",
        (str(snapshot.retrying), "bold yellow" if snapshot.retrying else ""),
    )
    title.append(" " * max(len(GAP), width - title.cell_len - queue.cell_len))
    title.append_text(queue)
    columns = (
        Column("TIME", keep=7),
        Column("FUNCTION", flex=True, minimum=8, keep=9, middle=True),
        Column("TRIGGER", flex=True, minimum=7, keep=4),
        Column("VERSION", flex=True, minimum=4, keep=5),
        Column("STATUS", flex=True, minimum=6, keep=8),
        Column("DURATION", justify="right", keep=6),
        Column("START", keep=6),
        Column("INIT", justify="right", keep=3, extra=True),
        Column("REQUEST ID", keep=1, extra=True),
    )
    cells = [_invocation_cells(entry) for entry in snapshot.invocations]
    if not cells:
        filler = Text("no invocations yet", style="dim")
        return [title, *_table(columns, [], width, filler=filler)]
    return [title, *_table(columns, _cut(cells, rows, "invocations"), width)]


def _invocation_cells(entry: Invocation) -> list[Text]:
    failed = entry.failure is not None
    return [
        Text(_clock(entry.at)),
        Text(entry.function, style="red" if failed else ""),
        Text(entry.trigger, style="cyan") if entry.trigger else Text("-", style="dim"),
        Text(entry.version),
        Text(entry.status, style="bold red" if failed else "green"),
        Text(_duration(entry.duration_ms)),
        Text("cold", style="bold yellow") if entry.cold else Text("warm", style="dim"),
        Text(_duration(entry.init_ms) if entry.init_ms is not None else ""),
        Text(entry.request_id, style="dim"),
    ]


def _error(failure: Invocation, body: list[Text], width: int, rows: int) -> list[Text]:
    """The title line (when, which function), then `rows` rows of the error (its type and
    message) and its stack trace; when cut, the error line and the trace's innermost lines
    are kept."""
    title = Text.assemble(
        ("LATEST ERROR", "bold red"),
        GAP,
        _clock(failure.at),
        GAP,
        (failure.function, "bold"),
        " ",
        (failure.version, "dim"),
    )
    shown = body[:rows]
    if len(body) > rows >= 3:
        left_out = len(body) - rows + 1
        tail = body[len(body) - rows + 2 :]
        shown = [body[0], Text(f"… {left_out} lines left out", "dim"), *tail]
    elif len(body) > rows == 2:
        shown = [body[0], body[-1]]
    return [title, *(_fit(line, width) for line in shown)]


def _error_body(failure: Invocation) -> list[Text]:
    """`Type: message`, the message's further lines, then the stack trace, a line a row."""
    assert failure.failure is not None  # only failed invocations are drawn here
    error = failure.failure
    message = error.message.splitlines() or [""]
    lines = [Text.assemble((error.error_type, "bold red"), (f": {message[0]}", "red"))]
    lines += [Text(line, "red") for line in message[1:]]
    for entry in error.trace:
        for line in entry.expandtabs(4).splitlines():
            if line.strip():
                is_frame = line.strip().startswith("File ")
                lines.append(Text(line.rstrip(), style="" if is_frame else "bold"))
    return lines


def _footer(snapshot: Snapshot, width: int) -> Text:
    line = Text()
    for key, action in KEYS:
        line.append(f" {key} ", style="reverse bold")
        line.append(f" {action} ")
    latest = _latest_notice(snapshot)
    if latest is not None:
        line.append(" ")
        line.append_text(latest)
    return line


def _latest_notice(snapshot: Snapshot) -> Text | None:
    """The newest of the notices and the reloads, as one line."""
    notice: Notice | None = snapshot.notices[0] if snapshot.notices else None
    reload: Reloaded | None = snapshot.reloads[0] if snapshot.reloads else None
    if reload is not None and (notice is None or reload.at >= notice.at):
        return Text.assemble(
            (_clock(reload.at), "dim"), " reloaded ", (reload.function, "bold"),
            f" ({reload.reason})" if reload.reason else "",
        )  # fmt: skip
    if notice is not None:
        style = {"warning": "yellow", "error": "bold red"}.get(notice.level, "")
        text = " ".join(notice.text.split())  # one line, whatever it holds
        return Text.assemble((_clock(notice.at), "dim"), " ", (text, style))
    return None


# ---------------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    """`left` or `right`."""
    flex: bool = False
    """Grows to its widest cell when there is room, shrinks to `minimum` (with an ellipsis)
    when there is not; a fixed column is as wide as its widest cell."""
    minimum: int = 0
    keep: int = 5
    """When the columns do not fit, those with the lowest `keep` are left out first."""
    extra: bool = False
    """Shown only when every column fits at its full width (the room is there to use)."""
    middle: bool = False
    """Cut in the middle (names that share a long prefix stay told apart)."""


Row = Sequence[Text] | Text
"""A row's cells, or a line of its own across the columns (`… 3 more`)."""


def _table(
    columns: Sequence[Column], rows: Sequence[Row], width: int, *, filler: Text | None = None
) -> list[Text]:
    """The header line and one line per row, in the columns that fit `width`."""
    cells = [row for row in rows if not isinstance(row, Text)]
    wants = [
        max([len(column.header)] + [cell_len(row[index].plain) for row in cells])
        for index, column in enumerate(columns)
    ]
    kept = list(range(len(columns)))

    def least(index: int) -> int:
        column = columns[index]
        return min(column.minimum, wants[index]) if column.flex else wants[index]

    def total(widths: Callable[[int], int]) -> int:
        return sum(widths(index) for index in kept) + len(GAP) * (len(kept) - 1)

    def drop(candidates: list[int]) -> None:
        kept.remove(min(candidates, key=lambda index: columns[index].keep))

    while total(wants.__getitem__) > width and any(columns[i].extra for i in kept):
        drop([index for index in kept if columns[index].extra])
    while total(least) > width and len(kept) > 1:
        drop(kept[1:])
    widths = {index: least(index) for index in kept}
    room = width - total(least)
    growing = True
    while room > 0 and growing:
        growing = False
        for index in kept:
            if columns[index].flex and widths[index] < wants[index] and room > 0:
                widths[index] += 1
                room -= 1
                growing = True

    def line(cells: Sequence[Text]) -> Text:
        joined = Text()
        for position, index in enumerate(kept):
            if position:
                joined.append(GAP)
            column = columns[index]
            joined.append_text(_fit(cells[index], widths[index], column.justify, column.middle))
        joined.rstrip()
        return joined

    header = line([Text(column.header, style="bold dim") for column in columns])
    if filler is not None and not rows:
        return [header, filler]
    return [header, *(row if isinstance(row, Text) else line(row) for row in rows)]


def _cut(rows: Sequence[Row], room: int, noun: str) -> list[Row]:
    """The first rows that fit `room`; the last of them says how many more there are."""
    if len(rows) <= room or room < 2:
        return list(rows[:room])
    more = Text(f"… {len(rows) - room + 1} more {noun}", style="dim")
    return [*rows[: room - 1], more]


def _fit(text: Text, width: int, justify: str = "left", middle: bool = False) -> Text:
    """`text` on one line, exactly `width` cells: padded, or cut with an ellipsis (at its
    end, or in its `middle`)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in text.plain):
        text = text.copy()
        text.plain = text.plain.translate(_CONTROLS)  # as long: the styles stay in place
    if middle and text.cell_len > width > 2:
        head = (width - 1) // 2
        plain = text.plain
        text = Text(plain[:head] + "…" + plain[len(plain) - (width - 1 - head) :], text.style)
    fitted = text.copy()
    fitted.no_wrap, fitted.overflow, fitted.end = True, "ellipsis", "\n"
    if justify == "right" and fitted.cell_len < width:
        fitted.pad_left(width - fitted.cell_len)
    fitted.truncate(width, overflow="ellipsis", pad=True)
    return fitted


_CONTROLS = {code: "?" for code in (*range(32), 127)} | {ord(c): " " for c in "\t\n\r\f\v"}
"""What a cell shows of control characters (a handler's message may hold anything): a
terminal's escape sequences are not passed through, and a line stays a line."""


def _left_ellipsis(text: str, width: int) -> str:
    """The end of `text` when it is too long (a path's end says most)."""
    if cell_len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1 :] if width > 1 else "…"


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _duration(ms: float) -> str:
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.2f} s"


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"
