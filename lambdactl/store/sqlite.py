"""The embedded default backend: one SQLite file in WAL mode.

Every write runs in `BEGIN IMMEDIATE`, which takes the database's single write lock up front,
so concurrent processes serialize instead of failing halfway through a read-then-write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import ids
from ..errors import StoreError
from .base import AliasWrite, Deletion, Record, Store

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another process's transaction before giving up."""

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
CREATE TABLE IF NOT EXISTS layer_versions (
    layer TEXT NOT NULL,
    number INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (layer, number)
);
"""


class SqliteStore(Store):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)  # idempotent; executescript commits by itself
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open state database {path}: {exc}") from None

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
        self, function: str, name: str, data: Record, *, create: bool, versions: list[int]
    ) -> AliasWrite:
        with self._write() as db:
            exists = db.execute(
                "SELECT 1 FROM aliases WHERE function = ? AND name = ?", (function, name)
            ).fetchone()
            if create and exists:
                return AliasWrite.EXISTS
            if not create and not exists:
                return AliasWrite.MISSING
            for number in versions:
                if not db.execute(
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

    def close(self) -> None:
        self._db.close()
