"""`lambdactl init`."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from . import render


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(directory: Path = typer.Argument(Path("."), metavar="[DIR]")) -> None:
    """Scaffold a manifest and a first function (refuses to overwrite anything)."""
    from .. import scaffold

    for path in scaffold.init(directory):
        render.success(f"created {path}")
    steps = "lambdactl publish && lambdactl versions hello"
    if directory.resolve() != Path.cwd().resolve():  # the manifest is found from the cwd
        steps = f"cd {shlex.quote(str(directory))} && {steps}"
    render.line(f"next: {steps}")
