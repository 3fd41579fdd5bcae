"""Versions: publish, list, delete and resolve, with AWS's rules and messages."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl import aliases, code, versions
from lambdactl.errors import (
    InvalidParameterValueException,
    LambdactlError,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambdactl.project import Project
from tests.conftest import HELLO, MANIFEST

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"

EDITED = """\
def handler(event, context):
    return {"edited": True}
"""

WITH_LAYER = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    environment: {GREETING: Hello}
    description: Greets
    layers: [layers/common]
"""


@pytest.fixture
def reopen(project_dir: Path) -> Iterator[Callable[[], Project]]:
    """Open the project again (after a manifest edit); closed at the end of the test."""
    opened: list[Project] = []

    def open_() -> Project:
        project = Project.open(project_dir / "functions.yaml")
        opened.append(project)
        return project

    yield open_
    for project in opened:
        project.close()


def _edit_code(project_dir: Path, text: str = EDITED) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(text)


# -- publish ----------------------------------------------------------------------------------


def test_publish_sequence(project: Project, project_dir: Path, write_manifest, reopen) -> None:
    first, created = versions.publish(project, "hello")
    assert (first.version, created) == ("1", True)

    again, created = versions.publish(project, "hello")
    assert (again.version, created) == ("1", False)
    assert again.revision_id == first.revision_id
    assert again.last_modified == first.last_modified

    _edit_code(project_dir)
    second, created = versions.publish(project, "hello")
    assert (second.version, created) == ("2", True)
    assert second.code_sha256 != first.code_sha256

    write_manifest(MANIFEST.replace("description: Greets", "description: Greets\n    memory: 256"))
    project = reopen()
    third, created = versions.publish(project, "hello")
    assert (third.version, created) == ("3", True)
    assert third.config.memory == 256
    assert third.code_sha256 == second.code_sha256
    assert versions.publish(project, "hello")[0].version == "3"

    assert [v.version for v in versions.list_versions(project, "hello")] == [
        "$LATEST", "1", "2", "3"
    ]
    assert versions.get(project, "hello", "2").config.memory == 128


def test_publish_keeps_config_and_description(project: Project) -> None:
    version, _created = versions.publish(project, "hello")
    assert version.function == "hello"
    assert version.description == "Greets"
    assert version.config.handler == "app.handler"
    assert dict(version.config.environment) == {"GREETING": "Hello"}
    assert version.layers == ()
    assert not version.is_latest


def test_description_override_goes_into_the_version_only(project: Project) -> None:
    version, created = versions.publish(project, "hello", description="release 1")
    assert created
    assert version.description == "release 1"
    assert versions.get(project, "hello", "1").description == "release 1"
    latest = versions.latest(project, "hello")
    assert latest.description == "Greets"
    assert latest.config.description == "Greets"
    assert version.config.description == "Greets"  # the configuration itself is unchanged


def test_description_override_alone_is_not_a_change(project: Project) -> None:
    versions.publish(project, "hello", description="one")
    version, created = versions.publish(project, "hello", description="two")
    assert (version.version, created) == ("1", False)
    assert version.description == "one"


def test_publish_with_latest_revision_and_sha_publishes(project: Project) -> None:
    latest = versions.latest(project, "hello")
    version, created = versions.publish(
        project, "hello", revision_id=latest.revision_id, code_sha256=latest.code_sha256
    )
    assert (version.version, created) == ("1", True)


def test_publish_with_a_stale_revision_id_is_a_precondition_failure(
    project: Project, project_dir: Path
) -> None:
    stale = versions.latest(project, "hello").revision_id
    (project_dir / "src" / "hello" / "app.py").write_text(EDITED)
    with pytest.raises(PreconditionFailedException) as info:
        versions.publish(project, "hello", revision_id=stale)
    assert info.value.http_status == 412
    assert info.value.message == (
        "The Revision Id provided does not match the latest Revision Id. "
        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
    assert project.store.list_versions("hello") == []


def test_publish_with_another_code_sha256_is_refused_in_aws_words(project: Project) -> None:
    current = versions.latest(project, "hello").code_sha256
    other = "A" * 43 + "="
    with pytest.raises(InvalidParameterValueException) as info:
        versions.publish(project, "hello", code_sha256=other)
    assert info.value.message == (
        f"CodeSHA256 ({other}) is different from current CodeSHA256 in $LATEST ({current}). "
        "Please try again with the CodeSHA256 in $LATEST."
    )
    assert project.store.list_versions("hello") == []


def test_layer_content_edit_creates_a_new_version(
    project_dir: Path, write_manifest, reopen
) -> None:
    layer = project_dir / "layers" / "common"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "shared.py").write_text("SHARED = 1\n")
    write_manifest(WITH_LAYER)
    project = reopen()

    first, created = versions.publish(project, "hello")
    assert (first.version, created) == ("1", True)
    assert [(x.name, x.version) for x in first.layers] == [("common", 1)]
    assert versions.publish(project, "hello")[1] is False

    (layer / "python" / "shared.py").write_text("SHARED = 2\n")
    second, created = versions.publish(project, "hello")
    assert (second.version, created) == ("2", True)
    assert [(x.name, x.version) for x in second.layers] == [("common", 2)]
    assert second.code_sha256 == first.code_sha256
    # the first version keeps its own layer snapshot
    old = versions.get(project, "hello", "1").layers[0]
    assert (old.directory / "python" / "shared.py").read_text() == "SHARED = 1\n"
    assert (second.layers[0].directory / "python" / "shared.py").read_text() == "SHARED = 2\n"

    (layer / "python" / "shared.py").write_text("SHARED = 1\n")  # back to seen content
    third, created = versions.publish(project, "hello")
    assert (third.version, created) == ("3", True)
    assert [(x.name, x.version) for x in third.layers] == [("common", 1)]


def test_published_code_is_the_snapshot(project: Project, project_dir: Path) -> None:
    working = project_dir / "src" / "hello"
    sha256_hex = code.package(working).sha256_hex
    version, _created = versions.publish(project, "hello")
    assert version.code_dir == project.blobs.tree(sha256_hex)
    assert version.code_dir.resolve() != working.resolve()
    assert version.code_sha256 == code.code_sha256(sha256_hex)

    _edit_code(project_dir)
    assert (version.code_dir / "app.py").read_text() == HELLO
    again = versions.get(project, "hello", "1")
    assert again.code_dir == version.code_dir
    assert (again.code_dir / "app.py").read_text() == HELLO
    latest = versions.latest(project, "hello")
    assert latest.code_dir == working
    assert (latest.code_dir / "app.py").read_text() == EDITED


def test_publish_unknown_function(project: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        versions.publish(project, "nope")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda p: versions.latest(p, "nope"),
        lambda p: versions.get(p, "nope"),
        lambda p: versions.get(p, "nope", "1"),
        lambda p: versions.list_versions(p, "nope"),
        lambda p: versions.delete(p, "nope", "1"),
        lambda p: versions.resolve(p, "nope", None),
        lambda p: versions.resolve(p, "nope", "live"),
    ],
)
def test_unknown_function_everywhere(project: Project, call) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        call(project)
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )


# -- $LATEST ----------------------------------------------------------------------------------


def test_latest_revision_id_is_stable_until_something_changes(
    project: Project, project_dir: Path
) -> None:
    first = versions.latest(project, "hello")
    assert first.is_latest and first.version == "$LATEST"
    again = versions.latest(project, "hello")
    assert (again.revision_id, again.last_modified) == (first.revision_id, first.last_modified)
    versions.publish(project, "hello")  # publishing changes nothing in $LATEST
    assert versions.latest(project, "hello").revision_id == first.revision_id

    _edit_code(project_dir)
    edited = versions.latest(project, "hello")
    assert edited.revision_id != first.revision_id
    assert versions.latest(project, "hello").revision_id == edited.revision_id


def test_latest_revision_id_changes_with_the_manifest(
    project: Project, write_manifest, reopen
) -> None:
    before = versions.latest(project, "hello").revision_id
    write_manifest(MANIFEST.replace("Hello}", "Hi}"))
    assert versions.latest(reopen(), "hello").revision_id != before


# -- list -------------------------------------------------------------------------------------


def test_list_versions_latest_first(project: Project, project_dir: Path) -> None:
    assert [v.version for v in versions.list_versions(project, "hello")] == ["$LATEST"]
    for i in range(3):
        _edit_code(project_dir, f"def handler(event, context):\n    return {i}\n")
        versions.publish(project, "hello")
    listed = versions.list_versions(project, "hello")
    assert [v.version for v in listed] == ["$LATEST", "1", "2", "3"]
    assert listed[0].is_latest


# -- delete -----------------------------------------------------------------------------------


def test_delete_latest_is_refused(project: Project) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        versions.delete(project, "hello", "$LATEST")
    assert info.value.message == "$LATEST version cannot be deleted without deleting the function."


def test_delete_aliased_version_is_refused(project: Project) -> None:
    versions.publish(project, "hello")
    aliases.create(project, "hello", "live", version="1")
    with pytest.raises(ResourceConflictException) as info:
        versions.delete(project, "hello", "1")
    assert info.value.message == (
        "Unable to delete version because the following aliases reference it: [live]"
    )
    assert versions.get(project, "hello", "1").version == "1"


def test_delete_version_referenced_by_routing_lists_every_alias(
    project: Project, project_dir: Path
) -> None:
    versions.publish(project, "hello")
    _edit_code(project_dir)
    versions.publish(project, "hello")
    aliases.create(project, "hello", "live", version="1", routing={"2": 0.1})
    aliases.create(project, "hello", "beta", version="2")
    with pytest.raises(ResourceConflictException) as info:
        versions.delete(project, "hello", "2")
    assert info.value.message == (
        "Unable to delete version because the following aliases reference it: [beta, live]"
    )


def test_delete_missing_version(project: Project) -> None:
    versions.publish(project, "hello")
    with pytest.raises(ResourceNotFoundException) as info:
        versions.delete(project, "hello", "9")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:hello:9"
    )


def test_delete_an_alias_qualifier_is_refused(project: Project) -> None:
    versions.publish(project, "hello")
    aliases.create(project, "hello", "live", version="1")
    with pytest.raises(InvalidParameterValueException):
        versions.delete(project, "hello", "live")
    assert aliases.get(project, "hello", "live").version == "1"


def test_delete_then_numbers_are_not_reused(project: Project, project_dir: Path) -> None:
    versions.publish(project, "hello")
    _edit_code(project_dir)
    versions.publish(project, "hello")
    versions.delete(project, "hello", "2")
    with pytest.raises(ResourceNotFoundException):
        versions.get(project, "hello", "2")
    _edit_code(project_dir, "def handler(event, context):\n    return 3\n")
    version, created = versions.publish(project, "hello")
    assert (version.version, created) == ("3", True)
    assert [v.version for v in versions.list_versions(project, "hello")] == ["$LATEST", "1", "3"]


def test_deleted_version_can_be_deleted_only_once(project: Project) -> None:
    versions.publish(project, "hello")
    versions.delete(project, "hello", "1")
    with pytest.raises(ResourceNotFoundException) as info:
        versions.delete(project, "hello", "1")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:hello:1"
    )


def test_delete_with_a_unicode_superscript_digit_is_an_aws_error(project: Project) -> None:
    versions.publish(project, "hello")
    with pytest.raises(LambdactlError):
        versions.delete(project, "hello", "²")


def test_delete_with_a_non_ascii_digit_does_not_delete_version_one(project: Project) -> None:
    versions.publish(project, "hello")
    try:
        versions.delete(project, "hello", "\u0661")
    except LambdactlError:
        pass
    assert [v.version for v in versions.list_versions(project, "hello")] == ["$LATEST", "1"]


def test_get_with_a_unicode_superscript_digit_is_not_found(project: Project) -> None:
    versions.publish(project, "hello")
    with pytest.raises(ResourceNotFoundException):
        versions.resolve(project, "hello", "²")


# -- get / resolve ----------------------------------------------------------------------------


def test_get(project: Project) -> None:
    versions.publish(project, "hello")
    assert versions.get(project, "hello").is_latest
    assert versions.get(project, "hello", "$LATEST").is_latest
    assert versions.get(project, "hello", "1").version == "1"
    with pytest.raises(ResourceNotFoundException) as info:
        versions.get(project, "hello", "2")
    assert info.value.message == f"Function not found: {ARN}:2"
    aliases.create(project, "hello", "live", version="1")
    with pytest.raises(ResourceNotFoundException) as info:
        versions.get(project, "hello", "live")  # aliases are not versions
    assert info.value.message == f"Function not found: {ARN}:live"


def test_resolve_none_and_latest(project: Project) -> None:
    unqualified = versions.resolve(project, "hello", None)
    assert unqualified.version.is_latest
    assert unqualified.qualifier == "$LATEST"
    assert unqualified.invoked_arn == ARN
    latest = versions.resolve(project, "hello", "$LATEST")
    assert latest.version.is_latest
    assert latest.qualifier == "$LATEST"
    assert latest.invoked_arn == f"{ARN}:$LATEST"


def test_resolve_number(project: Project, project_dir: Path) -> None:
    versions.publish(project, "hello")
    _edit_code(project_dir)
    versions.publish(project, "hello")
    resolved = versions.resolve(project, "hello", "1")
    assert resolved.version.version == "1"
    assert resolved.qualifier == "1"
    assert resolved.invoked_arn == f"{ARN}:1"
    assert (resolved.version.code_dir / "app.py").read_text() == HELLO
    with pytest.raises(ResourceNotFoundException) as info:
        versions.resolve(project, "hello", "3")
    assert info.value.message == f"Function not found: {ARN}:3"


def test_resolve_alias(project: Project, project_dir: Path) -> None:
    versions.publish(project, "hello")
    _edit_code(project_dir)
    versions.publish(project, "hello")
    aliases.create(project, "hello", "live", version="2")
    resolved = versions.resolve(project, "hello", "live")
    assert resolved.version.version == "2"
    assert resolved.qualifier == "live"
    assert resolved.invoked_arn == f"{ARN}:live"


def test_resolve_alias_to_latest(project: Project) -> None:
    aliases.create(project, "hello", "dev", version="$LATEST")
    resolved = versions.resolve(project, "hello", "dev")
    assert resolved.version.is_latest
    assert resolved.invoked_arn == f"{ARN}:dev"


def test_resolve_missing_alias(project: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        versions.resolve(project, "hello", "live")
    assert info.value.message == f"Function not found: {ARN}:live"


def _two_versions_and_canary(project: Project, project_dir: Path, weight: float) -> None:
    versions.publish(project, "hello")
    _edit_code(project_dir)
    versions.publish(project, "hello")
    aliases.create(project, "hello", "canary", version="1", routing={"2": weight})


def test_resolve_weighted_routing(project: Project, project_dir: Path) -> None:
    _two_versions_and_canary(project, project_dir, 0.3)
    rng = random.Random(20240601)
    picks = [versions.resolve(project, "hello", "canary", rng=rng) for _ in range(2000)]
    chosen = [r.version.version for r in picks]
    assert set(chosen) == {"1", "2"}
    share = chosen.count("2") / len(chosen)
    assert 0.25 <= share <= 0.35
    assert {r.qualifier for r in picks} == {"canary"}
    assert {r.invoked_arn for r in picks} == {f"{ARN}:canary"}


def test_resolve_weighted_routing_is_reproducible_with_a_seed(
    project: Project, project_dir: Path
) -> None:
    _two_versions_and_canary(project, project_dir, 0.5)

    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [versions.resolve(project, "hello", "canary", rng=rng).version.version
                for _ in range(50)]

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.parametrize(("weight", "expected"), [(0.0, {"1"}), (1.0, {"2"})])
def test_resolve_weighted_routing_extremes(
    project: Project, project_dir: Path, weight: float, expected: set[str]
) -> None:
    _two_versions_and_canary(project, project_dir, weight)
    rng = random.Random(1)
    chosen = {versions.resolve(project, "hello", "canary", rng=rng).version.version
              for _ in range(200)}
    assert chosen == expected


PID_HANDLER = """\
import os

def handler(event, context):
    return {"v": %d, "pid": os.getpid()}
"""


def test_a_held_latest_stays_as_it_was_and_installs_nothing_new_until_released(
    project: Project,
) -> None:
    """What the dev loop does while new requirements install: invokes get `$LATEST` as it
    was (the warm environment), a cold start meanwhile installs nothing (the requirements
    it had: none), and once released `$LATEST` follows the tree again."""
    import json

    from lambdactl.invoke import Invoker
    from lambdactl.runtime.dependencies import DependencyError

    code_dir = project.functions["hello"].code
    (code_dir / "app.py").write_text(PID_HANDLER % 1)
    with Invoker(project, watch_code=True) as invoker:

        def call() -> dict:
            return json.loads(invoker.invoke("hello").payload)  # type: ignore[no-any-return]

        warm = call()
        before = versions.latest(project, "hello")
        versions.hold(project, "hello", b"")
        (code_dir / "requirements.txt").write_text("--no-index\nabsent-package==1\n")
        (code_dir / "app.py").write_text(PID_HANDLER % 2)
        project.latest_versions.pop("hello")  # changed: whatever the watcher says, held
        assert versions.latest(project, "hello").revision_id == before.revision_id
        assert call() == warm
        invoker.retire("hello")
        cold = call()  # pip would fail: it is not run
        assert cold["pid"] != warm["pid"] and not (project.manifest.state_dir / "deps").exists()
        versions.release(project, "hello")
        assert versions.latest(project, "hello").revision_id != before.revision_id
        with pytest.raises(DependencyError, match="absent-package"):
            invoker.invoke("hello")  # the new requirements now: pip runs, and fails
