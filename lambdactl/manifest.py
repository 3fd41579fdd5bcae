"""`functions.yaml` -> a typed, validated `Manifest`.

Validation walks the YAML node tree (not the constructed objects) so that every error can name
the file, the line and the dotted key it is about. Messages use AWS's wording where AWS has one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import cache
from .errors import ManifestError, enum_constraint, validation_message
from .layout import MANIFEST_NAMES as MANIFEST_NAMES  # where the manifest is: layout.py
from .layout import STATE_DIR_NAME as STATE_DIR_NAME
from .layout import find as find
from .sources import specs

CACHE_NAME = "manifest.json"
"""The last valid manifest, read back without YAML while nothing it was read from changed."""

RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "provided",
    "provided.al2",
    "provided.al2023",
)
"""Runtimes lambdactl can run: the managed Python runtimes and the OS-only ones."""

DEPRECATED_RUNTIMES = ("python2.7", "python3.6", "python3.7", "python3.8")
"""Runtimes AWS no longer accepts for creating or updating functions."""

RESERVED_ENVIRONMENT_KEYS = (
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
)
"""Keys the runtime sets itself; AWS rejects them in a function's configuration."""

ENVIRONMENT_LIMIT_BYTES = 4096
"""AWS's limit on the JSON of all environment variables together."""

MAX_LAYERS = 5
ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100
UNRESERVED_MINIMUM_MESSAGE = (
    "Specified ReservedConcurrentExecutions for function decreases account's "
    f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MINIMUM}]."
)
IDLE_TIMEOUT = 300.0
"""Default seconds before an idle environment is shut down (AWS keeps them minutes)."""

QUEUE_ATTRIBUTES: dict[str, tuple[str, int | bool, int, int]] = {
    # manifest key: (SQS attribute, default, minimum, maximum)
    "visibility_timeout": ("VisibilityTimeout", 30, 0, 43200),
    "delay": ("DelaySeconds", 0, 0, 900),
    "retention": ("MessageRetentionPeriod", 345600, 60, 1209600),
    "max_message_size": ("MaximumMessageSize", 1048576, 1024, 1048576),
    "receive_wait": ("ReceiveMessageWaitTimeSeconds", 0, 0, 20),
    "fifo": ("FifoQueue", False, 0, 1),
    "content_based_deduplication": ("ContentBasedDeduplication", False, 0, 1),
}
"""Queue attributes (`queues:` in the manifest), with SQS's names, defaults and ranges."""
QUEUE_REDRIVE_KEYS = ("dead_letter", "max_receive_count")
"""A queue's RedrivePolicy in the manifest: its dead-letter queue's name and maxReceiveCount
(both or neither in a queue's attributes)."""
MAX_RECEIVE_COUNT_RANGE = (1, 1000)
"""SQS's range for a RedrivePolicy's maxReceiveCount."""
DEFAULT_MAX_RECEIVE_COUNT = 10
"""maxReceiveCount when the manifest names only `dead_letter`: SQS's documented default
(SetQueueAttributes, RedrivePolicy: "Default: 10"), which its console also proposes. SQS's API
itself requires the field (CreateQueue and SetQueueAttributes take no policy without it)."""
DEAD_LETTER_TYPE_RULE = "Dead-letter queue must be same type of queue as the source."
"""SQS's reason for a FIFO queue's standard dead-letter queue (and the reverse)."""

QUEUE_NAME_RULE = (
    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
)
FIFO_QUEUE_NAME_RULE = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
    "underscores, must end with .fifo suffix and be 1 to 80 in length."
)


def queue_name_problem(name: str, *, fifo: bool) -> str | None:
    """SQS's message for an invalid queue name (FIFO names end with .fifo), else None."""
    stem = name[: -len(".fifo")] if fifo and name.endswith(".fifo") else name
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", stem) or len(name) > 80:
        return FIFO_QUEUE_NAME_RULE if fifo else QUEUE_NAME_RULE
    if fifo and not name.endswith(".fifo"):
        return FIFO_QUEUE_NAME_RULE
    return None


FUNCTION_NAME_PATTERN = "[a-zA-Z0-9-_]+"
ENV_KEY_PATTERN = "[a-zA-Z]([a-zA-Z0-9_])+"
REGION_PATTERN = r"[a-z]{2}(-gov)?-[a-z]+-\d{1}"


APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
LOG_FORMATS = ("Text", "JSON")


@dataclass(frozen=True)
class LoggingConfig:
    """AWS's LoggingConfig: the log format and, in JSON format only, the levels kept."""

    format: str = "Text"
    application_level: str = "INFO"
    system_level: str = "INFO"

    @property
    def json(self) -> bool:
        return self.format == "JSON"

    def to_dict(self) -> dict[str, str]:
        if not self.json:
            return {"format": self.format}
        return {
            "format": self.format,
            "application_level": self.application_level,
            "system_level": self.system_level,
        }


@dataclass(frozen=True)
class LogRetention:
    """How much of one log group the store keeps (enforced in the background)."""

    days: float = 30.0
    max_size_mb: float = 100.0


@dataclass(frozen=True)
class FunctionConfig:
    """The part of a function that a published version freezes."""

    runtime: str
    handler: str
    memory: int = 128
    timeout: int = 3
    environment: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    role: str = ""
    """The execution role a function created through the API was given ("": the local one)."""
    architectures: tuple[str, ...] = ()
    """As a function created through the API asked (empty: the machine's own)."""
    ephemeral_storage: int = 512
    """AWS's EphemeralStorage (MB), as set through the API: recorded and shown, not
    enforced (a local function's /tmp is the machine's)."""
    tracing: str = "PassThrough"
    """AWS's TracingConfig mode, as set through the API: recorded and shown (no X-Ray here)."""
    kms_key_arn: str = ""
    """AWS's KMSKeyArn, as set through the API: recorded and shown (nothing is encrypted)."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "runtime": self.runtime,
            "handler": self.handler,
            "memory": self.memory,
            "timeout": self.timeout,
            "environment": dict(self.environment),
            "description": self.description,
        }
        # Left out when default: older versions keep their hash.
        if self.logging != LoggingConfig():
            data["logging"] = self.logging.to_dict()
        if self.role:
            data["role"] = self.role
        if self.architectures:
            data["architectures"] = list(self.architectures)
        for key in ("ephemeral_storage", "tracing", "kms_key_arn"):
            if getattr(self, key) != FunctionConfig.__dataclass_fields__[key].default:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FunctionConfig:
        """Rebuild from `to_dict` output; keys added in later releases fall back to defaults."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        if "logging" in known:
            known["logging"] = LoggingConfig(**known["logging"])
        if "architectures" in known:
            known["architectures"] = tuple(known["architectures"])
        return cls(**known)


@dataclass(frozen=True)
class Destination:
    """Where an invocation record or a dead letter goes: a function or a local queue."""

    kind: str
    """`function` or `queue`."""
    name: str


@dataclass(frozen=True)
class AsyncConfig:
    """Asynchronous invocation settings (AWS's EventInvokeConfig, plus local retry delays)."""

    maximum_retry_attempts: int = 2
    maximum_event_age: int = 21600
    retry_delays: tuple[float, float] = (60.0, 120.0)
    """Seconds before the 1st and the 2nd retry: AWS's 1 and 2 minutes unless shortened."""
    on_success: Destination | None = None
    on_failure: Destination | None = None


URL_AUTH_TYPES = ("NONE", "AWS_IAM")
URL_INVOKE_MODES = ("RESPONSE_STREAM", "BUFFERED")
"""AWS's InvokeMode values, in the order its validation message lists them."""
CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*")
"""What a function URL's CORS `AllowMethods` may hold."""
URL_QUALIFIER_PATTERN = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
"""A function URL's qualifier: an alias name (never a version number nor `$LATEST`)."""
CORS_LISTS = (
    ("allow_origins", "allowOrigins", 100, 1, 253),
    ("allow_methods", "allowMethods", 6, 0, 6),
    ("allow_headers", "allowHeaders", 100, 0, 1024),
    ("expose_headers", "exposeHeaders", 100, 0, 1024),
)
"""A URL's CORS lists: (key, AWS's field, most items, shortest item, longest item)."""
CORS_MAX_AGE = (0, 86400)
"""The range of a URL's CORS `MaxAge` (seconds)."""


# -- a function URL's rules, shared by the manifest's `url:` and the Lambda API ------------------


def choice_problem(value: str, aws_field: str, allowed: tuple[str, ...]) -> str | None:
    """AWS's message for a value outside an enum (AuthType, InvokeMode), else None."""
    if value in allowed:
        return None
    return validation_message(value, aws_field, enum_constraint(allowed))


def range_problem(value: int, aws_field: str, low: int, high: int) -> str | None:
    """AWS's message for a whole number out of its range, else None."""
    if value < low:
        constraint = f"Member must have value greater than or equal to {low}"
        return validation_message(value, aws_field, constraint)
    if value > high:
        constraint = f"Member must have value less than or equal to {high}"
        return validation_message(value, aws_field, constraint)
    return None


def url_qualifier_problem(value: str) -> str | None:
    """AWS's message for a URL qualifier that is not an alias name (too long, a version
    number, `$LATEST`), else None."""
    if len(value) > 128:
        constraint = "Member must have length less than or equal to 128"
        return validation_message(value, "qualifier", constraint)
    if not re.search(URL_QUALIFIER_PATTERN, value):
        constraint = f"Member must satisfy regular expression pattern: {URL_QUALIFIER_PATTERN}"
        return validation_message(value, "qualifier", constraint)
    return None


def cors_problem(key: str, items: tuple[str, ...]) -> tuple[int | None, str] | None:
    """A CORS list (`key` of `CORS_LISTS`) against AWS's limits and, for methods, the ones a
    URL takes: (the item at fault, None for the list; AWS's message), or None."""
    _key, aws_field, most, shortest, longest = next(row for row in CORS_LISTS if row[0] == key)
    field_name = f"cors.{aws_field}"
    if len(items) > most:
        constraint = f"Member must have length less than or equal to {most}"
        return None, validation_message("[" + ", ".join(items) + "]", field_name, constraint)
    for i, item in enumerate(items):
        if len(item) < shortest:
            constraint = f"Member must have length greater than or equal to {shortest}"
            return i, validation_message(item, field_name, constraint)
        if len(item) > longest:
            constraint = f"Member must have length less than or equal to {longest}"
            return i, validation_message(item, field_name, constraint)
    if key == "allow_methods":
        for i, method in enumerate(items):
            problem = choice_problem(method, field_name, CORS_METHODS)
            if problem is not None:
                return i, problem
    return None


@dataclass(frozen=True)
class Cors:
    """A function URL's CORS settings (AWS's `Cors`); empty tuples are unset lists."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int | None = None


@dataclass(frozen=True)
class UrlConfig:
    """A function URL (AWS's FunctionUrlConfig, less what the server decides: its address)."""

    auth: str = "NONE"
    """`NONE` or `AWS_IAM`."""
    cors: Cors | None = None
    invoke_mode: str = "BUFFERED"
    qualifier: str | None = None
    """The alias the URL invokes; None for the unqualified function (`$LATEST`)."""


@dataclass(frozen=True)
class UrlRecord:
    """A function URL created or changed through the Lambda API: its settings, and when it
    was created and last changed (AWS's CreationTime and LastModifiedTime)."""

    config: UrlConfig
    created: str
    modified: str


@dataclass(frozen=True)
class EventInvokeConfig:
    """An EventInvokeConfig set through the API for one qualifier: what it gives (None: not
    given, AWS's default applies) and when it was set (epoch seconds)."""

    last_modified: float
    maximum_retry_attempts: int | None = None
    maximum_event_age: int | None = None
    on_success: Destination | None = None
    on_failure: Destination | None = None


@dataclass(frozen=True)
class Upload:
    """The zip a function created through the API was given: its code is that zip's snapshot
    in `.lambda/code/`, never packaged again (so its CodeSha256 is the zip's, as on AWS)."""

    sha256_hex: str
    size: int


MANIFEST = "manifest"
API = "api"
"""Where a function comes from (`FunctionSpec.source`)."""


@dataclass(frozen=True)
class FunctionSpec:
    """One function, with paths made absolute: as the manifest declares it, or as it was
    created through the Lambda API, with whatever was changed at run time applied."""

    name: str
    code: Path
    config: FunctionConfig
    layers: tuple[Path, ...] = ()
    reserved_concurrency: int | None = None
    asynchronous: AsyncConfig = field(default_factory=AsyncConfig)
    """For every qualifier without an `event_invoke` entry."""
    dead_letter: Destination | None = None
    log_retention: LogRetention = field(default_factory=LogRetention)
    url: UrlConfig | None = None
    """The function URL the manifest declares (`url:`), if any."""
    source: str = MANIFEST
    """`manifest`, or `api` (created through the Lambda API; kept in `.lambda/`)."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """A manifest function's keys changed at run time, each with the manifest's value it
    replaces (as JSON: `memory` -> 128)."""
    upload: Upload | None = None
    """A function created through the API: the zip its code is."""
    event_invoke: Mapping[str, EventInvokeConfig | None] = field(default_factory=dict)
    """EventInvokeConfigs set through the API, by qualifier (`$LATEST`, a version, an alias);
    None: the manifest's was deleted."""
    url_changes: Mapping[str, UrlRecord | None] = field(default_factory=dict)
    """Function URLs created or changed through the API, by qualifier (`$LATEST`: the
    unqualified URL); None: the manifest's `url:` deleted at run time."""
    events: tuple[specs.Source, ...] = ()
    """The event sources the manifest declares (`events:`), and its API Gateway routes
    (`http`: `specs.mapped` and `specs.routes` tell them apart): not part of the
    configuration a version freezes or a RevisionId is made of, as on AWS."""

    def async_config(self, qualifier: str | None) -> AsyncConfig:
        """What an asynchronous invocation of `qualifier` (None: `$LATEST`) follows: its own
        EventInvokeConfig, else the function's (`asynchronous`); the local retry delays stay
        the manifest's."""
        key = qualifier or "$LATEST"
        if key not in self.event_invoke:
            return self.asynchronous
        given = self.event_invoke[key]
        delays = self.asynchronous.retry_delays
        if given is None:
            return AsyncConfig(retry_delays=delays)
        default = AsyncConfig()
        return AsyncConfig(
            maximum_retry_attempts=_given(
                given.maximum_retry_attempts, default.maximum_retry_attempts
            ),
            maximum_event_age=_given(given.maximum_event_age, default.maximum_event_age),
            retry_delays=delays,
            on_success=given.on_success,
            on_failure=given.on_failure,
        )


def _given(value: int | None, default: int) -> int:
    return default if value is None else value


@dataclass(frozen=True)
class Manifest:
    path: Path
    region: str = "us-east-1"
    account: str = "000000000000"
    functions: Mapping[str, FunctionSpec] = field(default_factory=dict)
    account_concurrency: int = ACCOUNT_CONCURRENCY
    """The account's concurrency limit: all functions' invocations in flight together."""
    idle_timeout: float = IDLE_TIMEOUT
    """Seconds an environment may sit idle before it is shut down."""
    cpu_throttling: bool = True
    """CPU share proportional to memory, as on AWS."""
    queues: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Declared local queues: name -> the attributes given (manifest keys)."""
    log_retention: LogRetention = field(default_factory=LogRetention)
    """What the log store keeps of a group no function here declares otherwise."""
    streams: Mapping[str, specs.StreamConfig] = field(default_factory=dict)
    """Declared local streams (`streams:`)."""
    state: Path | None = None
    """Where the state lives instead of `.lambda/` beside the manifest: never read from the
    file; set by the pytest plugin, whose tests must not touch the project's own state."""

    def retention(self, function: str) -> LogRetention:
        spec = self.functions.get(function)
        return spec.log_retention if spec else self.log_retention

    @property
    def unreserved_concurrency(self) -> int:
        """What functions without `reserved_concurrency` share (as declared: `Project`
        counts run-time changes too)."""
        return unreserved(self.account_concurrency, self.functions)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def state_dir(self) -> Path:
        return self.state if self.state is not None else self.root / STATE_DIR_NAME


ENV_KEY_MESSAGE = (
    "1 validation error detected: Value at 'environment.variables' failed to satisfy "
    "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression "
    f"pattern: {ENV_KEY_PATTERN}]"
)


RESERVED_KEYS_MESSAGE = (
    "Lambda was unable to configure your environment variables because the "
    "environment variables you have provided contains reserved keys that are "
    "currently not supported for modification. Reserved keys used in this request: "
)
"""AWS's refusal of `RESERVED_ENVIRONMENT_KEYS`, before the keys it names (comma-separated)."""


def runtime_problem(value: str) -> str | None:
    """AWS's message for a runtime it does not take for a new function (or lambdactl cannot
    run), else None."""
    if value in DEPRECATED_RUNTIMES:
        return (
            f"The runtime parameter of {value} is no longer supported for creating or "
            "updating AWS Lambda functions. We recommend you use a supported runtime while "
            "creating or updating functions."
        )
    if value not in RUNTIMES:
        return (
            f"Value {value} at 'runtime' failed to satisfy constraint: "
            f"{enum_constraint(RUNTIMES)} or be a valid ARN"
        )
    return None


def handler_problem(value: str) -> str | None:
    """AWS's model check of a handler (length, no white space), else None."""
    if len(value) > 128:
        constraint = "Member must have length less than or equal to 128"
        return validation_message(value, "handler", constraint)
    if not re.fullmatch(r"[^\s]+", value):
        constraint = r"Member must satisfy regular expression pattern: [^\s]+"
        return validation_message(value, "handler", constraint)
    return None


def environment_problem(variables: Mapping[str, str]) -> str | None:
    """AWS's message for environment variables it refuses as a whole (reserved keys, over
    4 KB), else None. Each key is checked against `ENV_KEY_PATTERN` before."""
    reserved = [name for name in variables if name in RESERVED_ENVIRONMENT_KEYS]
    if reserved:
        return RESERVED_KEYS_MESSAGE + ", ".join(reserved)
    measured = json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > ENVIRONMENT_LIMIT_BYTES:
        return (
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}"
        )
    return None


def unreserved(account_concurrency: int, functions: Mapping[str, FunctionSpec]) -> int:
    """What the functions without reserved concurrency share of the account's."""
    return account_concurrency - sum(f.reserved_concurrency or 0 for f in functions.values())


def load(path: Path, *, remember: bool = True, text: str | None = None) -> Manifest:
    """Read and validate a manifest file (or `text`, as read from it). Raises
    `ManifestError` on the first problem.

    A valid manifest is remembered in `.lambda/` (when it exists) and read back from there
    while nothing it depends on changed; `remember=False` writes nothing."""
    path = path.resolve()
    if text is None:
        text = read(path)
    record = path.parent / STATE_DIR_NAME / CACHE_NAME
    key = _cache_key(text, path)
    remembered = _recall(record, key)
    if remembered is not None:
        return remembered
    reader = _Reader(path)
    loaded = reader.read(text)
    if remember and record.parent.is_dir():  # never the first to create .lambda/
        cache.save(record, key, {"manifest": _encode(loaded), "directories": reader.directories})
    return loaded


def read(path: Path) -> str:
    """The text of the manifest file, or a `ManifestError` saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest: {exc}", file=str(path)) from None


def parse(text: str, path: Path) -> Manifest:
    """Validate manifest `text` as if read from `path` (relative paths resolve against it)."""
    return _Reader(path).read(text)


# --------------------------------------------------------------------------------------------
# The cache: a valid manifest read back without YAML (~15 ms less per command)


def _cache_key(text: str, path: Path) -> dict[str, Any]:
    """What a parse depends on besides the directories it checks: the text, where it is,
    and the code that reads it."""
    from . import __version__

    return {"text": text, "path": str(path), "lambdactl": __version__, "reader": _READER_STAMP}


_READER_STAMP = [cache.stamp(__file__), specs.STAMP]
"""This file and the sources' rules: a lambdactl being worked on reads manifests again after
each edit of them."""


def _recall(record: Path, key: dict[str, Any]) -> Manifest | None:
    """The remembered manifest, if every directory it names still resolves as it did."""
    remembered = cache.recall(record, key)
    if remembered is None:
        return None
    try:
        for joined, resolved in remembered["directories"]:
            if os.path.realpath(joined) != resolved or not os.path.isdir(resolved):
                return None
        manifest = _decode(remembered["manifest"])
    except (KeyError, TypeError, ValueError):
        return None
    return manifest if isinstance(manifest, Manifest) else None


def _encode(value: Any) -> Any:
    """A manifest as JSON: tagged objects for its dataclasses, paths, tuples and mappings."""
    if is_dataclass(value) and type(value).__name__ in _CACHED_TYPES:
        encoded = {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
        return {"@": type(value).__name__, **encoded}
    if isinstance(value, Path):
        return {"@": "Path", "value": str(value)}
    if isinstance(value, tuple):
        return {"@": "tuple", "value": [_encode(item) for item in value]}
    if isinstance(value, Mapping):
        return {"@": "dict", "value": [[key, _encode(item)] for key, item in value.items()]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(value: Any) -> Any:
    """`_encode`'s inverse; KeyError, TypeError or ValueError on anything else."""
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag, members = value["@"], {k: _decode(v) for k, v in value.items() if k != "@"}
    if tag == "Path":
        return Path(members["value"])
    if tag == "tuple":
        return tuple(members["value"])
    if tag == "dict":
        return {key: item for key, item in members["value"]}
    return _CACHED_TYPES[tag](**members)


def _read_yaml(text: str, file: str) -> Any:
    """The YAML node tree of `text` (None when empty)."""
    import yaml  # only when the cache misses: ~10 ms to import

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise ManifestError(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}", file=file) from None


# --------------------------------------------------------------------------------------------
# The node walker


_TOP_KEYS = (
    "region",
    "account",
    "account_concurrency",
    "idle_timeout",
    "cpu_throttling",
    "defaults",
    "functions",
    "queues",
    "streams",
    "logs",
)
_DEFAULT_KEYS = ("runtime", "memory", "timeout", "environment", "layers", "logging")
_FUNCTION_KEYS = (
    "handler",
    "code",
    "runtime",
    "memory",
    "timeout",
    "environment",
    "description",
    "layers",
    "reserved_concurrency",
    "async",
    "dead_letter",
    "logging",
    "url",
    "events",
)
_URL_KEYS = ("auth", "cors", "invoke_mode", "qualifier")
_CORS_KEYS = (
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
)
_LOGGING_KEYS = ("format", "application_level", "system_level", "retention_days", "max_size_mb")
_RETENTION_KEYS = ("retention_days", "max_size_mb")
_ASYNC_KEYS = (
    "maximum_retry_attempts",
    "maximum_event_age",
    "retry_delays",
    "on_success",
    "on_failure",
)

if TYPE_CHECKING:
    import yaml

    _Node = yaml.Node
    _Entries = dict[str, tuple[_Node, _Node]]


class _Reader:
    """Turns YAML nodes into values, raising located `ManifestError`s."""

    def __init__(self, path: Path) -> None:
        import yaml

        self.log_retention = LogRetention()
        self.path = path
        self.file = _display(path)
        self._constructor = yaml.constructor.SafeConstructor()
        self.directories: list[tuple[str, str]] = []
        """Each directory named, as written (joined to the manifest's) and as resolved."""
        self.events: dict[str, tuple[str, _Node]] = {}
        """Each function's `events:` (key, node): read once queues and streams are known."""

    def read(self, text: str) -> Manifest:
        root = _read_yaml(text, self.file)
        if root is None:
            raise ManifestError(
                "the manifest is empty; it needs a 'functions:' mapping", file=self.file
            )
        return self.manifest(root)

    def fail(self, node: _Node, key: str | None, message: str, hint: str | None = None) -> NoReturn:
        raise ManifestError(
            message, file=self.file, line=node.start_mark.line + 1, key=key, hint=hint
        )

    # -- shapes -------------------------------------------------------------------------------

    def mapping(self, node: _Node, key: str | None, allowed: tuple[str, ...] | None) -> _Entries:
        """Keys as written; explicit keys override `<<` merged ones, as YAML specifies."""
        import yaml

        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key, f"expected a mapping, got {_describe(node)}")
        explicit: set[str] = set()
        for key_node, _value in node.value:
            name = self.key_name(key_node, key)
            if name != "<<" and name in explicit:
                self.fail(key_node, f"{key}.{name}" if key else name, "duplicate key")
            explicit.add(name)
        try:
            self._constructor.flatten_mapping(node)  # merged pairs come first, explicit win
        except yaml.YAMLError as exc:
            self.fail(node, key, f"invalid merge: {getattr(exc, 'problem', exc)}")
        entries: _Entries = {}
        for key_node, value_node in node.value:
            name = self.key_name(key_node, key)
            where = f"{key}.{name}" if key else name
            if allowed is not None and name not in allowed:
                import difflib  # only on the error path

                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                self.fail(key_node, where, f"unknown key '{name}'", hint=hint)
            entries[name] = (key_node, value_node)
        return entries

    def key_name(self, node: _Node, key: str | None) -> str:
        """A mapping key as written (`123`, `ON` and `NO` stay text, as names and env keys)."""
        import yaml

        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            self.fail(node, key, f"keys must be plain names, got {_describe(node)}")
        return str(node.value)

    def scalar(self, node: _Node, key: str | None) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, key, f"expected a single value, got {_describe(node)}")
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.fail(node, key, f"invalid value '{node.value}': {problem}")

    def value(self, node: _Node, key: str) -> Any:
        """Any value (a mapping, a list...), as plain Python data."""
        import yaml

        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            self.fail(node, key, f"invalid value: {getattr(exc, 'problem', None) or exc}")

    def region(self, node: _Node, key: str) -> str:
        region = self.string(node, key)
        if not re.fullmatch(REGION_PATTERN, region):
            self.fail(node, key, f"'{region}' is not an AWS region name (like us-east-1)")
        return region

    def string(self, node: _Node, key: str) -> str:
        value = self.scalar(node, key)
        if not isinstance(value, str):
            self.fail(node, key, f"expected a string, got {_describe(node)}")
        return value

    def text(self, node: _Node, key: str) -> str:
        """A scalar taken as written (so `PORT: 8080` and `account: 012...` keep their text)."""
        import yaml

        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            self.fail(node, key, f"expected a string, got {_describe(node)}")
        if not node.tag.startswith("tag:yaml.org,2002:"):
            self.fail(node, key, f"unsupported tag {node.tag} on '{node.value}'")
        return str(node.value)

    def integer(self, node: _Node, key: str, aws_field: str, low: int, high: int) -> int:
        value = self.scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(node, key, f"expected a whole number, got {_describe(node)}")
        problem = range_problem(value, aws_field, low, high)
        if problem is not None:
            self.fail(node, key, problem)
        return value

    def number(self, node: _Node, key: str, low: float, high: float) -> float:
        value = self.scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, key, f"expected a number, got {_describe(node)}")
        if not low <= value <= high:
            self.fail(node, key, f"{value} is out of range ({_plain(low)}..{_plain(high)})")
        return float(value)

    def boolean(self, node: _Node, key: str) -> bool:
        value = self.scalar(node, key)
        if not isinstance(value, bool):
            self.fail(node, key, f"expected true or false, got {_describe(node)}")
        return value

    def directory(self, node: _Node, key: str) -> Path:
        raw = self.string(node, key)
        resolved = (self.path.parent / raw).resolve()
        if not resolved.is_dir():
            what = "is not a directory" if resolved.exists() else "does not exist"
            self.fail(node, key, f"directory '{raw}' {what} (resolved to {resolved})")
        self.directories.append((str(self.path.parent / raw), str(resolved)))
        return resolved

    # -- sections -----------------------------------------------------------------------------

    def manifest(self, root: _Node) -> Manifest:
        top = self.mapping(root, None, _TOP_KEYS)
        region, account = "us-east-1", "000000000000"
        if "region" in top:
            region = self.region(top["region"][1], "region")
        if "account" in top:
            node = top["account"][1]
            account = self.text(node, "account")
            if not re.fullmatch(r"\d{12}", account):
                self.fail(node, "account", f"'{account}' is not a 12-digit account id")
        defaults: dict[str, tuple[_Node, _Node]] = {}
        if "defaults" in top and not _is_null(top["defaults"][1]):
            defaults = self.mapping(top["defaults"][1], "defaults", _DEFAULT_KEYS)
        if "functions" not in top or _is_null(top["functions"][1]):
            self.fail(root, "functions", "missing: declare at least one function")
        entries = self.mapping(top["functions"][1], "functions", None)
        log_retention = LogRetention()
        if "logs" in top and not _is_null(top["logs"][1]):
            logs_entries = self.mapping(top["logs"][1], "logs", _RETENTION_KEYS)
            log_retention = self.retention(logs_entries, "logs", LogRetention())
        self.log_retention = log_retention  # what a function's own `logging:` refines
        if not entries:
            self.fail(top["functions"][1], "functions", "empty: declare at least one function")
        functions = {
            name: self.function(name, key_node, value_node, defaults)
            for name, (key_node, value_node) in entries.items()
        }
        account_concurrency = ACCOUNT_CONCURRENCY
        if "account_concurrency" in top:
            account_concurrency = self.integer(
                top["account_concurrency"][1],
                "account_concurrency",
                "concurrentExecutions",
                1,
                100000,
            )
        idle_timeout = IDLE_TIMEOUT
        if "idle_timeout" in top:
            idle_timeout = self.number(top["idle_timeout"][1], "idle_timeout", 0.1, 86400)
        cpu_throttling = True
        if "cpu_throttling" in top:
            cpu_throttling = self.boolean(top["cpu_throttling"][1], "cpu_throttling")
        self.check_reserved_total(top["functions"][1], functions, account_concurrency)
        queues = self.queues(top["queues"][1]) if "queues" in top else {}
        self.check_destinations(entries, functions, queues)
        streams = specs.read_streams(self, top["streams"][1]) if "streams" in top else {}
        routes: dict[str, tuple[str, str]] = {}  # one method and path: one function
        for name, (key, node) in self.events.items():
            declared = specs.Declared(
                name, functions[name].config.timeout, queues, streams, region, account, routes
            )
            events = specs.read_events(self, node, key, declared)
            functions[name] = replace(functions[name], events=events)
        return Manifest(
            path=self.path,
            region=region,
            account=account,
            functions=functions,
            account_concurrency=account_concurrency,
            idle_timeout=idle_timeout,
            cpu_throttling=cpu_throttling,
            queues=queues,
            log_retention=log_retention,
            streams=streams,
        )

    def function(self, name: str, key_node: _Node, node: _Node, defaults: _Entries) -> FunctionSpec:
        where = f"functions.{name}"
        if len(name) > 64:
            constraint = "Member must have length less than or equal to 64"
            self.fail(key_node, where, validation_message(name, "functionName", constraint))
        if not re.fullmatch(FUNCTION_NAME_PATTERN, name):
            constraint = f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
            self.fail(key_node, where, validation_message(name, "functionName", constraint))
        entries = self.mapping(node, where, _FUNCTION_KEYS)

        def pick(key: str) -> tuple[str, _Node] | None:
            if key in entries:
                return f"{where}.{key}", entries[key][1]
            if key in defaults:
                return f"defaults.{key}", defaults[key][1]
            return None

        runtime = self.runtime(pick("runtime"))
        memory = self.optional(
            pick("memory"), 128, lambda k, n: self.integer(n, k, "memorySize", 128, 10240)
        )
        timeout = self.optional(
            pick("timeout"), 3, lambda k, n: self.integer(n, k, "timeout", 1, 900)
        )
        handler = self.handler(entries, where, runtime, node)
        if "code" not in entries:
            self.fail(node, where, "missing key 'code' (the function's code directory)")
        code = self.directory(entries["code"][1], f"{where}.code")
        environment = self.environment(entries, defaults, where)
        description = ""
        if "description" in entries:
            description = self.text(entries["description"][1], f"{where}.description")
            if len(description) > 256:
                constraint = "Member must have length less than or equal to 256"
                self.fail(
                    entries["description"][1],
                    f"{where}.description",
                    validation_message(description, "description", constraint),
                )
        layers = self.layers(pick("layers"))
        reserved = self.optional(
            pick("reserved_concurrency"),
            None,
            lambda k, n: self.integer(n, k, "reservedConcurrentExecutions", 0, ACCOUNT_CONCURRENCY),
        )
        logging_config, log_retention = LoggingConfig(), self.log_retention
        picked = pick("logging")
        if picked is not None and not _is_null(picked[1]):
            logging_config, log_retention = self.logging(picked[1], picked[0])
        config = FunctionConfig(
            runtime=runtime,
            handler=handler,
            memory=memory,
            timeout=timeout,
            environment=environment,
            description=description,
            logging=logging_config,
        )
        asynchronous = AsyncConfig()
        if "async" in entries and not _is_null(entries["async"][1]):
            asynchronous = self.asynchronous(entries["async"][1], f"{where}.async")
        dead_letter = None
        if "dead_letter" in entries:
            dead_letter = self.destination(entries["dead_letter"][1], f"{where}.dead_letter")
            if dead_letter.kind != "queue":
                self.fail(
                    entries["dead_letter"][1],
                    f"{where}.dead_letter",
                    "a dead-letter target is a queue: {queue: NAME}",
                )
        url = self.url(entries["url"][1], f"{where}.url") if "url" in entries else None
        if "events" in entries:
            self.events[name] = (f"{where}.events", entries["events"][1])
        return FunctionSpec(
            name=name,
            code=code,
            config=config,
            layers=layers,
            reserved_concurrency=reserved,
            asynchronous=asynchronous,
            dead_letter=dead_letter,
            log_retention=log_retention,
            url=url,
        )

    def url(self, node: _Node, where: str) -> UrlConfig | None:
        """`url:`: true (a public URL with AWS's defaults), false, or its settings."""
        import yaml

        if _is_null(node):
            return None
        if isinstance(node, yaml.ScalarNode):
            return UrlConfig() if self.boolean(node, where) else None
        entries = self.mapping(node, where, _URL_KEYS)
        values: dict[str, Any] = {}
        for key, aws_field, allowed in (
            ("auth", "authType", URL_AUTH_TYPES),
            ("invoke_mode", "invokeMode", URL_INVOKE_MODES),
        ):
            if key in entries:
                value_node = entries[key][1]
                value = self.text(value_node, f"{where}.{key}")
                problem = choice_problem(value, aws_field, allowed)
                if problem is not None:
                    self.fail(value_node, f"{where}.{key}", problem)
                values[key] = value
        if "qualifier" in entries:
            values["qualifier"] = self.url_qualifier(entries["qualifier"][1], f"{where}.qualifier")
        if "cors" in entries and not _is_null(entries["cors"][1]):
            values["cors"] = self.cors(entries["cors"][1], f"{where}.cors")
        return UrlConfig(**values)

    def url_qualifier(self, node: _Node, key: str) -> str:
        value = self.text(node, key)
        problem = url_qualifier_problem(value)
        if problem is not None:
            self.fail(
                node,
                key,
                problem,
                hint="a function URL's qualifier is an alias name, never a version or $LATEST",
            )
        return value

    def cors(self, node: _Node, where: str) -> Cors:
        """`cors:` with AWS's limits on each list (items and lengths) and on MaxAge."""
        entries = self.mapping(node, where, _CORS_KEYS)
        values: dict[str, Any] = {}
        for key, _aws_field, _most, _shortest, _longest in CORS_LISTS:
            if key in entries:
                node_list = entries[key][1]
                items = self.strings(node_list, f"{where}.{key}")
                found = cors_problem(key, items)
                if found is not None:
                    index, message = found
                    if index is None:
                        self.fail(node_list, f"{where}.{key}", message)
                    self.fail(_item(node_list, index), f"{where}.{key}[{index}]", message)
                values[key] = items
        if "allow_credentials" in entries:
            values["allow_credentials"] = self.boolean(
                entries["allow_credentials"][1], f"{where}.allow_credentials"
            )
        if "max_age" in entries:
            values["max_age"] = self.integer(
                entries["max_age"][1], f"{where}.max_age", "cors.maxAge", *CORS_MAX_AGE
            )
        return Cors(**values)

    def strings(self, node: _Node, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is a list of one, as people write `*`)."""
        import yaml

        if isinstance(node, yaml.ScalarNode) and not _is_null(node):
            return (self.text(node, key),)
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, f"expected a list of strings, got {_describe(node)}")
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(node.value))

    def logging(self, node: _Node, where: str) -> tuple[LoggingConfig, LogRetention]:
        """`logging:`: AWS's LoggingConfig, plus the retention of the function's log group."""
        entries = self.mapping(node, where, _LOGGING_KEYS)
        values: dict[str, str] = {}
        for key, aws_field, allowed in (
            ("format", "logFormat", LOG_FORMATS),
            ("application_level", "applicationLogLevel", APPLICATION_LOG_LEVELS),
            ("system_level", "systemLogLevel", SYSTEM_LOG_LEVELS),
        ):
            if key in entries:
                value = self.string(entries[key][1], f"{where}.{key}")
                if value not in allowed:
                    self.fail(
                        entries[key][1],
                        f"{where}.{key}",
                        validation_message(value, aws_field, enum_constraint(allowed)),
                    )
                values[key] = value
        config = LoggingConfig(**values)
        for key in ("application_level", "system_level"):
            if key in entries and not config.json:
                self.fail(
                    entries[key][1],
                    f"{where}.{key}",
                    "log levels are filtered only in the JSON log format (AWS's rule): "
                    "add format: JSON",
                )
        return config, self.retention(entries, where, self.log_retention)

    def retention(self, entries: _Entries, where: str, default: LogRetention) -> LogRetention:
        days, size = default.days, default.max_size_mb
        if "retention_days" in entries:
            days = self.number(
                entries["retention_days"][1], f"{where}.retention_days", 0.0001, 3653
            )
        if "max_size_mb" in entries:
            size = self.number(entries["max_size_mb"][1], f"{where}.max_size_mb", 0.001, 1048576)
        return LogRetention(days=days, max_size_mb=size)

    def asynchronous(self, node: _Node, where: str) -> AsyncConfig:
        import yaml

        entries = self.mapping(node, where, _ASYNC_KEYS)
        values: dict[str, Any] = {}
        if "maximum_retry_attempts" in entries:
            values["maximum_retry_attempts"] = self.integer(
                entries["maximum_retry_attempts"][1],
                f"{where}.maximum_retry_attempts",
                "maximumRetryAttempts",
                0,
                2,
            )
        if "maximum_event_age" in entries:
            values["maximum_event_age"] = self.integer(
                entries["maximum_event_age"][1],
                f"{where}.maximum_event_age",
                "maximumEventAgeInSeconds",
                60,
                21600,
            )
        if "retry_delays" in entries:
            node_delays = entries["retry_delays"][1]
            key = f"{where}.retry_delays"
            if not isinstance(node_delays, yaml.SequenceNode) or len(node_delays.value) != 2:
                self.fail(
                    node_delays, key, "expected two numbers: seconds before the 1st and 2nd retry"
                )
            values["retry_delays"] = tuple(
                self.number(item, f"{key}[{i}]", 0, 3600)
                for i, item in enumerate(node_delays.value)
            )
        for name in ("on_success", "on_failure"):
            if name in entries:
                values[name] = self.destination(entries[name][1], f"{where}.{name}")
        return AsyncConfig(**values)

    def destination(self, node: _Node, key: str) -> Destination:
        entries = self.mapping(node, key, ("function", "queue"))
        if len(entries) != 1:
            self.fail(node, key, "expected exactly one of {function: NAME} or {queue: NAME}")
        ((kind, (_k, value)),) = entries.items()
        return Destination(kind, self.string(value, f"{key}.{kind}"))

    def optional(
        self, picked: tuple[str, _Node] | None, default: Any, read: Callable[[str, _Node], Any]
    ) -> Any:
        if picked is None or _is_null(picked[1]):
            return default
        return read(*picked)

    def runtime(self, picked: tuple[str, _Node] | None) -> str:
        if picked is None:
            return "python3.11"
        key, node = picked
        value = self.text(node, key)
        problem = runtime_problem(value)
        if problem is not None:
            self.fail(node, key, problem)
        return value

    def handler(self, entries: _Entries, where: str, runtime: str, node: _Node) -> str:
        key = f"{where}.handler"
        if "handler" not in entries:
            if runtime.startswith("provided"):
                return "bootstrap"
            self.fail(node, where, "missing key 'handler' (MODULE.FUNCTION, e.g. app.handler)")
        value_node = entries["handler"][1]
        value = self.text(value_node, key)
        problem = handler_problem(value)
        if problem is not None:
            self.fail(value_node, key, problem)
        if runtime.startswith("python") and not _is_python_handler(value):
            self.fail(
                value_node,
                key,
                f"malformed handler '{value}': expected MODULE.FUNCTION, where MODULE may be a "
                "dotted or slashed path (e.g. app.handler or src/app.handler)",
            )
        return value

    def environment(self, entries: _Entries, defaults: _Entries, where: str) -> dict[str, str]:
        merged: dict[str, str] = {}
        for source, key in ((defaults, "defaults.environment"), (entries, f"{where}.environment")):
            if "environment" not in source or _is_null(source["environment"][1]):
                continue
            node = source["environment"][1]
            for name, (key_node, value_node) in self.mapping(node, key, None).items():
                if not re.fullmatch(ENV_KEY_PATTERN, name):
                    self.fail(key_node, f"{key}.{name}", ENV_KEY_MESSAGE)
                merged[name] = self.text(value_node, f"{key}.{name}")
        env_node = entries["environment"][1] if "environment" in entries else None
        problem = environment_problem(merged)
        if problem is not None:
            self.fail(env_node or defaults["environment"][1], f"{where}.environment", problem)
        return merged

    def layers(self, picked: tuple[str, _Node] | None) -> tuple[Path, ...]:
        if picked is None or _is_null(picked[1]):
            return ()
        import yaml

        key, node = picked
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, f"expected a list of directories, got {_describe(node)}")
        if len(node.value) > MAX_LAYERS:
            constraint = f"Member must have length less than or equal to {MAX_LAYERS}"
            self.fail(node, key, validation_message(len(node.value), "layers", constraint))
        paths = [self.directory(item, f"{key}[{i}]") for i, item in enumerate(node.value)]
        names = [p.name for p in paths]
        for i, item in enumerate(node.value):
            if not re.fullmatch(FUNCTION_NAME_PATTERN, names[i]):
                self.fail(
                    item,
                    f"{key}[{i}]",
                    f"layer directory name '{names[i]}' is not a valid layer name "
                    f"({FUNCTION_NAME_PATTERN}); rename the directory",
                )
            if names.count(names[i]) > 1:
                self.fail(item, f"{key}[{i}]", f"two layers share the name '{names[i]}'")
        return tuple(paths)

    def queues(self, node: _Node) -> dict[str, dict[str, Any]]:
        if _is_null(node):
            return {}
        declared: dict[str, dict[str, Any]] = {}
        nodes: dict[str, _Entries] = {}
        for name, (key_node, value_node) in self.mapping(node, "queues", None).items():
            where = f"queues.{name}"
            problem = queue_name_problem(name, fifo=name.endswith(".fifo"))
            if problem is not None:
                self.fail(key_node, where, QUEUE_NAME_RULE)
            given: dict[str, Any] = {}
            entries: _Entries = {}
            if not _is_null(value_node):
                allowed = (*QUEUE_ATTRIBUTES, *QUEUE_REDRIVE_KEYS)
                entries = self.mapping(value_node, where, allowed)
                for key, (_k, item) in entries.items():
                    if key in QUEUE_REDRIVE_KEYS:
                        continue
                    aws_name, default, low, high = QUEUE_ATTRIBUTES[key]
                    if isinstance(default, bool):
                        given[key] = self.boolean(item, f"{where}.{key}")
                    else:
                        given[key] = self.integer(item, f"{where}.{key}", aws_name, low, high)
            if given.get("content_based_deduplication") and not given.get("fifo"):
                self.fail(
                    entries["content_based_deduplication"][0],
                    f"{where}.content_based_deduplication",
                    "for FIFO queues only (set fifo: true and a name ending with .fifo)",
                )
            if given.get("fifo", False) != name.endswith(".fifo"):
                self.fail(
                    key_node,
                    where,
                    "a FIFO queue's name ends with .fifo, and only a FIFO queue's does "
                    "(set fifo: true, or rename the queue)",
                )
            given.update(self.redrive(entries, where))
            declared[name] = given
            nodes[name] = entries
        for name, given in declared.items():
            if "dead_letter" in given:
                self.check_dead_letter(name, given, declared, nodes[name]["dead_letter"][1])
        return declared

    def redrive(self, entries: _Entries, where: str) -> dict[str, Any]:
        """A queue's `dead_letter` and `max_receive_count` (SQS's RedrivePolicy), if any."""
        if "dead_letter" not in entries:
            if "max_receive_count" in entries:
                self.fail(
                    entries["max_receive_count"][0],
                    f"{where}.max_receive_count",
                    "max_receive_count needs dead_letter: the queue its messages move to",
                )
            return {}
        target = self.string(entries["dead_letter"][1], f"{where}.dead_letter")
        count = DEFAULT_MAX_RECEIVE_COUNT
        if "max_receive_count" in entries:
            low, high = MAX_RECEIVE_COUNT_RANGE
            count = self.integer(
                entries["max_receive_count"][1],
                f"{where}.max_receive_count",
                "maxReceiveCount",
                low,
                high,
            )
        return {"dead_letter": target, "max_receive_count": count}

    def check_dead_letter(
        self, name: str, given: Mapping[str, Any], declared: Mapping[str, Any], node: _Node
    ) -> None:
        """A dead-letter queue is another declared queue, of the same type (SQS's rules)."""
        key = f"queues.{name}.dead_letter"
        target = given["dead_letter"]
        if target == name:
            self.fail(node, key, "a queue cannot be its own dead-letter queue")
        if target not in declared:
            self.fail(node, key, f"no queue '{target}' is declared in the manifest")
        if bool(declared[target].get("fifo")) != bool(given.get("fifo")):
            self.fail(node, key, DEAD_LETTER_TYPE_RULE)

    def check_destinations(
        self,
        entries: _Entries,
        functions: Mapping[str, FunctionSpec],
        queues: Mapping[str, Any],
    ) -> None:
        """Every destination names a declared function or queue, and never itself."""
        for name, spec in functions.items():
            targets = {
                "async.on_success": spec.asynchronous.on_success,
                "async.on_failure": spec.asynchronous.on_failure,
                "dead_letter": spec.dead_letter,
            }
            for where, target in targets.items():
                if target is None:
                    continue
                node = entries[name][1]
                key = f"functions.{name}.{where}"
                if target.kind == "function" and target.name == name:
                    self.fail(
                        node, key, "You can't specify the function as a destination for itself."
                    )
                known = functions if target.kind == "function" else queues
                if target.name not in known:
                    self.fail(
                        node, key, f"no {target.kind} '{target.name}' is declared in the manifest"
                    )

    def check_reserved_total(
        self, node: _Node, functions: Mapping[str, FunctionSpec], account_concurrency: int
    ) -> None:
        total = sum(f.reserved_concurrency or 0 for f in functions.values())
        if total and total > account_concurrency - UNRESERVED_MINIMUM:
            self.fail(
                node,
                "functions",
                UNRESERVED_MINIMUM_MESSAGE,
            )


def _is_python_handler(value: str) -> bool:
    module, dot, function = value.rpartition(".")
    if not dot or not module or not function or "/" in function:
        return False
    return not module.endswith("/") and not module.startswith("/")


def _plain(number: float) -> str:
    """1048576.0 -> `1048576`, 0.001 -> `0.001`: bounds as people write them."""
    return str(int(number)) if float(number).is_integer() else repr(number)


def _item(node: _Node, index: int) -> _Node:
    """A list's `index`th node (a single value written for a list is its own item)."""
    import yaml

    return node.value[index] if isinstance(node, yaml.SequenceNode) else node


def _is_null(node: _Node) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _describe(node: _Node) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    kind = node.tag.rsplit(":", 1)[-1]
    names = {"str": "string", "int": "integer", "bool": "boolean", "null": "nothing"}
    return f"{names.get(kind, kind)} '{node.value}'"


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_CACHED_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Manifest,
        FunctionSpec,
        FunctionConfig,
        LoggingConfig,
        LogRetention,
        AsyncConfig,
        Destination,
        EventInvokeConfig,
        Upload,
        UrlConfig,
        UrlRecord,
        Cors,
        *specs.CACHED_TYPES,
    )
}
"""The classes a cached manifest is made of (and the only ones it may name)."""
