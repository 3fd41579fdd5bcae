"""Terminal output: Rich tables for people, plain JSON for scripts. Rich stays in this layer."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    """JSON for scripts: exactly the value, indented like the AWS CLI, nothing else."""
    sys.stdout.write(json.dumps(value, indent=4, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Identifier columns keep their full width; free text (descriptions) gives way."""
    cells = [[escape("" if cell is None else str(cell)) for cell in row] for row in rows]
    grid = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for i, column in enumerate(columns):
        if column == "Description":
            grid.add_column(column, no_wrap=True, overflow="ellipsis", ratio=1)
        else:
            width = max([len(column), *(len(row[i]) for row in cells)])
            grid.add_column(column, no_wrap=True, min_width=min(width, 48))
    for row in cells:
        grid.add_row(*row)
    stdout.print(grid)


def fields(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    """A titled key/value summary."""
    stdout.print(f"[bold]{escape(title)}[/]")
    for key, value in pairs:
        if value in (None, "", [], {}):
            continue
        stdout.print(f"  [dim]{escape(key):<16}[/] {escape(str(value))}")


def line(message: str) -> None:
    stdout.print(escape(message))


def success(message: str) -> None:
    stdout.print(f"[green]✓[/] {escape(message)}")


def error(message: str, hint: str | None = None) -> None:
    stderr.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        stderr.print(f"[dim]hint: {escape(hint)}[/]")


def warning(message: str) -> None:
    stderr.print(f"[yellow]warning:[/] {escape(message)}")


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
    style = "red" if result.function_error else "dim"
    stderr.print(f"[{style}]{escape('  '.join(parts))}[/]")
