"""The manifest as an AWS SAM template (`lambdactl export sam`): the same functions, layers,
queues, streams, topics and event sources, as `sam deploy` would create them.

Rules, so that the template means what the manifest means:
- A function is an `AWS::Serverless::Function` named by `FunctionName` (its logical ID is a
  CloudFormation-valid form of the name plus `Function`), with an `AWS::IAM::Role` of its own:
  AWSLambdaBasicExecutionRole plus what its sources and destinations need, each statement on
  that one resource (SAM adds none itself once `Role:` is given). A function whose
  configuration names a role keeps that ARN and gets no role.
- Paths (`CodeUri`, a layer's `ContentUri`) are relative to the template's directory.
- Values equal to AWS's defaults are left out, except a function's Runtime, Handler,
  MemorySize and Timeout, which are always written.
- One alias pointing to the newest published version becomes `AutoPublishAlias` (SAM publishes
  a version at each deploy and points the alias to it); a project read from a template keeps
  the template's own. Every other alias is a note: a
  template cannot make an older version's code again (an `AWS::Lambda::Version` snapshots
  whatever the function is at deploy time), so an alias to version 1 would silently point at
  the new code.
- What a template cannot say (a disabled topic, file or HTTP source; a URL on another alias;
  an alias to an older version; a function a template gave that cannot run here, whose code
  the manifest does not have) is left out with a note, kept in the template itself
  (`Metadata.Lambdactl.Notes`, where CloudFormation lets tools keep data) so that the YAML and
  the JSON say the same.
- Output is deterministic: the same manifest and published state give byte-identical text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..manifest import AsyncConfig, Destination, FunctionSpec, LoggingConfig, Manifest
from ..sources import specs

TRANSFORM = "AWS::Serverless-2016-10-31"
FORMAT_VERSION = "2010-09-09"
BASIC_EXECUTION_POLICY = (
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)
"""What every Lambda execution role needs: writing its own logs."""

FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
"""A function's ARN before its name (and `:qualifier`), as CloudFormation will make it."""

QUEUE_READ = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
)
"""What Lambda's SQS poller does with the function's role (AWSLambdaSQSQueueExecutionRole)."""
KINESIS_READ = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
)
"""Lambda's Kinesis poller's actions, on the stream (AWS's "Execution role permissions")."""
DYNAMODB_READ = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
"""Lambda's DynamoDB Streams poller's actions (AWSLambdaDynamoDBExecutionRole)."""

CREATE_BLOCKED = {
    "python3.6": "2022-07-18",
    "python3.7": "2024-01-09",
    "python3.8": "2026-06-01",
    "python3.9": "2026-06-01",
    "python3.10": "2026-07-31",
    "python3.11": "2026-07-31",
    "nodejs20.x": "2026-06-01",
    "provided": "2024-02-08",
    "provided.al2": "2026-07-31",
}
"""Runtimes lambdactl runs (the deprecated ones only from a SAM template) that AWS's
deprecation schedule stops taking for new functions, from that day (AWS's runtime table, as
cfn-lint's rule E2533 carries it): a template using one fails to deploy then, so the export
says so (and keeps the runtime: it is what runs)."""

FILE_EVENTS = {"created": "s3:ObjectCreated:*", "removed": "s3:ObjectRemoved:*"}
"""A watched directory's events as S3 notification types: a file appearing (by any write) or
disappearing, whatever S3 call would have made it so."""


# -- CloudFormation's intrinsic functions, written as short tags ---------------------------------


@dataclass(frozen=True)
class Ref:
    """`!Ref NAME`."""

    name: str


@dataclass(frozen=True)
class GetAtt:
    """`!GetAtt RESOURCE.ATTRIBUTE`."""

    resource: str
    attribute: str = "Arn"


@dataclass(frozen=True)
class Sub:
    """`!Sub TEXT`."""

    text: str


# -- what the caller hands in ------------------------------------------------------------------


@dataclass(frozen=True)
class AliasPointer:
    """One alias of a function as the project keeps it."""

    name: str
    version: str
    routing: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """A function's published state: its newest version (None: none published) and aliases."""

    newest: str | None = None
    aliases: tuple[AliasPointer, ...] = ()


@dataclass(frozen=True)
class Template:
    """The exported template: the document (with `Ref`/`GetAtt`/`Sub` values), what could not
    be exported (`notes`), and the header naming where it came from."""

    body: Mapping[str, Any]
    notes: tuple[str, ...]
    header: tuple[str, ...]

    @property
    def functions(self) -> int:
        return sum(1 for r in self.body["Resources"].values() if r["Type"] == FUNCTION)

    @property
    def resources(self) -> int:
        return len(self.body["Resources"])


FUNCTION = "AWS::Serverless::Function"


def template(
    manifest: Manifest,
    *,
    directory: Path,
    published: Mapping[str, Published] | None = None,
    version: str = "",
) -> Template:
    """The SAM template of `manifest`, its paths relative to `directory` (where the template
    is written); `published` by function name; `version`: lambdactl's, for the header."""
    writer = _Writer(manifest, directory.resolve(), published or {})
    body = writer.document()
    source = _relative(manifest.path, writer.directory)
    header = (
        f"AWS SAM template written by lambdactl {version}".rstrip() + f" from {source}.",
        "Regenerate it with `lambdactl export sam`; edits here are not read back into",
        f"{manifest.path.name}.",
    )
    return Template(body=body, notes=tuple(writer.notes), header=header)


def yaml_text(exported: Template) -> str:
    """The template as YAML, intrinsic functions as short tags, under a header comment."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Ref, lambda d, v: d.represent_scalar("!Ref", v.name))
    Dumper.add_representer(
        GetAtt, lambda d, v: d.represent_scalar("!GetAtt", f"{v.resource}.{v.attribute}")
    )
    Dumper.add_representer(Sub, lambda d, v: d.represent_scalar("!Sub", v.text))
    Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]
    Dumper.choose_scalar_style = _plain_tags  # type: ignore[method-assign,assignment]
    text = yaml.dump(
        _plain_mappings(exported.body),
        Dumper=Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100000,
    )
    return "".join(f"# {line}\n" for line in exported.header) + text


_SHORT_TAGS = ("!Ref", "!GetAtt", "!Sub")


def _plain_tags(emitter: Any) -> str:
    """`!GetAtt Queue.Arn` as people write it: PyYAML quotes every scalar with a tag of its
    own (`!GetAtt 'Queue.Arn'`), though a plain one reads back the same."""
    import yaml

    style: str = yaml.emitter.Emitter.choose_scalar_style(emitter)
    event = emitter.event
    if style == "'" and event.tag in _SHORT_TAGS and not event.style:
        analysis = emitter.analysis or emitter.analyze_scalar(event.value)
        if analysis.allow_block_plain and not analysis.multiline and not analysis.empty:
            return ""
    return style


def json_text(exported: Template) -> str:
    """The template as JSON (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`, `{"Fn::Sub": ...}`)."""
    return json.dumps(as_json(exported.body), indent=4, ensure_ascii=False) + "\n"


def as_json(value: Any) -> Any:
    """The document as plain JSON data, intrinsic functions in their long form."""
    if isinstance(value, Ref):
        return {"Ref": value.name}
    if isinstance(value, GetAtt):
        return {"Fn::GetAtt": [value.resource, value.attribute]}
    if isinstance(value, Sub):
        return {"Fn::Sub": value.text}
    if isinstance(value, Mapping):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value


def logical_id(name: str, suffix: str = "") -> str:
    """A CloudFormation logical ID (letters and digits) for a lambdactl name: `order-sync`
    -> `OrderSync` + suffix."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) + suffix or "Resource"


# -- the writer ------------------------------------------------------------------------------


def _plain_mappings(value: Any) -> Any:
    """Mappings as dicts, tuples as lists: what the YAML dumper represents as such."""
    if isinstance(value, Mapping):
        return {key: _plain_mappings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_mappings(item) for item in value]
    return value


def _relative(path: Path, directory: Path) -> str:
    return Path(os.path.relpath(path, directory)).as_posix()


class _Ids:
    """Unique logical IDs, given out in the order asked (so the same input gives the same)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def exact(self, name: str) -> str:
        """`name` itself, valid and not taken."""
        self.taken.add(name)
        return name

    def new(self, name: str, suffix: str = "") -> str:
        base = logical_id(name, suffix)
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}{n}"
        self.taken.add(candidate)
        return candidate


@dataclass
class _Api:
    """An explicit API resource the routes share: REST (`Api`) or HTTP (`HttpApi`)."""

    id: str
    rest: bool
    name: str
    stage: str
    binary_media_types: list[str] = field(default_factory=list)


class _Writer:
    def __init__(
        self, manifest: Manifest, directory: Path, published: Mapping[str, Published]
    ) -> None:
        self.manifest = manifest
        self.directory = directory
        self.published = published
        self.notes: list[str] = []
        self.ids = _Ids()
        self.parameters: dict[str, Any] = {}
        self.exported = {
            name: spec for name, spec in manifest.functions.items() if not spec.unavailable
        }
        """The functions that can be exported: not one a template gave that cannot run here
        (its code in S3, an image...: what the template said of it is not in the manifest)."""
        self.functions = {name: self.ids.new(name, "Function") for name in self.exported}
        self.roles = {
            name: self.ids.new(name, "FunctionRole")
            for name, spec in self.exported.items()
            if not spec.config.role
        }
        self.layers: dict[Path, str] = {}
        for spec in self.exported.values():
            for layer in spec.layers:
                if layer not in self.layers:
                    self.layers[layer] = self.ids.new(layer.name, "Layer")
        self.queues = {name: self.ids.new(name, "Queue") for name in manifest.queues}
        self.streams = {name: self.ids.new(name, "Stream") for name in manifest.streams}
        self.topics: dict[str, str] = {}
        self.buckets: dict[Path, str] = {}
        self.apis: dict[tuple[bool, str, str], _Api] = {}
        for spec in self.exported.values():
            for target in _destinations(spec):
                if target.kind == "topic" and target.name not in self.topics:
                    self.topics[target.name] = self.ids.new(target.name, "Topic")
            for source in spec.events:
                self.prepare(source)

    def prepare(self, source: Any) -> None:
        """Give the shared resources a source needs their IDs, in the sources' order."""
        if isinstance(source, specs.TopicSource) and source.topic not in self.topics:
            self.topics[source.topic] = self.ids.new(source.topic, "Topic")
        elif isinstance(source, specs.FilesSource) and source.path not in self.buckets:
            self.buckets[source.path] = self.ids.new(self.relative(source.path), "Bucket")
        elif isinstance(source, specs.HttpSource) and source.enabled:
            rest = _is_rest(source)
            key = (rest, source.api, source.stage)
            explicit = (
                source.api
                or source.stage not in ("", "$default")
                or (rest and source.binary_media_types)
            )
            if explicit and key not in self.apis:
                base = source.api or ("Rest" if rest else "Http")
                stage = source.stage if source.stage not in ("", "$default") else ""
                if re.fullmatch("[A-Za-z0-9]+", source.api) and source.api not in self.ids.taken:
                    # The API's name as its logical ID: a route's API read back from the
                    # template is its API's logical ID (the apiId), so it stays the same.
                    api_id = self.ids.exact(source.api)
                else:
                    api_id = self.ids.new(f"{base} {stage}", "Api")
                self.apis[key] = _Api(api_id, rest, source.api, stage or ("Prod" if rest else ""))
            if key in self.apis:
                api = self.apis[key]
                for media in source.binary_media_types:
                    if media not in api.binary_media_types:
                        api.binary_media_types.append(media)

    def relative(self, path: Path) -> str:
        return _relative(path, self.directory)

    # -- the document --------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        resources: dict[str, Any] = {}
        self.note_runtimes()
        for name, spec in self.manifest.functions.items():
            if spec.unavailable:
                self.notes.append(f"{name}: not exported: {spec.unavailable}")
        for name, spec in self.exported.items():
            resources[self.functions[name]] = self.function(spec)
            if name in self.roles:
                resources[self.roles[name]] = self.role(spec)
        for path, layer_id in self.layers.items():
            resources[layer_id] = self.layer(path)
        for name, queue_id in self.queues.items():
            resources[queue_id] = self.queue(name)
        for name, stream_id in self.streams.items():
            config = self.manifest.streams[name]
            properties = {"Name": name, "ShardCount": config.shards}
            properties["RetentionPeriodHours"] = config.retention_hours
            resources[stream_id] = {"Type": "AWS::Kinesis::Stream", "Properties": properties}
        for name, topic_id in self.topics.items():
            resources[topic_id] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}
        for path, bucket_id in self.buckets.items():
            resources[bucket_id] = {
                "Type": "AWS::S3::Bucket",
                "Metadata": {"Lambdactl": {"Directory": self.relative(path)}},
            }
        for api in self.apis.values():
            resources[api.id] = self.api(api)
        document: dict[str, Any] = {
            "AWSTemplateFormatVersion": FORMAT_VERSION,
            "Transform": TRANSFORM,
            "Description": f"lambdactl: the functions of {self.manifest.path.name}",
        }
        if self.notes:
            document["Metadata"] = {"Lambdactl": {"Notes": list(self.notes)}}
        if self.parameters:
            document["Parameters"] = self.parameters
        document["Resources"] = resources
        return document

    def function(self, spec: FunctionSpec) -> dict[str, Any]:
        config = spec.config
        properties: dict[str, Any] = {
            "FunctionName": spec.name,
            "CodeUri": self.relative(spec.code),
            "Handler": config.handler,
            "Runtime": config.runtime,
            "MemorySize": config.memory,
            "Timeout": config.timeout,
        }
        if config.description:
            properties["Description"] = config.description
        if config.environment:
            properties["Environment"] = {"Variables": dict(config.environment)}
        if config.architectures:
            properties["Architectures"] = list(config.architectures)
        if config.ephemeral_storage != 512:
            properties["EphemeralStorage"] = {"Size": config.ephemeral_storage}
        if config.tracing != "PassThrough":
            properties["Tracing"] = config.tracing
        if config.kms_key_arn:
            properties["KmsKeyArn"] = config.kms_key_arn
        if config.logging != LoggingConfig():
            properties["LoggingConfig"] = _logging(config.logging)
        if spec.layers:
            properties["Layers"] = [Ref(self.layers[path]) for path in spec.layers]
        if spec.reserved_concurrency is not None:
            properties["ReservedConcurrentExecutions"] = spec.reserved_concurrency
        properties["Role"] = config.role or GetAtt(self.roles[spec.name])
        invoke_config = self.event_invoke(spec.asynchronous)
        if invoke_config:
            properties["EventInvokeConfig"] = invoke_config
        if spec.dead_letter is not None:
            properties["DeadLetterQueue"] = {
                "Type": "SQS",
                "TargetArn": self.destination_arn(spec.dead_letter),
            }
        alias = self.auto_alias(spec)
        if alias is not None:
            properties["AutoPublishAlias"] = alias
        if spec.url is not None:
            properties["FunctionUrlConfig"] = self.url(spec, alias)
        events = self.events(spec)
        if events:
            properties["Events"] = events
        return {"Type": FUNCTION, "Properties": properties}

    def event_invoke(self, config: AsyncConfig) -> dict[str, Any]:
        default = AsyncConfig()
        found: dict[str, Any] = {}
        if config.maximum_retry_attempts != default.maximum_retry_attempts:
            found["MaximumRetryAttempts"] = config.maximum_retry_attempts
        if config.maximum_event_age != default.maximum_event_age:
            found["MaximumEventAgeInSeconds"] = config.maximum_event_age
        targets = {"OnSuccess": config.on_success, "OnFailure": config.on_failure}
        destinations = {
            key: {"Type": _DESTINATION_TYPES[t.kind], "Destination": self.destination_arn(t)}
            for key, t in targets.items()
            if t is not None
        }
        if destinations:
            found["DestinationConfig"] = destinations
        return found

    def destination_arn(self, target: Destination) -> Any:
        if target.kind == "queue":
            return GetAtt(self.queues[target.name])
        if target.kind == "topic":
            return Ref(self.topics[target.name])
        name, _, qualifier = target.name.partition(":")
        if name not in self.functions:  # not exported: named by its ARN
            return Sub(FUNCTION_ARN + target.name)
        if qualifier:
            return Sub(f"${{{self.functions[name]}.Arn}}:{qualifier}")
        return GetAtt(self.functions[name])

    def auto_alias(self, spec: FunctionSpec) -> str | None:
        """The template's own AutoPublishAlias (a function read from one), else the alias that
        tracks the newest version (the first by name if several), if any; the others become
        notes."""
        published = self.published.get(spec.name, Published())
        tracking = sorted(
            a.name
            for a in published.aliases
            if published.newest is not None and a.version == published.newest and not a.routing
        )
        chosen = spec.auto_publish_alias or (tracking[0] if tracking else None)
        for alias in sorted(published.aliases, key=lambda a: a.name):
            if alias.name == chosen:
                continue
            routing = "".join(f" (+{w:.0%} to version {v})" for v, w in alias.routing.items())
            self.notes.append(
                f"{spec.name}: alias '{alias.name}' -> version {alias.version}{routing}: a "
                "template publishes one version per deploy (AutoPublishAlias"
                + (f" '{chosen}'" if chosen else "")
                + "), it cannot remake an older one; create this alias after deploying"
            )
        return chosen

    def url(self, spec: FunctionSpec, alias: str | None) -> dict[str, Any]:
        url = spec.url
        assert url is not None
        config: dict[str, Any] = {"AuthType": url.auth}
        if url.cors is not None:
            cors = url.cors
            values: dict[str, Any] = {}
            for key, name in (
                ("allow_origins", "AllowOrigins"),
                ("allow_methods", "AllowMethods"),
                ("allow_headers", "AllowHeaders"),
                ("expose_headers", "ExposeHeaders"),
            ):
                if getattr(cors, key):
                    values[name] = list(getattr(cors, key))
            if cors.allow_credentials:
                values["AllowCredentials"] = True
            if cors.max_age is not None:
                values["MaxAge"] = cors.max_age
            config["Cors"] = values
        if url.invoke_mode != "BUFFERED":
            config["InvokeMode"] = url.invoke_mode
        if url.qualifier != alias:
            where = f"alias '{url.qualifier}'" if url.qualifier else "$LATEST"
            given = f"the alias '{alias}'" if alias else "the unqualified function"
            self.notes.append(
                f"{spec.name}: the function URL invokes {where} here; SAM attaches it to {given}"
            )
        return config

    def role(self, spec: FunctionSpec) -> dict[str, Any]:
        statements = self.statements(spec)
        properties: dict[str, Any] = {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [Sub(BASIC_EXECUTION_POLICY)],
        }
        if statements:
            properties["Policies"] = [
                {
                    "PolicyName": "sources-and-destinations",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ]
        return {"Type": "AWS::IAM::Role", "Properties": properties}

    def statements(self, spec: FunctionSpec) -> list[dict[str, Any]]:
        """What the function's role must allow: reading its sources, sending to its
        destinations. A function is named by an ARN built from its name, not `!GetAtt`, so two
        functions that are each other's destination make no dependency cycle."""
        found: list[dict[str, Any]] = []

        def allow(actions: Iterable[str], resource: Any) -> None:
            statement = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
            if statement not in found:
                found.append(statement)

        for source in spec.events:
            if isinstance(source, specs.QueueSource):
                allow(QUEUE_READ, GetAtt(self.queues[source.queue]))
            elif isinstance(source, specs.SqsSource):
                arn = _sqs_arn(source)
                if arn is not None:
                    allow(QUEUE_READ, arn)
            elif isinstance(source, (specs.StreamSource, specs.KinesisSource)):
                allow(KINESIS_READ, self.stream_arn(source))
            elif isinstance(source, specs.DynamoDBSource):
                allow(DYNAMODB_READ, Ref(self.table_parameter(source)))
            settings = getattr(source, "settings", None)
            if isinstance(settings, specs.StreamSettings) and settings.on_failure:
                allow(("sqs:SendMessage",), GetAtt(self.queues[settings.on_failure]))
        for target in _destinations(spec):
            if target.kind == "queue":
                allow(("sqs:SendMessage",), GetAtt(self.queues[target.name]))
            elif target.kind == "topic":
                allow(("sns:Publish",), Ref(self.topics[target.name]))
            else:
                allow(("lambda:InvokeFunction",), Sub(FUNCTION_ARN + target.name))
        return found

    def layer(self, path: Path) -> dict[str, Any]:
        runtimes = sorted(
            {
                spec.config.runtime
                for spec in self.exported.values()
                if path in spec.layers
            }
        )
        return {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "LayerName": path.name,
                "ContentUri": self.relative(path),
                "CompatibleRuntimes": runtimes,
            },
        }

    def queue(self, name: str) -> dict[str, Any]:
        from ..manifest import QUEUE_ATTRIBUTES

        given = self.manifest.queues[name]
        properties: dict[str, Any] = {"QueueName": name}
        for key, (aws_name, _default, _low, _high) in QUEUE_ATTRIBUTES.items():
            if key in given:
                properties[aws_name] = given[key]
        if "dead_letter" in given:
            properties["RedrivePolicy"] = {
                "deadLetterTargetArn": GetAtt(self.queues[given["dead_letter"]]),
                "maxReceiveCount": given["max_receive_count"],
            }
        return {"Type": "AWS::SQS::Queue", "Properties": properties}

    def api(self, api: _Api) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        if api.name:
            properties["Name"] = api.name
        if api.rest:
            properties["StageName"] = api.stage
            if api.binary_media_types:
                properties["BinaryMediaTypes"] = list(api.binary_media_types)
            return {"Type": "AWS::Serverless::Api", "Properties": properties}
        if api.stage:
            properties["StageName"] = api.stage
        return {"Type": "AWS::Serverless::HttpApi", "Properties": properties}

    # -- event sources ---------------------------------------------------------------------

    def events(self, spec: FunctionSpec) -> dict[str, Any]:
        events: dict[str, Any] = {}
        ids = _Ids()
        schedules = 0
        for source in spec.events:
            found = self.event(spec, source)
            if found is None:
                continue
            kind, identity = found["Type"], _event_name(source, self)
            if isinstance(source, specs.ScheduleSource):
                schedules += 1
                identity = str(schedules)
            events[ids.new(f"{kind} {identity}")] = found
        return events

    def event(self, spec: FunctionSpec, source: Any) -> dict[str, Any] | None:
        if isinstance(source, specs.QueueSource):
            return _sqs_event(GetAtt(self.queues[source.queue]), source.settings, source.enabled)
        if isinstance(source, specs.SqsSource):
            arn = _sqs_arn(source)
            if arn is None:
                self.note(spec, f"the queue {source.queue_url}: its URL names no account/queue")
                return None
            if source.endpoint.url:
                self.note_endpoint(spec, source.queue_url, source.endpoint.url)
            return _sqs_event(arn, source.settings, source.enabled)
        if isinstance(source, (specs.StreamSource, specs.KinesisSource)):
            if isinstance(source, specs.KinesisSource) and source.endpoint.url:
                self.note_endpoint(spec, source.stream_name, source.endpoint.url)
            return self.stream_event("Kinesis", self.stream_arn(source), source)
        if isinstance(source, specs.DynamoDBSource):
            if source.endpoint.url:
                self.note_endpoint(spec, source.table, source.endpoint.url)
            return self.stream_event("DynamoDB", Ref(self.table_parameter(source)), source)
        if isinstance(source, specs.ScheduleSource):
            properties: dict[str, Any] = {"Schedule": source.expression}
            if source.input is not None:
                properties["Input"] = source.input
            if not source.enabled:
                properties["State"] = "DISABLED"
            return {"Type": "Schedule", "Properties": properties}
        if not source.enabled:
            self.note(
                spec,
                f"the disabled {source.kind} source {source.identity!r}: SAM's "
                f"{_SAM_TYPES[source.kind]} events cannot be disabled",
            )
            return None
        if isinstance(source, specs.TopicSource):
            properties = {"Topic": Ref(self.topics[source.topic])}
            if source.filter_policy is not None:
                properties["FilterPolicy"] = json.loads(source.filter_policy)
            return {"Type": "SNS", "Properties": properties}
        if isinstance(source, specs.FilesSource):
            return {
                "Type": "S3",
                "Properties": {
                    "Bucket": Ref(self.buckets[source.path]),
                    "Events": [FILE_EVENTS[e] for e in source.events],
                },
            }
        if isinstance(source, specs.HttpSource):
            return self.route(source)
        self.note(spec, f"the {source.kind} source {source.identity!r}: no SAM event for it")
        return None

    def stream_event(self, kind: str, arn: Any, source: Any) -> dict[str, Any]:
        settings: specs.StreamSettings = source.settings
        default = specs.StreamSettings(starting_position=settings.starting_position)
        properties: dict[str, Any] = {"Stream": arn, "StartingPosition": settings.starting_position}
        if settings.starting_position_timestamp is not None:
            properties["StartingPositionTimestamp"] = settings.starting_position_timestamp
        for key, name in (
            ("batch_size", "BatchSize"),
            ("batching_window", "MaximumBatchingWindowInSeconds"),
            ("parallelization_factor", "ParallelizationFactor"),
            ("bisect_on_error", "BisectBatchOnFunctionError"),
            ("maximum_retry_attempts", "MaximumRetryAttempts"),
            ("maximum_record_age", "MaximumRecordAgeInSeconds"),
            ("tumbling_window", "TumblingWindowInSeconds"),
        ):
            if getattr(settings, key) != getattr(default, key):
                properties[name] = getattr(settings, key)
        if settings.report_batch_item_failures:
            properties["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if settings.filters:
            properties["FilterCriteria"] = _filter_criteria(settings.filters)
        if settings.on_failure:
            properties["DestinationConfig"] = {
                "OnFailure": {
                    "Type": "SQS",
                    "Destination": GetAtt(self.queues[settings.on_failure]),
                }
            }
        if not source.enabled:
            properties["Enabled"] = False
        return {"Type": kind, "Properties": properties}

    def route(self, source: specs.HttpSource) -> dict[str, Any]:
        rest = _is_rest(source)
        properties: dict[str, Any] = {"Path": source.path, "Method": source.method.lower()}
        api = self.apis.get((rest, source.api, source.stage))
        if rest:
            if api is not None:
                properties["RestApiId"] = Ref(api.id)
            return {"Type": "Api", "Properties": properties}
        if api is not None:
            properties["ApiId"] = Ref(api.id)
        if source.payload != "2.0":
            properties["PayloadFormatVersion"] = source.payload
        return {"Type": "HttpApi", "Properties": properties}

    def stream_arn(self, source: specs.StreamSource | specs.KinesisSource) -> Any:
        if isinstance(source, specs.StreamSource):
            return GetAtt(self.streams[source.stream])
        return Sub(
            f"arn:${{AWS::Partition}}:kinesis:{source.endpoint.region}:${{AWS::AccountId}}:"
            f"stream/{source.stream_name}"
        )

    def table_parameter(self, source: specs.DynamoDBSource) -> str:
        """A template parameter for a table's stream ARN: the manifest names the table, and
        its stream's ARN (with the label DynamoDB gave it) is known only where it lives. Its
        default names the table's streams (`stream/*`) so that the template loads as it is
        (`lambdactl -f`, `sam validate`); a deploy overrides it with the real ARN."""
        name = logical_id(source.table, "StreamArn")
        if name not in self.parameters:
            region, account = source.endpoint.region, self.manifest.account
            self.parameters[name] = {
                "Type": "String",
                "Description": f"The ARN of DynamoDB table {source.table}'s stream "
                "(its LatestStreamArn): override the default with it to deploy",
                "Default": f"arn:aws:dynamodb:{region}:{account}:table/{source.table}/stream/*",
                "AllowedPattern": "arn:aws[a-zA-Z-]*:dynamodb:.+:table/.+/stream/.+",
            }
            self.notes.append(
                f"{source.function}: the DynamoDB table {source.table}: its stream's ARN is the "
                f"parameter {name}, to give at deploy (--parameter-overrides {name}=ARN)"
            )
        return name

    def note_runtimes(self) -> None:
        users: dict[str, list[str]] = {}
        for spec in self.exported.values():
            if spec.config.runtime in CREATE_BLOCKED:
                users.setdefault(spec.config.runtime, []).append(spec.name)
        for runtime, names in sorted(users.items()):
            self.notes.append(
                f"{runtime} ({', '.join(names)}): AWS stops creating functions on it from "
                f"{CREATE_BLOCKED[runtime]} (its deprecation schedule); deploy with a newer runtime"
            )

    def note(self, spec: FunctionSpec, message: str) -> None:
        self.notes.append(f"{spec.name}: {message}")

    def note_endpoint(self, spec: FunctionSpec, what: str, url: str) -> None:
        self.note(spec, f"{what} is read at {url} locally; the template names AWS's")


_DESTINATION_TYPES = {"queue": "SQS", "function": "Lambda", "topic": "SNS"}
_SAM_TYPES = {"topic": "SNS", "files": "S3", "http": "Api/HttpApi"}


def _destinations(spec: FunctionSpec) -> list[Destination]:
    found = [spec.asynchronous.on_success, spec.asynchronous.on_failure, spec.dead_letter]
    return [target for target in found if target is not None]


def _is_rest(source: specs.HttpSource) -> bool:
    """A REST API's route (an `Api` event), else an HTTP API's (`HttpApi`, with its
    PayloadFormatVersion when 1.0): the route's kind of API, not its payload format."""
    return source.rest


def _event_name(source: Any, writer: _Writer) -> str:
    if isinstance(source, specs.FilesSource):
        return writer.relative(source.path)
    if isinstance(source, specs.HttpSource):
        return f"{source.method} {source.path}"
    if isinstance(source, specs.SqsSource):
        return source.queue_url.rstrip("/").rsplit("/", 1)[-1]
    if isinstance(source, specs.KinesisSource):
        return source.stream_name
    if isinstance(source, specs.DynamoDBSource):
        return source.table
    return str(source.identity)


def _sqs_arn(source: specs.SqsSource) -> str | None:
    return specs.queue_url_arn(source.queue_url, source.endpoint.region)


def _sqs_event(queue: Any, settings: specs.QueueSettings, enabled: bool) -> dict[str, Any]:
    default = specs.QueueSettings()
    properties: dict[str, Any] = {"Queue": queue}
    if settings.batch_size != default.batch_size:
        properties["BatchSize"] = settings.batch_size
    if settings.batching_window:
        properties["MaximumBatchingWindowInSeconds"] = settings.batching_window
    if settings.report_batch_item_failures:
        properties["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    if settings.filters:
        properties["FilterCriteria"] = _filter_criteria(settings.filters)
    if settings.maximum_concurrency is not None:
        properties["ScalingConfig"] = {"MaximumConcurrency": settings.maximum_concurrency}
    if not enabled:
        properties["Enabled"] = False
    return {"Type": "SQS", "Properties": properties}


def _filter_criteria(patterns: tuple[str, ...]) -> dict[str, Any]:
    return {"Filters": [{"Pattern": pattern} for pattern in patterns]}


def _logging(config: LoggingConfig) -> dict[str, str]:
    found = {"LogFormat": config.format}
    if config.json:
        found["ApplicationLogLevel"] = config.application_level
        found["SystemLogLevel"] = config.system_level
    return found


def save(path: Path, text: str) -> None:
    """Write the template's text to `path` (its directory must exist); a `UsageError` naming
    the file when it cannot be written."""
    from ..errors import UsageError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write template {path}: {exc.strerror or exc}") from None
