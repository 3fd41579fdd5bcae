"""The manifest's `logging:` (per function or in `defaults`) and top-level `logs:` keys.

`logging:` is AWS's LoggingConfig (format, application and system log levels; spec §4.3) plus
the retention of the function's log group; `logs:` gives every group's default retention.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambdactl import manifest, shapes, versions
from lambdactl.errors import ManifestError, validation_message
from lambdactl.manifest import FunctionConfig, LoggingConfig, LogRetention
from lambdactl.project import Project

WriteManifest = Callable[[str], Path]

LEVELS_NEED_JSON = (
    "log levels are filtered only in the JSON log format (AWS's rule): add format: JSON"
)


def load(write_manifest: WriteManifest, text: str) -> manifest.Manifest:
    return manifest.load(write_manifest(text))


def load_error(write_manifest: WriteManifest, text: str) -> ManifestError:
    """Write `text` as the manifest, load it, and return the `ManifestError` it raises."""
    path = write_manifest(text)
    with pytest.raises(ManifestError) as info:
        manifest.load(path)
    assert info.value.file.endswith("functions.yaml")
    return info.value


def one_function(*lines: str) -> str:
    """Function `hello` with `lines` in its body.

    Line numbers: 1 `functions:`, 2 `  hello:`, 3 handler, 4 code, then `lines` from 5.
    """
    body = ["    handler: app.handler", "    code: src/hello", *(f"    {x}" for x in lines)]
    return "functions:\n  hello:\n" + "\n".join(body) + "\n"


# -- valid configurations --------------------------------------------------------------------------


def test_without_logging_everything_is_the_default(write_manifest: WriteManifest) -> None:
    loaded = load(write_manifest, one_function())
    spec = loaded.functions["hello"]
    assert spec.config.logging == LoggingConfig("Text", "INFO", "INFO")
    assert not spec.config.logging.json
    assert spec.log_retention == LogRetention(days=30.0, max_size_mb=100.0)
    assert loaded.log_retention == LogRetention()
    assert loaded.retention("hello") == LogRetention()
    assert "logging" not in spec.config.to_dict()


def test_full_json_logging(write_manifest: WriteManifest) -> None:
    loaded = load(
        write_manifest,
        one_function(
            "logging:",
            "  format: JSON",
            "  application_level: DEBUG",
            "  system_level: WARN",
            "  retention_days: 7",
            "  max_size_mb: 50",
        ),
    )
    spec = loaded.functions["hello"]
    assert spec.config.logging == LoggingConfig("JSON", "DEBUG", "WARN")
    assert spec.config.logging.json
    assert spec.log_retention == LogRetention(days=7.0, max_size_mb=50.0)
    assert loaded.retention("hello") == LogRetention(days=7.0, max_size_mb=50.0)
    assert loaded.log_retention == LogRetention()  # a function's own, not the default


def test_json_format_alone_gets_info_levels(write_manifest: WriteManifest) -> None:
    loaded = load(write_manifest, one_function("logging: {format: JSON}"))
    assert loaded.functions["hello"].config.logging == LoggingConfig("JSON", "INFO", "INFO")


@pytest.mark.parametrize("level", ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"])
def test_every_application_level(write_manifest: WriteManifest, level: str) -> None:
    loaded = load(
        write_manifest, one_function(f"logging: {{format: JSON, application_level: {level}}}")
    )
    assert loaded.functions["hello"].config.logging.application_level == level


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARN"])
def test_every_system_level(write_manifest: WriteManifest, level: str) -> None:
    loaded = load(write_manifest, one_function(f"logging: {{format: JSON, system_level: {level}}}"))
    assert loaded.functions["hello"].config.logging.system_level == level


@pytest.mark.parametrize("value", ["{format: Text}", "{}", "null", "{retention_days: 3}"])
def test_text_or_empty_logging_is_the_default_config(
    write_manifest: WriteManifest, value: str
) -> None:
    config = load(write_manifest, one_function(f"logging: {value}")).functions["hello"].config
    assert config.logging == LoggingConfig()
    assert "logging" not in config.to_dict()


def test_defaults_logging_applies_to_functions_without_their_own(
    write_manifest: WriteManifest,
) -> None:
    loaded = load(
        write_manifest,
        """\
        defaults:
          logging: {format: JSON, application_level: ERROR, retention_days: 9}
        functions:
          inherits:
            handler: app.handler
            code: src/hello
          own:
            handler: app.handler
            code: src/hello
            logging: {format: Text}
        """,
    )
    inherits, own = loaded.functions["inherits"], loaded.functions["own"]
    assert inherits.config.logging == LoggingConfig("JSON", "ERROR", "INFO")
    assert inherits.log_retention == LogRetention(days=9.0, max_size_mb=100.0)
    assert own.config.logging == LoggingConfig()
    assert own.log_retention == LogRetention()


def test_top_level_logs_gives_every_group_its_default_retention(
    write_manifest: WriteManifest,
) -> None:
    loaded = load(
        write_manifest,
        """\
        functions:
          plain:
            handler: app.handler
            code: src/hello
          days:
            handler: app.handler
            code: src/hello
            logging: {retention_days: 3}
          size:
            handler: app.handler
            code: src/hello
            logging: {format: JSON, max_size_mb: 1.5}
          both:
            handler: app.handler
            code: src/hello
            logging: {retention_days: 0.5, max_size_mb: 2}
        logs:
          retention_days: 14
          max_size_mb: 5
        """,
    )
    default = LogRetention(days=14.0, max_size_mb=5.0)
    assert loaded.log_retention == default
    assert loaded.functions["plain"].log_retention == default
    assert loaded.functions["days"].log_retention == LogRetention(days=3.0, max_size_mb=5.0)
    assert loaded.functions["size"].log_retention == LogRetention(days=14.0, max_size_mb=1.5)
    assert loaded.functions["both"].log_retention == LogRetention(days=0.5, max_size_mb=2.0)
    assert loaded.retention("plain") == default
    assert loaded.retention("days") == LogRetention(days=3.0, max_size_mb=5.0)
    assert loaded.retention("not-declared") == default  # e.g. a removed function's group
    assert loaded.functions["days"].config.logging == LoggingConfig()


def test_top_level_logs_with_one_key_keeps_the_other_default(
    write_manifest: WriteManifest,
) -> None:
    loaded = load(write_manifest, "logs: {max_size_mb: 5}\n" + one_function())
    assert loaded.log_retention == LogRetention(days=30.0, max_size_mb=5.0)
    assert loaded.retention("hello") == loaded.log_retention


def test_defaults_logging_refines_top_level_logs(write_manifest: WriteManifest) -> None:
    loaded = load(
        write_manifest,
        "logs: {retention_days: 14, max_size_mb: 5}\n"
        "defaults:\n  logging: {retention_days: 9}\n" + one_function(),
    )
    assert loaded.functions["hello"].log_retention == LogRetention(days=9.0, max_size_mb=5.0)
    assert loaded.retention("other") == LogRetention(days=14.0, max_size_mb=5.0)


def test_empty_logs_is_the_default(write_manifest: WriteManifest) -> None:
    loaded = load(write_manifest, "logs:\n" + one_function())
    assert loaded.log_retention == LogRetention()


# -- errors ----------------------------------------------------------------------------------------


def test_format_must_be_text_or_json(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, one_function("logging:", "  format: json"))
    assert (error.line, error.key) == (6, "functions.hello.logging.format")
    assert error.detail == validation_message(
        "json", "logFormat", "Member must satisfy enum value set: [Text, JSON]"
    )
    assert str(error).startswith("functions.yaml:6: functions.hello.logging.format: ")


def test_application_level_enum(write_manifest: WriteManifest) -> None:
    error = load_error(
        write_manifest,
        one_function("logging:", "  format: JSON", "  application_level: VERBOSE"),
    )
    assert (error.line, error.key) == (7, "functions.hello.logging.application_level")
    assert error.detail == validation_message(
        "VERBOSE",
        "applicationLogLevel",
        "Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]",
    )


@pytest.mark.parametrize("level", ["ERROR", "TRACE", "FATAL", "warn"])
def test_system_level_enum(write_manifest: WriteManifest, level: str) -> None:
    error = load_error(
        write_manifest, one_function("logging:", "  format: JSON", f"  system_level: {level}")
    )
    assert (error.line, error.key) == (7, "functions.hello.logging.system_level")
    assert error.detail == validation_message(
        level, "systemLogLevel", "Member must satisfy enum value set: [DEBUG, INFO, WARN]"
    )


@pytest.mark.parametrize(
    ("lines", "line", "key"),
    [
        (["logging:", "  application_level: DEBUG"], 6, "application_level"),
        (["logging:", "  system_level: WARN"], 6, "system_level"),
        (
            ["logging:", "  format: Text", "  retention_days: 3", "  system_level: DEBUG"],
            8,
            "system_level",
        ),
        (["logging: {format: Text, application_level: ERROR}"], 5, "application_level"),
    ],
)
def test_levels_need_the_json_format(
    write_manifest: WriteManifest, lines: list[str], line: int, key: str
) -> None:
    error = load_error(write_manifest, one_function(*lines))
    assert (error.line, error.key) == (line, f"functions.hello.logging.{key}")
    assert error.detail == LEVELS_NEED_JSON


def test_levels_need_the_json_format_in_defaults_too(write_manifest: WriteManifest) -> None:
    error = load_error(
        write_manifest,
        "defaults:\n  logging:\n    application_level: DEBUG\n" + one_function(),
    )
    assert (error.line, error.key) == (3, "defaults.logging.application_level")
    assert error.detail == LEVELS_NEED_JSON


def test_unknown_logging_key_suggests_the_close_one(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, one_function("logging:", "  retention: 7"))
    assert (error.line, error.key) == (6, "functions.hello.logging.retention")
    assert error.detail == "unknown key 'retention'"
    assert error.hint == "did you mean 'retention_days'?"


def test_unknown_logging_key_lists_the_allowed(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, one_function("logging:", "  format: JSON", "  group: x"))
    assert (error.line, error.key) == (7, "functions.hello.logging.group")
    assert error.hint == (
        "allowed: format, application_level, system_level, retention_days, max_size_mb"
    )


def test_top_level_logs_takes_only_retention_keys(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, "logs:\n  format: JSON\n" + one_function())
    assert (error.line, error.key) == (2, "logs.format")
    assert error.detail == "unknown key 'format'"


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("0", "0 is out of range (0.0001..3653)"),
        ("-1", "-1 is out of range (0.0001..3653)"),
        ("3654", "3654 is out of range (0.0001..3653)"),
        ("true", "expected a number, got"),
        ("soon", "expected a number, got"),
    ],
)
def test_retention_days_range(write_manifest: WriteManifest, value: str, detail: str) -> None:
    error = load_error(write_manifest, one_function("logging:", f"  retention_days: {value}"))
    assert (error.line, error.key) == (6, "functions.hello.logging.retention_days")
    assert error.detail.startswith(detail)

    error = load_error(write_manifest, f"logs:\n  retention_days: {value}\n" + one_function())
    assert (error.line, error.key) == (2, "logs.retention_days")
    assert error.detail.startswith(detail)


@pytest.mark.parametrize(
    ("value", "detail"),
    [("0", "0 is out of range (0.001.."), ("big", "expected a number, got")],
)
def test_max_size_mb_range(write_manifest: WriteManifest, value: str, detail: str) -> None:
    error = load_error(write_manifest, one_function(f"logging: {{max_size_mb: {value}}}"))
    assert (error.line, error.key) == (5, "functions.hello.logging.max_size_mb")
    assert error.detail.startswith(detail)

    error = load_error(write_manifest, f"logs: {{max_size_mb: {value}}}\n" + one_function())
    assert (error.line, error.key) == (1, "logs.max_size_mb")
    assert error.detail.startswith(detail)


def test_max_size_mb_range_message_names_the_exact_maximum(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, one_function("logging: {max_size_mb: 2000000}"))
    assert error.detail == "2000000 is out of range (0.001..1048576)"


@pytest.mark.parametrize("value", ["JSON", "[JSON]", "7"])
def test_logging_must_be_a_mapping(write_manifest: WriteManifest, value: str) -> None:
    error = load_error(write_manifest, one_function(f"logging: {value}"))
    assert (error.line, error.key) == (5, "functions.hello.logging")
    assert error.detail.startswith("expected a mapping, got")


def test_logs_must_be_a_mapping(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, "logs: 30\n" + one_function())
    assert (error.line, error.key) == (1, "logs")
    assert error.detail.startswith("expected a mapping, got")


def test_format_must_be_a_string(write_manifest: WriteManifest) -> None:
    error = load_error(write_manifest, one_function("logging: {format: [JSON]}"))
    assert (error.line, error.key) == (5, "functions.hello.logging.format")


# -- FunctionConfig: versions keep their hash ------------------------------------------------------


def test_to_dict_leaves_the_default_logging_out() -> None:
    config = FunctionConfig(runtime="python3.12", handler="app.handler")
    assert "logging" not in config.to_dict()
    assert FunctionConfig.from_dict(config.to_dict()) == config
    explicit = FunctionConfig(runtime="python3.12", handler="app.handler", logging=LoggingConfig())
    assert explicit.to_dict() == config.to_dict()


def test_json_logging_round_trips_through_json() -> None:
    config = FunctionConfig(
        runtime="python3.12",
        handler="app.handler",
        environment={"A": "1"},
        logging=LoggingConfig("JSON", "WARN", "DEBUG"),
    )
    data = config.to_dict()
    assert data["logging"] == {
        "format": "JSON",
        "application_level": "WARN",
        "system_level": "DEBUG",
    }
    assert FunctionConfig.from_dict(json.loads(json.dumps(data))) == config


def test_a_record_from_before_logging_reads_as_text() -> None:
    old = {
        "runtime": "python3.11",
        "handler": "app.handler",
        "memory": 128,
        "timeout": 3,
        "environment": {},
        "description": "",
    }
    assert FunctionConfig.from_dict(old).logging == LoggingConfig()
    assert FunctionConfig.from_dict(old).to_dict() == old


def _open(path: Path) -> Project:
    return Project.open(path)


def test_publishing_keeps_the_version_until_logging_really_changes(
    write_manifest: WriteManifest,
) -> None:
    project = _open(write_manifest(one_function()))
    try:
        first, created = versions.publish(project, "hello")
        assert (first.version, created) == ("1", True)
        assert "logging" not in project.store.get_version("hello", 1)["config"]
    finally:
        project.close()

    project = _open(write_manifest(one_function("logging: {format: Text, retention_days: 3}")))
    try:
        same, created = versions.publish(project, "hello")
        assert (same.version, created) == ("1", False)
    finally:
        project.close()

    project = _open(
        write_manifest(one_function("logging: {format: JSON, application_level: WARN}"))
    )
    try:
        second, created = versions.publish(project, "hello")
        assert (second.version, created) == ("2", True)
        stored = versions.get(project, "hello", "2")
        assert stored.config.logging == LoggingConfig("JSON", "WARN", "INFO")
        assert versions.get(project, "hello", "1").config.logging == LoggingConfig()
    finally:
        project.close()


# -- the LoggingConfig AWS shows -------------------------------------------------------------------


def _logging_shape(project: Project, qualifier: str | None = None) -> Any:
    version = versions.get(project, "hello", qualifier)
    return shapes.function_configuration(project, version)["LoggingConfig"]


def test_text_function_shows_text_without_levels(write_manifest: WriteManifest) -> None:
    project = _open(write_manifest(one_function()))
    try:
        assert _logging_shape(project) == {"LogFormat": "Text", "LogGroup": "/aws/lambda/hello"}
    finally:
        project.close()


def test_json_function_shows_json_and_its_levels(write_manifest: WriteManifest) -> None:
    project = _open(
        write_manifest(
            one_function("logging: {format: JSON, application_level: WARN, system_level: DEBUG}")
        )
    )
    expected = {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "WARN",
        "SystemLogLevel": "DEBUG",
        "LogGroup": "/aws/lambda/hello",
    }
    try:
        assert _logging_shape(project) == expected
        versions.publish(project, "hello")
        assert _logging_shape(project, "1") == expected  # read back from the stored version
    finally:
        project.close()


def test_cli_show_and_publish_print_the_logging_config(
    write_manifest: WriteManifest, cli: Callable[..., Any]
) -> None:
    write_manifest(one_function("logging: {format: JSON, system_level: WARN}"))
    expected = {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "WARN",
        "LogGroup": "/aws/lambda/hello",
    }
    shown = cli("show", "hello", "-o", "json")
    assert shown.code == 0, shown.err
    assert shown.json()["LoggingConfig"] == expected
    published = cli("publish", "hello", "-o", "json")
    assert published.code == 0, published.err
    assert published.json()["LoggingConfig"] == expected


def test_cli_validate_reports_a_logging_error(
    write_manifest: WriteManifest, cli: Callable[..., Any]
) -> None:
    write_manifest(one_function("logging:", "  application_level: DEBUG"))
    result = cli("validate")
    assert result.code == 2
    assert result.err.strip() == (
        "error: functions.yaml:6: functions.hello.logging.application_level: " + LEVELS_NEED_JSON
    )
