"""The metadata storage interface every backend implements.

Records are plain JSON-able dicts that the services above give meaning to, except the
asynchronous events: `lifecycle.Event`s, whose states the store keeps. Each method is atomic
on its own, so the rules that must hold under concurrent processes (version numbers never
reused, no alias to a deleted version) are enforced here and nowhere else.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where events are handled (see sqlite.py)
    from .lifecycle import Event, EventState

Record = dict[str, Any]


@dataclass(frozen=True)
class Deletion:
    """Outcome of `Store.delete_version`: nothing is deleted unless `deleted`."""

    found: bool
    blocked_by: tuple[str, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.found and not self.blocked_by


class AliasWrite(enum.Enum):
    """Outcome of `Store.put_alias`."""

    WRITTEN = "written"
    EXISTS = "exists"
    MISSING = "missing"
    VERSION_MISSING = "version-missing"
    REVISION_CHANGED = "revision-changed"


@dataclass(frozen=True)
class FunctionRecords:
    """What `Store.function_records` read, in one transaction: the functions created through
    the API (name -> record) and every function's run-time settings (function -> key ->
    record), at `generation`."""

    generation: int
    created: dict[str, Record]
    settings: dict[str, dict[str, Record]]


class VisibilityChange(enum.Enum):
    """Outcome of `Store.change_visibility`."""

    CHANGED = "changed"
    NOT_IN_FLIGHT = "not-in-flight"
    """The receipt is the message's latest, but the message is visible again."""
    UNKNOWN_RECEIPT = "unknown-receipt"
    """No message of the queue holds that receipt handle (any more)."""


@dataclass(frozen=True)
class DeadLetter:
    """Where `Store.receive_messages` moves a message it would deliver more than
    `max_receive_count` times (SQS's RedrivePolicy)."""

    queue: str
    max_receive_count: int
    source_arn: str
    """The source queue's ARN: the moved message's DeadLetterQueueSourceArn."""
    keep_sent: bool
    """Standard queues keep the original enqueue time (retention counts from it); FIFO
    queues reset it to the time of the move."""


class Store(ABC):
    """Functions' observed `$LATEST` state, published versions, aliases and layer versions;
    the functions created through the API and the settings changed at run time."""

    @abstractmethod
    def observe_latest(self, function: str, fingerprint: str, now: str) -> tuple[str, str]:
        """Record `$LATEST`'s fingerprint; return its (RevisionId, LastModified).

        Both change only when the fingerprint differs from the one recorded before.
        """

    @abstractmethod
    def add_version(
        self, function: str, fingerprint: str, data: Record
    ) -> tuple[int, Record, bool]:
        """Publish: (number, record, created).

        When the newest existing version has the same fingerprint, return it and create
        nothing. Otherwise take the next number (never reused, not even after deletion).
        """

    @abstractmethod
    def get_version(self, function: str, number: int) -> Record | None: ...

    @abstractmethod
    def list_versions(self, function: str) -> list[tuple[int, Record]]:
        """Existing versions in ascending order."""

    @abstractmethod
    def delete_version(self, function: str, number: int) -> Deletion:
        """Delete unless an alias (primary or routed) points to it."""

    @abstractmethod
    def get_alias(self, function: str, name: str) -> Record | None: ...

    @abstractmethod
    def list_aliases(self, function: str) -> list[Record]:
        """Aliases ordered by name."""

    @abstractmethod
    def put_alias(
        self,
        function: str,
        name: str,
        data: Record,
        *,
        create: bool,
        versions: list[int],
        revision: str | None = None,
    ) -> AliasWrite:
        """Create (must not exist) or replace (must exist) an alias.

        Every number in `versions` must exist at the moment of writing. A replacement given
        `revision` happens only while the stored alias's `revision_id` is still that one
        (REVISION_CHANGED otherwise, nothing written): a compare-and-set.
        """

    @abstractmethod
    def delete_alias(self, function: str, name: str) -> bool:
        """False when there was no such alias."""

    @abstractmethod
    def layer_version(self, layer: str, sha256_hex: str) -> int:
        """The version number of this layer content, registering a new one if unseen."""

    # -- functions created through the API, and run-time settings ----------------------------
    # Records are opaque (`catalog.py` gives them meaning). Every write to them moves the
    # generation on, so a reader learns with one cheap read whether anything changed.

    @abstractmethod
    def function_records(self, *, since: int | None = None) -> FunctionRecords | None:
        """Every created function's record and every setting; None (nothing read) when the
        generation is still `since`. An empty store is at generation 0."""

    @abstractmethod
    def create_function(self, name: str, data: Record) -> bool:
        """Record a function created through the API; False, nothing written, when a record
        of that name exists."""

    @abstractmethod
    def replace_function(self, name: str, data: Record) -> bool:
        """Replace a created function's record; False, nothing written, when there is none."""

    @abstractmethod
    def delete_function(self, name: str) -> bool:
        """Forget `name` at once: its record, settings, published versions, aliases and
        `$LATEST` state (a function made again under that name numbers its versions from 1).
        False when it had no record (a declared function's state is deleted all the same)."""

    @abstractmethod
    def put_setting(self, function: str, key: str, data: Record) -> None:
        """Create or replace `function`'s setting `key`."""

    @abstractmethod
    def delete_settings(self, function: str, keys: list[str]) -> int:
        """Delete those of `function`'s settings; how many there were."""

    # -- event source mappings (the state of each `events:` source, by its uuid) -------------

    @abstractmethod
    def put_mapping(self, uuid: str, data: Record) -> None:
        """Create or replace the state of the event source mapping `uuid`."""

    @abstractmethod
    def get_mapping(self, uuid: str) -> Record | None:
        """The state of mapping `uuid`, or None when none was ever stored."""

    @abstractmethod
    def list_mappings(self) -> list[Record]:
        """Every stored mapping state, in no particular order."""

    @abstractmethod
    def swap_mapping(self, uuid: str, old: Record | None, new: Record | None) -> bool:
        """Compare and set, atomically (across processes): when mapping `uuid`'s stored state
        equals `old` (None: none is stored), replace it with `new` (None: delete it) and say
        True; otherwise change nothing and say False. Whoever read a state and changed it
        (the API, the CLI, the host settling a transition) loses no one else's change."""

    # -- recovery (rebuilding a lost state from `store.ledger` records) -----------------------

    @abstractmethod
    def restore_version(
        self, function: str, number: int, fingerprint: str, data: Record | None
    ) -> bool:
        """Put back version `number` as it was recorded; None `data` for a version recorded
        as deleted, whose number only stays used. Either way the function's next number
        becomes at least `number + 1` (numbers are never reused). False, nothing written,
        when that version exists."""

    @abstractmethod
    def restore_layer_version(self, layer: str, number: int, sha256_hex: str) -> bool:
        """Put back layer version `number` for this content; False, nothing written, when
        the layer already has that number or that content."""

    # -- queues (SQS-like; bodies and attributes are opaque to the store) ----------------------

    @abstractmethod
    def put_queue(self, name: str, attributes: Record, now: float) -> Record:
        """Create the queue, or replace its attributes; returns its record."""

    @abstractmethod
    def get_queue(self, name: str) -> Record | None: ...

    @abstractmethod
    def list_queues(self) -> list[Record]:
        """Queues ordered by name; each record has `name`, `attributes`, `created`."""

    @abstractmethod
    def delete_queue(self, name: str) -> bool:
        """Delete the queue and its messages; False when there was none."""

    @abstractmethod
    def send_message(self, queue: str, message: Record, *, visible_at: float) -> Record:
        """Append a message (`id`, `body`, `attributes`, `sent`, optional `group`/`dedup`).

        A message whose `dedup` id was sent to this queue within `message["dedup_window"]`
        seconds is not added again: the earlier message's record is returned instead.
        """

    @abstractmethod
    def receive_messages(
        self,
        queue: str,
        *,
        limit: int,
        now: float,
        visibility_timeout: float,
        fifo: bool,
        dead_letter: DeadLetter | None = None,
    ) -> list[Record]:
        """Take up to `limit` visible messages, oldest first, hiding each for
        `visibility_timeout` seconds with a new `receipt` and one more `receive_count`.

        With `fifo`, a message group with a message in flight gives none, and at most the
        oldest messages of each group come in order.

        With `dead_letter` (and its queue there), a visible message already received
        `max_receive_count` times is moved to that queue instead of being taken, in the same
        transaction (never lost, never in both): same id, body, attributes, group,
        de-duplication id, receive count and first receive; visible there at once, received
        with `dead_letter_source` (the source's ARN); `sent` kept or reset (`keep_sent`).
        Moved messages do not count towards `limit`.
        """

    @abstractmethod
    def delete_message(self, queue: str, receipt: str) -> bool:
        """False when no message holds that receipt handle (any more)."""

    @abstractmethod
    def change_visibility(
        self, queue: str, receipt: str, *, now: float, visible_at: float
    ) -> VisibilityChange:
        """Make the in-flight message holding `receipt` visible again at `visible_at`;
        nothing changes unless CHANGED."""

    @abstractmethod
    def expire_messages(self, queue: str, sent_before: float) -> int:
        """Delete messages sent before `sent_before` (retention); how many."""

    @abstractmethod
    def purge_queue(self, queue: str) -> int:
        """Delete every message; how many there were."""

    @abstractmethod
    def queue_counts(self, queue: str, now: float) -> tuple[int, int]:
        """(visible, in flight) message counts; a delayed, never received message is neither."""

    @abstractmethod
    def queue_delayed(self, queue: str, now: float) -> int:
        """Messages not yet visible that were never received (sent with a delay)."""

    # -- streams (Kinesis-like; partition keys and data are opaque to the store) -------------
    # A stream has `shards` shards numbered from 0. Each shard numbers its records 1, 2, 3...
    # in the order they were appended, and never reuses a number (not after trimming either);
    # the service above turns (stream, shard, number) into Kinesis's sequence numbers.

    @abstractmethod
    def create_stream(
        self, name: str, *, shards: int, retention_hours: int, created: float
    ) -> bool:
        """Create an empty stream; False, nothing written, when one of that name exists."""

    @abstractmethod
    def get_stream(self, name: str) -> Record | None:
        """The stream's record: `name`, `shards`, `retention_hours`, `created`."""

    @abstractmethod
    def list_streams(self) -> list[Record]:
        """Streams ordered by name (records as `get_stream`'s)."""

    @abstractmethod
    def set_stream_retention(self, name: str, retention_hours: int) -> bool:
        """Change the stream's retention; False when there is no such stream."""

    @abstractmethod
    def delete_stream(self, name: str) -> bool:
        """Delete the stream and its records at once; False when there was none."""

    @abstractmethod
    def append_records(
        self, stream: str, entries: list[tuple[int, str, bytes]], *, now: float
    ) -> list[tuple[int, float]] | None:
        """Append each (shard, partition key, data) entry, all in one transaction: each gets
        its shard's next number, and an arrival time of `now`, or the shard's latest arrival
        when that is later (arrival times never go back within a shard, whatever the clocks
        of the processes appending). Returns (number, arrival) per entry, in order; None,
        nothing written, when the stream does not exist."""

    @abstractmethod
    def read_records(
        self,
        stream: str,
        shard: int,
        *,
        after: int = 0,
        arrived_since: float | None = None,
        limit: int,
    ) -> list[Record]:
        """Up to `limit` of the shard's records numbered above `after` (and, given
        `arrived_since`, arrived at or after it), in order. Each record has `number`,
        `partition_key`, `data` (bytes) and `arrival`. Empty when there is none."""

    @abstractmethod
    def last_record_number(self, stream: str, shard: int) -> int:
        """The number the shard gave last (0 before its first record), trimmed or not."""

    @abstractmethod
    def trim_records(self, stream: str, arrived_before: float) -> int:
        """Delete the stream's records that arrived before `arrived_before` (retention);
        how many."""

    # -- checkpoints (a stream poller's progress: mapping id -> shard -> sequence number) ----

    @abstractmethod
    def set_checkpoint(self, mapping: str, shard: str, sequence: str) -> None:
        """Record `sequence` as the last one processed on `shard` for `mapping`, replacing
        the one before (atomic: a reader sees the old value or the new, never neither)."""

    @abstractmethod
    def get_checkpoint(self, mapping: str, shard: str) -> str | None:
        """The last sequence number processed on `shard` for `mapping`; None before any."""

    @abstractmethod
    def list_checkpoints(self, mapping: str) -> dict[str, str]:
        """Every shard's checkpoint for `mapping` (shard -> sequence number)."""

    @abstractmethod
    def delete_checkpoints(self, mapping: str) -> int:
        """Forget `mapping`'s checkpoints (its mapping is deleted); how many there were."""

    # -- shard checkpoints (a real stream's progress: mapping id -> shard -> record) ----------

    @abstractmethod
    def put_shard_checkpoint(self, mapping: str, shard: str, data: Record) -> None:
        """Replace `mapping`'s record for `shard` of a real (Kinesis, DynamoDB) stream: its
        last processed sequence number and whether the shard is done (atomic, as
        `set_checkpoint`). The records' contents are the poller's."""

    @abstractmethod
    def shard_checkpoints(self, mapping: str) -> dict[str, Record]:
        """Every shard's record for `mapping` (shard -> record); empty before any."""

    @abstractmethod
    def delete_shard_checkpoints(self, mapping: str) -> int:
        """Forget `mapping`'s shard records (its stream was made anew); how many there were."""

    # -- asynchronous events (`lifecycle` records; the store keeps their state) --------------
    # A backend keeps `id`, `function`, `state`, `due_at`, `enqueued_at` and the lease as it
    # likes, and the rest as one JSON object, `Event.data()`, read back by `Event.stored`.

    @abstractmethod
    def enqueue_event(self, event: Event) -> None:
        """Store a new (pending) event. Durable when this returns: the caller may answer 202."""

    @abstractmethod
    def lease_events(self, owner: str, *, now: float, lease: float, limit: int) -> list[Event]:
        """Take up to `limit` events that are due (pending or retrying, `due_at` <= now) or
        whose lease ran out (running or delivering: their holder is gone), oldest due first:
        each becomes leased to `owner` until `now + lease`, in its state after `lifecycle.lease`
        (`previous`: the state it was leased in). Empty when there is none."""

    @abstractmethod
    def reclaim_leases(self, owner: str) -> int:
        """End at once every lease held by anyone but `owner`, each event `lifecycle.release`d:
        an attempt cut off goes back to pending or retrying, due as it was (not counted, as
        when its lease runs out); a delivering event is leased again straight away and what
        is left is delivered. Only for a caller that knows every other holder is dead (the
        holder of the project's worker lock). How many leases ended."""

    @abstractmethod
    def renew_lease(self, event_id: str, owner: str, *, until: float) -> bool:
        """Extend `owner`'s lease (a heartbeat); False if it is no longer theirs."""

    @abstractmethod
    def update_event(self, event: Event, owner: str, *, release: bool = True) -> bool:
        """Record `event` (its state, `due_at` and fields, as a `lifecycle` change made them),
        atomically, only if `owner` still holds its lease (False, nothing written, otherwise);
        the lease is released unless `release` is False."""

    @abstractmethod
    def redrive_event(self, event: Event) -> bool:
        """Record `event`, made pending again by `lifecycle.redrive` (with a new `due_at` and
        `enqueued_at`), only if the stored event is still failed; False otherwise."""

    @abstractmethod
    def get_event(self, event_id: str) -> Event | None: ...

    @abstractmethod
    def list_events(
        self, *, function: str | None = None, state: EventState | None = None
    ) -> list[Event]:
        """Events (only `function`'s, only those in `state`), oldest queued first."""

    @abstractmethod
    def count_events(self, states: tuple[EventState, ...]) -> int:
        """How many events are in any of `states`, without reading them."""

    @abstractmethod
    def close(self) -> None: ...
