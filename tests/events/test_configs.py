"""EventInvokeConfig set through the API (`lambdactl.events.configs`): AWS's shapes and
errors per qualifier, and the worker following them (retries, age, destinations) with real
environments and an in-process worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import aliases, shapes, versions
from lambdactl.errors import (
    AwsError,
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdactl.events import configs
from lambdactl.project import Project
from lambdactl.store.lifecycle import EventState
from tests.events import ARN, Harness, handler

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012"


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


@pytest.fixture
def deployed(harness: Harness) -> Project:
    """`fails` (quick retries), `succeeds`, and a queue `failures`."""
    return harness.deploy(
        {
            "fails": handler("fails", **{"async": {"retry_delays": [0.05, 0.05]}}),
            "succeeds": handler("succeeds"),
        },
        queues={"failures": {}, "done": {}},
    )


def shape(project: Project, function: str, found: tuple[str, Any]) -> dict[str, Any]:
    return shapes.event_invoke_config(project, function, *found)


def test_put_get_update_list_delete(deployed: Project) -> None:
    put = configs.put(deployed, "fails", maximum_retry_attempts=0, now=1700000000.5)
    assert shape(deployed, "fails", put) == {
        "LastModified": 1700000000.5,
        "FunctionArn": f"{ARN}:fails:$LATEST",
        "MaximumRetryAttempts": 0,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
    }
    destination = {"OnFailure": {"Destination": f"{QUEUE_ARN}:failures"}}
    updated = configs.update(
        deployed, "fails", maximum_event_age=60, destination_config=destination, now=1700000001.0
    )
    assert shape(deployed, "fails", updated) == {
        "LastModified": 1700000001.0,
        "FunctionArn": f"{ARN}:fails:$LATEST",
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 60,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": destination["OnFailure"]},
    }
    assert configs.get(deployed, "fails") == updated
    # Put replaces all: the age and the destination are gone
    configs.put(deployed, "fails", "$LATEST", maximum_retry_attempts=1)
    key, config = configs.get(deployed, f"{ARN}:fails:$LATEST")
    assert (key, config.maximum_event_age, config.on_failure) == ("$LATEST", None, None)
    assert [k for k, _ in configs.list_configs(deployed, "fails")] == ["$LATEST"]
    configs.delete(deployed, "fails")
    assert configs.list_configs(deployed, "fails") == []
    with pytest.raises(ResourceNotFoundException) as caught:
        configs.get(deployed, "fails")
    assert caught.value.message == (
        f"The function {ARN}:fails:$LATEST doesn't have an EventInvokeConfig"
    )


def test_configs_are_keyed_by_version_and_alias(deployed: Project) -> None:
    versions.publish(deployed, "succeeds")
    aliases.create(deployed, "succeeds", "live", version="1")
    configs.put(deployed, "succeeds", "1", maximum_retry_attempts=1)
    configs.put(deployed, "succeeds:live", maximum_event_age=120)
    listed = configs.list_configs(deployed, "succeeds")
    assert [shape(deployed, "succeeds", found)["FunctionArn"] for found in listed] == [
        f"{ARN}:succeeds:1",
        f"{ARN}:succeeds:live",
    ]
    with pytest.raises(ResourceNotFoundException, match=r"succeeds:\$LATEST doesn't have"):
        configs.get(deployed, "succeeds")
    spec = deployed.function("succeeds")
    assert spec.async_config("live").maximum_event_age == 120
    assert spec.async_config("1").maximum_retry_attempts == 1
    assert spec.async_config(None).maximum_retry_attempts == 2


@pytest.mark.parametrize(
    ("function", "given", "error", "message"),
    [
        (
            "fails",
            {},
            InvalidParameterValueException,
            "You must specify at least one of error handling or destination setting.",
        ),
        (
            "fails",
            {"maximum_retry_attempts": 3},
            ValidationException,
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value less than or equal to 2",
        ),
        (
            "fails",
            {"maximum_event_age": 59},
            ValidationException,
            "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value greater than or equal to 60",
        ),
        (
            "nope",
            {"maximum_retry_attempts": 0},
            ResourceNotFoundException,
            "The function doesn't exist.",
        ),
        (
            "fails:7",
            {"maximum_retry_attempts": 0},
            ResourceNotFoundException,
            "The function doesn't exist.",
        ),
        (
            "fails",
            {"destination_config": {"OnSuccess": {"Destination": f"{ARN}:fails"}}},
            InvalidParameterValueException,
            "You can't specify the function as a destination for itself.",
        ),
        (
            "fails",
            {"destination_config": {"OnFailure": {"Destination": f"{ARN}:nope"}}},
            InvalidParameterValueException,
            f"The destination ARN {ARN}:nope is invalid.",
        ),
        (
            "fails",
            {"destination_config": {"OnFailure": {"Destination": f"{QUEUE_ARN}:nope"}}},
            InvalidParameterValueException,
            f"The destination ARN {QUEUE_ARN}:nope is invalid.",
        ),
        (
            "fails",
            {
                "destination_config": {
                    "OnFailure": {"Destination": "arn:aws:sns:us-east-1:123456789012:t"}
                }
            },
            InvalidParameterValueException,
            "The destination ARN arn:aws:sns:us-east-1:123456789012:t is invalid.",
        ),
        (
            "fails",
            {
                "destination_config": {
                    "OnFailure": {"Destination": "arn:aws:sqs:eu-west-1:123456789012:failures"}
                }
            },
            InvalidParameterValueException,
            "The destination ARN arn:aws:sqs:eu-west-1:123456789012:failures is invalid.",
        ),
    ],
)
def test_put_refuses(
    deployed: Project, function: str, given: dict, error: type[AwsError], message: str
) -> None:
    with pytest.raises(error) as caught:
        configs.put(deployed, function, **given)
    assert caught.value.message == message
    assert deployed.function("fails").event_invoke == {}


def test_update_or_delete_of_none_is_not_found(deployed: Project) -> None:
    expected = f"The function {ARN}:fails:$LATEST doesn't have an EventInvokeConfig"
    with pytest.raises(ResourceNotFoundException) as caught:
        configs.update(deployed, "fails", maximum_retry_attempts=0)
    assert caught.value.message == expected
    with pytest.raises(ResourceNotFoundException) as caught:
        configs.delete(deployed, "fails")
    assert caught.value.message == expected


def test_the_manifests_async_shows_as_latests_config_and_can_be_deleted(
    harness: Harness,
) -> None:
    project = harness.deploy(
        {
            "fails": handler("fails", **{"async": {"maximum_retry_attempts": 1}}),
            "succeeds": handler("succeeds"),
        }
    )
    key, config = configs.get(project, "fails")
    assert (key, config.maximum_retry_attempts, config.maximum_event_age) == ("$LATEST", 1, 21600)
    assert config.last_modified == project.manifest.path.stat().st_mtime
    configs.delete(project, "fails")
    assert configs.list_configs(project, "fails") == []
    assert project.function("fails").async_config(None).maximum_retry_attempts == 2
    assert project.function("fails").overrides == {
        "event_invoke:$LATEST": {
            "maximum_retry_attempts": 1,
            "maximum_event_age": 21600,
            "on_success": None,
            "on_failure": None,
        }
    }


def test_the_worker_follows_a_config_put_after_it_started(
    harness: Harness, deployed: Project
) -> None:
    worker = harness.worker(deployed)  # started before the change
    configs.put(
        deployed,
        "fails",
        maximum_retry_attempts=0,
        destination_config={"OnFailure": {"Destination": f"{QUEUE_ARN}:failures"}},
    )
    request_id = harness.enqueue(deployed, "fails", {"message": "once"})
    harness.drain(worker, [request_id])
    assert len(harness.runs(handler="fails")) == 1  # no retry
    event = deployed.store.get_event(request_id)
    assert event is not None and event.state is EventState.FAILED
    (record,) = harness.records(deployed, "failures")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_an_alias_follows_its_own_config(harness: Harness, deployed: Project) -> None:
    versions.publish(deployed, "succeeds")
    aliases.create(deployed, "succeeds", "live", version="1")
    done = {"OnSuccess": {"Destination": f"{QUEUE_ARN}:done"}}
    configs.put(deployed, "succeeds:live", destination_config=done)
    worker = harness.worker(deployed)
    through_alias = harness.enqueue(deployed, "succeeds", {"n": 1}, qualifier="live", version="1")
    unqualified = harness.enqueue(deployed, "succeeds", {"n": 2})
    harness.drain(worker, [through_alias, unqualified])
    records = harness.records(deployed, "done")
    assert [r["requestPayload"] for r in records] == [{"n": 1}]
    assert records[0]["requestContext"]["condition"] == "Success"


def test_a_function_destination_of_a_created_function(harness: Harness, deployed: Project) -> None:
    from lambdactl import functions
    from lambdactl.functions import Configuration
    from tests.uploads import create_request, zip_of

    source = (
        "import json, os\n"
        "def handler(event, context):\n"
        "    with open(os.environ['SEEN'], 'a') as out:\n"
        "        out.write(json.dumps(event) + '\\n')\n"
    )
    seen = harness.root.parent / "seen.jsonl"
    request = create_request(
        Code={"ZipFile": zip_of({"main.py": source})},
        Environment={"Variables": {"SEEN": str(seen)}},
    )
    functions.create(deployed, "sink", Configuration.from_request(request), code=request["Code"])
    configs.put(
        deployed,
        "fails",
        maximum_retry_attempts=0,
        destination_config={"OnFailure": {"Destination": f"{ARN}:sink"}},
    )
    worker = harness.worker(deployed)
    request_id = harness.enqueue(deployed, "fails", {"message": "to the sink"})
    harness.drain(worker, [request_id])
    sent = [e for e in deployed.store.list_events(function="sink")]
    assert len(sent) == 1
    harness.drain(worker, [sent[0].id])
    assert '"condition": "RetriesExhausted"' in seen.read_text()
