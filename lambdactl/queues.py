"""Local queues with Amazon SQS's semantics: durable messages in `.lambda/`, visibility
timeouts, receive counts, long polling, delays, FIFO groups and de-duplication.

They are the targets of async destinations and dead-letter queues, and (later) event
sources. Queues declared in the manifest exist without `create`; the manifest's attributes
win over stored ones. Error messages are SQS's; the shapes returned are `shapes.sqs`'s.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import ids
from .errors import AwsError, InvalidParameterValueException
from .manifest import QUEUE_ATTRIBUTES, queue_name_problem
from .project import Project
from .shapes import sqs

DEDUP_WINDOW_SECONDS = 300
"""FIFO queues drop a message whose de-duplication id was seen in the last 5 minutes."""
POLL_SECONDS = 0.05
"""How often a long poll looks again."""

ATTRIBUTES = QUEUE_ATTRIBUTES


class QueueDoesNotExist(AwsError):
    aws_type = "QueueDoesNotExist"
    http_status = 400
    exit_code = 3

    def __init__(self) -> None:
        super().__init__("The specified queue does not exist.")


class QueueNameExists(AwsError):
    aws_type = "QueueNameExists"
    http_status = 400
    exit_code = 4


class ReceiptHandleIsInvalid(AwsError):
    aws_type = "ReceiptHandleIsInvalid"
    http_status = 400
    exit_code = 2


class MissingParameter(AwsError):
    aws_type = "MissingParameter"
    http_status = 400
    exit_code = 2


class InvalidMessageContents(AwsError):
    aws_type = "InvalidMessageContents"
    http_status = 400
    exit_code = 2


ALLOWED_CHARACTERS = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"
"""What SQS accepts in a message (XML 1.0's characters), as its error message lists them."""
_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID = re.compile(r"[!-~]{1,128}")
"""MessageGroupId and MessageDeduplicationId: alphanumeric and punctuation, 1 to 128."""


@dataclass(frozen=True)
class Queue:
    name: str
    attributes: Mapping[str, Any]
    """Manifest-style keys (`visibility_timeout`, `fifo`, ...), every one present."""
    created: float

    @property
    def fifo(self) -> bool:
        return bool(self.attributes["fifo"])


def check_attributes(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a queue's name and attributes (SQS's rules); every attribute filled in."""
    attributes: dict[str, Any] = {}
    for key, (aws_name, default, low, high) in ATTRIBUTES.items():
        value = given.get(key, default)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise InvalidParameterValueException(f"Invalid value for the parameter {aws_name}.")
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidParameterValueException(f"Invalid value for the parameter {aws_name}.")
        attributes[key] = value
    unknown = set(given) - set(ATTRIBUTES)
    if unknown:
        raise InvalidParameterValueException(f"Unknown Attribute {sorted(unknown)[0]}.")
    fifo = attributes["fifo"]
    problem = queue_name_problem(name, fifo=fifo)
    if problem is not None:
        raise InvalidParameterValueException(problem)
    if attributes["content_based_deduplication"] and not fifo:
        raise InvalidParameterValueException(
            "Unknown Attribute ContentBasedDeduplication."  # SQS: standard queues lack it
        )
    return attributes


def url(project: Project, name: str) -> str:
    manifest = project.manifest
    return f"https://sqs.{manifest.region}.amazonaws.com/{manifest.account}/{name}"


def arn(project: Project, name: str) -> str:
    return f"arn:aws:sqs:{project.manifest.region}:{project.manifest.account}:{name}"


def ensure_declared(project: Project, now: float | None = None) -> None:
    """Make the manifest's queues exist with the manifest's attributes."""
    for name, given in project.manifest.queues.items():
        attributes = check_attributes(name, given)
        current = project.store.get_queue(name)
        if current is None or current["attributes"] != attributes:
            project.store.put_queue(name, attributes, time.time() if now is None else now)


def create(project: Project, name: str, attributes: Mapping[str, Any] | None = None) -> Queue:
    """CreateQueue: idempotent for the same attributes, QueueNameExists for different ones."""
    ensure_declared(project)
    given = dict(attributes or {})
    wanted = check_attributes(name, given)
    current = project.store.get_queue(name)
    if current is not None:
        for key in given:  # SQS compares only the attributes the request gives
            if current["attributes"].get(key) != wanted[key]:
                raise QueueNameExists(
                    "A queue already exists with the same name and a different value for "
                    f"attribute {ATTRIBUTES[key][0]}"
                )
        return _queue(current)
    return _queue(project.store.put_queue(name, wanted, time.time()))


def get(project: Project, name: str) -> Queue:
    if queue_name_problem(name, fifo=name.endswith(".fifo")) is not None:
        raise QueueDoesNotExist()  # no queue has that name (nor can one)
    ensure_declared(project)
    record = project.store.get_queue(name)
    if record is None:
        raise QueueDoesNotExist()
    return _queue(record)


def list_queues(project: Project) -> list[Queue]:
    ensure_declared(project)
    return [_queue(record) for record in project.store.list_queues()]


def delete(project: Project, name: str) -> None:
    get(project, name)
    project.store.delete_queue(name)


def purge(project: Project, name: str) -> int:
    _expire(project, get(project, name), time.time())
    return project.store.purge_queue(name)


def counts(project: Project, name: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    now = time.time()
    _expire(project, get(project, name), now)
    return project.store.queue_counts(name, now)


def send(
    project: Project,
    name: str,
    body: str,
    *,
    delay: int | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_attributes: Mapping[str, Mapping[str, str]] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """SendMessage; returns SQS's response shape."""
    queue = get(project, name)
    _check_contents(body, message_attributes or {})
    now = time.time() if now is None else now
    size = len(body.encode()) + sum(
        len(k.encode())
        + len(v.get("DataType", "").encode())
        + len(v.get("StringValue", "").encode())
        for k, v in (message_attributes or {}).items()
    )
    limit = queue.attributes["max_message_size"]
    if size > limit:
        raise InvalidParameterValueException(
            "One or more parameters are invalid. Reason: Message must be shorter than "
            f"{limit} bytes."
        )
    if not body:
        raise MissingParameter("The request must contain the parameter MessageBody.")
    if queue.fifo:
        if not group_id:
            raise MissingParameter("The request must contain the parameter MessageGroupId.")
        if deduplication_id is None:
            if not queue.attributes["content_based_deduplication"]:
                raise InvalidParameterValueException(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            deduplication_id = hashlib.sha256(body.encode()).hexdigest()
    for parameter, value in (
        ("MessageGroupId", group_id),
        ("MessageDeduplicationId", deduplication_id),
    ):
        if value is not None and not _ID.fullmatch(value):
            raise InvalidParameterValueException(
                f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can "
                "only include alphanumeric and punctuation characters. 1 to 128 in length."
            )
    # A standard queue takes a MessageGroupId (SQS fair queues) without ordering by it.
    if delay is not None and not 0 <= delay <= 900:
        raise InvalidParameterValueException(
            f"Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be "
            ">= 0 and <= 900."
        )
    if queue.fifo and delay:  # per-message delays would let a group's messages overtake
        raise InvalidParameterValueException(
            f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request include "
            "parameter that is not valid for this queue type."
        )
    delay = queue.attributes["delay"] if delay is None else delay
    message = {
        "id": ids.uuid4(),
        "body": body,
        "attributes": dict(message_attributes or {}),
        "sent": now,
        "group": group_id if queue.fifo else None,
        "dedup": deduplication_id,
        "dedup_window": DEDUP_WINDOW_SECONDS,
    }
    stored = project.store.send_message(name, message, visible_at=now + delay)
    return sqs.sent(stored, fifo=queue.fifo)


def receive(
    project: Project,
    name: str,
    *,
    max_messages: int = 1,
    wait: int | None = None,
    visibility_timeout: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """ReceiveMessage: up to `max_messages` (1..10), long polling up to `wait` seconds."""
    queue = get(project, name)
    if not 1 <= max_messages <= 10:
        raise InvalidParameterValueException(
            f"Value {max_messages} for parameter MaxNumberOfMessages is invalid. Reason: Must "
            "be between 1 and 10, if provided."
        )
    wait = queue.attributes["receive_wait"] if wait is None else wait
    if not 0 <= wait <= 20:
        raise InvalidParameterValueException(
            f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and "
            "<= 20, if provided."
        )
    hide = (
        queue.attributes["visibility_timeout"] if visibility_timeout is None else visibility_timeout
    )
    if not 0 <= hide <= 43200:
        raise InvalidParameterValueException(
            f"Value {hide} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 "
            "and <= 43200, if provided."
        )
    deadline = clock() + wait
    while True:
        now = clock()
        _expire(project, queue, now)
        taken = project.store.receive_messages(
            name, limit=max_messages, now=now, visibility_timeout=hide, fifo=queue.fifo
        )
        if taken or now >= deadline:
            sender = project.manifest.account
            return [sqs.message(m, sender=sender, fifo=queue.fifo) for m in taken]
        sleep(min(POLL_SECONDS, max(0.0, deadline - now)))


def delete_message(project: Project, name: str, receipt_handle: str) -> None:
    get(project, name)
    if not receipt_handle.isascii() or not project.store.delete_message(name, receipt_handle):
        raise ReceiptHandleIsInvalid(
            f'The input receipt handle "{receipt_handle}" is not a valid receipt handle.'
        )


def _check_contents(body: str, attributes: Mapping[str, Mapping[str, str]]) -> None:
    """SQS's character rules for a message body, attribute names and string values."""
    bad = _not_allowed(body)
    if bad:
        raise InvalidMessageContents(
            f"Invalid binary character '{bad}' was found in the message body, the set of "
            f"allowed characters is {ALLOWED_CHARACTERS}."
        )
    for name, value in attributes.items():
        bad = _not_allowed(name)  # (SQS also refuses more than this in names)
        if bad:
            raise InvalidParameterValueException(
                f"Invalid non-alphanumeric character '{bad}' was found in the message "
                "attribute name. Can only include alphanumeric characters, hyphens, "
                "underscores, or dots."
            )
        bad = _not_allowed(value.get("StringValue", ""))
        if bad:
            raise InvalidMessageContents(
                f"Invalid binary character '{bad}' was found in the value of message "
                f"attribute {name}, the set of allowed characters is {ALLOWED_CHARACTERS}."
            )


def _not_allowed(text: str) -> str | None:
    """SQS's name (`#x1B`) for the first character of `text` it does not allow. A byte that
    is not UTF-8 (which Python keeps as a lone surrogate) is named as that byte."""
    found = _NOT_ALLOWED.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return f"#x{code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else code:X}"


def _expire(project: Project, queue: Queue, now: float) -> None:
    """Retention: messages older than the queue's retention period are gone."""
    project.store.expire_messages(queue.name, now - queue.attributes["retention"])


def _queue(record: Mapping[str, Any]) -> Queue:
    return Queue(record["name"], dict(record["attributes"]), record["created"])
