"""Local topics with SNS's fan-out: a publish becomes one asynchronous invocation of each
function subscribed to the topic (`events: [{topic: NAME}]`), on the durable event queue.

A topic exists by being named in some function's `events:` (there is no CreateTopic here);
publishing to any other name is SNS's `NotFound: Topic does not exist`. One publish has one
MessageId and one Timestamp, shared by every subscriber's notification; a subscription's ARN
is the topic's plus the source's stable UUID, the same across runs. A subscription whose
`filter_policy` refuses the message's attributes gets nothing (`policies.py`), as does a
disabled one (`enabled: false`). Request checks and messages are SNS Publish's.

Delivery is Lambda's asynchronous invocation, as SNS does it: each notification is queued
durably (`events.enqueue`) before `publish` returns, and the retry worker runs it.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from . import ids
from .errors import AwsError, LambdactlError
from .events import daemon
from .events.enqueue import enqueue
from .project import Project
from .shapes import sns
from .sources import policies
from .sources.policies import InvalidParameter
from .sources.specs import TopicSource

MESSAGE_LIMIT = 262_144
"""SNS's limit on a message: its body and attributes (names, types, values) together, bytes."""
SUBJECT_LIMIT = 100
"""Characters in a Subject (ASCII, no line breaks or control characters)."""
ATTRIBUTE_NAME_LIMIT = 256
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_TYPES = ("String", "Number", "Binary")


class NotFound(AwsError):
    """SNS's NotFound (HTTP 404)."""

    aws_type = "NotFound"
    http_status = 404
    exit_code = 3


class ParameterValueInvalid(AwsError):
    """SNS's error for a message attribute it refuses (HTTP 400)."""

    aws_type = "ParameterValueInvalid"
    http_status = 400
    exit_code = 2


@dataclass(frozen=True)
class Subscription:
    """A function's subscription to a topic."""

    arn: str
    """The topic's ARN and the source's UUID: stable across runs."""
    source: TopicSource

    @property
    def function(self) -> str:
        return self.source.function


@dataclass(frozen=True)
class Topic:
    name: str
    arn: str
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class Delivery:
    """A notification queued for a function: the invocation's request id."""

    function: str
    request_id: str


@dataclass(frozen=True)
class Published:
    """What a publish did: its MessageId, the notifications queued, and the subscribers that
    got none (`filtered`: their policy refused it; `disabled`; `failed`: function -> why the
    event could not be queued, e.g. a function whose code is gone)."""

    message_id: str
    topic_arn: str
    deliveries: tuple[Delivery, ...]
    filtered: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


def list_topics(project: Project) -> list[Topic]:
    """Every topic some function's `events:` names, in the order first named, with its
    subscriptions (disabled ones too) in the functions' order."""
    found: dict[str, list[Subscription]] = {}
    for spec in project.functions.values():
        for source in spec.events:
            if isinstance(source, TopicSource):
                arn = topic_arn(project, source.topic)
                found.setdefault(source.topic, []).append(
                    Subscription(f"{arn}:{source.uuid}", source)
                )
    return [Topic(name, topic_arn(project, name), tuple(subs)) for name, subs in found.items()]


def topic_arn(project: Project, name: str) -> str:
    return sns.topic_arn(project.manifest.region, project.manifest.account, name)


def get_topic(project: Project, name: str) -> Topic:
    """The topic, or SNS's `NotFound: Topic does not exist`. `name` may be the topic's ARN."""
    for topic in list_topics(project):
        if name in (topic.name, topic.arn):
            return topic
    raise NotFound(
        "Topic does not exist",
        hint="a topic exists once a function subscribes to it: events: [{topic: NAME}]",
    )


def publish(
    project: Project,
    topic: str,
    message: str,
    *,
    subject: str | None = None,
    attributes: Mapping[str, Mapping[str, str | bytes]] | None = None,
    start_worker: bool = False,
    now: float | None = None,
) -> Published:
    """Publish: check the request as SNS does, then queue one notification per subscriber
    whose policy passes. `attributes` are Publish's MessageAttributes (`{"DataType",
    "StringValue" | "BinaryValue"}` each). Every queued event is on disk when this returns;
    `start_worker` then starts the project's retry worker unless one runs."""
    found = get_topic(project, topic)
    delivered = _check_attributes(attributes or {})
    _check_message(message, delivered)
    if subject is not None:
        _check_subject(subject)
    compiled = {s.arn: _policy(s) for s in found.subscriptions if s.source.enabled}
    message_id = ids.uuid4()
    moment = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
    deliveries: list[Delivery] = []
    filtered: list[str] = []
    disabled: list[str] = []
    failed: list[tuple[str, str]] = []
    for subscription in found.subscriptions:
        if not subscription.source.enabled:
            disabled.append(subscription.function)
            continue
        policy = compiled[subscription.arn]
        if policy is not None and not policies.matches(policy, delivered):
            filtered.append(subscription.function)
            continue
        record = sns.record(
            message,
            topic_arn=found.arn,
            subject=subject,
            attributes=delivered,
            message_id=message_id,
            subscription_id=subscription.source.uuid,
            time=moment,
        )
        payload = _json(sns.event(record))
        try:
            request_id, _version = enqueue(project, subscription.function, payload, now=now)
        except LambdactlError as exc:  # the others still get theirs, as with SNS
            failed.append((subscription.function, str(exc)))
            continue
        deliveries.append(Delivery(subscription.function, request_id))
    if deliveries and start_worker:
        daemon.ensure(project)
    return Published(
        message_id, found.arn, tuple(deliveries), tuple(filtered), tuple(disabled), tuple(failed)
    )


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _policy(subscription: Subscription) -> policies.Policy | None:
    text = subscription.source.filter_policy
    if text is None:
        return None
    try:
        return policies.compile(text)
    except InvalidParameter as exc:
        raise InvalidParameter(
            exc.message,
            hint=f"functions.{subscription.function}.events: the filter_policy of its "
            f"subscription to {subscription.source.topic}",
        ) from None


def _check_message(message: str, attributes: Mapping[str, Mapping[str, str]]) -> None:
    if not message:
        raise InvalidParameter("Invalid parameter: Empty message")
    try:
        size = len(message.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidParameter(
            "Invalid parameter: Message", hint="the message is not valid UTF-8"
        ) from None
    for name, attribute in attributes.items():
        size += sum(len(text.encode("utf-8")) for text in (name, *attribute.values()))
    if size > MESSAGE_LIMIT:
        raise InvalidParameter(
            "Invalid parameter: Message too long",
            hint=f"the message and its attributes are {size} bytes; SNS takes at most "
            f"{MESSAGE_LIMIT} (256 KB)",
        )


def _check_subject(subject: str) -> None:
    printable = all(32 <= ord(c) < 127 for c in subject)
    if not subject or len(subject) > SUBJECT_LIMIT or not printable or subject[0] == " ":
        raise InvalidParameter(
            "Invalid parameter: Subject",
            hint=f"a subject is 1 to {SUBJECT_LIMIT} ASCII characters, starting with a letter, "
            "number or punctuation, without line breaks",
        )


def _check_attributes(
    attributes: Mapping[str, Mapping[str, str | bytes]],
) -> dict[str, dict[str, str]]:
    """Publish's MessageAttributes checked as SNS does; returned as delivered (`{"Type",
    "Value"}`, a Binary value in base64)."""
    delivered: dict[str, dict[str, str]] = {}
    for name, attribute in attributes.items():
        if (
            not _ATTRIBUTE_NAME.fullmatch(name)
            or len(name) > ATTRIBUTE_NAME_LIMIT
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
            or name.lower().startswith(("aws.", "amazon."))
        ):
            raise ParameterValueInvalid(
                f"The message attribute name '{name}' is invalid. Attribute name can contain "
                "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.",
                hint="it may not start or end with a period, hold two in a row, or start "
                "with AWS. or Amazon.",
            )
        data_type = str(attribute.get("DataType") or "")
        if not data_type:
            raise ParameterValueInvalid(
                f"The message attribute '{name}' must contain non-empty message attribute value."
            )
        if data_type.split(".", 1)[0] not in _TYPES:
            raise ParameterValueInvalid(
                f"The message attribute '{name}' has an invalid message attribute type, the set "
                "of supported type prefixes is Binary, Number, and String."
            )
        delivered[name] = {"Type": data_type, "Value": _attribute_value(name, data_type, attribute)}
    return delivered


def _attribute_value(name: str, data_type: str, attribute: Mapping[str, str | bytes]) -> str:
    field = "BinaryValue" if data_type.startswith("Binary") else "StringValue"
    value = attribute.get(field)
    if not value:
        raise ParameterValueInvalid(
            f"The message attribute '{name}' must contain non-empty message attribute value "
            f"for message attribute type '{data_type}'."
        )
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if data_type.startswith("Number"):
        try:
            float(value)
        except ValueError:
            raise ParameterValueInvalid(
                f"Could not cast message attribute '{name}' value to number."
            ) from None
    return value
