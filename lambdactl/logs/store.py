"""The log store: CloudWatch-style groups, streams and events in `.lambda/logs.db`.

A database of its own (SQLite, WAL), apart from the metadata store, so that writing logs
never holds the lock that publishing, queues and the event queue need. Many processes
write at once (CLI invokes, the worker, serve); each batch is one transaction, so one
invocation's lines are stored together and in order, and event ids grow in commit order,
which is what `follow` relies on.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from ..manifest import LogRetention
from ..store.sqlite import connect
from .lines import LogEvent

FILE_NAME = "logs.db"
EVENT_OVERHEAD_BYTES = 26
"""CloudWatch counts 26 bytes per event on top of its message; so does the size limit."""
DELETE_CHUNK = 5000
"""Rows deleted per transaction by retention, so that writers never wait long."""

KINDS = {"invoke": 0, "init": 1, "other": 2}
"""What produced a line: an invocation (START..REPORT), the init it caused, or neither."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS streams (
    id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
    UNIQUE (grp, name)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, grp INTEGER NOT NULL, stream INTEGER NOT NULL,
    ts INTEGER NOT NULL, ingested INTEGER NOT NULL, request TEXT, kind INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (grp, ts);
CREATE INDEX IF NOT EXISTS events_by_request ON events (request) WHERE request IS NOT NULL;
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class LogEntry:
    """Lines of one stream to append together."""

    group: str
    stream: str
    version: str
    events: Sequence[LogEvent]
    request_id: str | None = None
    kind: str = "invoke"


@dataclass(frozen=True)
class StoredEvent:
    """An event as `filter-log-events` returns it, plus what lambdactl filters on."""

    id: int
    timestamp: int
    ingestion_time: int
    stream: str
    message: str
    request_id: str | None
    kind: str
    group: str


@dataclass(frozen=True)
class Query:
    """Which events of a group to read; None means no bound."""

    since: int | None = None
    until: int | None = None
    request_id: str | None = None
    version: str | None = None
    after_id: int | None = None
    """Only events stored after this one (by id: in commit order, for following)."""
    max_id: int | None = None
    """Only events stored up to this one."""
    kinds: tuple[str, ...] | None = None
    contains: tuple[str, ...] = ()
    """Text each message must contain (case-sensitive)."""
    streams: tuple[str, ...] | None = None
    """Only these streams' events."""
    after: tuple[int, int] | None = None
    """Only events after this (timestamp, id), in time order: where a page ended."""
    before: tuple[int, int] | None = None
    """Only events before this (timestamp, id)."""
    newest_first: bool = False
    """Time order, newest first (not with `after_id`)."""


@dataclass(frozen=True)
class GroupSummary:
    """A log group as DescribeLogGroups describes it."""

    name: str
    stored_bytes: int
    first_event: int | None
    """The oldest stored event's timestamp (ms): when the group began, as far as is kept."""


@dataclass(frozen=True)
class StreamSummary:
    """A log stream as DescribeLogStreams describes it (times in epoch ms)."""

    name: str
    first_event: int
    last_event: int
    first_ingestion: int
    last_ingestion: int
    last_id: int


class LogStore:
    """One connection to the project's log database, shared by threads under a lock.

    A `read` in progress holds a snapshot of the database on this connection: write through
    another `LogStore` (the writer keeps its own) rather than this one while reading."""

    def __init__(self, state_dir: Path, *, create: bool = True) -> None:
        """`create` False opens only a database that is there and set up (FileNotFoundError
        otherwise: a writer may have created the file and not yet its tables)."""
        path = state_dir / FILE_NAME
        if not create and not path.exists():
            raise FileNotFoundError(path)
        self.path = path
        with self._reporting():
            if create:
                self._db = connect(path, schema=_SCHEMA, timeout=30.0)
            else:
                db = sqlite3.connect(
                    path, timeout=30.0, isolation_level=None, check_same_thread=False
                )
                try:
                    ready = db.execute(
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                        "AND name = 'events'"
                    ).fetchone()[0]
                except sqlite3.Error:
                    db.close()
                    raise
                if not ready:
                    db.close()
                    raise FileNotFoundError(path)
                self._db = db
        self._lock = threading.RLock()
        self._ids: dict[tuple[str, ...], int] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _reporting(self) -> Iterator[None]:
        """SQLite's failures as a `StoreError` naming the file (exit 7 at the CLI)."""
        try:
            yield
        except sqlite3.OperationalError as exc:  # locked, read-only, cannot open, disk I/O
            raise StoreError(f"cannot use the log store {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:  # not a database, malformed
            raise StoreError(
                f"the log store {self.path} is damaged: {exc}",
                hint="move it aside; lambdactl makes a new one",
            ) from None

    # -- writing --------------------------------------------------------------------------------

    def append(self, entries: Sequence[LogEntry], *, now: int) -> None:
        """Store `entries` in one transaction, in the order given."""
        rows: list[tuple[int, int, int, int, str | None, int, str]] = []
        added: dict[int, int] = {}
        with self._transaction() as db:
            for entry in entries:
                group = self._group_id(entry.group)
                stream = self._stream_id(group, entry.stream, entry.version)
                kind = KINDS[entry.kind]
                for event in entry.events:
                    row = (group, stream, event.timestamp, now, entry.request_id, kind)
                    rows.append((*row, event.message))
                    size = len(event.message.encode()) + EVENT_OVERHEAD_BYTES
                    added[group] = added.get(group, 0) + size
            db.executemany(
                "INSERT INTO events (grp, stream, ts, ingested, request, kind, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.executemany(
                "UPDATE groups SET bytes = bytes + ? WHERE id = ?",
                [(size, group) for group, size in added.items()],
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (`BEGIN IMMEDIATE`), under this connection's lock."""
        with self._lock, self._reporting():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                self._ids.clear()  # ids created in the rolled-back transaction are gone
                raise
            self._db.execute("COMMIT")

    def _group_id(self, name: str) -> int:
        key = ("g", name)
        if key not in self._ids:
            self._db.execute("INSERT OR IGNORE INTO groups (name) VALUES (?)", (name,))
            (self._ids[key],) = self._db.execute(
                "SELECT id FROM groups WHERE name = ?", (name,)
            ).fetchone()
        return self._ids[key]

    def _stream_id(self, group: int, name: str, version: str) -> int:
        key = ("s", str(group), name)
        if key not in self._ids:
            self._db.execute(
                "INSERT OR IGNORE INTO streams (grp, name, version) VALUES (?, ?, ?)",
                (group, name, version),
            )
            (self._ids[key],) = self._db.execute(
                "SELECT id FROM streams WHERE grp = ? AND name = ?", (group, name)
            ).fetchone()
        return self._ids[key]

    # -- reading --------------------------------------------------------------------------------

    def groups(self) -> dict[str, int]:
        """Every log group and its stored size in bytes."""
        with self._lock, self._reporting():
            return dict(self._db.execute("SELECT name, bytes FROM groups ORDER BY name"))

    def read(
        self, group: str | None, query: Query = Query(), *, batch: int = 2000
    ) -> Iterator[StoredEvent]:
        """The group's events (every group's, for None) that match `query`: by time (then id),
        or by id when following (`after_id` set). Rows are fetched `batch` at a time, so the
        first come at once."""
        sql = (
            "SELECT e.id, e.ts, e.ingested, s.name, e.message, e.request, e.kind, g.name "
            "FROM events e JOIN streams s ON s.id = e.stream JOIN groups g ON g.id = e.grp "
        )
        args: list[object] = []
        if group is None:
            sql += "WHERE 1"
        else:
            # Following reads a range of ids: `+e.grp` keeps SQLite on the id range rather
            # than scanning the whole group through the (group, time) index.
            column = "+e.grp" if query.after_id is not None else "e.grp"
            sql += f"WHERE {column} = (SELECT id FROM groups WHERE name = ?)"
            args.append(group)
        if query.since is not None:
            sql += " AND e.ts >= ?"
            args.append(query.since)
        if query.until is not None:
            sql += " AND e.ts <= ?"
            args.append(query.until)
        if query.request_id is not None:
            sql += " AND e.request = ?"
            args.append(query.request_id)
        if query.version is not None:
            sql += " AND s.version = ?"
            args.append(query.version)
        for text in query.contains:
            sql += " AND instr(e.message, ?) > 0"
            args.append(text)
        if query.streams is not None:
            sql += f" AND s.name IN ({', '.join('?' * len(query.streams))})"
            args.extend(query.streams)
        for bound, operator in ((query.after, ">"), (query.before, "<")):
            if bound is not None:
                sql += f" AND (e.ts {operator} ? OR (e.ts = ? AND e.id {operator} ?))"
                args.extend((bound[0], bound[0], bound[1]))
        if query.max_id is not None:
            sql += " AND e.id <= ?"
            args.append(query.max_id)
        if query.kinds is not None:
            sql += f" AND e.kind IN ({', '.join(str(KINDS[k]) for k in query.kinds)})"
        if query.after_id is not None:
            sql += " AND e.id > ? ORDER BY e.id"
            args.append(query.after_id)
        elif query.newest_first:
            sql += " ORDER BY e.ts DESC, e.id DESC"
        else:
            sql += " ORDER BY e.ts, e.id"
        names = {number: name for name, number in KINDS.items()}
        with self._lock, self._reporting():
            cursor = self._db.execute(sql, args)
            rows = cursor.fetchmany(batch)
        while rows:
            for row in rows:
                event_id, ts, ingested, stream, message, request, kind, name = row
                yield StoredEvent(
                    event_id, ts, ingested, stream, message, request, names[kind], name
                )
            with self._lock, self._reporting():
                rows = cursor.fetchmany(batch)

    def summaries(self) -> list[GroupSummary]:
        """Every log group, by name."""
        with self._lock, self._reporting():
            rows = self._db.execute(
                "SELECT g.name, g.bytes, (SELECT min(ts) FROM events WHERE grp = g.id) "
                "FROM groups g ORDER BY g.name"
            ).fetchall()
        return [GroupSummary(name, size, first) for name, size, first in rows]

    def streams(self, group: str) -> list[StreamSummary] | None:
        """The group's streams that hold events, by name; None when there is no such group."""
        with self._lock, self._reporting():
            row = self._db.execute("SELECT id FROM groups WHERE name = ?", (group,)).fetchone()
            if row is None:
                return None
            rows = self._db.execute(
                "SELECT s.name, min(e.ts), max(e.ts), min(e.ingested), max(e.ingested), "
                "max(e.id) FROM events e JOIN streams s ON s.id = e.stream "
                "WHERE e.grp = ? GROUP BY e.stream ORDER BY s.name",
                (row[0],),
            ).fetchall()
        return [StreamSummary(*columns) for columns in rows]

    def last_id(self) -> int:
        """The newest event's id (0 when there is none): where following starts. Ids are
        never reused (AUTOINCREMENT), and every event up to this one is committed, since
        writers take turns and ids are handed out in that order."""
        with self._lock, self._reporting():
            (value,) = self._db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
            return int(value)

    # -- retention ------------------------------------------------------------------------------

    def claim_retention(self, *, now: int, interval_ms: int) -> bool:
        """True for the one process that should enforce retention now (at most once per
        `interval_ms` across all writers)."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM settings WHERE key = 'retention_at'").fetchone()
            due = row is None or now - row[0] >= interval_ms
            if due:
                db.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('retention_at', ?)",
                    (now,),
                )
        return due

    def enforce_retention(self, limits: Callable[[str], LogRetention], *, now: int) -> int:
        """Delete events older than each group's age limit, then the oldest events of any
        group over its size limit (down to 90% of it). Returns how many were deleted."""
        deleted = 0
        for group, size in self.groups().items():
            limit = limits(group)
            cutoff = now - int(limit.days * 86_400_000)
            while True:
                count, freed = self._delete(
                    group, "ts < ? ORDER BY ts, id LIMIT ?", (cutoff, DELETE_CHUNK)
                )
                deleted += count
                size -= freed
                if count < DELETE_CHUNK:
                    break
            cap = int(limit.max_size_mb * 1024 * 1024)
            if size > cap:
                deleted += self._shrink(group, size - int(cap * 0.9))
        return deleted

    def _shrink(self, group: str, excess: int) -> int:
        """Delete a group's oldest events until `excess` bytes are freed."""
        deleted = 0
        while excess > 0:
            with self._lock:
                rows = self._db.execute(
                    "SELECT e.id, length(CAST(e.message AS BLOB)) FROM events e "
                    "WHERE e.grp = (SELECT id FROM groups WHERE name = ?) "
                    "ORDER BY e.id LIMIT ?",
                    (group, DELETE_CHUNK),
                ).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            freed = 0
            for event_id, size in rows:
                freed += size + EVENT_OVERHEAD_BYTES
                if freed >= excess:
                    last = event_id
                    break
            count, freed = self._delete(group, "id <= ?", (last,))
            deleted += count
            excess -= freed
            if count == 0:
                break
        return deleted

    def _delete(self, group: str, condition: str, args: tuple[int, ...]) -> tuple[int, int]:
        """Delete the group's events matching `condition`: (count, bytes freed)."""
        with self._transaction() as db:
            row = db.execute("SELECT id FROM groups WHERE name = ?", (group,)).fetchone()
            if row is None:
                return 0, 0
            chosen = f"SELECT id FROM events WHERE grp = {int(row[0])} AND {condition}"
            count, freed = db.execute(
                "SELECT count(*), coalesce(sum(length(CAST(message AS BLOB))), 0) "
                f"FROM events WHERE id IN ({chosen})",
                args,
            ).fetchone()
            if count:
                db.execute(f"DELETE FROM events WHERE id IN ({chosen})", args)
                freed += count * EVENT_OVERHEAD_BYTES
                db.execute(
                    "UPDATE groups SET bytes = max(bytes - ?, 0) WHERE id = ?", (freed, row[0])
                )
        return int(count), int(freed)
