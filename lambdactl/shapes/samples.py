"""Sample events, as `sam local generate-event` makes them: one event of a named source type
with values from options and the project's region and account (`lambdactl events generate`).

Every value is real where the event carries a derived one: MD5s of the bodies, an S3 eTag
from the content, increasing sequence numbers, random UUIDs, the time now (or `time`). What
cannot be real locally is shaped like AWS's (an SNS signature, receipt handles).

An option a type does not take is refused, naming the options it does take; an option not
given takes the sample value shown in `DEFAULTS`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .. import ids, timestamps
from ..errors import UsageError

HTTP_OPTIONS = ("method", "path", "body", "header", "query")
TYPE_OPTIONS: dict[str, tuple[str, ...]] = {
    "s3-put": ("bucket", "key", "size", "file", "body"),
    "s3-delete": ("bucket", "key"),
    "sqs": ("body", "queue", "attribute", "group_id"),
    "sns": ("message", "subject", "topic", "attribute"),
    "kinesis": ("data", "partition_key", "stream"),
    "dynamodb": ("table", "event_name", "keys", "new_image", "old_image"),
    "schedule": ("rule", "input"),
    "apigw-rest": HTTP_OPTIONS,
    "apigw-http": HTTP_OPTIONS,
    "function-url": (*HTTP_OPTIONS, "function"),
    "alb": (*HTTP_OPTIONS, "multi_value"),
    "cloudwatch-logs": ("log_group", "log_stream", "message"),
}
"""Each type and the options it takes (besides `time`, which every type takes)."""

TYPES = tuple(TYPE_OPTIONS)

REPEATABLE = {"body": ("sqs",), "data": ("kinesis",), "message": ("cloudwatch-logs",)}
"""Options that give one record each, for these types (once for any other type)."""

PAIRS = ("attribute", "header", "query")
"""`NAME=VALUE` options: repeatable for every type that takes them."""

DEFAULT_SIZE = 1024
"""An S3 object's size when neither --size, --file nor --body says: that many zero bytes."""


@dataclass(frozen=True)
class SampleOptions:
    """The options given; None (or empty) is not given. `attribute`, `header`, `query` are
    `NAME=VALUE` texts; `keys`, `new_image`, `old_image`, `input` are JSON texts."""

    time: str | None = None
    bucket: str | None = None
    key: str | None = None
    size: int | None = None
    file: str | None = None
    body: tuple[str, ...] = ()
    queue: str | None = None
    attribute: tuple[str, ...] = ()
    group_id: str | None = None
    message: tuple[str, ...] = ()
    subject: str | None = None
    topic: str | None = None
    data: tuple[str, ...] = ()
    partition_key: str | None = None
    stream: str | None = None
    table: str | None = None
    event_name: str | None = None
    keys: str | None = None
    new_image: str | None = None
    old_image: str | None = None
    rule: str | None = None
    input: str | None = None
    method: str | None = None
    path: str | None = None
    header: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    function: str | None = None
    multi_value: bool = False
    log_group: str | None = None
    log_stream: str | None = None

    def given(self) -> list[str]:
        """The names of the options given, in declaration order."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, (), False)]


def flag(option: str) -> str:
    """An option's command-line flag: `partition_key` -> `--partition-key`."""
    return "--" + option.replace("_", "-")


def generate(kind: str, options: SampleOptions, *, region: str, account: str) -> Any:
    """The event of type `kind` (a JSON object, except a schedule's `--input`, which may be
    any JSON value). Raises UsageError for an unknown type, an option the type does not take,
    or a value that cannot be used (each said in one line)."""
    if kind not in TYPE_OPTIONS:
        raise UsageError(f"unknown event type '{kind}': one of {', '.join(TYPES)}")
    allowed = ("time", *TYPE_OPTIONS[kind])
    for name in options.given():
        if name not in allowed:
            takes = ", ".join(flag(n) for n in allowed)
            raise UsageError(f"{flag(name)} does not apply to {kind} events (they take {takes})")
        value = getattr(options, name)
        once = name not in PAIRS and kind not in REPEATABLE.get(name, ())
        if once and isinstance(value, tuple) and len(value) > 1:
            raise UsageError(f"{flag(name)} is given once for {kind} events")
    moment = _time(options.time)
    return _BUILDERS[kind](options, _Where(region, account, moment))


@dataclass(frozen=True)
class _Where:
    region: str
    account: str
    now: datetime


def _time(text: str | None) -> datetime:
    """--time: ISO 8601 (a time without zone is UTC) or epoch seconds; now when not given."""
    if text is None:
        return timestamps.utcnow()
    try:
        return datetime.fromtimestamp(float(text), timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--time takes an ISO 8601 time or epoch seconds, got '{text}'") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _pairs(option: str, texts: Sequence[str]) -> list[tuple[str, str]]:
    found = []
    for text in texts:
        name, equals, value = text.partition("=")
        if not equals or not name:
            raise UsageError(f"{flag(option)} takes NAME=VALUE, got '{text}'")
        found.append((name, value))
    return found


def _json(option: str, text: str, *, obj: bool = True) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{flag(option)} is not valid JSON: {exc}") from None
    if obj and not isinstance(value, dict):
        raise UsageError(f"{flag(option)} takes a JSON object, got {text[:40]!r}")
    return value


# --------------------------------------------------------------------------------------------
# One builder per type


def _s3_put(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import s3

    chosen = [o for o in ("size", "file", "body") if o in given.given()]
    if len(chosen) > 1:
        raise UsageError(f"give one of --size, --file, --body for s3-put, not {len(chosen)}")
    key = given.key or (Path(given.file).name if given.file else "example.txt")
    if given.file is not None:
        size, etag = _file_digest(given.file)
    elif given.body:
        content = given.body[0].encode()
        size, etag = len(content), s3.etag(content)
    else:
        size = DEFAULT_SIZE if given.size is None else given.size
        etag = _zeros_digest(size)
    record = s3.record(
        given.bucket or "my-bucket",
        key,
        region=where.region,
        account=where.account,
        size=size,
        etag=etag,
        time=where.now,
    )
    return s3.event([record])


def _file_digest(path: str) -> tuple[int, str]:
    """A file's size and MD5, read in blocks (an object may be large)."""
    digest = hashlib.md5()
    size = 0
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                size += len(block)
    except OSError as exc:
        raise UsageError(f"cannot read --file {path}: {exc.strerror}") from None
    return size, digest.hexdigest()


def _zeros_digest(size: int) -> str:
    """The MD5 of `size` zero bytes, without holding them all."""
    digest = hashlib.md5()
    block = bytes(min(size, 1 << 20))
    left = size
    while left > 0:
        digest.update(block[: min(left, len(block))])
        left -= len(block)
    return digest.hexdigest()


def _s3_delete(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import s3

    record = s3.record(
        given.bucket or "my-bucket",
        given.key or "example.txt",
        region=where.region,
        account=where.account,
        event_name=s3.REMOVED,
        time=where.now,
    )
    return s3.event([record])


def _sqs(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import sqs

    queue = given.queue or "my-queue"
    fifo = queue.endswith(".fifo")
    if given.group_id is not None and not fifo:
        raise UsageError(f"--group-id is for FIFO queues (a name ending .fifo), not '{queue}'")
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in _pairs("attribute", given.attribute)
    }
    sent = where.now.timestamp()
    records = [
        sqs.record(
            ids.uuid4(),
            body,
            queue_arn=sqs.queue_arn(where.region, where.account, queue),
            receipt_handle=sqs.receipt_handle(),
            sent=sent,
            sender=where.account,
            attributes=attributes,
            group_id=(given.group_id or "default") if fifo else None,
            sequence_number=f"{int(sent * 1_000_000) + i:020d}" if fifo else None,
        )
        for i, body in enumerate(given.body or ("Hello from SQS!",))
    ]
    return sqs.event(records)


def _sns(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import sns

    record = sns.record(
        given.message[0] if given.message else "Hello from SNS!",
        topic_arn=sns.topic_arn(where.region, where.account, given.topic or "my-topic"),
        subject=given.subject,
        attributes={k: sns.string_attribute(v) for k, v in _pairs("attribute", given.attribute)},
        time=where.now,
    )
    return sns.event(record)


def _kinesis(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import kinesis

    arn = kinesis.stream_arn(where.region, where.account, given.stream or "my-stream")
    records = [
        kinesis.record(
            data.encode(),
            partition_key=given.partition_key or "partition-1",
            sequence_number=kinesis.sequence_number(where.now, i),
            stream_arn=arn,
            arrival=where.now,
        )
        for i, data in enumerate(given.data or ("Hello from Kinesis!",))
    ]
    return kinesis.event(records)


def _dynamodb(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import dynamodb

    name = (given.event_name or "INSERT").upper()
    if name not in dynamodb.EVENT_NAMES:
        choices = ", ".join(dynamodb.EVENT_NAMES)
        raise UsageError(f"--event-name is one of {choices}, not '{given.event_name}'")
    keys = _json("keys", given.keys) if given.keys is not None else {"id": "1"}
    new = _json("new_image", given.new_image) if given.new_image is not None else None
    old = _json("old_image", given.old_image) if given.old_image is not None else None
    if new is None and name != "REMOVE":
        new = {"message": "Hello from DynamoDB!"}
    if old is None and name != "INSERT":
        old = {"message": "Hello from DynamoDB (before)!"}
    table = given.table or "my-table"
    label = dynamodb.stream_label(where.now - timedelta(days=1))  # the stream is older
    record = dynamodb.record(
        name,
        dynamodb.item(keys),
        # an item's images carry its key attributes too
        new_image=dynamodb.item({**keys, **new}) if new is not None else None,
        old_image=dynamodb.item({**keys, **old}) if old is not None else None,
        stream_arn=dynamodb.stream_arn(where.region, where.account, table, label),
        sequence_number=dynamodb.sequence_number(where.now),
        created=where.now,
    )
    return dynamodb.event([record])


def _schedule(given: SampleOptions, where: _Where) -> Any:
    from ..sources import schedule

    value = _json("input", given.input, obj=False) if given.input is not None else None
    return schedule.scheduled_event(
        given.rule or "my-schedule",
        where.now,
        region=where.region,
        account=where.account,
        input=value,  # a target's constant input is sent in place of the event
    )


def _request(given: SampleOptions, where: _Where) -> Any:
    """The HTTP request the options describe (a body without a Content-Type header gets
    `application/json` when it is JSON, `text/plain` otherwise)."""
    from ..urls import HttpRequest

    headers = _pairs("header", given.header)
    body = given.body[0].encode() if given.body else b""
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", _media_type(given.body[0])))
    if not any(name.lower() == "user-agent" for name, _ in headers):
        headers.append(("User-Agent", "lambdactl"))
    path = given.path or "/"
    path, _, in_path = path.partition("?")
    query = "&".join(q for q in (in_path, urlencode(_pairs("query", given.query))) if q)
    return HttpRequest(
        method=(given.method or ("POST" if body else "GET")).upper(),
        raw_path=path if path.startswith("/") else "/" + path,
        raw_query=query,
        headers=tuple(headers),
        body=body,
        source_ip="198.51.100.1",
        time=where.now,
        port=443,
    )


def _media_type(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain"
    return "application/json"


def _https(event: dict[str, Any]) -> dict[str, Any]:
    """AWS's front ends are HTTPS (lambdactl's own server is not, so `urls.event` says http)."""
    event["headers"]["x-forwarded-proto"] = "https"
    return event


def _apigw_rest(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import apigw

    api = apigw.api_id(where.account, where.region)
    return apigw.rest_event(
        _request(given, where),
        region=where.region,
        account=where.account,
        api=api,
        request_id=ids.uuid4(),
    )


def _apigw_http(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import apigw

    api = apigw.api_id(where.account, where.region)
    return _https(
        apigw.http_event(
            _request(given, where),
            region=where.region,
            account=where.account,
            api=api,
            request_id=ids.uuid4(),
        )
    )


def _function_url(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from .urls import url_event

    event = url_event(
        _request(given, where),
        given.function or "my-function",
        region=where.region,
        account=where.account,
        request_id=ids.uuid4(),
    )
    return _https(event)


def _alb(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import alb

    request = _request(given, where)
    arn = alb.target_group_arn(where.region, where.account, "my-target-group")
    return alb.event(request, target_group_arn=arn, multi_value=given.multi_value)


def _cloudwatch_logs(given: SampleOptions, where: _Where) -> dict[str, Any]:
    from . import logs

    group = given.log_group or "/aws/lambda/my-function"
    stream = given.log_stream or f"{where.now:%Y/%m/%d}/[$LATEST]{ids.hex_id(32)}"
    stamp = timestamps.epoch_millis(where.now)
    events = [
        (logs.log_event_id(stamp, i), stamp, message)
        for i, message in enumerate(given.message or ("Hello from CloudWatch Logs!",))
    ]
    data = logs.subscription_data(group, stream, events, owner=where.account)
    return logs.subscription_event(data)


_BUILDERS: Mapping[str, Callable[[SampleOptions, _Where], Any]] = {
    "s3-put": _s3_put,
    "s3-delete": _s3_delete,
    "sqs": _sqs,
    "sns": _sns,
    "kinesis": _kinesis,
    "dynamodb": _dynamodb,
    "schedule": _schedule,
    "apigw-rest": _apigw_rest,
    "apigw-http": _apigw_http,
    "function-url": _function_url,
    "alb": _alb,
    "cloudwatch-logs": _cloudwatch_logs,
}
