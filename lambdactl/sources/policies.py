"""SNS subscription filter policies on message attributes (FilterPolicyScope
`MessageAttributes`, SNS's default), pure (no I/O).

A subscription with a policy gets a message only when, for every attribute the policy names
(AND), one of its rules matches (OR); `"$or": [policy, policy, ...]` offers alternatives.
Attributes the policy does not name are ignored. Rules, as SNS documents them:

- a string: the String attribute (or an element of a String.Array) equals it;
- a number: the Number attribute (or a number in a String.Array) equals it, by value;
- true, false, null: an element of a String.Array equals it;
- `{"prefix": s}`, `{"suffix": s}`, `{"equals-ignore-case": s}`: on string values;
- `{"anything-but": value or [values]}` or `{"anything-but": {"prefix": s}}`: the attribute is
  present and is not one of them (numbers compared by value);
- `{"numeric": ["=", n]}`, `[">", n]`, ..., `[">=", low, "<", high]`: on Number values;
- `{"exists": true/false}`: the attribute is (not) present;
- `{"cidr": "10.0.0.0/24"}`: a String attribute holding an IP address inside the network.

A Binary attribute is never matched (SNS does not filter on them). A policy is checked when
compiled, with SNS's limits (five attribute names, 150 combinations, no nesting in this scope)
and SNS's messages (`Invalid parameter: FilterPolicy: ...`).

Why not `sources/filters.py`: that is Lambda's ESM flavour of EventBridge patterns over a JSON
record. SNS differs where it shows: its policies are flat (one level of attribute names),
allow `anything-but` with `prefix` and `cidr` (Lambda refuses both), compare numbers by value
(Lambda exact-matches their text), read typed attributes (`{"Type", "Value"}`, String.Array
holding JSON), and have their own limits and error messages.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import AwsError

MAX_KEYS = 5
"""Attribute names in one policy (SNS's constraint)."""
MAX_COMBINATIONS = 150
"""The product of the rules' counts across a policy's attribute names, summed over `$or`."""
PREFIX = "Invalid parameter: FilterPolicy: "
NESTED = (
    "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
)


class InvalidParameter(AwsError):
    """SNS's InvalidParameter (HTTP 400): a request value SNS refuses."""

    aws_type = "InvalidParameter"
    http_status = 400
    exit_code = 2


def _invalid(detail: str) -> InvalidParameter:
    return InvalidParameter(PREFIX + detail)


@dataclass(frozen=True)
class Rule:
    """One rule of an attribute's list; `test` sees the attribute's values (none: absent)."""

    text: str
    test: Callable[[tuple[Any, ...] | None], bool]


@dataclass(frozen=True)
class Policy:
    """A compiled policy: alternatives (from `$or`), each attribute name -> its rules."""

    text: str
    branches: tuple[tuple[tuple[str, tuple[Rule, ...]], ...], ...]


def compile(text: str) -> Policy:
    """Compile a policy (JSON text), raising `InvalidParameter` with SNS's message."""
    try:
        tree = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        raise _invalid("Filter policy is not valid JSON") from None
    if not isinstance(tree, dict) or not tree:
        raise _invalid("Filter policy must be a non-empty JSON object")
    if len(tree) > MAX_KEYS:
        raise _invalid(f"Filter policy can not have more than {MAX_KEYS} keys")
    branches = _branches(tree)
    combinations = sum(_product(len(rules) for _, rules in b) for b in branches)
    if combinations > MAX_COMBINATIONS:
        raise _invalid("Filter policy is too complex")
    return Policy(text, branches)


def matches(policy: Policy, attributes: Mapping[str, Mapping[str, str]]) -> bool:
    """Whether a message with `attributes` (as SNS delivers them: `{"Type", "Value"}` each)
    passes: every named attribute matches one of its rules, in one of the alternatives."""
    return any(
        all(any(rule.test(_values(attributes.get(name))) for rule in rules) for name, rules in b)
        for b in policy.branches
    )


# -- compiling -------------------------------------------------------------------------------

Branch = tuple[tuple[str, tuple[Rule, ...]], ...]


def _branches(tree: Mapping[str, Any]) -> tuple[Branch, ...]:
    """The policy with `$or` multiplied out: each alternative a flat AND of attributes."""
    result: list[Branch] = [()]
    for key, value in tree.items():
        if key == "$or" and isinstance(value, list) and len(value) > 1:
            if not all(isinstance(v, dict) and v for v in value):
                raise _invalid('"$or" takes a list of filter policies')
            options = [b for alternative in value for b in _branches(alternative)]
            result = [(*mine, *other) for mine in result for other in options]
            continue
        if isinstance(value, dict):
            raise InvalidParameter(NESTED)
        if not isinstance(value, list):
            raise _invalid(f'"{key}" must be an object or an array')
        if not value:
            raise _invalid("Empty arrays are not allowed")
        rules = tuple(_rule(rule) for rule in value)
        result = [(*mine, (key, rules)) for mine in result]
    return tuple(result)


def _product(counts: Any) -> int:
    total = 1
    for count in counts:
        total *= count
    return total


def _rule(rule: Any) -> Rule:
    text = json.dumps(rule, default=str)
    if rule is None or isinstance(rule, (bool, str, Decimal)):
        return Rule(text, lambda values: values is not None and any(_same(v, rule) for v in values))
    if not isinstance(rule, dict):
        raise _invalid("Match value must be String, number, true, false, or null")
    if len(rule) != 1:
        raise _invalid("Only one key allowed in match expression")
    ((op, arg),) = rule.items()
    if op in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(arg, str):
            raise _invalid(f"{op} match pattern must be a string")
        return Rule(text, _on_strings(_STRING_TESTS[op](arg)))
    if op == "anything-but":
        return Rule(text, _anything_but(arg))
    if op == "exists":
        if not isinstance(arg, bool):
            raise _invalid("exists match pattern must be either true or false.")
        return Rule(text, lambda values: (values is not None) == arg)
    if op == "numeric":
        return Rule(text, _numeric(arg))
    if op == "cidr":
        return Rule(text, _cidr(arg))
    raise _invalid(f"Unrecognized match type {op}")


_STRING_TESTS: dict[str, Callable[[str], Callable[[str], bool]]] = {
    "prefix": lambda s: lambda v: v.startswith(s),
    "suffix": lambda s: lambda v: v.endswith(s),
    "equals-ignore-case": lambda s: lambda v: v.lower() == s.lower(),
}


def _on_strings(test: Callable[[str], bool]) -> Callable[[tuple[Any, ...] | None], bool]:
    return lambda values: values is not None and any(isinstance(v, str) and test(v) for v in values)


def _same(value: Any, rule: Any) -> bool:
    """Equality as SNS sees it: strings by text, numbers by value, never a bool for a number."""
    if isinstance(rule, bool) or isinstance(value, bool) or rule is None or value is None:
        return value is rule
    if isinstance(rule, Decimal):
        return isinstance(value, Decimal) and value == rule
    return value == rule


def _anything_but(arg: Any) -> Callable[[tuple[Any, ...] | None], bool]:
    if isinstance(arg, dict):
        for inner in arg:
            if inner != "prefix":
                raise _invalid(f"Unsupported anything-but pattern: {inner}")
        prefix = arg.get("prefix")
        if not isinstance(prefix, str):
            raise _invalid("prefix match pattern must be a string")
        return lambda values: (
            values is not None
            and any(isinstance(v, str) and not v.startswith(prefix) for v in values)
        )
    excluded = arg if isinstance(arg, list) else [arg]
    for value in excluded:
        if not (value is None or isinstance(value, (bool, str, Decimal))):
            raise _invalid("Match value must be String, number, true, false, or null")
    return lambda values: (
        values is not None and any(not any(_same(v, x) for x in excluded) for v in values)
    )


_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(arg: Any) -> Callable[[tuple[Any, ...] | None], bool]:
    if not isinstance(arg, list) or not arg:
        raise _invalid("Invalid member in numeric match: ]")
    terms = _numeric_terms(arg)

    def test(values: tuple[Any, ...] | None) -> bool:
        return values is not None and any(
            isinstance(v, Decimal) and all(_COMPARE[op](v, bound) for op, bound in terms)
            for v in values
        )

    return test


def _numeric_terms(arg: list[Any]) -> list[tuple[str, Decimal]]:
    op, rest = arg[0], arg[1:]
    if not isinstance(op, str):
        raise _invalid(f"Invalid member in numeric match: {op}")
    if op not in _COMPARE:
        raise _invalid(f"Unrecognized numeric range operator: {op}")
    bound = rest[0] if rest else None
    if not isinstance(bound, Decimal):
        raise _invalid(f"Value of {'equals' if op == '=' else op} must be numeric")
    terms = [(op, bound)]
    if len(rest) == 1:
        return terms
    if op not in (">", ">="):
        raise _invalid("Too many elements in numeric expression")
    second = rest[1]
    if not isinstance(second, str):
        raise _invalid(f"Bad value in numeric range: {second}")
    if second not in ("<", "<="):
        raise _invalid(f"Bad numeric range operator: {second}")
    top = rest[2] if len(rest) > 2 else None
    if not isinstance(top, Decimal):
        raise _invalid(f"Value of {second} must be numeric")
    if top <= bound:
        raise _invalid("Bottom must be less than top")
    if len(rest) > 3:
        raise _invalid("Too many terms in numeric range expression")
    return [*terms, (second, top)]


def _cidr(arg: Any) -> Callable[[tuple[Any, ...] | None], bool]:
    if not isinstance(arg, str):
        raise _invalid("prefix match pattern must be a string")
    address, slash, mask = arg.partition("/")
    if not slash or "/" in mask:
        raise _invalid("Malformed CIDR, one '/' required")
    if not mask.isdigit():
        raise _invalid("Malformed CIDR, mask bits must be an integer")
    try:
        network = ipaddress.ip_network(arg, strict=False)
    except ValueError:
        raise _invalid(f"Nonstandard IP address: {address}") from None

    def inside(value: str) -> bool:
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return _on_strings(inside)


# -- the message's side ------------------------------------------------------------------------


def _values(attribute: Mapping[str, str] | None) -> tuple[Any, ...] | None:
    """An attribute's values for matching: None when absent (or Binary); a String.Array's
    elements (numbers as Decimal); a Number's value; a String's text."""
    if attribute is None:
        return None
    kind, value = attribute.get("Type", ""), attribute.get("Value", "")
    if kind.startswith("Binary"):
        return None
    if kind.startswith("String.Array"):
        try:
            elements = json.loads(value, parse_float=Decimal, parse_int=Decimal)
        except ValueError:
            return ()
        return tuple(elements) if isinstance(elements, list) else ()
    if kind.startswith("Number"):
        try:
            return (Decimal(value),)
        except InvalidOperation:
            return ()
    return (value,)
