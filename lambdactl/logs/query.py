"""What `lambdactl logs` asks for: times (`10m`, `1h`, ISO) and CloudWatch filter patterns.

Filter patterns follow CloudWatch Logs' syntax for the common cases: terms that must all
appear (`ERROR timeout`), quoted phrases (`"Task timed out"`), any-of terms (`?ERROR ?WARN`),
excluded terms (`-DEBUG`), and JSON property tests on JSON lines
(`{ $.level = "ERROR" }`, `{ $.metrics.durationMs > 100 && $.type = "platform.report" }`).
Matching is case-sensitive, as in CloudWatch.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..errors import UsageError

UNITS_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)")
_COMPARISON = re.compile(
    r"\s*\$((?:\.[A-Za-z_][\w-]*|\[\d+\])+)\s*(=|!=|<=|>=|<|>)\s*(\"(?:[^\"\\]|\\.)*\"|[^\s&|]+)\s*"
)


def parse_time(text: str, *, now: int, option: str) -> int:
    """`10m`, `1.5h`, `2d` before `now`, or an ISO 8601 time (UTC unless it says): epoch ms."""
    value = text.strip()
    relative = _RELATIVE.fullmatch(value)
    if relative:
        return now - int(float(relative.group(1)) * UNITS_MS[relative.group(2)])
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


class FilterPattern:
    """A compiled CloudWatch-style filter pattern; `matches(message)` tells."""

    def __init__(self, text: str) -> None:
        self.text = text
        stripped = text.strip()
        if stripped.startswith("{"):
            self._test = _json_pattern(stripped, text)
        else:
            self._test = _term_pattern(stripped, text)

    def matches(self, message: str) -> bool:
        return self._test(message)


def _term_pattern(stripped: str, original: str) -> Callable[[str], bool]:
    try:
        words = shlex.split(stripped, posix=True)
    except ValueError:
        raise UsageError(f"--filter '{original}': unbalanced quotes") from None
    required = [w for w in words if not w.startswith(("?", "-")) or len(w) == 1]
    any_of = [w[1:] for w in words if w.startswith("?") and len(w) > 1]
    excluded = [w[1:] for w in words if w.startswith("-") and len(w) > 1]

    def test(message: str) -> bool:
        if any(word in message for word in excluded):
            return False
        if not all(word in message for word in required):
            return False
        return not any_of or any(word in message for word in any_of)

    return test


def _json_pattern(stripped: str, original: str) -> Callable[[str], bool]:
    if not stripped.endswith("}"):
        raise UsageError(f"--filter '{original}': a JSON pattern ends with '}}'")
    body = stripped[1:-1]
    alternatives = []
    for alternative in body.split("||"):
        tests = []
        for clause in alternative.split("&&"):
            match = _COMPARISON.fullmatch(clause)
            if not match:
                raise UsageError(
                    f"--filter '{original}': cannot read '{clause.strip()}' "
                    '(expected like $.level = "ERROR" or $.metrics.durationMs > 100)'
                )
            tests.append(_comparison(*match.groups()))
        alternatives.append(tests)

    def test(message: str) -> bool:
        if not message.startswith("{"):
            return False
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return any(all(check(document) for check in tests) for tests in alternatives)

    return test


def _comparison(path: str, operator: str, raw: str) -> Callable[[Any], bool]:
    steps: list[str | int] = [
        int(part[1:-1]) if part.startswith("[") else part[1:]
        for part in re.findall(r"\.[A-Za-z_][\w-]*|\[\d+\]", path)
    ]
    expected: Any = json.loads(raw) if raw.startswith('"') else _number_or_word(raw)

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
            same = isinstance(value, str) and fnmatch.fnmatchcase(value, expected)
            if not isinstance(value, str):
                same = json.dumps(value) == expected
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
