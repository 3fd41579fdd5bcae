"""Local queues with SQS semantics (`lambdactl.queues`), the manifest's `queues:` and
durability across processes.

Time is injected (`send(now=...)`, `receive(clock=..., sleep=...)`) wherever the test is about
time; only long polling's "returns as soon as a message arrives" uses the real clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from lambdactl import manifest, queues
from lambdactl.errors import InvalidParameterValueException, ManifestError
from lambdactl.project import Project
from lambdactl.queues import (
    MissingParameter,
    QueueDoesNotExist,
    QueueNameExists,
    ReceiptHandleIsInvalid,
)
from lambdactl.shapes import sqs

T0 = float(int(time.time()))
"""Now, in whole seconds: T0 + 1 + 30 == T0 + 31 exactly."""
NAME_RULE = "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
FIFO_NAME_RULE = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
    "underscores, must end with .fifo suffix and be 1 to 80 in length."
)
NO_DEDUP = (
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
    "provided explicitly"
)
FUNCTIONS = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
"""


class Clock:
    """A fake clock; `sleep` advances it and records what was asked."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def at(now: float) -> Callable[[], float]:
    return lambda: now


def receive(project: Project, name: str, now: float, **options: Any) -> list[dict[str, Any]]:
    """ReceiveMessage at the fixed time `now` (no long poll unless `wait` is given)."""
    return queues.receive(project, name, clock=at(now), sleep=_no_sleep, **options)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected sleep({seconds})")


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def sqs_attributes_md5(attributes: Mapping[str, Mapping[str, str]]) -> str:
    """MD5OfMessageAttributes written from SQS's documentation, independently of lambdactl:
    for each attribute by name: name, data type (each 4-byte big-endian length + UTF-8),
    transport type 1 (String/Number), value (length + UTF-8); MD5 of it all."""
    encoded = b""
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name, value["DataType"]):
            raw = part.encode("utf-8")
            encoded += len(raw).to_bytes(4, "big") + raw
        raw = value["StringValue"].encode("utf-8")
        encoded += bytes([1]) + struct.pack("!I", len(raw)) + raw
    return hashlib.md5(encoded).hexdigest()


@pytest.fixture
def open_project(project_dir: Path) -> Iterator[Callable[..., Project]]:
    """`open_project(queues_yaml=None)`: (re)write the manifest with a `queues:` block and open
    a new Project on it; every one opened is closed at the end."""
    opened: list[Project] = []

    def open_(queues_yaml: str | None = None) -> Project:
        if queues_yaml is not None:
            text = FUNCTIONS + "queues:\n" + textwrap.indent(textwrap.dedent(queues_yaml), "  ")
            (project_dir / "functions.yaml").write_text(text)
        project = Project.open(project_dir / "functions.yaml")
        opened.append(project)
        return project

    yield open_
    for project in opened:
        project.close()


# -- create / get / list / delete -------------------------------------------------------------


def test_create_fills_in_sqs_defaults(project: Project) -> None:
    queue = queues.create(project, "jobs")
    assert queue.name == "jobs"
    assert dict(queue.attributes) == {
        "visibility_timeout": 30,
        "delay": 0,
        "retention": 345600,
        "max_message_size": 1048576,
        "receive_wait": 0,
        "fifo": False,
        "content_based_deduplication": False,
    }
    assert queue.fifo is False
    assert queues.get(project, "jobs") == queue
    assert queues.url(project, "jobs") == "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"
    assert queues.arn(project, "jobs") == "arn:aws:sqs:us-east-1:123456789012:jobs"


def test_create_is_idempotent_with_the_same_attributes(project: Project) -> None:
    first = queues.create(project, "jobs", {"visibility_timeout": 60, "delay": 2})
    again = queues.create(project, "jobs", {"visibility_timeout": 60, "delay": 2})
    assert again == first
    assert [q.name for q in queues.list_queues(project)] == ["jobs"]


def test_create_with_different_attributes_is_queue_name_exists(project: Project) -> None:
    queues.create(project, "jobs", {"visibility_timeout": 60})
    with pytest.raises(QueueNameExists) as info:
        queues.create(project, "jobs", {"visibility_timeout": 61})
    assert str(info.value) == (
        "QueueNameExists: A queue already exists with the same name and a different value for "
        "attribute VisibilityTimeout"
    )
    assert info.value.exit_code == 4
    assert queues.get(project, "jobs").attributes["visibility_timeout"] == 60


def test_create_without_attributes_returns_an_existing_queue(project: Project) -> None:
    created = queues.create(project, "jobs", {"visibility_timeout": 60})
    assert queues.create(project, "jobs") == created


@pytest.mark.parametrize(
    ("name", "attributes", "message"),
    [
        ("bad name", {}, NAME_RULE),
        ("bad/name", {}, NAME_RULE),
        ("", {}, NAME_RULE),
        ("a" * 81, {}, NAME_RULE),
        ("jobs.fifo", {}, NAME_RULE),  # only a FIFO queue's name may end with .fifo
        ("jobs", {"fifo": True}, FIFO_NAME_RULE),
        ("a" * 76 + ".fifo", {"fifo": True}, FIFO_NAME_RULE),  # 81 with the suffix
        ("bad name.fifo", {"fifo": True}, FIFO_NAME_RULE),
    ],
)
def test_queue_name_rules(
    project: Project, name: str, attributes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        queues.create(project, name, attributes)
    assert info.value.message == message
    assert info.value.exit_code == 2
    assert queues.list_queues(project) == []


def test_longest_names_are_accepted(project: Project) -> None:
    queues.create(project, "a" * 80)
    queues.create(project, "b" * 75 + ".fifo", {"fifo": True})
    queues.create(project, "A-z_09")
    assert [q.name for q in queues.list_queues(project)] == ["A-z_09", "a" * 80, "b" * 75 + ".fifo"]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"visibility_timeout": 43201}, "Invalid value for the parameter VisibilityTimeout."),
        ({"visibility_timeout": -1}, "Invalid value for the parameter VisibilityTimeout."),
        ({"delay": 901}, "Invalid value for the parameter DelaySeconds."),
        ({"retention": 59}, "Invalid value for the parameter MessageRetentionPeriod."),
        ({"max_message_size": 1023}, "Invalid value for the parameter MaximumMessageSize."),
        ({"receive_wait": 21}, "Invalid value for the parameter ReceiveMessageWaitTimeSeconds."),
        ({"visibility_timeout": True}, "Invalid value for the parameter VisibilityTimeout."),
        ({"fifo": 1}, "Invalid value for the parameter FifoQueue."),
        ({"colour": "red"}, "Unknown Attribute colour."),
        ({"content_based_deduplication": True}, "Unknown Attribute ContentBasedDeduplication."),
    ],
)
def test_bad_attributes(project: Project, attributes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        queues.create(project, "jobs", attributes)
    assert info.value.message == message


def test_list_is_ordered_by_name(project: Project) -> None:
    for name in ("zeta", "alpha", "mid.fifo"):
        queues.create(project, name, {"fifo": name.endswith(".fifo")})
    assert [q.name for q in queues.list_queues(project)] == ["alpha", "mid.fifo", "zeta"]


def test_unknown_queue_is_queue_does_not_exist(project: Project) -> None:
    calls: list[Callable[[], object]] = [
        lambda: queues.get(project, "nope"),
        lambda: queues.send(project, "nope", "x"),
        lambda: queues.receive(project, "nope"),
        lambda: queues.delete_message(project, "nope", "r"),
        lambda: queues.purge(project, "nope"),
        lambda: queues.delete(project, "nope"),
        lambda: queues.counts(project, "nope"),
    ]
    for call in calls:
        with pytest.raises(QueueDoesNotExist) as info:
            call()
        assert str(info.value) == "QueueDoesNotExist: The specified queue does not exist."
        assert info.value.exit_code == 3


def test_delete_queue_removes_it_and_its_messages(project: Project) -> None:
    queues.create(project, "jobs")
    queues.send(project, "jobs", "old")
    queues.delete(project, "jobs")
    with pytest.raises(QueueDoesNotExist):
        queues.get(project, "jobs")
    queues.create(project, "jobs")
    assert receive(project, "jobs", T0 + 1) == []


# -- send / receive / delete ------------------------------------------------------------------


def test_send_and_receive_shapes(project: Project) -> None:
    queues.create(project, "jobs")
    body = 'héllo ✓ {"a": 1}'
    sent = queues.send(project, "jobs", body, now=T0)
    assert list(sent) == ["MD5OfMessageBody", "MessageId"]
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode("utf-8")).hexdigest()
    (message,) = receive(project, "jobs", T0 + 2)
    assert list(message) == ["MessageId", "ReceiptHandle", "MD5OfBody", "Body", "Attributes"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == body
    assert message["MD5OfBody"] == hashlib.md5(body.encode("utf-8")).hexdigest()
    assert message["Attributes"] == {
        "SenderId": "123456789012",
        "SentTimestamp": str(int(T0 * 1000)),
        "ApproximateReceiveCount": "1",
        "ApproximateFirstReceiveTimestamp": str(int((T0 + 2) * 1000)),
    }


def test_message_attributes_and_their_md5(project: Project) -> None:
    queues.create(project, "jobs")
    attributes = {
        "zeta": {"DataType": "String", "StringValue": "last"},
        "Alpha": {"DataType": "Number", "StringValue": "42"},
        "émoji": {"DataType": "String.custom", "StringValue": "✓"},
    }
    sent = queues.send(project, "jobs", "body", message_attributes=attributes, now=T0)
    expected = sqs_attributes_md5(attributes)
    assert sent["MD5OfMessageAttributes"] == expected
    (message,) = receive(project, "jobs", T0)
    assert message["MD5OfMessageAttributes"] == expected
    assert message["MessageAttributes"] == attributes


@pytest.mark.parametrize(
    ("attributes", "md5"),
    [
        # published test vectors of other SQS implementations (LocalStack, sqslite, a JS lib)
        (
            {"timestamp": {"DataType": "Number", "StringValue": "1493147359900"}},
            "235c5c510d26fb653d073faed50ae77c",
        ),
        (
            {
                "ordinal": {"DataType": "Number", "StringValue": "1"},
                "category": {"DataType": "String", "StringValue": "test"},
            },
            "d21ae90c49061e927f57df5f5d72be1f",
        ),
        (
            {"SellerName": {"DataType": "String", "StringValue": "Example Store"}},
            "cd28f3b68aeee4b2eac9c66f2f694b58",
        ),
    ],
)
def test_attributes_md5_known_values(attributes: dict[str, Any], md5: str) -> None:
    assert sqs_attributes_md5(attributes) == md5
    assert sqs.attributes_md5(attributes) == md5


def test_standard_queue_is_oldest_first(project: Project) -> None:
    queues.create(project, "jobs")
    for i in range(5):
        queues.send(project, "jobs", f"m{i}", now=T0 + i)
    assert bodies(receive(project, "jobs", T0 + 10, max_messages=10)) == [f"m{i}" for i in range(5)]


def test_max_messages_bounds(project: Project) -> None:
    queues.create(project, "jobs")
    for i in range(12):
        queues.send(project, "jobs", f"m{i:02d}", now=T0)
    for bad in (0, 11):
        with pytest.raises(InvalidParameterValueException) as info:
            receive(project, "jobs", T0, max_messages=bad)
        assert info.value.message == (
            f"Value {bad} for parameter MaxNumberOfMessages is invalid. Reason: Must be between "
            "1 and 10, if provided."
        )
    assert bodies(receive(project, "jobs", T0, max_messages=10)) == [f"m{i:02d}" for i in range(10)]
    assert bodies(receive(project, "jobs", T0)) == ["m10"]  # default: one
    assert bodies(receive(project, "jobs", T0, max_messages=10)) == ["m11"]


def test_wait_and_visibility_bounds(project: Project) -> None:
    queues.create(project, "jobs")
    with pytest.raises(InvalidParameterValueException) as info:
        receive(project, "jobs", T0, wait=21)
    assert info.value.message == (
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, "
        "if provided."
    )
    with pytest.raises(InvalidParameterValueException) as info:
        receive(project, "jobs", T0, visibility_timeout=43201)
    assert info.value.message == (
        "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and "
        "<= 43200, if provided."
    )


def test_visibility_timeout_then_visible_again_with_a_new_receipt(project: Project) -> None:
    queues.create(project, "jobs", {"visibility_timeout": 10})
    sent = queues.send(project, "jobs", "work", now=T0)
    (first,) = receive(project, "jobs", T0 + 1)
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert receive(project, "jobs", T0 + 1) == []
    assert receive(project, "jobs", T0 + 10.999) == []
    (second,) = receive(project, "jobs", T0 + 11)
    assert second["MessageId"] == first["MessageId"] == sent["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["Attributes"]["ApproximateFirstReceiveTimestamp"] == str(int((T0 + 1) * 1000))
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    old = first["ReceiptHandle"]
    with pytest.raises(ReceiptHandleIsInvalid) as info:
        queues.delete_message(project, "jobs", old)
    assert str(info.value) == (
        f'ReceiptHandleIsInvalid: The input receipt handle "{old}" is not a valid receipt handle.'
    )
    assert info.value.exit_code == 2
    queues.delete_message(project, "jobs", second["ReceiptHandle"])
    assert receive(project, "jobs", T0 + 1000) == []


def test_receive_visibility_timeout_overrides_the_queues(project: Project) -> None:
    queues.create(project, "jobs", {"visibility_timeout": 600})
    queues.send(project, "jobs", "work", now=T0)
    receive(project, "jobs", T0, visibility_timeout=5)
    assert receive(project, "jobs", T0 + 4.5) == []
    (again,) = receive(project, "jobs", T0 + 5)
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_delete_messages_gives_back_the_handles_it_did_not_delete(project: Project) -> None:
    queues.create(project, "jobs")
    for body in ("one", "two", "three"):
        queues.send(project, "jobs", body, now=T0)
    first, second, third = receive(project, "jobs", T0, max_messages=10)
    handles = [first["ReceiptHandle"], third["ReceiptHandle"], "garbage", "n\u00e9e"]
    assert queues.delete_messages(project, "jobs", handles) == {"garbage", "n\u00e9e"}
    assert queues.delete_messages(project, "jobs", [first["ReceiptHandle"]]) == {
        first["ReceiptHandle"]
    }
    assert bodies(receive(project, "jobs", T0 + 31, max_messages=10)) == ["two"]
    with pytest.raises(QueueDoesNotExist):
        queues.delete_messages(project, "nope", [second["ReceiptHandle"]])


def test_has_visible(project: Project) -> None:
    queues.create(project, "jobs")
    assert queues.has_visible(project, "jobs", now=T0) is False
    queues.send(project, "jobs", "one", now=T0)
    assert queues.has_visible(project, "jobs", now=T0) is True
    receive(project, "jobs", T0)
    assert queues.has_visible(project, "jobs", now=T0 + 1) is False
    assert queues.has_visible(project, "jobs", now=T0 + 30) is True


def test_delete_message(project: Project) -> None:
    queues.create(project, "jobs")
    queues.send(project, "jobs", "one", now=T0)
    queues.send(project, "jobs", "two", now=T0)
    first, second = receive(project, "jobs", T0, max_messages=10)
    queues.delete_message(project, "jobs", first["ReceiptHandle"])
    with pytest.raises(ReceiptHandleIsInvalid) as info:
        queues.delete_message(project, "jobs", first["ReceiptHandle"])
    assert info.value.message == (
        f'The input receipt handle "{first["ReceiptHandle"]}" is not a valid receipt handle.'
    )
    with pytest.raises(ReceiptHandleIsInvalid):
        queues.delete_message(project, "jobs", "garbage")
    # after the visibility timeout only the undeleted one comes back
    assert bodies(receive(project, "jobs", T0 + 31, max_messages=10)) == ["two"]
    assert second["Body"] == "two"


def test_purge_returns_the_count(project: Project) -> None:
    queues.create(project, "jobs")
    for body in ("a", "b", "c"):
        queues.send(project, "jobs", body)
    receive(project, "jobs", time.time())  # one in flight: purged as well
    assert queues.purge(project, "jobs") == 3
    assert queues.purge(project, "jobs") == 0
    assert queues.counts(project, "jobs") == (0, 0)
    assert receive(project, "jobs", time.time() + 100, max_messages=10) == []


def test_counts(project: Project) -> None:
    queues.create(project, "jobs")
    for body in ("a", "b", "c"):
        queues.send(project, "jobs", body)
    receive(project, "jobs", time.time())
    assert queues.counts(project, "jobs") == (2, 1)


# -- delays -----------------------------------------------------------------------------------


def test_queue_delay(project: Project) -> None:
    queues.create(project, "jobs", {"delay": 5})
    queues.send(project, "jobs", "later", now=T0)
    assert receive(project, "jobs", T0 + 4.999) == []
    assert bodies(receive(project, "jobs", T0 + 5)) == ["later"]


def test_message_delay_overrides_the_queues(project: Project) -> None:
    queues.create(project, "jobs", {"delay": 60, "visibility_timeout": 600})
    queues.send(project, "jobs", "now", delay=0, now=T0)
    queues.send(project, "jobs", "in 3", delay=3, now=T0)
    queues.send(project, "jobs", "in 60", now=T0)
    assert bodies(receive(project, "jobs", T0, max_messages=10)) == ["now"]
    assert bodies(receive(project, "jobs", T0 + 3, max_messages=10)) == ["in 3"]
    assert bodies(receive(project, "jobs", T0 + 59, max_messages=10)) == []
    assert bodies(receive(project, "jobs", T0 + 60, max_messages=10)) == ["in 60"]


def test_message_delay_bounds(project: Project) -> None:
    queues.create(project, "jobs")
    for bad in (-1, 901):
        with pytest.raises(InvalidParameterValueException) as info:
            queues.send(project, "jobs", "x", delay=bad)
        assert info.value.message.startswith(
            f"Value {bad} for parameter DelaySeconds is invalid. Reason: "
        )
    queues.send(project, "jobs", "x", delay=900, now=T0)
    assert receive(project, "jobs", T0 + 899) == []
    assert bodies(receive(project, "jobs", T0 + 900)) == ["x"]


def test_message_delay_out_of_range_message_is_sqs(project: Project) -> None:
    queues.create(project, "jobs")
    with pytest.raises(InvalidParameterValueException) as info:
        queues.send(project, "jobs", "x", delay=901)
    assert info.value.message == (
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 "
        "and <= 900."
    )


# -- long polling -----------------------------------------------------------------------------


def test_long_poll_returns_as_soon_as_a_message_arrives(
    project: Project, open_project: Callable[..., Project]
) -> None:
    queues.create(project, "jobs")
    other = open_project()  # another handle on the same .lambda/, like another process

    def send_later() -> None:
        time.sleep(0.3)
        queues.send(other, "jobs", "arrived")

    sender = threading.Thread(target=send_later)
    started = time.monotonic()
    sender.start()
    try:
        messages = queues.receive(project, "jobs", wait=2)
    finally:
        sender.join()
    elapsed = time.monotonic() - started
    assert bodies(messages) == ["arrived"]
    assert 0.25 <= elapsed < 1.0


def test_long_poll_returns_nothing_after_the_wait(project: Project) -> None:
    queues.create(project, "jobs")
    clock = Clock(T0)
    assert queues.receive(project, "jobs", wait=3, clock=clock, sleep=clock.sleep) == []
    assert T0 + 3 <= clock.now < T0 + 3.001
    assert sum(clock.sleeps) == pytest.approx(3, abs=1e-3)
    assert max(clock.sleeps) <= queues.POLL_SECONDS


def test_long_poll_with_the_real_clock_waits(project: Project) -> None:
    queues.create(project, "jobs")
    started = time.monotonic()
    assert queues.receive(project, "jobs", wait=1) == []
    assert 1.0 <= time.monotonic() - started < 1.5


def test_long_poll_picks_up_a_delayed_message(project: Project) -> None:
    queues.create(project, "jobs", {"delay": 2})
    queues.send(project, "jobs", "delayed", now=T0)
    clock = Clock(T0)
    messages = queues.receive(project, "jobs", wait=5, clock=clock, sleep=clock.sleep)
    assert bodies(messages) == ["delayed"]
    assert T0 + 2 <= clock.now < T0 + 2 + queues.POLL_SECONDS + 1e-6


def test_queue_receive_wait_is_the_default_wait(project: Project) -> None:
    queues.create(project, "jobs", {"receive_wait": 4})
    clock = Clock(T0)
    assert queues.receive(project, "jobs", clock=clock, sleep=clock.sleep) == []
    assert T0 + 4 <= clock.now < T0 + 4.001
    clock = Clock(T0)
    assert queues.receive(project, "jobs", wait=0, clock=clock, sleep=clock.sleep) == []
    assert clock.sleeps == []


# -- retention, size, body --------------------------------------------------------------------


def test_retention_drops_old_messages(project: Project) -> None:
    queues.create(project, "jobs", {"retention": 60})
    queues.send(project, "jobs", "old", now=T0 - 61)
    queues.send(project, "jobs", "young", now=T0 - 59)
    assert bodies(receive(project, "jobs", T0, max_messages=10)) == ["young"]
    assert receive(project, "jobs", T0 + 1000, max_messages=10) == []  # in flight, then gone
    assert queues.purge(project, "jobs") == 0


def test_retention_drops_messages_in_flight_too(project: Project) -> None:
    queues.create(project, "jobs", {"retention": 60, "visibility_timeout": 10})
    queues.send(project, "jobs", "work", now=T0)
    (message,) = receive(project, "jobs", T0 + 55)
    assert receive(project, "jobs", T0 + 65) == []
    with pytest.raises(ReceiptHandleIsInvalid):
        queues.delete_message(project, "jobs", message["ReceiptHandle"])


def test_counts_leave_out_messages_past_retention(project: Project) -> None:
    queues.create(project, "jobs", {"retention": 60})
    queues.send(project, "jobs", "old", now=time.time() - 120)
    assert queues.counts(project, "jobs") == (0, 0)


def test_message_size_limit(project: Project) -> None:
    queues.create(project, "jobs", {"max_message_size": 1024})
    queues.send(project, "jobs", "x" * 1024)
    with pytest.raises(InvalidParameterValueException) as info:
        queues.send(project, "jobs", "x" * 1025)
    assert info.value.message == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    )
    with pytest.raises(InvalidParameterValueException):
        queues.send(project, "jobs", "é" * 513)  # 1026 bytes in UTF-8
    # attributes count: name + data type + value
    attribute = {"k": {"DataType": "String", "StringValue": "v" * 17}}  # 1 + 6 + 17 = 24
    queues.send(project, "jobs", "x" * 1000, message_attributes=attribute)
    attribute = {"k": {"DataType": "String", "StringValue": "v" * 18}}
    with pytest.raises(InvalidParameterValueException):
        queues.send(project, "jobs", "x" * 1000, message_attributes=attribute)
    assert queues.counts(project, "jobs") == (2, 0)


def test_default_message_size_limit_is_one_mib(project: Project) -> None:
    queues.create(project, "jobs")
    queues.send(project, "jobs", "x" * 1048576)
    with pytest.raises(InvalidParameterValueException) as info:
        queues.send(project, "jobs", "x" * 1048577)
    assert info.value.message == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    )


def test_empty_body_is_missing_parameter(project: Project) -> None:
    queues.create(project, "jobs")
    with pytest.raises(MissingParameter) as info:
        queues.send(project, "jobs", "")
    assert str(info.value) == (
        "MissingParameter: The request must contain the parameter MessageBody."
    )
    assert info.value.exit_code == 2


# -- FIFO -------------------------------------------------------------------------------------


def test_fifo_groups(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True})
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B")):
        queues.send(project, "jobs.fifo", body, group_id=group, deduplication_id=body, now=T0)
    (a1,) = receive(project, "jobs.fifo", T0)
    assert a1["Body"] == "a1"
    assert a1["Attributes"]["MessageGroupId"] == "A"
    # A has a1 in flight: nothing more from A, B still flows in order
    assert bodies(receive(project, "jobs.fifo", T0, max_messages=10)) == ["b1", "b2"]
    assert receive(project, "jobs.fifo", T0, max_messages=10) == []
    queues.delete_message(project, "jobs.fifo", a1["ReceiptHandle"])
    assert bodies(receive(project, "jobs.fifo", T0, max_messages=10)) == ["a2"]


def test_fifo_a_timed_out_message_comes_back_before_the_rest_of_its_group(
    project: Project,
) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True, "visibility_timeout": 5})
    for body in ("a1", "a2"):
        queues.send(project, "jobs.fifo", body, group_id="A", deduplication_id=body, now=T0)
    assert bodies(receive(project, "jobs.fifo", T0)) == ["a1"]
    assert receive(project, "jobs.fifo", T0 + 4) == []
    (again,) = receive(project, "jobs.fifo", T0 + 5)
    assert (again["Body"], again["Attributes"]["ApproximateReceiveCount"]) == ("a1", "2")


def test_fifo_send_response_has_a_sequence_number(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True})
    first = queues.send(project, "jobs.fifo", "a", group_id="g", deduplication_id="1", now=T0)
    second = queues.send(project, "jobs.fifo", "b", group_id="g", deduplication_id="2", now=T0 + 1)
    assert list(first) == ["MD5OfMessageBody", "MessageId", "SequenceNumber"]
    assert len(first["SequenceNumber"]) == 20 and first["SequenceNumber"].isdigit()
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])


def test_fifo_deduplication_id_within_five_minutes(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True})
    first = queues.send(project, "jobs.fifo", "one", group_id="g", deduplication_id="d", now=T0)
    again = queues.send(
        project, "jobs.fifo", "two", group_id="g", deduplication_id="d", now=T0 + 299
    )
    assert again["MessageId"] == first["MessageId"]
    assert bodies(receive(project, "jobs.fifo", T0 + 299, max_messages=10)) == ["one"]
    assert queues.counts(project, "jobs.fifo", now=T0 + 299) == (0, 1)
    later = queues.send(
        project, "jobs.fifo", "three", group_id="g", deduplication_id="d", now=T0 + 301
    )
    assert later["MessageId"] != first["MessageId"]


def test_fifo_content_based_deduplication(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True, "content_based_deduplication": True})
    first = queues.send(project, "jobs.fifo", "same", group_id="g", now=T0)
    duplicate = queues.send(project, "jobs.fifo", "same", group_id="h", now=T0 + 1)
    assert duplicate["MessageId"] == first["MessageId"]
    other = queues.send(project, "jobs.fifo", "different", group_id="g", now=T0 + 2)
    assert other["MessageId"] != first["MessageId"]
    explicit = queues.send(
        project, "jobs.fifo", "same", group_id="g", deduplication_id="x", now=T0 + 3
    )
    assert explicit["MessageId"] != first["MessageId"]  # an explicit id wins over the body
    assert bodies(receive(project, "jobs.fifo", T0 + 3, max_messages=10)) == [
        "same",
        "different",
        "same",
    ]


def test_fifo_requires_a_group_id(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True, "content_based_deduplication": True})
    with pytest.raises(MissingParameter) as info:
        queues.send(project, "jobs.fifo", "x")
    assert str(info.value) == (
        "MissingParameter: The request must contain the parameter MessageGroupId."
    )


def test_fifo_requires_a_deduplication_id_without_content_based(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True})
    with pytest.raises(InvalidParameterValueException) as info:
        queues.send(project, "jobs.fifo", "x", group_id="g")
    assert info.value.message == NO_DEDUP
    assert queues.counts(project, "jobs.fifo") == (0, 0)


def test_fifo_accepts_a_zero_message_delay(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True})
    queues.send(project, "jobs.fifo", "x", group_id="g", deduplication_id="1", delay=0, now=T0)
    assert bodies(receive(project, "jobs.fifo", T0)) == ["x"]


def test_fifo_rejects_a_per_message_delay(project: Project) -> None:
    queues.create(project, "jobs.fifo", {"fifo": True})
    with pytest.raises(InvalidParameterValueException) as info:
        queues.send(project, "jobs.fifo", "x", group_id="g", deduplication_id="1", delay=5)
    assert info.value.message == (
        "Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter "
        "that is not valid for this queue type."
    )


def test_standard_queue_accepts_a_message_group_id(project: Project) -> None:
    queues.create(project, "jobs")
    queues.send(project, "jobs", "x", group_id="tenant-1", now=T0)
    assert bodies(receive(project, "jobs", T0)) == ["x"]


# -- manifest ---------------------------------------------------------------------------------


def test_declared_queues_exist_without_create(open_project: Callable[..., Project]) -> None:
    project = open_project(
        """\
        jobs: {visibility_timeout: 5, delay: 1}
        empty:
        orders.fifo: {fifo: true, content_based_deduplication: true}
        """
    )
    assert [q.name for q in queues.list_queues(project)] == ["empty", "jobs", "orders.fifo"]
    jobs = queues.get(project, "jobs")
    assert (jobs.attributes["visibility_timeout"], jobs.attributes["delay"]) == (5, 1)
    assert queues.get(project, "empty").attributes["visibility_timeout"] == 30
    assert queues.get(project, "orders.fifo").fifo is True
    queues.send(project, "orders.fifo", "x", group_id="g")
    # create with the manifest's attributes (or some of them) is a no-op, with others a conflict
    assert queues.create(project, "jobs", {"visibility_timeout": 5, "delay": 1}) == jobs
    assert queues.create(project, "jobs", {"visibility_timeout": 5}) == jobs
    with pytest.raises(QueueNameExists) as info:
        queues.create(project, "jobs", {"delay": 2})
    assert info.value.message.endswith("different value for attribute DelaySeconds")


def test_the_manifests_attributes_win(
    project_dir: Path, open_project: Callable[..., Project]
) -> None:
    first = open_project()
    queues.create(first, "jobs", {"visibility_timeout": 600})
    queues.send(first, "jobs", "kept", now=T0)
    second = open_project("jobs: {visibility_timeout: 7}\n")
    assert queues.get(second, "jobs").attributes["visibility_timeout"] == 7
    assert first.store.get_queue("jobs")["attributes"]["visibility_timeout"] == 7  # stored too
    (message,) = receive(second, "jobs", T0)
    assert message["Body"] == "kept"  # the messages stay
    assert receive(second, "jobs", T0 + 6.9) == []
    assert bodies(receive(second, "jobs", T0 + 7)) == ["kept"]


def test_a_deleted_declared_queue_comes_back(open_project: Callable[..., Project]) -> None:
    project = open_project("jobs: {}\n")
    queues.send(project, "jobs", "gone")
    queues.delete(project, "jobs")
    assert [q.name for q in queues.list_queues(project)] == ["jobs"]
    assert receive(project, "jobs", time.time()) == []


def _manifest_error(project_dir: Path, queues_yaml: str) -> ManifestError:
    path = project_dir / "functions.yaml"
    path.write_text(FUNCTIONS + "queues:\n" + queues_yaml)
    with pytest.raises(ManifestError) as info:
        manifest.load(path)
    return info.value


def test_manifest_queues_are_loaded(project_dir: Path) -> None:
    path = project_dir / "functions.yaml"
    path.write_text(
        FUNCTIONS + "queues:\n  jobs: {visibility_timeout: 5}\n  empty:\n  x.fifo: {fifo: true}\n"
    )
    assert manifest.load(path).queues == {
        "jobs": {"visibility_timeout": 5},
        "empty": {},
        "x.fifo": {"fifo": True},
    }
    path.write_text(FUNCTIONS + "queues:\n")
    assert manifest.load(path).queues == {}


def test_manifest_unknown_queue_attribute(project_dir: Path) -> None:
    # FUNCTIONS is 6 lines; `queues:` is line 7
    error = _manifest_error(project_dir, "  jobs:\n    visibility: 10\n")
    assert (error.line, error.key) == (9, "queues.jobs.visibility")
    assert error.detail == "unknown key 'visibility'"
    assert error.hint == "did you mean 'visibility_timeout'?"
    assert str(error) == "functions.yaml:9: queues.jobs.visibility: unknown key 'visibility'"


def test_manifest_visibility_timeout_out_of_range(project_dir: Path) -> None:
    error = _manifest_error(project_dir, "  jobs:\n    delay: 0\n    visibility_timeout: 43201\n")
    assert (error.line, error.key) == (10, "queues.jobs.visibility_timeout")
    assert error.detail == (
        "1 validation error detected: Value '43201' at 'VisibilityTimeout' failed to satisfy "
        "constraint: Member must have value less than or equal to 43200"
    )
    error = _manifest_error(project_dir, "  jobs: {retention: 59}\n")
    assert (error.line, error.key) == (8, "queues.jobs.retention")
    assert error.detail == (
        "1 validation error detected: Value '59' at 'MessageRetentionPeriod' failed to satisfy "
        "constraint: Member must have value greater than or equal to 60"
    )


def test_manifest_attribute_types(project_dir: Path) -> None:
    error = _manifest_error(project_dir, "  jobs: {visibility_timeout: soon}\n")
    assert (error.line, error.key) == (8, "queues.jobs.visibility_timeout")
    assert error.detail == "expected a whole number, got string 'soon'"
    error = _manifest_error(project_dir, "  x.fifo: {fifo: 1}\n")
    assert (error.line, error.key) == (8, "queues.x.fifo.fifo")
    assert error.detail == "expected true or false, got integer '1'"


@pytest.mark.parametrize(
    "queues_yaml",
    ["  jobs: {fifo: true}\n", "  jobs.fifo: {}\n", "  jobs.fifo: {fifo: false}\n"],
)
def test_manifest_fifo_needs_the_suffix_and_the_suffix_fifo(
    project_dir: Path, queues_yaml: str
) -> None:
    error = _manifest_error(project_dir, queues_yaml)
    assert error.line == 8
    assert error.key == "queues." + queues_yaml.split(":")[0].strip()
    assert error.detail == (
        "a FIFO queue's name ends with .fifo, and only a FIFO queue's does (set fifo: true, or "
        "rename the queue)"
    )


def test_manifest_queue_name_rules(project_dir: Path) -> None:
    error = _manifest_error(project_dir, "  bad name: {}\n")
    assert (error.line, error.key, error.detail) == (8, "queues.bad name", NAME_RULE)
    error = _manifest_error(project_dir, f"  {'a' * 81}: {{}}\n")
    assert (error.line, error.detail) == (8, NAME_RULE)


def test_manifest_queues_must_be_a_mapping(project_dir: Path) -> None:
    error = _manifest_error(project_dir, "  - jobs\n")
    assert (error.line, error.key) == (8, "queues")
    assert error.detail == "expected a mapping, got a list"


def test_manifest_rejects_content_based_deduplication_on_a_standard_queue(
    project_dir: Path,
) -> None:
    error = _manifest_error(project_dir, "  jobs:\n    content_based_deduplication: true\n")
    assert (error.line, error.key) == (9, "queues.jobs.content_based_deduplication")


# -- durability and concurrency ---------------------------------------------------------------


def test_a_message_survives_into_another_project_instance(
    open_project: Callable[..., Project],
) -> None:
    sender = open_project()
    queues.create(sender, "jobs")
    sent = queues.send(sender, "jobs", "durable")
    sender.close()
    receiver = open_project()
    (message,) = queues.receive(receiver, "jobs")
    assert (message["MessageId"], message["Body"]) == (sent["MessageId"], "durable")
    assert (receiver.manifest.state_dir / "state.db").is_file()


def test_a_separate_process_receives_and_this_one_deletes(
    project: Project, project_dir: Path
) -> None:
    queues.create(project, "jobs")
    sent = queues.send(project, "jobs", "to another process")
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "queue", "receive", "jobs", "-o", "json"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (message,) = json.loads(done.stdout)["Messages"]
    assert (message["MessageId"], message["Body"]) == (sent["MessageId"], "to another process")
    assert queues.counts(project, "jobs") == (0, 1)  # in flight for this process too
    queues.delete_message(project, "jobs", message["ReceiptHandle"])
    assert queues.counts(project, "jobs") == (0, 0)


def test_concurrent_receiver_threads_never_share_a_message(
    project: Project, open_project: Callable[..., Project]
) -> None:
    queues.create(project, "jobs")
    sent = {queues.send(project, "jobs", f"m{i}")["MessageId"] for i in range(50)}
    receivers = [open_project() for _ in range(4)]
    got: list[list[str]] = [[] for _ in receivers]
    start = threading.Barrier(len(receivers))

    def drain(i: int) -> None:
        start.wait()
        while batch := queues.receive(receivers[i], "jobs", max_messages=3):
            got[i].extend(m["MessageId"] for m in batch)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(receivers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    everything = [mid for ids in got for mid in ids]
    assert len(everything) == 50
    assert set(everything) == sent


RECEIVER = """\
import json, sys, time
from pathlib import Path
from lambdactl import queues
from lambdactl.project import Project

Path(sys.argv[1] + ".ready").touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
project = Project.open(Path("functions.yaml"))
ids = []
while batch := queues.receive(project, "jobs", max_messages=2):
    ids.extend(m["MessageId"] for m in batch)
print(json.dumps(ids))
"""


def test_concurrent_receiver_processes_never_share_a_message(
    project: Project, project_dir: Path, tmp_path: Path
) -> None:
    queues.create(project, "jobs")
    sent = {queues.send(project, "jobs", f"m{i}")["MessageId"] for i in range(50)}
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RECEIVER, str(tmp_path / f"r{i}"), str(go)],
            cwd=project_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"r{i}.ready").exists() for i in range(2)):
        assert time.monotonic() < deadline, "receivers did not start"
        time.sleep(0.01)
    go.touch()
    everything: list[str] = []
    # this process receives too: three receivers at once
    while batch := queues.receive(project, "jobs", max_messages=2):
        everything.extend(m["MessageId"] for m in batch)
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        everything.extend(json.loads(out))
    assert len(everything) == 50
    assert set(everything) == sent


# -- what the SQS API adds: URLs, SQS-named attributes, visibility changes, batches -------------


def test_url_uses_the_endpoint_given_or_a_running_server(project: Project) -> None:
    from lambdactl import endpoint

    assert queues.url(project, "jobs", "http://127.0.0.1:3001") == (
        "http://127.0.0.1:3001/123456789012/jobs"
    )
    state = project.manifest.state_dir
    endpoint.publish(state, endpoint.Endpoint(url="http://127.0.0.1:4999", pid=os.getpid()))
    try:  # this process announced it: it counts as running
        assert queues.url(project, "jobs") == "http://127.0.0.1:4999/123456789012/jobs"
    finally:
        endpoint.withdraw(state, os.getpid())
    assert queues.url(project, "jobs") == "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3001/123456789012/jobs",
        "http://localhost:9/123456789012/jobs/",
        "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    ],
)
def test_name_from_url(project: Project, url: str) -> None:
    assert queues.name_from_url(project, url) == "jobs"


@pytest.mark.parametrize(
    "url",
    [
        "jobs",
        "http://127.0.0.1:3001/jobs",
        "http://127.0.0.1:3001/999999999999/jobs",
        "http://127.0.0.1:3001/123456789012/a/b",
        "ftp://host/123456789012/jobs",
        "http://127.0.0.1:3001/123456789012/",
    ],
)
def test_a_url_naming_no_queue_of_this_account(project: Project, url: str) -> None:
    with pytest.raises(QueueDoesNotExist):
        queues.name_from_url(project, url)


def test_attributes_from_sqs_names_and_strings(project: Project) -> None:
    given = {
        "VisibilityTimeout": "60",
        "FifoQueue": "TRUE",
        "ContentBasedDeduplication": "false",
        "KmsMasterKeyId": "alias/aws/sqs",  # inert
        "SqsManagedSseEnabled": "true",
    }
    assert queues.attributes_from_sqs(project, given) == {
        "visibility_timeout": 60,
        "fifo": True,
        "content_based_deduplication": False,
    }
    with pytest.raises(queues.InvalidAttributeName) as unknown:
        queues.attributes_from_sqs(project, {"Colour": "red"})
    assert unknown.value.message == "Unknown Attribute Colour."
    with pytest.raises(queues.InvalidAttributeName) as redrive:
        queues.attributes_from_sqs(project, {"RedriveAllowPolicy": "{}"})
    assert "RedriveAllowPolicy" in redrive.value.message
    for bad in ({"DelaySeconds": "soon"}, {"FifoQueue": "yes"}, {"DelaySeconds": "1.5"}):
        with pytest.raises(queues.InvalidAttributeValue):
            queues.attributes_from_sqs(project, bad)


def test_sqs_attributes_and_set_attributes(project: Project) -> None:
    queues.create(project, "jobs", {"delay": 0})
    queues.send(project, "jobs", "later", delay=60, now=T0)
    every = queues.sqs_attributes(project, "jobs", now=T0)
    assert every["ApproximateNumberOfMessagesDelayed"] == "1"
    assert every["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:jobs"
    queues.set_attributes(project, "jobs", {"visibility_timeout": 7})
    assert queues.get(project, "jobs").attributes["visibility_timeout"] == 7
    with pytest.raises(queues.InvalidAttributeName):
        queues.set_attributes(project, "jobs", {"fifo": True})
    with pytest.raises(queues.InvalidAttributeValue):
        queues.set_attributes(project, "jobs", {"delay": 901})


def test_set_attributes_of_a_manifest_queue_is_refused(
    project_dir: Path, write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(FUNCTIONS + "queues:\n  declared: {visibility_timeout: 10}\n")
    project = Project.open(project_dir / "functions.yaml")
    try:
        with pytest.raises(queues.UnsupportedOperation) as refused:
            queues.set_attributes(project, "declared", {"visibility_timeout": 20})
        assert "functions.yaml" in refused.value.message
    finally:
        project.close()


def test_change_visibility(project: Project) -> None:
    queues.create(project, "jobs")
    queues.send(project, "jobs", "m")
    (taken,) = queues.receive(project, "jobs", visibility_timeout=300)
    receipt = taken["ReceiptHandle"]
    queues.change_visibility(project, "jobs", receipt, 0)
    (again,) = queues.receive(project, "jobs", visibility_timeout=300)
    with pytest.raises(ReceiptHandleIsInvalid):  # an older receipt handle
        queues.change_visibility(project, "jobs", receipt, 0)
    queues.change_visibility(project, "jobs", again["ReceiptHandle"], 0)
    with pytest.raises(queues.MessageNotInflight) as visible:
        queues.change_visibility(project, "jobs", again["ReceiptHandle"], 5)
    assert visible.value.message == "The message referred to isn't in flight."
    with pytest.raises(InvalidParameterValueException):
        queues.change_visibility(project, "jobs", again["ReceiptHandle"], 43201)


def test_check_batch() -> None:
    queues.check_batch(["a", "b-1", "C_2"], "SendMessageBatchRequestEntry")
    with pytest.raises(queues.EmptyBatchRequest) as empty:
        queues.check_batch([], "DeleteMessageBatchRequestEntry")
    assert empty.value.message == (
        "There should be at least one DeleteMessageBatchRequestEntry in the request."
    )
    with pytest.raises(queues.TooManyEntriesInBatchRequest):
        queues.check_batch([str(n) for n in range(11)], "SendMessageBatchRequestEntry")
    with pytest.raises(queues.InvalidBatchEntryId):
        queues.check_batch(["a" * 81], "SendMessageBatchRequestEntry")
    with pytest.raises(queues.BatchEntryIdsNotDistinct) as twice:
        queues.check_batch(["a", "b", "a"], "SendMessageBatchRequestEntry")
    assert twice.value.message == "Id a repeated."
    queues.check_batch_size([1_048_576])
    with pytest.raises(queues.BatchRequestTooLong) as long:
        queues.check_batch_size([1_048_576, 1])
    assert long.value.message == (
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes."
    )


def test_receive_wait_is_checked_before_any_wait(project: Project) -> None:
    queues.create(project, "jobs", {"receive_wait": 7})
    assert queues.receive_wait(project, "jobs") == 7
    assert queues.receive_wait(project, "jobs", wait=0) == 0
    with pytest.raises(InvalidParameterValueException):
        queues.receive_wait(project, "jobs", wait=21)
    with pytest.raises(InvalidParameterValueException):
        queues.receive_wait(project, "jobs", max_messages=0)


def test_message_attributes_are_checked(project: Project) -> None:
    queues.create(project, "jobs")
    bad: list[dict[str, Any]] = [
        {"a": {"StringValue": "x"}},
        {"a": {"DataType": "Text", "StringValue": "x"}},
        {"a": {"DataType": "String"}},
        {"a": {"DataType": "Binary", "BinaryValue": "not base64!"}},
        {f"k{n}": {"DataType": "String", "StringValue": "v"} for n in range(11)},
    ]
    for attributes in bad:
        with pytest.raises(InvalidParameterValueException):
            queues.send(project, "jobs", "m", message_attributes=attributes)
    good = {"n": {"DataType": "Number.int", "StringValue": "1"}}
    assert "MessageId" in queues.send(project, "jobs", "m", message_attributes=good)
