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
    parameter_overrides: str | None = None
    region: str | None = None
    account: str | None = None
    """A SAM template's options, as given (None: not given); see `sam/options.py`."""
    _project: Project | None = field(default=None, repr=False)
    _applied: bool = field(default=False, repr=False)

    def manifest_path(self):  # type: ignore[no-untyped-def]
        from ..manifest import find

        path = find(explicit=self.manifest_option)
        if not self._applied:
            self._applied = True
            self._apply_options(path)
        return path

    def _apply_options(self, path) -> None:  # type: ignore[no-untyped-def]
        """Remember a template's options given to this command (every process that loads the
        template reads them: `sam/options.py`); for a functions.yaml, refuse overrides, and a
        region or account other than its own (the manifest says which it is)."""
        given = (self.parameter_overrides, self.region, self.account)
        if all(option is None for option in given):
            return
        from ..errors import UsageError
        from ..layout import STATE_DIR_NAME
        from ..manifest import is_template_file, load
        from ..sam import options

        if self.region is not None:
            options.check_region(self.region)
        if self.account is not None:
            options.check_account(self.account)
        if not is_template_file(path):
            if self.parameter_overrides is not None:
                raise UsageError(
                    f"--parameter-overrides is for a SAM template; {path.name} has no parameters"
                )
            loaded = load(path)
            for name, value, own in (
                ("--region", self.region, loaded.region),
                ("--account", self.account, loaded.account),
            ):
                if value is not None and value != own:
                    raise UsageError(
                        f"{name} {value}: {path.name} declares {own}",
                        hint=f"a functions.yaml sets its own {name[2:]} (change it there)",
                    )
            return
        from ..manifest import read
        from ..sam import template

        state = path.parent / STATE_DIR_NAME
        remembered = options.recall(state)
        overrides = remembered.parameter_overrides
        if self.parameter_overrides is not None:
            overrides = template.parse_overrides(self.parameter_overrides)
        chosen = options.Options(
            parameter_overrides=overrides,
            region=self.region or remembered.region,
            account=self.account or remembered.account,
        )
        # Checked before remembered: overrides the template refuses are never kept.
        template.load(
            path,
            read(path),
            parameter_overrides=chosen.parameter_overrides,
            region=chosen.region,
            account=chosen.account,
        )
        if chosen != remembered:
            options.remember(state, chosen)

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
