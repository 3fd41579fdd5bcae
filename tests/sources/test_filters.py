"""Event filtering as AWS Lambda documents it: operators, per-source data fields, validation.

Most patterns and records are the examples of AWS's pages (invocation-eventfiltering,
with-sqs-filtering, with-kinesis-filtering); the invalid patterns AWS was recorded refusing
(LocalStack's snapshots against AWS) come first among the invalid forms.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from lambdactl.errors import InvalidParameterValueException, ValidationException
from lambdactl.sources import filters
from lambdactl.sources.filters import (
    INVALID_PATTERN,
    FilterPatternTooLong,
    InvalidFilterPattern,
    TooManyFilters,
    compile,
    criteria,
    matches,
)


def sqs(body: str, **fields: Any) -> dict[str, Any]:
    return {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-west-2:123456789012:my-queue",
        "awsRegion": "us-west-2",
        **fields,
    }


def kinesis(data: bytes | str, partition_key: str = "1") -> dict[str, Any]:
    raw = data if isinstance(data, str) else base64.b64encode(data).decode()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "data": raw,
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-east-2",
        "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
    }


def dynamodb(event_name: str = "INSERT", **images: Any) -> dict[str, Any]:
    return {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"Id": {"N": "101"}},
            **images,
            "SequenceNumber": "111",
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": (
            "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2015-05-11T21:21:33.291"
        ),
    }


def body_matches(pattern: dict[str, Any] | str, body: Any) -> bool:
    """`pattern` on the fields of an SQS body holding `body` as JSON."""
    rule = pattern if isinstance(pattern, str) else json.dumps({"body": pattern})
    return matches(criteria(rule, "sqs"), sqs(json.dumps(body)), "sqs")


# Every operator of the filter rule table, matching and not.

OPERATORS = [
    # (name, pattern on the body, body that matches, body that does not)
    ("null", {"UserID": [None]}, {"UserID": None}, {"UserID": "u1"}),
    ("null is not missing", {"UserID": [None]}, {"UserID": None}, {}),
    ("empty", {"LastName": [""]}, {"LastName": ""}, {"LastName": "Doe"}),
    ("empty is not null", {"LastName": [""]}, {"LastName": ""}, {"LastName": None}),
    ("equals", {"Name": ["Alice"]}, {"Name": "Alice"}, {"Name": "alice"}),
    (
        "equals ignore case",
        {"Name": [{"equals-ignore-case": "alice"}]},
        {"Name": "ALICE"},
        {"Name": "Alicia"},
    ),
    (
        "and",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        {"Location": "New York", "Day": "Tuesday"},
    ),
    ("or", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, {"PaymentType": "Cash"}),
    (
        "or of fields ($or)",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Boston", "Day": "Monday"},
        {"Location": "Boston", "Day": "Sunday"},
    ),
    (
        "not",
        {"Weather": [{"anything-but": ["Raining"]}]},
        {"Weather": "Sunny"},
        {"Weather": "Raining"},
    ),
    (
        "not, one value",
        {"state": [{"anything-but": "initializing"}]},
        {"state": "ready"},
        {"state": "initializing"},
    ),
    ("not is not missing", {"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"}, {}),
    ("not a number", {"Price": [{"anything-but": [100, 200]}]}, {"Price": 150}, {"Price": 100.0}),
    ("numeric equals", {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100.0}, {"Price": 101}),
    ("numeric range", {"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 20}, {"Price": 10}),
    (
        "numeric is not a string",
        {"Price": [{"numeric": [">", 10]}]},
        {"Price": 11},
        {"Price": "11"},
    ),
    ("numeric is not true", {"Price": [{"numeric": [">=", 1]}]}, {"Price": 1}, {"Price": True}),
    ("exists", {"ProductName": [{"exists": True}]}, {"ProductName": "x"}, {"Other": "x"}),
    ("exists, null", {"ProductName": [{"exists": True}]}, {"ProductName": None}, {}),
    ("does not exist", {"ProductName": [{"exists": False}]}, {"Other": "x"}, {"ProductName": ""}),
    (
        "begins with",
        {"Region": [{"prefix": "us-"}]},
        {"Region": "us-east-1"},
        {"Region": "eu-west-1"},
    ),
    (
        "begins with, ignore case",
        {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]},
        {"service": "EventBridge"},
        {"service": "Lambda"},
    ),
    ("ends with", {"FileName": [{"suffix": ".png"}]}, {"FileName": "a.png"}, {"FileName": "a.PNG"}),
    (
        "ends with, ignore case",
        {"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]},
        {"service": "EVENTBRIDGE"},
        {"service": "bridges"},
    ),
    ("prefix is for strings", {"n": [{"prefix": "1"}]}, {"n": "12"}, {"n": 12}),
    ("true", {"active": [True]}, {"active": True}, {"active": "true"}),
    ("a number by its text", {"n": [300]}, {"n": 300}, {"n": 300.0}),
    ("a number by its text, 3.0e2", {"n": [300]}, {"n": 300}, {"n": 3.0e2}),
    ("value or missing", {"n": ["a", {"exists": False}]}, {}, {"n": "b"}),
    (
        "nested",
        {"order": {"type": ["buy"]}},
        {"order": {"type": "buy"}},
        {"order": {"type": "sell"}},
    ),
    (
        "nested field missing",
        {"order": {"type": ["buy"]}},
        {"order": {"type": "buy"}},
        {"order": {}},
    ),
    ("array: any element", {"tags": ["red"]}, {"tags": ["blue", "red"]}, {"tags": ["blue"]}),
    ("array: numeric", {"n": [{"numeric": ["<", 0]}]}, {"n": [3, -1]}, {"n": [3, 1]}),
    ("array: anything-but", {"s": [{"anything-but": ["a"]}]}, {"s": ["a", "b"]}, {"s": ["a"]}),
    ("array: empty does not exist", {"s": [{"exists": False}]}, {"s": []}, {"s": ["a"]}),
    (
        "array of objects: one element holds all fields",
        {"items": {"sku": ["A"], "qty": [2]}},
        {"items": [{"sku": "B", "qty": 2}, {"sku": "A", "qty": 2}]},
        {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]},
    ),
    ("an object is not a value", {"c": [{"exists": True}]}, {"c": "x"}, {"c": {"c1": 100}}),
    ("nor is it missing", {"c": [{"exists": False}]}, {"c": {"c1": 100}}, {"c": 1}),
    (
        "nested $or",
        {"order": {"$or": [{"type": ["buy"]}, {"qty": [{"numeric": [">", 9]}]}]}},
        {"order": {"type": "sell", "qty": 10}},
        {"order": {"type": "sell", "qty": 9}},
    ),
]


@pytest.mark.parametrize(
    "pattern, hit, miss", [case[1:] for case in OPERATORS], ids=[case[0] for case in OPERATORS]
)
def test_each_operator_matches_and_refuses(pattern: dict[str, Any], hit: Any, miss: Any) -> None:
    assert body_matches(pattern, hit)
    assert not body_matches(pattern, miss)


def test_numbers_keep_their_text_as_written_in_the_body() -> None:
    pattern = json.dumps({"body": {"n": [300]}})
    assert matches(criteria(pattern, "sqs"), sqs('{"n": 300}'), "sqs")
    for other in ('{"n": 300.0}', '{"n": 3.0e2}', '{"n": "300"}'):
        assert not matches(criteria(pattern, "sqs"), sqs(other), "sqs")
    numeric = json.dumps({"body": {"n": [{"numeric": ["=", 300]}]}})
    assert all(
        matches(criteria(numeric, "sqs"), sqs(body), "sqs")
        for body in ('{"n": 300}', '{"n": 300.0}', '{"n": 3.0e2}')
    )


# SQS: the body, JSON or not.


def test_sqs_documented_examples() -> None:
    body = (
        '{\n "RecordNumber": 1234,\n "TimeStamp": "yyyy-mm-ddThh:mm:ss",\n "RequestCode": "AAAA"\n}'
    )
    code = criteria('{ "body" : { "RequestCode" : [ "BBBB" ] } }', "sqs")
    assert not matches(code, sqs(body), "sqs")
    assert matches(code, sqs(body.replace("AAAA", "BBBB")), "sqs")
    number = criteria('{ "body" : { "RecordNumber" : [ { "numeric": [ ">", 9999 ] } ] } }', "sqs")
    assert not matches(number, sqs(body), "sqs")
    assert matches(number, sqs(body.replace("1234", "12345")), "sqs")


@pytest.mark.parametrize(
    "body, pattern, expected",
    [
        # AWS's table: body format x pattern format -> filtered, or dropped.
        ("plain text", {"body": ["plain text"]}, True),
        ("plain text", {"body": ["other text"]}, False),
        ("plain text", {"eventSource": ["aws:sqs"]}, True),
        ("plain text", {"body": {"text": ["plain text"]}}, False),
        ('{"text": "x"}', {"body": ['{"text": "x"}']}, False),
        ('{"text": "x"}', {"body": [{"prefix": "{"}]}, False),
        ('{"text": "x"}', {"eventSource": ["aws:sqs"]}, True),
        ('{"text": "x"}', {"body": {"text": ["x"]}}, True),
        # plain-text rules beyond equality
        ("Result: ok", {"body": [{"prefix": "Result: "}]}, True),
        ("Result: ok", {"body": [{"suffix": "ok"}]}, True),
        ("Result: ok", {"body": [{"anything-but": "Result: ok"}]}, False),
        ("", {"body": [""]}, True),
        ("NaN", {"body": ["NaN"]}, True),  # not JSON, so plain text
        ("42", {"body": {"n": [42]}}, False),  # JSON, but not an object with n
    ],
)
def test_sqs_body_format_must_be_the_patterns(body: str, pattern: dict, expected: bool) -> None:
    assert matches(criteria(pattern, "sqs"), sqs(body), "sqs") is expected


def test_sqs_metadata_attributes_and_message_attributes() -> None:
    record = sqs(
        "hello",
        messageAttributes={
            "Author": {
                "stringValue": "John Grisham",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
    )
    by_author = {"messageAttributes": {"Author": {"stringValue": [{"prefix": "John"}]}}}
    assert matches(criteria(by_author, "sqs"), record, "sqs")
    by_count = {"attributes": {"ApproximateReceiveCount": ["2"]}}
    assert not matches(criteria(by_count, "sqs"), record, "sqs")
    assert matches(criteria({"awsRegion": ["us-west-2"]}, "sqs"), record, "sqs")


def test_manifest_filter_on_a_queue_source() -> None:
    # functions.yaml: filter: {body: {type: [order]}}
    rule = criteria({"body": {"type": ["order"]}}, "sqs")
    assert matches(rule, sqs('{"type": "order", "id": 7}'), "sqs")
    assert not matches(rule, sqs('{"type": "refund"}'), "sqs")
    assert not matches(rule, sqs("order"), "sqs")


# Kinesis: data, base64-decoded.


def test_kinesis_documented_examples() -> None:
    la = kinesis(json.dumps({"Location": "Los Angeles"}).encode())
    both = criteria(
        '{ "partitionKey": [ "1" ], "data": { "Location": [ "Los Angeles" ] }}', "kinesis"
    )
    assert matches(both, la, "kinesis")
    assert not matches(both, kinesis(b'{"Location": "Los Angeles"}', partition_key="2"), "kinesis")
    assert not matches(both, kinesis(b'{"Location": "Seattle"}'), "kinesis")

    temperature = criteria(
        '{ "data": { "Temperature": [ {"numeric": [ ">", 50, "<=", 60 ] } ]}}', "kinesis"
    )
    assert matches(temperature, kinesis(b'{"Temperature": 55}'), "kinesis")
    assert not matches(temperature, kinesis(b'{"Temperature": 61}'), "kinesis")
    assert not matches(temperature, kinesis(b'{"Temperature": "55"}'), "kinesis")

    buy = criteria('{ "data" : { "order" : { "type" : [ "buy" ] } } }', "kinesis")
    order = {"record": 12345, "order": {"type": "buy", "stock": "ANYCO", "quantity": 1000}}
    assert matches(buy, kinesis(json.dumps(order).encode()), "kinesis")
    order["order"]["type"] = "sell"
    assert not matches(buy, kinesis(json.dumps(order).encode()), "kinesis")


def test_kinesis_record_fields_beside_the_kinesis_object() -> None:
    record = kinesis(b'{"a": 1}')
    assert matches(criteria({"eventName": ["aws:kinesis:record"]}, "kinesis"), record, "kinesis")
    arrival = {"approximateArrivalTimestamp": [{"numeric": [">", 1545084650]}]}
    assert matches(criteria(arrival, "kinesis"), record, "kinesis")


@pytest.mark.parametrize(
    "data",
    [b"ERROR disk full", b"\xff\xfe not utf-8", "not base64 at all!"],
    ids=["text", "not-utf8", "not-base64"],
)
def test_kinesis_data_that_is_not_json_matches_only_patterns_without_data(data: Any) -> None:
    record = kinesis(data)
    assert not matches(criteria({"data": {"level": ["ERROR"]}}, "kinesis"), record, "kinesis")
    assert matches(criteria({"partitionKey": ["1"]}, "kinesis"), record, "kinesis")


def test_kinesis_plain_data_rules_match_when_compiled_without_the_source_check() -> None:
    rule = compile({"data": [{"prefix": "ERROR"}]})
    assert matches([rule], kinesis(b"ERROR disk full"), "kinesis")
    assert not matches([rule], kinesis(b'{"level": "ERROR"}'), "kinesis")


# DynamoDB: typed attribute values.


def test_dynamodb_documented_multi_level_example() -> None:
    rule = criteria('{ "dynamodb": { "Keys": { "Id": { "N": [ "101" ] } } } }', "dynamodb")
    record = dynamodb(NewImage={"Message": {"S": "New item!"}, "Id": {"N": "101"}})
    assert matches(rule, record, "dynamodb")
    record["dynamodb"]["Keys"]["Id"]["N"] = "102"
    assert not matches(rule, record, "dynamodb")


def test_dynamodb_event_name_and_typed_values() -> None:
    # aws-cdk's FilterCriteria example
    rule = criteria(
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"id": {"BOOL": [True]}}}}, "dynamodb"
    )
    assert matches(rule, dynamodb("INSERT", NewImage={"id": {"BOOL": True}}), "dynamodb")
    assert not matches(rule, dynamodb("MODIFY", NewImage={"id": {"BOOL": True}}), "dynamodb")
    assert not matches(rule, dynamodb("INSERT", NewImage={"id": {"BOOL": False}}), "dynamodb")
    assert not matches(rule, dynamodb("REMOVE"), "dynamodb")  # no NewImage


def test_dynamodb_numbers_are_strings() -> None:
    image = {"NewImage": {"Qty": {"N": "12"}}}
    text = criteria({"dynamodb": {"NewImage": {"Qty": {"N": ["12"]}}}}, "dynamodb")
    assert matches(text, dynamodb(**image), "dynamodb")
    numeric = criteria(
        {"dynamodb": {"NewImage": {"Qty": {"N": [{"numeric": [">", 10]}]}}}}, "dynamodb"
    )
    assert not matches(numeric, dynamodb(**image), "dynamodb")
    size = criteria({"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}}, "dynamodb")
    assert matches(size, dynamodb(**image), "dynamodb")


# Several filters: OR.


def test_several_filters_are_or_ed() -> None:
    rules = criteria(
        [{"body": {"type": ["order"]}}, '{"body": {"amount": [{"numeric": [">", 100]}]}}'], "sqs"
    )
    assert len(rules) == 2
    assert matches(rules, sqs('{"type": "order"}'), "sqs")
    assert matches(rules, sqs('{"type": "refund", "amount": 150}'), "sqs")
    assert not matches(rules, sqs('{"type": "refund", "amount": 50}'), "sqs")


def test_no_filters_pass_everything() -> None:
    assert criteria(None, "sqs") == () and criteria([], "kinesis") == ()
    assert matches((), sqs("anything"), "sqs")
    assert matches(criteria(None, "dynamodb"), dynamodb(), "dynamodb")


def test_a_pattern_keeps_its_text_and_a_mapping_its_json() -> None:
    text = '{ "body" : { "RequestCode" : [ "BBBB" ] } }'
    assert compile(text).pattern == text
    assert compile({"body": {"RequestCode": ["BBBB"]}}).pattern == (
        '{"body":{"RequestCode":["BBBB"]}}'
    )
    assert compile({"body": {"RequestCode": ["BBBB"]}}).root == compile(text).root


def test_ten_filters_with_a_raised_quota() -> None:
    many = [{"body": {"n": [i]}} for i in range(10)]
    assert len(criteria(many, "sqs", limit=10)) == 10


# Invalid patterns: AWS's type and message, and a detail naming the field.

INVALID = [
    # Recorded from AWS (LocalStack snapshot test_sqs_invalid_event_filter).
    ("null", "null", "the pattern must be a JSON object, not null"),
    ("simple string", "simple string", "the pattern is not JSON"),
    ("value not in a list", {"eventSource": "aws:sqs"}, "eventSource: must be a list of rules"),
    ("empty list", {"eventSource": []}, "eventSource: an empty list matches nothing"),
    # The rest of the syntax.
    ("a list, not an object", '[{"a": ["x"]}]', "must be a JSON object, not a list"),
    ("empty pattern", "{}", "an empty object matches nothing"),
    ("empty nested object", {"body": {}}, "body: an empty object matches nothing"),
    ("broken JSON", '{"a": ["x"]', "the pattern is not JSON"),
    ("NaN", '{"a": [NaN]}', "the pattern is not JSON"),
    ("number, not list", {"body": {"n": 5}}, "body.n: must be a list of rules or an object"),
    ("list in a list", {"a": [["x"]]}, "a: a rule is a string, number"),
    ("two operators in one", {"a": [{"prefix": "x", "suffix": "y"}]}, "exactly one key"),
    ("empty operator", {"a": [{}]}, "exactly one key (here: none)"),
    ("unknown operator", {"a": [{"contains": "x"}]}, 'unknown operator "contains"'),
    ("wildcard", {"a": [{"wildcard": "*.png"}]}, 'does not support "wildcard"'),
    ("cidr", {"ip": [{"cidr": "10.0.0.0/24"}]}, 'does not support "cidr"'),
    ("prefix, number", {"a": [{"prefix": 1}]}, '"prefix" takes a string'),
    ("prefix, list", {"a": [{"prefix": ["x"]}]}, '"prefix" takes a string'),
    ("suffix, other option", {"a": [{"suffix": {"wildcard": "x"}}]}, '"suffix" takes a string'),
    ("equals-ignore-case, number", {"a": [{"equals-ignore-case": 1}]}, "takes a string"),
    (
        "anything-but prefix",
        {"a": [{"anything-but": {"prefix": "us-"}}]},
        '"anything-but" with "prefix"',
    ),
    (
        "anything-but suffix",
        {"a": [{"anything-but": {"suffix": ".png"}}]},
        '"anything-but" with "suffix"',
    ),
    ("anything-but, empty", {"a": [{"anything-but": []}]}, "at least one value"),
    ("anything-but, null", {"a": [{"anything-but": [None]}]}, "strings or numbers, not null"),
    ("anything-but, true", {"a": [{"anything-but": True}]}, "strings or numbers, not true/false"),
    ("exists, not boolean", {"a": [{"exists": "yes"}]}, '"exists" takes true or false'),
    ("numeric, not a list", {"a": [{"numeric": ">"}]}, '"numeric" takes [op, n]'),
    ("numeric, three terms", {"a": [{"numeric": [">", 1, "<"]}]}, '"numeric" takes [op, n]'),
    ("numeric, unknown operator", {"a": [{"numeric": ["!=", 1]}]}, 'unknown operator "!="'),
    ("numeric, string bound", {"a": [{"numeric": [">", "1"]}]}, "> needs a number"),
    ("numeric, boolean bound", {"a": [{"numeric": ["=", True]}]}, "= needs a number"),
    ("numeric, range order", {"a": [{"numeric": ["<", 1, ">", 0]}]}, "a range is"),
    ("numeric, range equal", {"a": [{"numeric": ["=", 1, "<", 5]}]}, "a range is"),
    ("numeric, bounds swapped", {"a": [{"numeric": [">", 5, "<", 1]}]}, "low end 5 is not below 1"),
    ("$or of one", {"$or": [{"a": ["x"]}]}, "$or needs at least two"),
    ("$or alternative empty", {"$or": [{"a": ["x"]}, {}]}, "$or[1]: an empty object"),
    ("$or alternative bad", {"$or": [{"a": ["x"]}, {"b": "y"}]}, "$or[1].b: must be a list"),
]


@pytest.mark.parametrize(
    "pattern, detail", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_patterns_are_refused_as_aws_does(pattern: Any, detail: str) -> None:
    with pytest.raises(InvalidFilterPattern) as caught:
        compile(pattern)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, InvalidParameterValueException)
    assert error.message == INVALID_PATTERN == "Invalid filter pattern definition."
    assert str(error) == "InvalidParameterValueException: Invalid filter pattern definition."
    assert error.http_status == 400
    assert detail in error.detail and error.hint == error.detail


@pytest.mark.parametrize("kind, key", [("kinesis", "data"), ("dynamodb", "dynamodb")])
def test_stream_data_patterns_must_be_objects(kind: Any, key: str) -> None:
    plain = {key: [{"prefix": "ERROR"}]}
    with pytest.raises(InvalidFilterPattern, match="Invalid filter pattern definition") as caught:
        criteria(plain, kind)
    assert caught.value.detail.startswith(f"filter 1: {key}: a {kind} pattern for '{key}'")
    in_or = {"$or": [{"eventName": ["x"]}, plain]}
    with pytest.raises(InvalidFilterPattern):
        criteria(in_or, kind)
    assert criteria(plain, "sqs") and compile(plain)  # SQS (and no kind given) take it


def test_the_detail_names_the_filter_among_several() -> None:
    with pytest.raises(InvalidFilterPattern) as caught:
        criteria([{"body": {"a": ["x"]}}, {"body": {"a": "x"}}], "sqs")
    assert caught.value.detail.startswith("filter 2: body.a: must be a list of rules")
    with pytest.raises(InvalidFilterPattern, match="Invalid filter pattern") as caught:
        criteria([{"a": ["x"]}, 7], "sqs")  # type: ignore[list-item]
    assert caught.value.detail == "filter 2: a pattern is a JSON object, not the number 7"


def test_a_pattern_that_is_not_json_from_the_manifest() -> None:
    import datetime

    with pytest.raises(InvalidFilterPattern, match="Invalid filter pattern") as caught:
        compile({"body": {"day": [datetime.date(2024, 1, 1)]}})
    assert "the pattern is not JSON" in caught.value.detail


def test_pattern_length_limit_is_the_api_models() -> None:
    at_limit = '{"a": ["' + "x" * (filters.MAX_PATTERN_LENGTH - 11) + '"]}'
    assert len(at_limit) == filters.MAX_PATTERN_LENGTH
    compile(at_limit)
    over = at_limit.replace('"]}', 'x"]}')
    with pytest.raises(FilterPatternTooLong) as caught:
        criteria(['{"a": ["x"]}', over], "sqs")
    error = caught.value
    assert isinstance(error, ValidationException) and isinstance(error, ValueError)
    assert error.message == (
        f"1 validation error detected: Value '{over}' at 'filterCriteria.filters.2.member.pattern' "
        "failed to satisfy constraint: Member must have length less than or equal to 4096"
    )
    assert error.hint == "filter 2 is 4097 characters long; the limit is 4096"


def test_more_filters_than_the_quota() -> None:
    five = [{"body": {"n": [i]}} for i in range(5)]
    assert len(criteria(five, "sqs")) == 5
    with pytest.raises(TooManyFilters) as caught:
        criteria([*five, {"body": {"n": [5]}}], "sqs")
    assert isinstance(caught.value, InvalidParameterValueException)
    assert isinstance(caught.value, ValueError)
    assert "exceeds the limit of 5" in caught.value.message
    with pytest.raises(TooManyFilters, match="limit of 10"):
        criteria([{"n": [i]} for i in range(11)], "sqs", limit=10)


def test_unknown_source_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown source kind 'sns'"):
        matches(criteria({"a": ["x"]}, "sqs"), {}, "sns")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown source kind 'sns'"):
        criteria({"a": ["x"]}, "sns")  # type: ignore[arg-type]
