"""A function's `events:` and the project's `streams:` (`lambdactl.sources.specs`, read by the
manifest): defaults, every key valid and invalid with its message and file:line, the
cross-checks against what the manifest declares, and the sources' UUIDs."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdactl import manifest
from lambdactl.errors import ManifestError
from lambdactl.sources import specs
from lambdactl.sources.specs import (
    DynamoDBSource,
    Endpoint,
    FilesSource,
    HttpSource,
    KinesisSource,
    QueueSettings,
    QueueSource,
    ScheduleSource,
    SqsSource,
    StreamConfig,
    StreamSettings,
    StreamSource,
    TopicSource,
)

WriteManifest = Callable[[str], Path]

DECLARED = """\
queues:
  orders: {}
  jobs.fifo: {fifo: true}
  failed: {}
streams:
  clicks: {}
"""
FIRST = 7
"""The line of the first line of the first `events:` item (see `with_events`)."""


def with_events(*lines: str, tail: str = DECLARED, timeout: int = 3) -> str:
    """Function `hello` with `lines` under its `events:` (each line as written there, from
    line `FIRST` on), then `tail`."""
    head = (
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n"
        f"    timeout: {timeout}\n    events:\n"
    )
    return head + "".join(f"      {line}\n" for line in lines) + tail


def load(write_manifest: WriteManifest, text: str) -> manifest.Manifest:
    return manifest.load(write_manifest(text), remember=False)


def sources(write_manifest: WriteManifest, *lines: str, **kwargs: object) -> tuple:
    loaded = load(write_manifest, with_events(*lines, **kwargs))  # type: ignore[arg-type]
    return loaded.functions["hello"].events


def error(write_manifest: WriteManifest, text: str) -> str:
    with pytest.raises(ManifestError) as info:
        load(write_manifest, text)
    return str(info.value)


def event_error(write_manifest: WriteManifest, *lines: str, **kwargs: object) -> str:
    return error(write_manifest, with_events(*lines, **kwargs))  # type: ignore[arg-type]


def model(value: object, field: str, constraint: str) -> str:
    """AWS's message for one failed model constraint."""
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def at_least(low: int) -> str:
    return f"Member must have value greater than or equal to {low}"


def at_most(high: int) -> str:
    return f"Member must have value less than or equal to {high}"


def uuid_of(kind: str, identity: str, index: int = 0, function: str = "hello") -> str:
    return str(uuid.uuid5(specs.NAMESPACE, f"{function}\n{kind}\n{identity}\n{index}"))


# --------------------------------------------------------------------------------------------
# Defaults


def test_no_events_is_an_empty_tuple_and_streams_default_to_none(
    write_manifest: WriteManifest,
) -> None:
    loaded = load(
        write_manifest,
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n    events:\n",
    )
    assert loaded.functions["hello"].events == ()
    assert loaded.streams == {}


def test_each_kind_with_its_defaults(write_manifest: WriteManifest, project_dir: Path) -> None:
    (project_dir / "inbox").mkdir()
    found = sources(
        write_manifest,
        "- queue: orders",
        "- stream: clicks",
        "  starting_position: LATEST",
        "- schedule: rate(5 minutes)",
        "- files: {path: inbox/}",
        "- topic: signups",
        "- sqs: {queue_url: 'http://127.0.0.1:4566/000000000000/jobs'}",
        "- kinesis: {stream_name: orders, starting_position: TRIM_HORIZON}",
        "- dynamodb: {table: people, starting_position: LATEST}",
        "- http: {path: /users}",
    )
    queue, stream, schedule, files, topic, sqs, kinesis, dynamodb, http = found
    assert queue == QueueSource(uuid=uuid_of("queue", "orders"), function="hello", queue="orders")
    assert queue.settings == QueueSettings(
        batch_size=10,
        batching_window=0,
        report_batch_item_failures=False,
        maximum_concurrency=None,
        filters=(),
    )
    assert stream == StreamSource(
        uuid=uuid_of("stream", "clicks"),
        function="hello",
        stream="clicks",
        settings=StreamSettings(starting_position="LATEST"),
    )
    assert stream.settings == StreamSettings(
        starting_position="LATEST",
        starting_position_timestamp=None,
        batch_size=100,
        batching_window=0,
        parallelization_factor=1,
        bisect_on_error=False,
        maximum_retry_attempts=-1,
        maximum_record_age=-1,
        report_batch_item_failures=False,
        tumbling_window=0,
        on_failure=None,
        filters=(),
    )
    assert schedule == ScheduleSource(
        uuid=uuid_of("schedule", "rate(5 minutes)"),
        function="hello",
        expression="rate(5 minutes)",
        input=None,
        enabled=True,
    )
    inbox = str(project_dir.resolve() / "inbox")
    assert files == FilesSource(
        uuid=uuid_of("files", inbox),
        function="hello",
        path=Path(inbox),
        events=("created", "removed"),
    )
    assert topic == TopicSource(
        uuid=uuid_of("topic", "signups"), function="hello", topic="signups", filter_policy=None
    )
    url = "http://127.0.0.1:4566/000000000000/jobs"
    assert sqs == SqsSource(
        uuid=uuid_of("sqs", url),
        function="hello",
        queue_url=url,
        endpoint=Endpoint(region="us-east-1", url=None),
    )
    assert kinesis == KinesisSource(
        uuid=uuid_of("kinesis", "us-east-1 orders"),
        function="hello",
        stream_name="orders",
        endpoint=Endpoint(region="us-east-1"),
        settings=StreamSettings(starting_position="TRIM_HORIZON"),
    )
    assert dynamodb == DynamoDBSource(
        uuid=uuid_of("dynamodb", "us-east-1 people"),
        function="hello",
        table="people",
        endpoint=Endpoint(region="us-east-1"),
        settings=StreamSettings(starting_position="LATEST"),
    )
    assert http == HttpSource(
        uuid=uuid_of("http", "ANY /users"),
        function="hello",
        path="/users",
        method="ANY",
        payload="2.0",
        api_type="HTTP",  # inferred from the payload, and said
        api="",
        stage="",
        binary_media_types=(),
    )
    assert [s.kind for s in found] == list(specs.KINDS)
    assert all(s.enabled for s in found)


def test_every_key_given(write_manifest: WriteManifest, project_dir: Path) -> None:
    (project_dir / "inbox").mkdir()
    queue, stream, schedule, files, topic, sqs, kinesis, dynamodb = sources(
        write_manifest,
        "- queue: orders",
        "  batch_size: 10000",
        "  batching_window: 300",
        "  report_batch_item_failures: true",
        "  maximum_concurrency: 1000",
        "  filter: [{body: {type: [order]}}, {attributes: {SenderId: [me]}}]",
        "  enabled: false",
        "- stream: clicks",
        "  starting_position: AT_TIMESTAMP",
        "  starting_position_timestamp: 2024-05-01T12:00:00Z",
        "  batch_size: 10000",
        "  batching_window: 5",
        "  parallelization_factor: 10",
        "  bisect_on_error: true",
        "  maximum_retry_attempts: 10000",
        "  maximum_record_age: 604800",
        "  report_batch_item_failures: true",
        "  tumbling_window: 900",
        "  on_failure: {queue: failed}",
        "  filter: {data: {kind: [click]}}",
        "- schedule: cron(0 12 * * ? *)",
        "  input: {job: nightly, n: [1, 2]}",
        "  enabled: false",
        "- files: {path: ./inbox, events: [removed], enabled: false}",
        "- topic: signups",
        "  filter_policy: {plan: [pro]}",
        "- sqs:",
        "    queue_url: http://127.0.0.1:4566/000000000000/jobs.fifo",
        "    endpoint_url: http://127.0.0.1:4566",
        "    region: eu-west-1",
        "    batch_size: 10",
        "    maximum_concurrency: 2",
        "- kinesis: {stream_name: s, endpoint_url: 'http://127.0.0.1:4567', region: eu-west-1,",
        "            starting_position: AT_TIMESTAMP, starting_position_timestamp: 1714564800.5}",
        "- dynamodb: {table: people, starting_position: TRIM_HORIZON, maximum_record_age: 60}",
    )
    assert queue.enabled is False
    assert queue.settings == QueueSettings(
        batch_size=10000,
        batching_window=300,
        report_batch_item_failures=True,
        maximum_concurrency=1000,
        filters=('{"body":{"type":["order"]}}', '{"attributes":{"SenderId":["me"]}}'),
    )
    assert stream.settings == StreamSettings(
        starting_position="AT_TIMESTAMP",
        starting_position_timestamp=1714564800.0,
        batch_size=10000,
        batching_window=5,
        parallelization_factor=10,
        bisect_on_error=True,
        maximum_retry_attempts=10000,
        maximum_record_age=604800,
        report_batch_item_failures=True,
        tumbling_window=900,
        on_failure="failed",
        filters=('{"data":{"kind":["click"]}}',),
    )
    assert (schedule.expression, schedule.input, schedule.enabled) == (
        "cron(0 12 * * ? *)",
        '{"job":"nightly","n":[1,2]}',
        False,
    )
    assert (files.events, files.enabled) == (("removed",), False)
    assert json.loads(topic.filter_policy) == {"plan": ["pro"]}
    assert sqs.endpoint == Endpoint(region="eu-west-1", url="http://127.0.0.1:4566")
    assert sqs.settings.maximum_concurrency == 2
    assert kinesis.endpoint == Endpoint(region="eu-west-1", url="http://127.0.0.1:4567")
    assert kinesis.settings.starting_position_timestamp == 1714564800.5
    assert kinesis.uuid == uuid_of("kinesis", "http://127.0.0.1:4567 s")
    assert dynamodb.settings.maximum_record_age == 60


def test_a_yaml_time_without_a_zone_is_utc(write_manifest: WriteManifest) -> None:
    (stream,) = sources(
        write_manifest,
        "- stream: clicks",
        "  starting_position: AT_TIMESTAMP",
        "  starting_position_timestamp: 2024-05-01 12:00:00",
    )
    assert stream.settings.starting_position_timestamp == 1714564800.0


def test_streams_declared(write_manifest: WriteManifest) -> None:
    loaded = load(
        write_manifest,
        with_events(
            tail="streams:\n  clicks:\n  views: {shards: 500, retention_hours: 8760}\n"
            "  a.b_c-1: {retention_hours: 24}\n"
        ),
    )
    assert loaded.streams == {
        "clicks": StreamConfig(shards=1, retention_hours=24),
        "views": StreamConfig(shards=500, retention_hours=8760),
        "a.b_c-1": StreamConfig(),
    }


# --------------------------------------------------------------------------------------------
# Each key out of range or of the wrong type: AWS's message where AWS has one


def where(line: int, key: str) -> str:
    return f"functions.yaml:{line}: functions.hello.events[0].{key}: "


QUEUE_CASES = [
    ("batch_size: 0", "batch_size", model(0, "batchSize", at_least(1))),
    ("batch_size: 10001", "batch_size", model(10001, "batchSize", at_most(10000))),
    (
        "batching_window: -1",
        "batching_window",
        model(-1, "maximumBatchingWindowInSeconds", at_least(0)),
    ),
    (
        "batching_window: 301",
        "batching_window",
        model(301, "maximumBatchingWindowInSeconds", at_most(300)),
    ),
    (
        "maximum_concurrency: 1",
        "maximum_concurrency",
        model(1, "scalingConfig.maximumConcurrency", at_least(2)),
    ),
    (
        "maximum_concurrency: 1001",
        "maximum_concurrency",
        model(1001, "scalingConfig.maximumConcurrency", at_most(1000)),
    ),
    (
        "batch_size: 11",
        "batch_size",
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater "
        "than 10",
    ),
    ("batch_size: ten", "batch_size", "expected a whole number, got string 'ten'"),
    ("batch_size: 1.5", "batch_size", "expected a whole number, got float '1.5'"),
    (
        "report_batch_item_failures: 1",
        "report_batch_item_failures",
        "expected true or false, got integer '1'",
    ),
    ("enabled: maybe", "enabled", "expected true or false, got string 'maybe'"),
    (
        "filter: orders",
        "filter",
        "expected a filter pattern (a mapping, e.g. {body: {type: [order]}})",
    ),
]


@pytest.mark.parametrize(("line", "key", "message"), QUEUE_CASES)
def test_queue_keys_out_of_range(
    write_manifest: WriteManifest, line: str, key: str, message: str
) -> None:
    got = event_error(write_manifest, "- queue: orders", f"  {line}")
    assert got == where(FIRST + 1, key) + message


STREAM_CASES = [
    ("batch_size: 0", "batch_size", model(0, "batchSize", at_least(1))),
    ("batch_size: 10001", "batch_size", model(10001, "batchSize", at_most(10000))),
    (
        "batching_window: 301",
        "batching_window",
        model(301, "maximumBatchingWindowInSeconds", at_most(300)),
    ),
    (
        "parallelization_factor: 0",
        "parallelization_factor",
        model(0, "parallelizationFactor", at_least(1)),
    ),
    (
        "parallelization_factor: 11",
        "parallelization_factor",
        model(11, "parallelizationFactor", at_most(10)),
    ),
    (
        "maximum_retry_attempts: -2",
        "maximum_retry_attempts",
        model(-2, "maximumRetryAttempts", at_least(-1)),
    ),
    (
        "maximum_retry_attempts: 10001",
        "maximum_retry_attempts",
        model(10001, "maximumRetryAttempts", at_most(10000)),
    ),
    (
        "maximum_record_age: -2",
        "maximum_record_age",
        model(-2, "maximumRecordAgeInSeconds", at_least(-1)),
    ),
    (
        "maximum_record_age: 604801",
        "maximum_record_age",
        model(604801, "maximumRecordAgeInSeconds", at_most(604800)),
    ),
    (
        "maximum_record_age: 59",
        "maximum_record_age",
        "a maximum record age is -1 (never too old) or 60 to 604800 seconds, got 59",
    ),
    ("tumbling_window: -1", "tumbling_window", model(-1, "tumblingWindowInSeconds", at_least(0))),
    (
        "tumbling_window: 901",
        "tumbling_window",
        model(901, "tumblingWindowInSeconds", at_most(900)),
    ),
    (
        "bisect_on_error: yes please",
        "bisect_on_error",
        "expected true or false, got string 'yes please'",
    ),
    (
        "starting_position_timestamp: 5",
        "starting_position_timestamp",
        "for starting_position: AT_TIMESTAMP only",
    ),
    (
        "on_failure: {function: other}",
        "on_failure",
        "an event source mapping's on-failure destination is a queue: {queue: NAME}",
    ),
    (
        "on_failure: {queue: nowhere}",
        "on_failure",
        "no queue 'nowhere' is declared in the manifest",
    ),
    ("on_failure: failed", "on_failure", "expected a mapping, got string 'failed'"),
]


@pytest.mark.parametrize(("line", "key", "message"), STREAM_CASES)
def test_stream_keys_out_of_range(
    write_manifest: WriteManifest, line: str, key: str, message: str
) -> None:
    got = event_error(
        write_manifest, "- stream: clicks", "  starting_position: LATEST", f"  {line}"
    )
    assert got == where(FIRST + 2, key) + message


def test_a_stream_needs_a_starting_position(write_manifest: WriteManifest) -> None:
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- stream: clicks"))
    assert str(info.value) == (
        f"functions.yaml:{FIRST}: functions.hello.events[0]: 1 validation error detected: "
        "Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."
    )
    assert info.value.hint is not None and "TRIM_HORIZON" in info.value.hint


def test_starting_positions(write_manifest: WriteManifest) -> None:
    got = event_error(write_manifest, "- stream: clicks", "  starting_position: OLDEST")
    assert got == where(FIRST + 1, "starting_position") + model(
        "OLDEST",
        "startingPosition",
        "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]",
    )
    got = event_error(write_manifest, "- stream: clicks", "  starting_position: AT_TIMESTAMP")
    assert got == where(FIRST + 1, "starting_position") + (
        "AT_TIMESTAMP needs starting_position_timestamp (epoch seconds or an ISO time)"
    )
    got = event_error(
        write_manifest,
        "- stream: clicks",
        "  starting_position: AT_TIMESTAMP",
        "  starting_position_timestamp: soon",
    )
    assert got == where(FIRST + 2, "starting_position_timestamp") + (
        "expected epoch seconds or an ISO time (2024-05-01T12:00:00Z)"
    )
    got = event_error(
        write_manifest,
        "- dynamodb: {table: people, starting_position: AT_TIMESTAMP,",
        "              starting_position_timestamp: 1}",
    )
    assert got.startswith(
        f"functions.yaml:{FIRST}: functions.hello.events[0].dynamodb.starting_position: "
        "Unsupported starting position for arn type"
    )


@pytest.mark.parametrize(
    ("lines", "line", "key", "message"),
    [
        (
            ["- schedule: every 5 minutes"],
            FIRST,
            "schedule",
            "Parameter ScheduleExpression is not valid. 'every 5 minutes': expected "
            "rate(<value> <unit>) or cron(<six fields>)",
        ),
        (
            ["- schedule: rate(5 hour)"],
            FIRST,
            "schedule",
            "Parameter ScheduleExpression is not valid. 'rate(5 hour)': a value above 1 takes "
            "'hours', not 'hour'",
        ),
        (["- schedule: cron(0 12 * * * *)"], FIRST, "schedule", None),
        (["- schedule: 5"], FIRST, "schedule", None),
        (
            ["- schedule: rate(1 hour)", "  input: {when: 2024-01-01T00:00:00Z}"],
            FIRST + 1,
            "input",
            "not JSON: Object of type datetime is not JSON serializable",
        ),
        (
            ["- schedule: rate(1 hour)", "  input: {big: " + "x" * 8200 + "}"],
            FIRST + 1,
            "input",
            "the input is 8210 characters of JSON; EventBridge takes at most 8192",
        ),
        (["- topic: sign ups"], FIRST, "topic", "Invalid parameter: Topic Name"),
        (["- topic: " + "t" * 257], FIRST, "topic", "Invalid parameter: Topic Name"),
        (
            ["- topic: signups", "  filter_policy: [plan]"],
            FIRST + 1,
            "filter_policy",
            "expected a mapping (SNS's filter policy)",
        ),
        (
            ["- topic: signups", "  filter_policy: {a: 1, b: 1, c: 1, d: 1, e: 1, f: 1}"],
            FIRST + 1,
            "filter_policy",
            "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys",
        ),
        (
            ["- files: {path: inbox, events: [modified]}"],
            FIRST,
            "files.events[0]",
            "unknown file event 'modified': created or removed",
        ),
        (
            ["- files: {path: inbox, events: [created, created]}"],
            FIRST,
            "files.events[1]",
            "'created' is listed twice",
        ),
        (
            ["- files: {path: inbox, events: []}"],
            FIRST,
            "files.events",
            "empty: list created, removed or both",
        ),
        (["- files: {path: missing}"], FIRST, "files.path", None),
        (
            ["- sqs: {queue_url: jobs}"],
            FIRST,
            "sqs.queue_url",
            "'jobs' is not an http:// or https:// queue URL",
        ),
        (
            ["- sqs: {queue_url: 'http://h/1/q', endpoint_url: 'h:1'}"],
            FIRST,
            "sqs.endpoint_url",
            "'h:1' is not an http:// or https:// URL",
        ),
        (
            ["- sqs: {queue_url: 'http://h/1/q', region: mars}"],
            FIRST,
            "sqs.region",
            "'mars' is not an AWS region name (like us-east-1)",
        ),
        (
            ["- sqs: {queue_url: 'http://h/1/q.fifo', batching_window: 1}"],
            FIRST,
            "sqs.batching_window",
            "Batching window is not supported for FIFO queues",
        ),
        (
            ["- sqs: {queue_url: 'http://h/1/q', batch_size: 11}"],
            FIRST,
            "sqs.batch_size",
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10",
        ),
        (
            ["- kinesis: {stream_name: 'a b', starting_position: LATEST}"],
            FIRST,
            "kinesis.stream_name",
            model(
                "a b",
                "streamName",
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            ),
        ),
        (
            ["- dynamodb: {table: ab, starting_position: LATEST}"],
            FIRST,
            "dynamodb.table",
            model("ab", "tableName", "Member must have length greater than or equal to 3"),
        ),
        (
            ["- dynamodb: {table: 'a/b/c', starting_position: LATEST}"],
            FIRST,
            "dynamodb.table",
            model(
                "a/b/c",
                "tableName",
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            ),
        ),
    ],
)
def test_other_kinds_keys(
    write_manifest: WriteManifest,
    project_dir: Path,
    lines: list[str],
    line: int,
    key: str,
    message: str | None,
) -> None:
    (project_dir / "inbox").mkdir()
    got = event_error(write_manifest, *lines)
    assert got.startswith(where(line, key)), got
    if message is not None:
        assert got == where(line, key) + message


def test_a_missing_directory_and_a_file(write_manifest: WriteManifest, project_dir: Path) -> None:
    got = event_error(write_manifest, "- files: {path: inbox}")
    resolved = project_dir.resolve() / "inbox"
    assert got == where(FIRST, "files.path") + (
        f"directory 'inbox' does not exist (resolved to {resolved})"
    )
    resolved.write_text("not a directory")
    got = event_error(write_manifest, "- files: {path: inbox}")
    assert got.endswith("is not a directory (resolved to " + str(resolved) + ")")


@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        (["- sqs: {region: us-east-1}"], "events[0].sqs", "missing key 'queue_url'"),
        (
            ["- kinesis: {starting_position: LATEST}"],
            "events[0].kinesis",
            "missing key 'stream_name'",
        ),
        (["- dynamodb: {starting_position: LATEST}"], "events[0].dynamodb", "missing key 'table'"),
        (
            ["- files: {events: [created]}"],
            "events[0]",
            "missing key 'path' (a directory inside the project)",
        ),
        (
            ["- kinesis: {stream_name: s}"],
            "events[0]",
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
            "constraint: Member must not be null.",
        ),
    ],
)
def test_an_endpoint_source_without_what_it_needs(
    write_manifest: WriteManifest, lines: list[str], key: str, message: str
) -> None:
    assert event_error(write_manifest, *lines) == (
        f"functions.yaml:{FIRST}: functions.hello.{key}: {message}"
    )


# --------------------------------------------------------------------------------------------
# Shapes and unknown keys


def test_the_shape_of_the_list_and_its_items(write_manifest: WriteManifest) -> None:
    text = "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n    events: q\n"
    assert error(write_manifest, text) == (
        "functions.yaml:5: functions.hello.events: expected a list of event sources "
        "(- queue: NAME, ...)"
    )
    assert event_error(write_manifest, "- orders") == (
        f"functions.yaml:{FIRST}: functions.hello.events[0]: expected a mapping, got string "
        "'orders'"
    )
    assert event_error(write_manifest, "- batch_size: 5") == (
        f"functions.yaml:{FIRST}: functions.hello.events[0]: an event source names its kind: "
        "queue, stream, schedule, files, topic, sqs, kinesis, dynamodb, http"
    )
    assert event_error(write_manifest, "- queue: orders", "  stream: clicks") == (
        f"functions.yaml:{FIRST + 1}: functions.hello.events[0]: one event source per list "
        "item: found queue and stream"
    )


def test_unknown_keys(write_manifest: WriteManifest) -> None:
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- queue: orders", "  batchsize: 5"))
    assert str(info.value) == where(FIRST + 1, "batchsize") + "unknown key 'batchsize'"
    assert info.value.hint == "did you mean 'batch_size'?"
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- queue: orders", "  starting_position: LATEST"))
    assert str(info.value) == where(FIRST + 1, "starting_position") + (
        "unknown key 'starting_position' for a queue source"
    )
    assert info.value.hint == (
        "allowed: queue, batch_size, batching_window, report_batch_item_failures, "
        "maximum_concurrency, filter, enabled"
    )
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- files: {path: inbox}", "  enabled: false"))
    assert str(info.value) == where(FIRST + 1, "enabled") + "unknown key 'enabled'"
    assert info.value.hint == "files's settings go inside it: files: {enabled: ...}"
    got = event_error(write_manifest, "- files: {path: inbox, pth: x}")
    assert got == where(FIRST, "files.pth") + "unknown key 'pth'"


def test_streams_invalid(write_manifest: WriteManifest) -> None:
    def streams_error(body: str) -> str:
        return error(write_manifest, with_events(tail="streams:\n" + body))

    line = 8  # `streams:` is line 7: the function has an empty `events:`
    assert streams_error("  clicks: {shards: 0}\n") == (
        f"functions.yaml:{line}: streams.clicks.shards: " + model(0, "shardCount", at_least(1))
    )
    assert streams_error("  clicks: {shards: 501}\n") == (
        f"functions.yaml:{line}: streams.clicks.shards: at most 500 shards (Kinesis's default "
        "quota per account)"
    )
    assert streams_error("  clicks: {retention_hours: 23}\n") == (
        f"functions.yaml:{line}: streams.clicks.retention_hours: Minimum allowed retention "
        "period is 24 hours. Requested retention period (23 hours) is too short."
    )
    assert streams_error("  clicks: {retention_hours: 8761}\n") == (
        f"functions.yaml:{line}: streams.clicks.retention_hours: Maximum allowed retention "
        "period is 8760 hours. Requested retention period (8761 hours) is too long."
    )
    assert streams_error("  'a b': {}\n") == (
        f"functions.yaml:{line}: streams.a b: "
        + model(
            "a b", "streamName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    )
    assert streams_error("  " + "s" * 129 + ": {}\n") == (
        f"functions.yaml:{line}: streams.{'s' * 129}: "
        + model("s" * 129, "streamName", "Member must have length less than or equal to 128")
    )
    assert streams_error("  clicks: {shard: 2}\n") == (
        f"functions.yaml:{line}: streams.clicks.shard: unknown key 'shard'"
    )
    assert streams_error("  clicks: 2\n") == (
        f"functions.yaml:{line}: streams.clicks: expected a mapping, got integer '2'"
    )


# --------------------------------------------------------------------------------------------
# Cross-checks against what the manifest declares


def test_a_queue_or_stream_must_be_declared(write_manifest: WriteManifest) -> None:
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- queue: nowhere"))
    assert str(info.value) == (
        f"functions.yaml:{FIRST}: functions.hello.events[0].queue: no queue 'nowhere' is "
        "declared in the manifest"
    )
    assert info.value.hint == "declare it under queues: (queues: {nowhere: {}})"
    got = event_error(write_manifest, "- stream: nowhere", "  starting_position: LATEST")
    assert got == (
        f"functions.yaml:{FIRST}: functions.hello.events[0].stream: no stream 'nowhere' is "
        "declared in the manifest"
    )
    got = event_error(write_manifest, "- queue: orders", tail="")
    assert got.endswith("no queue 'orders' is declared in the manifest")


def test_fifo_queues(write_manifest: WriteManifest) -> None:
    (fifo,) = sources(write_manifest, "- queue: jobs.fifo", "  batch_size: 10")
    assert fifo.settings.batch_size == 10
    got = event_error(write_manifest, "- queue: jobs.fifo", "  batching_window: 1")
    assert got == where(FIRST + 1, "batching_window") + (
        "Batching window is not supported for FIFO queues"
    )
    got = event_error(write_manifest, "- queue: jobs.fifo", "  batch_size: 11")
    assert got == where(FIRST + 1, "batch_size") + "a FIFO queue's batch size is at most 10, got 11"


def test_more_than_ten_messages_need_a_window_on_queues_only(
    write_manifest: WriteManifest,
) -> None:
    queue, stream = sources(
        write_manifest,
        "- queue: orders",
        "  batch_size: 11",
        "  batching_window: 1",
        "- stream: clicks",
        "  starting_position: LATEST",
        "  batch_size: 500",
    )
    assert (queue.settings.batch_size, stream.settings.batch_size) == (11, 500)


def test_the_visibility_timeout_covers_the_function_timeout(
    write_manifest: WriteManifest,
) -> None:
    got = event_error(write_manifest, "- queue: orders", timeout=31)
    assert got == (
        f"functions.yaml:{FIRST}: functions.hello.events[0].queue: Queue visibility timeout: "
        "30 seconds is less than Function timeout: 31 seconds"
    )
    tail = "queues:\n  orders: {visibility_timeout: 60}\n"
    (queue,) = sources(write_manifest, "- queue: orders", timeout=60, tail=tail)
    assert queue.queue == "orders"


def test_duplicates(write_manifest: WriteManifest, project_dir: Path) -> None:
    got = event_error(write_manifest, "- queue: orders", "- queue: orders", "  batch_size: 5")
    assert got == (
        f"functions.yaml:{FIRST + 1}: functions.hello.events[1]: An event source mapping with "
        'SQS arn (" arn:aws:sqs:us-east-1:000000000000:orders ") and function (" hello ") '
        "already exists. Please update or delete the existing mapping with UUID "
        + uuid_of("queue", "orders")
    )
    got = event_error(
        write_manifest,
        "- stream: clicks",
        "  starting_position: LATEST",
        "- stream: clicks",
        "  starting_position: TRIM_HORIZON",
    )
    assert got == (
        f"functions.yaml:{FIRST + 2}: functions.hello.events[1]: The event source arn "
        '(" arn:aws:kinesis:us-east-1:000000000000:stream/clicks ") and function (" hello ") '
        "provided mapping already exists. Please update or delete the existing mapping with UUID "
        + uuid_of("stream", "clicks")
    )
    got = event_error(write_manifest, "- topic: signups", "- topic: signups")
    assert got == (
        f"functions.yaml:{FIRST + 1}: functions.hello.events[1]: the same topic source as "
        "functions.hello.events[0]"
    )
    (project_dir / "inbox").mkdir()
    got = event_error(write_manifest, "- files: {path: inbox}", "- files: {path: ./inbox/}")
    assert got.endswith("the same files source as functions.hello.events[0]")
    got = event_error(
        write_manifest, "- schedule: rate(1 hour)", "- schedule: rate(1 hour)", "  input: null"
    )
    assert got.endswith("the same schedule source as functions.hello.events[0]")


def test_one_expression_with_two_inputs_is_two_schedules(write_manifest: WriteManifest) -> None:
    first, second = sources(
        write_manifest,
        "- schedule: rate(1 hour)",
        "  input: {n: 1}",
        "- schedule: rate(1 hour)",
        "  input: {n: 2}",
    )
    assert first.uuid == uuid_of("schedule", "rate(1 hour)", 0)
    assert second.uuid == uuid_of("schedule", "rate(1 hour)", 1)


def test_two_functions_may_read_the_same_queue(write_manifest: WriteManifest) -> None:
    text = with_events("- queue: orders").replace(
        "queues:",
        "  other:\n    handler: app.handler\n    code: src/hello\n    events: [{queue: orders}]"
        "\nqueues:",
    )
    loaded = load(write_manifest, text)
    hello, other = (loaded.functions[n].events[0] for n in ("hello", "other"))
    assert hello.uuid != other.uuid
    assert other.uuid == uuid_of("queue", "orders", function="other")


# --------------------------------------------------------------------------------------------
# Files: inside the project, never out of it


def test_a_watched_directory_stays_inside_the_project(
    write_manifest: WriteManifest, project_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project_dir / "inbox").mkdir()
    root = project_dir.resolve()
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- files: {path: ../outside}"))
    assert str(info.value) == where(FIRST, "files.path") + (
        f"directory '../outside' is outside the project directory ({root})"
    )
    assert info.value.hint == (
        "a watched directory stays inside the project: no '..' or symlink out of it"
    )
    got = event_error(write_manifest, "- files: {path: inbox/../../outside}")
    assert "is outside the project directory" in got
    got = event_error(write_manifest, f"- files: {{path: '{outside}'}}")
    assert "is outside the project directory" in got
    os.symlink(outside, project_dir / "drop")
    got = event_error(write_manifest, "- files: {path: drop}")
    assert got == where(FIRST, "files.path") + (
        f"directory 'drop' is outside the project directory ({root})"
    )
    (project_dir / ".lambda").mkdir()
    got = event_error(write_manifest, "- files: {path: .lambda}")
    assert got == where(FIRST, "files.path") + (
        ".lambda/ is lambdactl's own state: watch another directory"
    )
    os.symlink(project_dir / "inbox", project_dir / "inside")  # a symlink that stays inside
    (linked,) = sources(write_manifest, "- files: {path: inside}")
    assert linked.path == root / "inbox"
    (whole,) = sources(write_manifest, "- files: {path: .}")
    assert whole.path == root


# --------------------------------------------------------------------------------------------
# UUIDs


def test_uuids_are_stable_across_edits_that_reorder_or_add_sources(
    write_manifest: WriteManifest,
) -> None:
    before = sources(
        write_manifest,
        "- queue: orders",
        "- stream: clicks",
        "  starting_position: LATEST",
    )
    after = sources(
        write_manifest,
        "- schedule: rate(1 minute)",
        "- stream: clicks",
        "  starting_position: TRIM_HORIZON",
        "  batch_size: 5",
        "- queue: orders",
        "  batch_size: 3",
    )
    assert {s.kind: s.uuid for s in before} == {
        s.kind: s.uuid for s in after if s.kind in ("queue", "stream")
    }
    # Pinned: a change of the namespace or of what a UUID is made of would orphan the state
    # every mapping keeps.
    assert before[0].uuid == "ff88241b-934f-5070-82de-7d0981ed4547"
    assert specs.source_uuid("hello", "queue", "orders", 0) == before[0].uuid


def test_events_survive_the_manifest_cache(
    write_manifest: WriteManifest, project_dir: Path
) -> None:
    (project_dir / ".lambda").mkdir()
    (project_dir / "inbox").mkdir()
    path = write_manifest(
        with_events(
            "- files: {path: inbox}",
            "- stream: clicks",
            "  starting_position: AT_TIMESTAMP",
            "  starting_position_timestamp: 10",
            "  on_failure: {queue: failed}",
            "- sqs: {queue_url: 'http://h/1/q', endpoint_url: 'http://h'}",
        )
    )
    first = manifest.load(path)
    assert (project_dir / ".lambda" / manifest.CACHE_NAME).exists()
    again = manifest.load(path)
    assert again == first
    assert again.streams == {"clicks": StreamConfig()}
    assert [type(s) for s in again.functions["hello"].events] == [
        FilesSource,
        StreamSource,
        SqsSource,
    ]


# --------------------------------------------------------------------------------------------
# `lambdactl validate` lists them


def test_validate_lists_each_functions_sources(
    write_manifest: WriteManifest, project_dir: Path, cli: Callable
) -> None:
    (project_dir / "inbox").mkdir()
    write_manifest(
        with_events(
            "- queue: orders",
            "  enabled: false",
            "- files: {path: inbox}",
            "- kinesis: {stream_name: s, endpoint_url: 'http://127.0.0.1:1', "
            "starting_position: LATEST}",
        )
    )
    result = cli("validate")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == (
        "  hello: queue orders (disabled), files inbox, kinesis s at http://127.0.0.1:1"
    )
    listed = cli("validate", "-o", "json").json()["EventSources"]
    assert listed[0] == {
        "Function": "hello",
        "Kind": "queue",
        "Source": "orders",
        "UUID": uuid_of("queue", "orders"),
        "Enabled": False,
    }
    assert [(s["Kind"], s["Source"]) for s in listed[1:]] == [
        ("files", "inbox"),
        ("kinesis", "s at http://127.0.0.1:1"),
    ]


def test_a_name_given_as_nothing(write_manifest: WriteManifest) -> None:
    assert event_error(write_manifest, "- queue:") == (
        f"functions.yaml:{FIRST}: functions.hello.events[0].queue: expected a string, got "
        "nothing ''"
    )


def test_show_has_a_row_of_event_sources(write_manifest: WriteManifest, cli: Callable) -> None:
    write_manifest(with_events("- schedule: rate(1 hour)", "- topic: signups"))
    result = cli("show", "hello")
    assert result.code == 0, result.err
    rows = [line.split(None, 2) for line in result.out.splitlines() if "Event sources" in line]
    assert rows == [["Event", "sources", "schedule rate(1 hour), topic signups"]]
    assert "EventSources" not in cli("show", "hello", "-o", "json").json()  # AWS's shape


def test_filters_are_compiled_as_lambda_does(write_manifest: WriteManifest) -> None:
    with pytest.raises(ManifestError) as info:
        load(write_manifest, with_events("- queue: orders", "  filter: {body: {type: order}}"))
    assert str(info.value) == where(FIRST + 1, "filter") + "Invalid filter pattern definition."
    assert info.value.hint is not None and "type" in info.value.hint
    with pytest.raises(ManifestError) as info:
        load(
            write_manifest,
            with_events(
                "- stream: clicks",
                "  starting_position: LATEST",
                "  filter:",
                "    - {partitionKey: [a]}",
                "    - {data: [x]}",
            ),
        )
    assert str(info.value) == where(FIRST + 4, "filter[1]") + "Invalid filter pattern definition."
    assert info.value.hint is not None and info.value.hint.startswith("filter 2: ")
    got = event_error(write_manifest, "- queue: orders", "  filter: [" + "{a: [1]}, " * 6 + "]")
    assert got == where(FIRST + 1, "filter") + (
        "The number of filters (6) exceeds the limit of 5 filters per event source mapping."
    )
    (queue,) = sources(write_manifest, "- queue: orders", "  filter: [" + "{a: [1]}, " * 5 + "]")
    assert queue.settings.filters == ('{"a":[1]}',) * 5
    too_long = "{a: [" + ", ".join(["x" * 10] * 400) + "]}"
    got = event_error(write_manifest, "- queue: orders", f"  filter: {too_long}")
    assert got.startswith(where(FIRST + 1, "filter") + "1 validation error detected: Value '{")
    assert got.endswith(
        "at 'filterCriteria.filters.1.member.pattern' failed to satisfy constraint: Member "
        "must have length less than or equal to 4096"
    )


# -- sources made through the Lambda API -------------------------------------------------------


def _api_error(kind: str, given: dict, **options: object) -> tuple[str, str]:
    from lambdactl.errors import AwsError

    with pytest.raises(AwsError) as caught:
        specs.api_settings(kind, given, **options)  # type: ignore[arg-type]
    return caught.value.aws_type, caught.value.message


def test_api_settings_defaults_and_members() -> None:
    assert specs.api_settings("queue", {}) == QueueSettings()
    queue = specs.api_settings(
        "queue",
        {
            "BatchSize": 100,
            "MaximumBatchingWindowInSeconds": 2,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 5},
            "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"a": [1]}}'}]},
        },
    )
    assert queue == QueueSettings(100, 2, True, 5, ('{"body": {"a": [1]}}',))
    stream = specs.api_settings(
        "stream",
        {
            "StartingPosition": "AT_TIMESTAMP",
            "StartingPositionTimestamp": 1700000000,
            "ParallelizationFactor": 3,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 0,
            "MaximumRecordAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": "arn:failed"}},
        },
        on_failure=lambda arn: arn.removeprefix("arn:"),
    )
    assert stream == StreamSettings(
        "AT_TIMESTAMP",
        1700000000.0,
        parallelization_factor=3,
        bisect_on_error=True,
        maximum_retry_attempts=0,
        maximum_record_age=60,
        on_failure="failed",
    )
    changed = specs.api_settings("stream", {"BatchSize": 7}, base=stream)
    assert changed == StreamSettings(**{**stream.__dict__, "batch_size": 7})


def test_api_settings_refused_with_aws_messages() -> None:
    invalid, validation = "InvalidParameterValueException", "ValidationException"
    assert _api_error("queue", {"BatchSize": 10001}) == (
        validation,
        "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy "
        "constraint: Member must have value less than or equal to 10000",
    )
    assert _api_error("queue", {"BatchSize": 11}) == (invalid, specs.BATCH_WINDOW_MESSAGE)
    assert _api_error("queue", {"MaximumBatchingWindowInSeconds": 1}, fifo=True) == (
        invalid,
        specs.FIFO_WINDOW_MESSAGE,
    )
    assert _api_error("queue", {"StartingPosition": "LATEST"}) == (
        invalid,
        "Unsupported StartingPosition parameter for given event source mapping type.",
    )
    assert _api_error("stream", {"ScalingConfig": {"MaximumConcurrency": 2}})[1] == (
        "Unsupported ScalingConfig parameter for given event source mapping type."
    )
    assert _api_error("stream", {}) == (invalid, specs.STARTING_POSITION_NULL)
    assert _api_error("stream", {"StartingPosition": "NOW"}) == (
        validation,
        "1 validation error detected: Value 'NOW' at 'startingPosition' failed to satisfy "
        "constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]",
    )
    assert _api_error("queue", {"FunctionResponseTypes": ["Other"]})[0] == validation
    assert _api_error("queue", {"ScalingConfig": {"MaximumConcurrency": 1}}) == (
        validation,
        "1 validation error detected: Value '1' at 'scalingConfig.maximumConcurrency' failed "
        "to satisfy constraint: Member must have value greater than or equal to 2",
    )
    assert _api_error("queue", {"FilterCriteria": {"Filters": [{"Pattern": "{"}]}}) == (
        invalid,
        "Invalid filter pattern definition.",
    )
    on_success = {"OnSuccess": {"Destination": "arn:x"}}
    assert _api_error(
        "stream", {"StartingPosition": "LATEST", "DestinationConfig": on_success}
    ) == (invalid, "Unsupported DestinationConfig parameter for given event source mapping type.")


def test_a_source_record_reads_back_the_same() -> None:
    queue = QueueSource(
        uuid=str(uuid.uuid4()),
        function="hello:live",
        queue="orders",
        settings=QueueSettings(filters=('{"a": [1]}',), maximum_concurrency=3),
        enabled=False,
    )
    stream = StreamSource(
        uuid=str(uuid.uuid4()), function="hello", stream="clicks", settings=StreamSettings("LATEST")
    )
    for source in (queue, stream):
        data = json.loads(json.dumps(specs.source_record(source)))
        assert specs.source_from_record(data) == source
        assert not specs.is_declared(source.uuid)
    assert specs.is_declared(specs.source_uuid("hello", "queue", "orders", 0))
    assert not specs.is_declared("not a uuid")


# --------------------------------------------------------------------------------------------
# http: API Gateway routes


def test_a_route_with_every_key(write_manifest: WriteManifest) -> None:
    (route,) = sources(
        write_manifest,
        "- http:",
        "    path: /items/{proxy+}",
        "    method: any",
        "    payload: 1.0",
        "    api: shop",
        "    stage: Prod",
        "    binary_media_types: [image/png, '*/*']",
        "    enabled: false",
    )
    assert route == HttpSource(
        uuid=uuid_of("http", "ANY /items/{proxy+}"),
        function="hello",
        path="/items/{proxy+}",
        method="ANY",
        payload="1.0",
        api_type="REST",
        api="shop",
        stage="Prod",
        binary_media_types=("image/png", "*/*"),
        enabled=False,
    )
    assert specs.mapped((route,)) == () and specs.routes((route,)) == (route,)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["- http: {method: GET}"], f"{FIRST}: functions.hello.events[0].http: missing key 'path'"),
        (["- http: {path: users}"], "a route's path starts with '/': got 'users'"),
        (["- http: {path: /a//b}"], "'/a//b' has an empty segment"),
        (["- http: {path: /a/}"], "'/a/' has an empty segment"),
        (["- http: {path: '/a/{p+}/b'}"], "a greedy variable is the path's last segment"),
        (["- http: {path: '/a/x{id}'}"], "a variable is a whole segment"),
        (["- http: {path: '/{id}/{id}'}"], "names the variable 'id' twice"),
        (["- http: {path: /a, method: FETCH}"], "http.method: unknown method 'FETCH'"),
        (["- http: {path: /a, payload: '3.0'}"], "unknown payload format '3.0'"),
        (["- http: {path: /a, stage: 'a b'}"], "'a b' is not a stage name"),
        (["- http: {path: /a, payload: '1.0', stage: $default}"], "not a stage name"),
        (["- http: {path: /a, binary_media_types: [image/png]}"], "a REST API's"),
        (
            ["- http: {path: /a, payload: '1.0', api_type: http, binary_media_types: ['*/*']}"],
            "http.binary_media_types: binary_media_types is a REST API's",
        ),
        (["- http: {path: /a, api_type: soap}"], "http.api_type: unknown API type 'soap'"),
        (
            ["- http: {path: /a, api_type: rest, payload: '2.0'}"],
            f"{FIRST}: functions.hello.events[0].http.payload: a REST API takes payload "
            '"1.0" only, got "2.0"',
        ),
        (["- http: {path: /a, api_type: rest, stage: $default}"], "not a stage name"),
        (["- http: {path: /a, payload: '1.0', binary_media_types: [png]}"], "not a media type"),
        (["- http: {path: /a, verb: GET}"], "unknown key 'verb'"),
    ],
)
def test_a_route_refused(write_manifest: WriteManifest, lines: list[str], message: str) -> None:
    assert message in event_error(write_manifest, *lines)


def test_the_kind_of_api_given_or_inferred(write_manifest: WriteManifest) -> None:
    found = sources(
        write_manifest,
        "- http: {path: /rest, api_type: rest}",
        "- http: {path: /http1, api_type: HTTP, payload: '1.0', stage: $default}",
        "- http: {path: /http2, api_type: http}",
        "- http: {path: /implicit1, payload: 1.0}",
        "- http: {path: /implicit2}",
    )
    assert [(r.api_type, r.payload, r.api_kind) for r in found] == [
        ("REST", "1.0", "REST"),  # a REST API's payload is 1.0: the default
        ("HTTP", "1.0", "HTTP"),
        ("HTTP", "2.0", "HTTP"),
        ("REST", "1.0", "REST"),  # inferred from the payload, and said
        ("HTTP", "2.0", "HTTP"),
    ]
    assert found[1].stage == "$default"


def test_a_named_api_is_one_kind(write_manifest: WriteManifest) -> None:
    text = (
        "functions:\n"
        "  first:\n    handler: app.handler\n    code: src/hello\n    events:\n"
        "      - http: {path: /a, payload: '1.0', api: shop}\n"
        "  second:\n    handler: app.handler\n    code: src/hello\n    events:\n"
        "      - http: {path: /b, payload: '1.0', api: shop}\n"
        "      - http: {path: /c, payload: '1.0', api_type: http, api: shop}\n"
    )
    message = error(write_manifest, text)
    assert message.startswith(
        "functions.yaml:12: functions.second.events[1].http.api: API 'shop' is a REST API "
        "(functions.first.events[0]); this route is an HTTP API's"
    )
    fine = text.replace("api_type: http, api: shop", "api_type: http, api: web")
    assert load(write_manifest, fine).functions["second"].events[1].api == "web"


def test_a_wrong_api_type_is_located(write_manifest: WriteManifest) -> None:
    message = event_error(write_manifest, "- http: {path: /a, api_type: 2}")
    assert message.startswith(
        f"functions.yaml:{FIRST}: functions.hello.events[0].http.api_type: "
        "unknown API type '2': rest or http"
    )


def test_two_functions_with_one_route_is_an_error_naming_both(
    write_manifest: WriteManifest,
) -> None:
    text = (
        "functions:\n"
        "  first:\n    handler: app.handler\n    code: src/hello\n    events:\n"
        "      - http: {path: '/users/{id}', method: GET}\n"
        "  second:\n    handler: app.handler\n    code: src/hello\n    events:\n"
        "      - http: {path: /other}\n"
        "      - http: {path: '/users/{name}', method: get}\n"
    )
    message = error(write_manifest, text)
    assert "functions.yaml:12: functions.second.events[1].http.path" in message
    assert "of function second is also function first's (functions.first.events[0])" in message


def test_one_path_with_several_methods_and_any_is_fine(write_manifest: WriteManifest) -> None:
    found = sources(
        write_manifest,
        "- http: {path: /a, method: GET}",
        "- http: {path: /a, method: POST}",
        "- http: {path: /a}",
        "- http: {path: '/a/{id}'}",
    )
    assert [s.identity for s in found] == ["GET /a", "POST /a", "ANY /a", "ANY /a/{id}"]
