"""The local queue poller: a `queue:` source's messages reach its function as SQS's event
source mapping delivers them (spec §7.1-7.2).

- Batches: up to `batch_size` messages, gathered for up to `batching_window` seconds (0: what
  one receive gives), and never more than the 6 MB synchronous payload (a message that would
  pass it goes back to the queue, visible at once, for the next batch).
- Filters: a message no filter matches is deleted without being delivered.
- Outcome: success deletes the batch; a function error (or an invoke refused) deletes
  nothing, so the batch shows again after the visibility timeout and the queue's
  RedrivePolicy moves it to the dead-letter queue past maxReceiveCount (`queues.receive`
  does). With `report_batch_item_failures`, only the messages named in `batchItemFailures`
  stay; a malformed response fails the whole batch.
- FIFO: the store never hands out a message of a group with one in flight, so each group's
  batches go one at a time, in order.
- Scaling: up to `INITIAL_BATCHES` batches at once, one more per `GROW_SECONDS` while every
  batch slot is busy and the last receive came back full, up to `maximum_concurrency` (AWS:
  1,000); the Invoker bounds it further by the function's concurrency.
- Stop: no new receive; batches in flight finish and are settled; a batch still being
  gathered is made visible again. Whatever a killed process held shows again after its
  visibility timeout: at-least-once, never lost.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import queues
from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from ..shapes import sqs
from . import filters, mappings
from .specs import QueueSource

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


class QueuePoller:
    """Polls one local queue for one mapping; `start`, then `stop` (and `join`)."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        source: QueueSource,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.source = source
        self.settings = source.settings
        self.clock = clock
        self.filters = filters.criteria(list(self.settings.filters) or None, "sqs")
        self.cap = self.settings.maximum_concurrency or MAXIMUM_BATCHES
        self.limit = min(INITIAL_BATCHES, self.cap)
        """Batches allowed at once now (grows with the backlog up to `cap`)."""
        self.delivered = 0
        """Messages handed to the function (a redelivery counts again)."""
        self._stop = threading.Event()
        self._slots = threading.Condition()
        self._busy = 0
        self._grown_at = clock()
        self._pool = ThreadPoolExecutor(max_workers=self.cap, thread_name_prefix="queue-batch")
        self._thread = threading.Thread(target=self._run, name=f"queue-{source.queue}", daemon=True)

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
            except LambdactlError as exc:  # the queue was deleted, the store is gone...
                log.warning(f"queue source {self.source.queue}: {exc.message}")
                self._stop.wait(1.0)
                continue
            except Exception:  # a bug: said, and the poller goes on (what it held shows again)
                log.exception(f"queue source {self.source.queue}: receive failed")
                self._stop.wait(1.0)
                continue
            if not batch:
                self._shrink()
                self._stop.wait(IDLE_SECONDS)
                continue
            if self._stop.is_set():
                self._return(batch)
                break
            with self._slots:
                self._busy += 1
                if full and self._busy >= self.limit:
                    self._grow()
            self._pool.submit(self._process, batch)

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
        queue = queues.get(self.project, self.source.queue)
        hide = int(queue.attributes["visibility_timeout"])
        spec = self.project.functions.get(self.source.function)
        timeout = spec.config.timeout if spec is not None else 0
        if self.settings.batching_window + timeout > hide:
            hide = self.settings.batching_window + timeout + VISIBILITY_MARGIN
        return hide

    def _gather(self) -> tuple[list[dict[str, Any]], bool]:
        """One batch of records (the event's), and whether it filled up (a backlog)."""
        size = self.settings.batch_size
        hide = self._hide()
        deadline = self.clock() + self.settings.batching_window
        batch: list[dict[str, Any]] = []
        payload = len(b'{"Records": []}')
        while len(batch) < size:
            if not self._visible():  # a read, where a receive is a write transaction
                taken = []
            else:
                taken = queues.receive(
                    self.project,
                    self.source.queue,
                    max_messages=min(10, size - len(batch)),
                    wait=0,
                    visibility_timeout=hide,
                )
            for message in taken:
                record = self._record(message)
                if not filters.matches(self.filters, record, "sqs"):
                    self._delete(record)
                    continue
                length = len(json.dumps(record)) + 2
                if payload + length > PAYLOAD_LIMIT and batch:
                    self._return([record])  # for the next batch
                    return batch, True
                batch.append(record)
                payload += length
            left = deadline - self.clock()
            if self._stop.is_set() or left <= 0 or (batch and not self.settings.batching_window):
                break
            if not taken:
                self._stop.wait(min(queues.POLL_SECONDS * 2, left))
        return batch, len(batch) >= size

    def _visible(self) -> bool:
        """Whether the queue may have a message to receive now (an idle queue costs a read)."""
        return self.project.store.queue_counts(self.source.queue, time.time())[0] > 0

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        system = message["Attributes"]
        manifest = self.project.manifest
        return sqs.record(
            message["MessageId"],
            message["Body"],
            queue_arn=queues.arn(self.project, self.source.queue),
            receipt_handle=message["ReceiptHandle"],
            sent=int(system["SentTimestamp"]) / 1000,
            sender=system.get("SenderId", manifest.account),
            first_receive=int(system["ApproximateFirstReceiveTimestamp"]) / 1000,
            receive_count=int(system["ApproximateReceiveCount"]),
            attributes=message.get("MessageAttributes"),
            group_id=system.get("MessageGroupId"),
        )

    # -- one batch -----------------------------------------------------------------------------

    def _process(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._settle(batch, self._invoke(batch))
        except Exception:  # a bug must not end the poller: the batch shows again
            log.exception(f"queue source {self.source.queue}: batch not settled")
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
            log.warning(f"queue source {self.source.queue}: {exc.message}")
            return None
        if result.function_error is not None:
            return None
        if not self.settings.report_batch_item_failures:
            return set()
        try:
            return failed_ids(result.payload, {r["messageId"] for r in batch})
        except BatchResponseError as exc:
            log.warning(f"queue source {self.source.queue}: batch failed: {exc}")
            return None

    def _settle(self, batch: list[dict[str, Any]], keep: set[str] | None) -> None:
        outcome = mappings.OK if keep is not None else mappings.FUNCTION_CALL_FAILED
        if keep is not None:
            for record in batch:
                if record["messageId"] not in keep:
                    self._delete(record)
        mappings.record_result(self.project, self.source, outcome)

    def _delete(self, record: dict[str, Any]) -> None:
        try:
            queues.delete_message(self.project, self.source.queue, record["receiptHandle"])
        except LambdactlError:  # received again elsewhere after its timeout: theirs now
            pass

    def _return(self, batch: list[dict[str, Any]]) -> None:
        for record in batch:
            try:
                queues.change_visibility(
                    self.project, self.source.queue, record["receiptHandle"], 0
                )
            except LambdactlError:
                pass
