"""Local streams with Amazon Kinesis Data Streams' semantics: durable records in `.lambda/`,
shards chosen by the MD5 of the partition key, sequence numbers strictly increasing per shard,
the five starting positions, and retention.

They are what the stream pollers of event source mappings read (each shard in order, resuming
after a checkpoint). Streams declared in the manifest exist without `create`. Error types and
messages are Kinesis's; `describe`, `put` and friends return Kinesis's response shapes.

A sequence number is a 56-digit decimal string, like Kinesis's: `49`, the stream's creation
time in milliseconds (13 digits), the shard's index (6) and the record's number in its shard
(35). Within a shard, later records have larger numbers, and a number from a stream deleted
and made again under the same name is recognised as not from this stream.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import arns
from .errors import AwsError, ResourceNotFoundException, ValidationException
from .project import Project

HASH_KEYS = 2**128
"""Kinesis's hash key space: 0 .. 2^128 - 1, split evenly over the shards."""
DEFAULT_RETENTION_HOURS = 24
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
SHARD_LIMIT = 500
"""The account's shard quota (Kinesis's default in its larger regions), over all streams."""
MAX_DATA_BYTES = 1_048_576
"""A record's data blob, at most 1 MiB."""
MAX_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 5 * 1_048_576
"""PutRecords: at most 500 records and 5 MiB (data and partition keys) in one request."""
MAX_READ_RECORDS = 10_000
MAX_READ_BYTES = 10 * 1_048_576
"""GetRecords: at most 10,000 records and 10 MiB of data (at least one record)."""
POSITIONS = (
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
)
"""Kinesis's ShardIteratorType values, in its error message's order."""

_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
_SHARD_ID = re.compile(r"shardId-(\d{12})")
_SEQUENCE = re.compile(r"49(\d{13})(\d{6})(\d{35})")
_HASH_KEY = re.compile(r"0|([1-9]\d{0,38})")

log = logging.getLogger("lambdactl")


class ResourceInUseException(AwsError):
    aws_type = "ResourceInUseException"
    http_status = 400
    exit_code = 4


class StreamNotFound(ResourceNotFoundException):
    """Kinesis's ResourceNotFoundException (HTTP 400, unlike Lambda's 404)."""

    http_status = 400


class InvalidArgumentException(AwsError):
    aws_type = "InvalidArgumentException"
    http_status = 400
    exit_code = 2


class LimitExceededException(AwsError):
    aws_type = "LimitExceededException"
    http_status = 400
    exit_code = 4


@dataclass(frozen=True)
class Stream:
    name: str
    shards: int
    retention_hours: int
    created: float

    @property
    def shard_ids(self) -> list[str]:
        return [shard_id(index) for index in range(self.shards)]


@dataclass(frozen=True)
class StreamRecord:
    """One record as a reader gets it (GetRecords' record, with its shard)."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: float
    """ApproximateArrivalTimestamp, in seconds; never earlier than the shard's record before."""


@dataclass(frozen=True)
class ShardRead:
    """What one `read` of a shard gives."""

    records: tuple[StreamRecord, ...]
    next_after: str
    """Read again with `after=next_after` to go on where this read stopped: the last record's
    sequence number, or (nothing read) a sequence number that names the position read from."""
    millis_behind_latest: int
    """How far the last record read is behind the shard's newest (0: caught up)."""


# -- names, shards and sequence numbers --------------------------------------------------------


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def hash_key(partition_key: str) -> int:
    """The partition key's hash key, as Kinesis computes it: the MD5 digest of its UTF-8
    bytes read as an unsigned 128-bit big-endian integer."""
    digest = hashlib.md5(partition_key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest, "big")


def hash_key_ranges(shards: int) -> list[tuple[int, int]]:
    """Each shard's (starting, ending) hash key: 2^128 split evenly, the last shard taking
    what the division leaves (as CreateStream splits it)."""
    step = HASH_KEYS // shards
    return [
        (index * step, (index + 1) * step - 1 if index < shards - 1 else HASH_KEYS - 1)
        for index in range(shards)
    ]


def shard_for(key: int, shards: int) -> int:
    """The index of the shard whose hash key range holds `key`."""
    return min(key // (HASH_KEYS // shards), shards - 1)


def sequence_number(stream: Stream, shard: int, number: int) -> str:
    return f"49{_created_ms(stream):013d}{shard:06d}{number:035d}"


def arn(project: Project, name: str) -> str:
    return arns.stream_arn(project.manifest.region, project.manifest.account, name)


# -- streams ---------------------------------------------------------------------------------


def create(
    project: Project,
    name: str,
    *,
    shards: int = 1,
    retention_hours: int = DEFAULT_RETENTION_HOURS,
    now: float | None = None,
) -> Stream:
    """CreateStream (and the retention IncreaseStreamRetentionPeriod would set): a stream of
    `shards` shards. ResourceInUseException when one of that name exists."""
    _check_name(name, shard_count=shards)
    _check_retention(retention_hours)
    ensure_declared(project)
    _check_shard_limit(project, shards)
    now = time.time() if now is None else now
    if not project.store.create_stream(
        name, shards=shards, retention_hours=retention_hours, created=now
    ):
        raise ResourceInUseException(
            f"Stream {name} under account {_account(project)} already exists."
        )
    return get(project, name)


def get(project: Project, name: str) -> Stream:
    """The stream; ResourceNotFoundException (Kinesis's message) when there is none."""
    _check_name(name)
    ensure_declared(project)
    record = project.store.get_stream(name)
    if record is None:
        raise _not_found(project, name)
    return _stream(record)


def list_streams(project: Project) -> list[Stream]:
    """Streams ordered by name."""
    ensure_declared(project)
    return [_stream(record) for record in project.store.list_streams()]


def delete(project: Project, name: str) -> None:
    """DeleteStream: the stream and its records are gone at once (Kinesis takes a while)."""
    get(project, name)
    project.store.delete_stream(name)


def set_retention(project: Project, name: str, retention_hours: int) -> Stream:
    """Increase/DecreaseStreamRetentionPeriod in one: records older than the new period go."""
    _check_retention(retention_hours)
    get(project, name)
    project.store.set_stream_retention(name, retention_hours)
    return get(project, name)


def ensure_declared(
    project: Project,
    declared: Mapping[str, tuple[int, int]] | None = None,
    *,
    now: float | None = None,
) -> None:
    """Make the declared streams exist: `declared` maps a name to (shards, retention_hours);
    by default the manifest's top-level `streams:` (when the manifest has it).

    A declared retention wins over the stored one. A declared shard count that differs from
    the stored stream's makes the stream anew, empty (Kinesis would reshard; a local stream's
    records are test data), with a warning."""
    wanted = _declared(project) if declared is None else declared
    for name, (shards, retention_hours) in wanted.items():
        current = project.store.get_stream(name)
        if current is not None and current["shards"] == shards:
            if current["retention_hours"] != retention_hours:
                project.store.set_stream_retention(name, retention_hours)
            continue
        _check_name(name, shard_count=shards)
        _check_retention(retention_hours)
        if current is not None:
            log.warning(
                "stream %s: the manifest declares %d shard(s), it had %d: made anew, empty",
                name,
                shards,
                current["shards"],
            )
            project.store.delete_stream(name)
        project.store.create_stream(
            name,
            shards=shards,
            retention_hours=retention_hours,
            created=time.time() if now is None else now,
        )


# -- writing -----------------------------------------------------------------------------------


def put(
    project: Project,
    name: str,
    data: bytes,
    partition_key: str,
    *,
    explicit_hash_key: str | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """PutRecord: append one record to the shard its hash key (the partition key's MD5, or
    `explicit_hash_key`) falls in. Returns Kinesis's {ShardId, SequenceNumber}."""
    problems = _name_problems(name) + _entry_problems("", data, partition_key, explicit_hash_key)
    _raise_validation(problems)
    stream = get(project, name)
    shard = _shard_of(stream, partition_key, explicit_hash_key)
    [(number, _arrival)] = _append(project, stream, [(shard, partition_key, data)], now)
    return {"ShardId": shard_id(shard), "SequenceNumber": sequence_number(stream, shard, number)}


def put_many(
    project: Project,
    name: str,
    entries: Sequence[Mapping[str, Any]],
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """PutRecords: append every entry (`Data` bytes, `PartitionKey`, optional
    `ExplicitHashKey`) in one transaction, in order. Returns Kinesis's {FailedRecordCount,
    Records: [{ShardId, SequenceNumber}]} (locally no entry fails on its own)."""
    problems = _name_problems(name)
    if not entries:
        problems.append(
            "Value '[]' at 'records' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1"
        )
    elif len(entries) > MAX_PUT_RECORDS:
        problems.append(
            "Value at 'records' failed to satisfy constraint: Member must have length less "
            f"than or equal to {MAX_PUT_RECORDS}"
        )
    else:
        for position, entry in enumerate(entries, 1):
            problems += _entry_problems(
                f"records.{position}.member.",
                entry.get("Data"),
                entry.get("PartitionKey"),
                entry.get("ExplicitHashKey"),
            )
    _raise_validation(problems)
    stream = get(project, name)
    total = sum(
        len(e["Data"]) + len(e["PartitionKey"].encode("utf-8", "surrogatepass")) for e in entries
    )
    if total > MAX_PUT_RECORDS_BYTES:
        raise InvalidArgumentException("Records size exceeds 5 MB limit")
    shards = [_shard_of(stream, e["PartitionKey"], e.get("ExplicitHashKey")) for e in entries]
    given = _append(
        project, stream, [(s, e["PartitionKey"], e["Data"]) for s, e in zip(shards, entries)], now
    )
    return {
        "FailedRecordCount": 0,
        "Records": [
            {"SequenceNumber": sequence_number(stream, s, number), "ShardId": shard_id(s)}
            for s, (number, _arrival) in zip(shards, given)
        ],
    }


# -- reading -----------------------------------------------------------------------------------


def read(
    project: Project,
    name: str,
    shard: str,
    *,
    position: str = "TRIM_HORIZON",
    sequence: str | None = None,
    timestamp: float | None = None,
    after: str | None = None,
    limit: int = MAX_READ_RECORDS,
    now: float | None = None,
) -> ShardRead:
    """Read `shard` in order from a starting position, as GetShardIterator then GetRecords
    would: `TRIM_HORIZON` (the oldest record kept), `LATEST` (only records put after this
    call: none now), `AT_TIMESTAMP` (the first record that arrived at or after `timestamp`,
    in seconds), `AT_SEQUENCE_NUMBER` / `AFTER_SEQUENCE_NUMBER` (at or after `sequence`).
    `after` is short for AFTER_SEQUENCE_NUMBER with that sequence number (a checkpoint, or
    the `next_after` of the read before).

    Records older than the stream's retention are gone first; a position before the oldest
    kept record reads from that record (Kinesis's rule). At most `limit` records (1..10000)
    and 10 MiB of data (but at least one record)."""
    if after is not None:
        position, sequence = "AFTER_SEQUENCE_NUMBER", after
    _check_read(position, limit)
    stream = get(project, name)
    index = _shard_index(project, stream, shard)
    now = time.time() if now is None else now
    _trim(project, stream, now)
    store = project.store
    tip = store.last_record_number(name, index)  # before reading: nothing later is skipped
    since: float | None = None
    if position in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if sequence is None:
            raise InvalidArgumentException(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                f"StartingSequenceNumber. Request specified {position} and no "
                "StartingSequenceNumber."
            )
        number = _parse_sequence(project, stream, index, sequence)
        start = number - 1 if position == "AT_SEQUENCE_NUMBER" else number
    else:
        if sequence is not None and position != "AT_TIMESTAMP":
            raise InvalidArgumentException(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                f"StartingSequenceNumber. Request specified {position} and also a "
                "StartingSequenceNumber."
            )
        if position == "AT_TIMESTAMP":
            if timestamp is None:
                raise InvalidArgumentException(
                    "Must specify timestampInMillis parameter for iterator of type "
                    "AT_TIMESTAMP. Current request has no timestamp parameter."
                )
            if timestamp > now:
                raise InvalidArgumentException(
                    "The timestampInMillis parameter cannot be greater than the "
                    f"currentTimestampInMillis. timestampInMillis: {int(timestamp * 1000)}, "
                    f"currentTimestampInMillis: {int(now * 1000)}"
                )
            since = timestamp
        start = tip if position == "LATEST" else 0
    rows = (
        []
        if position == "LATEST"
        else store.read_records(name, index, after=max(start, 0), arrived_since=since, limit=limit)
    )
    taken: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        size += len(row["data"])
        if taken and size > MAX_READ_BYTES:
            break
        taken.append(row)
    records = tuple(
        StreamRecord(
            shard_id=shard_id(index),
            sequence_number=sequence_number(stream, index, row["number"]),
            partition_key=row["partition_key"],
            data=row["data"],
            arrival=row["arrival"],
        )
        for row in taken
    )
    if taken:
        last = taken[-1]["number"]
    elif since is not None:
        last = tip  # nothing at or after the timestamp up to the tip: later ones come after it
    else:
        last = max(start, 0)
    behind = 0
    if taken and last < store.last_record_number(name, index):
        behind = max(0, int((now - taken[-1]["arrival"]) * 1000))
    return ShardRead(records, sequence_number(stream, index, last), behind)


# -- checkpoints -------------------------------------------------------------------------------


def checkpoint(project: Project, mapping: str, shard: str, sequence: str) -> None:
    """Record `sequence` as the last processed on `shard` for the mapping `mapping`."""
    project.store.set_checkpoint(mapping, shard, sequence)


def checkpoint_of(project: Project, mapping: str, shard: str) -> str | None:
    """The last sequence number processed on `shard` for `mapping`; None before any (start
    from the mapping's StartingPosition)."""
    return project.store.get_checkpoint(mapping, shard)


def unread(project: Project, name: str, mapping: str, *, latest: bool = False) -> bool:
    """Whether some shard of `name` holds a record after `mapping`'s checkpoint (a read per
    shard, no write). A shard without a checkpoint counts from its oldest record, or, with
    `latest` (a LATEST mapping not started yet), holds nothing unread. False when the stream
    is gone."""
    try:
        stream = get(project, name)
    except StreamNotFound:
        return False
    store = project.store
    for index, shard in enumerate(stream.shard_ids):
        saved = store.get_checkpoint(mapping, shard)
        if not saved and latest:
            continue
        found = _SEQUENCE.fullmatch(saved or "")
        after = int(found.group(3)) if found else 0
        if store.read_records(name, index, after=after, limit=1):
            return True
    return False


# -- Kinesis's response shapes -----------------------------------------------------------------


def description(project: Project, stream: Stream) -> dict[str, Any]:
    """DescribeStream's response."""
    ranges = hash_key_ranges(stream.shards)
    shards = [
        {
            "ShardId": shard_id(index),
            "HashKeyRange": {"StartingHashKey": str(low), "EndingHashKey": str(high)},
            "SequenceNumberRange": {"StartingSequenceNumber": sequence_number(stream, index, 0)},
        }
        for index, (low, high) in enumerate(ranges)
    ]
    return {
        "StreamDescription": {
            **_common(project, stream),
            "Shards": shards,
            "HasMoreShards": False,
            "RetentionPeriodHours": stream.retention_hours,
            "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
            "EncryptionType": "NONE",
        }
    }


def summary(project: Project, stream: Stream) -> dict[str, Any]:
    """DescribeStreamSummary's response."""
    return {
        "StreamDescriptionSummary": {
            **_common(project, stream),
            "RetentionPeriodHours": stream.retention_hours,
            "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
            "EncryptionType": "NONE",
            "OpenShardCount": stream.shards,
            "ConsumerCount": 0,
        }
    }


def listing(project: Project, streams: Sequence[Stream]) -> dict[str, Any]:
    """ListStreams' response."""
    return {
        "StreamNames": [s.name for s in streams],
        "HasMoreStreams": False,
        "StreamSummaries": [_common(project, s) for s in streams],
    }


def records_shape(read: ShardRead) -> dict[str, Any]:
    """GetRecords' response (its records and MillisBehindLatest; iterators are not kept)."""
    import base64

    return {
        "Records": [
            {
                "SequenceNumber": r.sequence_number,
                "ApproximateArrivalTimestamp": round(r.arrival, 3),
                "Data": base64.b64encode(r.data).decode("ascii"),
                "PartitionKey": r.partition_key,
            }
            for r in read.records
        ],
        "MillisBehindLatest": read.millis_behind_latest,
    }


def _common(project: Project, stream: Stream) -> dict[str, Any]:
    return {
        "StreamName": stream.name,
        "StreamARN": arn(project, stream.name),
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "StreamCreationTimestamp": round(stream.created, 3),
    }


# -- rules ------------------------------------------------------------------------------------


def _name_problems(name: str) -> list[str]:
    field = "streamName"
    if not name:
        return [_constraint(name, field, "Member must have length greater than or equal to 1")]
    problems = []
    if len(name) > 128:
        problems.append(
            _constraint(name, field, "Member must have length less than or equal to 128")
        )
    if not _NAME.fullmatch(name):
        problems.append(
            _constraint(
                name, field, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        )
    return problems


def _check_name(name: str, *, shard_count: int | None = None) -> None:
    problems = _name_problems(name)
    if shard_count is not None and (isinstance(shard_count, bool) or shard_count < 1):
        problems.append(
            _constraint(
                shard_count, "shardCount", "Member must have value greater than or equal to 1"
            )
        )
    _raise_validation(problems)


def _entry_problems(
    prefix: str, data: object, partition_key: object, explicit_hash_key: object
) -> list[str]:
    problems = []
    if not isinstance(partition_key, str):
        problems.append(
            f"Value null at '{prefix}partitionKey' failed to satisfy constraint: Member must "
            "not be null"
        )
    elif not partition_key:
        problems.append(
            _constraint(
                "", f"{prefix}partitionKey", "Member must have length greater than or equal to 1"
            )
        )
    elif len(partition_key) > 256:
        problems.append(
            _constraint(
                partition_key,
                f"{prefix}partitionKey",
                "Member must have length less than or equal to 256",
            )
        )
    if not isinstance(data, (bytes, bytearray)):
        problems.append(
            f"Value null at '{prefix}data' failed to satisfy constraint: Member must not be null"
        )
    elif len(data) > MAX_DATA_BYTES:
        problems.append(
            _constraint(
                f"java.nio.HeapByteBuffer[pos=0 lim={len(data)} cap={len(data)}]",
                f"{prefix}data",
                f"Member must have length less than or equal to {MAX_DATA_BYTES}",
            )
        )
    if explicit_hash_key is not None and not (
        isinstance(explicit_hash_key, str) and _HASH_KEY.fullmatch(explicit_hash_key)
    ):
        problems.append(
            _constraint(
                explicit_hash_key,
                f"{prefix}explicitHashKey",
                "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
            )
        )
    return problems


def _constraint(value: object, field: str, constraint: str) -> str:
    return f"Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"


def _raise_validation(problems: list[str]) -> None:
    """Kinesis's model validation: every failed constraint, in one message."""
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(problems))


def _check_retention(hours: int) -> None:
    if hours < MIN_RETENTION_HOURS:
        raise InvalidArgumentException(
            f"Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. Requested "
            f"retention period ({hours} hours) is too short."
        )
    if hours > MAX_RETENTION_HOURS:
        raise InvalidArgumentException(
            f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. Requested "
            f"retention period ({hours} hours) is too long."
        )


def _check_shard_limit(project: Project, shards: int) -> None:
    current = sum(record["shards"] for record in project.store.list_streams())
    if current + shards > SHARD_LIMIT:
        manifest = project.manifest
        raise LimitExceededException(
            f"This request would exceed the shard limit for the account {manifest.account} in "
            f"{manifest.region}. Current shard count for the account: {current}. Limit: "
            f"{SHARD_LIMIT}. Number of additional shards that would have resulted from this "
            f"request: {shards}. Refer to the AWS Service Limits page "
            "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
            "limits and how to request higher limits."
        )


def _check_read(position: str, limit: int) -> None:
    problems = []
    if position not in POSITIONS:
        problems.append(
            _constraint(
                position,
                "shardIteratorType",
                f"Member must satisfy enum value set: [{', '.join(POSITIONS)}]",
            )
        )
    if limit < 1:
        problems.append(
            _constraint(limit, "limit", "Member must have value greater than or equal to 1")
        )
    elif limit > MAX_READ_RECORDS:
        problems.append(
            _constraint(
                limit, "limit", f"Member must have value less than or equal to {MAX_READ_RECORDS}"
            )
        )
    _raise_validation(problems)


def _shard_of(stream: Stream, partition_key: str, explicit_hash_key: str | None) -> int:
    if explicit_hash_key is None:
        return shard_for(hash_key(partition_key), stream.shards)
    key = int(explicit_hash_key)
    if key >= HASH_KEYS:
        raise InvalidArgumentException(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            f"Specified value was {explicit_hash_key}"
        )
    return shard_for(key, stream.shards)


def _shard_index(project: Project, stream: Stream, shard: str) -> int:
    """The index `shard` names (`shardId-000000000001`, or Kinesis's short `1`)."""
    digits = shard.split("-", 1)[1] if shard.startswith("shardId-") else shard
    if not digits.isdigit() or int(digits) > 2147483647:
        raise StreamNotFound(
            f"Could not find shard {shard} in stream {stream.name} under account "
            f"{_account(project)}."
        )
    index = int(digits)
    if index >= stream.shards:
        raise StreamNotFound(
            f"Shard {shard_id(index)} in stream {stream.name} under account "
            f"{_account(project)} does not exist"
        )
    return index


def _parse_sequence(project: Project, stream: Stream, index: int, sequence: str) -> int:
    """The record number `sequence` names on shard `index`, with Kinesis's complaints when it
    is not a sequence number, is another shard's, or another stream's."""
    found = _SEQUENCE.fullmatch(sequence)
    where = (
        f"used in GetShardIterator on shard {shard_id(index)} in stream {stream.name} under "
        f"account {_account(project)}"
    )
    if found is None:
        raise InvalidArgumentException(f"StartingSequenceNumber {sequence} {where} is invalid.")
    created, shard, number = (int(part) for part in found.groups())
    if shard != index:
        raise InvalidArgumentException(
            f"Invalid StartingSequenceNumber. It encodes {shard_id(shard)}, while it was used "
            f"in a call to a shard with {shard_id(index)}"
        )
    if created != _created_ms(stream):
        raise InvalidArgumentException(
            f"StartingSequenceNumber {sequence} {where} is invalid because it did not come "
            "from this stream."
        )
    return number


def _append(
    project: Project, stream: Stream, entries: list[tuple[int, str, bytes]], now: float | None
) -> list[tuple[int, float]]:
    now = time.time() if now is None else now
    _trim(project, stream, now)
    given = project.store.append_records(stream.name, entries, now=now)
    if given is None:  # deleted since `get`
        raise _not_found(project, stream.name)
    return given


def _trim(project: Project, stream: Stream, now: float) -> None:
    """Retention: records that arrived more than the retention period ago are gone."""
    project.store.trim_records(stream.name, now - stream.retention_hours * 3600)


def _declared(project: Project) -> Mapping[str, tuple[int, int]]:
    """The manifest's `streams:` as (shards, retention_hours) per name, whether its values
    are pairs or specs with `shards` and `retention_hours`; none before the manifest has it."""
    declared = getattr(project.manifest, "streams", None) or {}
    return {
        name: spec if isinstance(spec, tuple) else (spec.shards, spec.retention_hours)
        for name, spec in declared.items()
    }


def _not_found(project: Project, name: str) -> StreamNotFound:
    return StreamNotFound(f"Stream {name} under account {_account(project)} not found.")


def _account(project: Project) -> str:
    return project.manifest.account


def _created_ms(stream: Stream) -> int:
    return int(stream.created * 1000) % 10**13


def _stream(record: Mapping[str, Any]) -> Stream:
    return Stream(record["name"], record["shards"], record["retention_hours"], record["created"])
