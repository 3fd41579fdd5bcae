"""Terminal output: Rich tables for people, plain JSON for scripts. Rich stays in this layer.

Rich costs ~40 ms to import, so it is loaded only by the output that needs it (tables and
summaries); one-line messages and the invoke path write plain text, coloured only on a TTY.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

TYPE_CHECKING = False  # not typing's: importing typing costs the warm path ~2.5 ms
if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console


@functools.cache
def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _styled(stream: Any, text: str, code: str) -> None:
    """Write one line, in an ANSI style when the stream is a terminal (and NO_COLOR unset)."""
    if stream.isatty() and not os.environ.get("NO_COLOR"):
        text = f"\033[{code}m{text}\033[0m"
    stream.write(text + "\n")
    stream.flush()


def print_json(value: Any) -> None:
    """JSON for scripts: exactly the value, indented like the AWS CLI, nothing else."""
    sys.stdout.write(json.dumps(value, indent=4, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def json_line(value: Any) -> None:
    """JSON for streams (logs, a running worker): one compact object per line."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    give_way: Mapping[str, str] | None = None,
) -> None:
    """A table that fits the terminal. When it is too wide, columns are set one space apart;
    then the columns named in `give_way` (default: Description) narrow, in that order, cut
    short (`ellipsis`) or folded onto more lines (`fold`); then other text columns fold.
    Numbers (`128 MB`, `3 s`, `12`) keep their width."""
    from rich import box
    from rich.table import Table

    give_way = {"Description": "ellipsis"} if give_way is None else give_way
    text = [["" if cell is None else str(cell) for cell in row] for row in rows]
    layout = _layout(columns, text, _console().width, list(give_way))
    grid = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        padding=(0, 0) if layout else (0, 1),
        show_edge=layout is None,
    )
    for i, column in enumerate(columns):
        if layout is None:
            grid.add_column(column, no_wrap=True)
        elif column in give_way:  # too narrow to fold readably: cut short
            fold = give_way[column] == "fold" and layout.widths[i] >= GIVE_WAY_MIN
            grid.add_column(
                column,
                width=layout.widths[i],
                no_wrap=not fold,
                overflow="fold" if fold else "ellipsis",
            )
        else:
            grid.add_column(layout.headers[i], width=layout.widths[i], overflow="fold")
    for row in text:
        grid.add_row(*(_escape(cell) for cell in row))
    _console().print(grid)


@dataclass(frozen=True)
class _Layout:
    """A table narrowed to fit: its columns one space apart, without edges."""

    widths: list[int]
    headers: list[str]


_NUMBER = re.compile(r"-|\d[\d.,]*(?: ?[A-Za-z%]{1,3})?")
"""A cell that is a number, perhaps with a unit (`10240 MB`, `3 s`, `1.5 KB`), or `-`."""
GIVE_WAY_MIN = 10
"""Characters a column that gives way keeps while other text can still fold."""
FOLD_MIN = 4
"""Characters any text column keeps while another one can still narrow."""


def _layout(
    headers: Sequence[str], rows: list[list[str]], width: int, give_way: list[str]
) -> _Layout | None:
    """Column widths (padding excluded) that fit `width`; None when the table fits as it is."""
    from rich.cells import cell_len

    n = len(headers)

    def natural(i: int, header: str) -> int:
        head = max(cell_len(word) for word in header.split("\n"))
        return max([head, *(cell_len(row[i]) for row in rows)])

    widths = [natural(i, h) for i, h in enumerate(headers)]
    if sum(widths) + 3 * n + 1 <= width:  # 2 of padding per column, separators and edges
        return None
    flexible = [headers.index(name) for name in give_way if name in headers]
    fixed = [i for i in range(n) if i not in flexible]
    minimum = {i: min(widths[i], GIVE_WAY_MIN) for i in flexible}
    split = list(headers)
    for header_lines in (False, True):  # then the other headers one word per line
        if header_lines:
            split = [h if i in flexible else h.replace(" ", "\n") for i, h in enumerate(headers)]
            widths = [natural(i, h) for i, h in enumerate(split)]
        budget = width - (n - 1) - sum(widths[i] for i in fixed)
        if budget >= sum(minimum.values()):
            return _Layout(_share(widths, flexible, minimum, budget), split)
    numbers = {i for i in fixed if all(_NUMBER.fullmatch(row[i]) for row in rows if row[i])}
    text = [i for i in fixed if i not in numbers]
    widths = [minimum[i] if i in flexible else w for i, w in enumerate(widths)]
    excess = sum(widths) + n - 1 - width
    for floor, narrowing in ((FOLD_MIN, flexible), (FOLD_MIN, text), (1, flexible)):
        while excess > 0:  # the widest first, one character at a time
            wide = [i for i in narrowing if widths[i] > floor]
            if not wide:
                break
            widths[max(wide, key=lambda i: widths[i])] -= 1
            excess -= 1
    return _Layout(widths, split)


def _share(
    widths: list[int], flexible: list[int], minimum: dict[int, int], budget: int
) -> list[int]:
    """Give `budget` to the flexible columns: the last to give way is served first, leaving
    each one before it its minimum."""
    widths = list(widths)
    for position in reversed(range(len(flexible))):
        i = flexible[position]
        reserved = sum(minimum[j] for j in flexible[:position])
        widths[i] = min(widths[i], budget - reserved)
        budget -= widths[i]
    return widths


def fields(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    """A titled key/value summary."""
    console = _console()
    console.print(f"[bold]{_escape(title)}[/]")
    for key, value in pairs:
        if value in (None, "", [], {}):
            continue
        console.print(f"  [dim]{_escape(key):<16}[/] {_escape(str(value))}")


def line(message: str) -> None:
    sys.stdout.write(message + "\n")


def success(message: str) -> None:
    _styled(sys.stdout, f"✓ {message}", "32")


def error(message: str, hint: str | None = None) -> None:
    _styled(sys.stderr, f"error: {message}", "1;31")
    if hint:
        _styled(sys.stderr, f"hint: {hint}", "2")


def failure(message: str, hint: str | None) -> None:
    """An expected failure at the CLI's edge: one line and its hint (the traceback too with
    LAMBDACTL_DEBUG=1)."""
    if os.environ.get("LAMBDACTL_DEBUG") == "1":
        import traceback

        traceback.print_exc()
    error(shown(message), None if hint is None else shown(hint))


def shown(text: str) -> str:
    """`text` with the bytes a user gave that are not UTF-8 (which Python keeps as lone
    surrogates) escaped, as Python's own stderr does: a strict stream would raise instead."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def note(message: str) -> None:
    """A dim line on stderr: what lambdactl is doing, not the command's output."""
    _styled(sys.stderr, message, "2")


def warning(message: str) -> None:
    _styled(sys.stderr, f"warning: {message}", "33")


def short_sha(code_sha256: str) -> str:
    return code_sha256[:12] + "…"


def short_time(last_modified: str) -> str:
    """`2020-04-10T19:06:32.563+0000` -> `2020-04-10 19:06:32` (UTC)."""
    return last_modified[:19].replace("T", " ")


def size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def invocation_summary(result) -> None:  # type: ignore[no-untyped-def]
    """One dim stderr line of invocation metadata, in REPORT's terms."""
    from ..logs import reports

    parts = [f"RequestId: {result.request_id}", f"Version: {result.executed_version}"]
    if result.report is None:  # DryRun: nothing ran (or AWS's log tail had no REPORT)
        if result.status_code == 204:
            parts.append("DryRun: OK")
    else:
        parts += [f"{name}: {value}" for name, value in reports.metrics(result.report)]
        if result.function_error:
            parts.append(f"Error: {result.error_type or result.function_error}")
    _styled(sys.stderr, "  ".join(parts), "31" if result.function_error else "2")


@contextlib.contextmanager
def live_status(describe: Callable[[], str], every: float = 0.5) -> Iterator[None]:
    """A Rich spinner whose text `describe()` refreshes, on a terminal; nothing elsewhere
    (a detached worker writes to a log file)."""
    if not sys.stdout.isatty():
        yield
        return
    done = threading.Event()
    with _console().status(describe()) as status:

        def refresh() -> None:
            while not done.wait(every):
                status.update(describe())

        thread = threading.Thread(target=refresh, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
