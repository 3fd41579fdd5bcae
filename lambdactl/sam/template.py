"""A SAM / CloudFormation template, resolved as `sam local` would see it: pure, YAML in,
resources out.

`load` reads the text (YAML or JSON, short `!Tags` or long `Fn::` forms), settles the
parameters (Default or override, checked against their constraints with CloudFormation's
words), evaluates the conditions, merges SAM's `Globals` into each resource of the types SAM
merges (exactly as the SAM translator does: maps merged key by key with the resource winning,
lists concatenated global-first, anything else the resource's), and evaluates every intrinsic
in the properties of each resource whose `Condition` holds. What only AWS knows is an
`Unresolved` value plus a warning; what is wrong is a `ManifestError` naming file:line:path.
It knows nothing of lambdactl's Manifest: `reader.py` maps resources to it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .. import arns
from ..errors import ManifestError, UsageError
from . import document, resources
from .document import Map, Seq, line_of
from .intrinsics import (
    NO_VALUE,
    Resolver,
    Unresolved,
    dotted,
    intrinsic_name,
    text_of,
    unresolved_in,
)
from .intrinsics import Path as ValuePath

__all__ = [
    "Resource",
    "Template",
    "Unresolved",
    "is_template",
    "load",
    "parse_overrides",
]

STACK_ID_UUID = "51af3dc0-da77-11e4-872e-1234567db123"
"""The stack id `sam local` gives `AWS::StackId` (its fixed local stack)."""

SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"

GLOBALS: dict[str, tuple[str, ...]] = {
    "Function": (
        "Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize",
        "Timeout", "VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn",
        "AutoPublishAlias", "AutoPublishAliasAllProperties", "Layers", "DeploymentPreference",
        "RolePath", "PermissionsBoundary", "ReservedConcurrentExecutions",
        "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument", "EventInvokeConfig",
        "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart",
        "EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig",
        "RecursiveLoop", "SourceKMSKeyArn", "TenancyConfig", "DurableConfig",
        "CapacityProviderConfig", "FunctionScalingConfig", "PublishToLatestPublished",
        "VersionDeletionPolicy",
    ),
    "Api": (
        "Auth", "Name", "DefinitionUri", "CacheClusterEnabled", "CacheClusterSize",
        "MergeDefinitions", "Variables", "EndpointConfiguration", "MethodSettings",
        "BinaryMediaTypes", "MinimumCompressionSize", "Cors", "GatewayResponses",
        "AccessLogSetting", "CanarySetting", "TracingEnabled", "OpenApiVersion", "Domain",
        "AlwaysDeploy", "PropagateTags", "SecurityPolicy", "EndpointAccessMode",
    ),
    "HttpApi": (
        "Auth", "AccessLogSettings", "StageVariables", "Tags", "CorsConfiguration",
        "DefaultRouteSettings", "Domain", "RouteSettings", "FailOnWarnings", "PropagateTags",
    ),
    "SimpleTable": ("SSESpecification",),
    "StateMachine": ("PropagateTags",),
    "LayerVersion": ("PublishLambdaVersion",),
    "CapacityProvider": (
        "VpcConfig", "OperatorRole", "Tags", "InstanceRequirements", "ScalingConfig",
        "KmsKeyArn", "PropagateTags",
    ),
    "WebSocketApi": (
        "AccessLogSettings", "ApiKeySelectionExpression", "DefaultRouteSettings",
        "DisableExecuteApiEndpoint", "DisableSchemaValidation", "Domain", "FailOnWarnings",
        "IpAddressType", "PropagateTags", "RouteSelectionExpression", "RouteSettings",
        "StageVariables", "Tags",
    ),
}  # fmt: skip
"""Each `Globals` section and the properties it may hold: the SAM translator's own table
(samtranslator 1.110, `plugins/globals/globals.py`); anything else is its error."""


@dataclass(frozen=True)
class Resource:
    """One resource whose Condition holds, its properties resolved."""

    logical_id: str
    type: str
    """`AWS::Serverless::Function`."""
    properties: Mapping[str, Any]
    """Plain dict/list/str/int/float/bool; intrinsics resolved; `Unresolved` where a value is
    not knowable; Globals already merged (for the resource types SAM merges)."""
    line: int
    file: str = field(default="template.yaml", repr=False, compare=False)
    """The template as the user knows it (relative to the working directory when inside it)."""
    lines: Mapping[tuple[str | int, ...], int] = field(
        default_factory=dict, repr=False, compare=False
    )
    """The line of each value in `properties`, by its path there."""
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The resource's `Metadata` as written (`BuildMethod`, ...), not resolved."""
    condition: str | None = None

    def unresolved(self) -> list[Unresolved]:
        """Every value of the properties not knowable locally, in template order."""
        return unresolved_in(self.properties)

    def where(self, *path: str | int) -> str:
        """'template.yaml:LINE:Resources.<id>.Properties.<path...>' with the line of that node
        when known (else the nearest known ancestor's)."""
        line = self.line
        for depth in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:depth]))
            if found is not None:
                line = found
                break
        full: ValuePath = ("Resources", self.logical_id, "Properties", *path)
        return f"{self.file}:{line}:{dotted(full)}"


@dataclass(frozen=True)
class Template:
    path: Path
    resources: Mapping[str, Resource]
    """In template order; only those whose Condition holds."""
    parameters: Mapping[str, str]
    """Each parameter's value as text (its Default or override); `Ref` gives it typed
    (a list for CommaDelimitedList, a number for Number, `Unresolved` for SSM types)."""
    region: str
    account: str
    warnings: tuple[str, ...]
    """One line each: 'template.yaml:L:Path: what'."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """Each output's `Value`, resolved (an `Unresolved` where it cannot be, never an error)."""
    no_echo: frozenset[str] = frozenset()
    """Parameters declared `NoEcho: true`: never print their values."""
    conditions: Mapping[str, bool] = field(default_factory=dict)
    transforms: tuple[str, ...] = ()
    file: str = "template.yaml"
    """`path` as shown in messages."""


def load(
    path: Path,
    text: str,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    account: str = "000000000000",
) -> Template:
    """The template in `text` (read from `path`), resolved; `ManifestError` on the first
    problem."""
    return _Stack(path, region=region, account=account).load(text, parameter_overrides or {})


def parse_overrides(text: str) -> dict[str, str]:
    """SAM's `--parameter-overrides`: 'Key=Value Key2="va lue"' and
    'ParameterKey=K,ParameterValue=V ParameterKey=K2,ParameterValue=V2'."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"invalid --parameter-overrides: {exc}") from None
    found: dict[str, str] = {}
    for word in words:
        long = re.fullmatch(r"ParameterKey=([^,=]+),ParameterValue=(.*)", word, re.DOTALL)
        if long:
            key, value = long[1], long[2]
        else:
            key, equals, value = word.partition("=")
            if not equals or not key:
                raise UsageError(
                    f"invalid --parameter-overrides: '{word}' is not Key=Value",
                    hint="for example: --parameter-overrides 'Stage=dev Memory=512'",
                )
        found[key] = value
    return found


def is_template(text_or_data: Any) -> bool:
    """Whether this is a SAM or CloudFormation template with a function: `Resources`, and a
    SAM `Transform` or an `AWS::Lambda::Function` / `AWS::Serverless::Function`."""
    data = text_or_data
    if isinstance(text_or_data, str):
        try:
            data = document.parse(text_or_data, "template")
        except ManifestError:
            return False
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        return False
    transform = data.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    if any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in transforms):
        return True
    return any(
        isinstance(resource, dict) and resource.get("Type") in resources.FUNCTION_TYPES
        for resource in data["Resources"].values()
    )


# --------------------------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def pseudo_parameters(region: str, account: str) -> dict[str, Any]:
    """The pseudo parameters as `sam local` gives them (AWS::NoValue aside)."""
    partition = "aws"
    if region.startswith("cn-"):
        partition = "aws-cn"
    elif region.startswith("us-gov-"):
        partition = "aws-us-gov"
    return {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": partition,
        "AWS::StackName": "local",
        "AWS::StackId": (
            f"arn:{partition}:cloudformation:{region}:{account}:stack/local/{STACK_ID_UUID}"
        ),
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


@dataclass(frozen=True)
class _Implicit:
    """A resource SAM generates (`<Fn>Role`, `ServerlessRestApi`, ...): what Ref and GetAtt
    of it give."""

    type: str
    ref: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)


class _Stack:
    """One load: the template's sections, and the `Scope` its resolver asks."""

    def __init__(self, path: Path, *, region: str, account: str) -> None:
        self.path = path
        self.file = _display(path)
        self.region = region
        self.account = account
        self.pseudo = pseudo_parameters(region, account)
        self.resolver = Resolver(self, self.file, region=region)
        self.warnings: list[str] = []
        self.values: dict[str, Any] = {}
        self.texts: dict[str, str] = {}
        self.mappings: Map = Map()
        self.condition_decls: Map = Map()
        self.truths: dict[str, bool] = {}
        self.evaluating: list[str] = []
        self.declared: Map = Map()
        self.included: dict[str, bool] = {}
        self.globals: dict[str, Map] = {}
        self.merged: dict[str, Map] = {}
        self.names: dict[str, Any] = {}
        self.naming: list[str] = []
        self.implicit: dict[str, _Implicit] | None = None
        self.lenient = False
        """Outputs: a name only AWS knows is an `Unresolved` there, not an error."""
        self.no_echo: set[str] = set()

    # -- reporting ----------------------------------------------------------------------------

    def fail(self, path: ValuePath, line: int | None, message: str) -> NoReturn:
        raise ManifestError(message, file=self.file, line=line, key=dotted(path) or None)

    def warn(self, line: int, path: ValuePath, message: str) -> None:
        text = f"{self.file}:{line}:{dotted(path)}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    # -- the whole ------------------------------------------------------------------------------

    def load(self, text: str, overrides: Mapping[str, str]) -> Template:
        root = document.parse(text, self.file)
        if not isinstance(root, Map):
            self.fail((), 1, "a template must be a mapping with a 'Resources' section")
        declared = root.get("Resources")
        if not isinstance(declared, Map) or not declared:
            line = root.line_of("Resources") if "Resources" in root else 1
            self.fail(
                (), line, "Template format error: At least one Resources member must be defined."
            )
        self.declared = declared
        self.mappings = self.section(root, "Mappings")
        self.condition_decls = self.section(root, "Conditions")
        self.read_parameters(self.section(root, "Parameters"), overrides)
        self.read_globals(root)
        for name in self.condition_decls:
            self.condition(name, ("Conditions", name), self.condition_decls.line_of(name))
        found = {}
        for logical_id in declared:
            if logical_id.startswith("Fn::ForEach::"):
                self.warn(
                    declared.line_of(logical_id),
                    ("Resources", logical_id),
                    "Fn::ForEach is not expanded locally; its resources are left out",
                )
                continue
            if self.include(logical_id):
                found[logical_id] = self.resource(logical_id)
        outputs = self.outputs(self.section(root, "Outputs"))
        transform = root.get("Transform")
        transforms = transform if isinstance(transform, list) else [transform] if transform else []
        return Template(
            path=self.path,
            resources=found,
            parameters=dict(self.texts),
            region=self.region,
            account=self.account,
            warnings=tuple(self.warnings),
            outputs=outputs,
            no_echo=frozenset(self.no_echo),
            conditions=dict(self.truths),
            transforms=tuple(t for t in transforms if isinstance(t, str)),
            file=self.file,
        )

    def section(self, root: Map, name: str) -> Map:
        found = root.get(name)
        if found is None:
            return Map()
        if not isinstance(found, Map):
            self.fail((name,), root.line_of(name), f"'{name}' must be a mapping")
        return found

    # -- parameters -----------------------------------------------------------------------------

    def read_parameters(self, declared: Map, overrides: Mapping[str, str]) -> None:
        missing = []
        for name, decl in declared.items():
            path, line = ("Parameters", name), declared.line_of(name)
            if not isinstance(decl, Map):
                self.fail(path, line, "a parameter must be a mapping with a 'Type'")
            kind = decl.get("Type")
            if not isinstance(kind, str):
                self.fail(path, line, "Every Parameters object must contain a Type member.")
            if name in overrides:
                value = overrides[name]
            elif "Default" in decl:
                value = _parameter_text(decl["Default"])
            else:
                # CloudFormation refuses the stack; locally only what uses it cannot run
                self.values[name] = Unresolved(
                    f"no value: the parameter has no Default; give it with "
                    f"--parameter-overrides {name}=VALUE",
                    f"{self.file}:{line}:Parameters.{name}",
                )
                missing.append(name)
                continue
            if str(decl.get("NoEcho", "")).lower() == "true":
                self.no_echo.add(name)
            self.texts[name] = value
            self.values[name] = self.typed(name, kind, decl, value, line)
        if missing:
            self.warn(
                declared.line_of(missing[0]),
                ("Parameters",),
                f"[{', '.join(missing)}] must have values: what uses them cannot run "
                "(--parameter-overrides gives them)",
            )
        for name in overrides:
            if name not in declared:
                self.warn(1, ("Parameters",), f"the override {name} names no parameter; ignored")

    def typed(self, name: str, kind: str, decl: Map, value: str, line: int) -> Any:
        """The value `Ref` gives, after CloudFormation's checks of `decl`'s constraints."""
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            return Unresolved(f"SSM parameter {value}", f"{self.file}:{line}:Parameters.{name}")
        numbers = kind in ("Number", "List<Number>")
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        items = [item.strip() for item in value.split(",")] if is_list else [value]
        problem = _constraint_problem(name, decl, items, numbers=numbers)
        if problem:
            self.fail(("Parameters", name), line, problem)
        typed: list[Any] = [_number(item) for item in items] if numbers else items
        return typed if is_list else typed[0]

    def parameter(self, name: str) -> tuple[bool, Any]:
        if name in self.pseudo:
            return True, self.pseudo[name]
        if name in self.values:
            return True, self.values[name]
        return False, None

    def mapping(self, name: str) -> Any:
        return self.mappings.get(name)

    # -- conditions -----------------------------------------------------------------------------

    def condition(self, name: str, path: ValuePath, line: int) -> bool:
        if name in self.truths:
            return self.truths[name]
        if name not in self.condition_decls:
            self.fail(path, line, f"the condition {name} is not declared in Conditions")
        if name in self.evaluating:
            cycle = self.evaluating[self.evaluating.index(name) :]
            self.fail(
                ("Conditions", name),
                self.condition_decls.line_of(name),
                f"Template format error: Circular dependency between conditions: "
                f"[{', '.join(cycle)}]",
            )
        self.evaluating.append(name)
        try:
            truth = self.resolver.truth(
                self.condition_decls[name], ("Conditions", name), self.condition_decls.line_of(name)
            )
        finally:
            self.evaluating.pop()
        self.truths[name] = truth
        return truth

    def include(self, logical_id: str) -> bool:
        """Whether the resource is created: its `Condition` holds (or it has none)."""
        if logical_id not in self.included:
            decl = self.declaration(logical_id)
            name = decl.get("Condition")
            if name is None:
                self.included[logical_id] = True
            else:
                path = ("Resources", logical_id, "Condition")
                if not isinstance(name, str):
                    self.fail(
                        path, decl.line_of("Condition"), "Condition: expected a condition name"
                    )
                self.included[logical_id] = self.condition(name, path, decl.line_of("Condition"))
        return self.included[logical_id]

    def declaration(self, logical_id: str) -> Map:
        decl = self.declared[logical_id]
        path, line = ("Resources", logical_id), self.declared.line_of(logical_id)
        if not isinstance(decl, Map):
            self.fail(path, line, "a resource must be a mapping with a 'Type'")
        if not isinstance(decl.get("Type"), str):
            self.fail(path, line, "Every Resources object must contain a Type member.")
        return decl

    # -- globals --------------------------------------------------------------------------------

    def read_globals(self, root: Map) -> None:
        """SAM's checks of `Globals`, in its words (`'Globals' section is invalid. ...`)."""
        if "Globals" not in root:
            return
        declared = root["Globals"]
        line = root.line_of("Globals")
        prefix = "'Globals' section is invalid. "
        if not isinstance(declared, Map) or not declared:
            self.fail(("Globals",), line, prefix + "It must be a non-empty dictionary")
        for section, properties in declared.items():
            path, line = ("Globals", section), declared.line_of(section)
            if section not in GLOBALS:
                names = sorted(GLOBALS)
                self.fail(
                    path,
                    line,
                    prefix + f"'{section}' is not supported. "
                    f"Must be one of the following values - {names}",
                )
            if not isinstance(properties, Map):
                self.fail(path, line, prefix + f"Value of {section} must be a dictionary")
            for key in properties:
                if key not in GLOBALS[section]:
                    self.fail(
                        (*path, key),
                        properties.line_of(key),
                        prefix + f"'{key}' is not a supported property of '{section}'. "
                        f"Must be one of the following values - {list(GLOBALS[section])}",
                    )
            self.globals[f"AWS::Serverless::{section}"] = properties

    def properties(self, logical_id: str) -> Map:
        """The resource's properties as written, with Globals merged (not yet resolved)."""
        if logical_id in self.merged:
            return self.merged[logical_id]
        decl = self.declaration(logical_id)
        written = decl.get("Properties")
        if written is None:  # absent, or `Properties:` with nothing under it
            written = Map(line=self.declared.line_of(logical_id))
        path = ("Resources", logical_id, "Properties")
        if not isinstance(written, Map):
            self.fail(path, decl.line_of("Properties"), "Properties must be a mapping")
        found = self.globals.get(decl["Type"])
        if found is not None:
            found = self.ignore_globals(logical_id, decl, found)
            written = _merge(found, written)
        self.merged[logical_id] = written
        return written

    def ignore_globals(self, logical_id: str, decl: Map, found: Map) -> Map:
        """SAM's `IgnoreGlobals` resource attribute: "*" or a list of Globals properties."""
        ignore = decl.get("IgnoreGlobals")
        if not ignore:
            return found
        path, line = ("Resources", logical_id, "IgnoreGlobals"), decl.line_of("IgnoreGlobals")
        if ignore == "*":
            return Map(line=found.line)
        if not isinstance(ignore, list):
            self.fail(
                path, line, f"Resource {logical_id} has invalid resource attribute 'IgnoreGlobals'."
            )
        kept = Map(found.items(), line=found.line)
        kept.lines = dict(found.lines)
        for key in ignore:
            if key not in kept:
                self.fail(
                    path,
                    line,
                    f"Resource {logical_id} has invalid resource attribute "
                    f"'IgnoreGlobals' on item '{key}'.",
                )
            del kept[key]
        return kept

    # -- resources ------------------------------------------------------------------------------

    def resource(self, logical_id: str) -> Resource:
        decl = self.declaration(logical_id)
        written = self.properties(logical_id)
        prefix: ValuePath = ("Resources", logical_id, "Properties")
        line = decl.line_of("Properties") if "Properties" in decl else decl.line
        self.resolver.lines = {}
        resolved = self.resolver.resolve(written, prefix, line)
        lines = {
            path[len(prefix) :]: found
            for path, found in self.resolver.lines.items()
            if path[: len(prefix)] == prefix and len(path) > len(prefix)
        }
        metadata = decl.get("Metadata")
        condition = decl.get("Condition")
        return Resource(
            logical_id=logical_id,
            type=decl["Type"],
            properties=resolved if isinstance(resolved, dict) else {},
            line=self.declared.line_of(logical_id),
            file=self.file,
            lines=lines,
            metadata=dict(metadata) if isinstance(metadata, dict) else {},
            condition=condition if isinstance(condition, str) else None,
        )

    def name(self, logical_id: str) -> Any:
        """The resource's local name: its name property resolved, else its logical ID."""
        if logical_id in self.names:
            return self.names[logical_id]
        if logical_id in self.naming:
            cycle = self.naming[self.naming.index(logical_id) :]
            self.fail(
                ("Resources", logical_id),
                self.declared.line_of(logical_id),
                f"Circular dependency between resources: [{', '.join(cycle)}]",
            )
        self.naming.append(logical_id)
        try:
            found = self.find_name(logical_id)
        finally:
            self.naming.pop()
        self.names[logical_id] = found
        return found

    def find_name(self, logical_id: str) -> Any:
        kind = self.declaration(logical_id)["Type"]
        written = self.properties(logical_id)
        prop = resources.NAME_PROPERTIES.get(kind)
        path: ValuePath = ("Resources", logical_id, "Properties")
        if prop and prop in written:
            found = self.resolver.resolve(written[prop], (*path, prop), written.line_of(prop))
            if isinstance(found, Unresolved) or isinstance(found, (str, int)):
                return found if isinstance(found, Unresolved) else text_of(found)
        if kind == "AWS::SQS::Queue" and "FifoQueue" in written:
            fifo = self.resolver.resolve(
                written["FifoQueue"], (*path, "FifoQueue"), written.line_of("FifoQueue")
            )
            if text_of(fifo).lower() == "true":
                return f"{logical_id}.fifo"
        if kind == "AWS::S3::Bucket":  # bucket names are lower case (CloudFormation's too)
            return logical_id.lower()[:63]
        return logical_id

    def ref(self, name: str, path: ValuePath, line: int) -> Any:
        if self.evaluating:  # a name that is not a parameter, in Conditions
            self.fail(
                path,
                line,
                f"Template format error: Unresolved dependencies [{name}]. "
                "Cannot reference resources in the Conditions block of the template",
            )
        if name in self.declared and not name.startswith("Fn::"):
            kind = self.declaration(name)["Type"]
            if not self.include(name):
                return self.excluded(f"!Ref {name}", name, path, line)
            if kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
                return self.qualified(name, kind, path, line)
            found = self.name(name)
            if isinstance(found, Unresolved):
                return found
            return resources.ref(kind, name, found, region=self.region, account=self.account)
        implicit = self.implicit_resources().get(name)
        if implicit is not None:
            if isinstance(implicit.ref, Unresolved):
                return self.resolver.unresolved(implicit.ref.reason, path, line)
            return implicit.ref
        return self.missing(
            f"Template format error: Unresolved resource dependencies [{name}] in the "
            "Resources block of the template",
            f"!Ref {name}",
            path,
            line,
        )

    def qualified(self, name: str, kind: str, path: ValuePath, line: int) -> Any:
        """Ref of an `AWS::Lambda::Alias` (the function's ARN with the alias) or of an
        `AWS::Lambda::Version` (a number only publishing gives)."""
        written = self.properties(name)
        prefix: ValuePath = ("Resources", name, "Properties")
        if kind == "AWS::Lambda::Version" or "FunctionName" not in written:
            return self.resolver.unresolved(f"!Ref {name} (a published version)", path, line)
        values = [
            self.resolver.resolve(written.get(key), (*prefix, key), written.line_of(key))
            for key in ("FunctionName", "Name")
        ]
        for value in values:
            if not isinstance(value, str):
                return (
                    value
                    if isinstance(value, Unresolved)
                    else self.resolver.unresolved(f"!Ref {name}", path, line)
                )
        function, alias = values
        if function.startswith("arn:"):
            return f"{function}:{alias}"
        return arns.function_arn(self.region, self.account, function, alias)

    def getatt(self, name: str, attribute: str, path: ValuePath, line: int) -> Any:
        reason = f"!GetAtt {name}.{attribute}"
        generated, _, inner = attribute.partition(".")
        implicit = self.implicit_resources().get(f"{name}.{generated}") if inner else None
        if implicit is not None:  # `Fn.DestinationQueue.Arn`: an attribute of SAM's resource
            value = implicit.attributes.get(inner)
            return value if value is not None else self.resolver.unresolved(reason, path, line)
        if name in self.declared and not name.startswith("Fn::"):
            kind = self.declaration(name)["Type"]
            if not self.include(name):
                return self.excluded(reason, name, path, line)
            found = self.name(name)
            if isinstance(found, Unresolved):
                return found
            value = resources.getatt(
                kind, name, found, attribute, region=self.region, account=self.account
            )
            return value if value is not None else self.resolver.unresolved(reason, path, line)
        implicit = self.implicit_resources().get(name)
        if implicit is not None:
            value = implicit.attributes.get(attribute)
            return value if value is not None else self.resolver.unresolved(reason, path, line)
        return self.missing(
            f"Template error: instance of Fn::GetAtt references undefined resource {name}",
            reason,
            path,
            line,
        )

    def excluded(self, reason: str, name: str, path: ValuePath, line: int) -> Unresolved:
        condition = self.declaration(name).get("Condition")
        return self.resolver.unresolved(
            f"{reason} (not created: its Condition {condition} is false)", path, line
        )

    def missing(self, message: str, reason: str, path: ValuePath, line: int) -> Any:
        if self.lenient:  # Outputs: a name only AWS would know is a warning there
            return self.resolver.unresolved(reason, path, line)
        self.fail(path, line, message)

    def destinations(self, logical_id: str, config: Any) -> dict[str, _Implicit]:
        """The queue or topic SAM makes for an EventInvokeConfig destination of Type SQS or
        SNS that names none: `<Fn>.DestinationQueue`, `<Fn>.DestinationTopic` (named
        `<Fn>EventInvokeConfig<OnSuccess|OnFailure><Queue|Topic>`, as SAM names them)."""
        found: dict[str, _Implicit] = {}
        targets = config.get("DestinationConfig") if isinstance(config, dict) else None
        region, account = self.region, self.account
        for which in ("OnSuccess", "OnFailure"):
            target = targets.get(which) if isinstance(targets, dict) else None
            if not isinstance(target, dict) or "Destination" in target:
                continue
            if target.get("Type") == "SQS":
                queue = f"{logical_id}EventInvokeConfig{which}Queue"
                found[f"{logical_id}.DestinationQueue"] = _Implicit(
                    "AWS::SQS::Queue",
                    arns.queue_url(region, account, queue),
                    resources.getatt_table("AWS::SQS::Queue", queue, queue, region, account),
                )
            elif target.get("Type") == "SNS":
                topic = f"{logical_id}EventInvokeConfig{which}Topic"
                found[f"{logical_id}.DestinationTopic"] = _Implicit(
                    "AWS::SNS::Topic",
                    resources.ref("AWS::SNS::Topic", topic, topic, region=region, account=account),
                    resources.getatt_table("AWS::SNS::Topic", topic, topic, region, account),
                )
        return found

    def implicit_resources(self) -> dict[str, _Implicit]:
        """The resources SAM generates that a template may name: `<Fn>Role`,
        `<Fn>Alias<alias>` (and `<Fn>.Alias`, `<Fn>.Version`), `<Fn><Event>`,
        `ServerlessRestApi` and `ServerlessHttpApi` with their stages, `<Api><Stage>Stage`."""
        if self.implicit is not None:
            return self.implicit
        self.implicit = found = {}
        region, account = self.region, self.account
        rest = http = False
        for logical_id in self.declared:
            if logical_id.startswith("Fn::") or not self.include(logical_id):
                continue
            kind = self.declaration(logical_id)["Type"]
            written = self.properties(logical_id)
            path: ValuePath = ("Resources", logical_id, "Properties")
            if kind == "AWS::Serverless::Function":
                name = self.name(logical_id)
                arn = (
                    name
                    if isinstance(name, Unresolved)
                    else resources.getatt(
                        kind, logical_id, name, "Arn", region=region, account=account
                    )
                )
                if "Role" not in written:
                    role = f"{logical_id}Role"
                    found[role] = _Implicit(
                        "AWS::IAM::Role",
                        role,
                        {
                            "Arn": f"arn:aws:iam::{account}:role/{role}",
                            "RoleId": f"AROA{role.upper()}",
                        },
                    )
                if "FunctionUrlConfig" in written:  # Ref of AWS::Lambda::Url: the function
                    url = Unresolved(f"!GetAtt {logical_id}Url.FunctionUrl (the served URL)", "")
                    found[f"{logical_id}Url"] = _Implicit(
                        "AWS::Lambda::Url", arn, {"FunctionArn": arn, "FunctionUrl": url}
                    )
                if "AutoPublishAlias" in written:
                    alias = self.resolver.resolve(
                        written["AutoPublishAlias"],
                        (*path, "AutoPublishAlias"),
                        written.line_of("AutoPublishAlias"),
                    )
                    if isinstance(alias, str) and isinstance(arn, str):
                        target = _Implicit("AWS::Lambda::Alias", f"{arn}:{alias}")
                        found[f"{logical_id}Alias{alias}"] = target
                        found[f"{logical_id}.Alias"] = target
                    version = Unresolved(f"!Ref {logical_id}.Version (a published version)", "")
                    found[f"{logical_id}.Version"] = _Implicit("AWS::Lambda::Version", version)
                if "EventInvokeConfig" in written:
                    config = self.resolver.resolve(
                        written["EventInvokeConfig"],
                        (*path, "EventInvokeConfig"),
                        written.line_of("EventInvokeConfig"),
                    )
                    found.update(self.destinations(logical_id, config))
                events = written.get("Events")
                for event, spec in events.items() if isinstance(events, dict) else ():
                    found[f"{logical_id}{event}"] = _Implicit("event", f"{logical_id}{event}")
                    if not isinstance(spec, dict):
                        continue
                    props = spec.get("Properties")
                    props = props if isinstance(props, dict) else {}
                    rest |= spec.get("Type") == "Api" and "RestApiId" not in props
                    http |= spec.get("Type") == "HttpApi" and "ApiId" not in props
            elif kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
                stage = written.get("StageName")
                if isinstance(stage, str):
                    found[f"{logical_id}{stage}Stage"] = _Implicit("AWS::ApiGateway::Stage", stage)
                if kind == "AWS::Serverless::HttpApi":
                    found[f"{logical_id}ApiGatewayDefaultStage"] = _Implicit(
                        "AWS::ApiGatewayV2::Stage", "$default"
                    )
        if rest:
            api = resources.api_id("ServerlessRestApi", region=region, account=account)
            found["ServerlessRestApi"] = _Implicit("AWS::ApiGateway::RestApi", api)
            found["ServerlessRestApiProdStage"] = _Implicit("AWS::ApiGateway::Stage", "Prod")
        if http:
            api = resources.api_id("ServerlessHttpApi", region=region, account=account)
            found["ServerlessHttpApi"] = _Implicit(
                "AWS::ApiGatewayV2::Api",
                api,
                {"ApiEndpoint": f"https://{api}.execute-api.{region}.amazonaws.com"},
            )
            found["ServerlessHttpApiApiGatewayDefaultStage"] = _Implicit(
                "AWS::ApiGatewayV2::Stage", "$default"
            )
        return found

    # -- outputs --------------------------------------------------------------------------------

    def outputs(self, declared: Map) -> dict[str, Any]:
        found: dict[str, Any] = {}
        self.lenient = True
        try:
            for name, decl in declared.items():
                if not isinstance(decl, Map) or "Value" not in decl:
                    continue
                path = ("Outputs", name)
                condition = decl.get("Condition")
                if isinstance(condition, str) and not self.condition(
                    condition, (*path, "Condition"), decl.line_of("Condition")
                ):
                    continue
                value = self.resolver.resolve(
                    decl["Value"], (*path, "Value"), decl.line_of("Value")
                )
                if value is not NO_VALUE:
                    found[name] = value
        finally:
            self.lenient = False
        return found


def _merge(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals merge (samtranslator `GlobalProperties._do_merge`): two maps merge key by
    key, two lists concatenate (global items first), anything else (an intrinsic counts as
    a scalar) is the resource's own value."""
    kind_global, kind_local = _merge_kind(global_value), _merge_kind(local_value)
    if kind_global != kind_local or kind_global == "scalar":
        return local_value
    if kind_global == "list":
        merged_list = Seq([*global_value, *local_value], line=local_value.line)
        merged_list.lines = [*_item_lines(global_value), *_item_lines(local_value)]
        return merged_list
    merged = Map(global_value.items(), line=getattr(local_value, "line", 0))
    merged.lines = dict(getattr(global_value, "lines", {}))
    for key, value in local_value.items():
        merged[key] = _merge(merged[key], value) if key in merged else value
        merged.lines[key] = line_of(local_value, key, merged.line)
    return merged


def _merge_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "scalar" if intrinsic_name(value, conditions=True) else "map"
    return "list" if isinstance(value, list) else "scalar"


def _item_lines(value: list[Any]) -> list[int]:
    line = getattr(value, "line", 0)
    return [line_of(value, index, line) for index in range(len(value))]


def _parameter_text(value: Any) -> str:
    """A `Default` as the text CloudFormation holds (`10`, `true`, `a,b` for a YAML list)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(text_of(item) for item in value)
    return text_of(value)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _constraint_problem(name: str, decl: Map, items: list[str], *, numbers: bool) -> str | None:
    """CloudFormation's message for the first constraint of `decl` a value breaks, if any
    (its `ConstraintDescription` replaces the message when given)."""
    allowed = decl.get("AllowedValues")
    pattern = decl.get("AllowedPattern")
    described = decl.get("ConstraintDescription")

    def broken(message: str) -> str:
        if described is not None:
            return f"Parameter {name} failed to satisfy constraint: {described}"
        return message

    for item in items:
        if numbers and not _is_number(item):
            return f"Parameter '{name}' must be a number"
        if isinstance(allowed, list) and item not in [_parameter_text(a) for a in allowed]:
            return broken(f"Parameter '{name}' must be one of AllowedValues")
        if isinstance(pattern, str):
            try:
                matches = re.fullmatch(pattern, item)
            except re.error as exc:
                return f"AllowedPattern of parameter {name} is not a valid pattern: {exc}"
            if not matches:
                return broken(f"Parameter {name} must match pattern {pattern}")
        for key, fits, words in (
            ("MinLength", lambda n, i=item: len(i) >= n, "must contain at least {} characters"),
            ("MaxLength", lambda n, i=item: len(i) <= n, "must contain at most {} characters"),
            ("MinValue", lambda n, i=item: float(i) >= n, "must be a number not less than {}"),
            ("MaxValue", lambda n, i=item: float(i) <= n, "must be a number not greater than {}"),
        ):
            limit = decl.get(key)
            if limit is None or (key.endswith("Value") and not numbers):
                continue
            if not _is_number(text_of(limit)):
                return f"{key} of parameter {name} must be a number"
            bound = float(text_of(limit))
            if not fits(bound):
                shown = text_of(limit)
                return broken(f"Parameter '{name}' " + words.format(shown))
    return None
