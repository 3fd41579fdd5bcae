"""What an asynchronous invocation leaves behind: destination records and dead letters,
in AWS's exact shapes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..project import Project

ERROR_MESSAGE_LIMIT = 1024
"""A dead letter's ErrorMessage attribute holds the first 1 KB of the error message."""


def invocation_record(
    project: Project,
    event: dict[str, Any],
    *,
    condition: str,
    now: float,
) -> dict[str, Any]:
    """The record sent to an on-success or on-failure destination."""
    data = event["data"]
    last = data.get("last")
    version = last["executedVersion"] if last else (data.get("qualifier") or "$LATEST")
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _timestamp(now),
        "requestContext": {
            "requestId": event["id"],
            "functionArn": project.arn(event["function"], version),
            "condition": condition,
            "approximateInvokeCount": data.get("attempts", 0),
        },
        "requestPayload": _parsed(data["payload"]),
    }
    if last is not None:  # ZeroReservedConcurrency: never ran, so no response
        response = {"statusCode": last["statusCode"], "executedVersion": last["executedVersion"]}
        if last.get("functionError"):
            response["functionError"] = last["functionError"]
        record["responseContext"] = response
        record["responsePayload"] = _parsed(last["payload"])
    return record


def dead_letter_attributes(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    """RequestID, ErrorCode (the HTTP status: 200 for function errors) and ErrorMessage."""
    last = event["data"].get("last")
    if last is None:
        code, message = "429", "Rate Exceeded."
    else:
        code = str(last["statusCode"])
        message = _error_message(last["payload"])
    return {
        "RequestID": {"DataType": "String", "StringValue": event["id"]},
        "ErrorCode": {"DataType": "Number", "StringValue": code},
        "ErrorMessage": {
            "DataType": "String",
            "StringValue": message.encode()[:ERROR_MESSAGE_LIMIT].decode("utf-8", "ignore"),
        },
    }


def _error_message(payload: str) -> str:
    parsed = _parsed(payload)
    if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
        return str(parsed["errorMessage"])
    return payload


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _timestamp(now: float) -> str:
    moment = datetime.fromtimestamp(now, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
