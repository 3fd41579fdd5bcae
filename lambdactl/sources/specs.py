"""A function's `events:` and the project's `streams:`, as the manifest declares them: typed,
validated, frozen values every poller reads.

The manifest's reader calls `read_events` and `read_streams` with its YAML nodes, so every error
names the file, the line and the dotted key. Ranges and messages are AWS's
(CreateEventSourceMapping in botocore's Lambda model; Kinesis's for streams), and AWS's
cross-checks too: a FIFO queue takes no batching window and at most 10 messages a batch; a
batch of more than 10 SQS messages needs a window; a queue's visibility timeout is at least the
function's timeout; one mapping per function and source.

Each source has a stable `uuid` (uuid5 of the function, the source's kind and identity, and
which of the function's sources with that identity it is), so the state kept for it (a
stream's checkpoints) survives edits that reorder or add sources.

This module sits with the manifest in the base layer (it must not import the manifest: the
reader is handed in) and imports nothing of `sources/` but the pure parsers of expressions.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Protocol
from urllib.parse import urlsplit

from .. import cache
from ..errors import enum_constraint, validation_message
from ..layout import STATE_DIR_NAME
from . import filters, policies, schedule

if TYPE_CHECKING:
    import yaml

    Node = yaml.Node
    Entries = dict[str, tuple[Node, Node]]

NAMESPACE = uuid.UUID("6f3c1e2a-8d0b-5b7e-9a41-2c5d7e0f1a93")
"""The uuid5 namespace of event source UUIDs (fixed: changing it renames every mapping)."""

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
FILE_EVENTS = ("created", "removed")
"""What a watched directory reports: S3's ObjectCreated:Put and ObjectRemoved:Delete."""
STREAM_NAME_PATTERN = "[a-zA-Z0-9_.-]+"
TABLE_NAME_PATTERN = "[a-zA-Z0-9_.-]+"
TOPIC_NAME_PATTERN = "[A-Za-z0-9_-]{1,256}"
AWS_QUEUE_HOST = r"(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?"
"""An AWS queue URL's host: its region in group 1 (or 2, the legacy form)."""
MAX_SHARDS = 500
"""Kinesis's default shard quota per account: more is refused here rather than made."""
SCHEDULE_INPUT_LIMIT = 8192
"""EventBridge's limit on a target's constant Input (characters of JSON)."""

BATCH_WINDOW_MESSAGE = (
    "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater "
    "than 10"
)
FIFO_WINDOW_MESSAGE = "Batching window is not supported for FIFO queues"
STARTING_POSITION_NULL = (
    "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
    "constraint: Member must not be null."
)


# -- the values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSettings:
    """How a queue is polled (AWS's ESM settings for SQS), for a local queue or a real one."""

    batch_size: int = 10
    batching_window: int = 0
    """Seconds to gather a batch (MaximumBatchingWindowInSeconds)."""
    report_batch_item_failures: bool = False
    """FunctionResponseTypes ["ReportBatchItemFailures"]: the handler names the failed ones."""
    maximum_concurrency: int | None = None
    """ScalingConfig.MaximumConcurrency; None: AWS's scaling up to 1,000 batches at once."""
    filters: tuple[str, ...] = ()
    """FilterCriteria: each filter's Pattern as JSON text; a record passes if one matches."""


@dataclass(frozen=True)
class StreamSettings:
    """How a stream is read (AWS's ESM settings for Kinesis and DynamoDB Streams)."""

    starting_position: str
    """TRIM_HORIZON, LATEST or AT_TIMESTAMP (Kinesis only)."""
    starting_position_timestamp: float | None = None
    """Epoch seconds, with AT_TIMESTAMP only."""
    batch_size: int = 100
    batching_window: int = 0
    parallelization_factor: int = 1
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1
    """-1: until the record expires."""
    maximum_record_age: int = -1
    """Seconds; -1: never too old."""
    report_batch_item_failures: bool = False
    tumbling_window: int = 0
    on_failure: str | None = None
    """The local queue that receives an on-failure record (`{queue: NAME}`)."""
    filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """Where a real (or moto-served) AWS service answers."""

    region: str
    url: str | None = None
    """The endpoint URL; None: AWS's own for the region."""


@dataclass(frozen=True, kw_only=True)
class QueueSource:
    """A local queue (`queues:`), polled with SQS's semantics."""

    kind: ClassVar[str] = "queue"
    uuid: str
    function: str
    queue: str
    settings: QueueSettings = field(default_factory=QueueSettings)
    enabled: bool = True

    @property
    def identity(self) -> str:
        return self.queue


@dataclass(frozen=True, kw_only=True)
class StreamSource:
    """A local stream (`streams:`), read with Kinesis's semantics."""

    kind: ClassVar[str] = "stream"
    uuid: str
    function: str
    stream: str
    settings: StreamSettings
    enabled: bool = True

    @property
    def identity(self) -> str:
        return self.stream


@dataclass(frozen=True, kw_only=True)
class ScheduleSource:
    """An EventBridge schedule: `rate(...)` or `cron(...)`, invoking asynchronously."""

    kind: ClassVar[str] = "schedule"
    uuid: str
    function: str
    expression: str
    input: str | None = None
    """The rule's constant input as JSON text; None: the scheduled event."""
    enabled: bool = True

    @property
    def identity(self) -> str:
        return self.expression


@dataclass(frozen=True, kw_only=True)
class FilesSource:
    """A watched directory inside the project: S3-style records, invoking asynchronously."""

    kind: ClassVar[str] = "files"
    uuid: str
    function: str
    path: Path
    """Absolute, resolved; inside the project directory, outside `.lambda/`."""
    events: tuple[str, ...] = FILE_EVENTS
    enabled: bool = True

    @property
    def identity(self) -> str:
        return str(self.path)


@dataclass(frozen=True, kw_only=True)
class TopicSource:
    """A subscription to a local topic (SNS-style fan-out, invoking asynchronously)."""

    kind: ClassVar[str] = "topic"
    uuid: str
    function: str
    topic: str
    filter_policy: str | None = None
    """SNS's FilterPolicy as JSON text."""
    enabled: bool = True

    @property
    def identity(self) -> str:
        return self.topic


@dataclass(frozen=True, kw_only=True)
class SqsSource:
    """A queue of a real SQS-compatible endpoint."""

    kind: ClassVar[str] = "sqs"
    uuid: str
    function: str
    queue_url: str
    endpoint: Endpoint
    settings: QueueSettings = field(default_factory=QueueSettings)
    enabled: bool = True

    @property
    def identity(self) -> str:
        return self.queue_url


@dataclass(frozen=True, kw_only=True)
class KinesisSource:
    """A stream of a real Kinesis endpoint."""

    kind: ClassVar[str] = "kinesis"
    uuid: str
    function: str
    stream_name: str
    endpoint: Endpoint
    settings: StreamSettings
    enabled: bool = True

    @property
    def identity(self) -> str:
        return f"{self.endpoint.url or self.endpoint.region} {self.stream_name}"


@dataclass(frozen=True, kw_only=True)
class DynamoDBSource:
    """The stream of a table of a real DynamoDB endpoint."""

    kind: ClassVar[str] = "dynamodb"
    uuid: str
    function: str
    table: str
    endpoint: Endpoint
    settings: StreamSettings
    enabled: bool = True

    @property
    def identity(self) -> str:
        return f"{self.endpoint.url or self.endpoint.region} {self.table}"


@dataclass(frozen=True, kw_only=True)
class HttpSource:
    """An API Gateway route to the function, served under `serve`'s `/api` prefix: a REST
    API's (payload "1.0" only) or an HTTP API's (payload "2.0", or "1.0" when it says so),
    as SAM's `Api` and `HttpApi` events declare them. The API's kind decides its stage,
    request ids and errors; the payload format, the event and how the answer is read."""

    kind: ClassVar[str] = "http"
    uuid: str
    function: str
    path: str
    """`/users/{id}`, `/files/{proxy+}`: as API Gateway writes a route's path."""
    method: str = "ANY"
    payload: str = "2.0"
    api_type: str = ""
    """"REST" or "HTTP": the kind of API the route belongs to (the manifest and SAM readers
    always say it); "": inferred from the payload format (1.0 a REST API's, 2.0 an HTTP
    API's). See `api_kind`."""
    api: str = ""
    """The API the route belongs to (its apiId in the event); "": the project's one API of
    the route's kind."""
    stage: str = ""
    """"": `$default` for an HTTP API, `Prod` for a REST API (SAM's implicit APIs)."""
    binary_media_types: tuple[str, ...] = ()
    """A REST API's request content types delivered base64 (an Api's BinaryMediaTypes)."""
    enabled: bool = True

    @property
    def identity(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def api_kind(self) -> str:
        """"REST" or "HTTP": `api_type`, else what the payload format implies."""
        return self.api_type or ("REST" if self.payload == "1.0" else "HTTP")

    @property
    def rest(self) -> bool:
        """Whether the route is a REST API's (else an HTTP API's)."""
        return self.api_kind == "REST"


EventSource = (
    QueueSource
    | StreamSource
    | ScheduleSource
    | FilesSource
    | TopicSource
    | SqsSource
    | KinesisSource
    | DynamoDBSource
)
"""An event source mapping's source: what a poller reads (an API Gateway route is not one)."""
Source = EventSource | HttpSource
"""What a function's `events:` holds: its event source mappings' sources and its routes."""
KINDS: dict[str, type[Source]] = {
    cls.kind: cls
    for cls in (
        QueueSource,
        StreamSource,
        ScheduleSource,
        FilesSource,
        TopicSource,
        SqsSource,
        KinesisSource,
        DynamoDBSource,
        HttpSource,
    )
}
"""Each `events:` item's kind key, with what it becomes."""
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
"""A route's methods (API Gateway's; ANY: every method no other route of the path takes)."""
PAYLOAD_VERSIONS = ("1.0", "2.0")
"""A route's payload format: 1.0 (REST APIs, SAM's `Api`, or an HTTP API that asks for it),
2.0 (HTTP APIs' default)."""
API_TYPES = ("REST", "HTTP")
"""The kinds of API a route belongs to (`api_type: rest|http`)."""
API_NAME_PATTERN = "[A-Za-z0-9_-]{1,128}"
STAGE_PATTERN = "[A-Za-z0-9_-]{1,128}"
"""A stage's name (API Gateway's), or `$default` for an HTTP API."""


def mapped(events: tuple[Source, ...]) -> tuple[EventSource, ...]:
    """The sources of event source mappings among `events` (routes left out: API Gateway
    invokes a function directly, and ListEventSourceMappings does not list its triggers)."""
    return tuple(source for source in events if not isinstance(source, HttpSource))


def routes(events: tuple[Source, ...]) -> tuple[HttpSource, ...]:
    """The API Gateway routes among `events`."""
    return tuple(source for source in events if isinstance(source, HttpSource))


def route_shape(method: str, path: str) -> str:
    """What makes two routes the same for API Gateway: the method and the path with its
    variables' names left out (`GET /users/{id}` and `GET /users/{name}` clash)."""
    return f"{method} " + re.sub(r"\{[^}]*?(\+?)\}", r"{\1}", path)


@dataclass(frozen=True)
class StreamConfig:
    """A local stream (`streams:`): its shards and how long it keeps records."""

    shards: int = 1
    retention_hours: int = 24


CACHED_TYPES: tuple[type, ...] = (
    *KINDS.values(),
    QueueSettings,
    StreamSettings,
    Endpoint,
    StreamConfig,
)
"""What the manifest's cache may rebuild from this module."""

STAMP = [cache.stamp(path) for path in (__file__, schedule.__file__, filters.__file__)]
"""These rules' files: a cached manifest is read again after an edit of them."""


def source_uuid(function: str, kind: str, identity: str, index: int) -> str:
    """The stable UUID of a function's `index`th source of that kind and identity."""
    return str(uuid.uuid5(NAMESPACE, f"{function}\n{kind}\n{identity}\n{index}"))


def describe(source: Source, root: Path | None = None) -> str:
    """What a source reads, for a person: `orders`, `rate(5 minutes)`, `clicks at URL`, a
    watched directory relative to `root` (the project's)."""
    if isinstance(source, FilesSource) and root is not None:
        return str(source.path.relative_to(root)) if source.path != root else "."
    if isinstance(source, (KinesisSource, DynamoDBSource)):
        name = source.stream_name if isinstance(source, KinesisSource) else source.table
        return f"{name} at {source.endpoint.url}" if source.endpoint.url else name
    return source.identity


# -- reading -------------------------------------------------------------------------------


class Target(Protocol):
    """A destination as the manifest reads it (`{queue: NAME}`)."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...


class Reader(Protocol):
    """What the manifest's reader lends: located values out of YAML nodes."""

    path: Path

    def fail(
        self, node: Node, key: str | None, message: str, hint: str | None = None
    ) -> NoReturn: ...
    def mapping(self, node: Node, key: str | None, allowed: tuple[str, ...] | None) -> Entries: ...
    def scalar(self, node: Node, key: str | None) -> Any: ...
    def value(self, node: Node, key: str) -> Any: ...
    def text(self, node: Node, key: str) -> str: ...
    def integer(self, node: Node, key: str, aws_field: str, low: int, high: int) -> int: ...
    def boolean(self, node: Node, key: str) -> bool: ...
    def directory(self, node: Node, key: str) -> Path: ...
    def destination(self, node: Node, key: str) -> Target: ...
    def region(self, node: Node, key: str) -> str: ...


@dataclass(frozen=True)
class Declared:
    """What an `events:` list is checked against: the project's, and its function's."""

    function: str
    timeout: int
    queues: Mapping[str, Mapping[str, Any]]
    streams: Mapping[str, StreamConfig]
    region: str
    account: str
    routes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The routes read so far, in this function and the ones before it (give every function
    of a project the same dict): `route_shape` -> (function, where it is written); and the
    named APIs: `api NAME` -> (its kind, where first named)."""


_QUEUE_SETTINGS = (
    "batch_size",
    "batching_window",
    "report_batch_item_failures",
    "maximum_concurrency",
    "filter",
    "enabled",
)
_STREAM_SETTINGS = (
    "starting_position",
    "starting_position_timestamp",
    "batch_size",
    "batching_window",
    "parallelization_factor",
    "bisect_on_error",
    "maximum_retry_attempts",
    "maximum_record_age",
    "report_batch_item_failures",
    "tumbling_window",
    "on_failure",
    "filter",
    "enabled",
)
_KEYS: dict[str, tuple[str, ...]] = {
    "queue": ("queue", *_QUEUE_SETTINGS),
    "stream": ("stream", *_STREAM_SETTINGS),
    "schedule": ("schedule", "input", "enabled"),
    "topic": ("topic", "filter_policy", "enabled"),
    "files": ("path", "events", "enabled"),
    "sqs": ("queue_url", "endpoint_url", "region", *_QUEUE_SETTINGS),
    "kinesis": ("stream_name", "endpoint_url", "region", *_STREAM_SETTINGS),
    "dynamodb": ("table", "endpoint_url", "region", *_STREAM_SETTINGS),
    "http": (
        "path",
        "method",
        "payload",
        "api_type",
        "api",
        "stage",
        "binary_media_types",
        "enabled",
    ),
}
"""The keys of each kind: beside the kind's name (queue, stream, schedule, topic), or in the
mapping the kind's key holds (files, sqs, kinesis, dynamodb)."""
_NESTED = ("files", "sqs", "kinesis", "dynamodb", "http")


def read_streams(reader: Reader, node: Node) -> dict[str, StreamConfig]:
    """`streams:`: name -> its shards and retention (Kinesis's names and limits)."""
    declared: dict[str, StreamConfig] = {}
    if _is_null(node):
        return declared
    for name, (key_node, value_node) in reader.mapping(node, "streams", None).items():
        where = f"streams.{name}"
        problem = stream_name_problem(name)
        if problem is not None:
            reader.fail(key_node, where, problem)
        if _is_null(value_node):
            declared[name] = StreamConfig()
            continue
        entries = reader.mapping(value_node, where, ("shards", "retention_hours"))
        values: dict[str, int] = {}
        if "shards" in entries:
            shards_node = entries["shards"][1]
            values["shards"] = reader.integer(
                shards_node, f"{where}.shards", "shardCount", 1, 2**31 - 1
            )
            if values["shards"] > MAX_SHARDS:
                reader.fail(
                    shards_node,
                    f"{where}.shards",
                    f"at most {MAX_SHARDS} shards (Kinesis's default quota per account)",
                )
        if "retention_hours" in entries:
            values["retention_hours"] = _retention(reader, entries["retention_hours"][1], where)
        declared[name] = StreamConfig(**values)
    return declared


def stream_name_problem(name: str) -> str | None:
    """Kinesis's message for a stream name it refuses, else None."""
    if len(name) > 128:
        constraint = "Member must have length less than or equal to 128"
        return validation_message(name, "streamName", constraint)
    if not re.fullmatch(STREAM_NAME_PATTERN, name):
        constraint = f"Member must satisfy regular expression pattern: {STREAM_NAME_PATTERN}"
        return validation_message(name, "streamName", constraint)
    return None


def _retention(reader: Reader, node: Node, where: str) -> int:
    hours = reader.integer(node, f"{where}.retention_hours", "retentionPeriodHours", 0, 2**31 - 1)
    if hours < 24:
        reader.fail(
            node,
            f"{where}.retention_hours",
            "Minimum allowed retention period is 24 hours. "
            f"Requested retention period ({hours} hours) is too short.",
        )
    if hours > 8760:
        reader.fail(
            node,
            f"{where}.retention_hours",
            "Maximum allowed retention period is 8760 hours. "
            f"Requested retention period ({hours} hours) is too long.",
        )
    return hours


def read_events(
    reader: Reader, node: Node, where: str, declared: Declared
) -> tuple[Source, ...]:
    """A function's `events:` list (`where`: `functions.NAME.events`), each item checked
    against AWS's ranges and against what the manifest declares."""
    import yaml

    if _is_null(node):
        return ()
    if not isinstance(node, yaml.SequenceNode):
        reader.fail(node, where, "expected a list of event sources (- queue: NAME, ...)")
    seen: dict[tuple[str, str], int] = {}
    seen_keys: dict[tuple[str, str], str] = {}
    return tuple(
        _item(reader, item, f"{where}[{i}]", declared, (seen, seen_keys))
        for i, item in enumerate(node.value)
    )


def _item(
    reader: Reader,
    node: Node,
    key: str,
    declared: Declared,
    seen: tuple[dict[tuple[str, str], int], dict[tuple[str, str], str]],
) -> Source:
    every = tuple(k for kind in KINDS for k in _KEYS[kind])
    entries = reader.mapping(node, key, tuple(dict.fromkeys((*KINDS, *every))))
    kinds = [k for k in entries if k in KINDS]
    if not kinds:
        reader.fail(node, key, "an event source names its kind: " + ", ".join(KINDS))
    if len(kinds) > 1:
        reader.fail(
            entries[kinds[1]][0],
            key,
            f"one event source per list item: found {kinds[0]} and {kinds[1]}",
        )
    kind = kinds[0]
    if kind in _NESTED:
        for name, (key_node, _value) in entries.items():
            if name != kind:
                reader.fail(
                    key_node,
                    f"{key}.{name}",
                    f"unknown key '{name}'",
                    hint=f"{kind}'s settings go inside it: {kind}: {{{name}: ...}}",
                )
        options = reader.mapping(entries[kind][1], f"{key}.{kind}", _KEYS[kind])
        where = f"{key}.{kind}"
    else:
        for name, (key_node, _value) in entries.items():
            if name not in _KEYS[kind]:
                reader.fail(
                    key_node,
                    f"{key}.{name}",
                    f"unknown key '{name}' for a {kind} source",
                    hint="allowed: " + ", ".join(_KEYS[kind]),
                )
        options, where = entries, key
    return _READERS[kind](_Item(reader, node, key, where, options, declared, *seen))


@dataclass
class _Item:
    """One `events:` item being read."""

    reader: Reader
    node: Node
    key: str
    """`functions.F.events[i]`."""
    where: str
    """Where its options are: the item, or (files, sqs...) the mapping under its kind."""
    options: Entries
    declared: Declared
    seen: dict[tuple[str, str], int]
    """How many sources of each (kind, identity) came before."""
    seen_keys: dict[tuple[str, str], str]
    """Where each source was first written."""

    def at(self, name: str) -> str:
        return f"{self.where}.{name}"

    def get(self, name: str) -> Node | None:
        found = self.options.get(name)
        return None if found is None or _is_null(found[1]) else found[1]

    def integer(self, name: str, aws_field: str, low: int, high: int, default: int) -> int:
        node = self.get(name)
        if node is None:
            return default
        return self.reader.integer(node, self.at(name), aws_field, low, high)

    def boolean(self, name: str, default: bool) -> bool:
        node = self.get(name)
        return default if node is None else self.reader.boolean(node, self.at(name))

    def text(self, name: str) -> str:
        """A required name (given null: said so, as the manifest says of other strings)."""
        if name not in self.options:
            self.reader.fail(self.node, self.where, f"missing key '{name}'")
        return self.reader.text(self.options[name][1], self.at(name))

    def fail(self, name: str | None, message: str, hint: str | None = None) -> NoReturn:
        node = self.get(name) if name is not None else None
        key = self.at(name) if name is not None else self.key
        self.reader.fail(node if node is not None else self.node, key, message, hint=hint)

    def uuid(
        self, kind: str, identity: str, *, conflict: str | None = None, rule: str | None = None
    ) -> str:
        """The source's UUID. The same source twice is refused (`conflict`: AWS's message
        for it, given the first one's UUID); `rule`: what makes a source the same, when more
        than its identity (a schedule's input: the same expression twice is two rules)."""
        same = (f"{kind}!", identity if rule is None else rule)
        if same in self.seen_keys:
            first = source_uuid(self.declared.function, kind, identity, 0)
            message = f"the same {kind} source as {self.seen_keys[same]}"
            if conflict is not None:
                message = conflict.replace("{uuid}", first)
            self.reader.fail(self.node, self.key, message)
        self.seen_keys[same] = self.key
        index = self.seen.get((kind, identity), 0)
        self.seen[(kind, identity)] = index + 1
        return source_uuid(self.declared.function, kind, identity, index)


# -- each kind -------------------------------------------------------------------------------


def _queue(item: _Item) -> QueueSource:
    name = item.text("queue")
    declared = item.declared
    if name not in declared.queues:
        item.fail(
            "queue",
            f"no queue '{name}' is declared in the manifest",
            hint=f"declare it under queues: (queues: {{{name}: {{}}}})",
        )
    attributes = declared.queues[name]
    settings = _queue_settings(item, fifo=bool(attributes.get("fifo")))
    visibility = int(attributes.get("visibility_timeout", 30))  # SQS's default
    if visibility < declared.timeout:
        item.fail(
            "queue",
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
            f"{declared.timeout} seconds",
            hint="raise the queue's visibility_timeout (AWS recommends 6 times the timeout)",
        )
    arn = f"arn:aws:sqs:{declared.region}:{declared.account}:{name}"
    return QueueSource(
        uuid=item.uuid("queue", name, conflict=_sqs_conflict(arn, declared.function)),
        function=declared.function,
        queue=name,
        settings=settings,
        enabled=item.boolean("enabled", True),
    )


def _sqs(item: _Item) -> SqsSource:
    url = item.text("queue_url")
    if not _is_url(url):
        item.fail("queue_url", f"'{url}' is not an http:// or https:// queue URL")
    endpoint = _endpoint(item)
    url_region = queue_url_region(url)
    if item.get("region") is None and url_region is not None:  # AWS's URL names its region
        endpoint = Endpoint(region=url_region, url=endpoint.url)
    settings = _queue_settings(item, fifo=url.rstrip("/").endswith(".fifo"))
    return SqsSource(
        uuid=item.uuid("sqs", url, conflict=_sqs_conflict(url, item.declared.function)),
        function=item.declared.function,
        queue_url=url,
        endpoint=endpoint,
        settings=settings,
        enabled=item.boolean("enabled", True),
    )


def queue_url_region(url: str) -> str | None:
    """The region an AWS queue URL names (`https://sqs.eu-west-1.amazonaws.com/...`, or the
    legacy `https://eu-west-1.queue.amazonaws.com/...`); None for another endpoint's."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "queue.amazonaws.com":
        return "us-east-1"
    found = re.fullmatch(AWS_QUEUE_HOST, host)
    return None if found is None else found.group(1) or found.group(2)


def queue_url_arn(url: str, region: str) -> str | None:
    """The ARN a queue URL's path names (`/ACCOUNT/NAME`, as SQS makes them); None when the
    path is not that."""
    parts = urlsplit(url).path.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return f"arn:aws:sqs:{region}:{parts[0]}:{parts[1]}"


def _stream(item: _Item) -> StreamSource:
    name = item.text("stream")
    declared = item.declared
    if name not in declared.streams:
        item.fail(
            "stream",
            f"no stream '{name}' is declared in the manifest",
            hint=f"declare it under streams: (streams: {{{name}: {{shards: 1}}}})",
        )
    arn = f"arn:aws:kinesis:{declared.region}:{declared.account}:stream/{name}"
    return StreamSource(
        uuid=item.uuid("stream", name, conflict=_stream_conflict(arn, declared.function)),
        function=declared.function,
        stream=name,
        settings=_stream_settings(item, dynamodb=False),
        enabled=item.boolean("enabled", True),
    )


def _kinesis(item: _Item) -> KinesisSource:
    name = item.text("stream_name")
    problem = stream_name_problem(name)
    if problem is not None:
        item.fail("stream_name", problem)
    endpoint = _endpoint(item)
    settings = _stream_settings(item, dynamodb=False)
    identity = f"{endpoint.url or endpoint.region} {name}"
    arn = f"arn:aws:kinesis:{endpoint.region}:*:stream/{name}"
    return KinesisSource(
        uuid=item.uuid("kinesis", identity, conflict=_stream_conflict(arn, item.declared.function)),
        function=item.declared.function,
        stream_name=name,
        endpoint=endpoint,
        settings=settings,
        enabled=item.boolean("enabled", True),
    )


def _dynamodb(item: _Item) -> DynamoDBSource:
    table = item.text("table")
    if not 3 <= len(table) <= 255:
        bound = "greater than or equal to 3" if len(table) < 3 else "less than or equal to 255"
        item.fail(
            "table", validation_message(table, "tableName", f"Member must have length {bound}")
        )
    if not re.fullmatch(TABLE_NAME_PATTERN, table):
        constraint = f"Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}"
        item.fail("table", validation_message(table, "tableName", constraint))
    endpoint = _endpoint(item)
    settings = _stream_settings(item, dynamodb=True)
    identity = f"{endpoint.url or endpoint.region} {table}"
    arn = f"arn:aws:dynamodb:{endpoint.region}:*:table/{table}/stream/*"
    return DynamoDBSource(
        uuid=item.uuid(
            "dynamodb", identity, conflict=_stream_conflict(arn, item.declared.function)
        ),
        function=item.declared.function,
        table=table,
        endpoint=endpoint,
        settings=settings,
        enabled=item.boolean("enabled", True),
    )


def _schedule(item: _Item) -> ScheduleSource:
    expression = item.text("schedule")
    try:
        schedule.parse(expression)
    except schedule.ScheduleExpressionError as exc:  # AWS's message, and why
        item.fail("schedule", str(exc), hint="rate(5 minutes), or cron(0 12 * * ? *)")
    given = None
    node = item.get("input")
    if node is not None:
        given = _json(item, "input", node)
        if len(given) > SCHEDULE_INPUT_LIMIT:
            item.fail(
                "input",
                f"the input is {len(given)} characters of JSON; EventBridge takes at most "
                f"{SCHEDULE_INPUT_LIMIT}",
            )
    return ScheduleSource(
        uuid=item.uuid("schedule", expression, rule=f"{expression}\n{given}"),
        function=item.declared.function,
        expression=expression,
        input=given,
        enabled=item.boolean("enabled", True),
    )


def _files(item: _Item) -> FilesSource:
    node = item.get("path")
    if node is None:
        item.fail(None, "missing key 'path' (a directory inside the project)")
    path = item.reader.directory(node, item.at("path"))
    root = item.reader.path.parent.resolve()
    if not path.is_relative_to(root):
        item.fail(
            "path",
            f"directory '{item.reader.text(node, item.at('path'))}' is outside the project "
            f"directory ({root})",
            hint="a watched directory stays inside the project: no '..' or symlink out of it",
        )
    if path.is_relative_to(root / STATE_DIR_NAME):
        item.fail("path", f"{STATE_DIR_NAME}/ is lambdactl's own state: watch another directory")
    events: tuple[str, ...] = FILE_EVENTS
    events_node = item.get("events")
    if events_node is not None:
        events = _file_events(item, events_node)
    return FilesSource(
        uuid=item.uuid("files", str(path)),
        function=item.declared.function,
        path=path,
        events=events,
        enabled=item.boolean("enabled", True),
    )


def _file_events(item: _Item, node: Node) -> tuple[str, ...]:
    import yaml

    key = item.at("events")
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if not items:
        item.reader.fail(node, key, "empty: list created, removed or both")
    found: list[str] = []
    for i, entry in enumerate(items):
        at = f"{key}[{i}]" if isinstance(node, yaml.SequenceNode) else key
        name = item.reader.text(entry, at)
        if name not in FILE_EVENTS:
            item.reader.fail(entry, at, f"unknown file event '{name}': created or removed")
        if name in found:
            item.reader.fail(entry, at, f"'{name}' is listed twice")
        found.append(name)
    return tuple(found)


def _topic(item: _Item) -> TopicSource:
    name = item.text("topic")
    if not re.fullmatch(TOPIC_NAME_PATTERN, name):
        item.fail(
            "topic",
            "Invalid parameter: Topic Name",
            hint="letters, digits, hyphens and underscores, 1 to 256 characters (SNS's rule)",
        )
    policy = None
    node = item.get("filter_policy")
    if node is not None:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            item.fail("filter_policy", "expected a mapping (SNS's filter policy)")
        policy = _json(item, "filter_policy", node)
        try:  # refused here, with its line, rather than at each publish
            policies.compile(policy)
        except policies.InvalidParameter as exc:
            item.fail("filter_policy", exc.message)
    return TopicSource(
        uuid=item.uuid("topic", name),
        function=item.declared.function,
        topic=name,
        filter_policy=policy,
        enabled=item.boolean("enabled", True),
    )


def _http(item: _Item) -> HttpSource:
    """A route: its path (literal segments, `{name}` ones, one last greedy `{name+}`), its
    method, payload format, API and stage; no other function's route is the same."""
    path = item.text("path")
    problem = route_path_problem(path)
    if problem is not None:
        item.fail("path", problem, hint="e.g. /users/{id} or /files/{proxy+}")
    method = "ANY"
    if item.get("method") is not None:
        method = item.reader.text(item.options["method"][1], item.at("method")).upper()
        if method not in HTTP_METHODS:
            item.fail("method", f"unknown method '{method}': " + ", ".join(HTTP_METHODS))
    given = _api_type(item)
    payload = _payload(item, given)
    api_type = given or ("REST" if payload == "1.0" else "HTTP")  # always said: as SAM's
    rest = api_type == "REST"
    api = _name(item, "api", API_NAME_PATTERN)
    if api:
        _one_kind(item, api, "REST" if rest else "HTTP")
    stage = _name(item, "stage", STAGE_PATTERN, extra=() if rest else ("$default",))
    media = _media_types(item, rest)
    shape = route_shape(method, path)
    declared = item.declared
    if shape in declared.routes:
        other, where = declared.routes[shape]
        item.fail(
            "path",
            f"the route {method} {path} of function {declared.function} is also function "
            f"{other}'s ({where})",
            hint="a method and path lead to one function: change one, or use method ANY",
        )
    declared.routes[shape] = (declared.function, item.key)
    return HttpSource(
        uuid=item.uuid("http", f"{method} {path}"),
        function=declared.function,
        path=path,
        method=method,
        payload=payload,
        api_type=api_type,
        api=api,
        stage=stage,
        binary_media_types=media,
        enabled=item.boolean("enabled", True),
    )


def _one_kind(item: _Item, api: str, kind: str) -> None:
    """A named API is a REST API or an HTTP API, not both (on AWS they are two APIs, with
    two ids)."""
    known = item.declared.routes.setdefault(f"api {api}", (kind, item.key))
    if known[0] != kind:
        article = {"REST": "a", "HTTP": "an"}
        item.fail(
            "api",
            f"API '{api}' is {article[known[0]]} {known[0]} API ({known[1]}); this route is "
            f"{article[kind]} {kind} API's",
            hint="an API is one kind: name this route's API differently",
        )


def route_path_problem(path: str) -> str | None:
    """What is wrong with a route's path (as API Gateway writes them), else None."""
    if not path.startswith("/"):
        return f"a route's path starts with '/': got '{path}'"
    if path == "/":
        return None
    segments = path[1:].split("/")
    names: list[str] = []
    for i, segment in enumerate(segments):
        if not segment:
            return f"'{path}' has an empty segment (a doubled or trailing '/')"
        variable = re.fullmatch(r"\{([A-Za-z0-9._-]+)(\+?)\}", segment)
        if variable is None:
            if "{" in segment or "}" in segment:
                return f"'{segment}' in '{path}': a variable is a whole segment, {{name}}"
            continue
        name, greedy = variable.groups()
        if greedy and i != len(segments) - 1:
            return f"'{segment}' in '{path}': a greedy variable is the path's last segment"
        if name in names:
            return f"'{path}' names the variable '{name}' twice"
        names.append(name)
    return None


def _api_type(item: _Item) -> str:
    """`api_type: rest|http` (any case) as "REST" / "HTTP"; "" when not given."""
    if item.get("api_type") is None:
        return ""
    value = item.reader.text(item.options["api_type"][1], item.at("api_type"))
    if value.upper() not in API_TYPES:
        item.fail("api_type", f"unknown API type '{value}': rest or http")
    return value.upper()


def _payload(item: _Item, api_type: str) -> str:
    """The payload format: given, else 1.0 for a REST API and 2.0 otherwise. A REST API's
    Lambda proxy integration has no payload format version: it takes 1.0 only."""
    node = item.get("payload")
    if node is None:
        return "1.0" if api_type == "REST" else "2.0"
    value = item.reader.scalar(node, item.at("payload"))
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    if text not in PAYLOAD_VERSIONS:
        item.fail("payload", f"unknown payload format '{value}': \"1.0\" or \"2.0\"")
    if api_type == "REST" and text != "1.0":
        item.fail(
            "payload",
            f"a REST API takes payload \"1.0\" only, got \"{text}\"",
            hint="payload 2.0 is an HTTP API's: api_type: http",
        )
    return text


def _name(item: _Item, key: str, pattern: str, *, extra: tuple[str, ...] = ()) -> str:
    """An API's or a stage's name ("" when not given: the default)."""
    if item.get(key) is None:
        return ""
    name = item.reader.text(item.options[key][1], item.at(key))
    if name not in extra and not re.fullmatch(pattern, name):
        allowed = "letters, digits, '-' and '_'" + (f", or {extra[0]}" if extra else "")
        item.fail(key, f"'{name}' is not a {key} name: {allowed}")
    return name


def _media_types(item: _Item, rest: bool) -> tuple[str, ...]:
    import yaml

    node = item.get("binary_media_types")
    if node is None:
        return ()
    key = item.at("binary_media_types")
    if not rest:
        item.fail(
            "binary_media_types",
            "binary_media_types is a REST API's (its BinaryMediaTypes); an HTTP API "
            "receives every non-text body base64, whatever its payload format",
        )
    entries = node.value if isinstance(node, yaml.SequenceNode) else [node]
    found = []
    for i, entry in enumerate(entries):
        at = f"{key}[{i}]" if isinstance(node, yaml.SequenceNode) else key
        media = item.reader.text(entry, at)
        if not re.fullmatch(r"[\w.+*-]+/[\w.+*-]+", media):
            item.reader.fail(entry, at, f"'{media}' is not a media type (image/png, */*)")
        found.append(media.lower())
    return tuple(found)


_READERS: dict[str, Callable[[_Item], Source]] = {
    "queue": _queue,
    "stream": _stream,
    "schedule": _schedule,
    "files": _files,
    "topic": _topic,
    "sqs": _sqs,
    "kinesis": _kinesis,
    "dynamodb": _dynamodb,
    "http": _http,
}


# -- shared settings -------------------------------------------------------------------------


def _queue_settings(item: _Item, *, fifo: bool) -> QueueSettings:
    batch_size = item.integer("batch_size", "batchSize", 1, 10000, 10)
    window = item.integer("batching_window", "maximumBatchingWindowInSeconds", 0, 300, 0)
    if fifo and window > 0:
        item.fail("batching_window", FIFO_WINDOW_MESSAGE)
    if fifo and batch_size > 10:
        item.fail("batch_size", f"a FIFO queue's batch size is at most 10, got {batch_size}")
    if batch_size > 10 and window == 0:
        item.fail("batch_size", BATCH_WINDOW_MESSAGE, hint="add batching_window: 1 (or more)")
    concurrency = None
    if item.get("maximum_concurrency") is not None:
        concurrency = item.integer(
            "maximum_concurrency", "scalingConfig.maximumConcurrency", 2, 1000, 0
        )
    return QueueSettings(
        batch_size=batch_size,
        batching_window=window,
        report_batch_item_failures=item.boolean("report_batch_item_failures", False),
        maximum_concurrency=concurrency,
        filters=_filters(item, "sqs"),
    )


def _stream_settings(item: _Item, *, dynamodb: bool) -> StreamSettings:
    node = item.get("starting_position")
    if node is None:
        item.fail(
            None,
            STARTING_POSITION_NULL,
            hint="add starting_position: TRIM_HORIZON (from the oldest record) or LATEST",
        )
    position = item.reader.text(node, item.at("starting_position"))
    if position not in STARTING_POSITIONS:
        constraint = enum_constraint(STARTING_POSITIONS)
        item.fail("starting_position", validation_message(position, "startingPosition", constraint))
    if dynamodb and position == "AT_TIMESTAMP":
        item.fail(
            "starting_position",
            "Unsupported starting position for arn type: AT_TIMESTAMP is for Kinesis streams "
            "only (a DynamoDB stream starts at TRIM_HORIZON or LATEST)",
        )
    timestamp = _timestamp(item, position)
    age = item.integer("maximum_record_age", "maximumRecordAgeInSeconds", -1, 604800, -1)
    if 0 <= age < 60:
        item.fail(
            "maximum_record_age",
            f"a maximum record age is -1 (never too old) or 60 to 604800 seconds, got {age}",
        )
    return StreamSettings(
        starting_position=position,
        starting_position_timestamp=timestamp,
        batch_size=item.integer("batch_size", "batchSize", 1, 10000, 100),
        batching_window=item.integer(
            "batching_window", "maximumBatchingWindowInSeconds", 0, 300, 0
        ),
        parallelization_factor=item.integer(
            "parallelization_factor", "parallelizationFactor", 1, 10, 1
        ),
        bisect_on_error=item.boolean("bisect_on_error", False),
        maximum_retry_attempts=item.integer(
            "maximum_retry_attempts", "maximumRetryAttempts", -1, 10000, -1
        ),
        maximum_record_age=age,
        report_batch_item_failures=item.boolean("report_batch_item_failures", False),
        tumbling_window=item.integer("tumbling_window", "tumblingWindowInSeconds", 0, 900, 0),
        on_failure=_on_failure(item),
        filters=_filters(item, "dynamodb" if dynamodb else "kinesis"),
    )


def _timestamp(item: _Item, position: str) -> float | None:
    node = item.get("starting_position_timestamp")
    if node is None:
        if position == "AT_TIMESTAMP":
            item.fail(
                "starting_position",
                "AT_TIMESTAMP needs starting_position_timestamp (epoch seconds or an ISO time)",
            )
        return None
    key = item.at("starting_position_timestamp")
    if position != "AT_TIMESTAMP":
        item.fail("starting_position_timestamp", "for starting_position: AT_TIMESTAMP only")
    value = item.reader.scalar(node, key)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:  # YAML without a zone: UTC, as AWS's times are
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        item.reader.fail(node, key, "expected epoch seconds or an ISO time (2024-05-01T12:00:00Z)")
    return float(value)


def _on_failure(item: _Item) -> str | None:
    node = item.get("on_failure")
    if node is None:
        return None
    target = item.reader.destination(node, item.at("on_failure"))
    if target.kind != "queue":
        item.fail(
            "on_failure",
            "an event source mapping's on-failure destination is a queue: {queue: NAME}",
        )
    if target.name not in item.declared.queues:
        item.fail("on_failure", f"no queue '{target.name}' is declared in the manifest")
    return target.name


def _filters(item: _Item, source_kind: filters.SourceKind) -> tuple[str, ...]:
    """`filter:` a pattern (mapping) or a list of them, each as JSON text, compiled as
    CreateEventSourceMapping would (`filters.compile`, AWS's messages)."""
    import yaml

    node = item.get("filter")
    if node is None:
        return ()
    key = item.at("filter")
    listed = isinstance(node, yaml.SequenceNode)
    nodes = node.value if listed else [node]
    if len(nodes) > filters.DEFAULT_FILTER_LIMIT:
        error = filters.TooManyFilters(len(nodes), filters.DEFAULT_FILTER_LIMIT)
        item.reader.fail(node, key, error.message, hint=error.hint)
    patterns = []
    for i, entry in enumerate(nodes):
        at = f"{key}[{i}]" if listed else key
        if not isinstance(entry, yaml.MappingNode):
            item.reader.fail(
                entry, at, "expected a filter pattern (a mapping, e.g. {body: {type: [order]}})"
            )
        pattern = _json(item, at, entry, located=True)
        try:
            filters.compile(pattern, source_kind=source_kind, position=i + 1 if listed else None)
        except (filters.InvalidFilterPattern, filters.FilterPatternTooLong) as exc:
            item.reader.fail(entry, at, exc.message, hint=exc.hint)
        patterns.append(pattern)
    return tuple(patterns)


def _endpoint(item: _Item) -> Endpoint:
    url = None
    node = item.get("endpoint_url")
    if node is not None:
        url = item.reader.text(node, item.at("endpoint_url"))
        if not _is_url(url):
            item.fail("endpoint_url", f"'{url}' is not an http:// or https:// URL")
    region = item.declared.region
    region_node = item.get("region")
    if region_node is not None:
        region = item.reader.region(region_node, item.at("region"))
    return Endpoint(region=region, url=url)


def _json(item: _Item, name: str, node: Node, *, located: bool = False) -> str:
    """A YAML value as compact JSON text (refusing what JSON cannot say: times, NaN)."""
    key = name if located else item.at(name)
    value = item.reader.value(node, key)
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        item.reader.fail(node, key, f"not JSON: {exc}")


# -- AWS's messages ------------------------------------------------------------------------------


def _sqs_conflict(arn: str, function: str) -> str:
    return (
        f'An event source mapping with SQS arn (" {arn} ") and function (" {function} ") '
        "already exists. Please update or delete the existing mapping with UUID {uuid}"
    )


def _stream_conflict(arn: str, function: str) -> str:
    return (
        f'The event source arn (" {arn} ") and function (" {function} ") provided mapping already '
        "exists. Please update or delete the existing mapping with UUID {uuid}"
    )


def _is_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_null(node: Node) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


# -- sources made through the Lambda API (CreateEventSourceMapping) ----------------------------

API_KINDS = ("queue", "stream")
"""What CreateEventSourceMapping can map here: local queues and local streams (by ARN)."""
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
UNSUPPORTED_PARAMETER = "Unsupported {member} parameter for given event source mapping type."
"""AWS's message for a member the source's kind does not take (its DestinationConfig one)."""

_QUEUE_MEMBERS = frozenset(
    {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "ScalingConfig",
        "FilterCriteria",
    }
)
_STREAM_MEMBERS = frozenset(
    {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "FilterCriteria",
        "StartingPosition",
        "StartingPositionTimestamp",
        "ParallelizationFactor",
        "BisectBatchOnFunctionError",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "TumblingWindowInSeconds",
        "DestinationConfig",
    }
)
SETTING_MEMBERS = _QUEUE_MEMBERS | _STREAM_MEMBERS
"""Every request member that becomes a setting of a queue's or a stream's mapping."""
_RANGES: dict[str, tuple[str, str, int, int]] = {
    "BatchSize": ("batch_size", "batchSize", 1, 10000),
    "MaximumBatchingWindowInSeconds": (
        "batching_window",
        "maximumBatchingWindowInSeconds",
        0,
        300,
    ),
    "ParallelizationFactor": ("parallelization_factor", "parallelizationFactor", 1, 10),
    "MaximumRetryAttempts": ("maximum_retry_attempts", "maximumRetryAttempts", -1, 10000),
    "MaximumRecordAgeInSeconds": ("maximum_record_age", "maximumRecordAgeInSeconds", -1, 604800),
    "TumblingWindowInSeconds": ("tumbling_window", "tumblingWindowInSeconds", 0, 900),
}
"""Integer members: (setting, the field AWS's validation messages name, min, max)."""


def api_settings(
    kind: str,
    given: Mapping[str, Any],
    *,
    base: QueueSettings | StreamSettings | None = None,
    fifo: bool = False,
    on_failure: Callable[[str], str] | None = None,
) -> QueueSettings | StreamSettings:
    """A queue's or stream's settings from CreateEventSourceMapping's (or, with `base`, the
    changes of UpdateEventSourceMapping's) request members, by AWS's names and rules: the
    model's ranges (ValidationException), then Lambda's cross-checks
    (InvalidParameterValueException), as `_queue_settings`/`_stream_settings` check the
    manifest. `on_failure` turns an OnFailure destination ARN into a local queue's name (or
    raises). Members given as null are absent."""
    from ..errors import InvalidParameterValueException, ValidationException

    given = {k: v for k, v in given.items() if v is not None}
    allowed = _QUEUE_MEMBERS if kind == "queue" else _STREAM_MEMBERS
    for member in sorted(SETTING_MEMBERS - allowed):
        if member in given:
            raise InvalidParameterValueException(UNSUPPORTED_PARAMETER.format(member=member))
    values: dict[str, Any] = {}
    for member, (name, field_name, low, high) in _RANGES.items():
        if member in given:
            value = given[member]
            if value < low:
                constraint = f"Member must have value greater than or equal to {low}"
                raise ValidationException(validation_message(value, field_name, constraint))
            if value > high:
                constraint = f"Member must have value less than or equal to {high}"
                raise ValidationException(validation_message(value, field_name, constraint))
            values[name] = value
    if "FunctionResponseTypes" in given:
        types = given["FunctionResponseTypes"]
        for value in types:
            if value != REPORT_BATCH_ITEM_FAILURES:
                constraint = "[" + enum_constraint((REPORT_BATCH_ITEM_FAILURES,)) + "]"
                raise ValidationException(
                    validation_message(
                        "[" + ", ".join(types) + "]", "functionResponseTypes", constraint
                    )
                )
        values["report_batch_item_failures"] = bool(types)
    if "FilterCriteria" in given:
        values["filters"] = _api_filters(given["FilterCriteria"], kind)
    if "ScalingConfig" in given:
        values["maximum_concurrency"] = _api_concurrency(given["ScalingConfig"])
    if "BisectBatchOnFunctionError" in given:
        values["bisect_on_error"] = bool(given["BisectBatchOnFunctionError"])
    if "DestinationConfig" in given:
        values["on_failure"] = _api_destination(given["DestinationConfig"], on_failure)
    if kind == "queue":
        settings: QueueSettings | StreamSettings = _replace(base or QueueSettings(), values)
        _check_queue_settings(settings, fifo)  # type: ignore[arg-type]
        return settings
    if base is None:
        values.update(_api_position(given))
        settings = StreamSettings(**values)
    else:
        settings = _replace(base, values)
    return settings


def _replace(base: Any, values: Mapping[str, Any]) -> Any:
    import dataclasses

    return dataclasses.replace(base, **values)


def _check_queue_settings(settings: QueueSettings, fifo: bool) -> None:
    from ..errors import InvalidParameterValueException

    if fifo and settings.batching_window > 0:
        raise InvalidParameterValueException(FIFO_WINDOW_MESSAGE)
    if fifo and settings.batch_size > 10:
        raise InvalidParameterValueException(
            f"BatchSize {settings.batch_size} is too large for a FIFO queue: at most 10"
        )
    if settings.batch_size > 10 and settings.batching_window == 0:
        raise InvalidParameterValueException(BATCH_WINDOW_MESSAGE)


def _api_position(given: Mapping[str, Any]) -> dict[str, Any]:
    from ..errors import InvalidParameterValueException, ValidationException

    position = given.get("StartingPosition")
    if position is None:
        raise InvalidParameterValueException(STARTING_POSITION_NULL)
    if position not in STARTING_POSITIONS:
        constraint = enum_constraint(STARTING_POSITIONS)
        raise ValidationException(validation_message(position, "startingPosition", constraint))
    timestamp = given.get("StartingPositionTimestamp")
    if position == "AT_TIMESTAMP" and timestamp is None:
        raise InvalidParameterValueException(
            "StartingPositionTimestamp is required with StartingPosition AT_TIMESTAMP"
        )
    if position != "AT_TIMESTAMP" and timestamp is not None:
        raise InvalidParameterValueException(
            "StartingPositionTimestamp is taken with StartingPosition AT_TIMESTAMP only"
        )
    return {
        "starting_position": position,
        "starting_position_timestamp": None if timestamp is None else float(timestamp),
    }


def _api_filters(criteria: Mapping[str, Any], kind: str) -> tuple[str, ...]:
    from ..errors import InvalidParameterValueException

    entries = criteria.get("Filters") or []
    if len(entries) > filters.DEFAULT_FILTER_LIMIT:
        raise filters.TooManyFilters(len(entries), filters.DEFAULT_FILTER_LIMIT)
    patterns = []
    source_kind: filters.SourceKind = "sqs" if kind == "queue" else "kinesis"
    for i, entry in enumerate(entries):
        pattern = entry.get("Pattern")
        if not isinstance(pattern, str) or not pattern:
            raise InvalidParameterValueException(filters.INVALID_PATTERN)
        filters.compile(pattern, source_kind=source_kind, position=i + 1)
        patterns.append(pattern)
    return tuple(patterns)


def _api_concurrency(config: Mapping[str, Any]) -> int | None:
    from ..errors import ValidationException

    value = config.get("MaximumConcurrency")
    if value is None:
        return None
    if not 2 <= value <= 1000:
        bound = "greater than or equal to 2" if value < 2 else "less than or equal to 1000"
        raise ValidationException(
            validation_message(
                value, "scalingConfig.maximumConcurrency", f"Member must have value {bound}"
            )
        )
    return int(value)


def _api_destination(
    config: Mapping[str, Any], on_failure: Callable[[str], str] | None
) -> str | None:
    from ..errors import InvalidParameterValueException

    if config.get("OnSuccess"):
        raise InvalidParameterValueException(
            UNSUPPORTED_PARAMETER.format(member="DestinationConfig")
        )
    target = (config.get("OnFailure") or {}).get("Destination")
    if not target:
        return None
    if on_failure is None:
        raise InvalidParameterValueException(
            UNSUPPORTED_PARAMETER.format(member="DestinationConfig")
        )
    return on_failure(target)


def source_record(source: EventSource) -> dict[str, Any]:
    """A queue's or stream's source as JSON data (what the store keeps of an API-made one)."""
    import dataclasses

    data: dict[str, Any] = {"kind": source.kind}
    for item in dataclasses.fields(source):
        value = getattr(source, item.name)
        is_value = dataclasses.is_dataclass(value) and not isinstance(value, type)
        data[item.name] = dataclasses.asdict(value) if is_value else value  # type: ignore[arg-type]
    return data


def source_from_record(data: Mapping[str, Any]) -> QueueSource | StreamSource:
    """`source_record` read back (tuples are lists in JSON)."""
    values = {k: v for k, v in data.items() if k != "kind"}
    settings = dict(values.pop("settings"))
    settings["filters"] = tuple(settings.get("filters") or ())
    if data["kind"] == "queue":
        return QueueSource(settings=QueueSettings(**settings), **values)
    return StreamSource(settings=StreamSettings(**settings), **values)


def is_declared(text: str) -> bool:
    """Whether `uuid` is a manifest source's (a uuid5 of `NAMESPACE`); the API gives its
    mappings random (version 4) UUIDs, as AWS does."""
    try:
        return uuid.UUID(text).version == 5
    except ValueError:
        return False


def sqs_conflict(arn: str, function: str, uuid: str) -> str:
    """AWS's ResourceConflictException message for a second mapping of a queue."""
    return _sqs_conflict(arn, function).replace("{uuid}", uuid)


def stream_conflict(arn: str, function: str, uuid: str) -> str:
    """AWS's ResourceConflictException message for a second mapping of a stream."""
    return _stream_conflict(arn, function).replace("{uuid}", uuid)
