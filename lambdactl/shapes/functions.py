"""Lambda's shapes for functions: FunctionConfiguration, AliasConfiguration, Invoke."""

from __future__ import annotations

import json
import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..aliases import Alias
    from ..invoke import InvocationResult
    from ..project import Project
    from ..versions import Version

_ARCHITECTURE = "arm64" if platform.machine().lower() in ("arm64", "aarch64") else "x86_64"
"""The architecture functions really run on here."""


def function_configuration(
    project: Project, version: Version, *, qualifier: str | None = None
) -> dict[str, Any]:
    """GetFunctionConfiguration / PublishVersion / list entries.

    `$LATEST` seen without a qualifier carries the unqualified ARN, as on AWS; a published
    version (or the alias it was reached through) carries the qualified one.
    """
    config = version.config
    region, account = project.manifest.region, project.manifest.account
    if qualifier is None and not version.is_latest:
        qualifier = version.version
    shape: dict[str, Any] = {
        "FunctionName": version.function,
        "FunctionArn": project.arn(version.function, qualifier),
        "Runtime": config.runtime,
        "Role": f"arn:aws:iam::{account}:role/lambdactl-local",
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
    shape["TracingConfig"] = {"Mode": "PassThrough"}
    shape["RevisionId"] = version.revision_id
    if version.layers:
        shape["Layers"] = [
            {
                "Arn": f"arn:aws:lambda:{region}:{account}:layer:{x.name}:{x.version}",
                "CodeSize": x.size,
            }
            for x in version.layers
        ]
    shape.update(
        {
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": [_ARCHITECTURE],
            "EphemeralStorage": {"Size": 512},
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
