"""What every command shares: the global options and the project they point at."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ..project import Project


class Output(str, Enum):
    text = "text"
    json = "json"


OUTPUT_OPTION = typer.Option(
    Output.text, "--output", "-o", help="text (tables) or json (the AWS API's response shape)."
)

ENV_VARS_HELP = (
    "Environment variables to override or add, from a JSON file as sam local's "
    '({"Parameters": {...every function...}, "FUNCTION": {...}}) or a .env file '
    "(NAME=value lines, for every function)."
)
"""`--env-vars FILE`'s help, the same words for every command that takes it."""


@dataclass
class Session:
    manifest_option: str | None = None
    _project: Project | None = field(default=None, repr=False)

    def manifest_path(self):  # type: ignore[no-untyped-def]
        from ..manifest import find

        return find(explicit=self.manifest_option)

    def project(self) -> Project:
        """The project, opened once per command (the manifest is validated on the way)."""
        if self._project is None:
            from ..project import Project

            self._project = Project.open(self.manifest_path())
        return self._project

    def close(self) -> None:
        """Close the project, if the command opened it (its store's connection at once, not
        whenever the interpreter gets to it)."""
        if self._project is not None:
            self._project.close()
            self._project = None


def session(ctx: typer.Context) -> Session:
    obj = ctx.find_root().obj
    assert isinstance(obj, Session)
    return obj
