"""`lambdactl init`."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    directory: Path = typer.Argument(Path("."), metavar="[DIR]"),
    runtime: str = typer.Option(
        "python3.11",
        "--runtime",
        help="python3.9..python3.14, nodejs20.x, 22.x or 24.x",
        autocompletion=completion.runtimes,
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Scaffold a manifest and a first function (refuses to overwrite anything)."""
    from .. import scaffold

    written = scaffold.init(directory, runtime)
    if output is Output.json:
        render.print_json({"Directory": str(directory.resolve()), "Files": list(map(str, written))})
        return
    for path in written:
        render.success(f"created {path}")
    steps = "lambdactl publish && lambdactl versions hello"
    if directory.resolve() != Path.cwd().resolve():  # the manifest is found from the cwd
        steps = f"cd {shlex.quote(str(directory))} && {steps}"
    render.line(f"next: {steps}")
