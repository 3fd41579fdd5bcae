"""Which functions a project has (`lambdactl.catalog`, `Project.functions`): run-time
overrides of declared functions, dropped when the manifest is edited, and created functions."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from lambdactl import functions
from lambdactl.events import configs
from lambdactl.functions import Configuration
from lambdactl.project import Project
from tests.uploads import create_request

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    memory: {memory}
    timeout: {timeout}
    environment: {{GREETING: Hello}}
    {extra}
"""


def manifest(memory: int = 128, timeout: int = 3, extra: str = "") -> str:
    return MANIFEST.format(memory=memory, timeout=timeout, extra=extra)


def reopen(project_dir: Path) -> Project:
    return Project.open(project_dir / "functions.yaml")


def settings(project: Project) -> dict:
    records = project.store.function_records()
    assert records is not None
    return records.settings


def test_an_override_is_dropped_when_the_manifest_changes_that_key(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest())
    project = reopen(project_dir)
    functions.update_configuration(project, "hello", Configuration(memory=512, timeout=10))
    assert project.function("hello").config.memory == 512
    project.close()

    write_manifest(manifest(memory=256))  # memory changed in the manifest, timeout not
    edited = reopen(project_dir)
    try:
        spec = edited.function("hello")
        assert (spec.config.memory, spec.config.timeout) == (256, 10)
        assert spec.overrides == {"timeout": 3}
        assert set(settings(edited)["hello"]) == {"timeout"}  # deleted from the store
    finally:
        edited.close()


def test_an_unrelated_edit_keeps_every_override(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest())
    project = reopen(project_dir)
    functions.update_configuration(
        project, "hello", Configuration(environment={"Variables": {"GREETING": "Hi"}})
    )
    functions.put_concurrency(project, "hello", 3)
    project.close()
    write_manifest(manifest(timeout=5))
    edited = reopen(project_dir)
    try:
        spec = edited.function("hello")
        assert dict(spec.config.environment) == {"GREETING": "Hi"}
        assert (spec.config.timeout, spec.reserved_concurrency) == (5, 3)
        assert spec.overrides == {
            "environment": {"GREETING": "Hello"},
            "reserved_concurrency": None,
        }
    finally:
        edited.close()


def test_declaring_the_key_drops_a_reserved_concurrency_override(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest())
    project = reopen(project_dir)
    functions.put_concurrency(project, "hello", 3)
    project.close()
    write_manifest(manifest(extra="reserved_concurrency: 7"))
    edited = reopen(project_dir)
    try:
        assert edited.function("hello").reserved_concurrency == 7
        assert settings(edited) == {}
    finally:
        edited.close()


def test_an_event_invoke_config_is_dropped_when_the_manifests_async_changes(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest(extra="async: {maximum_retry_attempts: 1}"))
    project = reopen(project_dir)
    configs.put(project, "hello", maximum_retry_attempts=0)
    assert project.function("hello").async_config(None).maximum_retry_attempts == 0
    project.close()
    write_manifest(manifest(extra="async: {maximum_retry_attempts: 2, maximum_event_age: 60}"))
    edited = reopen(project_dir)
    try:
        config = edited.function("hello").async_config(None)
        assert (config.maximum_retry_attempts, config.maximum_event_age) == (2, 60)
        assert settings(edited) == {}
    finally:
        edited.close()


def test_a_function_removed_from_the_manifest_loses_its_overrides(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest())
    project = reopen(project_dir)
    functions.put_concurrency(project, "hello", 3)
    project.close()
    (project_dir / "src" / "other").mkdir()
    write_manifest(
        textwrap.dedent(
            """\
            functions:
              other: {handler: app.handler, code: src/other}
            """
        )
    )
    edited = reopen(project_dir)
    try:
        assert list(edited.functions) == ["other"]
        assert settings(edited) == {}
    finally:
        edited.close()


def test_a_project_opened_earlier_follows_changes_made_elsewhere(project: Project) -> None:
    before = project.functions
    assert project.functions is before  # nothing changed: the same mapping, one small read
    other = Project.open(project.manifest.path)
    try:
        functions.update_configuration(other, "hello", Configuration(memory=1024))
        request = create_request()
        functions.create(other, "made", Configuration.from_request(request), code=request["Code"])
    finally:
        other.close()
    assert project.function("hello").config.memory == 1024
    assert list(project.functions) == ["hello", "made"]
    assert project.function("made").source == "api"


def test_a_name_declared_later_is_the_manifests(
    project: Project, project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    request = create_request()
    functions.create(project, "made", Configuration.from_request(request), code=request["Code"])
    (project_dir / "src" / "made").mkdir()
    write_manifest(
        textwrap.dedent(
            """\
            functions:
              hello: {handler: app.handler, code: src/hello}
              made: {handler: app.handler, code: src/made}
            """
        )
    )
    edited = reopen(project_dir)
    try:
        assert edited.function("made").source == "manifest"
        assert edited.function("made").code == (project_dir / "src" / "made").resolve()
    finally:
        edited.close()
