"""What `lambdactl logs` asks for: times (`10m`, `1h`, ISO) and CloudWatch filter patterns.

Filter patterns follow CloudWatch Logs' syntax for the common cases: terms that must all
appear (`ERROR timeout`), quoted phrases (`"Task timed out"`), any-of terms (`?ERROR ?WARN`),
excluded terms (`-DEBUG`), and JSON property tests on JSON lines
(`{ $.level = "ERROR" }`, `{ $.metrics.durationMs > 100 && $.type = "platform.report" }`).
Matching is case-sensitive, as in CloudWatch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..errors import UsageError

UNITS_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)")
_COMPARISON = re.compile(
    r"\s*\$((?:\.[A-Za-z_][\w-]*|\[\d+\])+)\s*(=|!=|<=|>=|<|>)\s*(\"(?:[^\"\\]|\\.)*\"|[^\s&|\"]+)\s*"
)
_JOIN = re.compile(r"(&&|\|\|)")
_TERM = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def parse_time(text: str, *, now: int, option: str) -> int:
    """`10m`, `1.5h`, `2d` before `now`, or an ISO 8601 time (UTC unless it says): epoch ms."""
    value = text.strip()
    relative = _RELATIVE.fullmatch(value)
    if relative:  # at most back to 1970: no log is older, and SQLite's integers end
        return now - round(min(float(relative.group(1)) * UNITS_MS[relative.group(2)], now))
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(
            f"{option} '{text}' is not a time: use a duration like 10m, 1h, 2d "
            "or an ISO time like 2026-11-27T10:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


class PatternError(UsageError):
    """A filter pattern that cannot be read: `reason` says where, the message names the
    option it came from (the API words it its own way)."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"--filter '{pattern}': {reason}")
        self.pattern = pattern
        self.reason = reason


class FilterPattern:
    """A compiled CloudWatch-style filter pattern; `matches(message)` tells."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.required: tuple[str, ...] = ()
        """Text every matching message contains: the store can narrow its scan with it."""
        stripped = text.strip()
        if stripped.startswith("{"):
            self._test = _json_pattern(stripped, text)
        else:
            self._test, self.required = _term_pattern(stripped, text)

    def matches(self, message: str) -> bool:
        return self._test(message)


def _term_pattern(stripped: str, original: str) -> tuple[Callable[[str], bool], tuple[str, ...]]:
    required: list[str] = []
    any_of: list[str] = []
    excluded: list[str] = []
    position = 0
    while position < len(stripped):
        if stripped[position].isspace():
            position += 1
            continue
        match = _TERM.match(stripped, position)
        if match is None:  # an opening quote without its closing one
            raise PatternError(original, "unbalanced quotes")
        position = match.end()
        if match.group(1) is not None:  # a quoted phrase is literal, even "-x" or "?x"
            required.append(match.group(1).replace('\\"', '"'))
            continue
        word = match.group(2)
        if '"' in word:
            raise PatternError(original, "unbalanced quotes")
        if word.startswith("?") and len(word) > 1:
            any_of.append(word[1:].strip('"'))
        elif word.startswith("-") and len(word) > 1:
            excluded.append(word[1:].strip('"'))
        else:
            required.append(word)

    def test(message: str) -> bool:
        if any(word in message for word in excluded):
            return False
        if not all(word in message for word in required):
            return False
        return not any_of or any(word in message for word in any_of)

    return test, tuple(required)


def _json_pattern(stripped: str, original: str) -> Callable[[str], bool]:
    if not stripped.endswith("}"):
        raise PatternError(original, "a JSON pattern ends with '}'")
    body = stripped[1:-1]
    alternatives: list[list[Callable[[Any], bool]]] = [[]]
    position = 0
    while True:
        match = _COMPARISON.match(body, position)
        if match is None:
            rest = body[position:].strip() or "(nothing)"
            raise PatternError(
                original,
                f"cannot read '{rest}' "
                '(expected like $.level = "ERROR" or $.metrics.durationMs > 100)',
            )
        alternatives[-1].append(_comparison(*match.groups(), original=original))
        position = match.end()
        if position >= len(body):
            break
        join = _JOIN.match(body, position)
        if join is None:
            raise PatternError(original, f"expected && or || before '{body[position:]}'")
        if join.group(1) == "||":
            alternatives.append([])
        position = join.end()

    def test(message: str) -> bool:
        if not message.startswith("{"):
            return False
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return any(all(check(document) for check in tests) for tests in alternatives)

    return test


def _comparison(path: str, operator: str, raw: str, *, original: str) -> Callable[[Any], bool]:
    steps: list[str | int] = [
        int(part[1:-1]) if part.startswith("[") else part[1:]
        for part in re.findall(r"\.[A-Za-z_][\w-]*|\[\d+\]", path)
    ]
    try:
        expected: Any = json.loads(raw) if raw.startswith('"') else _number_or_word(raw)
    except ValueError:
        raise PatternError(original, f"cannot read the value {raw}") from None
    wildcard = (
        re.compile(".*".join(re.escape(part) for part in expected.split("*")), re.DOTALL)
        if isinstance(expected, str)
        else None
    )

    def check(document: Any) -> bool:
        value = document
        for step in steps:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return False
        if isinstance(expected, str):
            if operator not in ("=", "!="):
                return False
            text = value if isinstance(value, str) else json.dumps(value)
            same = wildcard is not None and wildcard.fullmatch(text) is not None
            return same if operator == "=" else not same
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return operator == "!="
        return {
            "=": value == expected,
            "!=": value != expected,
            "<": value < expected,
            ">": value > expected,
            "<=": value <= expected,
            ">=": value >= expected,
        }[operator]

    return check


def _number_or_word(raw: str) -> Any:
    try:
        return float(raw)
    except ValueError:
        return raw
