"""Request bodies, read as Lambda reads them: never more than an operation's limit (a larger
one is AWS's 413 before it is all received), and for the JSON operations a JSON object whose
members have the model's types."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from ..errors import (
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ValidationException,
)
from ..payloads import MAX_SYNC_PAYLOAD_BYTES, json_problem

JSON_LIMIT = MAX_SYNC_PAYLOAD_BYTES
"""The largest body a JSON operation here takes (none of them needs more than a few KB)."""


async def read(request: Request, limit: int, operation: str) -> bytes:
    """The request body, read no further than `limit` bytes: a larger one is AWS's 413,
    without holding it all in memory (what is left of it is never read into a buffer)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit, operation)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit, operation)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int, operation: str) -> RequestEntityTooLargeException:
    return RequestEntityTooLargeException(
        f"Request must be smaller than {limit} bytes for the {operation} operation"
    )


async def json_object(
    request: Request, operation: str, *, limit: int = JSON_LIMIT
) -> dict[str, Any]:
    """The body of a JSON operation: an object (`{}` for an empty body, as botocore sends
    none when no member is set). Not JSON, or not an object: InvalidRequestContentException."""
    data = await read(request, limit, operation)
    if not data.strip():
        return {}
    problem = json_problem(data)
    if problem is not None:
        raise InvalidRequestContentException(f"Could not parse request body into json: {problem}")
    value = json.loads(data)
    if not isinstance(value, dict):
        raise InvalidRequestContentException(
            "Could not parse request body into json: the request body is not a JSON object"
        )
    return value


def string(body: dict[str, Any], member: str) -> str | None:
    """An optional string member (None when absent or null)."""
    value = body.get(member)
    if value is None or isinstance(value, str):
        return value
    raise _wrong_type(member, "a string")


def required_strings(body: dict[str, Any], *members: tuple[str, str]) -> list[str]:
    """Required string members, each given as (member, field: its name in AWS's validation
    messages); every absent one is named in one ValidationException, as AWS lists them."""
    values = [string(body, member) for member, _field in members]
    missing = [field for (_member, field), value in zip(members, values) if value is None]
    if missing:
        count = f"{len(missing)} validation error{'s' if len(missing) > 1 else ''}"
        problems = "; ".join(
            f"Value null at '{field}' failed to satisfy constraint: Member must not be null"
            for field in missing
        )
        raise ValidationException(f"{count} detected: {problems}")
    return [value for value in values if value is not None]


def routing(body: dict[str, Any]) -> dict[str, float] | None:
    """`RoutingConfig.AdditionalVersionWeights` (None when RoutingConfig is absent; `{}` when
    it is given empty, which removes an alias's routing)."""
    config = body.get("RoutingConfig")
    if config is None:
        return None
    if not isinstance(config, dict):
        raise _wrong_type("RoutingConfig", "an object")
    weights = config.get("AdditionalVersionWeights") or {}
    if not isinstance(weights, dict):
        raise _wrong_type("RoutingConfig.AdditionalVersionWeights", "an object")
    for weight in weights.values():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise _wrong_type("RoutingConfig.AdditionalVersionWeights", "numbers")
    return {str(version): float(weight) for version, weight in weights.items()}


def _wrong_type(member: str, expected: str) -> InvalidRequestContentException:
    return InvalidRequestContentException(
        f"Could not parse request body into json: {member} must be {expected}"
    )
