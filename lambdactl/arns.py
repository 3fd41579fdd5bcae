"""Function ARNs, and every way a user may name a function: `name`, `name:qualifier`, a full
ARN or a partial ARN (`123456789012:function:name[:qualifier]`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
    validation_message,
)

FUNCTION_REF_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?"
    r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
"""AWS's pattern for the FunctionName parameter."""

_REF = re.compile(
    r"(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>[a-z]{2}(?:(?:-gov)|(?:-iso(?:b?)))?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
)


@dataclass(frozen=True)
class FunctionRef:
    """A parsed function name; `qualifier` is None when the caller gave none."""

    name: str
    qualifier: str | None = None


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def queue_url(region: str, account: str, name: str, endpoint: str | None = None) -> str:
    """A queue's URL, `<base>/<account>/<name>` as SQS and LocalStack shape them; the base is
    `endpoint` (a running `lambdactl serve`), else SQS's own `https://sqs.<region>.amazonaws.com`."""
    base = endpoint or f"https://sqs.{region}.amazonaws.com"
    return f"{base}/{account}/{name}"


def queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def stream_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


def layer_arn(region: str, account: str, name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:layer:{name}"
    return arn if version is None else f"{arn}:{version}"


def parse(text: str, *, region: str, account: str, qualifier: str | None = None) -> FunctionRef:
    """Parse a function reference, checking region and account against the project.

    `qualifier` (a separate `--qualifier` option) must agree with one embedded in `text`.
    """
    match = _REF.fullmatch(text)
    if not match or len(text) > 170:
        constraint = f"Member must satisfy regular expression pattern: {FUNCTION_REF_PATTERN}"
        raise ValidationException(validation_message(text, "functionName", constraint))
    if match["region"] and match["region"] != region:
        raise ResourceNotFoundException(
            f"Functions from '{match['region']}' are not reachable in this region ('{region}')"
        )
    name = match["name"]
    if len(name) > 64:
        constraint = "Member must have length less than or equal to 64"
        raise InvalidParameterValueException(validation_message(text, "functionName", constraint))
    if match["account"] and match["account"] != account:
        raise ResourceNotFoundException(
            "Function not found: "
            + function_arn(match["region"] or region, match["account"], name, match["qualifier"])
        )
    if qualifier is not None:
        _check_qualifier(qualifier)
    embedded = match["qualifier"]
    if embedded and qualifier and embedded != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionRef(name=name, qualifier=embedded or qualifier)


QUALIFIER_PATTERN = "(|[a-zA-Z0-9$_-]+)"


def _check_qualifier(qualifier: str) -> None:
    if len(qualifier) > 128:
        constraint = "Member must have length less than or equal to 128"
        raise ValidationException(validation_message(qualifier, "qualifier", constraint))
    if not qualifier or not re.fullmatch(QUALIFIER_PATTERN, qualifier):
        constraint = (
            "Member must have length greater than or equal to 1"
            if not qualifier
            else f"Member must satisfy regular expression pattern: {QUALIFIER_PATTERN}"
        )
        raise ValidationException(validation_message(qualifier, "qualifier", constraint))
