"""The embedded default backend: one SQLite file in WAL mode.

Every write runs in `BEGIN IMMEDIATE`, which takes the database's single write lock up front,
so concurrent processes serialize instead of failing halfway through a read-then-write.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .. import ids
from ..errors import StoreError
from .base import (
    AliasWrite,
    DeadLetter,
    Deletion,
    FunctionRecords,
    Record,
    Store,
    VisibilityChange,
)

if TYPE_CHECKING:
    from .lifecycle import Event, EventState

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another process's transaction before giving up."""
MAX_INTEGER = 2**63 - 1
"""SQLite's largest INTEGER: a larger version number (a user can type one) names none."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    name TEXT PRIMARY KEY,
    next_version INTEGER NOT NULL DEFAULT 1,
    latest_fingerprint TEXT,
    latest_revision TEXT,
    latest_modified TEXT
);
CREATE TABLE IF NOT EXISTS versions (
    function TEXT NOT NULL,
    number INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, number)
);
CREATE TABLE IF NOT EXISTS aliases (
    function TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, name)
);
CREATE TABLE IF NOT EXISTS alias_targets (
    function TEXT NOT NULL,
    alias TEXT NOT NULL,
    number INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alias_targets_by_version ON alias_targets (function, number);
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    sent REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive REAL,
    receipt TEXT,
    grp TEXT,
    dedup TEXT,
    source TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at);
CREATE INDEX IF NOT EXISTS messages_receipt ON messages (receipt);
CREATE TABLE IF NOT EXISTS dedup (
    queue TEXT NOT NULL,
    dedup TEXT NOT NULL,
    id TEXT NOT NULL,
    sent REAL NOT NULL,
    PRIMARY KEY (queue, dedup)
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at REAL NOT NULL,
    enqueued_at REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_due ON events (state, due_at);
CREATE TABLE IF NOT EXISTS created_functions (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    function TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, key)
);
CREATE TABLE IF NOT EXISTS mappings (
    uuid TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS generations (
    name TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    name TEXT PRIMARY KEY,
    shards INTEGER NOT NULL,
    retention_hours INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_shards (
    stream TEXT NOT NULL,
    shard INTEGER NOT NULL,
    last_number INTEGER NOT NULL DEFAULT 0,
    last_arrival REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (stream, shard)
);
CREATE TABLE IF NOT EXISTS stream_records (
    stream TEXT NOT NULL,
    shard INTEGER NOT NULL,
    number INTEGER NOT NULL,
    partition_key TEXT NOT NULL,
    data BLOB NOT NULL,
    arrival REAL NOT NULL,
    PRIMARY KEY (stream, shard, number)
);
CREATE INDEX IF NOT EXISTS stream_records_arrival ON stream_records (stream, arrival);
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    mapping TEXT NOT NULL,
    shard TEXT NOT NULL,
    sequence TEXT NOT NULL,
    PRIMARY KEY (mapping, shard)
);
CREATE TABLE IF NOT EXISTS shard_checkpoints (
    mapping TEXT NOT NULL,
    shard TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (mapping, shard)
);
CREATE TABLE IF NOT EXISTS layer_versions (
    layer TEXT NOT NULL,
    number INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (layer, number)
);
"""


def connect(
    path: Path, *, schema: str, timeout: float = BUSY_TIMEOUT_MS / 1000
) -> sqlite3.Connection:
    """A connection in WAL mode with `schema` (idempotent DDL) applied.

    Processes that open a new database at the same moment race to switch it to WAL, and
    SQLite answers the losers "locked" at once instead of waiting (it would deadlock), so the
    switch and the schema are retried until `timeout`. A directory that cannot be made is a
    `StoreError` naming it; SQLite's own errors are the caller's to word."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError.from_os(exc, path.parent) from None
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(schema)  # executescript commits by itself
            return db
        except sqlite3.OperationalError as exc:
            contended = "locked" in str(exc) or "busy" in str(exc)
            if not contended or time.monotonic() > deadline:
                db.close()
                raise
            import random  # only when contended

            time.sleep(0.005 + random.random() * 0.02)
        except sqlite3.Error:  # not a database, malformed
            db.close()
            raise


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing, not even a `-wal` or `-shm` file that is not there
    (SQLite creates them for a reader): without a WAL file everything is in the database
    file, read as immutable; with one, read as any reader does. Missing: `sqlite3.Error`."""
    mode = "ro" if path.with_name(path.name + "-wal").exists() else "ro&immutable=1"
    db = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode={mode}",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
    )
    db.execute("PRAGMA query_only = ON")
    return db


def check(path: Path) -> str | None:
    """What is wrong with the existing SQLite database file at `path` (not a database,
    corrupt), by SQLite's quick check, or None. Writes nothing but what closing a database
    does (a checkpoint of its write-ahead log)."""
    try:
        # read-write: a read-only connection would leave -wal and -shm files behind
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        db.close()
    return None if problems == ["ok"] else "; ".join(problems[:3])


class SqliteStore(Store):
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """`read_only`: only reads, creates nothing (for looking, e.g. shell completion)."""
        self.path = path
        self._lock = threading.RLock()
        try:
            self._db = connect_read_only(path) if read_only else connect(path, schema=_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open state database {path}: {exc}") from None
        if not read_only:
            self._add_columns()

    def _add_columns(self) -> None:
        """Columns added since a database was made: `CREATE TABLE IF NOT EXISTS` leaves an
        older table as it was. Looked at first without the write lock (the common case)."""
        added = {"messages": {"source": "TEXT"}}
        for table, columns in added.items():
            if set(columns) <= self._columns(self._db, table):
                continue
            with self._write() as db:
                have = self._columns(db, table)  # another process may have added them
                for column, kind in columns.items():
                    if column not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    @staticmethod
    def _columns(db: sqlite3.Connection, table: str) -> set[str]:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        with self._lock:  # one connection, shared by the threads of this process
            yield from self._transaction(db)

    def _transaction(self, db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"state database {self.path}: {exc}") from None

    def _read(self, sql: str, *args: object) -> list[tuple]:
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"state database {self.path}: {exc}") from None

    # -- functions ----------------------------------------------------------------------------

    def observe_latest(self, function: str, fingerprint: str, now: str) -> tuple[str, str]:
        row = self._read(
            "SELECT latest_fingerprint, latest_revision, latest_modified FROM functions "
            "WHERE name = ?",
            function,
        )
        if row and row[0][0] == fingerprint:
            return row[0][1], row[0][2]
        with self._write() as db:
            self._ensure_function(db, function)
            current = db.execute(
                "SELECT latest_fingerprint, latest_revision, latest_modified FROM functions "
                "WHERE name = ?",
                (function,),
            ).fetchone()
            if current[0] == fingerprint:
                return current[1], current[2]
            revision = ids.uuid4()
            db.execute(
                "UPDATE functions SET latest_fingerprint = ?, latest_revision = ?, "
                "latest_modified = ? WHERE name = ?",
                (fingerprint, revision, now, function),
            )
            return revision, now

    @staticmethod
    def _ensure_function(db: sqlite3.Connection, function: str) -> None:
        db.execute("INSERT OR IGNORE INTO functions (name) VALUES (?)", (function,))

    # -- versions -----------------------------------------------------------------------------

    def add_version(
        self, function: str, fingerprint: str, data: Record
    ) -> tuple[int, Record, bool]:
        with self._write() as db:
            self._ensure_function(db, function)
            newest = db.execute(
                "SELECT number, fingerprint, data FROM versions WHERE function = ? "
                "ORDER BY number DESC LIMIT 1",
                (function,),
            ).fetchone()
            if newest and newest[1] == fingerprint:
                return newest[0], json.loads(newest[2]), False
            (number,) = db.execute(
                "SELECT next_version FROM functions WHERE name = ?", (function,)
            ).fetchone()
            db.execute(
                "INSERT INTO versions (function, number, fingerprint, data) VALUES (?, ?, ?, ?)",
                (function, number, fingerprint, json.dumps(data)),
            )
            db.execute(
                "UPDATE functions SET next_version = ? WHERE name = ?", (number + 1, function)
            )
            return number, data, True

    def get_version(self, function: str, number: int) -> Record | None:
        if number > MAX_INTEGER:
            return None
        rows = self._read(
            "SELECT data FROM versions WHERE function = ? AND number = ?", function, number
        )
        return json.loads(rows[0][0]) if rows else None

    def list_versions(self, function: str) -> list[tuple[int, Record]]:
        rows = self._read(
            "SELECT number, data FROM versions WHERE function = ? ORDER BY number", function
        )
        return [(number, json.loads(data)) for number, data in rows]

    def delete_version(self, function: str, number: int) -> Deletion:
        if number > MAX_INTEGER:
            return Deletion(found=False)
        with self._write() as db:
            found = db.execute(
                "SELECT 1 FROM versions WHERE function = ? AND number = ?", (function, number)
            ).fetchone()
            if not found:
                return Deletion(found=False)
            blockers = db.execute(
                "SELECT DISTINCT alias FROM alias_targets WHERE function = ? AND number = ? "
                "ORDER BY alias",
                (function, number),
            ).fetchall()
            if blockers:
                return Deletion(found=True, blocked_by=tuple(b[0] for b in blockers))
            db.execute("DELETE FROM versions WHERE function = ? AND number = ?", (function, number))
            return Deletion(found=True)

    # -- aliases ------------------------------------------------------------------------------

    def get_alias(self, function: str, name: str) -> Record | None:
        rows = self._read(
            "SELECT data FROM aliases WHERE function = ? AND name = ?", function, name
        )
        return json.loads(rows[0][0]) if rows else None

    def list_aliases(self, function: str) -> list[Record]:
        rows = self._read("SELECT data FROM aliases WHERE function = ? ORDER BY name", function)
        return [json.loads(data) for (data,) in rows]

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
        with self._write() as db:
            exists = db.execute(
                "SELECT data FROM aliases WHERE function = ? AND name = ?", (function, name)
            ).fetchone()
            if create and exists:
                return AliasWrite.EXISTS
            if not create and not exists:
                return AliasWrite.MISSING
            if exists and revision is not None:
                if json.loads(exists[0]).get("revision_id") != revision:
                    return AliasWrite.REVISION_CHANGED
            for number in versions:
                if number > MAX_INTEGER or not db.execute(
                    "SELECT 1 FROM versions WHERE function = ? AND number = ?", (function, number)
                ).fetchone():
                    return AliasWrite.VERSION_MISSING
            db.execute(
                "INSERT OR REPLACE INTO aliases (function, name, data) VALUES (?, ?, ?)",
                (function, name, json.dumps(data)),
            )
            db.execute(
                "DELETE FROM alias_targets WHERE function = ? AND alias = ?", (function, name)
            )
            db.executemany(
                "INSERT INTO alias_targets (function, alias, number) VALUES (?, ?, ?)",
                [(function, name, number) for number in versions],
            )
            return AliasWrite.WRITTEN

    def delete_alias(self, function: str, name: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM aliases WHERE function = ? AND name = ?", (function, name)
            )
            db.execute(
                "DELETE FROM alias_targets WHERE function = ? AND alias = ?", (function, name)
            )
            return cursor.rowcount > 0

    # -- layers -------------------------------------------------------------------------------

    def layer_version(self, layer: str, sha256_hex: str) -> int:
        rows = self._read(
            "SELECT number FROM layer_versions WHERE layer = ? AND sha256 = ?", layer, sha256_hex
        )
        if rows:
            return int(rows[0][0])
        with self._write() as db:
            row = db.execute(
                "SELECT number FROM layer_versions WHERE layer = ? AND sha256 = ?",
                (layer, sha256_hex),
            ).fetchone()
            if row:
                return int(row[0])
            (highest,) = db.execute(
                "SELECT COALESCE(MAX(number), 0) FROM layer_versions WHERE layer = ?", (layer,)
            ).fetchone()
            db.execute(
                "INSERT INTO layer_versions (layer, number, sha256) VALUES (?, ?, ?)",
                (layer, highest + 1, sha256_hex),
            )
            return int(highest + 1)

    # -- created functions and settings ------------------------------------------------------

    def function_records(self, *, since: int | None = None) -> FunctionRecords | None:
        try:
            with self._lock:
                db = self._db
                generation = self._generation(db)  # the common case: one read of one row
                if generation == since:
                    return None
                if generation == 0:  # nothing was ever written (every write moves it on)
                    return FunctionRecords(0, {}, {})
                db.execute("BEGIN")  # one snapshot for the generation and what it covers
                try:
                    return self._function_records(db, since)
                finally:
                    db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # a read-only look at a store made before them
                return None if since == 0 else FunctionRecords(0, {}, {})
            raise StoreError(f"state database {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"state database {self.path}: {exc}") from None

    @staticmethod
    def _generation(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT generation FROM generations WHERE name = 'functions'").fetchone()
        return int(row[0]) if row else 0

    def _function_records(
        self, db: sqlite3.Connection, since: int | None
    ) -> FunctionRecords | None:
        generation = self._generation(db)
        if generation == since:
            return None
        created = {
            name: json.loads(data)
            for name, data in db.execute("SELECT name, data FROM created_functions ORDER BY name")
        }
        settings: dict[str, dict[str, Record]] = {}
        for function, key, data in db.execute(
            "SELECT function, key, data FROM settings ORDER BY function, key"
        ):
            settings.setdefault(function, {})[key] = json.loads(data)
        return FunctionRecords(generation, created, settings)

    @staticmethod
    def _advance(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO generations (name, generation) VALUES ('functions', 1) "
            "ON CONFLICT (name) DO UPDATE SET generation = generation + 1"
        )

    def create_function(self, name: str, data: Record) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO created_functions (name, data) VALUES (?, ?)",
                (name, json.dumps(data)),
            )
            if cursor.rowcount == 0:
                return False
            self._advance(db)
            return True

    def replace_function(self, name: str, data: Record) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE created_functions SET data = ? WHERE name = ?", (json.dumps(data), name)
            )
            if cursor.rowcount == 0:
                return False
            self._advance(db)
            return True

    def delete_function(self, name: str) -> bool:
        with self._write() as db:
            cursor = db.execute("DELETE FROM created_functions WHERE name = ?", (name,))
            for table, column in (
                ("settings", "function"),
                ("versions", "function"),
                ("aliases", "function"),
                ("alias_targets", "function"),
                ("functions", "name"),
            ):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))
            self._advance(db)
            return cursor.rowcount > 0

    def put_setting(self, function: str, key: str, data: Record) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO settings (function, key, data) VALUES (?, ?, ?)",
                (function, key, json.dumps(data)),
            )
            self._advance(db)

    def put_mapping(self, uuid: str, data: Record) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO mappings (uuid, data) VALUES (?, ?)",
                (uuid, json.dumps(data)),
            )

    def get_mapping(self, uuid: str) -> Record | None:
        rows = self._read("SELECT data FROM mappings WHERE uuid = ?", uuid)
        return json.loads(rows[0][0]) if rows else None

    def list_mappings(self) -> list[Record]:
        return [json.loads(data) for (data,) in self._read("SELECT data FROM mappings")]

    def swap_mapping(self, uuid: str, old: Record | None, new: Record | None) -> bool:
        with self._write() as db:
            row = db.execute("SELECT data FROM mappings WHERE uuid = ?", (uuid,)).fetchone()
            if (None if row is None else json.loads(row[0])) != old:
                return False
            if new is None:
                db.execute("DELETE FROM mappings WHERE uuid = ?", (uuid,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO mappings (uuid, data) VALUES (?, ?)",
                    (uuid, json.dumps(new)),
                )
            return True

    def delete_settings(self, function: str, keys: list[str]) -> int:
        if not keys:
            return 0
        with self._write() as db:
            deleted = sum(
                db.execute(
                    "DELETE FROM settings WHERE function = ? AND key = ?", (function, key)
                ).rowcount
                for key in keys
            )
            if deleted:
                self._advance(db)
            return deleted

    # -- recovery ---------------------------------------------------------------------------

    def restore_version(
        self, function: str, number: int, fingerprint: str, data: Record | None
    ) -> bool:
        with self._write() as db:
            self._ensure_function(db, function)
            db.execute(
                "UPDATE functions SET next_version = MAX(next_version, ?) WHERE name = ?",
                (number + 1, function),
            )
            if data is None:
                return False
            cursor = db.execute(
                "INSERT OR IGNORE INTO versions (function, number, fingerprint, data) "
                "VALUES (?, ?, ?, ?)",
                (function, number, fingerprint, json.dumps(data)),
            )
            return cursor.rowcount > 0

    def restore_layer_version(self, layer: str, number: int, sha256_hex: str) -> bool:
        with self._write() as db:
            taken = db.execute(
                "SELECT 1 FROM layer_versions WHERE layer = ? AND (number = ? OR sha256 = ?)",
                (layer, number, sha256_hex),
            ).fetchone()
            if taken:
                return False
            db.execute(
                "INSERT INTO layer_versions (layer, number, sha256) VALUES (?, ?, ?)",
                (layer, number, sha256_hex),
            )
            return True

    # -- queues -------------------------------------------------------------------------------

    def put_queue(self, name: str, attributes: Record, now: float) -> Record:
        with self._write() as db:
            row = db.execute("SELECT created FROM queues WHERE name = ?", (name,)).fetchone()
            created = row[0] if row else now
            db.execute(
                "INSERT OR REPLACE INTO queues (name, attributes, created) VALUES (?, ?, ?)",
                (name, json.dumps(attributes), created),
            )
        return {"name": name, "attributes": attributes, "created": created}

    def get_queue(self, name: str) -> Record | None:
        rows = self._read("SELECT attributes, created FROM queues WHERE name = ?", name)
        if not rows:
            return None
        return {"name": name, "attributes": json.loads(rows[0][0]), "created": rows[0][1]}

    def list_queues(self) -> list[Record]:
        rows = self._read("SELECT name, attributes, created FROM queues ORDER BY name")
        return [{"name": n, "attributes": json.loads(a), "created": c} for n, a, c in rows]

    def delete_queue(self, name: str) -> bool:
        with self._write() as db:
            gone = db.execute("DELETE FROM queues WHERE name = ?", (name,)).rowcount > 0
            db.execute("DELETE FROM messages WHERE queue = ?", (name,))
            db.execute("DELETE FROM dedup WHERE queue = ?", (name,))
            return gone

    def send_message(self, queue: str, message: Record, *, visible_at: float) -> Record:
        with self._write() as db:
            dedup = message.get("dedup")
            if dedup is not None:
                window_start = message["sent"] - message.get("dedup_window", 300)
                db.execute("DELETE FROM dedup WHERE queue = ? AND sent < ?", (queue, window_start))
                seen = db.execute(
                    "SELECT id FROM dedup WHERE queue = ? AND dedup = ?", (queue, dedup)
                ).fetchone()
                if seen:
                    return {**message, "id": seen[0], "duplicate": True}
                db.execute(
                    "INSERT INTO dedup (queue, dedup, id, sent) VALUES (?, ?, ?, ?)",
                    (queue, dedup, message["id"], message["sent"]),
                )
            db.execute(
                "INSERT INTO messages (queue, id, body, attributes, sent, visible_at, grp, dedup) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    queue,
                    message["id"],
                    message["body"],
                    json.dumps(message.get("attributes", {})),
                    message["sent"],
                    visible_at,
                    message.get("group"),
                    dedup,
                ),
            )
            return message

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
        with self._write() as db:
            busy: set[str] = set()
            if fifo:
                busy = {
                    g
                    for (g,) in db.execute(
                        "SELECT DISTINCT grp FROM messages WHERE queue = ? AND visible_at > ? "
                        "AND receive_count > 0",
                        (queue, now),
                    )
                }
            if dead_letter is not None and not db.execute(
                "SELECT 1 FROM queues WHERE name = ?", (dead_letter.queue,)
            ).fetchone():
                dead_letter = None  # its queue is gone: the messages stay where they are
            rows = db.execute(
                "SELECT seq, id, body, attributes, sent, receive_count, first_receive, grp, "
                "source FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY seq",
                (queue, now),
            )
            taken, moving = [], []
            for row in rows:
                if fifo and row[7] in busy:
                    continue
                if dead_letter is not None and row[5] >= dead_letter.max_receive_count:
                    moving.append(row[0])  # one more receive would exceed maxReceiveCount
                    continue
                taken.append(row)
                if len(taken) == limit:
                    break
            for seq in moving:
                assert dead_letter is not None
                self._move(db, seq, dead_letter, now)
            received = []
            for seq, mid, body, attributes, sent, count, first, group, source in taken:
                receipt = ids.hex_id(64)
                first = first if first is not None else now
                db.execute(
                    "UPDATE messages SET visible_at = ?, receive_count = ?, first_receive = ?, "
                    "receipt = ? WHERE seq = ?",
                    (now + visibility_timeout, count + 1, first, receipt, seq),
                )
                message = {
                    "id": mid,
                    "body": body,
                    "attributes": json.loads(attributes),
                    "sent": sent,
                    "receive_count": count + 1,
                    "first_receive": first,
                    "receipt": receipt,
                    "group": group,
                }
                if source is not None:
                    message["dead_letter_source"] = source
                received.append(message)
            return received

    @staticmethod
    def _move(db: sqlite3.Connection, seq: int, dead_letter: DeadLetter, now: float) -> None:
        """Move one message to the dead-letter queue, inside the caller's transaction: a
        new row there (at the end of its order), then the old one gone."""
        sent = "sent" if dead_letter.keep_sent else "?"
        db.execute(
            "INSERT INTO messages (queue, id, body, attributes, sent, visible_at, receive_count, "
            "first_receive, receipt, grp, dedup, source) "
            f"SELECT ?, id, body, attributes, {sent}, ?, receive_count, first_receive, NULL, "
            "grp, dedup, ? FROM messages WHERE seq = ?",
            (
                dead_letter.queue,
                *(() if dead_letter.keep_sent else (now,)),
                now,
                dead_letter.source_arn,
                seq,
            ),
        )
        db.execute("DELETE FROM messages WHERE seq = ?", (seq,))

    def delete_message(self, queue: str, receipt: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM messages WHERE queue = ? AND receipt = ?", (queue, receipt)
            )
            return cursor.rowcount > 0

    def change_visibility(
        self, queue: str, receipt: str, *, now: float, visible_at: float
    ) -> VisibilityChange:
        with self._write() as db:
            row = db.execute(
                "SELECT seq, visible_at FROM messages WHERE queue = ? AND receipt = ?",
                (queue, receipt),
            ).fetchone()
            if row is None:
                return VisibilityChange.UNKNOWN_RECEIPT
            if row[1] <= now:
                return VisibilityChange.NOT_IN_FLIGHT
            db.execute("UPDATE messages SET visible_at = ? WHERE seq = ?", (visible_at, row[0]))
            return VisibilityChange.CHANGED

    def expire_messages(self, queue: str, sent_before: float) -> int:
        rows = self._read(
            "SELECT 1 FROM messages WHERE queue = ? AND sent < ? LIMIT 1", queue, sent_before
        )
        if not rows:  # the common case costs a read, not a write lock
            return 0
        with self._write() as db:
            return db.execute(
                "DELETE FROM messages WHERE queue = ? AND sent < ?", (queue, sent_before)
            ).rowcount

    def purge_queue(self, queue: str) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM messages WHERE queue = ?", (queue,)).rowcount

    def queue_counts(self, queue: str, now: float) -> tuple[int, int]:
        rows = self._read(
            "SELECT SUM(visible_at <= ?), SUM(visible_at > ? AND receive_count > 0) "
            "FROM messages WHERE queue = ?",
            now,
            now,
            queue,
        )
        visible, hidden = rows[0]
        return int(visible or 0), int(hidden or 0)

    def queue_delayed(self, queue: str, now: float) -> int:
        rows = self._read(
            "SELECT count(*) FROM messages WHERE queue = ? AND visible_at > ? "
            "AND receive_count = 0",
            queue,
            now,
        )
        return int(rows[0][0])

    # -- streams ------------------------------------------------------------------------------

    def create_stream(
        self, name: str, *, shards: int, retention_hours: int, created: float
    ) -> bool:
        with self._write() as db:
            if db.execute("SELECT 1 FROM streams WHERE name = ?", (name,)).fetchone():
                return False
            db.execute(
                "INSERT INTO streams (name, shards, retention_hours, created) VALUES (?, ?, ?, ?)",
                (name, shards, retention_hours, created),
            )
            db.executemany(
                "INSERT INTO stream_shards (stream, shard) VALUES (?, ?)",
                [(name, shard) for shard in range(shards)],
            )
            return True

    def get_stream(self, name: str) -> Record | None:
        rows = self._read(
            "SELECT name, shards, retention_hours, created FROM streams WHERE name = ?", name
        )
        return _stream(rows[0]) if rows else None

    def list_streams(self) -> list[Record]:
        rows = self._read(
            "SELECT name, shards, retention_hours, created FROM streams ORDER BY name"
        )
        return [_stream(row) for row in rows]

    def set_stream_retention(self, name: str, retention_hours: int) -> bool:
        with self._write() as db:
            return (
                db.execute(
                    "UPDATE streams SET retention_hours = ? WHERE name = ?", (retention_hours, name)
                ).rowcount
                > 0
            )

    def delete_stream(self, name: str) -> bool:
        with self._write() as db:
            gone = db.execute("DELETE FROM streams WHERE name = ?", (name,)).rowcount > 0
            db.execute("DELETE FROM stream_shards WHERE stream = ?", (name,))
            db.execute("DELETE FROM stream_records WHERE stream = ?", (name,))
            return gone

    def append_records(
        self, stream: str, entries: list[tuple[int, str, bytes]], *, now: float
    ) -> list[tuple[int, float]] | None:
        with self._write() as db:
            shards = {
                shard: [number, arrival]
                for shard, number, arrival in db.execute(
                    "SELECT shard, last_number, last_arrival FROM stream_shards WHERE stream = ?",
                    (stream,),
                )
            }
            if not shards:
                return None
            given = []
            for shard, partition_key, data in entries:
                tip = shards[shard]
                tip[0] += 1
                tip[1] = max(now, tip[1])
                given.append((tip[0], tip[1]))
                db.execute(
                    "INSERT INTO stream_records (stream, shard, number, partition_key, data, "
                    "arrival) VALUES (?, ?, ?, ?, ?, ?)",
                    (stream, shard, tip[0], partition_key, data, tip[1]),
                )
            db.executemany(
                "UPDATE stream_shards SET last_number = ?, last_arrival = ? "
                "WHERE stream = ? AND shard = ?",
                [(number, arrival, stream, shard) for shard, (number, arrival) in shards.items()],
            )
            return given

    def read_records(
        self,
        stream: str,
        shard: int,
        *,
        after: int = 0,
        arrived_since: float | None = None,
        limit: int,
    ) -> list[Record]:
        since = "" if arrived_since is None else " AND arrival >= ?"
        args = () if arrived_since is None else (arrived_since,)
        rows = self._read(
            "SELECT number, partition_key, data, arrival FROM stream_records "
            f"WHERE stream = ? AND shard = ? AND number > ?{since} ORDER BY number LIMIT ?",
            stream,
            shard,
            after,
            *args,
            limit,
        )
        return [
            {"number": n, "partition_key": key, "data": bytes(data), "arrival": arrival}
            for n, key, data, arrival in rows
        ]

    def last_record_number(self, stream: str, shard: int) -> int:
        rows = self._read(
            "SELECT last_number FROM stream_shards WHERE stream = ? AND shard = ?", stream, shard
        )
        return int(rows[0][0]) if rows else 0

    def trim_records(self, stream: str, arrived_before: float) -> int:
        rows = self._read(
            "SELECT 1 FROM stream_records WHERE stream = ? AND arrival < ? LIMIT 1",
            stream,
            arrived_before,
        )
        if not rows:  # the common case costs a read, not a write lock
            return 0
        with self._write() as db:
            return db.execute(
                "DELETE FROM stream_records WHERE stream = ? AND arrival < ?",
                (stream, arrived_before),
            ).rowcount

    # -- checkpoints --------------------------------------------------------------------------

    def set_checkpoint(self, mapping: str, shard: str, sequence: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO stream_checkpoints (mapping, shard, sequence) "
                "VALUES (?, ?, ?)",
                (mapping, shard, sequence),
            )

    def get_checkpoint(self, mapping: str, shard: str) -> str | None:
        rows = self._read(
            "SELECT sequence FROM stream_checkpoints WHERE mapping = ? AND shard = ?",
            mapping,
            shard,
        )
        return str(rows[0][0]) if rows else None

    def list_checkpoints(self, mapping: str) -> dict[str, str]:
        rows = self._read(
            "SELECT shard, sequence FROM stream_checkpoints WHERE mapping = ? ORDER BY shard",
            mapping,
        )
        return {shard: sequence for shard, sequence in rows}

    def delete_checkpoints(self, mapping: str) -> int:
        with self._write() as db:
            return db.execute(
                "DELETE FROM stream_checkpoints WHERE mapping = ?", (mapping,)
            ).rowcount

    # -- shard checkpoints --------------------------------------------------------------------

    def put_shard_checkpoint(self, mapping: str, shard: str, data: Record) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO shard_checkpoints (mapping, shard, data) VALUES (?, ?, ?)",
                (mapping, shard, json.dumps(data)),
            )

    def shard_checkpoints(self, mapping: str) -> dict[str, Record]:
        rows = self._read(
            "SELECT shard, data FROM shard_checkpoints WHERE mapping = ? ORDER BY shard", mapping
        )
        return {shard: json.loads(data) for shard, data in rows}

    def delete_shard_checkpoints(self, mapping: str) -> int:
        with self._write() as db:
            return db.execute(
                "DELETE FROM shard_checkpoints WHERE mapping = ?", (mapping,)
            ).rowcount

    # -- asynchronous events ----------------------------------------------------------------

    def enqueue_event(self, event: Event) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO events (id, function, state, due_at, enqueued_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event.id,
                    event.function,
                    event.state.value,
                    event.due_at,
                    event.enqueued_at,
                    json.dumps(event.data()),
                ),
            )

    def lease_events(self, owner: str, *, now: float, lease: float, limit: int) -> list[Event]:
        ready = self._read(f"SELECT 1 FROM events WHERE {_LEASABLE} LIMIT 1", *_leasable(now))
        if not ready:  # an idle poll costs a read, not the write lock
            return []
        from .lifecycle import lease as leased_by

        with self._write() as db:
            # One query per state, each read in index order: a single query over all four
            # sorts every due event to take the first few (O(backlog) per lease).
            rows = [
                row
                for state, condition in _lease_order()
                for row in db.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM events WHERE state = ? AND {condition} "
                    "ORDER BY due_at LIMIT ?",
                    (state, now, limit),
                )
            ]
            rows.sort(key=lambda row: row[3])  # due_at
            leased = [leased_by(_event(row)) for row in rows[:limit]]
            db.executemany(
                "UPDATE events SET state = ?, lease_owner = ?, lease_until = ? WHERE id = ?",
                [(event.state.value, owner, now + lease, event.id) for event in leased],
            )
            return leased

    def reclaim_leases(self, owner: str) -> int:
        from .lifecycle import release

        with self._write() as db:
            rows = db.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE lease_owner IS NOT NULL "
                "AND lease_owner != ? AND state IN (?, ?)",
                (owner, *_leased()),
            ).fetchall()
            released = [release(_event(row)) for row in rows]
            db.executemany(
                "UPDATE events SET state = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                [(event.state.value, event.id) for event in released],
            )
            return len(released)

    def renew_lease(self, event_id: str, owner: str, *, until: float) -> bool:
        with self._write() as db:
            return (
                db.execute(
                    "UPDATE events SET lease_until = ? WHERE id = ? AND lease_owner = ? "
                    "AND state IN (?, ?)",
                    (until, event_id, owner, *_leased()),
                ).rowcount
                > 0
            )

    def update_event(self, event: Event, owner: str, *, release: bool = True) -> bool:
        lease = "lease_owner = NULL, lease_until = NULL" if release else "lease_owner = lease_owner"
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE events SET state = ?, data = ?, due_at = ?, {lease} "
                "WHERE id = ? AND lease_owner = ? AND state IN (?, ?)",
                (
                    event.state.value,
                    json.dumps(event.data()),
                    event.due_at,
                    event.id,
                    owner,
                    *_leased(),
                ),
            )
            return cursor.rowcount > 0

    def redrive_event(self, event: Event) -> bool:
        from .lifecycle import EventState

        with self._write() as db:
            cursor = db.execute(
                "UPDATE events SET state = ?, due_at = ?, enqueued_at = ?, data = ? "
                "WHERE id = ? AND state = ?",
                (
                    event.state.value,
                    event.due_at,
                    event.enqueued_at,
                    json.dumps(event.data()),
                    event.id,
                    EventState.FAILED.value,
                ),
            )
            return cursor.rowcount > 0

    def get_event(self, event_id: str) -> Event | None:
        rows = self._read(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ?", event_id)
        return _event(rows[0]) if rows else None

    def list_events(
        self, *, function: str | None = None, state: EventState | None = None
    ) -> list[Event]:
        value = None if state is None else state.value
        rows = self._read(
            f"SELECT {_EVENT_COLUMNS} FROM events "
            "WHERE (? IS NULL OR function = ?) AND (? IS NULL OR state = ?) ORDER BY enqueued_at",
            function,
            function,
            value,
            value,
        )
        return [_event(row) for row in rows]

    def count_events(self, states: tuple[EventState, ...]) -> int:
        if not states:
            return 0
        marks = ", ".join("?" * len(states))
        rows = self._read(
            f"SELECT COUNT(*) FROM events WHERE state IN ({marks})", *(s.value for s in states)
        )
        return int(rows[0][0])

    def close(self) -> None:
        with self._lock:  # after any write under way; later calls fail with StoreError
            self._db.close()


_EVENT_COLUMNS = "id, function, state, due_at, enqueued_at, data"
_LEASABLE = (
    "((state IN (?, ?) AND due_at <= ?) "
    "OR (state IN (?, ?) AND (lease_until IS NULL OR lease_until < ?)))"
)
"""Due, or leased by a holder whose lease ran out (or was ended: NULL)."""

# The event lifecycle is imported where events are handled, not with the store: the commands
# that handle none (a synchronous invoke...) do not pay for its classes (~2 ms).


@functools.cache
def _due() -> tuple[str, ...]:
    from .lifecycle import DUE

    return tuple(state.value for state in DUE)


@functools.cache
def _leased() -> tuple[str, ...]:
    from .lifecycle import LEASED

    return tuple(state.value for state in LEASED)


@functools.cache
def _lease_order() -> tuple[tuple[str, str], ...]:
    """The states `lease_events` takes, each with its condition (taking `now`)."""
    due = ((state, "due_at <= ?") for state in _due())
    leased = ((state, "(lease_until IS NULL OR lease_until < ?)") for state in _leased())
    return (*due, *leased)


def _leasable(now: float) -> tuple[object, ...]:
    return (*_due(), now, *_leased(), now)


def _stream(row: tuple) -> Record:
    name, shards, retention_hours, created = row
    return {"name": name, "shards": shards, "retention_hours": retention_hours, "created": created}


def _event(row: tuple) -> Event:
    from .lifecycle import Event

    event_id, function, state, due_at, enqueued_at, data = row
    return Event.stored(event_id, function, state, due_at, enqueued_at, json.loads(data))
