"""`lambdactl stream ...`: local Kinesis-like streams."""

from __future__ import annotations

import sys

import typer

from ..errors import UsageError, given_bytes
from . import render
from .session import OUTPUT_OPTION, Output, session

app = typer.Typer(
    help="Local streams with Kinesis semantics (durable in .lambda/).", no_args_is_help=True
)

NAME = typer.Argument(..., metavar="NAME")
HASH_KEYS_FOLD = {"Ending hash key": "fold", "Starting hash key": "fold"}
"""39-digit hash keys fold onto two lines on a narrow terminal; shard ids stay whole."""


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = NAME,
    shards: int = typer.Option(1, "--shards", help="Shards (the hash key space split evenly)."),
    retention_hours: int = typer.Option(
        24, "--retention-hours", help="Hours records are kept (24..8760)."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Create a stream (CreateStream); it is ACTIVE at once."""
    from .. import streams

    stream = streams.create(
        session(ctx).project(), name, shards=shards, retention_hours=retention_hours
    )
    if output is Output.json:
        render.print_json({})  # CreateStream's response has no body
        return
    render.success(f"stream {stream.name} ({stream.shards} shard(s), {stream.retention_hours} h)")


@app.command("list")
def list_streams(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """List streams (ListStreams)."""
    from .. import streams

    project = session(ctx).project()
    found = streams.list_streams(project)
    if output is Output.json:
        render.print_json(streams.listing(project, found))
        return
    rows = [
        (s.name, str(s.shards), f"{s.retention_hours} h", streams.arn(project, s.name))
        for s in found
    ]
    render.table(None, ("Stream", "Shards", "Retention", "ARN"), rows, give_way={"ARN": "fold"})


@app.command("describe")
def describe(ctx: typer.Context, name: str = NAME, output: Output = OUTPUT_OPTION) -> None:
    """Describe a stream and its shards (DescribeStream)."""
    from .. import streams

    project = session(ctx).project()
    shape = streams.description(project, streams.get(project, name))
    if output is Output.json:
        render.print_json(shape)
        return
    described = shape["StreamDescription"]
    render.fields(
        name,
        [
            ("ARN", described["StreamARN"]),
            ("Status", described["StreamStatus"]),
            ("Retention", f"{described['RetentionPeriodHours']} h"),
        ],
    )
    rows = [
        (
            s["ShardId"],
            s["HashKeyRange"]["StartingHashKey"],
            s["HashKeyRange"]["EndingHashKey"],
        )
        for s in described["Shards"]
    ]
    columns = ("Shard", "Starting hash key", "Ending hash key")
    render.table(None, columns, rows, give_way=HASH_KEYS_FOLD)


@app.command("put")
def put(
    ctx: typer.Context,
    name: str = NAME,
    data: str = typer.Argument(None, metavar="[DATA]", help="The record's data ('-': stdin)."),
    partition_key: str = typer.Option(..., "--partition-key", "-k", help="Picks the shard."),
    explicit_hash_key: str = typer.Option(
        None, "--explicit-hash-key", help="A hash key (0..2^128-1) instead of the key's MD5."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Put a record (PutRecord); when an enabled mapping reads the stream, the project's
    worker is started unless one runs, to deliver it."""
    from .. import streams
    from ..sources import mappings

    project = session(ctx).project()
    response = streams.put(
        project, name, _data(data), partition_key, explicit_hash_key=explicit_hash_key
    )
    mappings.wake(project, "stream", name)  # its function's poller runs in the worker
    if output is Output.json:
        render.print_json(response)
        return
    render.success(f"put {response['SequenceNumber']} on {response['ShardId']} of {name}")


@app.command("read")
def read(
    ctx: typer.Context,
    name: str = NAME,
    shard: str = typer.Option(None, "--shard", help="One shard (default: every shard)."),
    start: str = typer.Option(
        "TRIM_HORIZON",
        "--from",
        metavar="POSITION",
        help="TRIM_HORIZON, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.",
    ),
    sequence: str = typer.Option(None, "--sequence-number", help="For AT_/AFTER_SEQUENCE_NUMBER."),
    timestamp: str = typer.Option(
        None, "--timestamp", metavar="WHEN", help="For AT_TIMESTAMP: 10m, 1h, 2d or ISO time."
    ),
    limit: int = typer.Option(100, "--limit", help="Records per shard (1..10000)."),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Read records in order, shard by shard, from a starting position (GetShardIterator and
    GetRecords in one): `--output json` gives GetRecords' shape for each shard read."""
    import time

    from .. import streams

    project = session(ctx).project()
    stream = streams.get(project, name)
    position = start.upper()
    when = None
    if timestamp is not None:
        from ..logs.query import parse_time

        when = parse_time(timestamp, now=int(time.time() * 1000), option="--timestamp") / 1000
    shards = [shard] if shard is not None else stream.shard_ids
    reads = [
        streams.read(
            project, name, s, position=position, sequence=sequence, timestamp=when, limit=limit
        )
        for s in shards
    ]
    if output is Output.json:
        render.print_json(
            {"Shards": [{"ShardId": s, **streams.records_shape(r)} for s, r in zip(shards, reads)]}
        )
        return
    records = sorted((r for one in reads for r in one.records), key=lambda r: r.arrival)
    if not records:
        render.line("no records")
        return
    rows = [
        (r.shard_id, r.sequence_number, r.partition_key, _arrival(r.arrival), _shown(r.data))
        for r in records
    ]
    columns = ("Shard", "Sequence number", "Partition key", "Arrival", "Data")
    render.table(None, columns, rows, give_way={"Data": "fold", "Sequence number": "fold"})


@app.command("delete")
def delete(ctx: typer.Context, name: str = NAME, output: Output = OUTPUT_OPTION) -> None:
    """Delete the stream and its records (DeleteStream)."""
    from .. import streams

    streams.delete(session(ctx).project(), name)
    if output is Output.json:
        render.print_json({})
        return
    render.success(f"deleted stream {name}")


def _data(data: str | None) -> bytes:
    """The argument's bytes as typed (not UTF-8 kept as is), or standard input's."""
    if data == "-" or data is None:
        if sys.stdin.isatty():
            raise UsageError("give the record's data as an argument, or '-' and pipe it in")
        raw = getattr(sys.stdin, "buffer", None)
        return raw.read() if raw is not None else sys.stdin.read().encode()
    return given_bytes(data)


def _arrival(seconds: float) -> str:
    from datetime import datetime, timezone

    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _shown(data: bytes) -> str:
    """Text as text; other bytes as base64 (as Kinesis gives them)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        import base64

        return "base64:" + base64.b64encode(data).decode("ascii")
    return render.shown(text)
