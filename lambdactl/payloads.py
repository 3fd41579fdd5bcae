"""What an Invoke request carries, checked as the Invoke API checks it: the payload (JSON,
UTF-8, within the size limit of its invocation type) and the client context (base64 of a
JSON object). Errors are AWS's, in AWS's words (its JSON parser's, for a payload).

Both the invoker and the asynchronous queue check through here, so that an Event invocation
is refused for exactly what a synchronous one is (and for its smaller size limit).
"""

from __future__ import annotations

import base64
import json

from .errors import (
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    utf8_problem,
)
from .runtime import protocol

MAX_SYNC_PAYLOAD_BYTES = protocol.MAX_PAYLOAD_BYTES
"""A synchronous invocation's request (and response) limit: 6 MB."""
MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024
"""AWS's asynchronous payload limit (1 MB since October 2025)."""
MAX_CLIENT_CONTEXT_BYTES = 3583
"""The X-Amz-Client-Context header's limit (base64 text)."""


def check_payload(payload: bytes, *, event: bool = False) -> bytes:
    """The event bytes to deliver: `{}` for an empty payload; AWS's errors otherwise (too
    large for any request, too large for an `event` (asynchronous) invocation, then not
    JSON), each in AWS's words."""
    if len(payload) > MAX_SYNC_PAYLOAD_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes for the "
            "InvokeFunction operation"
        )
    if event and len(payload) > MAX_ASYNC_PAYLOAD_BYTES:
        raise RequestEntityTooLargeException(
            f"{len(payload)} byte payload is too large for the Event invocation type "
            f"(limit {MAX_ASYNC_PAYLOAD_BYTES} bytes)"
        )
    if not payload.strip():
        return b"{}"
    problem = json_problem(payload)
    if problem is not None:
        raise InvalidRequestContentException(
            "Could not parse request body into json: Could not parse payload into json: "
            + problem
        )
    return payload


def json_problem(data: bytes) -> str | None:
    """Why `data` is not JSON, in the words of AWS's (Jackson) parser; None when it is."""
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return _jackson_style(data, exc)
    return None


def decode_client_context(client_context: str | None) -> str | None:
    """base64 client context -> the JSON text the runtime receives."""
    if client_context is None:
        return None
    if len(client_context) > MAX_CLIENT_CONTEXT_BYTES:
        raise InvalidRequestContentException(
            f"Client context must be smaller than {MAX_CLIENT_CONTEXT_BYTES} bytes."
        )
    value = base64_json(client_context)
    if not isinstance(value, dict):
        raise InvalidRequestContentException(
            "Client context must be a valid Base64-encoded JSON object."
        )
    # One line: it travels in an HTTP header of the Runtime API.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def base64_json(text: str) -> object | None:
    """The JSON value `text` is the base64 of, or None."""
    try:
        return json.loads(base64.b64decode(text, validate=True).decode())
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


def _jackson_style(payload: bytes, exc: Exception) -> str:
    """Describe a JSON syntax error the way AWS's (Jackson) parser words the common cases."""
    source = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"
    not_utf8 = utf8_problem(payload) if isinstance(exc, UnicodeDecodeError) else None
    if not_utf8 is not None:  # located in bytes, as Jackson reads them
        detail, offset = not_utf8
        line = payload.count(b"\n", 0, offset) + 1
        column = offset - (payload.rfind(b"\n", 0, offset) + 1) + 1
        return f"{detail}\n at [Source: {source}; line: {line}, column: {column}]"
    text = payload.decode("utf-8", "replace")
    position = min(getattr(exc, "pos", 0) or 0, len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    problem = getattr(exc, "msg", "")
    char = text[position] if position < len(text) else ""
    unexpected = f"Unexpected character ('{char}' (code {ord(char)}))" if char else ""
    expected = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
    inside = "Object" if text.rfind("{", 0, position) > text.rfind("[", 0, position) else "Array"
    if not char:
        detail = f"Unexpected end-of-input: expected close marker for {inside}"
    elif problem.startswith("Expecting property name"):
        detail = f"{unexpected}: was expecting double-quote to start field name"
    elif problem.startswith("Expecting ',' delimiter"):
        detail = f"{unexpected}: was expecting comma to separate {inside} entries"
    elif problem.startswith("Expecting ':' delimiter"):
        detail = f"{unexpected}: was expecting a colon to separate field name and value"
    elif problem.startswith("Expecting value") and char.isalpha():
        token = ""
        for letter in text[position:]:
            if not (letter.isalnum() or letter in "_$"):
                break
            token += letter
        detail = f"Unrecognized token '{token}': was expecting {expected}"
    elif problem.startswith("Expecting value"):
        detail = f"{unexpected}: expected a valid value {expected}"
    else:
        detail = f"{problem}"
    return f"{detail}\n at [Source: {source}; line: {line}, column: {column}]"
