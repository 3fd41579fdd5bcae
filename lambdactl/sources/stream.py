"""The local stream poller: a `stream:` source's records reach its function as Lambda's
Kinesis event source mapping delivers them (spec §7.1, §7.3).

- One reader thread per shard; each shard's records go to the function in sequence order,
  one batch at a time, in batches of up to `batch_size` records gathered for up to
  `batching_window` seconds, and below the 6 MB synchronous payload.
- Start: after the shard's checkpoint, else at the starting position (TRIM_HORIZON, LATEST,
  AT_TIMESTAMP). LATEST is pinned (checkpointed) on the first start, so records put while
  no worker runs are still delivered. A checkpoint from a stream since re-created is
  dropped: the shard starts again at the starting position.
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
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import ids, queues, streams, timestamps
from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from ..shapes import kinesis
from . import filters, mappings
from .queue import PAYLOAD_LIMIT, BatchResponseError, failed_ids
from .specs import StreamSource

log = logging.getLogger("lambdactl")

POLL_SECONDS = 0.25
"""How often an idle shard is read again (AWS polls each shard about 4 times a second)."""
RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0)
"""The wait before each retry of a failed batch (the last one repeats)."""
RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass
class Piece:
    """Records of one batch still to deliver (a batch, a half of one, a key's share)."""

    records: list[tuple[streams.StreamRecord, dict[str, Any]]]
    retries: int = 0
    invokes: int = 0


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
    """Reads every shard of one local stream for one mapping; `start`, `stop`, `join`."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        source: StreamSource,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.source = source
        self.settings = source.settings
        self.clock = clock
        self.filters = filters.criteria(list(self.settings.filters) or None, "kinesis")
        self.stream_arn = streams.arn(project, source.stream)
        self.delivered = 0
        """Records handed to the function (a redelivery counts again)."""
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        factor = max(1, self.settings.parallelization_factor)
        self._pool = (
            ThreadPoolExecutor(max_workers=factor * 4, thread_name_prefix="stream-batch")
            if factor > 1
            else None
        )

    def start(self) -> None:
        stream = streams.get(self.project, self.source.stream)  # not there: the host retries
        for shard in stream.shard_ids:
            thread = threading.Thread(
                target=self._run, args=(shard,), name=f"stream-{stream.name}-{shard}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """No new batch from now on (the invokes in flight finish; see `join`)."""
        self._stop.set()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    # -- one shard -----------------------------------------------------------------------------

    def _run(self, shard: str) -> None:
        where = f"stream source {self.source.stream} {shard}"
        cursor: str | None = None
        while not self._stop.is_set():
            try:
                if cursor is None:
                    cursor = self._start(shard)
                batch, end, cursor_after = self._gather(shard, cursor)
                if end is None:
                    cursor = cursor_after
                    self._stop.wait(POLL_SECONDS)
                    continue
                if batch and not self._deliver(shard, batch):
                    cursor = None  # stopped mid-batch: unsettled, read again from the checkpoint
                    continue
                streams.checkpoint(self.project, self.source.uuid, shard, end)
                cursor = end
            except streams.InvalidArgumentException as exc:
                if "did not come from this stream" not in exc.message:
                    log.warning(f"{where}: {exc.message}")
                    self._stop.wait(1.0)
                    continue
                # The stream was deleted and made again: start over at the starting position.
                self.project.store.set_checkpoint(self.source.uuid, shard, "")
                cursor = None
            except LambdactlError as exc:  # the stream was deleted, the store is gone...
                log.warning(f"{where}: {exc.message}")
                cursor = None
                self._stop.wait(1.0)
            except Exception:  # a bug: said, and the reader goes on from its checkpoint
                log.exception(f"{where}: batch not settled")
                cursor = None
                self._stop.wait(1.0)

    def _start(self, shard: str) -> str:
        """Where the shard's next read goes on from: its checkpoint, else the starting
        position (LATEST is checkpointed at once, see the module docstring)."""
        saved = streams.checkpoint_of(self.project, self.source.uuid, shard)
        if saved:
            streams.read(self.project, self.source.stream, shard, after=saved, limit=1)  # valid?
            return saved
        position = self.settings.starting_position
        if position == "LATEST":
            first = streams.read(self.project, self.source.stream, shard, position="LATEST")
            streams.checkpoint(self.project, self.source.uuid, shard, first.next_after)
            return first.next_after
        if position == "AT_TIMESTAMP":
            stamp = min(self.settings.starting_position_timestamp or 0.0, self.clock())
            first = streams.read(
                self.project,
                self.source.stream,
                shard,
                position="AT_TIMESTAMP",
                timestamp=stamp,
                limit=1,
            )
            if first.records:  # read again from just before it
                return _before(first.records[0].sequence_number)
            return first.next_after
        first = streams.read(self.project, self.source.stream, shard, limit=1)
        if first.records:
            return _before(first.records[0].sequence_number)
        return first.next_after

    def _gather(
        self, shard: str, cursor: str
    ) -> tuple[list[tuple[streams.StreamRecord, dict[str, Any]]], str | None, str]:
        """A batch after `cursor`: its (record, event record) pairs, the sequence number of
        the last record it consumed (matched or filtered out; None: nothing new), and where
        to read from when nothing was consumed."""
        size = self.settings.batch_size
        deadline = time.monotonic() + self.settings.batching_window
        batch: list[tuple[streams.StreamRecord, dict[str, Any]]] = []
        end: str | None = None
        payload = len(b'{"Records": []}')
        while len(batch) < size:
            got = streams.read(
                self.project,
                self.source.stream,
                shard,
                after=end or cursor,
                limit=size - len(batch),
            )
            for item in got.records:
                record = kinesis.record(
                    item.data,
                    partition_key=item.partition_key,
                    sequence_number=item.sequence_number,
                    stream_arn=self.stream_arn,
                    arrival=datetime.fromtimestamp(item.arrival, timezone.utc),
                    shard_id=shard,
                )
                if filters.matches(self.filters, record, "kinesis"):
                    length = len(json.dumps(record)) + 2
                    if payload + length > PAYLOAD_LIMIT and batch:
                        return batch, end, cursor  # the rest: the next batch
                    batch.append((item, record))
                    payload += length
                end = item.sequence_number
            if not got.records and end is None:
                cursor = got.next_after
            left = deadline - time.monotonic()
            if self._stop.is_set() or left <= 0 or not self.settings.batching_window:
                break
            if not got.records:
                self._stop.wait(min(POLL_SECONDS, left))
        return batch, end, cursor

    # -- one batch -----------------------------------------------------------------------------

    def _deliver(
        self, shard: str, batch: list[tuple[streams.StreamRecord, dict[str, Any]]]
    ) -> bool:
        """Deliver the batch until each record succeeded or was given up on; False when
        stopped first (nothing after the last checkpoint counts as done)."""
        factor = self.settings.parallelization_factor
        if factor <= 1 or self._pool is None:
            return self._settle(shard, Piece(batch), checkpoints=True)
        shares: dict[int, list[tuple[streams.StreamRecord, dict[str, Any]]]] = {}
        for pair in batch:
            key = zlib.crc32(pair[0].partition_key.encode("utf-8", "surrogatepass")) % factor
            shares.setdefault(key, []).append(pair)
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
                    Piece(piece.records[:half], piece.retries, piece.invokes),
                    Piece(piece.records[half:], piece.retries, piece.invokes),
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
        for item, _record in piece.records:
            if item.arrival >= oldest:
                break
            count += 1
        return count

    def _invoke(self, piece: Piece) -> Outcome:
        records = [record for _item, record in piece.records]
        self.delivered += len(records)
        piece.invokes += 1
        payload = json.dumps(kinesis.event(records)).encode()
        try:
            result = self.invoker.invoke(self.source.function, payload=payload)
        except LambdactlError as exc:  # throttled, function removed, interrupted...: a failure
            log.warning(f"stream source {self.source.stream}: {exc.message}")
            mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
            return Outcome(False, function_error=False)
        failed = Outcome(False, None, result.request_id, result.executed_version)
        if result.function_error is not None:
            mappings.record_result(self.project, self.source, mappings.FUNCTION_CALL_FAILED)
            return failed
        mappings.record_result(self.project, self.source, mappings.OK)
        if not self.settings.report_batch_item_failures:
            return Outcome(True)
        numbers = [item.sequence_number for item, _record in piece.records]
        try:
            named = failed_ids(result.payload, set(numbers))
        except BatchResponseError as exc:
            log.warning(f"stream source {self.source.stream}: batch failed: {exc}")
            return failed
        if not named:
            return Outcome(True)
        lowest = min(numbers.index(number) for number in named)
        return Outcome(False, lowest, result.request_id, result.executed_version)

    def _checkpoint(self, shard: str, pair: tuple[streams.StreamRecord, dict[str, Any]]) -> None:
        streams.checkpoint(self.project, self.source.uuid, shard, pair[0].sequence_number)

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
                    log.warning(f"stream source {self.source.stream}: {exc.message}")
                    if self._stop.wait(1.0):
                        raise
        else:
            log.warning(
                f"stream source {self.source.stream} {shard}: {len(piece.records)} records "
                f"dropped ({condition})"
            )
        if checkpoints:
            self._checkpoint(shard, piece.records[-1])

    def failure_record(
        self, shard: str, piece: Piece, condition: str, outcome: Outcome | None
    ) -> dict[str, Any]:
        """The on-failure destination's record (§7.3): where the batch was, not its records."""
        first, last = piece.records[0][0], piece.records[-1][0]
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
        record["KinesisBatchInfo"] = {
            "shardId": shard,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": _iso(first.arrival),
            "approximateArrivalOfLastRecord": _iso(last.arrival),
            "batchSize": len(piece.records),
            "streamArn": self.stream_arn,
        }
        return record


def _iso(seconds: float) -> str:
    return timestamps.iso_millis(datetime.fromtimestamp(seconds, timezone.utc))


def _before(sequence: str) -> str:
    """The sequence number just before `sequence` (same stream and shard): reading after it
    reads `sequence` first."""
    head, number = sequence[:21], int(sequence[21:])
    return f"{head}{max(number - 1, 0):035d}"
