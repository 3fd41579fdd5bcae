"""Terminal output: Rich tables for people, plain JSON for scripts. Rich stays in this layer.

Rich costs ~40 ms to import, so it is loaded only by the output that needs it (tables and
summaries); one-line messages and the invoke path write plain text, coloured only on a TTY.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Identifier columns keep their full width; free text (descriptions) gives way."""
    from rich import box
    from rich.table import Table

    cells = [[_escape("" if cell is None else str(cell)) for cell in row] for row in rows]
    grid = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for i, column in enumerate(columns):
        if column == "Description":
            grid.add_column(column, no_wrap=True, overflow="ellipsis", ratio=1)
        else:
            width = max([len(column), *(len(row[i]) for row in cells)])
            grid.add_column(column, no_wrap=True, min_width=min(width, 48))
    for row in cells:
        grid.add_row(*row)
    _console().print(grid)


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
    parts = [f"RequestId: {result.request_id}", f"Version: {result.executed_version}"]
    if result.status_code == 204:
        parts.append("DryRun: OK")
    else:
        parts += [
            f"Duration: {result.duration_ms:.2f} ms",
            f"Billed Duration: {result.billed_duration_ms} ms",
            f"Memory Size: {result.memory_mb} MB",
            f"Max Memory Used: {result.max_memory_mb} MB",
        ]
        if result.init_duration_ms is not None:
            parts.append(f"Init Duration: {result.init_duration_ms:.2f} ms")
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
