"""Function URLs made through the Lambda API (`lambdactl.url_configs`): overrides of a
declared function's `url:`, dropped when the manifest's `url:` changes; a created function's
own URLs; AWS's errors, and the manifest's rules for every setting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from lambdactl import aliases, functions, url_configs, urls, versions
from lambdactl.errors import (
    InvalidRequestContentException,
    ManifestError,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdactl.functions import Configuration
from lambdactl.project import Project
from tests.uploads import create_request

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    timeout: {timeout}
    {url}
"""
EXISTS = (
    "Failed to create function url config for [functionArn = {arn}]. Error message:  "
    "FunctionUrlConfig exists for this Lambda function"
)


def manifest(url: str = "", timeout: int = 3) -> str:
    return MANIFEST.format(url=url, timeout=timeout)


def reopen(project_dir: Path) -> Project:
    return Project.open(project_dir / "functions.yaml")


def table(project: Project) -> dict[tuple[str, str | None], urls.FunctionUrl]:
    return urls.configured(project.manifest, project.functions)


def settings(project: Project) -> dict[str, Any]:
    records = project.store.function_records()
    assert records is not None
    return records.settings


def at(second: int) -> datetime:
    return datetime(2026, 1, 2, 3, 4, second, tzinfo=timezone.utc)


def test_create_update_delete_a_declared_functions_url(project: Project) -> None:
    made = url_configs.create(project, "hello", auth="NONE", now=at(1))
    assert (made.function, made.qualifier, made.function_arn) == ("hello", None, f"{ARN}:hello")
    config = made.config
    assert (config.auth, config.invoke_mode, config.cors) == ("NONE", "BUFFERED", None)
    assert made.created == made.modified == "2026-01-02T03:04:01.000000Z"
    assert project.function("hello").overrides == {"url:$LATEST": None}  # no url: declared
    assert table(project)[("hello", None)] == made

    changed = url_configs.update(
        project,
        "hello",
        cors={"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 60},
        invoke_mode="RESPONSE_STREAM",
        now=at(2),
    )
    assert changed.config.auth == "NONE"  # not given: kept
    assert changed.config.invoke_mode == "RESPONSE_STREAM"
    assert changed.config.cors is not None
    assert changed.config.cors.allow_origins == ("https://a.example",)
    assert changed.config.cors.max_age == 60
    assert (changed.created, changed.modified) == (made.created, "2026-01-02T03:04:02.000000Z")
    again = url_configs.update(project, "hello", cors={"AllowOrigins": ["*"]}, auth="AWS_IAM")
    assert again.config.cors is not None and again.config.cors.max_age is None  # the whole Cors
    assert again.config.auth == "AWS_IAM"

    url_configs.delete(project, "hello")
    assert table(project) == {}
    assert settings(project) == {}  # nothing to remember: the manifest has no URL
    with pytest.raises(ResourceNotFoundException, match="The resource you requested does not"):
        url_configs.delete(project, "hello")


def test_a_second_url_for_the_same_qualifier_is_a_conflict(
    project: Project, write_manifest: Callable[[str], Path]
) -> None:
    url_configs.create(project, "hello", auth="NONE")
    with pytest.raises(ResourceConflictException) as conflict:
        url_configs.create(project, "hello", auth="AWS_IAM")
    assert conflict.value.message == EXISTS.format(arn=f"{ARN}:hello")


def test_the_manifests_url_conflicts_until_deleted_at_run_time(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest("url: {qualifier: live}"))
    project = reopen(project_dir)
    try:
        versions.publish(project, "hello")
        aliases.create(project, "hello", "live", version="1")
        with pytest.raises(ResourceConflictException) as conflict:
            url_configs.create(project, "hello", "live", auth="NONE")
        assert conflict.value.message == EXISTS.format(arn=f"{ARN}:hello:live")

        url_configs.delete(project, "hello:live")  # the qualifier in the name, as AWS takes it
        assert table(project) == {}
        assert project.function("hello").url_changes == {"live": None}
        made = url_configs.create(project, "hello", "live", auth="AWS_IAM")
        assert table(project) == {("hello", "live"): made}
        beside = url_configs.create(project, "hello", auth="NONE")  # the unqualified one too
        assert list(table(project)) == [("hello", None), ("hello", "live")]
        assert url_configs.list_urls(project, "hello") == [beside, made]
    finally:
        project.close()


def test_changing_the_manifests_url_keeps_its_creation_time(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest("url: true"))
    project = reopen(project_dir)
    try:
        declared = url_configs.get(project, "hello")
        changed = url_configs.update(project, "hello", auth="AWS_IAM", now=at(5))
        assert changed.created == declared.created
        assert changed.modified == "2026-01-02T03:04:05.000000Z"
        assert project.function("hello").overrides["url:$LATEST"]["auth"] == "NONE"  # the base
    finally:
        project.close()


def test_an_edit_of_the_manifests_url_drops_every_url_made_at_run_time(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest("url: true"))
    project = reopen(project_dir)
    url_configs.update(project, "hello", auth="AWS_IAM")
    project.close()

    write_manifest(manifest("url: true", timeout=5))  # another key: the override stays
    kept = reopen(project_dir)
    assert url_configs.get(kept, "hello").config.auth == "AWS_IAM"
    kept.close()

    write_manifest(manifest("url: {cors: {allow_origins: ['*']}}"))
    edited = reopen(project_dir)
    try:
        found = url_configs.get(edited, "hello")
        assert found.config.auth == "NONE" and found.config.cors is not None  # the manifest's
        assert settings(edited) == {}
    finally:
        edited.close()


def test_declaring_a_url_drops_one_created_at_run_time(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(manifest())
    project = reopen(project_dir)
    url_configs.create(project, "hello", auth="AWS_IAM")
    project.close()
    write_manifest(manifest("url: true"))
    edited = reopen(project_dir)
    try:
        assert url_configs.get(edited, "hello").config.auth == "NONE"
        assert settings(edited) == {}
    finally:
        edited.close()


def test_a_created_functions_url_is_its_own_and_goes_with_it(project: Project) -> None:
    request = create_request()
    functions.create(
        project,
        "made",
        Configuration.from_request(request),
        code=request["Code"],
    )
    made = url_configs.create(project, "made", auth="NONE")
    assert made.function_arn == f"{ARN}:made"
    assert project.function("made").overrides == {}  # no manifest to override
    assert settings(project)["made"]["url:$LATEST"].keys() == {"value"}
    functions.delete(project, "made")
    assert table(project) == {}
    assert settings(project) == {}


def test_what_does_not_exist(project: Project) -> None:
    for operation in (url_configs.create, url_configs.update):
        with pytest.raises(ResourceNotFoundException, match="Function does not exist"):
            operation(project, "nobody", auth="NONE")
        with pytest.raises(ResourceNotFoundException, match="Function does not exist"):
            operation(project, "hello", "live", auth="NONE")  # no such alias
    for reading in (url_configs.get, url_configs.delete):
        with pytest.raises(ResourceNotFoundException) as missing:
            reading(project, "nobody")
        assert missing.value.message == "The resource you requested does not exist."
    with pytest.raises(ResourceNotFoundException) as no_url:
        url_configs.update(project, "hello", auth="NONE")
    assert no_url.value.message == "The resource you requested does not exist."
    with pytest.raises(ResourceNotFoundException, match="Function not found: "):
        url_configs.list_urls(project, "nobody")


LONG_ORIGIN = "x" * 254
SEVEN = ["GET"] * 7


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ({"auth": "OPEN"}, "auth: OPEN"),
        ({"auth": "NONE", "invoke_mode": "STREAM"}, "invoke_mode: STREAM"),
        ({"cors": {"AllowMethods": ["OPTIONS"]}}, "cors: {allow_methods: [OPTIONS]}"),
        ({"cors": {"AllowOrigins": [""]}}, "cors: {allow_origins: ['']}"),
        ({"cors": {"AllowOrigins": [LONG_ORIGIN]}}, f"cors: {{allow_origins: [{LONG_ORIGIN}]}}"),
        ({"cors": {"AllowMethods": SEVEN}}, f"cors: {{allow_methods: [{', '.join(SEVEN)}]}}"),
        ({"cors": {"MaxAge": 86401}}, "cors: {max_age: 86401}"),
        ({"cors": {"MaxAge": -1}}, "cors: {max_age: -1}"),
    ],
)
def test_settings_follow_the_manifests_rules_in_its_words(
    project: Project, write_manifest: Callable[[str], Path], given: dict[str, Any], written: str
) -> None:
    with pytest.raises(ValidationException) as refused:
        url_configs.create(project, "hello", **{"auth": "NONE", **given})
    path = write_manifest(manifest(f"url: {{{written}}}"))
    from lambdactl import manifest as manifest_module

    with pytest.raises(ManifestError) as declared:
        manifest_module.load(path, remember=False)
    assert refused.value.message.startswith("1 validation error detected: Value ")
    assert declared.value.message.endswith(": " + refused.value.message)  # after file:line: key


@pytest.mark.parametrize("qualifier", ["1", "$LATEST", "x" * 129])
def test_a_url_qualifier_is_an_alias_name(project: Project, qualifier: str) -> None:
    for operation in (url_configs.create, url_configs.update):
        with pytest.raises(ValidationException, match="at 'qualifier' failed to satisfy"):
            operation(project, "hello", qualifier, auth="NONE")
    with pytest.raises(ValidationException):
        url_configs.delete(project, "hello", qualifier)


def test_auth_type_is_required_to_create(project: Project) -> None:
    with pytest.raises(ValidationException) as refused:
        url_configs.create(project, "hello", auth=None)
    assert refused.value.message == (
        "1 validation error detected: Value null at 'authType' failed to satisfy constraint: "
        "Member must not be null"
    )


@pytest.mark.parametrize(
    "given",
    [
        {"auth": 1},
        {"auth": "NONE", "invoke_mode": ["BUFFERED"]},
        {"auth": "NONE", "cors": ["*"]},
        {"auth": "NONE", "cors": {"AllowOrigins": "*"}},
        {"auth": "NONE", "cors": {"AllowCredentials": "yes"}},
        {"auth": "NONE", "cors": {"MaxAge": "60"}},
        {"auth": "NONE", "cors": {"MaxAge": True}},
    ],
)
def test_members_of_the_wrong_type_cannot_be_read(project: Project, given: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestContentException, match="Could not parse request body"):
        url_configs.create(project, "hello", **given)
    assert table(project) == {}
