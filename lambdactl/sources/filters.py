"""Event source mapping filter criteria: AWS Lambda's event filtering, pure (no I/O).

A mapping's `FilterCriteria` holds up to five patterns (a quota AWS raises to ten); a record
goes to the function when it matches ANY of them, and is dropped otherwise. Dropping is the
poller's job, not this module's: an SQS message that matches no pattern is deleted from its
queue, a Kinesis or DynamoDB stream record is skipped (the iterator moves past it). With no
patterns every record passes.

The pattern language is EventBridge's, as far as Lambda supports it (the "Pipe support" column
of EventBridge's operator table, which Lambda's own filter-rule table repeats):

- a pattern is a JSON object shaped like the record; each field holds a LIST of rules (any of
  them may match) or a nested object; fields at one level must all match (AND);
- rules: a value (string, number, true, false, null; `""` matches an empty string, `null` a
  null value, neither matches a missing field), `{"prefix": s}`, `{"suffix": s}` (either may
  be `{"equals-ignore-case": s}`), `{"equals-ignore-case": s}`, `{"anything-but": value or
  [values]}`, `{"numeric": [op, n]}` or `{"numeric": [">"/">=", n, "<"/"<=", m]}`,
  `{"exists": true/false}` (leaves only: an object is not a value);
- `"$or": [pattern, pattern, ...]` at any level matches when one of the alternatives does;
- an array in the record matches when any element does (one element must match all the fields
  read below it);
- exact matching compares strings character by character and numbers by their text, as AWS
  documents: 300, 300.0 and 3.0e2 are three different values (`numeric` compares values).
- Not supported by Lambda (refused, as CreateEventSourceMapping refuses them): `wildcard`,
  `cidr`, and `anything-but` with `prefix`, `suffix`, `equals-ignore-case` or `wildcard`.

The data field is filtered as JSON: SQS's `body` (a JSON body is matched as the object it
encodes; a body that is not JSON only by plain-value rules, `{"body": [...]}`, and a body in the
other format than its pattern drops the message), Kinesis's `data` (base64-decoded; it must be
JSON for a `data` pattern to match, and a Kinesis pattern for `data` must be an object) and
DynamoDB's `dynamodb` (typed attribute values, `{"N": ["101"]}`: DynamoDB numbers are strings).
A Kinesis pattern reads the fields of the record's `kinesis` object (`partitionKey`, `data`, …)
at the top level, beside the record's own (`eventName`, `awsRegion`, …).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..errors import InvalidParameterValueException, ValidationException, validation_message

SourceKind = Literal["sqs", "kinesis", "dynamodb"]

INVALID_PATTERN = "Invalid filter pattern definition."
"""AWS's InvalidParameterValueException message for every pattern it cannot compile."""

MAX_PATTERN_LENGTH = 4096
"""Characters in one pattern (the API model's limit on `Filter.Pattern`)."""

DEFAULT_FILTER_LIMIT = 5
"""Patterns per mapping by default (a service quota, raised on request up to 10)."""

DATA_KEYS: Mapping[str, str] = {"sqs": "body", "kinesis": "data", "dynamodb": "dynamodb"}
"""The field that holds a record's data, per source kind."""

_UNSUPPORTED = ("wildcard", "cidr")


class InvalidFilterPattern(InvalidParameterValueException, ValueError):
    """A pattern Lambda would refuse: AWS's exact message, and `detail` (the hint) for people."""

    def __init__(self, detail: str) -> None:
        super().__init__(INVALID_PATTERN, hint=detail)
        self.detail = detail


class FilterPatternTooLong(ValidationException, ValueError):
    """A pattern over 4096 characters, refused by the API model before Lambda reads it."""

    def __init__(self, pattern: str, position: int) -> None:
        super().__init__(
            validation_message(
                pattern,
                f"filterCriteria.filters.{position}.member.pattern",
                f"Member must have length less than or equal to {MAX_PATTERN_LENGTH}",
            ),
            hint=f"filter {position} is {len(pattern)} characters long; "
            f"the limit is {MAX_PATTERN_LENGTH}",
        )


class TooManyFilters(InvalidParameterValueException, ValueError):
    """More patterns than the mapping's quota (the wording is ours: AWS's is not recorded)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"The number of filters ({count}) exceeds the limit of {limit} filters per event "
            "source mapping.",
            hint='several patterns are OR-ed: merge some with a list of values or "$or"',
        )


@dataclass(frozen=True)
class Number:
    """A JSON number as written: exact matching compares the text, `numeric` the value."""

    text: str

    @property
    def value(self) -> Decimal:
        return Decimal(self.text)


Scalar = str | Number | bool | None


class _Missing:
    """A field the record does not have (distinct from a field holding null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# The compiled pattern: objects of fields and $or groups, leaves of rules.


@dataclass(frozen=True)
class _Equals:
    value: Scalar

    def matches(self, leaf: object) -> bool:
        return leaf == self.value  # Number compares its text, and never equals a bool


@dataclass(frozen=True)
class _Affix:
    """prefix / suffix / equals-ignore-case (`end` is "start", "end" or "whole")."""

    text: str
    end: str
    ignore_case: bool

    def matches(self, leaf: object) -> bool:
        if not isinstance(leaf, str):
            return False
        text, value = (self.text.lower(), leaf.lower()) if self.ignore_case else (self.text, leaf)
        if self.end == "start":
            return value.startswith(text)
        if self.end == "end":
            return value.endswith(text)
        return value == text


@dataclass(frozen=True)
class _AnythingBut:
    strings: frozenset[str]
    numbers: frozenset[Decimal]

    def matches(self, leaf: object) -> bool:
        if isinstance(leaf, str):
            return leaf not in self.strings
        if isinstance(leaf, Number):
            return leaf.value not in self.numbers
        return True


@dataclass(frozen=True)
class _Numeric:
    """Comparisons that must all hold: (operator, bound) pairs."""

    terms: tuple[tuple[str, Decimal], ...]

    def matches(self, leaf: object) -> bool:
        if not isinstance(leaf, Number):
            return False
        value = leaf.value
        return all(_COMPARE[op](value, bound) for op, bound in self.terms)


_COMPARE = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class _Exists:
    present: bool


_Rule = _Equals | _Affix | _AnythingBut | _Numeric | _Exists


@dataclass(frozen=True)
class _Leaf:
    rules: tuple[_Rule, ...]


@dataclass(frozen=True)
class _Object:
    fields: tuple[tuple[str, _Leaf | _Object], ...]
    alternatives: tuple[tuple[_Object, ...], ...]


@dataclass(frozen=True)
class Filter:
    """One compiled pattern; `pattern` is its JSON text (what the API stores and returns)."""

    pattern: str
    root: _Object


# Compiling (validation happens here, once, when the mapping is created or updated).


def compile(
    pattern: str | Mapping[str, Any],
    *,
    source_kind: SourceKind | None = None,
    position: int | None = None,
) -> Filter:
    """Compile one pattern: JSON text (as the API takes it) or a mapping (from the manifest).

    Raises `InvalidFilterPattern` (InvalidParameterValueException, "Invalid filter pattern
    definition.") for a pattern Lambda refuses, with a `detail` naming the field at fault, and
    `FilterPatternTooLong` over 4096 characters. With `source_kind`, also what that source
    refuses (a Kinesis or DynamoDB data pattern that is not an object). `position` (1-based)
    names the pattern in messages when it is one of several."""
    where = 1 if position is None else position
    prefix = "" if position is None else f"filter {position}: "
    text = pattern if isinstance(pattern, str) else _dump(pattern, prefix)
    if len(text) > MAX_PATTERN_LENGTH:
        raise FilterPatternTooLong(text, where)
    try:
        tree = json.loads(text, parse_int=Number, parse_float=Number, parse_constant=_no_constant)
    except ValueError as exc:
        raise InvalidFilterPattern(f"{prefix}the pattern is not JSON ({exc})") from None
    if not isinstance(tree, dict):
        raise InvalidFilterPattern(
            f"{prefix}the pattern must be a JSON object, not {_kind_of(tree)}"
        )
    try:
        root = _compile_object(tree, ())
        if source_kind is not None:
            _check_source(root, source_kind)
    except InvalidFilterPattern as exc:
        raise InvalidFilterPattern(prefix + exc.detail) from None
    return Filter(pattern=text, root=root)


def criteria(
    patterns: str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]] | None,
    source_kind: SourceKind,
    *,
    limit: int = DEFAULT_FILTER_LIMIT,
) -> tuple[Filter, ...]:
    """Compile a mapping's filters: one pattern, a list of them (OR-ed, as
    `FilterCriteria.Filters`), or None/[] for no filtering. More than `limit` raises
    `TooManyFilters`; each pattern is checked as `compile` does, for `source_kind`."""
    if patterns is None:
        return ()
    if isinstance(patterns, (str, Mapping)):
        patterns = [patterns]
    if len(patterns) > limit:
        raise TooManyFilters(len(patterns), limit)
    compiled = []
    for position, pattern in enumerate(patterns, 1):
        if not isinstance(pattern, (str, Mapping)):
            raise InvalidFilterPattern(
                f"filter {position}: a pattern is a JSON object, not {_kind_of(pattern)}"
            )
        compiled.append(compile(pattern, source_kind=source_kind, position=position))
    return tuple(compiled)


def _dump(pattern: Mapping[str, Any], prefix: str) -> str:
    try:
        return json.dumps(pattern, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidFilterPattern(f"{prefix}the pattern is not JSON ({exc})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _invalid(path: tuple[str, ...], what: str) -> InvalidFilterPattern:
    return InvalidFilterPattern(f"{_name(path)}: {what}" if path else what)


def _name(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Number):
        return f"the number {value.text}"
    if isinstance(value, (int, float)):
        return f"the number {json.dumps(value)}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _compile_object(tree: dict[str, Any], path: tuple[str, ...]) -> _Object:
    if not tree:
        raise _invalid(path, "an empty object matches nothing: name at least one field")
    fields: list[tuple[str, _Leaf | _Object]] = []
    alternatives: list[tuple[_Object, ...]] = []
    for key, value in tree.items():
        here = (*path, key)
        if key == "$or" and isinstance(value, list) and value and _all_objects(value):
            if len(value) < 2:
                raise _invalid(here, "$or needs at least two patterns to choose from")
            alternatives.append(
                tuple(_compile_object(alt, (*path, f"$or[{i}]")) for i, alt in enumerate(value))
            )
        elif isinstance(value, dict):
            fields.append((key, _compile_object(value, here)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value, here)))
        else:
            raise _invalid(
                here,
                f"must be a list of rules or an object, not {_kind_of(value)} "
                f"(write [{json.dumps(_plain(value))}])",
            )
    return _Object(tuple(fields), tuple(alternatives))


def _all_objects(values: list[Any]) -> bool:
    return all(isinstance(v, dict) for v in values)


def _plain(value: object) -> object:
    return value.text if isinstance(value, Number) else value


def _compile_leaf(values: list[Any], path: tuple[str, ...]) -> _Leaf:
    if not values:
        raise _invalid(path, "an empty list matches nothing: give at least one rule")
    rules: list[_Rule] = []
    for value in values:
        if value is None or isinstance(value, (str, bool, Number)):
            rules.append(_Equals(value))
        elif isinstance(value, dict):
            rules.append(_compile_rule(value, path))
        else:
            raise _invalid(
                path,
                "a rule is a string, number, true, false, null or one operator object "
                f'such as {{"prefix": "..."}}, not {_kind_of(value)}',
            )
    return _Leaf(tuple(rules))


def _compile_rule(rule: dict[str, Any], path: tuple[str, ...]) -> _Rule:
    if len(rule) != 1:
        keys = ", ".join(json.dumps(k) for k in rule) or "none"
        raise _invalid(path, f"an operator object has exactly one key (here: {keys})")
    ((op, arg),) = rule.items()
    if op in ("prefix", "suffix"):
        return _compile_affix(op, arg, path)
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise _invalid(path, f'"equals-ignore-case" takes a string, not {_kind_of(arg)}')
        return _Affix(arg, "whole", True)
    if op == "anything-but":
        return _compile_anything_but(arg, path)
    if op == "numeric":
        return _compile_numeric(arg, path)
    if op == "exists":
        if not isinstance(arg, bool):
            raise _invalid(path, f'"exists" takes true or false, not {_kind_of(arg)}')
        return _Exists(arg)
    if op in _UNSUPPORTED:
        raise _invalid(
            path, f'Lambda event filtering does not support "{op}" (EventBridge buses do)'
        )
    raise _invalid(
        path,
        f'unknown operator "{op}" (Lambda knows prefix, suffix, equals-ignore-case, '
        "anything-but, numeric and exists)",
    )


def _compile_affix(op: str, arg: Any, path: tuple[str, ...]) -> _Affix:
    end = "start" if op == "prefix" else "end"
    if isinstance(arg, str):
        return _Affix(arg, end, False)
    if (
        isinstance(arg, dict)
        and list(arg) == ["equals-ignore-case"]
        and isinstance(arg["equals-ignore-case"], str)
    ):
        return _Affix(arg["equals-ignore-case"], end, True)
    raise _invalid(
        path, f'"{op}" takes a string or {{"equals-ignore-case": "..."}}, not {_kind_of(arg)}'
    )


def _compile_anything_but(arg: Any, path: tuple[str, ...]) -> _AnythingBut:
    if isinstance(arg, dict):
        inner = ", ".join(json.dumps(k) for k in arg) or "nothing"
        raise _invalid(
            path,
            f'Lambda event filtering does not support "anything-but" with {inner} '
            "(EventBridge buses do): give the values to exclude",
        )
    values = arg if isinstance(arg, list) else [arg]
    if not values:
        raise _invalid(path, '"anything-but" needs at least one value to exclude')
    strings: set[str] = set()
    numbers: set[Decimal] = set()
    for value in values:
        if isinstance(value, str):
            strings.add(value)
        elif isinstance(value, Number):
            numbers.add(value.value)
        else:
            raise _invalid(
                path, f'"anything-but" excludes strings or numbers, not {_kind_of(value)}'
            )
    return _AnythingBut(frozenset(strings), frozenset(numbers))


def _compile_numeric(arg: Any, path: tuple[str, ...]) -> _Numeric:
    usage = '[op, n] or [">" or ">=", low, "<" or "<=", high]'
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise _invalid(path, f'"numeric" takes {usage}, not {json.dumps(_plain_tree(arg))}')
    terms: list[tuple[str, Decimal]] = []
    for op, bound in zip(arg[::2], arg[1::2]):
        if not isinstance(op, str) or op not in _COMPARE:
            raise _invalid(path, f'"numeric": unknown operator {json.dumps(_plain(op))}')
        if not isinstance(bound, Number):
            raise _invalid(path, f'"numeric": {op} needs a number, not {_kind_of(bound)}')
        terms.append((op, bound.value))
    if len(terms) == 2:
        (low_op, low), (high_op, high) = terms
        if low_op not in (">", ">=") or high_op not in ("<", "<="):
            raise _invalid(path, f'"numeric": a range is {usage}')
        if not low < high:
            raise _invalid(path, f'"numeric": the range\'s low end {low} is not below {high}')
    return _Numeric(tuple(terms))


def _plain_tree(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_tree(v) for k, v in value.items()}
    return _plain(value)


def _check_source(root: _Object, kind: str) -> None:
    """Kinesis and DynamoDB refuse a data pattern that is not an object (AWS: "the filter
    pattern for data properties must be in a valid JSON format"); SQS takes both forms."""
    if kind not in DATA_KEYS:
        raise ValueError(f"unknown source kind {kind!r} (one of: {', '.join(DATA_KEYS)})")
    if kind == "sqs":
        return
    key = DATA_KEYS[kind]
    for obj in _top_objects(root):
        for name, node in obj.fields:
            if name == key and isinstance(node, _Leaf):
                raise _invalid(
                    (key,),
                    f"a {kind} pattern for {key!r} must be an object of its fields "
                    f'({{"{key}": {{"field": [...]}}}}), not a list of rules',
                )


def _top_objects(root: _Object) -> Iterator[_Object]:
    """The top level and its `$or` alternatives (which are top level too)."""
    yield root
    for group in root.alternatives:
        for alternative in group:
            yield from _top_objects(alternative)


# Matching.


@dataclass(frozen=True)
class _Data:
    """A record's data field: `parsed` when it is JSON, else the plain `raw` text."""

    raw: Any
    parsed: Any
    is_json: bool


def matches(filters: Sequence[Filter], record: Mapping[str, Any], source_kind: SourceKind) -> bool:
    """Whether `record` (the §7.2/§7.3 record the function would get) passes the mapping's
    filters: True with no filters, else when any one matches. A False record is dropped by
    the poller (an SQS message is deleted; a stream's iterator moves past the record)."""
    if not filters:
        return True
    if source_kind not in DATA_KEYS:
        raise ValueError(f"unknown source kind {source_kind!r} (one of: {', '.join(DATA_KEYS)})")
    document, data = _document(record, source_kind)
    key = DATA_KEYS[source_kind]
    return any(_match_top(f.root, document, key, data) for f in filters)


def _document(record: Mapping[str, Any], kind: str) -> tuple[Mapping[str, Any], _Data]:
    if kind == "kinesis":
        inner = record.get("kinesis")
        inner = inner if isinstance(inner, Mapping) else {}
        document = {**{k: v for k, v in record.items() if k != "kinesis"}, **inner}
        return document, _text_data(_base64_text(inner.get("data", MISSING)))
    if kind == "dynamodb":
        value = record.get("dynamodb", MISSING)
        return record, _Data(MISSING, value, isinstance(value, Mapping))
    body = record.get("body", MISSING)
    if body is MISSING or isinstance(body, str):
        return record, _text_data(body)
    return record, _Data(MISSING, body, True)  # already decoded by whoever built the record


def _base64_text(data: Any) -> Any:
    if not isinstance(data, str):
        return MISSING
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return MISSING


def _text_data(text: Any) -> _Data:
    if not isinstance(text, str):
        return _Data(MISSING, MISSING, False)
    try:
        parsed = json.loads(text, parse_int=Number, parse_float=Number, parse_constant=_no_constant)
    except ValueError:
        return _Data(text, MISSING, False)
    return _Data(text, parsed, True)


def _match_top(node: _Object, document: Mapping[str, Any], key: str, data: _Data) -> bool:
    for name, sub in node.fields:
        if name == key:
            # The data field's format must be the pattern's: an object pattern wants JSON data,
            # a list of rules wants plain text. Otherwise the record is dropped.
            if isinstance(sub, _Object):
                ok = data.is_json and _match_object(sub, data.parsed)
            else:
                ok = not data.is_json and _match_leaf(sub, data.raw)
        else:
            ok = _match_node(sub, document.get(name, MISSING))
        if not ok:
            return False
    return all(
        any(_match_top(alt, document, key, data) for alt in group) for group in node.alternatives
    )


def _match_node(node: _Leaf | _Object, value: Any) -> bool:
    if isinstance(node, _Leaf):
        return _match_leaf(node, value)
    return _match_object(node, value)


def _match_object(node: _Object, value: Any) -> bool:
    if isinstance(value, list) and value:
        # Each element on its own: the fields below must all match within one element.
        return any(_match_object(node, element) for element in value)
    fields = value if isinstance(value, Mapping) else {}
    return all(_match_node(sub, fields.get(name, MISSING)) for name, sub in node.fields) and all(
        any(_match_object(alt, value) for alt in group) for group in node.alternatives
    )


def _match_leaf(node: _Leaf, value: Any) -> bool:
    leaves = list(_leaves(value))
    for rule in node.rules:
        if isinstance(rule, _Exists):
            if bool(leaves) == rule.present:
                return True
        elif any(rule.matches(leaf) for leaf in leaves):
            return True
    return False


def _leaves(value: Any) -> Iterator[Scalar]:
    """The values a field holds: itself, or an array's elements (nested arrays flattened).
    Objects are not values (exists matches leaves only); a missing field has none."""
    if value is MISSING or isinstance(value, Mapping):
        return
    if isinstance(value, list):
        for element in value:
            yield from _leaves(element)
    elif isinstance(value, bool) or value is None or isinstance(value, (str, Number)):
        yield value
    elif isinstance(value, (int, float)):
        yield Number(json.dumps(value))  # a record built in Python: its JSON text
