"""Where a project's files are: its manifest, found the way every command finds it, and the
`.lambda/` state directory beside it. Standard library only (with `errors`): the CLI's warm
path finds the project here without loading the manifest's reader.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

MANIFEST_NAMES = ("functions.yaml", "functions.yml")
"""File names searched for, in this order, from the working directory upward."""

TEMPLATE_NAMES = ("template.yaml", "template.yml")
"""An AWS SAM template's names: the manifest of a directory without a functions.yaml."""

SEARCHED = (*MANIFEST_NAMES, *TEMPLATE_NAMES)
"""Each directory's candidates, in order: a functions.yaml wins over a template beside it."""

STATE_DIR_NAME = ".lambda"
"""Directory beside the manifest that holds all lambdactl state."""


def find(start: Path | None = None, explicit: str | None = None) -> Path:
    """Locate the manifest: `explicit` (or $LAMBDACTL_MANIFEST), else search upward from
    `start` for the first directory with a functions.yaml or a SAM template.yaml (the
    functions.yaml when a directory has both)."""
    explicit = explicit or os.environ.get("LAMBDACTL_MANIFEST") or None
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_dir():
            for name in SEARCHED:
                if (path / name).is_file():
                    return (path / name).resolve()
        if not path.is_file():
            raise UsageError(f"manifest not found: {explicit}")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in SEARCHED:
            if (directory / name).is_file():
                return directory / name
    raise UsageError(
        f"no functions.yaml in {here} or any parent directory",
        hint="pass --manifest PATH, set LAMBDACTL_MANIFEST, or run `lambdactl init`",
    )
