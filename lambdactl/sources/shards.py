"""What the real-stream backends (`sources.kinesis`, `sources.dynamodb`) share: the shard
records kept in `.lambda/`, the shards' lineage, the first start, iterators that move
forward, and boto3 errors turned into one line.

Each mapping keeps, in the store's shard checkpoints (by mapping UUID, then shard id):
- `""`: `{"stream": IDENTITY, "since": EPOCH}`, written once the first start is settled.
  IDENTITY names the stream as it is now (a Kinesis stream's ARN and creation time, a
  DynamoDB stream's ARN): a stream made anew under the same name has another, and the
  mapping's records are then dropped and it starts again at its starting position.
- a shard id: `{"sequence": LAST_PROCESSED | None, "at": EPOCH | None, "ended": bool}`.

Reading a shard starts after `sequence`, else at `at` (AT_TIMESTAMP), else at TRIM_HORIZON:
so a shard that appears after the first start (a resharding's child, DynamoDB's next
shard) is read whole, as Lambda reads it. The first start writes the starting position's
records for the shards there are then: AT_TIMESTAMP sets `at`; LATEST marks closed shards
ended and pins open ones (the backend's `latest`: Kinesis's `at` now, DynamoDB's last
sequence number now), so records put while no worker runs are still delivered.

A shard is ready once each parent is ended or no longer listed (trimmed): a closed shard
is read to its end before its children, so a key's records stay in order across a reshard.
A shard is ended when its iterator ends (GetRecords gives no NextShardIterator), after its
last batch is processed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import LambdactlError
from ..project import Project
from .filters import SourceKind
from .specs import DynamoDBSource, Endpoint, KinesisSource, StreamSettings
from .stream import Fetched, Item

log = logging.getLogger("lambdactl")

HEAD = ""
"""The shard key of a mapping's own record (its stream's identity)."""


class SourceProblem(LambdactlError):
    """The stream cannot be read now: `code` is AWS's error code, when it gave one."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Shard:
    id: str
    parents: tuple[str, ...] = ()
    closed: bool = False


@dataclass(frozen=True)
class Start:
    """Where a shard's reading starts: GetShardIterator's type, and its sequence number or
    timestamp."""

    position: str
    sequence: str | None = None
    at: float | None = None


class Book:
    """One mapping's shard records for one real stream (see the module docstring)."""

    def __init__(self, project: Project, mapping: str, settings: StreamSettings) -> None:
        self.project = project
        self.mapping = mapping
        self.settings = settings

    def ready(
        self,
        identity: str,
        listing: list[Shard],
        latest: Callable[[Shard], dict[str, Any]],
        *,
        warn: Callable[[str], None],
    ) -> list[str]:
        """The shards to read now, the first start settled first."""
        store = self.project.store
        saved = store.shard_checkpoints(self.mapping)
        head = saved.get(HEAD)
        if head is None or head.get("stream") != identity:
            if head is not None:
                warn(f"the stream was made anew: reading at {self.settings.starting_position}")
                store.delete_shard_checkpoints(self.mapping)
            self._first_start(identity, listing, latest)
            saved = store.shard_checkpoints(self.mapping)
        listed = {shard.id for shard in listing}
        done = {shard for shard, record in saved.items() if record.get("ended")}
        return [
            shard.id
            for shard in listing
            if shard.id not in done and all(p in done or p not in listed for p in shard.parents)
        ]

    def _first_start(
        self, identity: str, listing: list[Shard], latest: Callable[[Shard], dict[str, Any]]
    ) -> None:
        position = self.settings.starting_position
        for shard in listing:
            record: dict[str, Any] | None = None
            if position == "AT_TIMESTAMP":
                record = {"at": min(self.settings.starting_position_timestamp or 0, time.time())}
            elif position == "LATEST":
                record = {"ended": True} if shard.closed else latest(shard)
            if record is not None:
                self.project.store.put_shard_checkpoint(self.mapping, shard.id, record)
        self.project.store.put_shard_checkpoint(
            self.mapping, HEAD, {"stream": identity, "since": time.time()}
        )

    def start(self, shard: str) -> Start:
        record = self.project.store.shard_checkpoints(self.mapping).get(shard) or {}
        if record.get("sequence"):
            return Start("AFTER_SEQUENCE_NUMBER", sequence=record["sequence"])
        if record.get("at") is not None:
            return Start("AT_TIMESTAMP", at=float(record["at"]))
        return Start("TRIM_HORIZON")

    def checkpoint(self, shard: str, sequence: str | None, *, ended: bool = False) -> None:
        if sequence is None and not ended:
            return
        if sequence is None:  # ended with nothing new: keep the last one
            sequence = self.start(shard).sequence
        record = {"sequence": sequence, "at": None, "ended": ended}
        self.project.store.put_shard_checkpoint(self.mapping, shard, record)


class Iterating:
    """A cursor over a shard iterator: `get_iterator(start)` makes one, `get_records(iterator,
    limit)` reads (records, next iterator or None); `item` turns a record into an `Item`. An
    expired iterator is made again after the last record fetched."""

    def __init__(
        self,
        start: Start,
        *,
        get_iterator: Callable[[Start], str],
        get_records: Callable[[str, int], tuple[list[dict[str, Any]], str | None]],
        item: Callable[[dict[str, Any]], Item],
    ) -> None:
        self.begin = start
        self.get_iterator = get_iterator
        self.get_records = get_records
        self.item = item
        self.iterator: str | None = None
        self.last: str | None = None

    def fetch(self, limit: int) -> Fetched:
        if self.iterator is None:
            start = self.begin
            if self.last is not None:
                start = Start("AFTER_SEQUENCE_NUMBER", sequence=self.last)
            self.iterator = self.get_iterator(start)
        try:
            records, following = self.get_records(self.iterator, limit)
        except SourceProblem as exc:
            if exc.code != "ExpiredIteratorException":
                raise
            self.iterator = None  # made again at the next fetch
            return Fetched([])
        items = [self.item(record) for record in records]
        if items:
            self.last = items[-1].sequence_number
        if following is None:
            return Fetched(items, ended=True)
        self.iterator = following
        return Fetched(items)


class RealShards:
    """What a real stream's backend (a `stream.Backend`) does the same for Kinesis and
    DynamoDB Streams; a subclass says how to `describe` the stream, pin LATEST (`latest`),
    name the stream in GetShardIterator (`where`) and shape a record (`item`)."""

    kind: SourceKind
    service: str
    """The boto3 client that reads the shards."""
    max_records: int
    """GetRecords' Limit, at most."""
    list_seconds = 10.0
    """How often the shards are listed again (a shard's end lists them at once)."""

    def __init__(self, project: Project, source: KinesisSource | DynamoDBSource) -> None:
        self.project = project
        self.source = source
        self.arn = ""
        self.book = Book(project, source.uuid, source.settings)
        self._clients: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return f"{self.kind} source {self.source.identity}"

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = client(service, self.source.endpoint)
        return self._clients[service]

    def ready(self) -> list[str]:
        identity, listing = self.describe()
        return self.book.ready(identity, listing, self.latest, warn=self._warn)

    def open(self, shard: str) -> Iterating:
        what = f"{self.source.identity} {shard}"

        def get_iterator(start: Start) -> str:
            options: dict[str, Any] = {"ShardIteratorType": start.position}
            if start.sequence is not None:
                key = "SequenceNumber" if self.kind == "dynamodb" else "StartingSequenceNumber"
                options[key] = start.sequence
            if start.at is not None:
                options["Timestamp"] = start.at
            with calls(what):
                answer = self.client(self.service).get_shard_iterator(
                    **self.where(), ShardId=shard, **options
                )
            return str(answer["ShardIterator"])

        def get_records(iterator: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
            with calls(what):
                answer = self.client(self.service).get_records(
                    ShardIterator=iterator, Limit=min(limit, self.max_records)
                )
            return answer.get("Records", []), answer.get("NextShardIterator")

        return Iterating(
            self.book.start(shard),
            get_iterator=get_iterator,
            get_records=get_records,
            item=lambda record: self.item(shard, record),
        )

    def checkpoint(self, shard: str, sequence: str | None, *, ended: bool = False) -> None:
        self.book.checkpoint(shard, sequence, ended=ended)

    def describe(self) -> tuple[str, list[Shard]]:
        """The stream's identity (see the module docstring) and its shards; sets `arn`."""
        raise NotImplementedError

    def latest(self, shard: Shard) -> dict[str, Any]:
        """The first start's record for an open shard, with starting position LATEST."""
        raise NotImplementedError

    def where(self) -> dict[str, str]:
        """GetShardIterator's argument naming the stream."""
        raise NotImplementedError

    def item(self, shard: str, record: dict[str, Any]) -> Item:
        raise NotImplementedError

    def _warn(self, message: str) -> None:
        log.warning(f"{self.name}: {message}")


def client(service: str, endpoint: Endpoint) -> Any:
    """A boto3 client for `service` at the source's endpoint (None: boto3's own choice,
    which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), with the default
    credential chain; short timeouts and few retries, as the poller retries by itself."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=3,
        read_timeout=20,
        retries={"max_attempts": 2, "mode": "standard"},
    )
    return boto3.session.Session().client(
        service, region_name=endpoint.region, endpoint_url=endpoint.url, config=config
    )


@contextmanager
def calls(what: str) -> Iterator[None]:
    """boto3's errors as a `SourceProblem` naming `what` (one line, no traceback)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or str(exc)
        raise SourceProblem(f"{what}: {code}: {message}", code=code) from None
    except BotoCoreError as exc:  # unreachable endpoint, no credentials...
        raise SourceProblem(f"{what}: {exc}") from None
