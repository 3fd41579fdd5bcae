"""What `pip install .` ships: every file of the package that is not Python is declared as
package data, so the installed lambdactl has what its source tree runs with (the Node.js
runtime client above all)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lambdactl"


def declared() -> dict[str, list[str]]:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return settings["tool"]["setuptools"]["package-data"]


def shipped(path: Path, data: dict[str, list[str]]) -> bool:
    for package, patterns in data.items():
        base = ROOT.joinpath(*package.split("."))
        if base in path.parents:
            relative = path.relative_to(base).as_posix()
            if any(fnmatch.fnmatch(relative, pattern) for pattern in patterns):
                return True
    return False


def test_every_non_python_file_of_the_package_is_package_data() -> None:
    data = declared()
    files = [
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    assert any(path.name == "runtime.mjs" for path in files)
    missing = [str(path.relative_to(ROOT)) for path in files if not shipped(path, data)]
    assert missing == []
