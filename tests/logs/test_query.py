"""What `lambdactl logs` asks for (`lambdactl.logs.query`): times and CloudWatch filter patterns."""

from __future__ import annotations

import json

import pytest

from lambdactl.errors import UsageError
from lambdactl.logs.query import FilterPattern, parse_time

NOW = 1795773600000
"""2026-11-27T10:00:00Z in epoch ms."""

REPORT = json.dumps(
    {
        "time": "2026-11-27T10:00:00.123Z",
        "type": "platform.report",
        "record": {
            "requestId": "r-1",
            "metrics": {"durationMs": 150.5, "billedDurationMs": 151, "memorySizeMB": 128},
            "status": "success",
        },
    },
    separators=(",", ":"),
)
APP_ERROR = json.dumps(
    {
        "timestamp": "2026-11-27T10:00:00Z",
        "level": "ERROR",
        "message": "Task failed: timeout",
        "logger": "root",
        "requestId": "r-1",
        "stackTrace": ['  File "/var/task/app.py", line 3, in handler\n', "  File ..."],
        "items": [{"id": 7, "ok": True}, {"id": 8, "ok": False}],
        "count": 3,
        "flag": True,
        "nothing": None,
    }
)
APP_INFO = json.dumps({"level": "INFO", "message": "started", "count": "3"})


# -- parse_time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "before_ms"),
    [
        ("30s", 30_000),
        ("10m", 600_000),
        ("1.5h", 5_400_000),
        ("2d", 172_800_000),
        ("1w", 604_800_000),
        ("0m", 0),
        (" 10m ", 600_000),
        ("10 m", 600_000),
    ],
)
def test_relative_times_count_back_from_now(text: str, before_ms: int) -> None:
    assert parse_time(text, now=NOW, option="--since") == NOW - before_ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T10:00", NOW),  # naive = UTC
        ("2026-11-27T10:00:00", NOW),
        ("2026-11-27 10:00:00", NOW),
        ("2026-11-27T10:00:00Z", NOW),
        ("2026-11-27T10:00:00z", NOW),
        ("2026-11-27T10:00:00.123Z", NOW + 123),
        ("2026-11-27T12:00:00+02:00", NOW),
        ("2026-11-27T05:30:00-04:30", NOW),
        ("2026-11-27", NOW - 10 * 3_600_000),
    ],
)
def test_iso_times(text: str, expected: int) -> None:
    assert parse_time(text, now=NOW, option="--since") == expected
    assert parse_time(text, now=0, option="--since") == expected  # absolute: `now` is unused


@pytest.mark.parametrize("text", ["yesterday", "", "10x", "-5m", "10", "m", "10mm", "2026-13-01"])
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_bad_times_are_usage_errors_naming_option_and_value(text: str, option: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_time(text, now=NOW, option=option)
    assert info.value.message.startswith(f"{option} '{text}' is not a time")
    assert "10m" in info.value.message  # says what would work
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("text", "before_ms"), [("4.1m", 246_000), ("2.3h", 8_280_000)])
def test_fractional_relative_times_are_exact_to_the_millisecond(text: str, before_ms: int) -> None:
    assert parse_time(text, now=NOW, option="--since") == NOW - before_ms


# -- term patterns ---------------------------------------------------------------------------------


def matches(pattern: str, *messages: str) -> list[bool]:
    compiled = FilterPattern(pattern)
    return [compiled.matches(message) for message in messages]


def test_empty_pattern_matches_everything() -> None:
    assert matches("", "anything", "", REPORT) == [True, True, True]
    assert matches("   ", "anything") == [True]


def test_all_plain_terms_must_appear_in_any_order() -> None:
    assert matches(
        "ERROR timeout",
        "ERROR: connection timeout",
        "timeout then ERROR",
        "ERROR only",
        "timeout only",
    ) == [True, True, False, False]


def test_terms_are_case_sensitive() -> None:
    assert matches("ERROR", "[ERROR] x", "[error] x", "Error") == [True, False, False]


def test_quoted_phrase_must_appear_as_written() -> None:
    line = "2026-11-27T10:00:00.000Z r-1 Task timed out after 3.00 seconds"
    assert matches('"Task timed out"', line, "Task out timed", "task timed out") == [
        True,
        False,
        False,
    ]
    assert matches('"timed out" seconds', line, "timed out") == [True, False]


def test_any_of_terms() -> None:
    assert matches("?ERROR ?WARN", "[ERROR] a", "[WARN] b", "[INFO] c", "WARN and ERROR") == [
        True,
        True,
        False,
        True,
    ]


def test_excluded_terms() -> None:
    assert matches("-DEBUG", "[INFO] a", "[DEBUG] b") == [True, False]
    assert matches("ERROR -retrying", "ERROR x", "ERROR retrying", "INFO x") == [
        True,
        False,
        False,
    ]


def test_required_any_of_and_excluded_together() -> None:
    pattern = "request ?ERROR ?WARN -health"
    assert matches(
        pattern,
        "request ERROR",
        "request WARN",
        "request INFO",
        "request ERROR health",
        "ERROR",
    ) == [True, True, False, False, False]


def test_lone_dash_and_question_mark_are_plain_terms() -> None:
    assert matches("a - b", "a - b", "a b") == [True, False]
    assert matches("?", "why?", "why") == [True, False]


def test_term_patterns_also_search_json_lines_as_text() -> None:
    assert matches("platform.report", REPORT, APP_ERROR) == [True, False]


def test_unbalanced_quote_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        FilterPattern('"Task timed out')
    assert "--filter" in info.value.message
    assert '"Task timed out' in info.value.message


# -- JSON patterns ---------------------------------------------------------------------------------


def test_json_string_equality() -> None:
    assert matches('{ $.level = "ERROR" }', APP_ERROR, APP_INFO) == [True, False]
    assert matches('{ $.level != "ERROR" }', APP_ERROR, APP_INFO) == [False, True]


def test_json_string_equality_is_case_sensitive_and_whole() -> None:
    assert matches('{ $.level = "error" }', APP_ERROR) == [False]
    assert matches('{ $.level = "ERR" }', APP_ERROR) == [False]


def test_json_unquoted_word_is_a_string() -> None:
    assert matches("{ $.level = ERROR }", APP_ERROR, APP_INFO) == [True, False]


def test_json_pattern_spacing_is_optional() -> None:
    assert matches('{$.level="ERROR"}', APP_ERROR) == [True]
    assert matches('  {   $.level   =   "ERROR"   }  ', APP_ERROR) == [True]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{ $.record.metrics.durationMs > 100 }", True),
        ("{ $.record.metrics.durationMs > 150.5 }", False),
        ("{ $.record.metrics.durationMs >= 150.5 }", True),
        ("{ $.record.metrics.durationMs < 200 }", True),
        ("{ $.record.metrics.durationMs < 150.5 }", False),
        ("{ $.record.metrics.durationMs <= 150.5 }", True),
        ("{ $.record.metrics.durationMs = 150.5 }", True),
        ("{ $.record.metrics.durationMs != 150.5 }", False),
        ("{ $.record.metrics.billedDurationMs = 151 }", True),
        ("{ $.record.metrics.billedDurationMs = 151.0 }", True),
        ("{ $.record.metrics.billedDurationMs > -1 }", True),
        ("{ $.record.metrics.memorySizeMB >= 1e2 }", True),
    ],
)
def test_json_numeric_comparisons_on_nested_properties(pattern: str, expected: bool) -> None:
    assert matches(pattern, REPORT) == [expected]


def test_json_numeric_comparison_needs_a_number() -> None:
    # "count" is the string "3" in APP_INFO and the number 3 in APP_ERROR
    assert matches("{ $.count > 2 }", APP_ERROR, APP_INFO) == [True, False]
    assert matches("{ $.flag > 0 }", APP_ERROR) == [False]  # a boolean is not a number
    assert matches('{ $.level > "A" }', APP_ERROR) == [False]  # strings are not ordered


def test_json_and_or() -> None:
    both = '{ $.type = "platform.report" && $.record.metrics.durationMs > 100 }'
    assert matches(both, REPORT, APP_ERROR) == [True, False]
    slow = '{ $.type = "platform.report" && $.record.metrics.durationMs > 1000 }'
    assert matches(slow, REPORT) == [False]
    either = '{ $.level = "ERROR" || $.type = "platform.report" }'
    assert matches(either, REPORT, APP_ERROR, APP_INFO) == [True, True, False]


def test_json_and_binds_tighter_than_or() -> None:
    pattern = '{ $.level = "INFO" || $.level = "ERROR" && $.count = 99 }'
    assert matches(pattern, APP_INFO, APP_ERROR) == [True, False]


def test_json_array_index() -> None:
    assert matches("{ $.items[0].id = 7 }", APP_ERROR) == [True]
    assert matches("{ $.items[1].id = 7 }", APP_ERROR) == [False]
    assert matches("{ $.items[1].ok = false }", APP_ERROR) == [True]
    assert matches("{ $.items[5].id = 7 }", APP_ERROR) == [False]  # out of range
    assert matches('{ $.stackTrace[0] = "*app.py*" }', APP_ERROR) == [True]


def test_json_booleans_and_null() -> None:
    assert matches("{ $.flag = true }", APP_ERROR) == [True]
    assert matches("{ $.flag = false }", APP_ERROR) == [False]
    assert matches("{ $.nothing = null }", APP_ERROR) == [True]


def test_json_wildcard_in_quoted_strings() -> None:
    assert matches('{ $.message = "Task*" }', APP_ERROR, APP_INFO) == [True, False]
    assert matches('{ $.message = "*timeout" }', APP_ERROR) == [True]
    assert matches('{ $.message = "*failed*" }', APP_ERROR) == [True]
    assert matches('{ $.message = "*nope*" }', APP_ERROR) == [False]
    assert matches('{ $.message != "Task*" }', APP_ERROR, APP_INFO) == [False, True]


def test_json_escaped_quote_in_a_string() -> None:
    line = json.dumps({"message": 'say "hi"'})
    assert matches(r'{ $.message = "say \"hi\"" }', line) == [True]


def test_json_missing_property_never_matches() -> None:
    assert matches('{ $.nope = "x" }', APP_ERROR) == [False]
    assert matches("{ $.nope > 0 }", APP_ERROR) == [False]
    assert matches("{ $.level.deeper = 1 }", APP_ERROR) == [False]
    assert matches("{ $.items.id = 7 }", APP_ERROR) == [False]  # a list has no keys


@pytest.mark.parametrize(
    "message",
    [
        'level = "ERROR" and $.level = "ERROR"',
        "[ERROR] ERROR",
        "{ not json at all",
        '[{"level": "ERROR"}]',
        "",
        '"ERROR"',
    ],
)
def test_non_json_messages_never_match_a_json_pattern(message: str) -> None:
    assert matches('{ $.level = "ERROR" }', message) == [False]
    assert matches('{ $.level != "ERROR" }', message) == [False]


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.level = "ERROR"',
        '{ $.level = "ERROR" } extra',
        '{ level = "ERROR" }',
        "{ $.level == 1 }",
        "{ $.level ~ 1 }",
        "{ }",
        "{}",
        "{ $.a = 1 && }",
        "{ $.a = 1 || }",
        "{ $.a = }",
        "{ $. = 1 }",
        "{ $.a[x] = 1 }",
    ],
)
def test_malformed_json_patterns_are_usage_errors(pattern: str) -> None:
    with pytest.raises(UsageError) as info:
        FilterPattern(pattern)
    assert info.value.message.startswith(f"--filter '{pattern}': ")
    assert info.value.exit_code == 2


@pytest.mark.parametrize("pattern", ['{ $.message = "abc }', r'{ $.message = "abc\" }'])
def test_unterminated_string_in_json_pattern_is_a_usage_error(pattern: str) -> None:
    with pytest.raises(UsageError):
        FilterPattern(pattern)


@pytest.mark.parametrize("value", ["a && b", "a || b"])
def test_quoted_value_may_contain_and_or(value: str) -> None:
    line = json.dumps({"message": value})
    assert matches(f'{{ $.message = "{value}" }}', line) == [True]


# CloudWatch's only wildcard is '*': brackets and '?' are literal.


def test_brackets_in_a_quoted_value_are_literal() -> None:
    line = json.dumps({"message": "items[1]"})
    assert matches('{ $.message = "items[1]" }', line) == [True]


def test_question_mark_in_a_quoted_value_is_literal() -> None:
    line = json.dumps({"message": "whyX"})
    assert matches('{ $.message = "why?" }', line) == [False]
