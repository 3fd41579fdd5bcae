"""`lambdactl init`."""

from __future__ import annotations

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
    render.line("next: lambdactl publish && lambdactl versions hello")
