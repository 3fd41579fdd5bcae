"""A CloudFormation template's text as plain Python values that remember their lines.

YAML (with CloudFormation's short tags: `!Ref X`, `!GetAtt A.B`, `!Sub [...]`) and JSON
templates both become `Map`s, `Seq`s and scalars; every short tag becomes its long form
(`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`), so the resolver sees one shape. Timestamps
stay text (`Version: 2012-10-17` is a string to CloudFormation), mapping keys are text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import ManifestError, yaml_error

if TYPE_CHECKING:
    import yaml

SHORT_TAGS = (
    "Ref",
    "Condition",
    "Sub",
    "GetAtt",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "Cidr",
    "GetAZs",
    "ImportValue",
    "Transform",
    "Length",
    "ToJsonString",
)
"""The `!Tag`s CloudFormation accepts; all but `!Ref` and `!Condition` stand for `Fn::Tag`."""


class Map(dict[str, Any]):
    """A mapping with the line it starts on and the line of each key (1-based)."""

    def __init__(self, items: Iterable[tuple[str, Any]] = (), *, line: int = 0) -> None:
        super().__init__(items)
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class Seq(list[Any]):
    """A sequence with the line it starts on and the line of each item (1-based)."""

    def __init__(self, items: Iterable[Any] = (), *, line: int = 0) -> None:
        super().__init__(items)
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


def line_of(container: Any, key: str | int, default: int) -> int:
    """The line of `container[key]` when it is known, else `default`."""
    if isinstance(container, Map) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, Seq) and isinstance(key, int):
        return container.line_of(key)
    return default


def parse(text: str, file: str) -> Any:
    """The document of `text` (None when empty); a `ManifestError` for malformed YAML or JSON
    and for a tag CloudFormation does not know."""
    import yaml  # ~10 ms: only when a template is read

    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    if text.lstrip().startswith("{"):
        text = _json_as_yaml(text, file)
    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None
    if root is None:
        return None
    return _Builder(file).build(root)


def _json_as_yaml(text: str, file: str) -> str:
    """A JSON template, checked as JSON (JSON's words for its errors), made fit for YAML: a
    tab may indent JSON, not YAML (and valid JSON has no raw tab inside a string)."""
    import json

    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    return text.replace("\t", " ")


_SURROGATE = re.compile("[\ud800-\udfff]")

_LOADER: type | None = None


def _loader() -> type:
    """A SafeLoader that keeps timestamps as text (built once, on first use)."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        Loader.add_constructor(
            "tag:yaml.org,2002:timestamp",
            yaml.SafeLoader.construct_yaml_str,  # type: ignore[type-var]
        )
        _LOADER = Loader
    return _LOADER


class _Builder:
    """Nodes to values: tags to long forms, `<<` merges applied, duplicate keys refused."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.constructor = _loader()("")

    def fail(self, node: yaml.Node, message: str) -> ManifestError:
        return ManifestError(message, file=self.file, line=node.start_mark.line + 1)

    def build(self, node: yaml.Node) -> Any:
        import yaml

        line = node.start_mark.line + 1
        tag = node.tag or ""
        if tag.startswith("!"):
            name = tag[1:]
            if name not in SHORT_TAGS:
                raise self.fail(node, f"unknown tag {tag}")
            key = name if name in ("Ref", "Condition") else f"Fn::{name}"
            if name == "GetAtt" and isinstance(node, yaml.ScalarNode):
                found = Map([(key, self.getatt(node))], line=line)
            else:
                found = Map([(key, self.untagged(node))], line=line)
            found.lines[key] = line
            return found
        return self.untagged(node)

    def untagged(self, node: yaml.Node) -> Any:
        import yaml

        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node)
        if isinstance(node, yaml.SequenceNode):
            seq = Seq([self.build(item) for item in node.value], line=line)
            seq.lines = [item.start_mark.line + 1 for item in node.value]
            return seq
        if node.tag.startswith("!"):  # a tagged scalar: its text as written
            return str(node.value)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            raise self.fail(node, f"invalid value: {getattr(exc, 'problem', exc)}") from None
        if isinstance(value, str) and _SURROGATE.search(value):  # JSON's "\ud83d\ude00"
            value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value

    def getatt(self, node: yaml.ScalarNode) -> Seq:
        """`!GetAtt A.B.C` is `["A", "B.C"]`: the attribute may hold dots."""
        resource, _, attribute = str(node.value).partition(".")
        seq = Seq([resource, attribute] if attribute else [resource], line=node.start_mark.line + 1)
        seq.lines = [seq.line] * len(seq)
        return seq

    def mapping(self, node: yaml.MappingNode) -> Map:
        import yaml

        seen: set[str] = set()
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.startswith("!"):
                raise self.fail(key_node, "keys must be plain names")
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if str(key_node.value) in seen:
                raise self.fail(key_node, f"duplicate key '{key_node.value}'")
            seen.add(str(key_node.value))
        try:
            self.constructor.flatten_mapping(node)  # `<<` merges: merged pairs first
        except yaml.YAMLError as exc:
            raise self.fail(node, f"invalid merge: {getattr(exc, 'problem', exc)}") from None
        result = Map(line=node.start_mark.line + 1)
        for key_node, value_node in node.value:  # explicit keys come last and win
            key = str(key_node.value)
            result[key] = self.build(value_node)
            result.lines[key] = key_node.start_mark.line + 1
        return result
