"""CloudFormation's intrinsic functions, evaluated where their value is knowable locally.

`Resolver.resolve` turns a document value (see `document.py`) into plain data: intrinsics
replaced by their values, `AWS::NoValue` keys and items removed, and an `Unresolved` where the
value exists only in AWS (`Fn::ImportValue`, `{{resolve:ssm:...}}`, an SSM parameter, an
attribute that has no local meaning). An `Unresolved` inside `Fn::Sub`/`Fn::Join`/... makes
the whole result that `Unresolved`. What the resolver cannot know of the template itself
(parameters, conditions, resources) it asks the `Scope` it is given.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from ..errors import ManifestError
from .document import Map, Seq, line_of

Path = tuple[str | int, ...]
"""Where a value sits in the template: `("Resources", "Fn", "Properties", "Layers", 0)`."""


@dataclass(frozen=True)
class Unresolved:
    """A value not knowable locally (!ImportValue X, {{resolve:ssm:...}}, a GetAtt with no
    local meaning; a Ref of an unknown name is an ERROR instead)."""

    reason: str
    """What it is, in the template's words: `!ImportValue SharedVpcId`."""
    where: str
    """`template.yaml:12:Resources.Fn.Properties.Environment.Variables.VPC`."""

    def __str__(self) -> str:
        return f"{self.where}: {self.reason} is not known locally"


class _NoValue:
    """`AWS::NoValue`: the key or item that holds it is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()

DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]*\}\}")
"""`{{resolve:ssm:name}}`, `{{resolve:secretsmanager:...}}`: read by CloudFormation from AWS."""

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def dotted(path: Path) -> str:
    """`("Resources", "Fn", "Layers", 0)` -> `Resources.Fn.Layers[0]` (the manifest's form)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def text_of(value: Any) -> str:
    """A scalar as CloudFormation turns it into text (`true`, `10`, `1.5`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Scope(Protocol):
    """What the resolver asks of the template around it."""

    def parameter(self, name: str) -> tuple[bool, Any]:
        """(True, value) for a parameter or a pseudo parameter, else (False, None)."""

    def condition(self, name: str, path: Path, line: int) -> bool: ...

    def mapping(self, name: str) -> Any | None: ...

    def ref(self, name: str, path: Path, line: int) -> Any:
        """What `Ref` of resource `name` gives (an error when there is no such resource)."""

    def getatt(self, name: str, attribute: str, path: Path, line: int) -> Any: ...

    def warn(self, line: int, path: Path, message: str) -> None: ...


class Resolver:
    """Evaluates intrinsics against a `Scope`; records the line of each value it produces."""

    def __init__(self, scope: Scope, file: str, *, region: str) -> None:
        self.scope = scope
        self.file = file
        self.region = region
        self.lines: dict[Path, int] = {}
        """The line of every resolved value, by path."""

    # -- reporting ----------------------------------------------------------------------------

    def where(self, path: Path, line: int) -> str:
        return f"{self.file}:{line}:{dotted(path)}"

    def fail(self, path: Path, line: int, message: str) -> NoReturn:
        raise ManifestError(message, file=self.file, line=line, key=dotted(path) or None)

    def unresolved(self, reason: str, path: Path, line: int) -> Unresolved:
        """An `Unresolved` for the value at `path`, and the warning that says so."""
        self.scope.warn(line, path, f"{reason} is not known locally")
        return Unresolved(reason, self.where(path, line))

    # -- values -------------------------------------------------------------------------------

    def resolve(self, value: Any, path: Path, line: int) -> Any:
        """`value` with every intrinsic evaluated (NO_VALUE when it is `AWS::NoValue`)."""
        self.lines.setdefault(path, line)  # an intrinsic's arguments keep its line
        if isinstance(value, dict):
            function = intrinsic_name(value)
            if function is not None:
                line = line_of(value, function, line)
                result = self.call(function, value[function], path, line)
                match = DYNAMIC_REFERENCE.search(result) if isinstance(result, str) else None
                return self.unresolved(match[0], path, line) if match else result
            resolved = {}
            for key, item in value.items():
                found = self.resolve(item, (*path, key), line_of(value, key, line))
                if found is not NO_VALUE:
                    resolved[key] = found
            return resolved
        if isinstance(value, list):
            items: list[Any] = []
            for index, item in enumerate(value):
                found = self.resolve(item, (*path, len(items)), line_of(value, index, line))
                if found is not NO_VALUE:
                    items.append(found)
            return items
        if isinstance(value, str):
            match = DYNAMIC_REFERENCE.search(value)
            if match:
                return self.unresolved(match[0], path, line)
        return value

    def call(self, function: str, argument: Any, path: Path, line: int) -> Any:
        handler = _FUNCTIONS.get(function)
        if handler is None:
            self.fail(path, line, f"{function} is not a function CloudFormation knows")
        return handler(self, argument, path, line)

    def text(self, value: Any, path: Path, line: int, function: str) -> str | Unresolved:
        """An argument that must resolve to text (numbers and booleans become text)."""
        found = self.resolve(value, path, line)
        if isinstance(found, Unresolved):
            return found
        if isinstance(found, (str, int, float)) and found is not NO_VALUE:
            return text_of(found)
        self.fail(path, line, f"{function}: expected a string, got {_describe(found)}")

    def items(self, value: Any, path: Path, line: int, function: str) -> list[Any] | Unresolved:
        """An argument that must resolve to a list."""
        found = self.resolve(value, path, line)
        if isinstance(found, (list, Unresolved)):
            return found
        self.fail(path, line, f"{function}: expected a list, got {_describe(found)}")

    def arguments(self, argument: Any, path: Path, line: int, function: str, count: int) -> Any:
        """The argument list of a function that takes `count` of them, unresolved."""
        if not isinstance(argument, list) or len(argument) != count:
            self.fail(path, line, f"{function}: expects a list of {count} arguments")
        return argument

    # -- the functions ------------------------------------------------------------------------

    def ref(self, argument: Any, path: Path, line: int) -> Any:
        name = argument
        if isinstance(argument, dict):  # AWS::LanguageExtensions allows an intrinsic here
            name = self.text(argument, path, line, "Ref")
        if not isinstance(name, str):
            self.fail(path, line, f"Ref: expected a name, got {_describe(name)}")
        known, value = self.scope.parameter(name)
        if known:
            if isinstance(value, Unresolved):
                return self.unresolved(f"!Ref {name} ({value.reason})", path, line)
            return value
        return self.scope.ref(name, path, line)

    def getatt(self, argument: Any, path: Path, line: int) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            self.fail(
                path, line, "Fn::GetAtt: expects [resource, attribute] or 'resource.attribute'"
            )
        resource, attribute = argument
        if not isinstance(resource, str):
            self.fail(
                path, line, f"Fn::GetAtt: expected a resource name, got {_describe(resource)}"
            )
        attribute = self.text(attribute, path, line, "Fn::GetAtt")
        if isinstance(attribute, Unresolved):
            return attribute
        return self.scope.getatt(resource, attribute, path, line)

    def sub(self, argument: Any, path: Path, line: int) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            template = argument[0]
            given = argument[1]
            for key, value in given.items():
                variables[key] = self.resolve(value, path, line_of(given, key, line))
        elif isinstance(argument, list) and len(argument) == 1:  # ["text"]: no variables
            template = argument[0]
        else:
            template = argument
        if not isinstance(template, str):
            self.fail(path, line, "Fn::Sub: expects a string or [string, {variables}]")
        pieces: list[str] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(template):
            pieces.append(template[position : match.start()])
            position = match.end()
            name = match[1]
            if name.startswith("!"):  # `${!Literal}` is the text `${Literal}`
                pieces.append("${" + name[1:] + "}")
                continue
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and not self.scope.parameter(name)[0]:
                resource, _, attribute = name.partition(".")
                value = self.scope.getatt(resource, attribute, path, line)
            else:
                value = self.ref(name, path, line)
            if isinstance(value, Unresolved):
                return value
            if value is NO_VALUE or not isinstance(value, (str, int, float)):
                self.fail(path, line, f"Fn::Sub: ${{{name}}} is {_describe(value)}, not a string")
            pieces.append(text_of(value))
        pieces.append(template[position:])
        return "".join(pieces)

    def join(self, argument: Any, path: Path, line: int) -> Any:
        delimiter, values = self.arguments(argument, path, line, "Fn::Join", 2)
        if not isinstance(delimiter, str):
            self.fail(path, line, "Fn::Join: the delimiter must be a string")
        found = self.items(values, path, line_of(argument, 1, line), "Fn::Join")
        if isinstance(found, Unresolved):
            return found
        texts = []
        for item in found:
            if isinstance(item, Unresolved):
                return item
            if not isinstance(item, (str, int, float)):
                self.fail(path, line, f"Fn::Join: expected strings, got {_describe(item)}")
            texts.append(text_of(item))
        return delimiter.join(texts)

    def select(self, argument: Any, path: Path, line: int) -> Any:
        index_value, values = self.arguments(argument, path, line, "Fn::Select", 2)
        index = self.text(index_value, path, line, "Fn::Select")
        if isinstance(index, Unresolved):
            return index
        found = self.items(values, path, line_of(argument, 1, line), "Fn::Select")
        if isinstance(found, Unresolved):
            return found
        if not index.isdigit() or int(index) >= len(found):
            self.fail(path, line, f"Fn::Select cannot select nonexistent value at index {index}")
        return found[int(index)]

    def split(self, argument: Any, path: Path, line: int) -> Any:
        delimiter, source = self.arguments(argument, path, line, "Fn::Split", 2)
        if not isinstance(delimiter, str) or not delimiter:
            self.fail(path, line, "Fn::Split: the delimiter must be a non-empty string")
        text = self.text(source, path, line_of(argument, 1, line), "Fn::Split")
        return text if isinstance(text, Unresolved) else text.split(delimiter)

    def find_in_map(self, argument: Any, path: Path, line: int) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            self.fail(path, line, "Fn::FindInMap: expects [map, top-level key, second-level key]")
        keys = []
        for index, key in enumerate(argument[:3]):
            found = self.text(key, path, line_of(argument, index, line), "Fn::FindInMap")
            if isinstance(found, Unresolved):
                return found
            keys.append(found)
        table = self.scope.mapping(keys[0])
        top = table.get(keys[1]) if isinstance(table, dict) else None
        if isinstance(top, dict) and keys[2] in top:
            return self.resolve(top[keys[2]], path, line)
        if len(argument) == 4:  # AWS::LanguageExtensions: [map, key, key, {DefaultValue: x}]
            option = argument[3]
            if isinstance(option, dict) and "DefaultValue" in option:
                return self.resolve(
                    option["DefaultValue"], path, line_of(option, "DefaultValue", line)
                )
            self.fail(path, line, "Fn::FindInMap: the fourth argument must be {DefaultValue: ...}")
        self.fail(path, line, f"Unable to get mapping for {'::'.join(keys)}")

    def base64(self, argument: Any, path: Path, line: int) -> Any:
        text = self.text(argument, path, line, "Fn::Base64")
        if isinstance(text, Unresolved):
            return text
        return base64.b64encode(text.encode()).decode()

    def cidr(self, argument: Any, path: Path, line: int) -> Any:
        block, count, bits = (
            self.text(item, path, line, "Fn::Cidr")
            for item in self.arguments(argument, path, line, "Fn::Cidr", 3)
        )
        for value in (block, count, bits):
            if isinstance(value, Unresolved):
                return value
        import ipaddress  # only for Fn::Cidr

        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(str(bits))
            subnets = network.subnets(new_prefix=prefix)
            found = [str(next(subnets)) for _ in range(int(str(count)))]
        except (ValueError, StopIteration) as exc:
            self.fail(path, line, f"Fn::Cidr: {exc or 'not enough addresses for the count'}")
        return found

    def get_azs(self, argument: Any, path: Path, line: int) -> Any:
        region = self.text(argument, path, line, "Fn::GetAZs") if argument else self.region
        if isinstance(region, Unresolved):
            return region
        region = region or self.region
        return [f"{region}{letter}" for letter in "abc"]

    def import_value(self, argument: Any, path: Path, line: int) -> Any:
        name = self.text(argument, path, line, "Fn::ImportValue")
        if isinstance(name, Unresolved):
            return name
        return self.unresolved(f"!ImportValue {name}", path, line)

    def if_(self, argument: Any, path: Path, line: int) -> Any:
        name, when_true, when_false = self.arguments(argument, path, line, "Fn::If", 3)
        if not isinstance(name, str):
            self.fail(path, line, "Fn::If: the first argument must be a condition name")
        chosen = 1 if self.scope.condition(name, path, line) else 2
        return self.resolve(argument[chosen], path, line_of(argument, chosen, line))

    def transform(self, argument: Any, path: Path, line: int) -> Any:
        name = argument.get("Name") if isinstance(argument, dict) else None
        return self.unresolved(f"Fn::Transform {name}", path, line)

    def length(self, argument: Any, path: Path, line: int) -> Any:
        found = self.items(argument, path, line, "Fn::Length")
        return found if isinstance(found, Unresolved) else len(found)

    def to_json_string(self, argument: Any, path: Path, line: int) -> Any:
        found = self.resolve(argument, path, line)
        inner = _first_unresolved(found)
        if inner is not None:
            return inner
        return json.dumps(found, separators=(",", ":"))

    def condition_function(self, function: str, argument: Any, path: Path, line: int) -> Any:
        """`Fn::Equals`/`And`/`Or`/`Not`/`Condition` outside `Conditions`: their boolean."""
        return self.truth({function: argument}, path, line)

    # -- conditions ---------------------------------------------------------------------------

    def truth(self, value: Any, path: Path, line: int) -> bool:
        """A condition expression's value; an unknowable comparison is false, with a warning."""
        function = intrinsic_name(value, conditions=True)
        if function is None:
            if isinstance(value, bool):
                return value
            self.fail(
                path, line, f"a condition must be a condition function, got {_describe(value)}"
            )
        argument = value[function]
        line = line_of(value, function, line)
        if function == "Condition":
            if not isinstance(argument, str):
                self.fail(path, line, "Condition: expected a condition name")
            return self.scope.condition(argument, path, line)
        if function == "Fn::Equals":
            left, right = self.arguments(argument, path, line, "Fn::Equals", 2)
            values = [
                self.resolve(side, path, line_of(argument, i, line))
                for i, side in enumerate((left, right))
            ]
            for found in values:
                inner = _first_unresolved(found)
                if inner is not None:
                    self.scope.warn(
                        line, path, f"compares {inner.reason}, not known locally: false"
                    )
                    return False
            return _comparable(values[0]) == _comparable(values[1])
        if function == "Fn::Not":
            (inner_value,) = self.arguments(argument, path, line, "Fn::Not", 1)
            return not self.truth(inner_value, (*path, 0), line_of(argument, 0, line))
        if function in ("Fn::And", "Fn::Or"):
            if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
                self.fail(path, line, f"{function}: expects a list of 2 to 10 conditions")
            truths = (
                self.truth(item, (*path, i), line_of(argument, i, line))
                for i, item in enumerate(argument)
            )
            return all(truths) if function == "Fn::And" else any(truths)
        if function == "Fn::If":  # allowed in Conditions by no one; CloudFormation refuses it
            self.fail(path, line, "Fn::If is not allowed in a condition")
        found = self.resolve(value, path, line)
        if isinstance(found, bool):
            return found
        self.fail(path, line, f"{function} is not a condition function")


def intrinsic_name(value: Any, *, conditions: bool = False) -> str | None:
    """The function a one-key mapping calls (`Ref`, `Fn::*`; `Condition` in conditions)."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (key,) = value
    if key == "Ref" or key.startswith("Fn::") or (conditions and key == "Condition"):
        return key
    return None


def unresolved_in(value: Any) -> list[Unresolved]:
    """Every `Unresolved` inside a resolved value, in order, each once."""
    found: list[Unresolved] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unresolved):
            if item not in found:
                found.append(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _first_unresolved(value: Any) -> Unresolved | None:
    found = unresolved_in(value)
    return found[0] if found else None


def _comparable(value: Any) -> Any:
    """CloudFormation compares values as text: `!Equals [!Ref Count, 3]` holds for "3"."""
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, (str, int, float)):
        return text_of(value)
    return value


def _describe(value: Any) -> str:
    if value is NO_VALUE:
        return "AWS::NoValue"
    if isinstance(value, (dict, Map)):
        return "a mapping"
    if isinstance(value, (list, Seq)):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _condition_function(name: str) -> Any:
    def call(resolver: Resolver, argument: Any, path: Path, line: int) -> Any:
        return resolver.condition_function(name, argument, path, line)

    return call


_FUNCTIONS: dict[str, Any] = {
    "Ref": Resolver.ref,
    "Fn::GetAtt": Resolver.getatt,
    "Fn::Sub": Resolver.sub,
    "Fn::Join": Resolver.join,
    "Fn::Select": Resolver.select,
    "Fn::Split": Resolver.split,
    "Fn::FindInMap": Resolver.find_in_map,
    "Fn::Base64": Resolver.base64,
    "Fn::Cidr": Resolver.cidr,
    "Fn::GetAZs": Resolver.get_azs,
    "Fn::ImportValue": Resolver.import_value,
    "Fn::If": Resolver.if_,
    "Fn::Transform": Resolver.transform,
    "Fn::Length": Resolver.length,
    "Fn::ToJsonString": Resolver.to_json_string,
    **{name: _condition_function(name) for name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not")},
}
"""Each function by its long name (the short `!Tag`s are read as these)."""
