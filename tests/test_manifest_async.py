"""The manifest's asynchronous-invocation keys: `async:` and `dead_letter:`."""

from __future__ import annotations

import pytest

from lambdactl import manifest
from lambdactl.errors import ManifestError
from lambdactl.manifest import AsyncConfig, Destination

BASE = """\
functions:
  orders:
    handler: app.handler
    code: src/hello
{body}
  audit:
    handler: app.handler
    code: src/hello
queues:
  failures: {{}}
"""


def load(write_manifest, body: str):  # type: ignore[no-untyped-def]
    return manifest.load(write_manifest(BASE.format(body=body)))


def error(write_manifest, body: str) -> ManifestError:  # type: ignore[no-untyped-def]
    with pytest.raises(ManifestError) as info:
        load(write_manifest, body)
    return info.value


def test_defaults_are_aws(write_manifest) -> None:  # type: ignore[no-untyped-def]
    spec = load(write_manifest, "").functions["orders"]
    assert spec.asynchronous == AsyncConfig(2, 21600, (60.0, 120.0), None, None)
    assert spec.dead_letter is None


def test_every_key(write_manifest) -> None:  # type: ignore[no-untyped-def]
    spec = load(
        write_manifest,
        "    async:\n"
        "      maximum_retry_attempts: 1\n"
        "      maximum_event_age: 60\n"
        "      retry_delays: [0.5, 1]\n"
        "      on_success: {function: audit}\n"
        "      on_failure: {queue: failures}\n"
        "    dead_letter: {queue: failures}",
    ).functions["orders"]
    assert spec.asynchronous == AsyncConfig(
        1, 60, (0.5, 1.0), Destination("function", "audit"), Destination("queue", "failures")
    )
    assert spec.dead_letter == Destination("queue", "failures")


@pytest.mark.parametrize(
    ("body", "key", "detail"),
    [
        (
            "    async: {maximum_retry_attempts: 3}",
            "functions.orders.async.maximum_retry_attempts",
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value less than or equal to 2",
        ),
        (
            "    async: {maximum_event_age: 59}",
            "functions.orders.async.maximum_event_age",
            "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value greater than or equal to 60",
        ),
        (
            "    async: {on_failure: {function: orders}}",
            "functions.orders.async.on_failure",
            "You can't specify the function as a destination for itself.",
        ),
        (
            "    async: {on_success: {queue: nowhere}}",
            "functions.orders.async.on_success",
            "no queue 'nowhere' is declared in the manifest",
        ),
        (
            "    dead_letter: {function: audit}",
            "functions.orders.dead_letter",
            "a dead-letter target is a queue: {queue: NAME}",
        ),
        (
            "    async: {retry_delays: [1]}",
            "functions.orders.async.retry_delays",
            "expected two numbers: seconds before the 1st and 2nd retry",
        ),
        (
            "    async: {on_success: {function: audit, queue: failures}}",
            "functions.orders.async.on_success",
            "expected exactly one of {function: NAME} or {queue: NAME}",
        ),
    ],
)
def test_bad_async_settings(write_manifest, body: str, key: str, detail: str) -> None:  # type: ignore[no-untyped-def]
    problem = error(write_manifest, body)
    assert (problem.key, problem.detail) == (key, detail)
    assert problem.line is not None


def test_unknown_async_key(write_manifest) -> None:  # type: ignore[no-untyped-def]
    problem = error(write_manifest, "    async: {max_retries: 1}")
    assert (problem.key, problem.detail) == (
        "functions.orders.async.max_retries",
        "unknown key 'max_retries'",
    )
    assert problem.hint == "did you mean 'maximum_retry_attempts'?"
