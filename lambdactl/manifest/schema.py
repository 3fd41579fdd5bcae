"""The manifest's values and AWS's rules for them: what every reader of a function's
configuration builds (`functions.yaml` today, a SAM template next) and validates it with.

Frozen dataclasses (`Manifest`, `FunctionSpec`, `FunctionConfig`...), AWS's constants and limits,
and pure rule functions that return AWS's message for a bad value (or None). No YAML here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import enum_constraint, validation_message
from ..layout import STATE_DIR_NAME
from ..sources import specs

RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "provided",
    "provided.al2",
    "provided.al2023",
)
"""Runtimes lambdactl can run: the managed Python and Node.js runtimes and the OS-only ones."""

DEPRECATED_RUNTIMES = (
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs18.x",
)
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
ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
"""An execution role's ARN, as CreateFunction's `Role` takes it."""
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
    """Where an invocation record or a dead letter goes: a function or a local queue (or,
    for a SAM template's SNS destination, a local topic)."""

    kind: str
    """`function`, `queue` or `topic`."""
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
    unavailable: str = ""
    """Why this function cannot run here ("": it can): a SAM template's function whose code
    is in S3, a container image, a runtime lambdactl does not run, a value only AWS knows.
    Its invocations are refused with this reason (`Invoker`); the others run."""
    auto_publish_alias: str = ""
    """A SAM template's AutoPublishAlias: `lambdactl publish` points it at the new version."""

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
    logical_ids: Mapping[str, str] = field(default_factory=dict)
    """A SAM template's functions by logical ID, where their FunctionName differs: the
    logical ID names the function too (as `sam local` takes either)."""
    warnings: tuple[str, ...] = ()
    """What a SAM template holds that cannot run here, one located line each
    (`template.yaml:12:Resources.Fn.Properties.CodeUri: ...`): `validate` shows them."""

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


def _is_python_handler(value: str) -> bool:
    module, dot, function = value.rpartition(".")
    if not dot or not module or not function or "/" in function:
        return False
    return not module.endswith("/") and not module.startswith("/")
