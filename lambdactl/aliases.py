"""Aliases: named pointers to a published version, optionally routing a share to one more.

Model checks (patterns, ranges) come first and raise `ValidationException`, then AWS's
business rules, in the order AWS applies them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import ids, versions
from .errors import (
    REVISION_ID_MISMATCH,
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    StoreError,
    ValidationException,
    check_description,
    validation_message,
)
from .project import Project
from .store import AliasWrite
from .versions import LATEST, Version

log = logging.getLogger("lambdactl")

NAME_PATTERN = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
VERSION_PATTERN = r"(\$LATEST|[0-9]+)"


@dataclass(frozen=True)
class Alias:
    function: str
    name: str
    version: str
    routing: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    revision_id: str = ""


def create(
    project: Project,
    function: str,
    name: str,
    *,
    version: str,
    routing: Mapping[str, float] | None = None,
    description: str = "",
) -> Alias:
    """Create an alias; 409 if it exists, 404 if a version it names does not."""
    check_description(description)
    _check_name(name)
    alias = Alias(function, name, version, dict(routing or {}), description, ids.uuid4())
    written = _write(project, alias, create=True)
    assert written is not None  # only a replacement compares revisions
    return written


def update(
    project: Project,
    function: str,
    name: str,
    *,
    version: str | None = None,
    routing: Mapping[str, float] | None = None,
    description: str | None = None,
    revision_id: str | None = None,
) -> Alias:
    """Change the given fields of an existing alias; the rest stay as they were.

    `revision_id`: change it only while its RevisionId is still that one (AWS's
    PreconditionFailedException otherwise). The change is a compare-and-set against what was
    read, so two concurrent updates never lose one another's fields.
    """
    check_description(description)
    _check_name(name)
    given = Alias(function, name, version or LATEST, dict(routing or {}))
    _check_model(given)  # AWS validates the request before looking anything up
    while True:
        current = _existing(project, function, name, missing="Alias not found: ")
        if revision_id is not None and revision_id != current.revision_id:
            raise PreconditionFailedException(REVISION_ID_MISMATCH)
        alias = Alias(
            function,
            name,
            current.version if version is None else version,
            dict(current.routing if routing is None else routing),
            current.description if description is None else description,
            ids.uuid4(),
        )
        written = _write(project, alias, create=False, revision=current.revision_id)
        if written is not None:
            return written
        # Changed by someone else between reading and writing: decide again on what is there.


def point(project: Project, function: str, name: str, version: str) -> Alias:
    """Alias `name` at `version`: created, or moved there (its routing dropped), as SAM's
    AutoPublishAlias does on each deploy that publishes."""
    try:
        current = get(project, function, name)
    except ResourceNotFoundException:
        return create(project, function, name, version=version)
    if current.version == version and not current.routing:
        return current
    return update(project, function, name, version=version, routing={})


def delete(project: Project, function: str, name: str) -> None:
    """Delete an alias. Deleting one that does not exist succeeds, as on AWS."""
    _check_name(name)
    project.function(function)
    project.store.delete_alias(function, name)
    from .store.ledger import Ledger

    try:
        Ledger(project.manifest.state_dir).forget_alias(function, name)
    except StoreError as exc:
        log.warning(f"{exc} (a rebuilt state would bring the alias back)")


def get(project: Project, function: str, name: str) -> Alias:
    _check_name(name)
    return _existing(project, function, name, missing="Cannot find alias arn: ")


def version_of(project: Project, function: str, qualifier: str | None) -> Version:
    """The version `qualifier` names, as GetFunctionConfiguration shows it: `$LATEST` (None),
    a version number, or the version an alias points to (its routing aside)."""
    if qualifier and qualifier != LATEST and not versions.is_number(qualifier):
        qualifier = get(project, function, qualifier).version
    return versions.get(project, function, qualifier)


def list_aliases(project: Project, function: str) -> list[Alias]:
    project.function(function)
    return [_from_record(function, r) for r in project.store.list_aliases(function)]


def parse_routing(items: list[str]) -> dict[str, float]:
    """`["2=0.1"]` -> `{"2": 0.1}`; raises on anything that is not VERSION=WEIGHT."""
    routing: dict[str, float] = {}
    for item in items:
        version, sep, weight = item.partition("=")
        try:
            value = float(weight)
        except ValueError:
            sep = ""
        if not sep:
            raise InvalidParameterValueException(
                f"routing '{item}' is not VERSION=WEIGHT (for example 2=0.1)"
            )
        if version.strip() in routing:
            raise InvalidParameterValueException(f"routing names version {version.strip()} twice")
        routing[version.strip()] = value
    return routing


def restore(project: Project, function: str, record: Mapping) -> AliasWrite:
    """Put back an alias from its ledger record (nothing written unless WRITTEN: it exists,
    or a version it names does not)."""
    alias = _from_record(function, record)
    return project.store.put_alias(
        function, alias.name, _record(alias), create=True, versions=_targets(alias)
    )


def _write(
    project: Project, alias: Alias, *, create: bool, revision: str | None = None
) -> Alias | None:
    """Write `alias`, or AWS's error for why not; None when `revision` is no longer the
    stored one (nothing written)."""
    _check_model(alias)
    project.function(alias.function)
    _check_routing(alias)
    versions = _targets(alias)
    record = _record(alias)
    outcome = project.store.put_alias(
        alias.function, alias.name, record, create=create, versions=versions, revision=revision
    )
    if outcome is AliasWrite.REVISION_CHANGED:
        return None
    arn = project.arn(alias.function, alias.name)
    if outcome is AliasWrite.EXISTS:
        raise ResourceConflictException(f"Alias already exists: {arn}")
    if outcome is AliasWrite.MISSING:
        raise ResourceNotFoundException(f"Alias not found: {arn}")
    if outcome is AliasWrite.VERSION_MISSING:
        missing = next(
            str(v) for v in versions if project.store.get_version(alias.function, v) is None
        )
        raise ResourceNotFoundException(
            f"Function not found: {project.arn(alias.function, missing)}"
        )
    from .store.ledger import Ledger

    try:
        Ledger(project.manifest.state_dir).record_alias(alias.function, record)
    except StoreError as exc:
        log.warning(f"{exc} (lambdactl doctor --repair writes it later)")
    return alias


def _targets(alias: Alias) -> list[int]:
    """The published versions an alias points to (primary and routed)."""
    return [int(v) for v in (alias.version, *alias.routing) if v != LATEST]


def _record(alias: Alias) -> dict:
    return {
        "name": alias.name,
        "version": alias.version,
        "routing": dict(alias.routing),
        "description": alias.description,
        "revision_id": alias.revision_id,
    }


def _existing(project: Project, function: str, name: str, *, missing: str) -> Alias:
    project.function(function)
    record = project.store.get_alias(function, name)
    if record is None:
        raise ResourceNotFoundException(missing + project.arn(function, name))
    return _from_record(function, record)


def _from_record(function: str, record: Mapping) -> Alias:
    return Alias(
        function,
        record["name"],
        record["version"],
        dict(record.get("routing", {})),
        record.get("description", ""),
        record["revision_id"],
    )


def _check_name(name: str) -> None:
    if len(name) > 128:
        constraint = "Member must have length less than or equal to 128"
        raise ValidationException(validation_message(name, "name", constraint))
    if not re.fullmatch(NAME_PATTERN, name):
        constraint = f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        raise ValidationException(validation_message(name, "name", constraint))


def _check_model(alias: Alias) -> None:
    if not re.fullmatch(VERSION_PATTERN, alias.version):
        constraint = f"Member must satisfy regular expression pattern: {VERSION_PATTERN}"
        raise ValidationException(validation_message(alias.version, "functionVersion", constraint))
    shown = "{" + ", ".join(f"{v}={float(w)}" for v, w in alias.routing.items()) + "}"
    if any(not re.fullmatch("[0-9]+", v) for v in alias.routing):
        raise ValidationException(
            validation_message(
                shown,
                "routingConfig.additionalVersionWeights",
                "Map keys must satisfy constraint: [Member must have length less than or equal "
                "to 1024, Member must have length greater than or equal to 1, Member must "
                "satisfy regular expression pattern: [0-9]+, Member must not be null]",
            )
        )
    if any(not 0.0 <= w <= 1.0 for w in alias.routing.values()):
        raise ValidationException(
            validation_message(
                shown,
                "routingConfig.additionalVersionWeights",
                "Map value must satisfy constraint: [Member must have value less than or equal "
                "to 1.0, Member must have value greater than or equal to 0.0, Member must not "
                "be null]",
            )
        )


def _check_routing(alias: Alias) -> None:
    if len(alias.routing) > 1:
        raise InvalidParameterValueException(
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        )
    if alias.routing and alias.version == LATEST:
        raise InvalidParameterValueException(
            "$LATEST is not supported for an alias pointing to more than 1 version"
        )
    if alias.version in alias.routing:
        raise InvalidParameterValueException(
            f"Invalid function version {alias.version}. Function version {alias.version} is "
            "already included in routing configuration."
        )
