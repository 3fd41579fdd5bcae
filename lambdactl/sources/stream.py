"""The stream poller: a stream's records reach its function as Lambda's Kinesis and DynamoDB
Streams event source mappings deliver them (spec §7.1, §7.3). One engine, over a `Backend`
that lists and reads the shards: the local streams (`LocalShards`, here), a real Kinesis
stream (`sources.kinesis`) or a table's DynamoDB stream (`sources.dynamodb`).

- A supervisor thread asks the backend which shards are ready (a closed shard's children
  only once it is done, see `sources.shards`) and starts one reader thread per shard;
  each shard's records go to the function in sequence order,
  one batch at a time, in batches of up to `batch_size` records gathered for up to
  `batching_window` seconds, and below the 6 MB synchronous payload.
- Start: after the shard's checkpoint, else at the starting position (TRIM_HORIZON, LATEST,
  AT_TIMESTAMP). LATEST is pinned on the first start, so records put while no worker runs
  are still delivered. A checkpoint from a stream since re-created is dropped: the shard
  starts again at the starting position. (How: each backend's `open`.)
- Filters: a record no filter matches is skipped (the checkpoint moves past it).
- Outcome: the checkpoint moves to a batch's last record only after the function returned
  (at-least-once: a killed process re-delivers the batch, never skips it). A function error
  retries the same batch until success, `maximum_retry_attempts` retries, or records older
  than `maximum_record_age`; then the on-failure record (KinesisBatchInfo, not the records)
  goes to the `on_failure` queue and the checkpoint moves past the batch.
- `bisect_on_error`: a failed batch is split in two and the halves retried in order; a split
  "does not count towards the retry quota" (AWS), a failed single record does.
- `report_batch_item_failures` (AWS's rule): the checkpoint moves to just before the lowest
  sequence number reported, and the records from it on are retried (a retry attempt; with
  `bisect_on_error`, a split at that number, which is not); an
  invalid response (bad JSON, empty or null `itemIdentifier`, a bad key, or a sequence
  number not in the batch) fails the whole batch.
- `parallelization_factor` > 1: a batch's records are split by partition key (its hash) into
  up to that many sub-batches invoked at once, so each key's records stay in order; the
  shard's checkpoint moves only once all of them are done (only what is contiguous-done).
- `tumbling_window` W > 0: records fall into windows of W seconds by arrival time (aligned
  on multiples of W); a batch never crosses a window's end. Each invoke carries the window
  (`window`, `state`, `shardId`, `eventSourceARN`, `isFinalInvokeForWindow`,
  `isWindowTerminatedEarly`), `state` being what the function returned last in the window
  (`{}` at first; a response without `state` is a failure, as on AWS). When a later
  window's record comes, the window's end passes, or the shard ends, a final invoke (no
  records, `isFinalInvokeForWindow`) is retried until it succeeds, and only then does the
  checkpoint move past the window: a restart re-delivers an unfinished window from its
  start, so its state is rebuilt whole. A state over 1 MB ends the window early (a final
  invoke with `isWindowTerminatedEarly`) and it goes on with `{}`. With a window, a shard's
  batches are invoked one at a time (`parallelization_factor` is not used).
- Trouble (a stream or table missing, an endpoint unreachable): the mapping's
  LastProcessingResult says it, one log line says it (once until it is over), and the
  reader backs off (1 s doubling to 30 s); one line says when it is over.
- Stop: no new batch; a batch in flight finishes its invoke, and one still retrying is left
  unsettled (it is re-delivered on the next start).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from .. import ids, queues, streams, timestamps
from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from ..shapes import kinesis
from . import filters, mappings
from .filters import SourceKind
from .queue import PAYLOAD_LIMIT, BatchResponseError, failed_ids
from .specs import DynamoDBSource, KinesisSource, StreamSource

log = logging.getLogger("lambdactl")

POLL_SECONDS = 0.25
"""How often an idle shard is read again (AWS polls each shard about 4 times a second)."""
RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0)
"""The wait before each retry of a failed batch (the last one repeats)."""
TROUBLE_SECONDS = (1.0, 30.0)
"""The first wait after trouble reaching the stream, and the longest (it doubles)."""
STATE_LIMIT = 1024 * 1024
"""A tumbling window's state, at most (AWS: 1 MB per shard); larger ends the window early."""
RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"

AnyStreamSource = StreamSource | KinesisSource | DynamoDBSource


@dataclass(frozen=True)
class Item:
    """One record as the engine handles it: where it is, and the event record it becomes."""

    sequence_number: str
    partition_key: str
    """What `parallelization_factor` keeps in order (a DynamoDB record: its item's keys)."""
    arrival: float
    """Approximate arrival (a DynamoDB record: creation) time, epoch seconds."""
    record: dict[str, Any]


@dataclass(frozen=True)
class Fetched:
    items: list[Item]
    ended: bool = False
    """The shard is closed and nothing of it is left after these items."""


class Cursor(Protocol):
    """A position in one shard that moves forward as it is read."""

    def fetch(self, limit: int) -> Fetched:
        """Up to `limit` records after the ones fetched before (none: nothing new yet)."""
        ...


class Backend(Protocol):
    """A stream's shards: which to read, how to read them, and where each one's checkpoint
    is kept. Trouble (the stream gone, the endpoint down) is a `LambdactlError`."""

    kind: SourceKind
    """The records' kind: "kinesis" or "dynamodb" (filters, the on-failure record)."""
    name: str
    """What log lines call the source."""
    list_seconds: float
    """How often `ready` is asked again (at once, too, when a shard is done)."""

    @property
    def arn(self) -> str:
        """The stream's ARN (known once `ready` has answered)."""
        ...

    def ready(self) -> list[str]:
        """The shards to read now: not done, and whose parents are done."""
        ...

    def open(self, shard: str) -> Cursor:
        """A cursor just after the shard's checkpoint, else at the starting position."""
        ...

    def checkpoint(self, shard: str, sequence: str | None, *, ended: bool = False) -> None:
        """`sequence` (when given) is processed; `ended`: the shard is done for good."""
        ...


@dataclass
class Reader:
    """A cursor with the records fetched but not taken yet (those that did not fit a batch)."""

    cursor: Cursor
    held: list[Item] = field(default_factory=list)
    closed: bool = False

    def take(self, limit: int) -> list[Item]:
        if not self.held and not self.closed:
            got = self.cursor.fetch(limit)
            self.held, self.closed = list(got.items), got.ended
        taken, self.held = self.held[:limit], self.held[limit:]
        return taken

    def give_back(self, items: list[Item]) -> None:
        self.held[:0] = items

    @property
    def ended(self) -> bool:
        return self.closed and not self.held


@dataclass
class Window:
    """A shard's open tumbling window: [start, start + length) of arrival times."""

    shard: str
    start: float
    length: int
    state: dict[str, Any] = field(default_factory=dict)
    """What the function returned last in this window (`{}` at first)."""
    last: str | None = None
    """The last sequence number consumed in the window (its checkpoint once it closes)."""
    invoked: bool = False
    final: bool = False
    early: bool = False
    """The state outgrew `STATE_LIMIT`: the window ended early (and goes on, fresh)."""

    @property
    def end(self) -> float:
        return self.start + self.length

    def fields(self, arn: str) -> dict[str, Any]:
        """What a window's invoke adds to the event, beside `Records`."""
        return {
            "window": {"start": _iso_seconds(self.start), "end": _iso_seconds(self.end)},
            "state": self.state,
            "shardId": self.shard,
            "eventSourceARN": arn,
            "isFinalInvokeForWindow": self.final,
            "isWindowTerminatedEarly": self.early,
        }


@dataclass
class Piece:
    """Records of one batch still to deliver (a batch, a half of one, a key's share)."""

    records: list[Item]
    retries: int = 0
    invokes: int = 0
    window: Window | None = None


@dataclass(frozen=True)
class Outcome:
    """One invoke's result: ok, or failed (with the on-failure record's context), or some
    records failed (`failed_from`: the index of the lowest one reported)."""

    ok: bool
    failed_from: int | None = None
    request_id: str = ""
    executed_version: str = "$LATEST"
    function_error: bool = True


class StreamPoller:
    """Reads every shard of one stream for one mapping; `start`, `stop`, `join`."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        source: AnyStreamSource,
        *,
        backend: Backend | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.source = source
        self.settings = source.settings
        self.clock = clock
        self.backend: Backend = backend or LocalShards(project, source)  # type: ignore[arg-type]
        self.filters = filters.criteria(list(self.settings.filters) or None, self.backend.kind)
        self.delivered = 0
        """Records handed to the function (a redelivery counts again)."""
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._problems: set[str] = set()
        self._ready: set[str] = set()
        """The shards the backend listed as ready last time (a reader of one no longer
        listed, as after its stream was made anew, stops)."""
        self._threads: dict[str, threading.Thread] = {}
        self._windows: dict[str, Window] = {}
        """Each shard's open tumbling window."""
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"stream-{self.backend.name}", daemon=True
        )
        factor = max(1, self.settings.parallelization_factor)
        self._pool = (
            ThreadPoolExecutor(max_workers=factor * 4, thread_name_prefix="stream-batch")
            if factor > 1
            else None
        )

    def start(self) -> None:
        self._supervisor.start()

    def stop(self) -> None:
        """No new batch from now on (the invokes in flight finish; see `join`)."""
        self._stop.set()
        self._wake.set()

    def join(self) -> None:
        if self._supervisor.ident is not None:
            self._supervisor.join()
        for thread in list(self._threads.values()):
            thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    # -- shards --------------------------------------------------------------------------------

    def _supervise(self) -> None:
        """Start a reader for each shard the backend says is ready; look again every
        `backend.list_seconds`, or at once when a shard is done (its children may be next)."""
        trouble = 0
        while not self._stop.is_set():
            try:
                ready = self.backend.ready()
                self._ready = set(ready)
                for shard in ready:
                    thread = self._threads.get(shard)
                    if thread is None or not thread.is_alive():
                        self._read(shard)
                self._fine()
                trouble = 0
                wait = self.backend.list_seconds
            except LambdactlError as exc:
                self._trouble(exc.message)
                trouble += 1
                wait = _backoff(trouble)
            except Exception:  # a bug: said, and tried again later
                log.exception(f"{self.backend.name}: listing the shards")
                wait = TROUBLE_SECONDS[1]
            self._wake.wait(wait)
            self._wake.clear()

    def _read(self, shard: str) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            thread = threading.Thread(
                target=self._run, args=(shard,), name=f"{self.backend.name}-{shard}", daemon=True
            )
            self._threads[shard] = thread
            thread.start()

    def _run(self, shard: str) -> None:
        reader: Reader | None = None
        trouble = 0
        while not self._stop.is_set() and shard in self._ready:
            try:
                if reader is None:
                    reader = Reader(self.backend.open(shard))
                    self._windows.pop(shard, None)  # its records are read again
                batch, end, head = self._gather(reader)
                trouble = 0
                self._fine()
                if self.settings.tumbling_window:
                    if not self._tumble(shard, batch, end, head, ended=reader.ended):
                        reader = None  # stopped mid-window: read again from the checkpoint
                        continue
                elif end is not None or reader.ended:
                    if batch and not self._deliver(shard, batch):
                        reader = None  # stopped mid-batch: read again from the checkpoint
                        continue
                    self.backend.checkpoint(shard, end, ended=reader.ended)
                if reader.ended:  # the shard is done: its children may start
                    if self.settings.tumbling_window:
                        self.backend.checkpoint(shard, None, ended=True)
                    self._wake.set()
                    return
                if end is None:
                    self._stop.wait(POLL_SECONDS)
            except LambdactlError as exc:  # the stream was deleted, the endpoint is down...
                self._trouble(exc.message)
                reader = None
                trouble += 1
                self._stop.wait(_backoff(trouble))
            except Exception:  # a bug: said, and the reader goes on from its checkpoint
                log.exception(f"{self.backend.name} {shard}: batch not settled")
                reader = None
                self._stop.wait(1.0)

    def _trouble(self, message: str) -> None:
        """Say it once (until it is over), in the log and the mapping's state."""
        with self._lock:
            if message in self._problems:
                return
            self._problems.add(message)
        log.warning(f"{self.backend.name}: {message}")
        try:
            mappings.record_result(self.project, self.source, mappings.problem(message))
        except LambdactlError:  # the store itself is the trouble: the log line says enough
            pass

    def _fine(self) -> None:
        with self._lock:
            if not self._problems:
                return
            self._problems.clear()
        log.warning(f"{self.backend.name}: reachable again")
        result = mappings.OK if self.delivered else mappings.NO_RECORDS
        mappings.record_result(self.project, self.source, result)

    def _gather(self, reader: Reader) -> tuple[list[Item], str | None, float | None]:
        """A batch: its items, the sequence number of the last record it consumed (matched
        or filtered out; None: nothing new), and (with a tumbling window) the start of the
        window of the records it consumed: a batch never crosses a window's end."""
        size = self.settings.batch_size
        deadline = time.monotonic() + self.settings.batching_window
        batch: list[Item] = []
        end: str | None = None
        head: float | None = None
        payload = len(b'{"Records": []}')
        while len(batch) < size:
            items = reader.take(size - len(batch))
            for index, item in enumerate(items):
                if self.settings.tumbling_window:
                    start = self._window_start(item)
                    if head is not None and start != head:
                        reader.give_back(items[index:])  # the next window's
                        return batch, end, head
                    head = start
                if filters.matches(self.filters, item.record, self.backend.kind):
                    length = len(json.dumps(item.record)) + 2
                    if payload + length > PAYLOAD_LIMIT and batch:
                        reader.give_back(items[index:])  # the rest: the next batch
                        return batch, end, head
                    batch.append(item)
                    payload += length
                end = item.sequence_number
            left = deadline - time.monotonic()
            if reader.ended or self._stop.is_set() or left <= 0:
                break
            if not self.settings.batching_window:
                break
            if not items:
                self._stop.wait(min(POLL_SECONDS, left))
        return batch, end, head

    # -- tumbling windows ----------------------------------------------------------------------

    def _window_start(self, item: Item) -> float:
        """Windows follow the records' arrival times, aligned on multiples of their length."""
        length = self.settings.tumbling_window
        return float(int(item.arrival // length) * length)

    def _tumble(
        self, shard: str, batch: list[Item], end: str | None, head: float | None, *, ended: bool
    ) -> bool:
        """Deliver a batch in its window (see the module docstring); close the shard's open
        window first when the batch is a later window's, when its end has passed with
        nothing new, or when the shard ended. False: stopped first."""
        window = self._windows.get(shard)
        if window is not None and (
            (head is not None and head != window.start)
            or (head is None and (ended or self.clock() >= window.end))
        ):
            if not self._close(window):
                return False
            self._windows.pop(shard, None)
            window = None
        if head is None:
            return True
        if window is None:
            window = self._windows[shard] = Window(shard, head, self.settings.tumbling_window)
        if batch:
            window.invoked = True
            if not self._settle(shard, Piece(batch, window=window), checkpoints=False):
                return False
        window.last = end
        if len(json.dumps(window.state)) > STATE_LIMIT:  # ended early; the window goes on
            window.early = True
            if not self._close(window):
                return False
            self._windows[shard] = Window(shard, window.start, window.length)
        if ended and not self._close(self._windows.pop(shard)):
            return False
        return True

    def _close(self, window: Window) -> bool:
        """The window's final invoke (Records empty, its state, isFinalInvokeForWindow),
        retried until it succeeds (processing pauses meanwhile, as on AWS), then the
        checkpoint moves past the window's records. False: stopped first."""
        window.final = True
        failures = 0
        while window.invoked and not self._invoke(Piece([], window=window)).ok:
            failures += 1
            if self._stop.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1]):
                return False
        if window.last is not None:
            self.backend.checkpoint(window.shard, window.last)
        return True

    # -- one batch -----------------------------------------------------------------------------

    def _deliver(self, shard: str, batch: list[Item]) -> bool:
        """Deliver the batch until each record succeeded or was given up on; False when
        stopped first (nothing after the last checkpoint counts as done)."""
        factor = self.settings.parallelization_factor
        if factor <= 1 or self._pool is None:
            return self._settle(shard, Piece(batch), checkpoints=True)
        shares: dict[int, list[Item]] = {}
        for item in batch:
            key = zlib.crc32(item.partition_key.encode("utf-8", "surrogatepass")) % factor
            shares.setdefault(key, []).append(item)
        futures = [
            self._pool.submit(self._settle, shard, Piece(share), checkpoints=False)
            for share in shares.values()
        ]
        return all([future.result() for future in futures])

    def _settle(self, shard: str, first: Piece, *, checkpoints: bool) -> bool:
        """Invoke, retry, bisect and give up on `first` in order (see the module docstring);
        with `checkpoints`, each settled part moves the shard's checkpoint."""
        pending = [first]
        while pending:
            if self._stop.is_set():
                return False
            piece = pending[0]
            expired = self._expired(piece)
            if expired:
                self._give_up(
                    shard,
                    Piece(piece.records[:expired], piece.retries, piece.invokes),
                    RECORD_AGE_EXCEEDED,
                    None,
                    checkpoints=checkpoints,
                )
                piece.records = piece.records[expired:]
                if not piece.records:
                    pending.pop(0)
                continue
            outcome = self._invoke(piece)
            if not outcome.ok and self._stop.is_set():
                return False  # cut off by a stop: unsettled, not a failure to give up on
            if outcome.ok:
                if checkpoints:
                    self._checkpoint(shard, piece.records[-1])
                pending.pop(0)
                continue
            if outcome.failed_from is not None and outcome.failed_from > 0:
                done, piece.records = (
                    piece.records[: outcome.failed_from],
                    piece.records[outcome.failed_from :],
                )
                if checkpoints:
                    self._checkpoint(shard, done[-1])
                if self.settings.bisect_on_error:  # split at the number reported: not a retry
                    continue
            if self.settings.bisect_on_error and len(piece.records) > 1:
                half = len(piece.records) // 2
                pending[0:1] = [
                    Piece(piece.records[:half], piece.retries, piece.invokes, piece.window),
                    Piece(piece.records[half:], piece.retries, piece.invokes, piece.window),
                ]
                continue
            piece.retries += 1
            limit = self.settings.maximum_retry_attempts
            if limit != -1 and piece.retries > limit:
                self._give_up(
                    shard, piece, RETRY_ATTEMPTS_EXHAUSTED, outcome, checkpoints=checkpoints
                )
                pending.pop(0)
                continue
            self._stop.wait(RETRY_SECONDS[min(piece.retries, len(RETRY_SECONDS)) - 1])
        return True

    def _expired(self, piece: Piece) -> int:
        """How many of the piece's first records are older than `maximum_record_age`."""
        age = self.settings.maximum_record_age
        if age == -1:
            return 0
        oldest = self.clock() - age
        count = 0
        for item in piece.records:
            if item.arrival >= oldest:
                break
            count += 1
        return count

    def _invoke(self, piece: Piece) -> Outcome:
        records = [item.record for item in piece.records]
        self.delivered += len(records)
        piece.invokes += 1
        event = kinesis.event(records)
        if piece.window is not None:
            event.update(piece.window.fields(self.backend.arn))
        payload = json.dumps(event).encode()
        try:
            result = self.invoker.invoke(self.source.function, payload=payload)
        except LambdactlError as exc:  # throttled, function removed, interrupted...: a failure
            log.warning(f"{self.backend.name}: {exc.message}")
            mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
            return Outcome(False, function_error=False)
        failed = Outcome(False, None, result.request_id, result.executed_version)
        if result.function_error is not None:
            mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
            return failed
        if piece.window is not None:
            state = _state(result.payload)
            if state is None:  # AWS: a window's response without `state` is a failure
                log.warning(f"{self.backend.name}: the response has no state for the window")
                mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
                return failed
            piece.window.state = state
        mappings.record_result(self.project, self.source, mappings.OK)
        if not self.settings.report_batch_item_failures or not piece.records:
            return Outcome(True)
        numbers = [item.sequence_number for item in piece.records]
        try:
            named = failed_ids(result.payload, set(numbers))
        except BatchResponseError as exc:
            log.warning(f"{self.backend.name}: batch failed: {exc}")
            return failed
        if not named:
            return Outcome(True)
        lowest = min(numbers.index(number) for number in named)
        return Outcome(False, lowest, result.request_id, result.executed_version)

    def _checkpoint(self, shard: str, item: Item) -> None:
        self.backend.checkpoint(shard, item.sequence_number)

    def _give_up(
        self,
        shard: str,
        piece: Piece,
        condition: str,
        outcome: Outcome | None,
        *,
        checkpoints: bool,
    ) -> None:
        """Send the on-failure record (when the mapping has a destination) and move on."""
        if self.settings.on_failure is not None:
            body = json.dumps(self.failure_record(shard, piece, condition, outcome))
            while True:
                try:
                    queues.send(self.project, self.settings.on_failure, body)
                    break
                except LambdactlError as exc:  # the queue is gone...: try again (never lost)
                    log.warning(f"{self.backend.name}: {exc.message}")
                    if self._stop.wait(1.0):
                        raise
        else:
            log.warning(
                f"{self.backend.name} {shard}: {len(piece.records)} records "
                f"dropped ({condition})"
            )
        if checkpoints:
            self._checkpoint(shard, piece.records[-1])

    def failure_record(
        self, shard: str, piece: Piece, condition: str, outcome: Outcome | None
    ) -> dict[str, Any]:
        """The on-failure destination's record (§7.3): where the batch was, not its records."""
        first, last = piece.records[0], piece.records[-1]
        record: dict[str, Any] = {
            "requestContext": {
                "requestId": (
                    outcome.request_id if outcome and outcome.request_id else ids.uuid4()
                ),
                "functionArn": self.project.arn(self.source.function),
                "condition": condition,
                "approximateInvokeCount": piece.invokes,
            },
        }
        if outcome is not None and condition == RETRY_ATTEMPTS_EXHAUSTED:
            context: dict[str, Any] = {
                "statusCode": 200,
                "executedVersion": outcome.executed_version,
            }
            if outcome.function_error:
                context["functionError"] = "Unhandled"
            record["responseContext"] = context
        record["version"] = "1.0"
        record["timestamp"] = timestamps.iso_millis()
        info = "DDBStreamBatchInfo" if self.backend.kind == "dynamodb" else "KinesisBatchInfo"
        record[info] = {
            "shardId": shard,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": _iso(first.arrival),
            "approximateArrivalOfLastRecord": _iso(last.arrival),
            "batchSize": len(piece.records),
            "streamArn": self.backend.arn,
        }
        return record


class LocalShards:
    """The local streams backend (`lambdactl.streams`): a stream's shards are fixed; the
    checkpoints are the store's stream checkpoints."""

    kind: SourceKind = "kinesis"
    list_seconds = 1.0

    def __init__(self, project: Project, source: StreamSource) -> None:
        self.project = project
        self.source = source
        self.name = f"stream source {source.stream}"
        self.arn = streams.arn(project, source.stream)

    def ready(self) -> list[str]:
        return streams.get(self.project, self.source.stream).shard_ids

    def open(self, shard: str) -> LocalCursor:
        """After the shard's checkpoint (when it is this stream's: one from a stream since
        made again is dropped), else at the starting position (LATEST is checkpointed at once,
        see the module docstring)."""
        project, stream, uuid = self.project, self.source.stream, self.source.uuid
        saved = streams.checkpoint_of(project, uuid, shard)
        if saved:
            try:
                streams.read(project, stream, shard, after=saved, limit=1)  # still valid?
                return LocalCursor(self, shard, saved)
            except streams.InvalidArgumentException as exc:
                if "did not come from this stream" not in exc.message:
                    raise
                project.store.set_checkpoint(uuid, shard, "")  # start over
        settings = self.source.settings
        if settings.starting_position == "LATEST":
            first = streams.read(project, stream, shard, position="LATEST")
            streams.checkpoint(project, uuid, shard, first.next_after)
            return LocalCursor(self, shard, first.next_after)
        if settings.starting_position == "AT_TIMESTAMP":
            stamp = min(settings.starting_position_timestamp or 0.0, time.time())
            first = streams.read(
                project, stream, shard, position="AT_TIMESTAMP", timestamp=stamp, limit=1
            )
        else:
            first = streams.read(project, stream, shard, limit=1)
        if first.records:  # read again from just before it
            return LocalCursor(self, shard, _before(first.records[0].sequence_number))
        return LocalCursor(self, shard, first.next_after)

    def checkpoint(self, shard: str, sequence: str | None, *, ended: bool = False) -> None:
        if sequence is not None:
            streams.checkpoint(self.project, self.source.uuid, shard, sequence)


@dataclass
class LocalCursor:
    shards: LocalShards
    shard: str
    after: str

    def fetch(self, limit: int) -> Fetched:
        got = streams.read(
            self.shards.project, self.shards.source.stream, self.shard, after=self.after,
            limit=limit,
        )
        self.after = got.next_after
        return Fetched([self._item(record) for record in got.records])

    def _item(self, item: streams.StreamRecord) -> Item:
        record = kinesis.record(
            item.data,
            partition_key=item.partition_key,
            sequence_number=item.sequence_number,
            stream_arn=self.shards.arn,
            arrival=datetime.fromtimestamp(item.arrival, timezone.utc),
            shard_id=self.shard,
        )
        return Item(item.sequence_number, item.partition_key, item.arrival, record)


def _backoff(failures: int) -> float:
    first, longest = TROUBLE_SECONDS
    return float(min(first * 2 ** max(failures - 1, 0), longest))


def _state(payload: bytes) -> dict[str, Any] | None:
    """A tumbling window's response's `state` (an object; null: `{}`); None when missing."""
    try:
        response = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(response, dict) or "state" not in response:
        return None
    state = response["state"]
    if state is None:
        return {}
    return state if isinstance(state, dict) else None


def _iso_seconds(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(seconds: float) -> str:
    return timestamps.iso_millis(datetime.fromtimestamp(seconds, timezone.utc))


def _before(sequence: str) -> str:
    """The sequence number just before `sequence` (same stream and shard): reading after it
    reads `sequence` first."""
    head, number = sequence[:21], int(sequence[21:])
    return f"{head}{max(number - 1, 0):035d}"
