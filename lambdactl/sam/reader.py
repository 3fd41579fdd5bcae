"""A resolved SAM (or plain CloudFormation) template -> the `Manifest` functions.yaml's reader
builds: the same values, checked by the same rules (the schema's rule functions, and the event
sources' own reader, `specs.read_events`, fed with YAML nodes made from the template's values),
with every error naming `template.yaml:LINE:Resources.Fn.Properties.Key` and AWS's wording.

What a machine cannot have locally does not stop the others: an S3 `CodeUri`, a container image,
a remote layer ARN, a runtime lambdactl cannot run, a value the template engine could not
resolve (`Unresolved`) in a property the function needs. Each is a warning (`Manifest.warnings`,
shown by `validate`) and the function's `unavailable` reason: invoking *that* function fails
with it, the template's other functions work. An event type lambdactl has no local source for
is a warning too, and the function works without it.

Mapped to local things: `AWS::SQS::Queue` -> `queues`, `AWS::Kinesis::Stream` -> `streams`,
`AWS::SNS::Topic` -> topics (named by SNS events), S3 events -> a watched directory
`s3/<BucketName>/` beside the template (made when missing), `InlineCode` (and `Code.ZipFile`)
-> `.lambda/sam/inline/<Function>/index.py` (`index.js` for Node.js). DynamoDB stream events
are not run locally (no local DynamoDB): a warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import ManifestError, validation_message
from ..layout import STATE_DIR_NAME
from ..manifest.schema import (
    ACCOUNT_CONCURRENCY,
    APPLICATION_LOG_LEVELS,
    DEPRECATED_RUNTIMES,
    ENV_KEY_MESSAGE,
    ENV_KEY_PATTERN,
    FUNCTION_NAME_PATTERN,
    LOG_FORMATS,
    MAX_LAYERS,
    MAX_RECEIVE_COUNT_RANGE,
    QUEUE_ATTRIBUTES,
    SYSTEM_LOG_LEVELS,
    UNRESERVED_MINIMUM,
    UNRESERVED_MINIMUM_MESSAGE,
    URL_AUTH_TYPES,
    URL_INVOKE_MODES,
    AsyncConfig,
    Cors,
    Destination,
    FunctionConfig,
    FunctionSpec,
    LoggingConfig,
    Manifest,
    UrlConfig,
    choice_problem,
    cors_problem,
    environment_problem,
    handler_problem,
    queue_name_problem,
    range_problem,
    runtime_problem,
)
from ..sources import specs
from . import resources
from .template import Resource, Template, Unresolved

if TYPE_CHECKING:
    import yaml

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
FALLBACK_RUNTIMES = tuple(r for r in DEPRECATED_RUNTIMES if r.startswith("python3"))
"""Deprecated runtimes a template may still name: run on the nearest Python found (AWS still
invokes existing functions on them); functions.yaml keeps refusing them for new functions."""
FOREIGN_RUNTIMES = ("java", "dotnet", "go", "ruby", "python2")
"""Runtime families AWS has and lambdactl does not run (yet): a deferred error."""
ARCHITECTURES = ("x86_64", "arm64")
SAM_DIR = "sam"
"""`.lambda/sam/`: what the reader writes for a template (inline code, empty code dirs)."""
BUCKETS_DIR = "s3"
"""S3 events watch `s3/<BucketName>/` beside the template."""
S3_EVENTS = {"s3:ObjectCreated": "created", "s3:ObjectRemoved": "removed"}


@dataclass
class _Unavailable(Exception):
    """What makes a function impossible to run here: its reason and where it is written."""

    reason: str
    where: str


def read(template: Template, *, state_dir: Path | None = None) -> Manifest:
    """The manifest a resolved `template` declares. Raises `ManifestError` (one located line)
    for what is wrong in the template itself; what is only unavailable here is a warning and
    the function's `unavailable` reason."""
    reader = TemplateReader(template, state_dir or template.path.parent / STATE_DIR_NAME)
    return reader.manifest()


@dataclass
class TemplateReader:
    """Reads one resolved template: `manifest()` once, then `directories` for the cache."""

    template: Template
    state_dir: Path
    warnings: list[str] = field(default_factory=list)
    directories: list[tuple[str, str]] = field(default_factory=list)
    """Each directory named (joined to the template's) and as resolved: what the manifest's
    cache checks before it is trusted again."""
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    streams: dict[str, specs.StreamConfig] = field(default_factory=dict)
    layers: dict[str, Path] = field(default_factory=dict)
    """Local layer ARN (any version) without its version -> the layer's directory."""
    missing_layers: dict[str, str] = field(default_factory=dict)
    """A layer of the template without a local directory (ARN, logical id) -> why."""
    names: dict[str, str] = field(default_factory=dict)
    """A function's logical id -> its name (FunctionName, else the logical id)."""
    routes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Every function's routes so far (`specs.Declared.routes`): one function a route."""
    aliases: dict[str, str] = field(default_factory=dict)
    """A FIFO queue without a QueueName: the name its ARN carries (the logical id) -> its
    name here (with `.fifo`, as CloudFormation names it)."""

    @property
    def root(self) -> Path:
        return self.template.path.parent

    # -- the whole -----------------------------------------------------------------------------

    def manifest(self) -> Manifest:
        self.warnings.extend(self.template.warnings)
        declared = self.template.resources
        for resource in declared.values():
            if resource.type == "AWS::SQS::Queue":
                self.queue(resource)
            elif resource.type in LAYER_TYPES:
                self.layer(resource)
        self.check_dead_letters()
        self.streams = self.read_streams()
        for resource in declared.values():
            if resource.type in FUNCTION_TYPES:
                self.names[resource.logical_id] = self.function_name(resource)
        if not self.names:
            raise ManifestError(
                "the template declares no AWS::Serverless::Function or AWS::Lambda::Function",
                file=self.template.file,
            )
        functions: dict[str, FunctionSpec] = {}
        for resource in declared.values():
            if resource.type in FUNCTION_TYPES:
                spec = self.function(resource)
                if spec.name in functions:
                    self.fail(resource.where("FunctionName"), f"a second function {spec.name}")
                functions[spec.name] = spec
        self.check_reserved_total(functions)
        for resource in declared.values():
            if resource.type == "AWS::Serverless::Function":
                name = self.names[resource.logical_id]
                spec = functions[name]
                functions[name] = replace(spec, events=self.events(resource, spec))
        return Manifest(
            path=self.template.path,
            region=self.template.region,
            account=self.template.account,
            functions=functions,
            queues=self.queues,
            streams=self.streams,
            logical_ids={k: v for k, v in self.names.items() if k != v},
            warnings=tuple(dict.fromkeys(self.warnings)),
        )

    # -- locations -----------------------------------------------------------------------------

    def fail(self, where: str, message: str, hint: str | None = None) -> NoReturn:
        file, line, key = _split(where)
        raise ManifestError(message, file=file, line=line, key=key, hint=hint)

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")

    # -- plain values ----------------------------------------------------------------------------

    def whole(self, value: Any, where: str, aws_field: str, low: int, high: int) -> int:
        """A whole number in AWS's range (CloudFormation takes "512" for 512), AWS's message."""
        value = _number(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"expected a whole number, got {value!r}")
        problem = range_problem(value, aws_field, low, high)
        if problem is not None:
            self.fail(where, problem)
        return value

    def optional(
        self,
        props: Mapping[str, Any],
        key: str,
        resource: Resource,
        aws_field: str,
        low: int,
        high: int,
        default: Any,
    ) -> Any:
        """`key`'s whole number, else `default` (also for a value unknown here: a warning)."""
        value = props.get(key)
        if value is None:
            return default
        if isinstance(value, Unresolved):
            self.warn(resource.where(key), f"{value.reason} is unknown here: the default instead")
            return default
        return self.whole(value, resource.where(key), aws_field, low, high)

    def boolean(
        self, props: Mapping[str, Any], key: str, resource: Resource, *, default: bool
    ) -> bool:
        value = props.get(key)
        if value is None:
            return default
        if isinstance(value, Unresolved):
            self.warn(resource.where(key), f"{value.reason} is unknown here: the default instead")
            return default
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            self.fail(resource.where(key), f"expected true or false, got {value!r}")
        return value

    # -- resources besides functions -----------------------------------------------------------

    def named(self, resource: Resource, key: str) -> str:
        """A resource's name: its `key` property (QueueName, TopicName...), else its logical
        id, as the template engine's Ref of it names it."""
        value = resource.properties.get(key)
        if isinstance(value, str) and value:
            return value
        return resource.logical_id

    def queue(self, resource: Resource) -> None:
        props = resource.properties
        fifo = self.boolean(props, "FifoQueue", resource, default=False)
        name = self.named(resource, "QueueName")
        if fifo and "QueueName" not in props and not name.endswith(".fifo"):
            name += ".fifo"  # CloudFormation's generated name of a FIFO queue ends so
            self.aliases[resource.logical_id] = name
        problem = queue_name_problem(name, fifo=fifo)
        if problem is not None:
            self.fail(resource.where("QueueName"), problem)
        given: dict[str, Any] = {}
        for key, (aws_name, default, low, high) in QUEUE_ATTRIBUTES.items():
            if isinstance(default, bool):
                continue
            value = self.optional(props, aws_name, resource, aws_name, low, high, None)
            if value is not None:
                given[key] = value
        if fifo:
            given["fifo"] = True
        if self.boolean(props, "ContentBasedDeduplication", resource, default=False):
            if not fifo:
                self.fail(
                    resource.where("ContentBasedDeduplication"),
                    "for FIFO queues only (set FifoQueue: true)",
                )
            given["content_based_deduplication"] = True
        given.update(self.redrive(resource))
        self.queues[name] = given

    def redrive(self, resource: Resource) -> dict[str, Any]:
        """A queue's RedrivePolicy (a mapping or its JSON text) as functions.yaml's
        `dead_letter`/`max_receive_count`; its target checked once every queue is known."""
        policy = resource.properties.get("RedrivePolicy")
        if policy is None:
            return {}
        if isinstance(policy, str):
            try:
                policy = json.loads(policy)
            except ValueError:
                self.fail(resource.where("RedrivePolicy"), "not JSON: expected a RedrivePolicy")
        if not isinstance(policy, Mapping):
            self.fail(resource.where("RedrivePolicy"), "expected a mapping (a RedrivePolicy)")
        target = policy.get("deadLetterTargetArn")
        where = resource.where("RedrivePolicy", "deadLetterTargetArn")
        if isinstance(target, Unresolved):
            self.warn(where, f"{target.reason} is unknown here: no dead-letter queue")
            return {}
        if not isinstance(target, str):
            self.fail(where, "expected the dead-letter queue's ARN")
        low, high = MAX_RECEIVE_COUNT_RANGE
        count = self.whole(
            policy.get("maxReceiveCount", 10),
            resource.where("RedrivePolicy", "maxReceiveCount"),
            "maxReceiveCount",
            low,
            high,
        )
        return {"dead_letter": self.queue_of(target), "max_receive_count": count, "_where": where}

    def queue_of(self, text: str) -> str:
        """The queue an ARN or URL names (or the name itself), by its name here."""
        name = _queue_name(text)
        return self.aliases.get(name, name)

    def check_dead_letters(self) -> None:
        """A dead-letter queue is another queue of the template, of the same type (SQS's)."""
        for name, given in self.queues.items():
            where = given.pop("_where", None)
            if where is None:
                continue
            target = given["dead_letter"]
            if target == name:
                self.fail(where, "a queue cannot be its own dead-letter queue")
            if target not in self.queues:  # another stack's: not here
                self.warn(
                    where, f"'{target}' is not a queue of this template: no dead-letter queue"
                )
                del given["dead_letter"], given["max_receive_count"]
                continue
            if bool(self.queues[target].get("fifo")) != bool(given.get("fifo")):
                self.fail(where, "Dead-letter queue must be same type of queue as the source.")

    def read_streams(self) -> dict[str, specs.StreamConfig]:
        """`AWS::Kinesis::Stream`s, read by `specs.read_streams` (Kinesis's limits)."""
        items: list[tuple[yaml.Node, yaml.Node]] = []
        for resource in self.template.resources.values():
            if resource.type != "AWS::Kinesis::Stream":
                continue
            props = resource.properties
            values: dict[str, Any] = {}
            for prop, setting in (
                ("ShardCount", "shards"),
                ("RetentionPeriodHours", "retention_hours"),
            ):
                value = props.get(prop)
                if isinstance(value, Unresolved):
                    self.warn(resource.where(prop), f"{value.reason} is unknown here: the default")
                elif value is not None:
                    values[setting] = _node(_number(value), resource.where(prop))
            name = self.named(resource, "Name")
            where = resource.where("Name") if "Name" in props else resource.where()
            items.append((_node(name, where), _mapping(values, resource.where())))
        if not items:
            return {}
        import yaml

        node = yaml.MappingNode("tag:yaml.org,2002:map", items)
        return specs.read_streams(_NodeReader(self), node)

    def layer(self, resource: Resource) -> None:
        """A layer of the template: its directory, or why it has none here (said when a
        function that uses it is read)."""
        props = resource.properties
        key = "ContentUri" if resource.type == "AWS::Serverless::LayerVersion" else "Content"
        content = props.get(key)
        name = self.named(resource, "LayerName")
        arn = f"arn:aws:lambda:{self.template.region}:{self.template.account}:layer:{name}"
        directory = None
        if isinstance(content, str) and not content.startswith("s3://"):
            directory = self.directory(content)
            reason = f"its layer {resource.logical_id}'s directory '{content}' does not exist"
        else:
            shown = content if isinstance(content, str) else "an S3 location"
            reason = f"its layer {resource.logical_id} is in S3 ({shown}), not in this project"
        for known in (arn, resource.logical_id):
            if directory is not None:
                self.layers[known] = directory
            else:
                self.missing_layers[known] = reason

    def directory(self, raw: str) -> Path | None:
        joined = self.root / raw
        resolved = joined.resolve()
        if not resolved.is_dir():
            return None
        self.directories.append((str(joined), str(resolved)))
        return resolved

    # -- functions -----------------------------------------------------------------------------

    def function_name(self, resource: Resource) -> str:
        given = resource.properties.get("FunctionName")
        name = given if isinstance(given, str) and given else resource.logical_id
        where = resource.where("FunctionName") if given else resource.where()
        if len(name) > 64:
            constraint = "Member must have length less than or equal to 64"
            self.fail(where, validation_message(name, "functionName", constraint))
        if not re.fullmatch(FUNCTION_NAME_PATTERN, name):
            constraint = f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
            self.fail(where, validation_message(name, "functionName", constraint))
        return name

    def function(self, resource: Resource) -> FunctionSpec:
        name = self.names[resource.logical_id]
        props = resource.properties
        unavailable: _Unavailable | None = None
        serverless = resource.type == "AWS::Serverless::Function"
        try:
            code = self.code(resource, name)
        except _Unavailable as exc:
            unavailable, code = exc, self.empty(name)
        runtime, problem = self.runtime(resource, lenient=unavailable is not None)
        if problem is not None and unavailable is None:
            unavailable = problem
        try:
            handler = self.handler(resource, runtime)
        except _Unavailable as exc:
            unavailable, handler = unavailable or exc, "index.handler"
        try:
            environment = self.environment(resource)
        except _Unavailable as exc:
            unavailable, environment = unavailable or exc, {}
        try:
            layers = self.function_layers(resource)
        except _Unavailable as exc:
            unavailable, layers = unavailable or exc, ()
        config = FunctionConfig(
            runtime=runtime,
            handler=handler,
            memory=self.optional(props, "MemorySize", resource, "memorySize", 128, 10240, 128),
            timeout=self.optional(props, "Timeout", resource, "timeout", 1, 900, 3),
            environment=environment,
            description=self.description(resource),
            logging=self.logging(resource),
            architectures=self.architectures(resource),
        )
        reserved = self.optional(
            props,
            "ReservedConcurrentExecutions",
            resource,
            "reservedConcurrentExecutions",
            0,
            ACCOUNT_CONCURRENCY,
            None,
        )
        alias = self.alias(resource) if serverless else ""
        if unavailable is not None:
            self.warn(unavailable.where, f"{name} cannot run here: {unavailable.reason}")
        elif runtime in FALLBACK_RUNTIMES:
            self.warn(
                resource.where("Runtime"),
                f"runtime {runtime} is deprecated: {name} runs on the nearest Python found",
            )
        return FunctionSpec(
            name=name,
            code=code,
            config=config,
            layers=layers,
            reserved_concurrency=reserved,
            asynchronous=self.asynchronous(resource, name) if serverless else AsyncConfig(),
            dead_letter=self.dead_letter(resource),
            url=self.url(resource, alias) if serverless else None,
            unavailable="" if unavailable is None else unavailable.reason,
            auto_publish_alias=alias,
        )

    def code(self, resource: Resource, name: str) -> Path:
        """The function's code directory, or `_Unavailable` (S3, an image, not a directory)."""
        props = resource.properties
        if props.get("PackageType") == "Image":
            where = resource.where("ImageUri" if "ImageUri" in props else "PackageType")
            raise _Unavailable("a container image (PackageType Image) is not run here", where)
        if resource.type == "AWS::Lambda::Function":
            code = props.get("Code")
            where = resource.where("Code")
            if isinstance(code, Mapping) and "ZipFile" in code:
                where = resource.where("Code", "ZipFile")
                return self.inline(name, code["ZipFile"], where, _inline_file(resource))
            if isinstance(code, Mapping):
                raise _Unavailable("its Code is in S3 (S3Bucket/S3Key), not in this project", where)
            # no Code: the template's directory, as sam local takes it (CloudFormation needs one)
            return self.code_directory("." if code is None else code, where)
        if "InlineCode" in props:
            where = resource.where("InlineCode")
            return self.inline(name, props["InlineCode"], where, _inline_file(resource))
        where = resource.where("CodeUri")
        return self.code_directory(props.get("CodeUri", "."), where)

    def code_directory(self, value: Any, where: str) -> Path:
        if isinstance(value, Unresolved):
            raise _Unavailable(f"its code location is {value.reason}, unknown here", where)
        if isinstance(value, Mapping) or (isinstance(value, str) and value.startswith("s3://")):
            shown = value if isinstance(value, str) else "an S3 location"
            raise _Unavailable(f"its code is in S3 ({shown}), not in this project", where)
        if not isinstance(value, str):
            self.fail(where, "expected a directory relative to the template")
        directory = self.directory(value)
        if directory is None:
            what = "is not a directory" if (self.root / value).exists() else "does not exist"
            raise _Unavailable(f"its code directory '{value}' {what}", where)
        return directory

    def inline(self, name: str, text: Any, where: str, file_name: str) -> Path:
        """Inline code written as `file_name` of `.lambda/sam/inline/<name>/`, rewritten only
        when it changed."""
        if isinstance(text, Unresolved):
            raise _Unavailable(f"its inline code is {text.reason}, unknown here", where)
        if not isinstance(text, str):
            self.fail(where, "expected the function's source code as text")
        directory = self.state_dir / SAM_DIR / "inline" / name
        target = directory / file_name
        try:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                directory.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.fail(where, f"cannot write the inline code to {target}: {exc.strerror}")
        self.directories.append((str(directory), str(directory.resolve())))
        return directory.resolve()

    def empty(self, name: str) -> Path:
        """An empty code directory for a function that cannot run (so listing, describing
        and publishing it work as for any other)."""
        directory = self.state_dir / SAM_DIR / "unavailable" / name
        directory.mkdir(parents=True, exist_ok=True)
        self.directories.append((str(directory), str(directory.resolve())))
        return directory.resolve()

    def runtime(self, resource: Resource, *, lenient: bool) -> tuple[str, _Unavailable | None]:
        """(runtime, why it cannot run here or None)."""
        where = resource.where("Runtime")
        value = resource.properties.get("Runtime")
        if isinstance(value, Unresolved):
            return "python3.12", _Unavailable(f"its Runtime is {value.reason}, unknown here", where)
        if value is None:
            if lenient:  # its code cannot be had either: that is what it says
                return "python3.12", None
            self.fail(resource.where(), "missing property 'Runtime'")
        if not isinstance(value, str):
            self.fail(where, "expected a runtime name (python3.12)")
        if value in FALLBACK_RUNTIMES or runtime_problem(value) is None:
            return value, None
        if value in DEPRECATED_RUNTIMES and value.startswith("nodejs"):
            return value, _Unavailable(runtime_problem(value) or "", where)
        if value.startswith(FOREIGN_RUNTIMES):
            reason = f"runtime {value} is not supported by lambdactl yet"
            return value, _Unavailable(reason, where)
        self.fail(where, runtime_problem(value) or "")

    def handler(self, resource: Resource, runtime: str) -> str:
        value = resource.properties.get("Handler")
        where = resource.where("Handler")
        if isinstance(value, Unresolved):
            raise _Unavailable(f"its Handler is {value.reason}, unknown here", where)
        if value is None:
            if runtime.startswith("provided") or resource.properties.get("PackageType") == "Image":
                return "bootstrap"
            self.fail(resource.where(), "missing property 'Handler' (MODULE.FUNCTION)")
        if not isinstance(value, str):
            self.fail(where, "expected MODULE.FUNCTION (app.handler)")
        problem = handler_problem(value)
        if problem is not None:
            self.fail(where, problem)
        if runtime.startswith("python") and not _is_python_handler(value):
            self.fail(
                where,
                f"malformed handler '{value}': expected MODULE.FUNCTION, where MODULE may be a "
                "dotted or slashed path (e.g. app.handler or src/app.handler)",
            )
        return value

    def environment(self, resource: Resource) -> dict[str, str]:
        env = resource.properties.get("Environment")
        if env is None:
            return {}
        if not isinstance(env, Mapping):
            self.fail(resource.where("Environment"), "expected a mapping with Variables")
        variables = env.get("Variables")
        if variables is None:
            return {}
        where = resource.where("Environment", "Variables")
        if not isinstance(variables, Mapping):
            self.fail(where, "expected a mapping of names to values")
        merged: dict[str, str] = {}
        for key, value in variables.items():
            at = resource.where("Environment", "Variables", key)
            if not re.fullmatch(ENV_KEY_PATTERN, str(key)):
                self.fail(at, ENV_KEY_MESSAGE)
            if isinstance(value, Unresolved):
                raise _Unavailable(f"its variable {key} is {value.reason}, unknown here", at)
            if value is None:  # a placeholder for `--env-vars`, as sam local reads it
                merged[str(key)] = ""
            elif isinstance(value, bool):
                merged[str(key)] = "true" if value else "false"
            elif isinstance(value, (str, int, float)):
                merged[str(key)] = str(value)
            else:
                self.fail(at, "expected a string")
        problem = environment_problem(merged)
        if problem is not None:
            self.fail(where, problem)
        return merged

    def description(self, resource: Resource) -> str:
        value = resource.properties.get("Description")
        where = resource.where("Description")
        if value is None:
            return ""
        if isinstance(value, Unresolved):
            self.warn(where, f"{value.reason} is unknown here: left empty")
            return ""
        if not isinstance(value, str):
            value = str(value)
        if len(value) > 256:
            constraint = "Member must have length less than or equal to 256"
            self.fail(where, validation_message(value, "description", constraint))
        return value

    def architectures(self, resource: Resource) -> tuple[str, ...]:
        value = resource.properties.get("Architectures")
        where = resource.where("Architectures")
        if value is None:
            return ()
        if not isinstance(value, list) or len(value) != 1:
            constraint = "Member must have length less than or equal to 1"
            self.fail(where, validation_message(value, "architectures", constraint))
        problem = choice_problem(str(value[0]), "architectures", ARCHITECTURES)
        if problem is not None:
            self.fail(resource.where("Architectures", 0), problem)
        return (str(value[0]),)

    def function_layers(self, resource: Resource) -> tuple[Path, ...]:
        value = resource.properties.get("Layers")
        where = resource.where("Layers")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(where, "expected a list of layer ARNs")
        if len(value) > MAX_LAYERS:
            constraint = f"Member must have length less than or equal to {MAX_LAYERS}"
            self.fail(where, validation_message(len(value), "layers", constraint))
        paths: list[Path] = []
        for i, item in enumerate(value):
            at = resource.where("Layers", i)
            if isinstance(item, Unresolved):
                raise _Unavailable(f"its layer {item.reason} is unknown here", at)
            text = str(item)
            unversioned = text.rpartition(":")[0]
            directory = self.layers.get(text) or self.layers.get(unversioned)
            if directory is None:
                missing = self.missing_layers.get(text) or self.missing_layers.get(unversioned)
                reason = missing or f"its layer {text} is not a layer of this template"
                raise _Unavailable(reason, at)
            if not re.fullmatch(FUNCTION_NAME_PATTERN, directory.name):
                self.fail(
                    at,
                    f"layer directory name '{directory.name}' is not a valid layer name "
                    f"({FUNCTION_NAME_PATTERN}); rename the directory",
                )
            if any(p.name == directory.name for p in paths):
                self.fail(at, f"two layers share the name '{directory.name}'")
            paths.append(directory)
        return tuple(paths)

    def logging(self, resource: Resource) -> LoggingConfig:
        value = resource.properties.get("LoggingConfig")
        if value is None:
            return LoggingConfig()
        if not isinstance(value, Mapping):
            self.fail(resource.where("LoggingConfig"), "expected a mapping")
        values: dict[str, str] = {}
        for key, name, aws_field, allowed in (
            ("LogFormat", "format", "logFormat", LOG_FORMATS),
            (
                "ApplicationLogLevel",
                "application_level",
                "applicationLogLevel",
                APPLICATION_LOG_LEVELS,
            ),
            ("SystemLogLevel", "system_level", "systemLogLevel", SYSTEM_LOG_LEVELS),
        ):
            if value.get(key) is None:
                continue
            given = str(value[key])
            problem = choice_problem(given, aws_field, allowed)
            if problem is not None:
                self.fail(resource.where("LoggingConfig", key), problem)
            values[name] = given
        config = LoggingConfig(**values)
        for key in ("ApplicationLogLevel", "SystemLogLevel"):
            if value.get(key) is not None and not config.json:
                self.fail(
                    resource.where("LoggingConfig", key),
                    "log levels are filtered only in the JSON log format (AWS's rule): "
                    "add LogFormat: JSON",
                )
        return config

    def alias(self, resource: Resource) -> str:
        value = resource.properties.get("AutoPublishAlias")
        if value is None:
            return ""
        where = resource.where("AutoPublishAlias")
        if not isinstance(value, str) or not re.fullmatch(
            r"(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}", value
        ):
            constraint = (
                r"Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
            )
            self.fail(where, validation_message(value, "name", constraint))
        return value

    def asynchronous(self, resource: Resource, name: str) -> AsyncConfig:
        config = resource.properties.get("EventInvokeConfig")
        if config is None:
            return AsyncConfig()
        if not isinstance(config, Mapping):
            self.fail(resource.where("EventInvokeConfig"), "expected a mapping")
        values: dict[str, Any] = {}
        if config.get("MaximumRetryAttempts") is not None:
            values["maximum_retry_attempts"] = self.whole(
                config["MaximumRetryAttempts"],
                resource.where("EventInvokeConfig", "MaximumRetryAttempts"),
                "maximumRetryAttempts",
                0,
                2,
            )
        if config.get("MaximumEventAgeInSeconds") is not None:
            values["maximum_event_age"] = self.whole(
                config["MaximumEventAgeInSeconds"],
                resource.where("EventInvokeConfig", "MaximumEventAgeInSeconds"),
                "maximumEventAgeInSeconds",
                60,
                21600,
            )
        destinations = config.get("DestinationConfig") or {}
        for which, key in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
            target = destinations.get(which) if isinstance(destinations, Mapping) else None
            if target is not None:
                path = ("EventInvokeConfig", "DestinationConfig", which)
                values[key] = self.destination(resource, name, target, path)
        return AsyncConfig(**values)

    def destination(
        self, resource: Resource, name: str, target: Any, path: tuple[str, ...]
    ) -> Destination | None:
        """A destination {Type, Destination}: a local function, queue or topic; EventBridge
        and S3 (no local kind) a warning. SAM makes the queue or topic when an SQS or SNS one
        names none."""
        where = resource.where(*path)
        if not isinstance(target, Mapping):
            self.fail(where, "expected a mapping with Type and Destination")
        kind = target.get("Type")
        arn = target.get("Destination")
        if kind not in ("SQS", "SNS", "Lambda", "EventBridge", "S3Bucket"):
            constraint = (
                "Member must satisfy enum value set: [SQS, SNS, Lambda, EventBridge, S3Bucket]"
            )
            self.fail(resource.where(*path, "Type"), validation_message(kind, "type", constraint))
        at = resource.where(*path, "Destination")
        if isinstance(arn, Unresolved):
            self.warn(at, f"{arn.reason} is unknown here: no destination")
            return None
        if kind == "SQS" and arn is None:  # SAM creates the queue (`<Fn>.DestinationQueue`)
            queue = f"{resource.logical_id}EventInvokeConfig{path[-1]}Queue"
            self.queues.setdefault(queue, {})
            return Destination("queue", queue)
        if kind == "SNS" and arn is None:  # and the topic (`<Fn>.DestinationTopic`)
            return Destination("topic", f"{resource.logical_id}EventInvokeConfig{path[-1]}Topic")
        if kind in ("EventBridge", "S3Bucket"):
            self.warn(at, f"a {kind} destination is not delivered locally")
            return None
        if not isinstance(arn, str):
            self.fail(at, f"expected the ARN of the {kind} destination")
        if kind == "SNS":
            topic = self.local_topic_arn(arn)
            if topic is None:
                self.warn(at, f"{arn} is not a topic of this account: no destination")
                return None
            return Destination("topic", topic)
        if kind == "SQS":
            queue = self.queue_of(arn)
            if queue not in self.queues:
                self.warn(at, f"{arn} is not a queue of this template: no destination")
                return None
            return Destination("queue", queue)
        function = self.local_function(arn)
        if function is None:
            self.warn(at, f"{arn} is not a function of this template: no destination")
            return None
        if function == name:
            self.fail(at, "You can't specify the function as a destination for itself.")
        return Destination("function", function)

    def local_topic_arn(self, arn: str) -> str | None:
        """The local topic an SNS ARN of this region and account names, else None."""
        parts = arn.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"]:
            return None
        if parts[3] != self.template.region or parts[4] != self.template.account:
            return None
        return parts[5]

    def local_function(self, text: str) -> str | None:
        """The function an ARN (or a name) names, if it is one of the template's."""
        parts = text.split(":")
        if text.startswith("arn:") and len(parts) >= 7 and parts[2] == "lambda":
            if parts[3] != self.template.region or parts[4] != self.template.account:
                return None
            text = parts[6]
        known = set(self.names.values())
        return text if text in known else self.names.get(text)

    def dead_letter(self, resource: Resource) -> Destination | None:
        props = resource.properties
        if resource.type == "AWS::Serverless::Function":
            config, path = props.get("DeadLetterQueue"), ("DeadLetterQueue",)
            kind = config.get("Type") if isinstance(config, Mapping) else None
        else:
            config, path, kind = props.get("DeadLetterConfig"), ("DeadLetterConfig",), None
        if config is None:
            return None
        if not isinstance(config, Mapping):
            self.fail(resource.where(*path), "expected a mapping with TargetArn")
        arn = config.get("TargetArn")
        at = resource.where(*path, "TargetArn")
        if isinstance(arn, Unresolved):
            self.warn(at, f"{arn.reason} is unknown here: no dead-letter queue")
            return None
        if not isinstance(arn, str):
            self.fail(at, "expected the ARN of an SQS queue or SNS topic")
        if kind == "SNS" or ":sns:" in arn:
            self.warn(at, "a dead-letter topic (SNS) is not delivered locally")
            return None
        queue = self.queue_of(arn)
        if queue not in self.queues:
            self.warn(at, f"{arn} is not a queue of this template: no dead-letter queue")
            return None
        return Destination("queue", queue)

    def url(self, resource: Resource, alias: str) -> UrlConfig | None:
        config = resource.properties.get("FunctionUrlConfig")
        if config is None:
            return None
        if not isinstance(config, Mapping):
            self.fail(resource.where("FunctionUrlConfig"), "expected a mapping with AuthType")
        values: dict[str, Any] = {"qualifier": alias or None}  # SAM: the alias's URL
        for key, name, aws_field, allowed in (
            ("AuthType", "auth", "authType", URL_AUTH_TYPES),
            ("InvokeMode", "invoke_mode", "invokeMode", URL_INVOKE_MODES),
        ):
            if config.get(key) is not None:
                problem = choice_problem(str(config[key]), aws_field, allowed)
                if problem is not None:
                    self.fail(resource.where("FunctionUrlConfig", key), problem)
                values[name] = str(config[key])
        cors = config.get("Cors")
        if isinstance(cors, Mapping):
            values["cors"] = self.cors(resource, cors)
        return UrlConfig(**values)

    def cors(self, resource: Resource, cors: Mapping[str, Any]) -> Cors:
        values: dict[str, Any] = {}
        for key, name in (
            ("AllowOrigins", "allow_origins"),
            ("AllowMethods", "allow_methods"),
            ("AllowHeaders", "allow_headers"),
            ("ExposeHeaders", "expose_headers"),
        ):
            if cors.get(key) is None:
                continue
            given = cors[key]
            items = tuple(str(x) for x in (given if isinstance(given, list) else [given]))
            found = cors_problem(name, items)
            if found is not None:
                index, message = found
                path = ("FunctionUrlConfig", "Cors", key)
                self.fail(
                    resource.where(*path) if index is None else resource.where(*path, index),
                    message,
                )
            values[name] = items
        if cors.get("AllowCredentials") is not None:
            values["allow_credentials"] = bool(cors["AllowCredentials"])
        if cors.get("MaxAge") is not None:
            values["max_age"] = self.whole(
                cors["MaxAge"],
                resource.where("FunctionUrlConfig", "Cors", "MaxAge"),
                "cors.maxAge",
                0,
                86400,
            )
        return Cors(**values)

    # -- checks across functions ---------------------------------------------------------------

    def check_reserved_total(self, functions: Mapping[str, FunctionSpec]) -> None:
        total = sum(f.reserved_concurrency or 0 for f in functions.values())
        if total and total > ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM:
            self.fail(f"{self.template.file}::Resources", UNRESERVED_MINIMUM_MESSAGE)

    # -- events --------------------------------------------------------------------------------

    def events(self, resource: Resource, spec: FunctionSpec) -> tuple[Any, ...]:
        """A function's Events: those with a local source, by the sources' own reader."""
        import yaml

        given = resource.properties.get("Events")
        if given is None:
            return ()
        if not isinstance(given, Mapping):
            self.fail(resource.where("Events"), "expected a mapping of event names to events")
        items: list[yaml.Node] = []
        for event_name, event in given.items():
            where = resource.where("Events", event_name)
            if not isinstance(event, Mapping) or not isinstance(event.get("Type"), str):
                self.fail(where, "expected an event with a Type and Properties")
            kind = event["Type"]
            props = event.get("Properties") or {}
            if not isinstance(props, Mapping):
                self.fail(resource.where("Events", event_name, "Properties"), "expected a mapping")
            at = _At(resource, ("Events", str(event_name), "Properties"), props)
            try:
                item = self.route(at, kind) if kind in ("Api", "HttpApi") else self.event(at, kind)
            except _Unavailable as exc:
                self.warn(exc.where, f"{exc.reason}: this event is not run locally")
                continue
            if item is None:
                self.warn(
                    where,
                    f"event type {kind} is not run by lambdactl; the function works without it",
                )
                continue
            items.append(item)
        if not items:
            return ()
        node = yaml.SequenceNode("tag:yaml.org,2002:seq", items)
        declared = specs.Declared(
            spec.name,
            spec.config.timeout,
            self.queues,
            self.streams,
            self.template.region,
            self.template.account,
            self.routes,
        )
        return specs.read_events(_NodeReader(self), node, resource.where("Events"), declared)

    def event(self, at: _At, kind: str) -> yaml.Node | None:
        """One local event as a functions.yaml `events:` item, or None (not run here)."""
        if kind == "SQS":
            queue = self.local_queue(at, "Queue")
            values = {"queue": at.node("Queue", queue)}
            values.update(at.settings(_QUEUE_SETTINGS))
            return _mapping(values, at.where())
        if kind == "Kinesis":
            stream = self.local_stream(at)
            values = {"stream": at.node("Stream", stream)}
            values.update(at.settings(_STREAM_SETTINGS))
            destination = at.get(("DestinationConfig", "OnFailure", "Destination"))
            if destination is not None:
                where = at.where("DestinationConfig", "OnFailure", "Destination")
                target = self.queue_of(str(destination))
                values["on_failure"] = _mapping({"queue": _node(target, where)}, where)
            return _mapping(values, at.where())
        if kind == "DynamoDB":
            raise _Unavailable("a DynamoDB stream (no local DynamoDB)", at.where("Stream"))
        if kind in ("Schedule", "ScheduleV2"):
            key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
            values = {"schedule": at.node(key, at.required(key))}
            if at.get(("Input",)) is not None:
                values["input"] = at.node("Input", at.json("Input"))
            enabled = at.get(("Enabled",))
            state = at.get(("State",))
            if state is not None:
                values["enabled"] = at.node("State", str(state).upper() == "ENABLED")
            elif enabled is not None:
                values["enabled"] = at.node("Enabled", enabled)
            zone = at.get(("ScheduleExpressionTimezone",))
            if zone not in (None, "UTC", "Etc/UTC"):
                self.warn(at.where("ScheduleExpressionTimezone"), "evaluated in UTC here")
            return _mapping(values, at.where())
        if kind == "S3":
            return self.bucket(at)
        if kind == "SNS":
            topic = self.local_topic(at)
            values = {"topic": at.node("Topic", topic)}
            if at.get(("FilterPolicy",)) is not None:
                values["filter_policy"] = at.node("FilterPolicy", at.get(("FilterPolicy",)))
            if at.get(("SqsSubscription",)):
                self.warn(at.where("SqsSubscription"), "delivered to the function directly here")
            return _mapping(values, at.where())
        return None

    def local_queue(self, at: _At, key: str) -> str:
        value = at.required(key)
        name = self.queue_of(str(value))
        if name not in self.queues:
            raise _Unavailable(f"{value} is not a queue of this template", at.where(key))
        return name

    def local_stream(self, at: _At) -> str:
        value = str(at.required("Stream"))
        name = value.rpartition("stream/")[2] if ":kinesis:" in value else value
        if name not in self.streams:
            raise _Unavailable(f"{value} is not a stream of this template", at.where("Stream"))
        return name

    def local_topic(self, at: _At) -> str:
        value = str(at.required("Topic"))
        parts = value.split(":")
        if value.startswith("arn:") and len(parts) == 6 and parts[2] == "sns":
            if parts[3] != self.template.region or parts[4] != self.template.account:
                raise _Unavailable(f"{value} is another account's topic", at.where("Topic"))
            return parts[5]
        return value

    def bucket(self, at: _At) -> yaml.Node:
        """An S3 event: the watched directory `s3/<bucket>/` (made when missing)."""
        bucket = str(at.required("Bucket"))
        if bucket.startswith("arn:aws:s3:::"):
            bucket = bucket.removeprefix("arn:aws:s3:::")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            self.fail(at.where("Bucket"), f"'{bucket}' is not an S3 bucket name")
        watched = self.exported_directory(bucket)
        directory = self.root / (watched or f"{BUCKETS_DIR}/{bucket}")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.fail(at.where("Bucket"), f"cannot make {directory}: {exc.strerror}")
        names = at.get(("Events",))
        wanted: list[str] = []
        for name in names if isinstance(names, list) else [names]:
            for prefix, event in S3_EVENTS.items():
                if isinstance(name, str) and name.startswith(prefix) and event not in wanted:
                    wanted.append(event)
        if not wanted:
            raise _Unavailable(f"S3 events {names} have no local kind", at.where("Events"))
        if at.get(("Filter",)) is not None:
            self.warn(at.where("Filter"), "every file of the directory is delivered here")
        where = at.where("Bucket")
        values = {
            "path": _node(watched or f"{BUCKETS_DIR}/{bucket}", where),
            "events": _node(wanted, at.where("Events")),
        }
        return _mapping({"files": _mapping(values, where)}, at.where())

    def exported_directory(self, bucket: str) -> str | None:
        """The directory `lambdactl export sam` made this bucket of (its Metadata's
        `Lambdactl.Directory`, relative to the template), when it is still there: reading
        the template back watches the same directory."""
        for resource in self.template.resources.values():
            if resource.type != "AWS::S3::Bucket":
                continue
            name = resource.properties.get("BucketName") or resource.logical_id.lower()[:63]
            given = resource.metadata.get("Lambdactl")
            if name == bucket and isinstance(given, Mapping):
                directory = given.get("Directory")
                if isinstance(directory, str) and (self.root / directory).is_dir():
                    return directory
        return None

    def route(self, at: _At, kind: str) -> yaml.Node:
        """An Api (a REST API's, payload 1.0) or HttpApi (an HTTP API's, payload 2.0 unless
        its PayloadFormatVersion says 1.0) event, as an `http` item (its path, method and
        names checked as functions.yaml's are)."""
        path = at.get(("Path",))
        method = at.get(("Method",))
        if kind == "HttpApi" and path is None and method is None:
            path, method = "/{proxy+}", "ANY"  # SAM's catch-all route of an HttpApi event
        if not isinstance(path, str):
            self.fail(at.where("Path"), "expected a path starting with / (/users/{id})")
        if not isinstance(method, str):
            self.fail(at.where("Method"), "expected an HTTP method (get, post, any...)")
        method = method.upper()
        if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
            method = "ANY"
        values = {"path": at.node("Path", path), "method": at.node("Method", method)}
        api_key = "RestApiId" if kind == "Api" else "ApiId"
        api = self.api(at.get((api_key,)))
        if api:
            values["api"] = at.node(api_key, api)
        found = self.template.resources.get(api) if api else None
        props = found.properties if found is not None else {}
        stage = props.get("StageName")
        if isinstance(stage, str) and stage:
            values["stage"] = _node(stage, found.where("StageName"))  # type: ignore[union-attr]
        values["api_type"] = _node("rest" if kind == "Api" else "http", at.where())
        if kind == "Api":
            values["payload"] = at.node("Path", "1.0")
            binary = props.get("BinaryMediaTypes")
            if isinstance(binary, list) and binary:
                types = [str(t).replace("~1", "/") for t in binary]  # OpenAPI's escape of /
                where = found.where("BinaryMediaTypes")  # type: ignore[union-attr]
                values["binary_media_types"] = _node(types, where)
        else:
            payload = at.get(("PayloadFormatVersion",))
            values["payload"] = at.node("PayloadFormatVersion", str(payload or "2.0"))
        return _mapping({"http": _mapping(values, at.where())}, at.where())

    def api(self, value: Any) -> str:
        """The logical id of the Api an event's RestApiId/ApiId names (its `Ref`, the
        engine's API id of it); "": SAM's implicit API."""
        if value is None or isinstance(value, Unresolved):
            return ""
        text = str(value)
        if text in self.template.resources:
            return text
        for resource in self.template.resources.values():
            if resource.type in resources.API_TYPES and text == resources.api_id(
                resource.logical_id, region=self.template.region, account=self.template.account
            ):
                return resource.logical_id
        return text


_QUEUE_SETTINGS: dict[str, tuple[str, ...]] = {
    "batch_size": ("BatchSize",),
    "batching_window": ("MaximumBatchingWindowInSeconds",),
    "maximum_concurrency": ("ScalingConfig", "MaximumConcurrency"),
    "enabled": ("Enabled",),
}
_STREAM_SETTINGS: dict[str, tuple[str, ...]] = {
    "starting_position": ("StartingPosition",),
    "starting_position_timestamp": ("StartingPositionTimestamp",),
    "batch_size": ("BatchSize",),
    "batching_window": ("MaximumBatchingWindowInSeconds",),
    "parallelization_factor": ("ParallelizationFactor",),
    "bisect_on_error": ("BisectBatchOnFunctionError",),
    "maximum_retry_attempts": ("MaximumRetryAttempts",),
    "maximum_record_age": ("MaximumRecordAgeInSeconds",),
    "tumbling_window": ("TumblingWindowInSeconds",),
    "enabled": ("Enabled",),
}
"""functions.yaml's key of each setting, and where SAM writes it in an event's Properties."""


@dataclass
class _At:
    """One event's Properties, with their locations."""

    resource: Resource
    path: tuple[str, ...]
    props: Mapping[str, Any]

    def where(self, *keys: str | int) -> str:
        return self.resource.where(*self.path, *keys)

    def get(self, keys: tuple[str, ...]) -> Any:
        value: Any = self.props
        for key in keys:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        if isinstance(value, Unresolved):
            raise _Unavailable(f"{'.'.join(keys)} is {value.reason}, unknown here", value.where)
        return value

    def required(self, key: str) -> Any:
        value = self.get((key,))
        if value is None:
            raise ManifestError(f"missing property '{key}'", **_located(self.where()))
        return value

    def node(self, key: str, value: Any) -> yaml.Node:
        return _node(value, self.where(key))

    def json(self, key: str) -> Any:
        """A JSON text property (Input) as data, or as given when it is data already."""
        value = self.get((key,))
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ManifestError(f"not JSON: {exc}", **_located(self.where(key))) from None

    def settings(self, table: Mapping[str, tuple[str, ...]]) -> dict[str, yaml.Node]:
        """The event's settings under functions.yaml's keys; FunctionResponseTypes and
        FilterCriteria (Pattern JSON texts) in functions.yaml's shape."""
        values: dict[str, yaml.Node] = {}
        for key, keys in table.items():
            value = self.get(keys)
            if value is not None:
                values[key] = _node(_number(value), self.where(*keys))
        types = self.get(("FunctionResponseTypes",))
        if types is not None:
            where = self.where("FunctionResponseTypes")
            if not isinstance(types, list) or any(t != "ReportBatchItemFailures" for t in types):
                constraint = "[Member must satisfy enum value set: [ReportBatchItemFailures]]"
                raise ManifestError(
                    validation_message(types, "functionResponseTypes", constraint),
                    **_located(where),
                )
            values["report_batch_item_failures"] = _node(bool(types), where)
        filters = self.get(("FilterCriteria", "Filters"))
        if filters is not None:
            where = self.where("FilterCriteria", "Filters")
            patterns = []
            for i, entry in enumerate(filters if isinstance(filters, list) else [filters]):
                at = self.where("FilterCriteria", "Filters", i, "Pattern")
                pattern = entry.get("Pattern") if isinstance(entry, Mapping) else None
                if isinstance(pattern, str):
                    try:
                        pattern = json.loads(pattern)
                    except ValueError as exc:
                        raise ManifestError(
                            f"the pattern is not JSON: {exc}", **_located(at)
                        ) from None
                patterns.append(_node(pattern, at))
            import yaml

            values["filter"] = yaml.SequenceNode("tag:yaml.org,2002:seq", patterns)
            setattr(values["filter"], "sam_where", where)
            values["filter"].start_mark = _mark(where)
        return values


# -- the sources' reader, over nodes made from the template's values ------------------------------


class _NodeReader:
    """`specs.Reader` over nodes made by `_node`: each carries its template location, which
    every error names (`specs` never sees functions.yaml's keys here)."""

    def __init__(self, owner: TemplateReader) -> None:
        import yaml

        self.owner = owner
        self.path = owner.template.path
        self._constructor = yaml.constructor.SafeConstructor()

    def fail(
        self, node: yaml.Node, key: str | None, message: str, hint: str | None = None
    ) -> NoReturn:
        where = getattr(node, "sam_where", None)
        if where is None:
            raise ManifestError(message, file=self.owner.template.file, key=key, hint=hint)
        raise ManifestError(message, hint=hint, **_located(where))

    def mapping(
        self, node: yaml.Node, key: str | None, allowed: tuple[str, ...] | None
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key, "expected a mapping")
        return {str(k.value): (k, v) for k, v in node.value}

    def scalar(self, node: yaml.Node, key: str | None) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, key, "expected a single value")
        return self._constructor.construct_object(node, deep=True)

    def value(self, node: yaml.Node, key: str) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def text(self, node: yaml.Node, key: str) -> str:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
            self.fail(node, key, "expected a string")
        return str(node.value)

    def integer(self, node: yaml.Node, key: str, aws_field: str, low: int, high: int) -> int:
        value = self.scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(node, key, f"expected a whole number, got '{node.value}'")
        problem = range_problem(value, aws_field, low, high)
        if problem is not None:
            self.fail(node, key, problem)
        return value

    def boolean(self, node: yaml.Node, key: str) -> bool:
        value = self.scalar(node, key)
        if not isinstance(value, bool):
            self.fail(node, key, f"expected true or false, got '{node.value}'")
        return value

    def directory(self, node: yaml.Node, key: str) -> Path:
        raw = self.text(node, key)
        found = self.owner.directory(raw)
        if found is None:
            self.fail(node, key, f"directory '{raw}' does not exist")
        return found

    def destination(self, node: yaml.Node, key: str) -> Destination:
        ((kind, (_k, value)),) = self.mapping(node, key, None).items()
        return Destination(kind, self.text(value, key))

    def region(self, node: yaml.Node, key: str) -> str:
        return self.text(node, key)


def _mark(where: str) -> Any:
    import yaml

    _file, line, _key = _split(where)
    return yaml.Mark(_file, 0, (line or 1) - 1, 0, None, None)  # type: ignore[arg-type]


def _node(value: Any, where: str) -> yaml.Node:
    """`value` as the YAML node functions.yaml would have, located at `where`."""
    import yaml

    mark = _mark(where)
    node: yaml.Node
    if isinstance(value, Mapping):
        pairs = [(_node(str(k), where), _node(v, f"{where}.{k}")) for k, v in value.items()]
        node = yaml.MappingNode("tag:yaml.org,2002:map", pairs, mark, mark)
    elif isinstance(value, (list, tuple)):
        items = [_node(v, where) for v in value]
        node = yaml.SequenceNode("tag:yaml.org,2002:seq", items, mark, mark)
    elif isinstance(value, bool):
        node = yaml.ScalarNode("tag:yaml.org,2002:bool", "true" if value else "false", mark, mark)
    elif isinstance(value, int):
        node = yaml.ScalarNode("tag:yaml.org,2002:int", str(value), mark, mark)
    elif isinstance(value, float):
        node = yaml.ScalarNode("tag:yaml.org,2002:float", repr(value), mark, mark)
    elif value is None:
        node = yaml.ScalarNode("tag:yaml.org,2002:null", "null", mark, mark)
    else:
        node = yaml.ScalarNode("tag:yaml.org,2002:str", str(value), mark, mark)
    setattr(node, "sam_where", where)  # where `_NodeReader.fail` finds it
    return node


def _mapping(values: Mapping[str, yaml.Node], where: str) -> yaml.Node:
    import yaml

    mark = _mark(where)
    pairs = [(_node(key, where), value) for key, value in values.items()]
    node = yaml.MappingNode("tag:yaml.org,2002:map", pairs, mark, mark)
    setattr(node, "sam_where", where)  # where `_NodeReader.fail` finds it
    return node


# -- plain values ------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    """CloudFormation takes numbers as strings too (`!Ref` of a parameter): "512" -> 512."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


def _queue_name(text: str) -> str:
    """A queue's name from its ARN or URL (or the name itself)."""
    if text.startswith("arn:"):
        return text.rsplit(":", 1)[-1]
    if "://" in text:
        return text.rstrip("/").rsplit("/", 1)[-1]
    return text


def _is_python_handler(value: str) -> bool:
    module, dot, function = value.rpartition(".")
    if not dot or not module or not function or "/" in function:
        return False
    return not module.endswith("/") and not module.startswith("/")


_WHERE = re.compile(r"(?s)(.*?):(\d+):(.*)")


def _split(where: str) -> tuple[str, int | None, str | None]:
    """`template.yaml:12:Resources.Fn.Properties.X` -> (file, 12, `Resources...X`)."""
    found = _WHERE.fullmatch(where)
    if found is None:
        file, _sep, key = where.partition("::")
        return file, None, key or None
    return found.group(1), int(found.group(2)), found.group(3) or None


def _located(where: str) -> dict[str, Any]:
    file, line, key = _split(where)
    return {"file": file, "line": line, "key": key}


def _inline_file(resource: Resource) -> str:
    """CloudFormation's file for a function's inline code: `index.js` for Node.js (a CommonJS
    module: AWS's documentation of Code.ZipFile), else `index.py`."""
    runtime = resource.properties.get("Runtime")
    nodejs = isinstance(runtime, str) and runtime.startswith("nodejs")
    return "index.js" if nodejs else "index.py"
