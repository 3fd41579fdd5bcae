"""Environment variables overridden from a file (`--env-vars FILE`), in `sam local`'s format:

    {"Parameters": {"STAGE": "local"}, "hello": {"TABLE_NAME": "test-table"}}

`Parameters` applies to every function; a function's own object applies to it and wins over
`Parameters`. As with `sam local`, only the variables a function declares (its `environment:`
in the manifest) take a value from the file: a file never adds a variable the function would
not have on AWS, so code that passes locally does not fail deployed for a missing one.
Values are strings; numbers and booleans are written as `sam local` writes them (`3`, `true`,
`false`) and null is the empty string. Objects and arrays are refused, and so are the
variables AWS reserves (it sets them itself; a function cannot be given its own).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .manifest import RESERVED_ENVIRONMENT_KEYS, FunctionSpec

GLOBAL_KEY = "Parameters"
"""The object whose variables apply to every function."""


@dataclass(frozen=True)
class Overrides:
    """A parsed `--env-vars` file: the values it gives, for all functions and per function."""

    path: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def apply(self, function: str, environment: Mapping[str, str]) -> dict[str, str]:
        """`environment` (what the function declares) with the file's values for those of
        its variables the file names; the others as declared."""
        own = self.functions.get(function, {})
        return {
            name: own.get(name, self.parameters.get(name, value))
            for name, value in environment.items()
        }

    def ignored(
        self, functions: Mapping[str, FunctionSpec], function: str | None = None
    ) -> list[str]:
        """What in the file none of `functions` (a project's) takes, one line each, for a
        warning (`sam local` ignores it without a word, which its users keep tripping over):
        variables of a function that it does not declare, functions the project does not
        have, and `Parameters` no function declares. With `function`, only what that
        function would have taken."""
        notes = []
        if function is None:
            declared = {n for spec in functions.values() for n in spec.config.environment}
            notes += [
                f"{GLOBAL_KEY}.{name}: no function declares {name}"
                for name in self.parameters
                if name not in declared
            ]
        for name, values in self.functions.items():
            if function is not None and name != function:
                continue
            spec = functions.get(name)
            if spec is None:
                notes.append(f"{name}: the project has no function {name}")
                continue
            notes += [
                f"{name}.{key}: {name} does not declare {key}"
                for key in values
                if key not in spec.config.environment
            ]
        return [
            f"{self.path}: {note}; ignored (only declared variables are overridden)"
            for note in notes
        ]


def load(path: str) -> Overrides:
    """Read and check an `--env-vars` file. Raises `UsageError` naming the file, and the
    line (bad JSON) or the key (a value that cannot be an environment variable)."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read --env-vars file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f'{path}: expected an object such as {{"{GLOBAL_KEY}": {{"NAME": "value"}}}}, '
            f"not {_kind(data)}"
        )
    parameters: dict[str, str] = {}
    functions: dict[str, dict[str, str]] = {}
    for key, values in data.items():
        checked = _variables(path, key, values)
        if key == GLOBAL_KEY:
            parameters = checked
        else:
            functions[key] = checked
    return Overrides(path=path, parameters=parameters, functions=functions)


def _variables(path: str, key: str, values: object) -> dict[str, str]:
    if not isinstance(values, dict):
        raise UsageError(
            f"{path}: {key}: expected an object of variable names and values, not {_kind(values)}"
        )
    checked = {}
    for name, value in values.items():
        if name in RESERVED_ENVIRONMENT_KEYS:
            raise UsageError(
                f"{path}: {key}.{name}: {name} is reserved: Lambda sets it itself, a function "
                "cannot be given its own"
            )
        checked[name] = _text(path, f"{key}.{name}", value)
    return checked


def _text(path: str, where: str, value: object) -> str:
    """A value as `sam local` passes it to the function."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        try:  # what a process's environment cannot hold: NUL, a lone surrogate from \ud800
            if "\x00" not in value:
                value.encode("utf-8", "surrogateescape")
                return value
        except UnicodeEncodeError:
            pass
        raise UsageError(
            f"{path}: {where}: a process's environment cannot hold this value (a NUL character "
            "or a lone surrogate)"
        )
    raise UsageError(
        f"{path}: {where}: an environment variable's value is a string, number, boolean or "
        f"null, not {_kind(value)}"
    )


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number")
