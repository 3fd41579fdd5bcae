"""Sample events from options (`lambdactl.shapes.samples`, behind `events generate`): each
type's event from its options, real digests, and one-line refusals."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from lambdactl.errors import UsageError
from lambdactl.shapes import logs, samples
from lambdactl.shapes.samples import SampleOptions

WHERE = {"region": "eu-west-1", "account": "123456789012"}


def generate(kind: str, **options: object) -> dict:  # type: ignore[type-arg]
    event = samples.generate(kind, SampleOptions(**options), **WHERE)  # type: ignore[arg-type]
    json.dumps(event)  # printable as it is
    return event  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", samples.TYPES)
def test_every_type_has_an_event_with_the_project_region_or_account(kind: str) -> None:
    text = json.dumps(generate(kind))
    if kind == "cloudwatch-logs":
        text = json.dumps(logs.subscription_decoded(json.loads(text)))
    assert "eu-west-1" in text or "123456789012" in text


def test_s3_put_from_a_real_file(tmp_path: Path) -> None:
    file = tmp_path / "report 1.csv"
    file.write_bytes(b"a,b\n1,2\n")
    record = generate("s3-put", bucket="data", file=str(file))["Records"][0]
    obj = record["s3"]["object"]
    assert obj == {**obj, "key": "report+1.csv", "size": 8}
    assert obj["eTag"] == hashlib.md5(b"a,b\n1,2\n").hexdigest()
    assert record["s3"]["bucket"]["name"] == "data"
    assert record["awsRegion"] == "eu-west-1"


def test_s3_put_sizes_and_bodies() -> None:
    sized = generate("s3-put", size=3)["Records"][0]["s3"]["object"]
    assert (sized["size"], sized["eTag"]) == (3, hashlib.md5(bytes(3)).hexdigest())
    default = generate("s3-put")["Records"][0]["s3"]["object"]
    assert default["eTag"] == hashlib.md5(bytes(samples.DEFAULT_SIZE)).hexdigest()
    body = generate("s3-put", body=("hey",))["Records"][0]["s3"]["object"]
    assert (body["size"], body["eTag"]) == (3, hashlib.md5(b"hey").hexdigest())


def test_sqs_records_one_per_body_with_attributes() -> None:
    event = generate("sqs", body=("a", "b"), queue="jobs", attribute=("k=v=w",))
    first, second = event["Records"]
    assert (first["body"], second["body"]) == ("a", "b")
    assert first["md5OfBody"] == hashlib.md5(b"a").hexdigest()
    assert first["messageId"] != second["messageId"]
    assert first["eventSourceARN"] == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    assert first["messageAttributes"]["k"]["stringValue"] == "v=w"


def test_a_fifo_queue_record_has_increasing_sequence_numbers() -> None:
    records = generate("sqs", body=("a", "b"), queue="q.fifo", group_id="g")["Records"]
    numbers = [r["attributes"]["SequenceNumber"] for r in records]
    assert int(numbers[0]) < int(numbers[1])
    assert records[0]["attributes"]["MessageGroupId"] == "g"


def test_kinesis_records_in_order() -> None:
    records = generate("kinesis", data=("x", "y"), partition_key="p", stream="s")["Records"]
    assert [base64.b64decode(r["kinesis"]["data"]) for r in records] == [b"x", b"y"]
    numbers = [int(r["kinesis"]["sequenceNumber"]) for r in records]
    assert numbers[0] < numbers[1]
    assert records[0]["eventSourceARN"] == "arn:aws:kinesis:eu-west-1:123456789012:stream/s"


def test_dynamodb_from_plain_json() -> None:
    record = generate(
        "dynamodb", event_name="modify", keys='{"id": 7}', new_image='{"v": "n"}',
        old_image='{"v": "o"}', table="T",
    )["Records"][0]  # fmt: skip
    change = record["dynamodb"]
    assert record["eventName"] == "MODIFY"
    assert change["Keys"] == {"id": {"N": "7"}}
    assert change["NewImage"] == {"id": {"N": "7"}, "v": {"S": "n"}}
    assert change["OldImage"] == {"id": {"N": "7"}, "v": {"S": "o"}}
    assert ":table/T/stream/" in record["eventSourceARN"]
    removed = generate("dynamodb", event_name="REMOVE")["Records"][0]["dynamodb"]
    assert "NewImage" not in removed and "OldImage" in removed


def test_schedule_and_its_constant_input() -> None:
    event = generate("schedule", rule="nightly", time="2026-01-02T03:04:05Z")
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/nightly"]
    assert event["time"] == "2026-01-02T03:04:05Z"
    assert generate("schedule", input='{"job": 1}') == {"job": 1}


def test_http_events_from_method_path_headers_query_body() -> None:
    options = {
        "method": "put", "path": "/a/b", "header": ("X-Id=1",), "query": ("q=x y",),
        "body": ('{"n": 1}',),
    }  # fmt: skip
    rest = generate("apigw-rest", **options)
    assert (rest["httpMethod"], rest["path"], rest["body"]) == ("PUT", "/a/b", '{"n": 1}')
    assert rest["headers"]["Content-Type"] == "application/json"
    assert rest["queryStringParameters"] == {"q": "x y"}
    http = generate("apigw-http", **options)
    assert http["requestContext"]["http"]["method"] == "PUT"
    assert (http["rawQueryString"], http["headers"]["x-id"]) == ("q=x+y", "1")
    url = generate("function-url", function="fn", **options)
    assert url["requestContext"]["domainName"].endswith(".lambda-url.eu-west-1.on.aws")
    assert url["headers"]["x-forwarded-proto"] == "https"
    alb = generate("alb", multi_value=True, **options)
    assert alb["multiValueHeaders"]["x-id"] == ["1"]
    assert generate("apigw-rest", body=("plain",))["headers"]["Content-Type"] == "text/plain"


def test_cloudwatch_logs_one_event_per_message() -> None:
    event = generate("cloudwatch-logs", log_group="/g", message=("one", "two"))
    data = logs.subscription_decoded(event)
    assert data["logGroup"] == "/g" and data["owner"] == "123456789012"
    assert [e["message"] for e in data["logEvents"]] == ["one", "two"]


def test_time_takes_iso_8601_or_epoch_seconds() -> None:
    iso = generate("s3-put", time="2026-01-02T03:04:05.5")["Records"][0]["eventTime"]
    epoch = generate("s3-put", time="1767323045.5")["Records"][0]["eventTime"]
    assert iso == epoch == "2026-01-02T03:04:05.500Z"


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("nope", {}, "unknown event type 'nope': one of s3-put, s3-delete, sqs, sns, "),
        ("sqs", {"bucket": "b"}, "--bucket does not apply to sqs events (they take --time, "),
        ("s3-delete", {"size": 1}, "--size does not apply to s3-delete events"),
        ("sns", {"message": ("a", "b")}, "--message is given once for sns events"),
        ("sqs", {"attribute": ("novalue",)}, "--attribute takes NAME=VALUE, got 'novalue'"),
        ("dynamodb", {"keys": "[1]"}, "--keys takes a JSON object, got '[1]'"),
        ("dynamodb", {"new_image": "{"}, "--new-image is not valid JSON: "),
        ("dynamodb", {"event_name": "UPSERT"}, "--event-name is one of INSERT, MODIFY, REMOVE"),
        ("s3-put", {"size": 1, "body": ("x",)}, "give one of --size, --file, --body for s3-put"),
        ("s3-put", {"file": "/no/such/file"}, "cannot read --file /no/such/file: "),
        ("sqs", {"group_id": "g"}, "--group-id is for FIFO queues"),
        ("sqs", {"time": "yesterday"}, "--time takes an ISO 8601 time or epoch seconds"),
    ],
)
def test_refusals_are_one_line(kind: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        generate(kind, **options)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
