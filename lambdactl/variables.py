"""Environment variables from a file (`--env-vars FILE`, taken by `serve`, `invoke` and `dev`).

The file overrides the variables a function declares in the manifest and adds others:
`sam local` only overrides declared ones, which its users have long asked it not to. Two
formats, told apart by content: a file whose first non-blank character is `{` (or whose name
ends in `.json`) is `sam local`'s JSON,

    {"Parameters": {"STAGE": "local"}, "hello": {"TABLE_NAME": "test-table"}}

and anything else a `.env` file (`NAME=value` lines, see `_dotenv`) whose variables go to
every function, as `Parameters` do. For a function, a value from its own object wins over
`Parameters` (or the `.env` file), which win over what the manifest declares.

JSON values are strings; numbers and booleans are written as `sam local` writes them (`3`,
`true`, `false`) and null is the empty string; objects and arrays are refused. Names are
checked as AWS checks a function's environment keys, and the variables AWS reserves (it sets
them itself) are refused with its message, as the manifest refuses them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .manifest import (
    ENV_KEY_MESSAGE,
    ENV_KEY_PATTERN,
    RESERVED_ENVIRONMENT_KEYS,
    RESERVED_KEYS_MESSAGE,
    FunctionSpec,
)

GLOBAL_KEY = "Parameters"
"""The JSON object whose variables apply to every function."""

DOTENV_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
"""What a backslash means inside a double-quoted `.env` value (any other stays as written)."""

_EXPORT = re.compile(r"export\s+")
_INLINE_COMMENT = re.compile(r"\s#")


@dataclass(frozen=True)
class Overrides:
    """A parsed `--env-vars` file: the values it gives, for all functions and per function."""

    path: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def apply(self, function: str, environment: Mapping[str, str]) -> dict[str, str]:
        """`environment` (what the function declares) with the file's variables for it
        added or overriding: its own object's, else `Parameters`'."""
        return {**environment, **self.parameters, **self.functions.get(function, {})}

    def unknown(self, functions: Mapping[str, FunctionSpec]) -> list[str]:
        """One warning line per function the file names that `functions` (a project's) does
        not have: its values reach nothing (`sam local` ignores them without a word, which
        its users keep tripping over)."""
        return [
            f"{self.path}: {name}: the project has no function {name}; ignored"
            for name in self.functions
            if name not in functions
        ]


def changed(
    old: Overrides | None, new: Overrides | None, functions: Mapping[str, FunctionSpec]
) -> list[str]:
    """The names (sorted) of `functions` whose environment under `new` differs from under
    `old` (None: no file), for the dev loop to recycle when the file is edited. A function
    whose variables end up the same (a value moved from `Parameters` to its own object, an
    override set to what the manifest declares) is not named. Judged on each function's
    `$LATEST` configuration."""

    def result(overrides: Overrides | None, name: str, declared: Mapping[str, str]) -> dict:
        return dict(declared) if overrides is None else overrides.apply(name, declared)

    return sorted(
        name
        for name, spec in functions.items()
        if result(old, name, spec.config.environment) != result(new, name, spec.config.environment)
    )


def load(path: str) -> Overrides:
    """Read and check an `--env-vars` file. Raises `UsageError` in one line naming the file,
    and the line (bad JSON, any `.env` error) or the key."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")  # an editor's BOM is no content
    except OSError as exc:
        raise UsageError(f"cannot read --env-vars file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    if Path(path).suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _json(path, text)
    return Overrides(path=path, parameters=_dotenv(path, text))


def from_mapping(source: str, given: Mapping[str, object]) -> Overrides:
    """Overrides given as a mapping rather than a file (the pytest plugin's marker): a value
    that is itself a mapping holds one function's variables, any other value is a variable
    for every function. Checked as a file's are; errors name `source`."""
    parameters: dict[str, str] = {}
    functions: dict[str, dict[str, str]] = {}
    for key, value in given.items():
        if isinstance(value, Mapping):
            functions[key] = {
                name: _value(f"{source}: {key}.{name}", str(name), item)
                for name, item in value.items()
            }
        else:
            parameters[key] = _value(f"{source}: {key}", str(key), value)
    return Overrides(path=source, parameters=parameters, functions=functions)


def _json(path: str, text: str) -> Overrides:
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
        if not isinstance(values, dict):
            raise UsageError(
                f"{path}: {key}: expected an object of variable names and values, "
                f"not {_kind(values)}"
            )
        checked = {
            name: _value(f"{path}: {key}.{name}", name, value) for name, value in values.items()
        }
        if key == GLOBAL_KEY:
            parameters = checked
        else:
            functions[key] = checked
    return Overrides(path=path, parameters=parameters, functions=functions)


def _dotenv(path: str, text: str) -> dict[str, str]:
    """A `.env` file's variables. One `NAME=value` a line (white space around `=` allowed),
    blank lines and `#` comment lines skipped, an optional `export ` prefix. A value is
    unquoted (trimmed, and a ` # comment` after it dropped), 'single-quoted' (literal) or
    "double-quoted" (`\\n`, `\\t`, `\\"` and `\\\\` escapes); a quoted value may span lines,
    and only white space or a `#` comment may follow its closing quote. A name given twice
    takes its last value, as a shell would."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    found: dict[str, str] = {}
    number = 0  # of the line read last, counting from 1: also the index of the next one
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        if not line or line.startswith("#"):
            continue
        line = _EXPORT.sub("", line, count=1) if _EXPORT.match(line) else line
        name, equals, rest = line.partition("=")
        name = name.rstrip()
        if not equals or not name:
            raise UsageError(f"{path}:{number}: expected NAME=value (or a # comment)")
        start = number
        if rest.lstrip()[:1] in ("'", '"'):
            value, number = _quoted(path, name, rest.lstrip(), lines, number)
        else:  # split before trimming: `NAME= # note` is empty, `NAME=#x` is "#x"
            value = _INLINE_COMMENT.split(rest, maxsplit=1)[0].strip()
        found[name] = _value(f"{path}:{start}: {name}", name, value)
    return found


def _quoted(path: str, name: str, text: str, lines: list[str], number: int) -> tuple[str, int]:
    """The value that the quote opening `text` (on line `number`) begins, read on through
    the following lines until its closing quote; with the number of the line that closes it."""
    quote, start, i, out = text[0], number, 1, []
    while True:
        if i == len(text):  # the line ends inside the quotes: the value goes on
            if number == len(lines):
                raise UsageError(f"{path}:{start}: {name}: the value's closing {quote} is missing")
            text, i, number = lines[number], 0, number + 1
            out.append("\n")
        elif text[i] == quote:
            break
        elif quote == '"' and text[i] == "\\" and text[i + 1 : i + 2] in DOTENV_ESCAPES:
            out.append(DOTENV_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    tail = text[i + 1 :].strip()
    if tail and not tail.startswith("#"):
        begun = f" of the value begun on line {start}" if number != start else ""
        raise UsageError(
            f"{path}:{number}: {name}: text after the closing {quote}{begun} (only a # comment "
            "may follow it)"
        )
    return "".join(out), number


def _value(where: str, name: str, value: object) -> str:
    """`value` as the function gets it, once `name` is checked as AWS checks a key."""
    if not re.fullmatch(ENV_KEY_PATTERN, name):
        raise UsageError(f"{where}: {ENV_KEY_MESSAGE}")
    if name in RESERVED_ENVIRONMENT_KEYS:
        raise UsageError(f"{where}: {RESERVED_KEYS_MESSAGE}{name}")
    return _text(where, value)


def _text(where: str, value: object) -> str:
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
            f"{where}: a process's environment cannot hold this value (a NUL character "
            "or a lone surrogate)"
        )
    raise UsageError(
        f"{where}: an environment variable's value is a string, number, boolean or "
        f"null, not {_kind(value)}"
    )


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number")
