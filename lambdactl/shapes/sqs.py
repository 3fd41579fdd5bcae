"""SQS's shapes (JSON protocol): responses and messages, with SQS's MD5 digests."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from typing import Any


def create_queue(url: str) -> dict[str, Any]:
    """CreateQueue's response."""
    return {"QueueUrl": url}


def list_queues(urls: Sequence[str]) -> dict[str, Any]:
    """ListQueues' response."""
    return {"QueueUrls": list(urls)}


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
            raw = value.get("BinaryValue", "").encode()
            digest.update(b"\x02" + struct.pack(">I", len(raw)) + raw)
        else:
            raw = value.get("StringValue", "").encode()
            digest.update(b"\x01" + struct.pack(">I", len(raw)) + raw)
    return digest.hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
