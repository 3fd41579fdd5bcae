"""The queue poller: a queue's messages reach its function as SQS's event source mapping
delivers them (spec §7.1-7.2). One engine, `QueuePoller`, over a `Backend` that receives,
deletes and releases: `LocalQueue` here (a `queue:` source), `sources.sqs.SqsQueue` (an
`sqs:` source, a real SQS-compatible endpoint).

- Batches: up to `batch_size` messages, gathered for up to `batching_window` seconds (0: what
  one receive gives), and never more than the 6 MB synchronous payload (a message that would
  pass it goes back to the queue, visible at once, for the next batch).
- Filters: a message no filter matches is deleted without being delivered.
- Outcome: success deletes the batch; a function error (or an invoke refused) deletes
  nothing, so the batch shows again after the visibility timeout and the queue's
  RedrivePolicy moves it to the dead-letter queue past maxReceiveCount (the queue's own
  job: `queues.receive` does it for a local queue, SQS for a real one). With
  `report_batch_item_failures`, only the messages named in `batchItemFailures` stay; a
  malformed response fails the whole batch.
- FIFO: the queue never hands out a message of a group with one in flight (the store for a
  local queue, SQS itself for a real one), so each group's batches go one at a time, in order.
- Scaling: up to `INITIAL_BATCHES` batches at once, one more per `GROW_SECONDS` while every
  batch slot is busy and the last receive came back full, up to `maximum_concurrency` (AWS:
  1,000); the Invoker bounds it further by the function's concurrency.
- Stop: no new receive; batches in flight finish and are settled; a batch still being
  gathered is made visible again. Whatever a killed process held shows again after its
  visibility timeout: at-least-once, never lost.
- Trouble (the queue is gone, the endpoint unreachable, credentials refused): the mapping's
  LastProcessingResult says "PROBLEM: ..." and one log line says it (again only when it
  changes); receives are retried with a doubling pause up to `BACKOFF_MAX`, and the first
  that works logs the recovery and puts the last result back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from .. import queues
from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from ..shapes import sqs
from . import filters, mappings
from .specs import QueueSource, SqsSource

log = logging.getLogger("lambdactl")

PAYLOAD_LIMIT = 6 * 1024 * 1024
"""A synchronous invoke's request payload limit: a batch's event stays below it."""
INITIAL_BATCHES = 5
"""Concurrent batches a standard queue starts with (AWS: 5)."""
MAXIMUM_BATCHES = 1000
"""Concurrent batches without `maximum_concurrency` (AWS: 1,000)."""
GROW_SECONDS = 0.2
"""One more concurrent batch at most this often while there is a backlog (AWS: 300/min)."""
IDLE_SECONDS = queues.POLL_SECONDS * 4
"""How long an empty queue is left before the next look (SQLite read, no busy loop)."""
VISIBILITY_MARGIN = 30
"""AWS: when window + timeout passes the visibility timeout, it becomes window + timeout + 30."""
BACKOFF_START = 1.0
"""The first pause after a receive failed (the queue gone, the endpoint down); it doubles."""
BACKOFF_MAX = 8.0
"""The longest pause between two tries of a failing receive."""


class BatchResponseError(Exception):
    """A partial batch response Lambda rejects: the whole batch fails."""


def failed_ids(payload: bytes, ids: set[str]) -> set[str]:
    """The messageIds a ReportBatchItemFailures response names (empty: complete success).

    Complete success: an empty or null response, a response without `batchItemFailures`, or
    an empty or null list. Raises `BatchResponseError` for what AWS takes as a complete
    failure: invalid JSON, an entry with an empty or null `itemIdentifier`, a key other than
    `itemIdentifier`, or an id not in the batch."""
    if not payload.strip():
        return set()
    try:
        response = json.loads(payload)
    except ValueError:
        raise BatchResponseError("invalid JSON") from None
    if not isinstance(response, dict):
        return set()
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        raise BatchResponseError("batchItemFailures is not a list")
    named: set[str] = set()
    for entry in failures:
        if not isinstance(entry, dict) or set(entry) != {"itemIdentifier"}:
            raise BatchResponseError(f"bad entry {entry!r}")
        identifier = entry["itemIdentifier"]
        if not isinstance(identifier, str) or not identifier or identifier not in ids:
            raise BatchResponseError(f"bad itemIdentifier {identifier!r}")
        named.add(identifier)
    return named


class Backend(Protocol):
    """Where a poller's messages are: receive, delete, release. Records are Lambda's (§7.2).
    A failure to reach the queue is a `LambdactlError` (its message says what is wrong)."""

    name: str
    """What log lines call the source (`queue source orders`)."""
    wait: int
    """Seconds one receive may long-poll (0: it returns at once; the engine pauses)."""
    idle: float
    """The pause after a gather found nothing (0: the long poll was the pause)."""

    def visibility_timeout(self) -> int: ...
    def receive(self, count: int, *, hide: int, wait: int) -> list[dict[str, Any]]: ...
    def delete(self, records: Sequence[dict[str, Any]]) -> None: ...
    def release(self, records: Sequence[dict[str, Any]]) -> None: ...


class LocalQueue:
    """A `queue:` source's local queue, in the project's store."""

    wait = 0
    idle = IDLE_SECONDS

    def __init__(self, project: Project, queue: str) -> None:
        self.project = project
        self.queue = queue
        self.name = f"queue source {queue}"

    def visibility_timeout(self) -> int:
        return int(queues.get(self.project, self.queue).attributes["visibility_timeout"])

    def receive(self, count: int, *, hide: int, wait: int) -> list[dict[str, Any]]:
        # A read first: an idle queue costs no write transaction.
        if not self.project.store.queue_counts(self.queue, time.time())[0]:
            return []
        taken = queues.receive(
            self.project, self.queue, max_messages=count, wait=0, visibility_timeout=hide
        )
        return [self._record(message) for message in taken]

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        system = message["Attributes"]
        return sqs.record(
            message["MessageId"],
            message["Body"],
            queue_arn=queues.arn(self.project, self.queue),
            receipt_handle=message["ReceiptHandle"],
            sent=int(system["SentTimestamp"]) / 1000,
            sender=system.get("SenderId", self.project.manifest.account),
            first_receive=int(system["ApproximateFirstReceiveTimestamp"]) / 1000,
            receive_count=int(system["ApproximateReceiveCount"]),
            attributes=message.get("MessageAttributes"),
            group_id=system.get("MessageGroupId"),
        )

    def delete(self, records: Sequence[dict[str, Any]]) -> None:
        for record in records:
            try:
                queues.delete_message(self.project, self.queue, record["receiptHandle"])
            except LambdactlError:  # received again elsewhere after its timeout: theirs now
                pass

    def release(self, records: Sequence[dict[str, Any]]) -> None:
        for record in records:
            try:
                queues.change_visibility(self.project, self.queue, record["receiptHandle"], 0)
            except LambdactlError:
                pass


class QueuePoller:
    """Polls one queue (through its `Backend`) for one mapping; `start`, then `stop` (and
    `join`). Without a backend, the source's local queue."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        source: QueueSource | SqsSource,
        backend: Backend | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.source = source
        if backend is None:
            assert isinstance(source, QueueSource)
            backend = LocalQueue(project, source.queue)
        self.backend = backend
        self.settings = source.settings
        self.clock = clock
        self.filters = filters.criteria(list(self.settings.filters) or None, "sqs")
        self.cap = self.settings.maximum_concurrency or MAXIMUM_BATCHES
        self.limit = min(INITIAL_BATCHES, self.cap)
        """Batches allowed at once now (grows with the backlog up to `cap`)."""
        self.delivered = 0
        """Messages handed to the function (a redelivery counts again)."""
        self.problem: str | None = None
        """What keeps the queue from being read now (None: nothing)."""
        self._before_problem = mappings.NO_RECORDS
        self._backoff = BACKOFF_START
        self._stop = threading.Event()
        self._slots = threading.Condition()
        self._busy = 0
        self._grown_at = clock()
        self._pool = ThreadPoolExecutor(max_workers=self.cap, thread_name_prefix="queue-batch")
        self._thread = threading.Thread(
            target=self._run, name=f"queue-{source.identity}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """No new batch from now on (those in flight go on; see `join`)."""
        self._stop.set()
        with self._slots:
            self._slots.notify_all()

    def join(self) -> None:
        """Wait until the batches in flight are settled."""
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)

    # -- the loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._slots:
                self._slots.wait_for(lambda: self._busy < self.limit or self._stop.is_set())
            if self._stop.is_set():
                break
            try:
                batch, full = self._gather()
            except LambdactlError as exc:  # the queue was deleted, the endpoint is down...
                self._trouble(exc.message)
                continue
            except Exception:  # a bug: said, and the poller goes on (what it held shows again)
                log.exception(f"{self.backend.name}: receive failed")
                self._stop.wait(1.0)
                continue
            self._recovered()
            if not batch:
                self._shrink()
                self._stop.wait(self.backend.idle)
                continue
            if self._stop.is_set():
                self.backend.release(batch)
                break
            with self._slots:
                self._busy += 1
                if full and self._busy >= self.limit:
                    self._grow()
            self._pool.submit(self._process, batch)

    def _trouble(self, message: str) -> None:
        """Say once what is wrong (and in the mapping's state), then pause, longer each time."""
        if message != self.problem:
            log.warning(f"{self.backend.name}: {message} (retrying)")
            try:
                if self.problem is None:
                    state = mappings.current(self.project, self.source)
                    self._before_problem = state.last_processing_result
                mappings.record_result(self.project, self.source, f"PROBLEM: {message}")
            except LambdactlError:  # the store is away too: the log line said it
                pass
            self.problem = message
        self._stop.wait(self._backoff)
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _recovered(self) -> None:
        self._backoff = BACKOFF_START
        if self.problem is not None:
            log.warning(f"{self.backend.name}: reading again")
            self.problem = None
            try:
                mappings.record_result(self.project, self.source, self._before_problem)
            except LambdactlError:
                pass

    def _grow(self) -> None:
        now = self.clock()
        if self.limit < self.cap and now - self._grown_at >= GROW_SECONDS:
            self.limit += 1
            self._grown_at = now

    def _shrink(self) -> None:
        with self._slots:
            self.limit = min(INITIAL_BATCHES, self.cap)

    def _hide(self) -> int:
        """The visibility timeout the poller receives with (see `VISIBILITY_MARGIN`)."""
        hide = self.backend.visibility_timeout()
        spec = self.project.functions.get(self.source.function)
        timeout = spec.config.timeout if spec is not None else 0
        if self.settings.batching_window + timeout > hide:
            hide = self.settings.batching_window + timeout + VISIBILITY_MARGIN
        return hide

    def _gather(self) -> tuple[list[dict[str, Any]], bool]:
        """One batch of records (the event's), and whether it filled up (a backlog). A failed
        receive raises, unless a part of the batch is already held: that part goes out."""
        size, window = self.settings.batch_size, self.settings.batching_window
        hide = self._hide()
        deadline = self.clock() + window
        batch: list[dict[str, Any]] = []
        payload = len(b'{"Records": []}')
        while len(batch) < size:
            left = deadline - self.clock()
            wait = min(self.backend.wait, max(0, int(left))) if window else self.backend.wait
            try:
                taken = self.backend.receive(min(10, size - len(batch)), hide=hide, wait=wait)
            except LambdactlError:
                if not batch:
                    raise
                break
            kept: list[dict[str, Any]] = []
            dropped: list[dict[str, Any]] = []
            for record in taken:
                (kept if filters.matches(self.filters, record, "sqs") else dropped).append(record)
            if dropped:
                self.backend.delete(dropped)
            for n, record in enumerate(kept):
                length = len(json.dumps(record)) + 2
                if payload + length > PAYLOAD_LIMIT and batch:
                    self.backend.release(kept[n:])  # for the next batch
                    return batch, True
                batch.append(record)
                payload += length
            left = deadline - self.clock()
            if self._stop.is_set() or left <= 0 or (batch and not window):
                break
            if not taken and not wait:
                self._stop.wait(min(queues.POLL_SECONDS * 2, left))
        return batch, len(batch) >= size

    # -- one batch -----------------------------------------------------------------------------

    def _process(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._settle(batch, self._invoke(batch))
        except LambdactlError as exc:  # the delete failed: the batch shows again
            log.warning(f"{self.backend.name}: batch not settled: {exc.message}")
        except Exception:  # a bug must not end the poller: the batch shows again
            log.exception(f"{self.backend.name}: batch not settled")
        finally:
            with self._slots:
                self._busy -= 1
                self._slots.notify_all()

    def _invoke(self, batch: list[dict[str, Any]]) -> set[str] | None:
        """The messageIds to keep (None: all of them, the batch failed)."""
        self.delivered += len(batch)
        payload = json.dumps(sqs.event(batch)).encode()
        try:
            result = self.invoker.invoke(self.source.function, payload=payload)
        except LambdactlError as exc:  # throttled, function removed...: as a failed call
            log.warning(f"{self.backend.name}: {exc.message}")
            return None
        if result.function_error is not None:
            return None
        if not self.settings.report_batch_item_failures:
            return set()
        try:
            return failed_ids(result.payload, {r["messageId"] for r in batch})
        except BatchResponseError as exc:
            log.warning(f"{self.backend.name}: batch failed: {exc}")
            return None

    def _settle(self, batch: list[dict[str, Any]], keep: set[str] | None) -> None:
        outcome = mappings.OK if keep is not None else mappings.FUNCTION_CALL_FAILED
        if keep is not None:
            done = [record for record in batch if record["messageId"] not in keep]
            if done:
                self.backend.delete(done)
        mappings.record_result(self.project, self.source, outcome)
