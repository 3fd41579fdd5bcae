"""Local queues with Amazon SQS's semantics: durable messages in `.lambda/`, visibility
timeouts, receive counts, long polling, delays, FIFO groups and de-duplication.

They are the targets of async destinations and dead-letter queues, and (later) event
sources. Queues declared in the manifest exist without `create`; the manifest's attributes
win over stored ones. Error messages are SQS's; the shapes returned are `shapes.sqs`'s.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import arns, ids
from .errors import AwsError, InvalidParameterValueException
from .manifest import (
    DEAD_LETTER_TYPE_RULE,
    MAX_RECEIVE_COUNT_RANGE,
    QUEUE_ATTRIBUTES,
    QUEUE_REDRIVE_KEYS,
    queue_name_problem,
)
from .project import Project
from .shapes import sqs
from .store import DeadLetter, VisibilityChange

DEDUP_WINDOW_SECONDS = 300
"""FIFO queues drop a message whose de-duplication id was seen in the last 5 minutes."""
POLL_SECONDS = 0.05
"""How often a long poll looks again."""

ATTRIBUTES = QUEUE_ATTRIBUTES
BY_SQS_NAME = {aws_name: key for key, (aws_name, *_rest) in ATTRIBUTES.items()}
"""Manifest keys by SQS attribute name (`VisibilityTimeout` -> `visibility_timeout`)."""
INERT_ATTRIBUTES = frozenset(
    {
        "Policy",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
        "DeduplicationScope",
        "FifoThroughputLimit",
    }
)
"""SQS attributes a local queue accepts and has no use for: access policy, encryption and
FIFO throughput change nothing a test on one machine can observe."""
UNIMPLEMENTED_ATTRIBUTES = frozenset({"RedriveAllowPolicy"})
"""SQS attributes whose behaviour local queues lack: refused, rather than silently ignored.
(Every source queue of the project may name any queue of the project as its dead-letter
queue: SQS's default `allowAll`.)"""
REDRIVE_POLICY_KEYS = ("deadLetterTargetArn", "maxReceiveCount")
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
"""A SendMessageBatch's messages together, as SQS counts them (bodies and attributes)."""
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


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


class InvalidAttributeName(InvalidParameterValueException):
    aws_type = "InvalidAttributeName"


class InvalidAttributeValue(InvalidParameterValueException):
    aws_type = "InvalidAttributeValue"


class MessageNotInflight(AwsError):
    aws_type = "MessageNotInflight"
    http_status = 400
    exit_code = 2

    def __init__(self) -> None:
        super().__init__("The message referred to isn't in flight.")


class UnsupportedOperation(AwsError):
    aws_type = "UnsupportedOperation"
    http_status = 400
    exit_code = 2


class EmptyBatchRequest(AwsError):
    aws_type = "EmptyBatchRequest"
    http_status = 400
    exit_code = 2


class TooManyEntriesInBatchRequest(AwsError):
    aws_type = "TooManyEntriesInBatchRequest"
    http_status = 400
    exit_code = 2


class BatchEntryIdsNotDistinct(AwsError):
    aws_type = "BatchEntryIdsNotDistinct"
    http_status = 400
    exit_code = 2


class InvalidBatchEntryId(AwsError):
    aws_type = "InvalidBatchEntryId"
    http_status = 400
    exit_code = 2


class BatchRequestTooLong(AwsError):
    aws_type = "BatchRequestTooLong"
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

    @property
    def dead_letter(self) -> str | None:
        """The dead-letter queue's name (RedrivePolicy's target), or None."""
        return self.attributes.get("dead_letter")

    @property
    def max_receive_count(self) -> int | None:
        return self.attributes.get("max_receive_count")


def check_attributes(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a queue's name and attributes (SQS's rules); every attribute filled in."""
    attributes: dict[str, Any] = {}
    for key, (aws_name, default, low, high) in ATTRIBUTES.items():
        value = given.get(key, default)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise InvalidAttributeValue(f"Invalid value for the parameter {aws_name}.")
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidAttributeValue(f"Invalid value for the parameter {aws_name}.")
        attributes[key] = value
    unknown = set(given) - set(ATTRIBUTES) - set(QUEUE_REDRIVE_KEYS)
    if unknown:
        raise InvalidAttributeName(f"Unknown Attribute {sorted(unknown)[0]}.")
    attributes.update(_check_redrive(given))
    fifo = attributes["fifo"]
    problem = queue_name_problem(name, fifo=fifo)
    if problem is not None:
        raise InvalidParameterValueException(problem)
    if attributes["content_based_deduplication"] and not fifo:
        raise InvalidAttributeName(
            "Unknown Attribute ContentBasedDeduplication."  # SQS: standard queues lack it
        )
    return attributes


def _check_redrive(given: Mapping[str, Any]) -> dict[str, Any]:
    """A queue's redrive attributes, both or neither (None for either: none)."""
    target, count = given.get("dead_letter"), given.get("max_receive_count")
    if target is None and count is None:
        return {}
    low, high = MAX_RECEIVE_COUNT_RANGE
    if not isinstance(target, str) or queue_name_problem(target, fifo=target.endswith(".fifo")):
        raise InvalidAttributeValue(
            f"Value {redrive_policy_json(str(target), count)} for parameter RedrivePolicy is "
            "invalid. Reason: Dead letter target does not exist."
        )
    if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= high:
        raise InvalidAttributeValue(
            f"Value {redrive_policy_json(target, count)} for parameter RedrivePolicy is "
            f"invalid. Reason: Invalid value for maxReceiveCount: {count}, valid values are "
            f"from {low} to {high} both inclusive."
        )
    return {"dead_letter": target, "max_receive_count": count}


def redrive_policy_json(target: str, count: object, *, arn_prefix: str = "") -> str:
    """A RedrivePolicy as SQS gives it back: compact JSON, the count a number."""
    return json.dumps(
        {"deadLetterTargetArn": arn_prefix + target, "maxReceiveCount": count},
        separators=(",", ":"),
    )


def url(project: Project, name: str, endpoint: str | None = None) -> str:
    """The queue's URL, `<base>/<account>/<name>` as SQS and LocalStack shape them: the base is
    `endpoint`, else the project's running `lambdactl serve` (so the URL works with an SDK
    pointed at it), else SQS's own `https://sqs.<region>.amazonaws.com`."""
    from . import endpoint as endpoints

    manifest = project.manifest
    if endpoint is None:
        served = endpoints.running(manifest.state_dir)
        endpoint = served.url if served is not None else None
    return arns.queue_url(manifest.region, manifest.account, name, endpoint)


def name_from_url(project: Project, queue_url: str) -> str:
    """The queue a QueueUrl names: any `scheme://host[:port]/<account>/<name>` of the project's
    account (the URLs `url` hands out, SQS's own form, a client's `localhost` for
    `127.0.0.1`); anything else names no queue (QueueDoesNotExist)."""
    scheme, sep, rest = queue_url.partition("://")
    _host, slash, path = rest.partition("/")
    account, _, name = path.rstrip("/").partition("/")
    if not (sep and slash and scheme in ("http", "https")):
        raise QueueDoesNotExist()
    if account != project.manifest.account or not name or "/" in name:
        raise QueueDoesNotExist()
    return name


def attributes_from_sqs(project: Project, given: Mapping[str, object]) -> dict[str, Any]:
    """CreateQueue's and SetQueueAttributes' `Attributes` (SQS's names, string values) as a
    queue's attributes, unchecked for range (`check_attributes` does that). Inert attributes
    (`INERT_ATTRIBUTES`) are dropped. A RedrivePolicy's target must be a queue of this
    project's account and region; an empty RedrivePolicy removes the queue's."""
    attributes: dict[str, Any] = {}
    for name, value in given.items():
        if name in INERT_ATTRIBUTES:
            continue
        if name == "RedrivePolicy":
            attributes.update(redrive_from_sqs(project, value))
            continue
        if name in UNIMPLEMENTED_ATTRIBUTES:
            raise InvalidAttributeName(
                f"lambdactl's local queues do not implement {name}: any queue may be a "
                "dead-letter queue (SQS's default, allowAll)."
            )
        key = BY_SQS_NAME.get(name)
        if key is None:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        text = str(value).strip() if isinstance(value, (str, int)) else None
        if isinstance(ATTRIBUTES[key][1], bool):
            if text is None or text.lower() not in ("true", "false"):
                raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
            attributes[key] = text.lower() == "true"
        else:
            if text is None or not re.fullmatch(r"-?\d{1,12}", text):
                raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
            attributes[key] = int(text)
    return attributes


def redrive_from_sqs(project: Project, value: object) -> dict[str, Any]:
    """SQS's RedrivePolicy (a JSON string) as `dead_letter` and `max_receive_count`, checked
    as SQS checks it, in its order and with its messages; "" removes the policy (None)."""
    if value == "":
        return {"dead_letter": None, "max_receive_count": None}
    policy: object = None
    if isinstance(value, str):
        try:
            policy = json.loads(value)
        except ValueError:
            policy = None
    if not isinstance(policy, dict):
        raise InvalidAttributeValue(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a "
            "valid JSON map."
        )

    def invalid(reason: str) -> InvalidAttributeValue:
        return InvalidAttributeValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
        )

    for key in reversed(REDRIVE_POLICY_KEYS):  # SQS names a missing count first
        if key not in policy:
            raise invalid(f"Redrive policy does not contain mandatory attribute: {key}.")
    given, target = policy["maxReceiveCount"], policy["deadLetterTargetArn"]
    count = _whole_number(given)
    low, high = MAX_RECEIVE_COUNT_RANGE
    if count is None or not low <= count <= high:
        raise invalid(
            f"Invalid value for maxReceiveCount: {given}, valid values are from {low} to "
            f"{high} both inclusive."
        )
    parts = target.split(":") if isinstance(target, str) else []
    if len(parts) != 6 or parts[0] != "arn":
        raise invalid("Dead-letter target ARN should be fully qualified ARN.")
    if parts[2] != "sqs":
        raise invalid("Only SQS queues are valid resources for deadLetterTargetArn.")
    if set(policy) - set(REDRIVE_POLICY_KEYS):
        raise invalid(
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]."
        )
    manifest = project.manifest
    if (parts[3], parts[4]) != (manifest.region, manifest.account):
        raise invalid("Dead letter target does not exist.")
    return {"dead_letter": parts[5], "max_receive_count": count}


def _whole_number(value: object) -> int | None:
    """maxReceiveCount as SQS takes it: a JSON number or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value.strip()):
        return int(value)
    return None


def sqs_attributes(project: Project, name: str, *, now: float | None = None) -> dict[str, str]:
    """Every attribute GetQueueAttributes gives for `All`, as SQS spells them (strings)."""
    queue = get(project, name)
    now = time.time() if now is None else now
    _expire(project, queue, now)
    visible, in_flight = project.store.queue_counts(name, now)
    delayed = project.store.queue_delayed(name, now)
    values = queue.attributes
    created = str(int(queue.created))
    shape = {
        "QueueArn": arn(project, name),
        "ApproximateNumberOfMessages": str(visible),
        "ApproximateNumberOfMessagesNotVisible": str(in_flight),
        "ApproximateNumberOfMessagesDelayed": str(delayed),
        "CreatedTimestamp": created,
        "LastModifiedTimestamp": created,
        "VisibilityTimeout": str(values["visibility_timeout"]),
        "MaximumMessageSize": str(values["max_message_size"]),
        "MessageRetentionPeriod": str(values["retention"]),
        "DelaySeconds": str(values["delay"]),
        "ReceiveMessageWaitTimeSeconds": str(values["receive_wait"]),
        "SqsManagedSseEnabled": "true",
    }
    if queue.dead_letter is not None:
        shape["RedrivePolicy"] = redrive_policy_json(
            queue.dead_letter, queue.max_receive_count, arn_prefix=arn(project, "")
        )
    if queue.fifo:
        shape["FifoQueue"] = "true"
        shape["DeduplicationScope"] = "queue"
        shape["FifoThroughputLimit"] = "perQueue"
        shape["ContentBasedDeduplication"] = str(values["content_based_deduplication"]).lower()
    return shape


def set_attributes(
    project: Project, name: str, given: Mapping[str, Any], *, policy_text: str | None = None
) -> Queue:
    """SetQueueAttributes: change the attributes `given` (manifest keys). A queue the manifest
    declares takes its attributes from there (UnsupportedOperation); a queue's type cannot
    change (InvalidAttributeName for FifoQueue). `policy_text`: the RedrivePolicy as the
    request wrote it, which SQS's errors quote."""
    queue = get(project, name)
    if name in project.manifest.queues:
        raise UnsupportedOperation(
            f"queue {name} is declared in {project.manifest.path.name}: change its attributes there"
        )
    if "fifo" in given:
        raise InvalidAttributeName("Invalid attribute name FifoQueue")
    merged = {k: v for k, v in {**queue.attributes, **given}.items() if v is not None}
    wanted = check_attributes(name, merged)
    _check_dead_letter(project, name, wanted, policy_text)
    return _queue(project.store.put_queue(name, wanted, queue.created))


def _check_dead_letter(
    project: Project, name: str, attributes: Mapping[str, Any], policy_text: str | None
) -> None:
    """A dead-letter queue exists, is of its source's type and is not the source itself."""
    target = attributes.get("dead_letter")
    if target is None:
        return
    policy = policy_text or redrive_policy_json(
        target, attributes["max_receive_count"], arn_prefix=arn(project, "")
    )

    def invalid(reason: str) -> InvalidAttributeValue:
        return InvalidAttributeValue(
            f"Value {policy} for parameter RedrivePolicy is invalid. Reason: {reason}"
        )

    if target.endswith(".fifo") != bool(attributes["fifo"]):
        raise invalid(DEAD_LETTER_TYPE_RULE + ".")  # sic: SQS ends this reason with ".."
    if target == name:
        raise invalid("A queue cannot be its own dead-letter queue.")
    ensure_declared(project)
    if project.store.get_queue(target) is None:
        raise invalid("Dead letter target does not exist.")


def dead_letter_sources(project: Project, name: str) -> list[Queue]:
    """ListDeadLetterSourceQueues: the queues whose RedrivePolicy names `name`, by name."""
    get(project, name)
    return [q for q in list_queues(project) if q.dead_letter == name]


def arn(project: Project, name: str) -> str:
    return arns.queue_arn(project.manifest.region, project.manifest.account, name)


def ensure_declared(project: Project, now: float | None = None) -> None:
    """Make the manifest's queues exist with the manifest's attributes."""
    for name, given in project.manifest.queues.items():
        attributes = check_attributes(name, given)
        current = project.store.get_queue(name)
        if current is None or current["attributes"] != attributes:
            project.store.put_queue(name, attributes, time.time() if now is None else now)


def create(
    project: Project,
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    policy_text: str | None = None,
) -> Queue:
    """CreateQueue: idempotent for the same attributes, QueueNameExists for different ones.
    `policy_text`: the RedrivePolicy as the request wrote it, which SQS's errors quote."""
    ensure_declared(project)
    given = {k: v for k, v in (attributes or {}).items() if v is not None}
    wanted = check_attributes(name, given)
    current = project.store.get_queue(name)
    if current is not None:
        for key in given:  # SQS compares only the attributes the request gives
            if current["attributes"].get(key) != wanted[key]:
                attribute = "RedrivePolicy" if key in QUEUE_REDRIVE_KEYS else ATTRIBUTES[key][0]
                raise QueueNameExists(
                    "A queue already exists with the same name and a different value for "
                    f"attribute {attribute}"
                )
        return _queue(current)
    _check_dead_letter(project, name, wanted, policy_text)
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


def counts(project: Project, name: str, *, now: float | None = None) -> tuple[int, int]:
    """(visible, in flight) messages at `now` (the real clock unless given)."""
    now = time.time() if now is None else now
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
    check_message_attributes(message_attributes or {})
    _check_contents(body, message_attributes or {})
    now = time.time() if now is None else now
    size = message_size(body, message_attributes)
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
    wait, hide = _receive_limits(queue, max_messages, wait, visibility_timeout)
    deadline = clock() + wait
    while True:
        now = clock()
        taken = _take(project, queue, max_messages, hide, now)
        if taken or now >= deadline:
            return taken
        sleep(min(POLL_SECONDS, max(0.0, deadline - now)))


def receive_wait(
    project: Project,
    name: str,
    *,
    max_messages: int = 1,
    wait: int | None = None,
    visibility_timeout: int | None = None,
) -> int:
    """How long a ReceiveMessage with these parameters may wait (the queue's
    ReceiveMessageWaitTimeSeconds when `wait` is None), checked as ReceiveMessage checks them:
    for callers that wait their own way between `receive(..., wait=0)` calls."""
    queue = get(project, name)
    return _receive_limits(queue, max_messages, wait, visibility_timeout)[0]


def _receive_limits(
    queue: Queue, max_messages: int, wait: int | None, visibility_timeout: int | None
) -> tuple[int, int]:
    """(wait, visibility timeout) of a receive, or SQS's error for a parameter out of range."""
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
    return wait, hide


def _take(
    project: Project, queue: Queue, max_messages: int, hide: int, now: float
) -> list[dict[str, Any]]:
    _expire(project, queue, now)
    taken = project.store.receive_messages(
        queue.name,
        limit=max_messages,
        now=now,
        visibility_timeout=hide,
        fifo=queue.fifo,
        dead_letter=_dead_letter(project, queue),
    )
    sender = project.manifest.account
    return [sqs.message(m, sender=sender, fifo=queue.fifo) for m in taken]


def delete_message(project: Project, name: str, receipt_handle: str) -> None:
    get(project, name)
    if not receipt_handle.isascii() or not project.store.delete_message(name, receipt_handle):
        raise ReceiptHandleIsInvalid(
            f'The input receipt handle "{receipt_handle}" is not a valid receipt handle.'
        )


def delete_messages(project: Project, name: str, receipt_handles: Sequence[str]) -> set[str]:
    """Delete the received messages holding these receipt handles in one transaction (a
    poller settling a batch: one commit instead of one per message); the handles that named
    no message (any more: received again after their timeout, deleted already) come back."""
    get(project, name)
    handles = [h for h in receipt_handles if h.isascii()]
    deleted = project.store.delete_messages(name, handles) if handles else set()
    return set(receipt_handles) - deleted


def has_visible(project: Project, name: str, *, now: float | None = None) -> bool:
    """Whether the queue may give a message now: a read that neither counts the backlog nor
    takes the write lock (a poller looks before each receive)."""
    return project.store.queue_has_visible(name, time.time() if now is None else now)


def change_visibility(
    project: Project,
    name: str,
    receipt_handle: str,
    visibility_timeout: int,
    *,
    now: float | None = None,
) -> None:
    """ChangeMessageVisibility: the received message shows again `visibility_timeout` seconds
    from now (0: at once). Only a message in flight, named by its latest receipt handle."""
    get(project, name)
    if isinstance(visibility_timeout, bool) or not 0 <= visibility_timeout <= 43200:
        raise InvalidParameterValueException(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: "
            "Must be >= 0 and <= 43200, if provided."
        )
    now = time.time() if now is None else now
    outcome = VisibilityChange.UNKNOWN_RECEIPT
    if receipt_handle.isascii():
        outcome = project.store.change_visibility(
            name, receipt_handle, now=now, visible_at=now + visibility_timeout
        )
    if outcome is VisibilityChange.UNKNOWN_RECEIPT:
        raise ReceiptHandleIsInvalid(
            f'The input receipt handle "{receipt_handle}" is not a valid receipt handle.'
        )
    if outcome is VisibilityChange.NOT_IN_FLIGHT:
        raise MessageNotInflight()


def check_batch(ids: Sequence[str], entry: str) -> None:
    """A batch request's entries as SQS checks them before any is done: 1 to 10 of them, ids
    of letters, digits, `-` and `_` (at most 80), no id twice. `entry` names the entry type
    (`SendMessageBatchRequestEntry`) in the error."""
    if not ids:
        raise EmptyBatchRequest(f"There should be at least one {entry} in the request.")
    if len(ids) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. "
            f"You have sent {len(ids)}."
        )
    seen: set[str] = set()
    for entry_id in ids:
        if not _BATCH_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


def check_batch_size(sizes: Sequence[int]) -> None:
    """SendMessageBatch's messages together are at most `MAX_BATCH_BYTES`."""
    total = sum(sizes)
    if total > MAX_BATCH_BYTES:
        raise BatchRequestTooLong(
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. "
            f"You have sent {total} bytes."
        )


def message_size(body: str, attributes: Mapping[str, Mapping[str, str]] | None) -> int:
    """A message's size as SQS counts it against MaximumMessageSize: the body's bytes and
    each attribute's name, data type and value."""
    return len(body.encode("utf-8", "surrogatepass")) + sum(
        len(k.encode("utf-8", "surrogatepass"))
        + len(v.get("DataType", "").encode("utf-8", "surrogatepass"))
        + len(v.get("StringValue", v.get("BinaryValue", "")).encode("utf-8", "surrogatepass"))
        for k, v in (attributes or {}).items()
    )


def check_message_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> None:
    """Each message attribute has a DataType (String, Number or Binary, with an optional
    `.label`) and the value that type needs (StringValue, or BinaryValue in base64)."""
    import base64

    if len(attributes) > 10:
        raise InvalidParameterValueException(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [10]."
        )
    for name, value in attributes.items():
        data_type = value.get("DataType")
        if not isinstance(data_type, str) or not data_type:
            raise InvalidParameterValueException(
                f"The message attribute '{name}' must contain non-empty message attribute type."
            )
        base = data_type.partition(".")[0]
        if base not in ("String", "Number", "Binary"):
            raise InvalidParameterValueException(
                f"The type of message (user) attribute '{name}' is invalid. You must use only "
                "the following supported type prefixes: Binary, Number, String."
            )
        member = "BinaryValue" if base == "Binary" else "StringValue"
        given = value.get(member)
        if not isinstance(given, str) or not given:
            raise InvalidParameterValueException(
                f"The message attribute '{name}' must contain non-empty message attribute "
                f"value for message attribute type '{base}'."
            )
        if base == "Binary":
            try:
                base64.b64decode(given, validate=True)
            except ValueError:
                raise InvalidParameterValueException(
                    f"The message attribute '{name}' has an invalid binary value."
                ) from None


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


def _dead_letter(project: Project, queue: Queue) -> DeadLetter | None:
    """Where the receive moves a message past the queue's maxReceiveCount (SQS moves it when
    a ReceiveMessage would deliver it for the maxReceiveCount+1-th time)."""
    if queue.dead_letter is None or queue.max_receive_count is None:
        return None
    return DeadLetter(
        queue=queue.dead_letter,
        max_receive_count=queue.max_receive_count,
        source_arn=arn(project, queue.name),
        keep_sent=not queue.fifo,
    )


def _expire(project: Project, queue: Queue, now: float) -> None:
    """Retention: messages older than the queue's retention period are gone."""
    project.store.expire_messages(queue.name, now - queue.attributes["retention"])


def _queue(record: Mapping[str, Any]) -> Queue:
    return Queue(record["name"], dict(record["attributes"]), record["created"])
