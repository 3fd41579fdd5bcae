"""Payload and client-context checks, as the Invoke API makes them (spec §2)."""

from __future__ import annotations

import base64

import pytest

from lambdactl.errors import InvalidRequestContentException, RequestEntityTooLargeException
from lambdactl.payloads import MAX_ASYNC_PAYLOAD_BYTES, check_payload, decode_client_context


@pytest.mark.parametrize(
    "body", [b'{"a": }', b"{'a': 1}", b"not json", b'{"a": 1', b"\x99\x00", b'{"a": 1}}']
)
def test_invalid_json_is_refused_with_aws_message(body: bytes) -> None:
    with pytest.raises(InvalidRequestContentException) as info:
        check_payload(body)
    assert info.value.message.startswith(
        "Could not parse request body into json: Could not parse payload into json: "
    )
    assert info.value.http_status == 400
    assert "\n at [Source: REDACTED (" in info.value.message


def test_invalid_json_detail_reads_like_jackson() -> None:
    with pytest.raises(InvalidRequestContentException) as info:
        check_payload(b'{"a": }')
    assert info.value.message == (
        "Could not parse request body into json: Could not parse payload into json: "
        "Unexpected character ('}' (code 125)): expected a valid value (JSON String, Number, "
        "Array, Object or token 'null', 'true' or 'false')\n at [Source: REDACTED "
        "(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 7]"
    )


def test_payload_over_6_mb_is_refused() -> None:
    with pytest.raises(RequestEntityTooLargeException) as info:
        check_payload(b'"' + b"x" * 6291456 + b'"')
    assert info.value.message == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    assert (info.value.aws_type, info.value.http_status) == ("RequestEntityTooLargeException", 413)


def test_empty_payload_becomes_an_empty_object() -> None:
    assert check_payload(b"") == b"{}"
    assert check_payload(b" \r\n\t") == b"{}"
    assert check_payload(b"[1]") == b"[1]"


def test_the_async_limit_is_1_mb_in_the_words_aws_uses_for_events() -> None:
    """The message real AWS sends for an Event invocation over its limit (seen as
    `264496 byte payload is too large for the Event invocation type (limit 262144 bytes)`
    when the limit was 256 KB)."""
    payload = b'"' + b"x" * MAX_ASYNC_PAYLOAD_BYTES + b'"'
    assert check_payload(payload) == payload  # a synchronous invocation takes it
    with pytest.raises(RequestEntityTooLargeException) as info:
        check_payload(payload, event=True)
    assert info.value.message == (
        f"{len(payload)} byte payload is too large for the Event invocation type "
        "(limit 1048576 bytes)"
    )
    over_any = b'"' + b"x" * 6291456 + b'"'
    with pytest.raises(RequestEntityTooLargeException) as info:
        check_payload(over_any, event=True)
    assert info.value.message == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )


def test_client_context_is_base64_of_a_json_object() -> None:
    encoded = base64.b64encode(b'{"custom": {"k": "v"}}').decode()
    assert decode_client_context(encoded) == '{"custom":{"k":"v"}}'
    assert decode_client_context(None) is None
    for bad in ("notbase64!", base64.b64encode(b"[1]").decode(), "e30=" * 1000):
        with pytest.raises(InvalidRequestContentException):
            decode_client_context(bad)
