"""Lambda's shapes for functions: FunctionConfiguration, GetFunction, AliasConfiguration,
Invoke, concurrency, FunctionEventInvokeConfig and GetAccountSettings."""

from __future__ import annotations

import json
import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..aliases import Alias
    from ..invoke import InvocationResult
    from ..manifest import Destination, EventInvokeConfig
    from ..project import Project
    from ..versions import Version

_ARCHITECTURE = "arm64" if platform.machine().lower() in ("arm64", "aarch64") else "x86_64"
"""The architecture functions really run on here."""


CREATING = "The function is being created."
"""AWS's StateReason (of a new function) and LastUpdateStatusReason (of an updated one)."""


def function_configuration(
    project: Project,
    version: Version,
    *,
    qualifier: str | None = None,
    status: str | None = None,
    unqualified: bool = False,
) -> dict[str, Any]:
    """GetFunctionConfiguration / PublishVersion / list entries.

    `$LATEST` seen without a qualifier carries the unqualified ARN, as on AWS; a published
    version (or the alias it was reached through) carries the qualified one, unless
    `unqualified` (CreateFunction's answer, even with Publish). `status`: `created` (State
    Pending, as CreateFunction answers) or `updated` (LastUpdateStatus InProgress, as
    UpdateFunctionCode/Configuration answer); the next Get finds it Active and Successful.
    """
    config = version.config
    region, account = project.manifest.region, project.manifest.account
    if qualifier is None and not version.is_latest and not unqualified:
        qualifier = version.version
    shape: dict[str, Any] = {
        "FunctionName": version.function,
        "FunctionArn": project.arn(version.function, qualifier),
        "Runtime": config.runtime,
        "Role": config.role or f"arn:aws:iam::{account}:role/lambdactl-local",
        "Handler": config.handler,
        "CodeSize": version.code_size,
        "Description": version.description,
        "Timeout": config.timeout,
        "MemorySize": config.memory,
        "LastModified": version.last_modified,
        "CodeSha256": version.code_sha256,
        "Version": version.version,
    }
    if config.environment:
        shape["Environment"] = {"Variables": dict(config.environment)}
    if config.kms_key_arn:
        shape["KMSKeyArn"] = config.kms_key_arn
    shape["TracingConfig"] = {"Mode": config.tracing}
    shape["RevisionId"] = version.revision_id
    if version.layers:
        shape["Layers"] = [
            {
                "Arn": f"arn:aws:lambda:{region}:{account}:layer:{x.name}:{x.version}",
                "CodeSize": x.size,
            }
            for x in version.layers
        ]
    spec = project.functions.get(version.function)
    unavailable = spec.unavailable if spec is not None else ""
    if unavailable:  # a SAM template's function that cannot run here: Failed, and why
        code = "InvalidRuntime" if unavailable.startswith("runtime ") else "InvalidConfiguration"
        shape.update(State="Failed", StateReason=unavailable, StateReasonCode=code)
    elif status == "created":
        shape.update(State="Pending", StateReason=CREATING, StateReasonCode="Creating")
    else:
        shape["State"] = "Active"
    if status == "updated":
        shape.update(
            LastUpdateStatus="InProgress",
            LastUpdateStatusReason=CREATING,
            LastUpdateStatusReasonCode="Creating",
        )
    elif status is None:
        shape["LastUpdateStatus"] = "Successful"
    shape.update(
        {
            "PackageType": "Zip",
            "Architectures": list(config.architectures) or [_ARCHITECTURE],
            "EphemeralStorage": {"Size": config.ephemeral_storage},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": _logging_config(version),
        }
    )
    return shape


def _logging_config(version: Version) -> dict[str, str]:
    """AWS's LoggingConfig: levels appear only in the JSON format."""
    logging = version.config.logging
    shape = {"LogFormat": logging.format}
    if logging.json:
        shape["ApplicationLogLevel"] = logging.application_level
        shape["SystemLogLevel"] = logging.system_level
    shape["LogGroup"] = f"/aws/lambda/{version.function}"
    return shape


def get_function(
    project: Project,
    version: Version,
    *,
    qualifier: str | None,
    location: str,
    reserved: int | None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """GetFunction: the configuration, where the code's zip is, its tags (CreateFunction's)
    and reserved concurrency."""
    shape: dict[str, Any] = {
        "Configuration": function_configuration(project, version, qualifier=qualifier),
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if tags:
        shape["Tags"] = dict(tags)
    if reserved is not None:
        shape["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return shape


def concurrency(reserved: int | None) -> dict[str, Any]:
    """PutFunctionConcurrency / GetFunctionConcurrency (empty when none is reserved)."""
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


def event_invoke_config(
    project: Project, function: str, qualifier: str, config: EventInvokeConfig
) -> dict[str, Any]:
    """FunctionEventInvokeConfig: what was set (a setting not given is left out), with the
    ARN qualified as AWS keys it (`$LATEST` for an unqualified one)."""
    shape: dict[str, Any] = {
        "LastModified": config.last_modified,
        "FunctionArn": project.arn(function, qualifier),
    }
    if config.maximum_retry_attempts is not None:
        shape["MaximumRetryAttempts"] = config.maximum_retry_attempts
    if config.maximum_event_age is not None:
        shape["MaximumEventAgeInSeconds"] = config.maximum_event_age
    shape["DestinationConfig"] = {
        "OnSuccess": _destination(project, config.on_success),
        "OnFailure": _destination(project, config.on_failure),
    }
    return shape


def _destination(project: Project, target: Destination | None) -> dict[str, str]:
    if target is None:
        return {}
    if target.kind == "function":
        return {"Destination": project.arn(target.name)}
    manifest = project.manifest
    if target.kind == "topic":
        return {"Destination": f"arn:aws:sns:{manifest.region}:{manifest.account}:{target.name}"}
    return {"Destination": f"arn:aws:sqs:{manifest.region}:{manifest.account}:{target.name}"}


ACCOUNT_LIMITS = {
    "TotalCodeSize": 80530636800,
    "CodeSizeUnzipped": 262144000,
    "CodeSizeZipped": 52428800,
}
"""AWS's default code storage and package limits (bytes)."""


def account_settings(project: Project, *, function_count: int, code_size: int) -> dict[str, Any]:
    """GetAccountSettings: the limits (concurrency as the manifest sets the account's) and
    what the project uses."""
    return {
        "AccountLimit": {
            **ACCOUNT_LIMITS,
            "ConcurrentExecutions": project.manifest.account_concurrency,
            "UnreservedConcurrentExecutions": project.unreserved_concurrency,
        },
        "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": function_count},
    }


def alias_configuration(project: Project, alias: Alias) -> dict[str, Any]:
    """AliasConfiguration: CreateAlias / UpdateAlias / GetAlias and ListAliases entries."""
    shape: dict[str, Any] = {
        "AliasArn": project.arn(alias.function, alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.routing:
        shape["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.routing)}
    return shape


def invoke_response(result: InvocationResult) -> dict[str, Any]:
    """Invoke's response, with the payload as the JSON value it holds (its text if it holds
    none). Queued (202): only the status and the request id."""
    if result.status_code == 202:
        return {"StatusCode": 202, "RequestId": result.request_id}
    shape: dict[str, Any] = {"StatusCode": result.status_code}
    if result.function_error:
        shape["FunctionError"] = result.function_error
    shape["ExecutedVersion"] = result.executed_version
    if result.log_result is not None:
        shape["LogResult"] = result.log_result
    shape["Payload"] = _payload_value(result.payload)
    shape["RequestId"] = result.request_id
    return shape


def _payload_value(payload: bytes) -> object:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")
