"""What a deploy does, worked out before any write: the manifest's desired state (with the
published versions and aliases of `.lambda/`) against the deploy state file and what AWS says
of the functions, as an ordered list of `Step`s. Pure: no I/O, no boto3.

Order (each step may refer to outputs of the ones before it, through `Ref`):
layers, queues (dead-letter queues first), streams, topics; then per function: its role, the
function, each local version not yet deployed (published in ascending order), its `$LATEST`
code and configuration, reserved concurrency, async config, aliases, URL, event source
mappings, SNS subscriptions, EventBridge schedules; last, deletions.

A version is published remotely from `$LATEST` (PublishVersion has no other way), so a version
step first brings `$LATEST` to that version's code and configuration; the `code`/`config`
steps after bring it back to the working tree's. The plan follows those moves to say which
writes are due.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import LambdactlError
from ..manifest import (
    DEPRECATED_RUNTIMES,
    QUEUE_ATTRIBUTES,
    AsyncConfig,
    Destination,
    FunctionConfig,
    FunctionSpec,
    UrlConfig,
    runtime_problem,
)
from ..sources import specs
from .state import DeployState

ACTIONS = ("create", "update", "unchanged", "skipped", "delete")
BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
"""The managed policy every generated execution role has: CloudWatch Logs."""
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
"""The trust policy of a generated execution role: Lambda may assume it."""
SQS_POLLER_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
KINESIS_POLLER_ACTIONS = (
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:ListStreams",
    "kinesis:SubscribeToShard",
)
"""What Lambda's pollers need of a function's role (AWSLambdaSQSQueueExecutionRole's and
AWSLambdaKinesisExecutionRole's actions)."""


class DeployRefused(LambdactlError):
    """The manifest holds what AWS would refuse (a deprecated runtime): nothing is written."""


@dataclass(frozen=True)
class Ref:
    """An output of an earlier step, resolved by `apply` from the state at the time:
    `Ref("queue:orders", "arn")`; `Ref("version:hello:3")` is the remote number of local
    version 3; `Ref("layer:/abs/dir@SHA")` a layer version's ARN."""

    key: str
    output: str = "arn"


@dataclass(frozen=True)
class Code:
    """A deployment package as the plan needs it: where the zip is and its CodeSha256."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class LocalVersion:
    """One published local version: its frozen code (zipped) and configuration."""

    number: str
    code: Code
    config: FunctionConfig
    layers: tuple[Path, ...]
    description: str = ""


@dataclass(frozen=True)
class LocalAlias:
    name: str
    version: str
    """A local version number, or `$LATEST`."""
    routing: Mapping[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class LocalFunction:
    spec: FunctionSpec
    code: Code
    """`$LATEST`'s package."""
    versions: tuple[LocalVersion, ...] = ()
    aliases: tuple[LocalAlias, ...] = ()


@dataclass(frozen=True)
class Desired:
    """The local side of a deploy."""

    functions: Mapping[str, LocalFunction]
    queues: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    streams: Mapping[str, specs.StreamConfig] = field(default_factory=dict)
    layers: Mapping[Path, Code] = field(default_factory=dict)
    region: str = "us-east-1"
    prefix: str = ""
    selected: tuple[str, ...] = ()
    """The functions named on the command line (empty: all)."""
    prune: bool = False


@dataclass(frozen=True)
class Remote:
    """What AWS said before planning: each remote function name's `$LATEST` CodeSha256
    (None: no such function)."""

    functions: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One resource's action: what `apply` does (`params`) and what the state records."""

    resource: str
    action: str
    reason: str
    function: str = ""
    """The local function it belongs to ("": shared: a layer, queue, stream, topic)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    digest: str = ""
    label: str = ""
    """How a person reads the resource, where its key is not that (a source's UUID)."""

    @property
    def shown(self) -> str:
        return self.label or self.resource

    @property
    def kind(self) -> str:
        return self.resource.split(":", 1)[0]

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "delete")

    def to_dict(self) -> dict[str, str]:
        return {
            "resource": self.resource,
            "action": self.action,
            "reason": self.reason,
            "function": self.function,
        }


def digest(value: Any) -> str:
    """A short, stable hash of JSON-like parameters (refs by their keys)."""
    text = json.dumps(value, sort_keys=True, default=_ref_json, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ref_json(value: Any) -> Any:
    if isinstance(value, Ref):
        return f"<{value.key}:{value.output}>"
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value))


def remote_name(desired: Desired, name: str) -> str:
    return f"{desired.prefix}{name}"


# -- the plan --------------------------------------------------------------------------------


def plan(desired: Desired, state: DeployState, remote: Remote) -> list[Step]:
    """Every step of this deploy, in order (see the module's docstring).

    Raises `DeployRefused` for a function AWS would refuse (a deprecated runtime)."""
    chosen = _chosen(desired)
    for local in chosen.values():
        _check_runtimes(local)
    steps: list[Step] = []
    steps += _layers(desired, state, chosen)
    steps += _queues(desired, state)
    steps += _streams(desired, state)
    steps += _topics(desired, state)
    for name, local in chosen.items():
        steps += _function(desired, state, remote, name, local)
    steps += _removals(desired, state, steps)
    return steps


def _chosen(desired: Desired) -> dict[str, LocalFunction]:
    unknown = [n for n in desired.selected if n not in desired.functions]
    if unknown:
        raise LambdactlError(f"no function {unknown[0]!r} in the manifest")
    if not desired.selected:
        return dict(desired.functions)
    return {n: f for n, f in desired.functions.items() if n in desired.selected}


def _check_runtimes(local: LocalFunction) -> None:
    configs = [local.spec.config] + [v.config for v in local.versions]
    for config in configs:
        if config.runtime in DEPRECATED_RUNTIMES:
            message = runtime_problem(config.runtime)
            raise DeployRefused(f"{local.spec.name}: InvalidParameterValueException: {message}")


def _compare(key: str, want: str, state: DeployState) -> tuple[str, str]:
    """create / update / unchanged, with a reason, from the state's recorded digest."""
    known = state.resource(key)
    if known is None:
        return "create", "not deployed yet"
    if known.get("digest") != want:
        return "update", "changed since the last deploy"
    return "unchanged", "as deployed"


def _step(key: str, state: DeployState, params: Mapping[str, Any], *, function: str = "") -> Step:
    want = digest(params)
    action, reason = _compare(key, want, state)
    return Step(key, action, reason, function, params, want)


# -- shared resources ------------------------------------------------------------------------


def _layers(
    desired: Desired, state: DeployState, chosen: Mapping[str, LocalFunction]
) -> list[Step]:
    used: dict[Path, None] = {}
    for local in chosen.values():
        for directory in (*local.spec.layers, *(d for v in local.versions for d in v.layers)):
            used[directory] = None
    steps = []
    for directory in used:
        code = desired.layers[directory]
        key = f"layer:{directory}@{code.sha256}"
        params = {
            "LayerName": _layer_name(desired, directory),
            "zip": str(code.path),
            "sha256": code.sha256,
            "directory": str(directory),
        }
        if code.sha256 in state.layers.get(str(directory), {}):
            steps.append(Step(key, "unchanged", "this content is published", "", params))
        else:
            steps.append(Step(key, "create", "new content: a new layer version", "", params))
    return steps


def _layer_name(desired: Desired, directory: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in directory.name)
    return f"{desired.prefix}{stem}"[:140]


def _queue_names(desired: Desired) -> list[str]:
    names = dict.fromkeys(desired.queues)
    for local in desired.functions.values():
        spec = local.spec
        for source in spec.events:
            if isinstance(source, specs.QueueSource):
                names[source.queue] = None
            if isinstance(source, specs.StreamSource) and source.settings.on_failure:
                names[source.settings.on_failure] = None
        for dest in _destinations(spec):
            if dest.kind == "queue":
                names[dest.name] = None
    # a queue's dead-letter queue first: its ARN goes in the queue's RedrivePolicy
    ordered: list[str] = []
    for name in names:
        dead = desired.queues.get(name, {}).get("dead_letter")
        if dead and dead not in ordered:
            ordered.append(str(dead))
        if name not in ordered:
            ordered.append(name)
    return ordered


def _destinations(spec: FunctionSpec) -> list[Destination]:
    found = [spec.asynchronous.on_success, spec.asynchronous.on_failure, spec.dead_letter]
    return [d for d in found if d is not None]


def queue_attributes(desired: Desired, name: str) -> dict[str, Any]:
    """CreateQueue's Attributes for a manifest queue (its non-default ones; FIFO's flags)."""
    given = desired.queues.get(name, {})
    attributes: dict[str, Any] = {}
    for key, value in given.items():
        if key not in QUEUE_ATTRIBUTES:
            continue
        aws, default, _low, _high = QUEUE_ATTRIBUTES[key]
        if value == default:
            continue
        attributes[aws] = str(value).lower() if isinstance(value, bool) else str(value)
    if "dead_letter" in given:
        attributes["RedrivePolicy"] = {
            "deadLetterTargetArn": Ref(f"queue:{given['dead_letter']}"),
            "maxReceiveCount": str(given.get("max_receive_count", 10)),
        }
    return attributes


def _queues(desired: Desired, state: DeployState) -> list[Step]:
    steps = []
    for name in _queue_names(desired):
        params = {
            "QueueName": remote_name(desired, name),
            "Attributes": queue_attributes(desired, name),
        }
        steps.append(_step(f"queue:{name}", state, params))
    return steps


def _streams(desired: Desired, state: DeployState) -> list[Step]:
    names: dict[str, specs.StreamConfig] = dict(desired.streams)
    for local in desired.functions.values():
        for source in local.spec.events:
            if isinstance(source, specs.StreamSource) and source.stream not in names:
                names[source.stream] = specs.StreamConfig()
    steps = []
    for name, config in names.items():
        params = {
            "StreamName": remote_name(desired, name),
            "ShardCount": config.shards,
            "RetentionPeriodHours": config.retention_hours,
        }
        step = _step(f"stream:{name}", state, params)
        if step.action == "update":  # resharding is not one call: say so, change nothing
            step = Step(
                step.resource,
                "skipped",
                "its shards or retention changed: not applied to an existing stream yet",
                params=params,
                digest=(state.resource(step.resource) or {}).get("digest", ""),
            )
        steps.append(step)
    return steps


def _topics(desired: Desired, state: DeployState) -> list[Step]:
    names: dict[str, None] = {}
    for local in desired.functions.values():
        for source in local.spec.events:
            if isinstance(source, specs.TopicSource):
                names[source.topic] = None
        for dest in _destinations(local.spec):
            if dest.kind == "topic":
                names[dest.name] = None
    return [_step(f"topic:{name}", state, {"Name": remote_name(desired, name)}) for name in names]


# -- one function ----------------------------------------------------------------------------


def _function(
    desired: Desired, state: DeployState, remote: Remote, name: str, local: LocalFunction
) -> list[Step]:
    spec = local.spec
    remote_fn = remote_name(desired, name)
    known = state.functions.get(name)
    steps: list[Step] = []
    role: Any = spec.config.role
    if not role:
        role_step = _role(desired, state, name, local)
        steps.append(role_step)
        role = Ref(role_step.resource)
    observed = remote.functions.get(remote_fn)
    config = configuration(desired, spec.config, spec.layers, role=role, spec=spec)
    config_digest = digest(config)
    # what the remote $LATEST holds now, followed through this plan's writes
    if observed is None:
        action, reason = "create", "not on AWS yet"
        if known is not None and known.code_sha256:
            reason = "deployed before, gone from AWS: created again"
        remote_sha, remote_config = local.code.sha256, config_digest
        deployed: Mapping[str, str] = {}
    elif known is None or not known.code_sha256:
        action, reason = "update", "on AWS, not deployed from here: taken over"
        remote_sha, remote_config, deployed = observed, "", {}
    else:
        action, reason = "unchanged", "on AWS"
        remote_sha, remote_config = observed, known.config_digest
        deployed = known.versions
    create = {
        "FunctionName": remote_fn,
        "zip": str(local.code.path),
        "sha256": local.code.sha256,
        "Architectures": list(_architectures(spec.config)),
        "config": config,
        "config_digest": config_digest,
    }
    steps.append(Step(f"function:{name}", action, reason, name, create))
    for version in local.versions:
        if version.number in deployed:
            continue
        v_config = configuration(desired, version.config, version.layers, role=role, spec=spec)
        v_digest = digest(v_config)
        moves = []
        if remote_sha != version.code.sha256:
            moves.append("its code")
        if remote_config != v_digest:
            moves.append("its configuration")
        why = f"local version {version.number} not deployed"
        if moves:
            why += f" ($LATEST takes {' and '.join(moves)} first)"
        params = {
            "FunctionName": remote_fn,
            "local": version.number,
            "zip": str(version.code.path),
            "sha256": version.code.sha256,
            "Architectures": list(_architectures(version.config)),
            "config": v_config,
            "config_digest": v_digest,
            "Description": version.description,
        }
        steps.append(Step(f"version:{name}:{version.number}", "create", why, name, params))
        remote_sha, remote_config = version.code.sha256, v_digest
    code = {
        "FunctionName": remote_fn,
        "zip": str(local.code.path),
        "sha256": local.code.sha256,
        "Architectures": list(_architectures(spec.config)),
    }
    if remote_sha == local.code.sha256:
        steps.append(Step(f"code:{name}", "unchanged", "same CodeSha256", name, code))
    else:
        steps.append(Step(f"code:{name}", "update", "the code changed", name, code))
    configured = {"FunctionName": remote_fn, "config": config, "config_digest": config_digest}
    if remote_config == config_digest:
        steps.append(Step(f"config:{name}", "unchanged", "as deployed", name, configured))
    else:
        why = "the configuration changed"
        steps.append(Step(f"config:{name}", "update", why, name, configured))
    steps += _extras(desired, state, name, local)
    return steps


def _architectures(config: FunctionConfig) -> tuple[str, ...]:
    return config.architectures or ("x86_64",)


def configuration(
    desired: Desired,
    config: FunctionConfig,
    layers: Sequence[Path],
    *,
    role: Any,
    spec: FunctionSpec,
) -> dict[str, Any]:
    """UpdateFunctionConfiguration's parameters (CreateFunction takes them too)."""
    params: dict[str, Any] = {
        "Role": role,
        "Runtime": config.runtime,
        "Handler": config.handler,
        "MemorySize": config.memory,
        "Timeout": config.timeout,
        "Environment": {"Variables": dict(config.environment)},
        "Description": config.description,
        "EphemeralStorage": {"Size": config.ephemeral_storage},
        "TracingConfig": {"Mode": config.tracing},
        "Layers": [Ref(f"layer:{d}@{desired.layers[d].sha256}") for d in layers],
    }
    logging = {"LogFormat": config.logging.format}
    if config.logging.json:
        logging["ApplicationLogLevel"] = config.logging.application_level
        logging["SystemLogLevel"] = config.logging.system_level
    params["LoggingConfig"] = logging
    if spec.dead_letter is not None:
        params["DeadLetterConfig"] = {"TargetArn": _destination_ref(spec.dead_letter)}
    else:
        params["DeadLetterConfig"] = {}
    return params


def _destination_ref(destination: Destination) -> Ref:
    return Ref(f"{destination.kind}:{destination.name}")


def role_name(desired: Desired, name: str) -> str:
    """A generated execution role's name (IAM allows 64 characters)."""
    return f"{desired.prefix}{name}-role"[:64]


def _role(desired: Desired, state: DeployState, name: str, local: LocalFunction) -> Step:
    statements = _role_statements(desired, local)
    params = {
        "RoleName": role_name(desired, name),
        "AssumeRolePolicyDocument": LAMBDA_TRUST,
        "ManagedPolicy": BASIC_EXECUTION_POLICY,
        "Statements": statements,
    }
    return _step(f"role:{name}", state, params, function=name)


def _role_statements(desired: Desired, local: LocalFunction) -> list[dict[str, Any]]:
    """What the function's sources and destinations need beyond logging."""
    region = desired.region
    statements: list[dict[str, Any]] = []

    def allow(actions: Iterable[str], resource: str) -> None:
        statements.append({"Effect": "Allow", "Action": sorted(actions), "Resource": resource})

    def queue_arn(queue: str) -> str:
        return f"arn:aws:sqs:{region}:*:{remote_name(desired, queue)}"

    spec = local.spec
    for source in spec.events:
        if isinstance(source, specs.QueueSource):
            allow(SQS_POLLER_ACTIONS, queue_arn(source.queue))
        elif isinstance(source, specs.SqsSource):
            arn = specs.queue_url_arn(source.queue_url, source.endpoint.region)
            allow(SQS_POLLER_ACTIONS, arn or "*")
        elif isinstance(source, specs.StreamSource):
            stream = remote_name(desired, source.stream)
            allow(KINESIS_POLLER_ACTIONS, f"arn:aws:kinesis:{region}:*:stream/{stream}")
            if source.settings.on_failure:
                allow(("sqs:SendMessage",), queue_arn(source.settings.on_failure))
    for dest in _destinations(spec):
        target = remote_name(desired, dest.name)
        if dest.kind == "queue":
            allow(("sqs:SendMessage",), queue_arn(dest.name))
        elif dest.kind == "topic":
            allow(("sns:Publish",), f"arn:aws:sns:{region}:*:{target}")
        else:
            allow(("lambda:InvokeFunction",), f"arn:aws:lambda:{region}:*:function:{target}")
    return statements


def _extras(desired: Desired, state: DeployState, name: str, local: LocalFunction) -> list[Step]:
    spec = local.spec
    fn = remote_name(desired, name)
    steps: list[Step] = []
    key = f"concurrency:{name}"
    if spec.reserved_concurrency is not None:
        params = {"FunctionName": fn, "ReservedConcurrentExecutions": spec.reserved_concurrency}
        steps.append(_step(key, state, params, function=name))
    async_params = event_invoke_config(fn, spec.asynchronous)
    if async_params is not None:
        steps.append(_step(f"async:{name}", state, async_params, function=name))
    for alias in local.aliases:
        params = {
            "FunctionName": fn,
            "Name": alias.name,
            "FunctionVersion": _version_ref(name, alias.version),
            "Description": alias.description,
            "RoutingConfig": {
                "AdditionalVersionWeights": {
                    _version_key(name, v): w for v, w in sorted(alias.routing.items())
                }
            },
        }
        steps.append(_step(f"alias:{name}:{alias.name}", state, params, function=name))
    if spec.url is not None:
        steps.append(_step(f"url:{name}", state, url_params(fn, spec.url), function=name))
    for source in spec.events:
        steps.append(_source(desired, state, name, fn, source))
    return steps


def _version_ref(name: str, version: str) -> Any:
    return version if version == "$LATEST" else Ref(f"version:{name}:{version}", "version")


def _version_key(name: str, version: str) -> str:
    """A routing weight's key: resolved by `apply` (`version:NAME:N`)."""
    return f"version:{name}:{version}"


def event_invoke_config(function: str, config: AsyncConfig) -> dict[str, Any] | None:
    """PutFunctionEventInvokeConfig's parameters; None when all are AWS's defaults."""
    default = AsyncConfig()
    same = (
        config.maximum_retry_attempts == default.maximum_retry_attempts
        and config.maximum_event_age == default.maximum_event_age
        and config.on_success is None
        and config.on_failure is None
    )
    if same:
        return None
    destinations: dict[str, Any] = {}
    if config.on_success is not None:
        destinations["OnSuccess"] = {"Destination": _destination_ref(config.on_success)}
    if config.on_failure is not None:
        destinations["OnFailure"] = {"Destination": _destination_ref(config.on_failure)}
    return {
        "FunctionName": function,
        "MaximumRetryAttempts": config.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": config.maximum_event_age,
        "DestinationConfig": destinations,
    }


def url_params(function: str, url: UrlConfig) -> dict[str, Any]:
    """Create/UpdateFunctionUrlConfig's parameters."""
    params: dict[str, Any] = {
        "FunctionName": function,
        "AuthType": url.auth,
        "InvokeMode": url.invoke_mode,
    }
    if url.qualifier:
        params["Qualifier"] = url.qualifier
    if url.cors is not None:
        cors: dict[str, Any] = {"AllowCredentials": url.cors.allow_credentials}
        for key, aws in (
            ("allow_origins", "AllowOrigins"),
            ("allow_methods", "AllowMethods"),
            ("allow_headers", "AllowHeaders"),
            ("expose_headers", "ExposeHeaders"),
        ):
            if getattr(url.cors, key):
                cors[aws] = list(getattr(url.cors, key))
        if url.cors.max_age is not None:
            cors["MaxAge"] = url.cors.max_age
        params["Cors"] = cors
    return params


def _source(desired: Desired, state: DeployState, name: str, fn: str, source: specs.Source) -> Step:
    step = _source_step(desired, state, name, fn, source)
    identity = source.identity
    if isinstance(source, specs.FilesSource):
        identity = Path(identity).name
    elif isinstance(source, specs.HttpSource):
        identity = f"{source.method} {source.path}"
    return replace(step, label=f"{step.kind}:{name}:{identity}")


def _source_step(
    desired: Desired, state: DeployState, name: str, fn: str, source: specs.Source
) -> Step:
    key = f"{source.kind}:{name}:{source.uuid}"
    if isinstance(source, specs.FilesSource):
        reason = "a watched directory has no AWS counterpart (S3 notifications are not deployed)"
        return Step(key, "skipped", reason, name)
    if isinstance(source, specs.HttpSource):
        reason = f"{source.method} {source.path}: API Gateway is not deployed yet"
        return Step(key, "skipped", reason, name)
    if isinstance(source, (specs.KinesisSource, specs.DynamoDBSource)):
        reason = "a stream of another endpoint: map it on AWS by its ARN (not deployed yet)"
        return Step(key, "skipped", reason, name)
    if isinstance(source, specs.ScheduleSource):
        params: dict[str, Any] = {
            "Name": f"{fn}-{source.uuid[:8]}"[:64],
            "ScheduleExpression": source.expression,
            "State": "ENABLED" if source.enabled else "DISABLED",
            "FunctionName": fn,
            "Function": Ref(f"function:{name}"),
        }
        if source.input is not None:
            params["Input"] = source.input
        return _step(f"schedule:{name}:{source.uuid}", state, params, function=name)
    if isinstance(source, specs.TopicSource):
        params = {
            "Topic": Ref(f"topic:{source.topic}"),
            "Function": Ref(f"function:{name}"),
            "FunctionName": fn,
            "FilterPolicy": source.filter_policy,
        }
        return _step(f"subscription:{name}:{source.uuid}", state, params, function=name)
    return _step(f"mapping:{name}:{source.uuid}", state, mapping_params(fn, source), function=name)


def mapping_params(function: str, source: specs.Source) -> dict[str, Any]:
    """CreateEventSourceMapping's parameters for a queue or stream source."""
    params: dict[str, Any] = {"FunctionName": function, "Enabled": source.enabled}
    if isinstance(source, (specs.QueueSource, specs.SqsSource)):
        q = source.settings
        if isinstance(source, specs.QueueSource):
            params["EventSourceArn"] = Ref(f"queue:{source.queue}")
        else:
            arn = specs.queue_url_arn(source.queue_url, source.endpoint.region)
            params["EventSourceArn"] = arn or source.queue_url
        params["BatchSize"] = q.batch_size
        params["MaximumBatchingWindowInSeconds"] = q.batching_window
        if q.report_batch_item_failures:
            params["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if q.maximum_concurrency is not None:
            params["ScalingConfig"] = {"MaximumConcurrency": q.maximum_concurrency}
        filters = q.filters
    else:
        assert isinstance(source, specs.StreamSource)
        s = source.settings
        params["EventSourceArn"] = Ref(f"stream:{source.stream}")
        params["StartingPosition"] = s.starting_position
        if s.starting_position_timestamp is not None:
            params["StartingPositionTimestamp"] = s.starting_position_timestamp
        params["BatchSize"] = s.batch_size
        params["MaximumBatchingWindowInSeconds"] = s.batching_window
        params["ParallelizationFactor"] = s.parallelization_factor
        params["BisectBatchOnFunctionError"] = s.bisect_on_error
        params["MaximumRetryAttempts"] = s.maximum_retry_attempts
        params["MaximumRecordAgeInSeconds"] = s.maximum_record_age
        if s.tumbling_window:
            params["TumblingWindowInSeconds"] = s.tumbling_window
        if s.report_batch_item_failures:
            params["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if s.on_failure:
            params["DestinationConfig"] = {
                "OnFailure": {"Destination": Ref(f"queue:{s.on_failure}")}
            }
        filters = s.filters
    if filters:
        params["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in filters]}
    return params


# -- removals --------------------------------------------------------------------------------

REMOVAL_ORDER = (
    "mapping",
    "subscription",
    "schedule",
    "url",
    "alias",
    "async",
    "concurrency",
    "function",
    "role",
    "queue",
    "stream",
    "topic",
)
"""Deletions run dependents first: a mapping before its function, a function before its role."""


def _removals(desired: Desired, state: DeployState, steps: list[Step]) -> list[Step]:
    planned = {s.resource for s in steps}
    removals: list[Step] = []
    gone = [n for n in state.functions if n not in desired.functions]
    for name in gone:
        fn = state.functions[name].name
        if desired.selected:
            continue
        if desired.prune:
            reason = "gone from the manifest (--prune)"
            removals.append(Step(f"function:{name}", "delete", reason, name, {"FunctionName": fn}))
        else:
            reason = "deployed before, gone from the manifest: --prune deletes it"
            removals.append(Step(f"function:{name}", "skipped", reason, name, {"FunctionName": fn}))
    for key, entry in state.resources.items():
        if key in planned:
            continue
        owner = str(entry.get("function", ""))
        if owner and owner in desired.functions:
            if desired.selected and owner not in desired.selected:
                continue
            reason = "gone from the manifest"
        elif owner:
            if not desired.prune or desired.selected:
                continue
            reason = "its function is pruned"
        else:
            if desired.selected:
                continue
            if not desired.prune:
                reason = "gone from the manifest: --prune deletes it"
                removals.append(Step(key, "skipped", reason, owner))
                continue
            reason = "gone from the manifest (--prune)"
        removals.append(Step(key, "delete", reason, owner, dict(entry)))
    return sorted(removals, key=lambda s: REMOVAL_ORDER.index(s.kind))


def summary(steps: Sequence[Step]) -> dict[str, int]:
    """How many steps of each action."""
    counts = dict.fromkeys(ACTIONS, 0)
    for step in steps:
        counts[step.action] += 1
    return counts
