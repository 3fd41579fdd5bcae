"""Functions a test suite creates through the Lambda API, and run-time changes to declared ones.

CreateFunction takes a zip (ZipFile only: lambdactl has no S3 bucket or image registry to read
code from), keeps it as a code snapshot in `.lambda/code/` and records the function in the
store, and in the ledger so that `doctor --repair` can rebuild it. From then on it is a
function like any other: versions, aliases, invoke, async, logs, `list` and `show` find it
through `Project.functions`.

A declared function's code is its directory: UpdateFunctionCode and DeleteFunction refuse it
(ResourceConflictException naming the manifest). Its configuration and concurrency can change
at run time, as a test suite changes them on AWS: each change is an override (see `catalog`),
kept in `.lambda/` until the manifest changes the same key.

Model checks (ValidationException) come first, then AWS's business rules (mostly
InvalidParameterValueException), as AWS orders them.
"""

from __future__ import annotations

import io
import logging
import re
import stat
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import catalog, versions
from .code import Package
from .digests import sha256_hex
from .errors import (
    REVISION_ID_MISMATCH,
    InvalidParameterValueException,
    PreconditionFailedException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    StoreError,
    ValidationException,
    check_request_text,
    enum_constraint,
    validation_message,
)
from .manifest import (
    API,
    APPLICATION_LOG_LEVELS,
    ENV_KEY_MESSAGE,
    ENV_KEY_PATTERN,
    FUNCTION_NAME_PATTERN,
    LOG_FORMATS,
    ROLE_PATTERN,
    SYSTEM_LOG_LEVELS,
    UNRESERVED_MINIMUM,
    UNRESERVED_MINIMUM_MESSAGE,
    FunctionSpec,
    LoggingConfig,
    environment_problem,
    handler_problem,
    runtime_problem,
)
from .project import Project
from .store.ledger import Ledger
from .versions import Version

log = logging.getLogger("lambdactl")

ZIPPED_LIMIT = 52_428_800
"""AWS's limit on a zip uploaded directly (bytes)."""
UNZIPPED_LIMIT = 262_144_000
"""AWS's limit on a function's code unzipped (bytes)."""
ARCHITECTURES = ("x86_64", "arm64")
TRACING_MODES = ("Active", "PassThrough")
KMS_KEY_PATTERN = r"(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()"
UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."
UNQUALIFIED_ONLY = (
    "This operation is permitted on Lambda functions only. Aliases and versions do not support "
    "this operation. Please specify either a function name or an unqualified function ARN."
)
ZIP_ONLY = (
    "lambdactl takes a function's code as Code.ZipFile only (the zip's bytes): it has no S3 "
    "bucket or image registry to read {what} from"
)


@dataclass(frozen=True)
class Configuration:
    """What a CreateFunction or UpdateFunctionConfiguration request gives (None: not given),
    nested values in AWS's request structures."""

    runtime: str | None = None
    handler: str | None = None
    memory: int | None = None
    timeout: int | None = None
    environment: Mapping[str, Any] | None = None
    """AWS's `Environment`: `{"Variables": {...}}`."""
    description: str | None = None
    logging: Mapping[str, Any] | None = None
    """AWS's `LoggingConfig`: `{"LogFormat": "JSON", "ApplicationLogLevel": ...}`."""
    role: str | None = None
    ephemeral_storage: Any = None
    """AWS's `EphemeralStorage`: `{"Size": MB}`."""
    tracing: Any = None
    """AWS's `TracingConfig`: `{"Mode": "Active" | "PassThrough"}`."""
    kms_key_arn: Any = None
    layers: Any = None
    """AWS's `Layers` (ARNs): refused unless it leaves the function's layers as they are."""

    @classmethod
    def from_request(cls, body: Mapping[str, Any]) -> Configuration:
        """The request's configuration; a member lambdactl does not model, given a value
        that would change something, is refused here (never taken and dropped)."""
        refuse_unmodelled(body)
        return cls(
            runtime=body.get("Runtime"),
            handler=body.get("Handler"),
            memory=body.get("MemorySize"),
            timeout=body.get("Timeout"),
            environment=body.get("Environment"),
            description=body.get("Description"),
            logging=body.get("LoggingConfig"),
            role=body.get("Role"),
            ephemeral_storage=body.get("EphemeralStorage"),
            tracing=body.get("TracingConfig"),
            kms_key_arn=body.get("KMSKeyArn"),
            layers=body.get("Layers"),
        )


NOT_MODELLED = {
    "VpcConfig": "VPCs (a local function reaches whatever its machine reaches)",
    "FileSystemConfigs": "EFS file systems",
    "ImageConfig": "container images (it runs .zip functions)",
    "CapacityProviderConfig": "capacity providers",
    "DurableConfig": "durable functions",
    "CodeSigningConfigArn": "code signing",
    "TenancyConfig": "tenant isolation",
    "PublishTo": "capacity providers",
}
"""Request members of CreateFunction / UpdateFunctionConfiguration that lambdactl does not
model: any value that would change something is refused, naming what is not modelled."""


def refuse_unmodelled(body: Mapping[str, Any]) -> None:
    """InvalidParameterValueException for a member lambdactl cannot honour given a value that
    asks for something (an empty one, such as a VpcConfig with no subnets, asks for nothing)."""
    for member, what in NOT_MODELLED.items():
        if _asks(body.get(member)):
            raise InvalidParameterValueException(
                f"lambdactl does not model {what}: leave {member} out, or give it empty"
            )
    snap_start = body.get("SnapStart")
    if isinstance(snap_start, Mapping) and snap_start.get("ApplyOn") not in (None, "None"):
        if snap_start["ApplyOn"] != "PublishedVersions":
            allowed = ("PublishedVersions", "None")
            raise ValidationException(
                validation_message(
                    snap_start["ApplyOn"], "snapStart.applyOn", enum_constraint(allowed)
                )
            )
        raise InvalidParameterValueException(
            "lambdactl does not model SnapStart: leave SnapStart out, or give ApplyOn None"
        )
    if _asks((body.get("DeadLetterConfig") or {}).get("TargetArn")):
        raise InvalidParameterValueException(
            "lambdactl does not take a DeadLetterConfig through the API: declare dead_letter "
            "in the manifest, or use an OnFailure destination (PutFunctionEventInvokeConfig)"
        )


def _asks(value: Any) -> bool:
    """Whether a request member's value asks for anything: a value other than null, false,
    an empty string, list or object, or an object of such values."""
    if isinstance(value, Mapping):
        return any(_asks(v) for v in value.values())
    return bool(value)


# -- CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction ------------


def create(
    project: Project,
    function: str,
    configuration: Configuration,
    *,
    code: Mapping[str, Any] | None,
    publish: bool = False,
    architectures: list[str] | None = None,
    package_type: str | None = None,
    tags: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Version:
    """CreateFunction: the new function's `$LATEST`, or version 1 with `publish`.

    `code` is AWS's `Code` structure with `ZipFile` as bytes (decoded from base64); `tags`
    are kept for GetFunction (they change nothing a local function does)."""
    name = _new_name(project, function)
    if configuration.role is None:
        raise ValidationException(
            "1 validation error detected: Value null at 'role' failed to satisfy constraint: "
            "Member must not be null"
        )
    given = _checked(project, configuration, architectures=architectures)
    _check_layers(configuration.layers, ())
    if package_type not in (None, "Zip"):
        raise InvalidParameterValueException(ZIP_ONLY.format(what="an image"))
    if tags is not None and not all(isinstance(v, str) for v in tags.values()):
        raise InvalidParameterValueException("Tags must map keys to strings")
    zip_file = _zip_file(code)
    if "runtime" not in given or "handler" not in given:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages."
        )
    if name in project.functions:  # the manifest's too: a name names one function
        raise ResourceConflictException(f"Function already exist: {name}")
    package = unpack(zip_file)
    project.blobs.put(package)
    record = {
        "config": {**given, "architectures": architectures or []},
        "code": {"sha256": package.sha256_hex, "size": package.size},
        "created": time.time(),
        **({"tags": dict(tags)} if tags else {}),
    }
    if not project.store.create_function(name, record):
        raise ResourceConflictException(f"Function already exist: {name}")
    _remember(project, name, record)
    latest = versions.latest(project, name, now=now)
    if publish:
        return versions.publish(project, name, now=now)[0]
    return latest


def update_code(
    project: Project,
    function: str,
    *,
    code: Mapping[str, Any],
    publish: bool = False,
    revision_id: str | None = None,
    architectures: list[str] | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Version:
    """UpdateFunctionCode of a function created through the API: `$LATEST` (or the version
    published with `publish`). A declared function's code is its directory: refused.
    `dry_run`: every check, nothing changed (`$LATEST` as it is)."""
    name = _unqualified(project, function)
    if architectures is not None:
        _check_architectures(architectures)
    spec = project.function(name)
    if spec.source != API:
        raise ResourceConflictException(
            f"The code of {name} is the directory {spec.code}, as {project.manifest.path} "
            "declares it: lambdactl does not replace a manifest function's code through the "
            "API (edit that directory, or create a function through the API)"
        )
    _check_revision(project, name, revision_id)
    package = unpack(_zip_file(code))
    if dry_run:
        return versions.latest(project, name, now=now)
    project.blobs.put(package)
    record = _record(project, name)
    record["code"] = {"sha256": package.sha256_hex, "size": package.size}
    if architectures is not None:
        record["config"]["architectures"] = architectures
    _replace(project, name, record)
    latest = versions.latest(project, name, now=now)
    return versions.publish(project, name, now=now)[0] if publish else latest


def update_configuration(
    project: Project,
    function: str,
    configuration: Configuration,
    *,
    revision_id: str | None = None,
    now: datetime | None = None,
) -> Version:
    """UpdateFunctionConfiguration: `$LATEST` after the change. A declared function's keys
    become overrides (a value the manifest has removes its override)."""
    name = _unqualified(project, function)
    given = _checked(project, configuration)
    spec = project.function(name)
    _check_layers(configuration.layers, spec.layers)
    _check_revision(project, name, revision_id)
    if spec.source == API:
        record = _record(project, name)
        record["config"].update(given)
        _replace(project, name, record)
    else:
        declared = project.manifest.functions[name]
        for key, value in given.items():
            _override(project, declared, key, value)
    return versions.latest(project, name, now=now)


def delete(project: Project, function: str, qualifier: str | None = None) -> None:
    """DeleteFunction: with a qualifier, one published version (as `versions.delete`);
    without, a function created through the API with its versions, aliases and settings.
    A declared function cannot be deleted: it is the manifest's."""
    ref = project.ref(function, qualifier)
    spec = project.function(ref.name)
    if ref.qualifier is not None:
        versions.delete(project, ref.name, ref.qualifier)
        return
    if spec.source != API:
        raise ResourceConflictException(
            f"{ref.name} is declared in {project.manifest.path}: lambdactl does not delete a "
            "manifest function through the API (remove it from the manifest)"
        )
    if not project.store.delete_function(ref.name):
        raise ResourceNotFoundException(f"Function not found: {project.arn(ref.name)}")
    try:
        Ledger(project.manifest.state_dir).forget_function(ref.name)
    except StoreError as exc:
        log.warning(f"{exc} (a rebuilt state would bring {ref.name} back)")


def tags(project: Project, name: str) -> dict[str, str]:
    """The tags CreateFunction gave a function (none for a declared one)."""
    records = project.store.function_records()
    record = records.created.get(name) if records is not None else None
    if record is None or project.function(name).source != API:
        return {}
    return dict(record.get("tags") or {})


def code_zip(project: Project, version: Version) -> Path:
    """The zip of `version`'s code in `.lambda/code/` (GetFunction's `Code.Location`); a
    declared function's `$LATEST` is packaged and kept there first."""
    digest = _digest(version)
    if not project.blobs.has(digest):
        from . import code as code_module

        project.blobs.put(code_module.package(version.code_dir))
    return project.blobs.zip_path(digest)


# -- concurrency --------------------------------------------------------------------------------


def put_concurrency(project: Project, function: str, reserved: int) -> int:
    """PutFunctionConcurrency: `reserved` for the whole function; at least 100 of the
    account's concurrency stays unreserved."""
    name = _unqualified(project, function, concurrency=True)
    _check_range(reserved, "reservedConcurrentExecutions", 0, None)
    spec = project.function(name)
    others = sum(
        f.reserved_concurrency or 0 for n, f in project.functions.items() if n != name
    )
    account = project.manifest.account_concurrency
    if account - others - reserved < UNRESERVED_MINIMUM:
        raise InvalidParameterValueException(UNRESERVED_MINIMUM_MESSAGE)
    _setting(project, spec, catalog.RESERVED_CONCURRENCY, reserved)
    return reserved


def get_concurrency(project: Project, function: str) -> int | None:
    """GetFunctionConcurrency: the reserved concurrency, None when none is."""
    name = _unqualified(project, function, concurrency=True)
    return project.function(name).reserved_concurrency


def delete_concurrency(project: Project, function: str) -> None:
    """DeleteFunctionConcurrency: the function draws from the unreserved pool again."""
    name = _unqualified(project, function, concurrency=True)
    _setting(project, project.function(name), catalog.RESERVED_CONCURRENCY, None)


# -- GetAccountSettings -------------------------------------------------------------------------


def usage(project: Project) -> tuple[int, int]:
    """(how many functions, the code size of all their versions, `$LATEST` included)."""
    total = 0
    for name in project.functions:
        total += versions.latest(project, name).code_size
        total += sum(r["code"]["size"] for _n, r in project.store.list_versions(name))
    return len(project.functions), total


# -- the zip ------------------------------------------------------------------------------------


def unpack(zip_bytes: bytes) -> Package:
    """Check an uploaded zip as AWS does (it unzips, within 250 MB), and that no entry would
    land outside the code directory: absolute paths, `..` and links are refused (AWS's
    generic message would not say which entry, so this says so, with AWS's exception type)."""
    if len(zip_bytes) > ZIPPED_LIMIT:
        raise RequestEntityTooLargeException(
            f"Zipped size must be smaller than {ZIPPED_LIMIT} bytes"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
            entries = zf.infolist()
            # What the zip declares first: nothing is decompressed beyond the limit.
            if sum(info.file_size for info in entries) > UNZIPPED_LIMIT:
                raise InvalidParameterValueException(
                    f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes"
                )
            for info in entries:
                _check_entry(info)
            damaged = zf.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise InvalidParameterValueException(UNZIP_FAILED) from None
    except (NotImplementedError, RuntimeError):  # compression method or encryption
        raise InvalidParameterValueException(UNZIP_FAILED) from None
    if damaged is not None:
        raise InvalidParameterValueException(UNZIP_FAILED)
    files = {info.filename for info in entries if not info.is_dir()}
    for info in entries:  # a file standing where another entry needs a directory
        parents = Path(info.filename).parents
        clash = next((str(p) for p in parents if str(p) in files), None)
        if clash is not None:
            raise InvalidParameterValueException(
                f"{UNZIP_FAILED} ('{clash}' is both a file and a directory in it)"
            )
    return Package(zip_bytes, sha256_hex(zip_bytes), len(files))


def _check_entry(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    mode = info.external_attr >> 16
    problem = None
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        problem = "an absolute path"
    elif ".." in parts:
        problem = "a '..' path"
    elif info.create_system == 3 and stat.S_ISLNK(mode):
        problem = "a symbolic link"
    elif "\x00" in name:
        problem = "a NUL byte in its name"
    if problem is not None:
        raise InvalidParameterValueException(
            f"{UNZIP_FAILED} (entry '{name}' is {problem}: it would be written outside the "
            "function's code directory)"
        )


def _zip_file(code: Mapping[str, Any] | None) -> bytes:
    code = code or {}
    if code.get("ImageUri"):
        raise InvalidParameterValueException(ZIP_ONLY.format(what="an image"))
    if any(code.get(key) for key in ("S3Bucket", "S3Key", "S3ObjectVersion")):
        raise InvalidParameterValueException(ZIP_ONLY.format(what="an S3 object"))
    zip_file = code.get("ZipFile")
    if not isinstance(zip_file, (bytes, bytearray)) or not zip_file:
        raise InvalidParameterValueException(
            "Please provide a source for function code: Code.ZipFile (lambdactl takes no S3 "
            "object or image)"
        )
    return bytes(zip_file)


# -- checks -------------------------------------------------------------------------------------


def _new_name(project: Project, function: str) -> str:
    """CreateFunction's name: a name or an unqualified ARN of this region and account."""
    if len(function) > 64 and re.fullmatch(FUNCTION_NAME_PATTERN, function):
        constraint = "Member must have length less than or equal to 64"
        raise ValidationException(validation_message(function, "functionName", constraint))
    ref = project.ref(function)
    if ref.qualifier is not None:
        constraint = (
            "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
            r"([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
        )
        raise ValidationException(validation_message(function, "functionName", constraint))
    return ref.name


def _unqualified(project: Project, function: str, *, concurrency: bool = False) -> str:
    ref = project.ref(function)
    if ref.qualifier is not None:
        if concurrency:
            raise InvalidParameterValueException(UNQUALIFIED_ONLY)
        raise InvalidParameterValueException(
            "Function names may not be qualified for this operation: "
            f"{function} (use the function's name or unqualified ARN)"
        )
    return ref.name


def _checked(
    project: Project, configuration: Configuration, *, architectures: list[str] | None = None
) -> dict[str, Any]:
    """The given fields as `FunctionConfig.to_dict()` values, checked model first."""
    c = configuration
    check_request_text(c.handler, c.description, c.role, c.runtime)
    given: dict[str, Any] = {}
    if c.role is not None:
        if not re.fullmatch(ROLE_PATTERN, str(c.role)):
            constraint = f"Member must satisfy regular expression pattern: {ROLE_PATTERN}"
            raise ValidationException(validation_message(c.role, "role", constraint))
        given["role"] = c.role
    if c.handler is not None:
        problem = handler_problem(str(c.handler))
        if problem is not None:
            raise ValidationException(problem)
        given["handler"] = c.handler
    if c.memory is not None:
        given["memory"] = _check_range(c.memory, "memorySize", 128, 10240)
    if c.timeout is not None:
        given["timeout"] = _check_range(c.timeout, "timeout", 1, 900)
    if c.description is not None:
        if len(c.description) > 256:
            constraint = "Member must have length less than or equal to 256"
            raise ValidationException(validation_message(c.description, "description", constraint))
        given["description"] = c.description
    if c.logging is not None:
        given["logging"] = _logging(c.logging).to_dict()
    if architectures is not None:
        _check_architectures(architectures)
    if c.environment is not None:
        given["environment"] = _environment(c.environment)
    if c.ephemeral_storage is not None:
        size = c.ephemeral_storage.get("Size")
        if size is None:
            raise ValidationException(
                "1 validation error detected: Value null at 'ephemeralStorage.size' failed to "
                "satisfy constraint: Member must not be null"
            )
        given["ephemeral_storage"] = _check_range(size, "ephemeralStorage.size", 512, 10240)
    if c.tracing is not None and c.tracing.get("Mode") is not None:
        mode = c.tracing["Mode"]
        if mode not in TRACING_MODES:
            raise ValidationException(
                validation_message(mode, "tracingConfig.mode", enum_constraint(TRACING_MODES))
            )
        given["tracing"] = mode
    if c.kms_key_arn is not None:
        if not re.fullmatch(KMS_KEY_PATTERN, c.kms_key_arn):
            constraint = f"Member must satisfy regular expression pattern: {KMS_KEY_PATTERN}"
            raise ValidationException(validation_message(c.kms_key_arn, "kMSKeyArn", constraint))
        given["kms_key_arn"] = c.kms_key_arn
    if c.runtime is not None:
        problem = runtime_problem(str(c.runtime))
        if problem is not None:
            raise InvalidParameterValueException(problem)
        given["runtime"] = c.runtime
    return given


def _check_layers(layers: Any, current: tuple[Path, ...]) -> None:
    """Layers are the manifest's: a request may only leave them as they are (none given, or
    none asked of a function that has none)."""
    if layers is None or (not layers and not current):
        return
    raise InvalidParameterValueException(
        "lambdactl does not take Layers through the API: declare a function with layers "
        "in the manifest"
    )


def _check_range(value: object, field: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationException(
            validation_message(value, field, "Member must be a whole number")
        )
    if value < low:
        constraint = f"Member must have value greater than or equal to {low}"
        raise ValidationException(validation_message(value, field, constraint))
    if high is not None and value > high:
        constraint = f"Member must have value less than or equal to {high}"
        raise ValidationException(validation_message(value, field, constraint))
    return value


def _check_architectures(architectures: list[str]) -> None:
    if len(architectures) != 1:
        constraint = "Member must have length less than or equal to 1"
        if not architectures:
            constraint = "Member must have length greater than or equal to 1"
        raise ValidationException(validation_message(architectures, "architectures", constraint))
    if architectures[0] not in ARCHITECTURES:
        constraint = f"Member must satisfy constraint: [{enum_constraint(ARCHITECTURES)}]"
        raise ValidationException(validation_message(architectures, "architectures", constraint))


def _environment(environment: Mapping[str, Any]) -> dict[str, str]:
    variables = environment.get("Variables") or {}
    if not isinstance(variables, Mapping) or not all(
        isinstance(v, str) for v in variables.values()
    ):
        raise InvalidParameterValueException("Environment.Variables must map names to strings")
    for key in variables:
        if not re.fullmatch(ENV_KEY_PATTERN, str(key)):
            raise ValidationException(ENV_KEY_MESSAGE)
    problem = environment_problem(variables)
    if problem is not None:
        raise InvalidParameterValueException(problem)
    return dict(variables)


def _logging(given: Mapping[str, Any]) -> LoggingConfig:
    """AWS's LoggingConfig request structure -> `LoggingConfig`."""
    values = {}
    for key, aws_field, allowed, ours in (
        ("LogFormat", "logFormat", LOG_FORMATS, "format"),
        ("ApplicationLogLevel", "applicationLogLevel", APPLICATION_LOG_LEVELS, "application_level"),
        ("SystemLogLevel", "systemLogLevel", SYSTEM_LOG_LEVELS, "system_level"),
    ):
        if given.get(key) is not None:
            if given[key] not in allowed:
                raise ValidationException(
                    validation_message(
                        given[key], f"loggingConfig.{aws_field}", enum_constraint(allowed)
                    )
                )
            values[ours] = given[key]
    config = LoggingConfig(**values)
    if not config.json and ("application_level" in values or "system_level" in values):
        raise InvalidParameterValueException(
            "Application log level and system log level can only be set when the log format "
            "is JSON"
        )
    return config


def _check_revision(project: Project, name: str, revision_id: str | None) -> None:
    if revision_id is not None and revision_id != versions.latest(project, name).revision_id:
        raise PreconditionFailedException(REVISION_ID_MISMATCH)


# -- records and settings -----------------------------------------------------------------------


def _record(project: Project, name: str) -> dict[str, Any]:
    """The created function's stored record (a copy to change)."""
    records = project.store.function_records()
    assert records is not None
    record = records.created.get(name)
    if record is None:
        raise ResourceNotFoundException(f"Function not found: {project.arn(name)}")
    return record


def _replace(project: Project, name: str, record: dict[str, Any]) -> None:
    if not project.store.replace_function(name, record):  # deleted meanwhile
        raise ResourceNotFoundException(f"Function not found: {project.arn(name)}")
    _remember(project, name, record)


def _remember(project: Project, name: str, record: dict[str, Any]) -> None:
    try:
        Ledger(project.manifest.state_dir).record_function(name, record)
    except StoreError as exc:
        log.warning(f"{exc} (lambdactl doctor --repair writes it later)")


def _override(project: Project, declared: FunctionSpec, key: str, value: Any) -> None:
    """Set a declared function's `key` at run time; back to the manifest's when equal."""
    base = catalog.base(declared, key)
    if catalog.same(value, base):
        project.store.delete_settings(declared.name, [key])
    else:
        project.store.put_setting(declared.name, key, {"value": value, "base": base})


def _setting(project: Project, spec: FunctionSpec, key: str, value: Any) -> None:
    """Set `key` of any function: an override of a declared one, a created one's own."""
    if spec.source == API:
        if value is None:
            project.store.delete_settings(spec.name, [key])
        else:
            project.store.put_setting(spec.name, key, {"value": value})
        return
    _override(project, project.manifest.functions[spec.name], key, value)


def _digest(version: Version) -> str:
    import base64

    return base64.b64decode(version.code_sha256).hex()
