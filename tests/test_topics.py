"""Local topics (`lambdactl.topics`, `lambdactl topic publish|list`): a publish fans out to
every subscribed function as an asynchronous invocation, through the real event queue and a
real worker, each handler receiving SNS's notification; filter policies, disabled
subscriptions and SNS Publish's errors."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import topics
from lambdactl.errors import ManifestError
from lambdactl.events import daemon
from lambdactl.project import Project
from lambdactl.sources import specs
from lambdactl.store.lifecycle import EventState
from tests.events import TIMESTAMP, Harness, handler, wait_gone, worker_processes
from tests.runtime import REQUEST_ID

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:orders"
SNS_KEYS = [
    "SignatureVersion", "Timestamp", "Signature", "SigningCertUrl", "MessageId", "Message",
    "MessageAttributes", "Type", "UnsubscribeUrl", "TopicArn", "Subject",
]  # fmt: skip


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


def subscribed(**subscription: Any) -> dict[str, Any]:
    """A function that logs its event, subscribed to `orders` (with `subscription`'s keys)."""
    return handler("succeeds", events=[{"topic": "orders", **subscription}])


def subscription_arn(function: str) -> str:
    return f"{TOPIC_ARN}:{specs.source_uuid(function, 'topic', 'orders', 0)}"


def check_notification(event: dict[str, Any], function: str, **expected: Any) -> dict[str, Any]:
    """`event` is SNS's, exactly, for `function`'s subscription; returns its `Sns`."""
    [record] = event["Records"]
    assert list(event) == ["Records"]
    assert list(record) == ["EventVersion", "EventSubscriptionArn", "EventSource", "Sns"]
    assert record["EventVersion"] == "1.0"
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"] == subscription_arn(function)
    sns = record["Sns"]
    assert list(sns) == SNS_KEYS
    assert (sns["Type"], sns["TopicArn"], sns["SignatureVersion"]) == (
        "Notification", TOPIC_ARN, "1",
    )  # fmt: skip
    assert re.fullmatch(TIMESTAMP, sns["Timestamp"])
    assert len(base64.b64decode(sns["Signature"])) == 256
    assert sns["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert sns["UnsubscribeUrl"] == (
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
        + subscription_arn(function)
    )
    for key, value in expected.items():
        assert sns[key] == value, key
    return sns


def fan_out(harness: Harness, project: Project, published: topics.Published) -> list[dict]:
    """Run the queued notifications with a real worker; the handlers' runs, by function."""
    worker = harness.worker(project)
    harness.drain(worker, [d.request_id for d in published.deliveries])
    for delivery in published.deliveries:
        assert project.store.get_event(delivery.request_id).state is EventState.SUCCEEDED
    return harness.runs()


# -- fan-out -------------------------------------------------------------------------------------


def test_a_publish_reaches_every_subscriber_with_one_message_id(harness: Harness) -> None:
    project = harness.deploy(
        {"first": subscribed(), "other": handler("succeeds"), "second": subscribed()}
    )
    published = topics.publish(
        project,
        "orders",
        "héllo",
        subject="Order 7",
        attributes={"kind": {"DataType": "String", "StringValue": "big"}},
    )
    assert published.topic_arn == TOPIC_ARN
    assert [d.function for d in published.deliveries] == ["first", "second"]
    runs = fan_out(harness, project, published)
    assert sorted(r["id"] for r in runs) == sorted(d.request_id for d in published.deliveries)
    seen = {}
    for run in runs:
        function = next(d.function for d in published.deliveries if d.request_id == run["id"])
        seen[function] = check_notification(
            run["event"],
            function,
            Message="héllo",
            Subject="Order 7",
            MessageId=published.message_id,
            MessageAttributes={"kind": {"Type": "String", "Value": "big"}},
        )
    assert set(seen) == {"first", "second"}
    assert seen["first"]["Timestamp"] == seen["second"]["Timestamp"]
    assert subscription_arn("first") != subscription_arn("second")


def test_no_subject_is_null_and_subscription_arns_are_stable(harness: Harness) -> None:
    project = harness.deploy({"first": subscribed()})
    before = [s.arn for t in topics.list_topics(project) for s in t.subscriptions]
    published = topics.publish(project, "orders", "plain")
    [run] = fan_out(harness, project, published)
    check_notification(run["event"], "first", Subject=None, MessageAttributes={})
    again = harness.deploy({"first": subscribed()})  # the manifest read afresh
    assert [s.arn for t in topics.list_topics(again) for s in t.subscriptions] == before
    assert before == [subscription_arn("first")]


def test_a_filter_policy_drops_a_subscriber(harness: Harness) -> None:
    project = harness.deploy(
        {
            "all": subscribed(),
            "big": subscribed(filter_policy={"kind": ["big"], "price": [{"numeric": [">", 10]}]}),
            "off": subscribed(enabled=False),
        }
    )
    small = topics.publish(
        project,
        "orders",
        "m1",
        attributes={
            "kind": {"DataType": "String", "StringValue": "small"},
            "price": {"DataType": "Number", "StringValue": "99"},
        },
    )
    assert [d.function for d in small.deliveries] == ["all"]
    assert (small.filtered, small.disabled) == (("big",), ("off",))
    big = topics.publish(
        project,
        "orders",
        "m2",
        attributes={
            "kind": {"DataType": "String", "StringValue": "big"},
            "price": {"DataType": "Number", "StringValue": "99"},
        },
    )
    assert [d.function for d in big.deliveries] == ["all", "big"]
    worker = harness.worker(project)
    harness.drain(worker, [d.request_id for d in (*small.deliveries, *big.deliveries)])
    records = [r["event"]["Records"][0] for r in harness.runs()]
    assert sorted((r["EventSubscriptionArn"], r["Sns"]["Message"]) for r in records) == sorted(
        [
            (subscription_arn("all"), "m1"),
            (subscription_arn("all"), "m2"),
            (subscription_arn("big"), "m2"),
        ]
    )


def test_the_cli_publishes_and_starts_the_worker(
    harness: Harness, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "1")
    project = harness.deploy(
        {"first": subscribed(), "second": subscribed(filter_policy={"kind": ["big"]})}
    )
    text = cli("topic", "publish", "orders", "hi", "--attribute", "kind=small", "--subject", "S")
    assert (text.code, text.err) == (0, "")
    shown = rf"✓ published ({REQUEST_ID}) to first; not to second \(filtered out\)\n"
    match = re.fullmatch(shown, text.out)
    assert match, text.out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"from stdin")))
    as_json = cli("topic", "publish", "orders", "-", "--attribute", "kind=big", "-o", "json")
    assert as_json.code == 0, as_json
    assert list(as_json.json()) == ["MessageId"]
    runs = harness.wait_for_runs(3)
    records = [r["event"]["Records"][0] for r in runs]
    seen = sorted(
        (r["Sns"]["MessageId"], r["EventSubscriptionArn"], r["Sns"]["Message"]) for r in records
    )
    first, second = match.group(1), as_json.json()["MessageId"]
    assert seen == sorted(
        [
            (first, subscription_arn("first"), "hi"),
            (second, subscription_arn("first"), "from stdin"),
            (second, subscription_arn("second"), "from stdin"),
        ]
    )
    pid = daemon.running_pid(project.manifest.state_dir)
    if pid is not None:
        wait_gone(pid, timeout=15)  # idle for 1 s, then it exits
    assert worker_processes(project.manifest.path) == []


# -- errors -------------------------------------------------------------------------------------


def test_an_unknown_topic_is_not_found(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    project = harness.deploy({"first": subscribed()})
    with pytest.raises(topics.NotFound) as caught:
        topics.publish(project, "nope", "hi")
    assert (caught.value.aws_type, caught.value.message) == ("NotFound", "Topic does not exist")
    result = cli("topic", "publish", "nope", "hi")
    assert result.code == 3
    assert result.err.splitlines()[0] == "error: NotFound: Topic does not exist"
    assert "Traceback" not in result.err and result.out == ""
    assert project.store.list_events() == []


def test_a_topic_arn_names_the_topic(harness: Harness) -> None:
    project = harness.deploy({"first": subscribed()})
    published = topics.publish(project, TOPIC_ARN, "hi")
    assert [d.function for d in published.deliveries] == ["first"]


@pytest.mark.parametrize(
    ("message", "options", "error", "text"),
    [
        ("", {}, "InvalidParameter", "Invalid parameter: Empty message"),
        ("x" * 262_145, {}, "InvalidParameter", "Invalid parameter: Message too long"),
        (
            "x" * 262_140,
            {"attributes": {"k": {"DataType": "String", "StringValue": "vvvv"}}},
            "InvalidParameter",
            "Invalid parameter: Message too long",
        ),
        ("hi", {"subject": "a\nb"}, "InvalidParameter", "Invalid parameter: Subject"),
        ("hi", {"subject": "s" * 101}, "InvalidParameter", "Invalid parameter: Subject"),
        (
            "hi",
            {"attributes": {"bad name": {"DataType": "String", "StringValue": "v"}}},
            "ParameterValueInvalid",
            "The message attribute name 'bad name' is invalid. Attribute name can contain A-Z, "
            "a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.",
        ),
        (
            "hi",
            {"attributes": {"k": {"DataType": "String", "StringValue": ""}}},
            "ParameterValueInvalid",
            "The message attribute 'k' must contain non-empty message attribute value for "
            "message attribute type 'String'.",
        ),
        (
            "hi",
            {"attributes": {"k": {"DataType": "Number", "StringValue": "ten"}}},
            "ParameterValueInvalid",
            "Could not cast message attribute 'k' value to number.",
        ),
        (
            "hi",
            {"attributes": {"k": {"DataType": "Text", "StringValue": "v"}}},
            "ParameterValueInvalid",
            "The message attribute 'k' has an invalid message attribute type, the set of "
            "supported type prefixes is Binary, Number, and String.",
        ),
    ],
    ids=[
        "empty", "too-long", "too-long-with-attributes", "subject-newline", "subject-long",
        "attribute-name", "attribute-empty", "attribute-number", "attribute-type",
    ],
)  # fmt: skip
def test_publish_errors_are_sns_s(
    harness: Harness, message: str, options: dict[str, Any], error: str, text: str
) -> None:
    project = harness.deploy({"first": subscribed()})
    with pytest.raises(topics.AwsError) as caught:
        topics.publish(project, "orders", message, **options)
    assert (caught.value.aws_type, caught.value.message) == (error, text)
    assert project.store.list_events() == []  # nothing queued


def test_the_largest_message_is_accepted(harness: Harness) -> None:
    project = harness.deploy({"first": subscribed()})
    published = topics.publish(project, "orders", "x" * 262_144)
    assert len(published.deliveries) == 1


def test_an_invalid_filter_policy_is_refused_by_the_manifest(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ManifestError) as caught:
        harness.deploy(
            {"first": subscribed(), "second": subscribed(filter_policy={"kind": {"nested": ["x"]}})}
        )
    assert str(caught.value).endswith(
        "functions.second.events[0].filter_policy: Invalid parameter: Filter policy scope "
        "MessageAttributes does not support nested filter policy"
    )
    result = cli("topic", "publish", "orders", "hi")
    assert result.code != 0 and len(result.err.splitlines()) <= 2
    assert "filter_policy: Invalid parameter: Filter policy scope" in result.err


def test_a_bad_attribute_option_is_one_line(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    harness.deploy({"first": subscribed()})
    result = cli("topic", "publish", "orders", "hi", "--attribute", "novalue")
    assert (result.code, result.err) == (2, "error: attribute 'novalue' is not NAME=VALUE\n")


# -- list -----------------------------------------------------------------------------------------


def test_topic_list(harness: Harness, cli) -> None:  # type: ignore[no-untyped-def]
    project = harness.deploy(
        {
            "first": subscribed(),
            "second": handler(
                "succeeds",
                events=[
                    {"topic": "audit"},
                    {"topic": "orders", "filter_policy": {"k": ["v"]}, "enabled": False},
                ],
            ),
        }
    )
    found = topics.list_topics(project)
    assert [(t.name, [s.function for s in t.subscriptions]) for t in found] == [
        ("orders", ["first", "second"]),
        ("audit", ["second"]),
    ]
    as_json = cli("topic", "list", "-o", "json")
    assert as_json.json() == {
        "Topics": [
            {"TopicArn": TOPIC_ARN},
            {"TopicArn": "arn:aws:sns:us-east-1:123456789012:audit"},
        ]
    }
    text = cli("topic", "list")
    assert text.code == 0
    assert "second (filter policy, disabled)" in text.out
    assert "audit" in text.out
