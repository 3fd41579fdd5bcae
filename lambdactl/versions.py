"""Versions: `$LATEST` (the live working tree) and immutable published snapshots.

A published version keeps its configuration and a content-addressed snapshot of its code and
layers; nothing done to the working tree afterwards reaches it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import code as code_module
from . import ids
from .digests import sha256_hex
from .errors import (
    REVISION_ID_MISMATCH,
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    StoreError,
    check_description,
)
from .manifest import FunctionConfig, FunctionSpec
from .project import Project
from .timestamps import last_modified

if TYPE_CHECKING:
    import random

log = logging.getLogger("lambdactl")

LATEST = "$LATEST"


def is_number(qualifier: str) -> bool:
    """A published version number: ASCII digits only (`str.isdigit` also takes '²' and '١')."""
    return qualifier.isascii() and qualifier.isdigit()


@dataclass(frozen=True)
class Layer:
    name: str
    version: int
    sha256_hex: str
    size: int
    directory: Path


@dataclass(frozen=True)
class Version:
    """One runnable version of a function: configuration plus where its code lives."""

    function: str
    version: str
    config: FunctionConfig
    code_dir: Path
    code_sha256: str
    code_size: int
    layers: tuple[Layer, ...]
    description: str
    revision_id: str
    last_modified: str
    requirements: bytes | None = None
    """The requirements.txt its environments install, when not their code directory's own:
    `$LATEST` held while the file's new content installs (see `hold`; empty: none)."""
    packages: tuple[bytes, bytes | None] | None = None
    """The same for a Node.js function: the package.json (empty: none) and package-lock.json
    (None: none) its environments install, when not their code directory's own."""

    @property
    def is_latest(self) -> bool:
        return self.version == LATEST


@dataclass(frozen=True)
class Hold:
    """`$LATEST` kept from following its working tree in part (see `hold`)."""

    requirements: bytes
    """What its environments install (empty: nothing), whatever requirements.txt says."""
    packages: tuple[bytes, bytes | None] | None = None
    """A Node.js function's package.json and package-lock.json, as `Version.packages`."""
    version: Version | None = None
    """`$LATEST` itself, as it was when held; None: it follows the working tree again, but
    for its requirements."""


@dataclass(frozen=True)
class Resolution:
    """What a qualifier resolved to: the version to run and the ARN the caller used."""

    version: Version
    qualifier: str
    invoked_arn: str


def latest(project: Project, name: str, *, now: datetime | None = None) -> Version:
    """`$LATEST` as the working tree is right now (its RevisionId changes with any edit),
    unless it is held (`hold`).

    A project that watches its code reuses the last answer until a file changes, one thread
    at a time per function: a thread that finds the change and one that asks meanwhile must
    not see the change consumed and the old answer still kept."""
    spec = project.function(name)
    changes = project.changes
    if changes is None:
        return _latest(project, name, spec, now)
    lock = project.latest_locks.get(name) or project.latest_locks.setdefault(
        name, threading.Lock()
    )
    with lock:
        held: Hold | None = project.held.get(name)
        if held is not None and held.version is not None:
            return held.version
        cached = project.latest_versions.get(name)
        same_code = spec.upload is not None or not changes.changed(
            (spec.code, *spec.layers), asker=name
        )
        # `is`: nothing reconfigured; `==`: composed again (a reloaded manifest) the same
        if cached is not None and (cached[0] is spec or cached[0] == spec) and same_code:
            project.latest_versions[name] = (spec, cached[1])
            version: Version = cached[1]
        else:
            version = _latest(project, name, spec, now)
            project.latest_versions[name] = (spec, version)
        if held is not None:
            return dataclasses.replace(
                version, requirements=held.requirements, packages=held.packages
            )
        return version


def hold(
    project: Project,
    name: str,
    requirements: bytes,
    *,
    packages: tuple[bytes, bytes | None] | None = None,
    follow: bool = False,
) -> None:
    """Keep `name`'s `$LATEST` running with `requirements` (the content of the
    requirements.txt it was running with; empty: none) until `release`, so that an edit of
    the file does not make an invoke wait for its install: the dev loop installs it in the
    background meanwhile. A Node.js function's are `packages` (its package.json, empty:
    none, and package-lock.json, None: none). Without `follow`, `$LATEST` stays what it was
    last worked out to be (its code too: the environments already warm keep answering); with
    it, `$LATEST` follows the working tree again but for its requirements (their install
    failed). For a project that watches its code (a long-running process's)."""
    lock = project.latest_locks.get(name) or project.latest_locks.setdefault(
        name, threading.Lock()
    )
    with lock:
        cached = project.latest_versions.get(name)
        now = cached[1] if cached is not None and not follow else None
        project.held[name] = Hold(
            requirements=requirements,
            packages=packages,
            version=dataclasses.replace(now, requirements=requirements, packages=packages)
            if now
            else None,
        )


def release(project: Project, name: str) -> None:
    """`name`'s `$LATEST` follows its working tree again, requirements included."""
    project.held.pop(name, None)


def _latest(project: Project, name: str, spec: FunctionSpec, now: datetime | None) -> Version:
    code_sha, code_size = _code(project, spec, store_blob=False)
    layers = _layers(project, spec, store_blobs=False)
    fingerprint = _fingerprint(code_sha, layers, spec.config)
    revision, modified = project.store.observe_latest(name, fingerprint, last_modified(now))
    version = Version(
        function=name,
        version=LATEST,
        config=spec.config,
        code_dir=spec.code,
        code_sha256=code_module.code_sha256(code_sha),
        code_size=code_size,
        layers=layers,
        description=spec.config.description,
        revision_id=revision,
        last_modified=modified,
    )
    return version


def publish(
    project: Project,
    name: str,
    *,
    description: str | None = None,
    code_sha256: str | None = None,
    revision_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Version, bool]:
    """Snapshot `$LATEST` as the next version; (version, created).

    When neither code nor configuration changed since the newest version, that version is
    returned and nothing is created (AWS's rule). `revision_id` and `code_sha256` are AWS's
    preconditions: publish only if `$LATEST`, as it is being published, still has that
    RevisionId and that CodeSha256. Blobs are stored before the record, so a version never
    refers to a snapshot that is not there; the ledger gets the record after (see `remember`).
    """
    check_description(description)
    spec = project.function(name)
    code_sha, code_size = _code(project, spec, store_blob=True)
    layers = _layers(project, spec, store_blobs=True)
    fingerprint = _fingerprint(code_sha, layers, spec.config)
    if revision_id is not None:
        # The RevisionId of exactly what is being published (recorded now if it is new).
        current, _ = project.store.observe_latest(name, fingerprint, last_modified(now))
        if revision_id != current:
            raise PreconditionFailedException(REVISION_ID_MISMATCH)
    if code_sha256 is not None and code_sha256 != code_module.code_sha256(code_sha):
        raise InvalidParameterValueException(
            f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
            f"({code_module.code_sha256(code_sha)}). Please try again with the CodeSHA256 in "
            "$LATEST."
        )
    record = {
        "config": spec.config.to_dict(),
        "code": {"sha256": code_sha, "size": code_size},
        "layers": [
            {"name": x.name, "version": x.version, "sha256": x.sha256_hex, "size": x.size}
            for x in layers
        ],
        "description": spec.config.description if description is None else description,
        "revision_id": ids.uuid4(),
        "last_modified": last_modified(now),
    }
    number, stored, created = project.store.add_version(name, fingerprint, record)
    remember(project, name)
    return _from_record(project, name, number, stored), created


def remember(project: Project, name: str) -> list[int]:
    """Write the ledger's record of every published version of `name` that has none (the
    one just published, and any from before lambdactl kept records); the numbers written.

    The version is published whether or not this works: a failure is a warning."""
    from .store.ledger import Ledger

    ledger = Ledger(project.manifest.state_dir)
    recorded = ledger.numbers(name)
    missing = [(n, r) for n, r in project.store.list_versions(name) if n not in recorded]
    try:
        for number, record in missing:
            ledger.record_version(name, number, record)
    except StoreError as exc:
        log.warning(f"{exc} (lambdactl doctor --repair writes it later)")
        return []
    return [number for number, _ in missing]


def restore(
    project: Project, name: str, recorded: Mapping[int, dict[str, Any] | None]
) -> list[int]:
    """Put back `name`'s versions from the ledger's `recorded` records (None: deleted, its
    number stays used) and the layer versions they name; the numbers restored."""
    restored = []
    for number, record in recorded.items():
        for layer in (record or {}).get("layers", []):
            project.store.restore_layer_version(layer["name"], layer["version"], layer["sha256"])
        fingerprint = "" if record is None else _recorded_fingerprint(record)
        if project.store.restore_version(name, number, fingerprint, record):
            restored.append(number)
    return restored


def get(project: Project, name: str, qualifier: str | None = None) -> Version:
    """A version by number, or `$LATEST` for None/`$LATEST`. Aliases are not versions."""
    project.function(name)
    if qualifier in (None, LATEST):
        return latest(project, name)
    assert qualifier is not None
    if is_number(qualifier):
        record = project.store.get_version(name, int(qualifier))
        if record is not None:
            return _from_record(project, name, int(qualifier), record)
    raise ResourceNotFoundException(f"Function not found: {project.arn(name, qualifier)}")


def list_versions(project: Project, name: str) -> list[Version]:
    """`$LATEST` first, then published versions in ascending order."""
    published = [
        _from_record(project, name, number, record)
        for number, record in project.store.list_versions(name)
    ]
    return [latest(project, name), *published]


def delete(project: Project, name: str, qualifier: str) -> None:
    """Delete one published version; refuses `$LATEST`, aliases and aliased versions."""
    project.function(name)
    if qualifier == LATEST:
        raise InvalidParameterValueException(
            "$LATEST version cannot be deleted without deleting the function."
        )
    if not is_number(qualifier):
        raise InvalidParameterValueException("Deletion of aliases is not currently supported.")
    outcome = project.store.delete_version(name, int(qualifier))
    if not outcome.found:
        raise ResourceNotFoundException(f"Function not found: {project.arn(name, qualifier)}")
    if outcome.blocked_by:
        raise ResourceConflictException(
            "Unable to delete version because the following aliases reference it: "
            f"[{', '.join(outcome.blocked_by)}]"
        )
    from .store.ledger import Ledger

    try:
        Ledger(project.manifest.state_dir).record_deletion(name, int(qualifier))
    except StoreError as exc:
        log.warning(f"{exc} (a rebuilt state would bring version {qualifier} back)")


def resolve(
    project: Project, name: str, qualifier: str | None, *, rng: random.Random | None = None
) -> Resolution:
    """Turn a qualifier (None, `$LATEST`, a number or an alias) into the version to run.

    An alias with routing picks its additional version with the configured probability.
    """
    project.function(name)
    arn = project.arn(name, qualifier)
    if qualifier is None or qualifier == LATEST or is_number(qualifier):
        return Resolution(get(project, name, qualifier), qualifier or LATEST, arn)
    alias = project.store.get_alias(name, qualifier)
    if alias is None:
        raise ResourceNotFoundException(f"Function not found: {arn}")
    target = alias["version"]
    for extra, weight in alias.get("routing", {}).items():
        import random  # only aliases with routing draw

        if (rng or random).random() < weight:
            target = extra
    return Resolution(get(project, name, target), qualifier, arn)


def _from_record(project: Project, name: str, number: int, record: dict[str, Any]) -> Version:
    code = record["code"]
    package_sha = code["sha256"]
    layers = tuple(
        Layer(x["name"], x["version"], x["sha256"], x["size"], project.blobs.tree(x["sha256"]))
        for x in record["layers"]
    )
    return Version(
        function=name,
        version=str(number),
        config=FunctionConfig.from_dict(record["config"]),
        code_dir=project.blobs.tree(package_sha),
        code_sha256=code_module.code_sha256(package_sha),
        code_size=code["size"],
        layers=layers,
        description=record["description"],
        revision_id=record["revision_id"],
        last_modified=record["last_modified"],
    )


def _code(project: Project, spec: FunctionSpec, *, store_blob: bool) -> tuple[str, int]:
    """(zip digest, zip size) of the function's code: the zip it was created with through
    the API (already a snapshot), else its directory packaged now (and stored, to publish)."""
    if spec.upload is not None:
        return spec.upload.sha256_hex, spec.upload.size
    package = code_module.package(spec.code)
    if store_blob:
        project.blobs.put(package)
    return package.sha256_hex, package.size


def _layers(project: Project, spec: FunctionSpec, *, store_blobs: bool) -> tuple[Layer, ...]:
    layers = []
    for directory in spec.layers:
        package = code_module.package(directory)
        if store_blobs:
            project.blobs.put(package)
        number = project.store.layer_version(directory.name, package.sha256_hex)
        layers.append(Layer(directory.name, number, package.sha256_hex, package.size, directory))
    return tuple(layers)


def _fingerprint(code_sha: str, layers: tuple[Layer, ...], config: FunctionConfig) -> str:
    """What 'changed since the last version' compares: code, layers and configuration."""
    body = {"code": code_sha, "layers": [x.sha256_hex for x in layers], "config": config.to_dict()}
    return sha256_hex(json.dumps(body, sort_keys=True).encode())


def _recorded_fingerprint(record: dict[str, Any]) -> str:
    """`_fingerprint` of a published version, from its record."""
    body = {
        "code": record["code"]["sha256"],
        "layers": [x["sha256"] for x in record["layers"]],
        "config": record["config"],
    }
    return sha256_hex(json.dumps(body, sort_keys=True).encode())
