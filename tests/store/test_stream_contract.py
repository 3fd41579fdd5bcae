"""The `Store` stream contract (Kinesis-like records per shard, and pollers' checkpoints), run
against every backend.

The backends come from tests/store/test_contract.py's `open_store` fixture. Times are explicit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from lambdactl.store import Store
from tests.store import test_contract

open_store = test_contract.open_store
store = test_contract.store

S = "clicks"
T0 = 1_700_000_000.0


def _make(store: Store, name: str = S, shards: int = 2, retention: int = 24) -> None:
    assert store.create_stream(name, shards=shards, retention_hours=retention, created=T0)


def test_create_get_list_streams(store: Store) -> None:
    assert store.get_stream(S) is None
    assert store.list_streams() == []
    _make(store)
    _make(store, "alpha", shards=1, retention=48)
    record = {"name": S, "shards": 2, "retention_hours": 24, "created": T0}
    assert store.get_stream(S) == record
    assert [r["name"] for r in store.list_streams()] == ["alpha", S]


def test_create_stream_is_refused_when_the_name_exists(store: Store) -> None:
    _make(store)
    assert not store.create_stream(S, shards=5, retention_hours=48, created=T0 + 1)
    assert store.get_stream(S) == {"name": S, "shards": 2, "retention_hours": 24, "created": T0}


def test_set_retention(store: Store) -> None:
    assert not store.set_stream_retention(S, 48)
    _make(store)
    assert store.set_stream_retention(S, 48)
    assert store.get_stream(S)["retention_hours"] == 48  # type: ignore[index]


def test_append_numbers_each_shard_from_one(store: Store) -> None:
    _make(store)
    given = store.append_records(S, [(0, "a", b"1"), (1, "b", b"2"), (0, "c", b"3")], now=T0)
    assert given == [(1, T0), (1, T0), (2, T0)]
    assert store.append_records(S, [(1, "d", b"4")], now=T0 + 1) == [(2, T0 + 1)]
    rows = store.read_records(S, 0, limit=10)
    assert rows == [
        {"number": 1, "partition_key": "a", "data": b"1", "arrival": T0},
        {"number": 2, "partition_key": "c", "data": b"3", "arrival": T0},
    ]
    assert [r["number"] for r in store.read_records(S, 1, limit=10)] == [1, 2]
    assert store.last_record_number(S, 0) == 2


def test_append_to_a_missing_stream_writes_nothing(store: Store) -> None:
    assert store.append_records(S, [(0, "a", b"x")], now=T0) is None


def test_arrival_never_goes_back_within_a_shard(store: Store) -> None:
    _make(store)
    store.append_records(S, [(0, "a", b"")], now=T0 + 10)
    assert store.append_records(S, [(0, "b", b""), (1, "c", b"")], now=T0) == [
        (2, T0 + 10),
        (1, T0),
    ]


def test_read_after_a_number_and_since_an_arrival(store: Store) -> None:
    _make(store, shards=1)
    for second in range(5):
        store.append_records(S, [(0, f"k{second}", b"")], now=T0 + second)
    assert [r["number"] for r in store.read_records(S, 0, after=2, limit=10)] == [3, 4, 5]
    assert [r["number"] for r in store.read_records(S, 0, after=2, limit=2)] == [3, 4]
    since = store.read_records(S, 0, arrived_since=T0 + 3, limit=10)
    assert [r["number"] for r in since] == [4, 5]
    assert store.read_records(S, 0, after=5, limit=10) == []


def test_binary_data_round_trips(store: Store) -> None:
    _make(store, shards=1)
    blob = bytes(range(256))
    store.append_records(S, [(0, "k", blob)], now=T0)
    assert store.read_records(S, 0, limit=1)[0]["data"] == blob


def test_trim_keeps_numbers_going(store: Store) -> None:
    _make(store, shards=1)
    store.append_records(S, [(0, "a", b""), (0, "b", b"")], now=T0)
    store.append_records(S, [(0, "c", b"")], now=T0 + 100)
    assert store.trim_records(S, T0 + 50) == 2
    assert store.trim_records(S, T0 + 50) == 0
    assert [r["number"] for r in store.read_records(S, 0, limit=10)] == [3]
    store.trim_records(S, T0 + 1000)
    assert store.read_records(S, 0, limit=10) == []
    assert store.last_record_number(S, 0) == 3
    assert store.append_records(S, [(0, "d", b"")], now=T0 + 1000) == [(4, T0 + 1000)]


def test_delete_stream_drops_records_and_numbers(store: Store) -> None:
    _make(store)
    store.append_records(S, [(0, "a", b"")], now=T0)
    assert store.delete_stream(S)
    assert not store.delete_stream(S)
    assert store.get_stream(S) is None
    _make(store)
    assert store.read_records(S, 0, limit=10) == []
    assert store.append_records(S, [(0, "a", b"")], now=T0) == [(1, T0)]


def test_concurrent_appends_from_two_handles_keep_unique_numbers(
    open_store: Callable[[], Store],
) -> None:
    first, second = open_store(), open_store()
    _make(first, shards=1)

    def put(handle: Store, tag: str) -> None:
        for i in range(50):
            handle.append_records(S, [(0, f"{tag}{i}", b"")], now=T0)

    threads = [threading.Thread(target=put, args=(h, t)) for h, t in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = first.read_records(S, 0, limit=1000)
    assert [r["number"] for r in rows] == list(range(1, 101))
    for tag in "ab":  # each writer's records in the order it wrote them
        mine = [int(r["partition_key"][1:]) for r in rows if r["partition_key"][0] == tag]
        assert mine == list(range(50))


def test_checkpoints(store: Store) -> None:
    assert store.get_checkpoint("m1", "shardId-000000000000") is None
    store.set_checkpoint("m1", "shardId-000000000000", "49100")
    store.set_checkpoint("m1", "shardId-000000000001", "49200")
    store.set_checkpoint("m2", "shardId-000000000000", "49300")
    store.set_checkpoint("m1", "shardId-000000000000", "49101")
    assert store.get_checkpoint("m1", "shardId-000000000000") == "49101"
    assert store.list_checkpoints("m1") == {
        "shardId-000000000000": "49101",
        "shardId-000000000001": "49200",
    }
    assert store.delete_checkpoints("m1") == 2
    assert store.list_checkpoints("m1") == {}
    assert store.get_checkpoint("m2", "shardId-000000000000") == "49300"


def test_checkpoints_are_seen_by_another_handle(open_store: Callable[[], Store]) -> None:
    writer, reader = open_store(), open_store()
    writer.set_checkpoint("m", "shardId-000000000000", "4942")
    assert reader.get_checkpoint("m", "shardId-000000000000") == "4942"


def test_a_read_only_handle_reads_streams(open_store: Callable[..., Store]) -> None:
    writer = open_store()
    _make(writer, shards=1)
    writer.append_records(S, [(0, "a", b"x")], now=T0)
    reader = open_store(read_only=True)
    assert reader.get_stream(S) is not None
    assert reader.read_records(S, 0, limit=5)[0]["data"] == b"x"


def test_an_older_sqlite_database_gains_the_stream_tables(tmp_path: Path) -> None:
    """The schema is idempotent DDL applied at every open: a database made before streams
    existed gets their tables, and keeps what it had."""
    import sqlite3

    from lambdactl.store.sqlite import SqliteStore

    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE queues (name TEXT PRIMARY KEY, attributes TEXT NOT NULL, "
        "created REAL NOT NULL)"
    )
    old.execute("INSERT INTO queues VALUES ('jobs', '{}', 1.0)")
    old.commit()
    old.close()
    store = SqliteStore(path)
    try:
        assert store.get_queue("jobs") == {"name": "jobs", "attributes": {}, "created": 1.0}
        _make(store, shards=1)
        assert store.append_records(S, [(0, "k", b"")], now=T0) == [(1, T0)]
        store.set_checkpoint("m", "shardId-000000000000", "49")
    finally:
        store.close()


def test_shard_checkpoints(store: Store, open_store: Callable[[], Store]) -> None:
    assert store.shard_checkpoints("m1") == {}
    store.put_shard_checkpoint("m1", "", {"stream": "arn:1"})
    store.put_shard_checkpoint("m1", "shardId-1", {"sequence": "10", "ended": False})
    store.put_shard_checkpoint("m2", "shardId-1", {"sequence": "99"})
    store.put_shard_checkpoint("m1", "shardId-1", {"sequence": "12", "ended": True})
    assert open_store().shard_checkpoints("m1") == {
        "": {"stream": "arn:1"},
        "shardId-1": {"sequence": "12", "ended": True},
    }
    assert store.delete_shard_checkpoints("m1") == 2
    assert store.shard_checkpoints("m1") == {}
    assert store.shard_checkpoints("m2") == {"shardId-1": {"sequence": "99"}}
