"""Aliases: AWS's rules, their order and their exact messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdactl import aliases, shapes, versions
from lambdactl.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdactl.project import Project

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"
NAME_PATTERN_MESSAGE = (
    "1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member "
    "must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
)
WEIGHT_CONSTRAINT = (
    "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, "
    "Member must have value greater than or equal to 0.0, Member must not be null]"
)


@pytest.fixture
def two(project: Project, project_dir: Path) -> Project:
    """The project with versions 1 and 2 of `hello` published."""
    versions.publish(project, "hello")
    (project_dir / "src" / "hello" / "app.py").write_text(
        "def handler(event, context):\n    return 2\n"
    )
    assert versions.publish(project, "hello")[0].version == "2"
    return project


# -- names ------------------------------------------------------------------------------------


def test_create_and_get(two: Project) -> None:
    created = aliases.create(two, "hello", "live", version="1", description="prod")
    assert (created.function, created.name, created.version) == ("hello", "live", "1")
    assert created.description == "prod"
    assert dict(created.routing) == {}
    assert created.revision_id
    assert aliases.get(two, "hello", "live") == created


@pytest.mark.parametrize("name", ["live", "LIVE", "a", "v1", "1a", "my-alias_2", "x" * 128])
def test_valid_names(two: Project, name: str) -> None:
    assert aliases.create(two, "hello", name, version="1").name == name
    assert aliases.get(two, "hello", name).name == name


@pytest.mark.parametrize("name", ["2024", "1", "007"])
def test_all_digit_name_is_refused(two: Project, name: str) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", name, version="1")
    assert info.value.message == NAME_PATTERN_MESSAGE.format(name)
    assert aliases.list_aliases(two, "hello") == []


def test_all_digit_name_exact_aws_message(two: Project) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", "2024", version="1")
    assert str(info.value) == (
        "ValidationException: 1 validation error detected: Value '2024' at 'name' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
    )


@pytest.mark.parametrize("name", ["has space", "dot.ted", "colon:x", "$LATEST", "émoji"])
def test_name_with_bad_characters_is_refused(two: Project, name: str) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", name, version="1")
    assert info.value.message == NAME_PATTERN_MESSAGE.format(name)


def test_name_of_129_characters_is_refused(two: Project) -> None:
    name = "a" * 129
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", name, version="1")
    assert info.value.message == (
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda p: aliases.get(p, "hello", "2024"),
        lambda p: aliases.update(p, "hello", "2024", description="x"),
        lambda p: aliases.delete(p, "hello", "2024"),
    ],
)
def test_name_is_checked_by_every_operation(two: Project, call) -> None:
    with pytest.raises(ValidationException) as info:
        call(two)
    assert info.value.message == NAME_PATTERN_MESSAGE.format("2024")


# -- create -----------------------------------------------------------------------------------


def test_create_existing_alias_conflicts(two: Project) -> None:
    first = aliases.create(two, "hello", "live", version="1")
    with pytest.raises(ResourceConflictException) as info:
        aliases.create(two, "hello", "live", version="2")
    assert info.value.message == f"Alias already exists: {ARN}:live"
    assert info.value.message == (
        "Alias already exists: arn:aws:lambda:us-east-1:123456789012:function:hello:live"
    )
    assert aliases.get(two, "hello", "live") == first


def test_create_pointing_to_a_missing_version(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.create(two, "hello", "live", version="7")
    assert info.value.message == f"Function not found: {ARN}:7"
    with pytest.raises(ResourceNotFoundException):
        aliases.get(two, "hello", "live")


def test_create_routing_to_a_missing_version(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.create(two, "hello", "live", version="1", routing={"7": 0.1})
    assert info.value.message == f"Function not found: {ARN}:7"
    assert aliases.list_aliases(two, "hello") == []
    versions.delete(two, "hello", "1")  # nothing was left pointing to it


def test_create_on_a_deleted_version(two: Project) -> None:
    versions.delete(two, "hello", "2")
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.create(two, "hello", "live", version="2")
    assert info.value.message == f"Function not found: {ARN}:2"


def test_create_for_an_unknown_function(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.create(two, "nope", "live", version="1")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )


def test_create_pointing_to_latest_without_routing(two: Project) -> None:
    assert aliases.create(two, "hello", "dev", version="$LATEST").version == "$LATEST"


@pytest.mark.parametrize("version", ["live", "", "1.0", "-1", "$latest"])
def test_create_with_a_malformed_version(two: Project, version: str) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", "live", version=version)
    assert info.value.message == (
        f"1 validation error detected: Value '{version}' at 'functionVersion' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)"
    )


# -- routing ----------------------------------------------------------------------------------


def test_create_with_routing(two: Project) -> None:
    created = aliases.create(two, "hello", "canary", version="1", routing={"2": 0.1})
    assert dict(created.routing) == {"2": 0.1}
    assert dict(aliases.get(two, "hello", "canary").routing) == {"2": 0.1}


def test_routing_with_two_items(two: Project) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        aliases.create(two, "hello", "live", version="1", routing={"2": 0.1, "3": 0.1})
    assert info.value.message == (
        "Number of items in AdditionalVersionWeights cannot be greater than 1"
    )


def test_routing_with_latest(two: Project) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        aliases.create(two, "hello", "live", version="$LATEST", routing={"2": 0.1})
    assert info.value.message == (
        "$LATEST is not supported for an alias pointing to more than 1 version"
    )


def test_routing_to_its_own_version(two: Project) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        aliases.create(two, "hello", "live", version="1", routing={"1": 0.5})
    assert info.value.message == (
        "Invalid function version 1. Function version 1 is already included in routing "
        "configuration."
    )


@pytest.mark.parametrize(("weight", "shown"), [(1.5, "1.5"), (-0.1, "-0.1"), (2, "2.0")])
def test_routing_weight_out_of_range(two: Project, weight: float, shown: str) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", "live", version="1", routing={"2": weight})
    assert info.value.message == (
        f"1 validation error detected: Value '{{2={shown}}}' at "
        "'routingConfig.additionalVersionWeights' failed to satisfy constraint: "
        + WEIGHT_CONSTRAINT
    )


def test_routing_weight_1_5_exact_aws_message(two: Project) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", "live", version="1", routing={"2": 1.5})
    assert info.value.message == (
        "1 validation error detected: Value '{2=1.5}' at 'routingConfig.additionalVersionWeights' "
        "failed to satisfy constraint: Map value must satisfy constraint: [Member must have value "
        "less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member "
        "must not be null]"
    )


@pytest.mark.parametrize("weight", [0.0, 1.0, 0.5])
def test_routing_weight_bounds_are_inclusive(two: Project, weight: float) -> None:
    created = aliases.create(two, "hello", "live", version="1", routing={"2": weight})
    assert dict(created.routing) == {"2": weight}


def test_routing_key_must_be_a_version_number(two: Project) -> None:
    with pytest.raises(ValidationException) as info:
        aliases.create(two, "hello", "live", version="1", routing={"beta": 0.1})
    assert "at 'routingConfig.additionalVersionWeights'" in info.value.message
    assert "Member must satisfy regular expression pattern: [0-9]+" in info.value.message


def test_model_checks_come_before_business_rules(two: Project) -> None:
    # two items AND an out-of-range weight: the validation error wins
    with pytest.raises(ValidationException):
        aliases.create(two, "hello", "live", version="1", routing={"2": 0.1, "3": 1.5})
    # a malformed version on an unknown function: validation wins over not-found
    with pytest.raises(ValidationException):
        aliases.create(two, "nope", "live", version="x")


def test_update_validates_the_model_before_looking_the_alias_up(two: Project) -> None:
    with pytest.raises(ValidationException):
        aliases.update(two, "hello", "missing", routing={"2": 1.5})


# -- update -----------------------------------------------------------------------------------


def test_update_missing_alias(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.update(two, "hello", "live", version="1")
    assert info.value.message == f"Alias not found: {ARN}:live"
    assert info.value.message == (
        "Alias not found: arn:aws:lambda:us-east-1:123456789012:function:hello:live"
    )


def test_update_keeps_unspecified_fields_and_changes_revision(two: Project) -> None:
    created = aliases.create(
        two, "hello", "live", version="1", routing={"2": 0.2}, description="prod"
    )
    updated = aliases.update(two, "hello", "live", description="changed")
    assert (updated.version, dict(updated.routing), updated.description) == (
        "1", {"2": 0.2}, "changed"
    )
    assert updated.revision_id != created.revision_id
    assert aliases.get(two, "hello", "live") == updated

    moved = aliases.update(two, "hello", "live", routing={})
    assert (moved.version, dict(moved.routing), moved.description) == ("1", {}, "changed")
    assert moved.revision_id not in (created.revision_id, updated.revision_id)

    moved = aliases.update(two, "hello", "live", version="2")
    assert (moved.version, dict(moved.routing), moved.description) == ("2", {}, "changed")
    assert aliases.get(two, "hello", "live") == moved


def test_update_with_the_current_revision_id_applies(two: Project) -> None:
    created = aliases.create(two, "hello", "live", version="1")
    moved = aliases.update(two, "hello", "live", version="2", revision_id=created.revision_id)
    assert moved.version == "2"


def test_update_with_a_stale_revision_id_is_a_precondition_failure(two: Project) -> None:
    created = aliases.create(two, "hello", "live", version="1")
    aliases.update(two, "hello", "live", description="moved on")
    with pytest.raises(PreconditionFailedException) as info:
        aliases.update(two, "hello", "live", version="2", revision_id=created.revision_id)
    assert info.value.message == (
        "The Revision Id provided does not match the latest Revision Id. "
        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
    assert aliases.get(two, "hello", "live").version == "1"


def test_an_update_racing_another_keeps_both_changes(
    two: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another update lands between this one's read and its write: this one reads again
    instead of writing back the version it read (a compare-and-set, not last-writer-wins)."""
    aliases.create(two, "hello", "live", version="1")
    real_put = two.store.put_alias
    raced = []

    def put_after_a_rival(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append(True)
            aliases.update(two, "hello", "live", version="2")  # the rival, first to write
        return real_put(*args, **kwargs)

    monkeypatch.setattr(two.store, "put_alias", put_after_a_rival)
    aliases.update(two, "hello", "live", description="mine")
    final = aliases.get(two, "hello", "live")
    assert (final.version, final.description) == ("2", "mine")


def test_update_moves_the_block_between_versions(two: Project) -> None:
    aliases.create(two, "hello", "live", version="1")
    aliases.update(two, "hello", "live", version="2")
    versions.delete(two, "hello", "1")
    with pytest.raises(ResourceConflictException):
        versions.delete(two, "hello", "2")


def test_update_applies_the_routing_rules(two: Project) -> None:
    aliases.create(two, "hello", "live", version="1", routing={"2": 0.2})
    with pytest.raises(InvalidParameterValueException) as info:
        aliases.update(two, "hello", "live", version="2")  # routing {2: 0.2} is kept
    assert info.value.message == (
        "Invalid function version 2. Function version 2 is already included in routing "
        "configuration."
    )
    with pytest.raises(InvalidParameterValueException) as info:
        aliases.update(two, "hello", "live", version="$LATEST")
    assert info.value.message == (
        "$LATEST is not supported for an alias pointing to more than 1 version"
    )
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.update(two, "hello", "live", version="9")
    assert info.value.message == f"Function not found: {ARN}:9"
    current = aliases.get(two, "hello", "live")
    assert (current.version, dict(current.routing)) == ("1", {"2": 0.2})


# -- get / delete / list ----------------------------------------------------------------------


def test_get_missing_alias(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.get(two, "hello", "live")
    assert info.value.message == f"Cannot find alias arn: {ARN}:live"
    assert info.value.message == (
        "Cannot find alias arn: arn:aws:lambda:us-east-1:123456789012:function:hello:live"
    )


def test_get_for_an_unknown_function(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.get(two, "nope", "live")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )


def test_version_of_a_qualifier_follows_an_alias_but_not_its_routing(two: Project) -> None:
    aliases.create(two, "hello", "live", version="1", routing={"2": 1.0})
    for qualifier, version in ((None, "$LATEST"), ("$LATEST", "$LATEST"), ("2", "2")):
        assert aliases.version_of(two, "hello", qualifier).version == version
    assert aliases.version_of(two, "hello", "live").version == "1"
    with pytest.raises(ResourceNotFoundException) as info:
        aliases.version_of(two, "hello", "gone")
    assert info.value.message == f"Cannot find alias arn: {ARN}:gone"


def test_delete(two: Project) -> None:
    aliases.create(two, "hello", "live", version="1")
    aliases.delete(two, "hello", "live")
    with pytest.raises(ResourceNotFoundException):
        aliases.get(two, "hello", "live")
    versions.delete(two, "hello", "1")  # no longer referenced


def test_delete_missing_alias_succeeds(two: Project) -> None:
    aliases.delete(two, "hello", "never-created")
    aliases.create(two, "hello", "live", version="1")
    aliases.delete(two, "hello", "live")
    aliases.delete(two, "hello", "live")


def test_delete_for_an_unknown_function(two: Project) -> None:
    with pytest.raises(ResourceNotFoundException):
        aliases.delete(two, "nope", "live")


def test_list_aliases_by_name(two: Project) -> None:
    assert aliases.list_aliases(two, "hello") == []
    for name in ("zeta", "alpha", "mid"):
        aliases.create(two, "hello", name, version="1")
    assert [a.name for a in aliases.list_aliases(two, "hello")] == ["alpha", "mid", "zeta"]


# -- parse_routing ----------------------------------------------------------------------------


def test_parse_routing() -> None:
    assert aliases.parse_routing([]) == {}
    assert aliases.parse_routing(["2=0.1"]) == {"2": 0.1}
    assert aliases.parse_routing(["3=1"]) == {"3": 1.0}
    assert aliases.parse_routing([" 4 =0.25"]) == {"4": 0.25}
    assert aliases.parse_routing(["2=0.1", "3=0.2"]) == {"2": 0.1, "3": 0.2}


@pytest.mark.parametrize("item", ["2", "2=", "=", "2=abc", "abc", "2:0.1", "2=0.1=0.2", ""])
def test_parse_routing_errors(item: str) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        aliases.parse_routing(["2=0.1", item])
    assert info.value.message == f"routing '{item}' is not VERSION=WEIGHT (for example 2=0.1)"


# -- AliasConfiguration -----------------------------------------------------------------------


def test_alias_configuration_without_routing(two: Project) -> None:
    alias = aliases.create(two, "hello", "live", version="1", description="prod")
    shape = shapes.alias_configuration(two, alias)
    assert list(shape) == ["AliasArn", "Name", "FunctionVersion", "Description", "RevisionId"]
    assert shape == {
        "AliasArn": f"{ARN}:live",
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "prod",
        "RevisionId": alias.revision_id,
    }


def test_alias_configuration_with_routing(two: Project) -> None:
    alias = aliases.create(two, "hello", "canary", version="1", routing={"2": 0.1})
    shape = shapes.alias_configuration(two, alias)
    assert set(shape) == {
        "AliasArn", "Name", "FunctionVersion", "Description", "RevisionId", "RoutingConfig"
    }
    assert shape["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
    assert shape["Description"] == ""
    assert shape["AliasArn"] == f"{ARN}:canary"
    cleared = aliases.update(two, "hello", "canary", routing={})
    assert "RoutingConfig" not in shapes.alias_configuration(two, cleared)
