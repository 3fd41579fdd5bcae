"""SQS's shapes (JSON protocol): responses and messages, with SQS's MD5 digests."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any

ERRORS: dict[str, tuple[str, str]] = {
    # lambdactl's error type: (SQS's error shape, its query-protocol code)
    "QueueDoesNotExist": ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"),
    "QueueNameExists": ("QueueNameExists", "QueueAlreadyExists"),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid"),
    "InvalidMessageContents": ("InvalidMessageContents", "InvalidMessageContents"),
    "InvalidAttributeName": ("InvalidAttributeName", "InvalidAttributeName"),
    "InvalidAttributeValue": ("InvalidAttributeValue", "InvalidAttributeValue"),
    "MessageNotInflight": ("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"),
    "UnsupportedOperation": (
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
    ),
    "EmptyBatchRequest": ("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"),
    "TooManyEntriesInBatchRequest": (
        "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    ),
    "BatchEntryIdsNotDistinct": (
        "BatchEntryIdsNotDistinct",
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    ),
    "InvalidBatchEntryId": ("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"),
    "BatchRequestTooLong": ("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"),
    # Not in SQS's model (no exception class in the SDKs): common query errors.
    "MissingParameter": ("MissingParameter", "MissingParameter"),
    "InvalidParameterValueException": ("InvalidParameterValue", "InvalidParameterValue"),
}
"""SQS's JSON protocol names an error twice: `__type` (`com.amazonaws.sqs#<shape>`) and the
`x-amzn-query-error` header (`<query code>;Sender`), the code its query protocol used, which
botocore and the AWS CLI show. A batch entry's failure carries the query code."""


def error_code(aws_type: str) -> tuple[str, str]:
    """(shape, query code) of a lambdactl error type; an unknown type is both."""
    return ERRORS.get(aws_type, (aws_type, aws_type))


def create_queue(url: str) -> dict[str, Any]:
    """CreateQueue's (and GetQueueUrl's) response."""
    return {"QueueUrl": url}


def list_queues(urls: Sequence[str], next_token: str | None = None) -> dict[str, Any]:
    """ListQueues' response (SQS leaves `QueueUrls` out when there are none)."""
    shape: dict[str, Any] = {"QueueUrls": list(urls)} if urls else {}
    if next_token is not None:
        shape["NextToken"] = next_token
    return shape


def dead_letter_sources(urls: Sequence[str], next_token: str | None = None) -> dict[str, Any]:
    """ListDeadLetterSourceQueues' response: `queueUrls` (so spelled, and always there)."""
    shape: dict[str, Any] = {"queueUrls": list(urls)}
    if next_token is not None:
        shape["NextToken"] = next_token
    return shape


def queue_attributes(every: Mapping[str, str], names: Sequence[str]) -> dict[str, Any]:
    """GetQueueAttributes' response: the attributes named (`All`: every one), none asked for
    (or none there) -> no `Attributes` key at all."""
    wanted = every if "All" in names else {n: every[n] for n in names if n in every}
    return {"Attributes": dict(wanted)} if wanted else {}


def sent(message: Mapping[str, Any], *, fifo: bool) -> dict[str, Any]:
    """SendMessage's response for a stored message (`id`, `body`, `attributes`, `sent`)."""
    response: dict[str, Any] = {"MD5OfMessageBody": _md5(message["body"].encode())}
    if message["attributes"]:
        response["MD5OfMessageAttributes"] = attributes_md5(message["attributes"])
    response["MessageId"] = message["id"]
    if fifo:
        response["SequenceNumber"] = f"{int(message['sent'] * 1_000_000):020d}"
    return response


def message(message: Mapping[str, Any], *, sender: str, fifo: bool) -> dict[str, Any]:
    """A received message as ReceiveMessage lists it; `sender` is the sending account."""
    attributes = {
        "SenderId": sender,
        "SentTimestamp": str(int(message["sent"] * 1000)),
        "ApproximateReceiveCount": str(message["receive_count"]),
        "ApproximateFirstReceiveTimestamp": str(int(message["first_receive"] * 1000)),
    }
    if fifo:
        attributes["MessageGroupId"] = message["group"]
    if message.get("dead_letter_source"):  # moved here by the source queue's RedrivePolicy
        attributes["DeadLetterQueueSourceArn"] = message["dead_letter_source"]
    shape: dict[str, Any] = {
        "MessageId": message["id"],
        "ReceiptHandle": message["receipt"],
        "MD5OfBody": _md5(message["body"].encode()),
        "Body": message["body"],
        "Attributes": attributes,
    }
    if message["attributes"]:
        shape["MD5OfMessageAttributes"] = attributes_md5(message["attributes"])
        shape["MessageAttributes"] = message["attributes"]
    return shape


def selected(
    message: Mapping[str, Any], *, system: Sequence[str], attributes: Sequence[str]
) -> dict[str, Any]:
    """A received message with only the attributes ReceiveMessage asked for: `system` names
    (AttributeNames, MessageSystemAttributeNames; `All`) and `attributes` names
    (MessageAttributeNames: a name, `prefix.*`, `All` or `.*`). MD5OfMessageAttributes
    covers the message attributes returned."""
    shape = {k: v for k, v in message.items() if k not in ("Attributes", "MessageAttributes")}
    shape.pop("MD5OfMessageAttributes", None)
    every = message.get("Attributes", {})
    chosen = every if "All" in system else {n: every[n] for n in system if n in every}
    if chosen:
        shape["Attributes"] = dict(chosen)
    kept = {
        name: value
        for name, value in message.get("MessageAttributes", {}).items()
        if _attribute_wanted(name, attributes)
    }
    if kept:
        shape["MD5OfMessageAttributes"] = attributes_md5(kept)
        shape["MessageAttributes"] = kept
    return shape


def _attribute_wanted(name: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern in ("All", ".*") or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def batch_result(
    successful: Sequence[Mapping[str, Any]], failed: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """A batch operation's response: `Successful` and `Failed` entries, both always there."""
    return {"Successful": list(successful), "Failed": list(failed)}


def batch_failure(entry_id: str, aws_type: str, message: str) -> dict[str, Any]:
    """One entry's failure in a batch (BatchResultErrorEntry), with SQS's query code."""
    return {
        "Id": entry_id,
        "SenderFault": True,
        "Code": error_code(aws_type)[1],
        "Message": message,
    }


def received(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """ReceiveMessage's response: no `Messages` key at all when there are none."""
    return {"Messages": list(messages)} if messages else {}


def attributes_md5(attributes: Mapping[str, Mapping[str, str]]) -> str:
    """SQS's MD5OfMessageAttributes: names sorted, each length-prefixed with its data type,
    a transport byte (1 string/number, 2 binary) and its value."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value.get("DataType", "String")
        for part in (name, data_type):
            encoded = part.encode()
            digest.update(struct.pack(">I", len(encoded)) + encoded)
        if data_type.startswith("Binary"):
            raw = _binary(value.get("BinaryValue", ""))
            digest.update(b"\x02" + struct.pack(">I", len(raw)) + raw)
        else:
            raw = value.get("StringValue", "").encode()
            digest.update(b"\x01" + struct.pack(">I", len(raw)) + raw)
    return digest.hexdigest()


def _binary(value: str) -> bytes:
    """A BinaryValue's bytes: the JSON protocol carries them base64-encoded."""
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return value.encode()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Lambda's SQS event (spec §7.2): the records an event source mapping delivers


def queue_arn(region: str, account: str, queue: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{queue}"


def receipt_handle() -> str:
    """An opaque receipt handle, shaped like SQS's (base64 text)."""
    return "AQEB" + base64.b64encode(os.urandom(96)).decode()


def record(
    message_id: str,
    body: str,
    *,
    queue_arn: str,
    receipt_handle: str,
    sent: float,
    sender: str,
    first_receive: float | None = None,
    receive_count: int = 1,
    attributes: Mapping[str, Mapping[str, str]] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    sequence_number: str | None = None,
    trace_header: str | None = None,
) -> dict[str, Any]:
    """One message as Lambda delivers it: `sent` and `first_receive` in epoch seconds,
    `attributes` the message attributes as SendMessage takes them (`DataType`,
    `StringValue` / `BinaryValue`), `group_id` etc. for a FIFO queue's message. The region is
    the queue's (from its ARN)."""
    system = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(int(sent * 1000)),
        "SenderId": sender,
        "ApproximateFirstReceiveTimestamp": str(int((first_receive or sent) * 1000)),
    }
    if trace_header is not None:
        system["AWSTraceHeader"] = trace_header
    if group_id is not None:
        system["SequenceNumber"] = sequence_number or f"{int(sent * 1_000_000):020d}"
        system["MessageGroupId"] = group_id
        system["MessageDeduplicationId"] = (
            deduplication_id or hashlib.sha256(body.encode()).hexdigest()
        )
    given = dict(attributes or {})
    shape: dict[str, Any] = {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": system,
        "messageAttributes": {name: _record_attribute(v) for name, v in given.items()},
    }
    if given:
        shape["md5OfMessageAttributes"] = attributes_md5(given)
    shape["md5OfBody"] = _md5(body.encode())
    shape["eventSource"] = "aws:sqs"
    shape["eventSourceARN"] = queue_arn
    shape["awsRegion"] = queue_arn.split(":")[3]
    return shape


def event(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def _record_attribute(value: Mapping[str, str]) -> dict[str, Any]:
    """A message attribute as Lambda's records spell it (lower camel case, empty lists)."""
    data_type = value.get("DataType", "String")
    shape: dict[str, Any] = {}
    if data_type.startswith("Binary"):
        shape["binaryValue"] = value.get("BinaryValue", "")
    else:
        shape["stringValue"] = value.get("StringValue", "")
    shape.update({"stringListValues": [], "binaryListValues": [], "dataType": data_type})
    return shape
