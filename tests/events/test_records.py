"""What an asynchronous invocation leaves behind: retries, destination records and dead
letters, in AWS's exact shapes (spec: lambda-semantics.md §1.2-1.4).

Real environments, an in-process `Worker` driven with `run_once()`, retry delays shortened
to fractions of a second through the manifest's `async.retry_delays`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import aliases, versions
from lambdactl.store.lifecycle import EventState
from tests.events import ARN, TIMESTAMP, Harness, epoch, handler, line_of

S = EventState
RAISE = 'raise ValueError(event.get("message", "intentional failure"))'
RECORD_KEYS = [
    "version",
    "timestamp",
    "requestContext",
    "requestPayload",
    "responseContext",
    "responsePayload",
]
CONTEXT_KEYS = ["requestId", "functionArn", "condition", "approximateInvokeCount"]


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


def error_payload(harness: Harness, function: str, message: str, request_id: str) -> dict:
    """The body the Python runtime returns when `events.fails` raises."""
    app = harness.code(function)
    return {
        "errorMessage": message,
        "errorType": "ValueError",
        "requestId": request_id,
        "stackTrace": [f'  File "{app}", line {line_of(app, RAISE)}, in fails\n    {RAISE}\n'],
    }


def check_timestamp(record: dict[str, Any], before: float, after: float) -> None:
    assert re.fullmatch(TIMESTAMP, record["timestamp"]), record["timestamp"]
    assert before - 0.001 <= epoch(record["timestamp"]) <= after, (before, record, after)


# -- the failure path ---------------------------------------------------------------------------


def test_three_attempts_then_on_failure_record_and_dead_letter(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "fails",
                **{
                    "async": {"retry_delays": [0.2, 0.4], "on_failure": {"queue": "failures"}},
                    "dead_letter": {"queue": "dlq"},
                },
            )
        },
        queues={"failures": {}, "dlq": {}},
    )
    body = b'{"message": "intentional failure", "n": 1}'
    before = time.time()
    request_id = harness.enqueue(project, "f", body=body)
    worker = harness.worker(project)
    harness.drain(worker, [request_id])
    after = time.time()

    # exactly three attempts, all with the invoke's request id, spaced by the delays
    runs = harness.runs()
    assert [(r["id"], r["event"]) for r in runs] == [(request_id, json.loads(body))] * 3
    first, second, third = (r["time"] for r in runs)
    assert second - first >= 0.2
    assert third - second >= 0.4
    assert third - first < 5  # shortened: not AWS's 1 and 2 minutes

    event = project.store.get_event(request_id)
    assert event.state is S.FAILED
    assert event.attempts == 3
    assert [h.outcome for h in event.history] == ["error"] * 3

    # the on-failure record: AWS's shape, keys in AWS's order
    [message] = harness.receive_all(project, "failures")
    record = json.loads(message["Body"])
    assert list(record) == RECORD_KEYS
    assert list(record["requestContext"]) == CONTEXT_KEYS
    assert list(record["responseContext"]) == ["statusCode", "executedVersion", "functionError"]
    check_timestamp(record, before, after)
    assert record == {
        "version": "1.0",
        "timestamp": record["timestamp"],
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{ARN}:f:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"message": "intentional failure", "n": 1},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": error_payload(harness, "f", "intentional failure", request_id),
    }
    assert list(record["responsePayload"]) == [
        "errorMessage",
        "errorType",
        "requestId",
        "stackTrace",
    ]

    # the dead letter: the original event, with AWS's three attributes
    [letter] = harness.receive_all(project, "dlq")
    assert letter["Body"] == body.decode()
    assert letter["MessageAttributes"] == {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "intentional failure"},
    }
    assert worker.run_once() == 0  # nothing left: finished events are never run again


def test_dead_letter_error_message_is_the_first_kilobyte(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "fails",
                **{"async": {"maximum_retry_attempts": 0}, "dead_letter": {"queue": "dlq"}},
            )
        },
        queues={"dlq": {}},
    )
    long_ascii = "".join(f"{i:05d} " for i in range(500))  # 3000 bytes
    accented = "a" + "\u00e9" * 1000  # 2001 bytes: byte 1024 is inside a character
    ids = [
        harness.enqueue(project, "f", {"message": long_ascii}),
        harness.enqueue(project, "f", {"message": accented}),
    ]
    harness.drain(harness.worker(project), ids)
    letters = {
        m["MessageAttributes"]["RequestID"]["StringValue"]: m
        for m in harness.receive_all(project, "dlq")
    }
    assert sorted(letters) == sorted(ids)

    ascii_letter = letters[ids[0]]
    assert ascii_letter["Body"] == json.dumps({"message": long_ascii})
    cut = ascii_letter["MessageAttributes"]["ErrorMessage"]
    assert cut == {"DataType": "String", "StringValue": long_ascii[:1024]}
    assert len(cut["StringValue"].encode()) == 1024

    # never half a character: the longest whole-character prefix within 1024 bytes
    accented_cut = letters[ids[1]]["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert accented_cut == "a" + "\u00e9" * 511
    assert len(accented_cut.encode()) == 1023


@pytest.mark.parametrize(("retries", "attempts"), [(0, 1), (1, 2)])
def test_maximum_retry_attempts(harness: Harness, retries: int, attempts: int) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "fails",
                **{
                    "async": {
                        "maximum_retry_attempts": retries,
                        "retry_delays": [0.1, 0.1],
                        "on_failure": {"queue": "failures"},
                    }
                },
            )
        },
        queues={"failures": {}},
    )
    request_id = harness.enqueue(project, "f", {"message": "no"})
    harness.drain(harness.worker(project), [request_id])
    assert [r["id"] for r in harness.runs()] == [request_id] * attempts
    [record] = harness.records(project, "failures")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{ARN}:f:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": attempts,
    }
    assert record["responsePayload"] == error_payload(harness, "f", "no", request_id)


def test_on_failure_function_destination(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "fails",
                **{"async": {"maximum_retry_attempts": 0, "on_failure": {"function": "audit"}}},
            ),
            "audit": handler("succeeds"),
        }
    )
    request_id = harness.enqueue(project, "f", {"message": "to audit"})
    worker = harness.worker(project)
    harness.drain(worker, [request_id], done=lambda: bool(harness.runs(handler="succeeds")))
    [audit_run] = harness.wait_for_runs(1, handler="succeeds")
    record = audit_run["event"]
    assert list(record) == RECORD_KEYS
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"] == error_payload(harness, "f", "to audit", request_id)
    [audit_event] = project.store.list_events(function="audit")
    assert audit_event.id == audit_run["id"] != request_id  # its own, queued invocation


# -- the success path ---------------------------------------------------------------------------


def test_on_success_function_destination_gets_the_record_asynchronously(
    harness: Harness,
) -> None:
    project = harness.deploy(
        {
            "f": handler("succeeds", **{"async": {"on_success": {"function": "audit"}}}),
            "audit": handler("succeeds"),
        }
    )
    event = {"order": 7, "items": ["a", "b"]}
    before = time.time()
    request_id = harness.enqueue(project, "f", event)
    worker = harness.worker(project)
    harness.drain(worker, [request_id])
    after = time.time()
    # f finished first; the record then went through audit's own asynchronous queue
    [audit_event] = project.store.list_events(function="audit")
    audit_id = audit_event.id
    assert audit_id != request_id
    harness.drain(worker, [audit_id])
    assert project.store.get_event(audit_id).state is S.SUCCEEDED

    runs = harness.runs()
    assert [(r["id"], r["version"]) for r in runs] == [
        (request_id, "$LATEST"),
        (audit_id, "$LATEST"),
    ]
    record = runs[1]["event"]
    assert list(record) == RECORD_KEYS
    assert list(record["responseContext"]) == ["statusCode", "executedVersion"]
    check_timestamp(record, before, after)
    assert record == {
        "version": "1.0",
        "timestamp": record["timestamp"],
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{ARN}:f:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"handled": event},
    }
    assert json.loads(audit_event.payload) == record


def test_on_success_queue_destination(harness: Harness) -> None:
    project = harness.deploy(
        {"f": handler("succeeds", **{"async": {"on_success": {"queue": "done"}}})},
        queues={"done": {}},
    )
    request_id = harness.enqueue(project, "f", [1, 2, 3])
    harness.drain(harness.worker(project), [request_id])
    [record] = harness.records(project, "done")
    assert list(record) == RECORD_KEYS
    assert record == {
        "version": "1.0",
        "timestamp": record["timestamp"],
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{ARN}:f:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": [1, 2, 3],
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"handled": [1, 2, 3]},
    }
    assert project.store.get_event(request_id).state is S.SUCCEEDED


def test_success_sends_no_dead_letter_and_no_failure_record(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "succeeds",
                **{"async": {"on_failure": {"queue": "failures"}}, "dead_letter": {"queue": "dlq"}},
            )
        },
        queues={"failures": {}, "dlq": {}},
    )
    request_id = harness.enqueue(project, "f", {})
    harness.drain(harness.worker(project), [request_id])
    assert harness.receive_all(project, "failures") == []
    assert harness.receive_all(project, "dlq") == []


# -- paths that end early -----------------------------------------------------------------------


def test_zero_reserved_concurrency_goes_straight_to_failure(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "succeeds",
                reserved_concurrency=0,
                **{"async": {"on_failure": {"queue": "failures"}}},
            )
        },
        queues={"failures": {}},
    )
    before = time.time()
    request_id = harness.enqueue(project, "f", {"k": "v"})
    worker = harness.worker(project)
    assert worker.run_once() == 1  # one pass: no retry, no back-off
    after = time.time()
    assert harness.runs() == []  # never attempted
    event = project.store.get_event(request_id)
    assert event.state is S.FAILED
    assert (event.attempts, event.throttles) == (0, 0)
    [record] = harness.records(project, "failures")
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload"]
    check_timestamp(record, before, after)
    assert record == {
        "version": "1.0",
        "timestamp": record["timestamp"],
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{ARN}:f:$LATEST",
            "condition": "ZeroReservedConcurrency",
            "approximateInvokeCount": 0,
        },
        "requestPayload": {"k": "v"},
    }


def test_event_age_exceeded_before_a_retry(harness: Harness) -> None:
    project = harness.deploy(
        {
            "f": handler(
                "fails",
                **{
                    "async": {
                        "maximum_event_age": 60,
                        "retry_delays": [0.2, 0.4],
                        "on_failure": {"queue": "failures"},
                    }
                },
            )
        },
        queues={"failures": {}},
    )
    offset = [0.0]
    worker = harness.worker(project, clock=lambda: time.time() + offset[0])
    request_id = harness.enqueue(project, "f", {"message": "old"})
    assert worker.run_once() == 1
    event = project.store.get_event(request_id)
    assert (event.state, event.attempts) == (S.RETRYING, 1)

    offset[0] = 61.0  # the retry comes due, but the event is now older than 60 s
    assert worker.run_once() == 1
    assert len(harness.runs()) == 1  # not attempted again
    event = project.store.get_event(request_id)
    assert event.state is S.FAILED
    [record] = harness.records(project, "failures")
    assert list(record) == RECORD_KEYS
    assert record == {
        "version": "1.0",
        "timestamp": record["timestamp"],
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{ARN}:f:$LATEST",
            "condition": "EventAgeExceeded",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"message": "old"},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": error_payload(harness, "f", "old", request_id),
    }
    # the record is stamped with the worker's clock
    assert epoch(record["timestamp"]) >= event.enqueued_at + 60


# -- qualifiers ---------------------------------------------------------------------------------


def test_records_name_the_executed_version(harness: Harness) -> None:
    project = harness.deploy(
        {"f": handler("succeeds", **{"async": {"on_success": {"queue": "done"}}})},
        queues={"done": {}},
    )
    version, created = versions.publish(project, "f")
    assert (version.version, created) == ("1", True)
    aliases.create(project, "f", "live", version="1")
    by_name = harness.enqueue(project, "f:1", {"via": "f:1"}, version="1")
    by_qualifier = harness.enqueue(project, "f", {"via": "qualifier"}, qualifier="1", version="1")
    by_alias = harness.enqueue(project, "f:live", {"via": "alias"}, version="1")
    latest = harness.enqueue(project, "f", {"via": "latest"})
    ids = [by_name, by_qualifier, by_alias, latest]
    harness.drain(harness.worker(project), ids)

    assert {r["id"]: r["version"] for r in harness.runs()} == {
        by_name: "1",
        by_qualifier: "1",
        by_alias: "1",
        latest: "$LATEST",
    }
    found = {r["requestContext"]["requestId"]: r for r in harness.records(project, "done")}
    assert sorted(found) == sorted(ids)
    for request_id, executed in [
        (by_name, "1"),
        (by_qualifier, "1"),
        (by_alias, "1"),  # an alias's record names the version it ran
        (latest, "$LATEST"),
    ]:
        record = found[request_id]
        assert record["requestContext"]["functionArn"] == f"{ARN}:f:{executed}"
        assert record["responseContext"] == {"statusCode": 200, "executedVersion": executed}
