"""The log store (`lambdactl.logs.store`) on real SQLite files: round trips, every query
filter, many processes writing at once, ids that are never reused, retention by age and by
size, and a writer killed with SIGKILL right after a commit."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from lambdactl.logs.lines import LogEvent
from lambdactl.logs.store import EVENT_OVERHEAD_BYTES, LogEntry, LogStore, Query, StoredEvent
from lambdactl.manifest import LogRetention

GROUP = "/aws/lambda/fn"
OTHER = "/aws/lambda/other"
STREAM = "2024/05/01/[1]0123456789abcdef0123456789abcdef"
LATEST_STREAM = "2024/05/01/[$LATEST]fedcba9876543210fedcba9876543210"
DAY_MS = 86_400_000
T0 = 1_700_000_000_000
"""A fixed "now" for retention (ms since the epoch)."""


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / ".lambda"


@pytest.fixture
def store(state: Path) -> Iterator[LogStore]:
    opened = LogStore(state)
    try:
        yield opened
    finally:
        opened.close()


def entry(
    events: Sequence[tuple[int, str]],
    *,
    group: str = GROUP,
    stream: str = STREAM,
    version: str = "1",
    request_id: str | None = None,
    kind: str = "invoke",
) -> LogEntry:
    return LogEntry(group, stream, version, [LogEvent(ts, m) for ts, m in events], request_id, kind)


def messages(events: Iterator[StoredEvent] | list[StoredEvent]) -> list[str]:
    return [event.message for event in events]


def stored_bytes(events: list[StoredEvent]) -> int:
    return sum(len(event.message.encode("utf-8")) + EVENT_OVERHEAD_BYTES for event in events)


# -- round trip -----------------------------------------------------------------------------------


def test_round_trip_keeps_every_field_exactly(store: LogStore) -> None:
    odd = [
        "",
        "tab\there",
        "carriage\rreturn",
        "crlf\r\n",
        "naïve ünïcödé – 日本語 😀",
        "nul\x00byte",
    ]
    store.append(
        [
            entry([(1000 + i, m) for i, m in enumerate(odd)], request_id="req-1"),
            entry([(2000, "init line")], request_id="req-1", kind="init"),
            entry([(3000, "stray")], stream=LATEST_STREAM, version="$LATEST", kind="other"),
        ],
        now=5555,
    )
    events = list(store.read(GROUP))
    assert messages(events) == [*odd, "init line", "stray"]
    assert [e.timestamp for e in events] == [1000, 1001, 1002, 1003, 1004, 1005, 2000, 3000]
    assert {e.ingestion_time for e in events} == {5555}
    assert [e.stream for e in events] == [STREAM] * 7 + [LATEST_STREAM]
    assert [e.request_id for e in events] == ["req-1"] * 7 + [None]
    assert [e.kind for e in events] == ["invoke"] * 6 + ["init", "other"]
    assert [e.id for e in events] == list(range(1, 9))
    assert store.last_id() == 8
    assert store.groups() == {GROUP: stored_bytes(events)}


def test_read_orders_by_timestamp_then_id_and_keeps_entries_together(store: LogStore) -> None:
    store.append([entry([(300, "late-a"), (300, "late-b")], request_id="late")], now=1)
    store.append(
        [
            entry([(100, "early-1"), (100, "early-2"), (100, "early-3")], request_id="a"),
            entry([(100, "same-1"), (100, "same-2")], request_id="b"),
            entry([(200, "middle")], request_id="c"),
        ],
        now=2,
    )
    assert messages(store.read(GROUP)) == [
        "early-1",
        "early-2",
        "early-3",
        "same-1",
        "same-2",
        "middle",
        "late-a",
        "late-b",
    ]
    by_request: dict[str | None, list[int]] = defaultdict(list)
    for event in store.read(GROUP):
        by_request[event.request_id].append(event.id)
    for ids in by_request.values():
        assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_groups_are_kept_apart_and_sized(store: LogStore) -> None:
    store.append(
        [entry([(1, "one"), (2, "二")]), entry([(1, "x" * 100)], group=OTHER)],
        now=1,
    )
    assert messages(store.read(GROUP)) == ["one", "二"]
    assert messages(store.read(OTHER)) == ["x" * 100]
    assert store.groups() == {
        GROUP: 3 + 3 + 2 * EVENT_OVERHEAD_BYTES,
        OTHER: 100 + EVENT_OVERHEAD_BYTES,
    }


def test_empty_append_changes_nothing(store: LogStore) -> None:
    store.append([], now=1)
    assert store.last_id() == 0
    assert store.groups() == {}


def test_reads_in_small_batches_return_everything(store: LogStore) -> None:
    store.append([entry([(i, f"line {i}") for i in range(25)])], now=1)
    assert messages(store.read(GROUP, batch=4)) == [f"line {i}" for i in range(25)]


# -- query filters --------------------------------------------------------------------------------


@pytest.fixture
def filled(store: LogStore) -> LogStore:
    """Ids 1-7 in one group, timestamps not in id order, two versions, three kinds."""
    store.append(
        [
            entry([(500, "v1 r1 start"), (510, "v1 r1 end")], request_id="r1"),  # 1, 2
            entry([(400, "v1 r2 init")], request_id="r2", kind="init"),  # 3
            entry([(450, "v1 r2 start")], request_id="r2"),  # 4
        ],
        now=1,
    )
    store.append(
        [
            entry([(100, "latest stray")], stream=LATEST_STREAM, version="$LATEST", kind="other"),
            entry(
                [(600, "latest r3 a"), (600, "latest r3 b")],
                stream=LATEST_STREAM,
                version="$LATEST",
                request_id="r3",
            ),  # 6, 7
        ],
        now=2,
    )
    store.append([entry([(450, "elsewhere")], group=OTHER, request_id="r1")], now=3)  # 8
    return store


def test_since_and_until_are_inclusive(filled: LogStore) -> None:
    assert messages(filled.read(GROUP, Query(since=450))) == [
        "v1 r2 start",
        "v1 r1 start",
        "v1 r1 end",
        "latest r3 a",
        "latest r3 b",
    ]
    assert messages(filled.read(GROUP, Query(until=450))) == [
        "latest stray",
        "v1 r2 init",
        "v1 r2 start",
    ]
    assert messages(filled.read(GROUP, Query(since=450, until=510))) == [
        "v1 r2 start",
        "v1 r1 start",
        "v1 r1 end",
    ]
    assert messages(filled.read(GROUP, Query(since=600, until=600))) == [
        "latest r3 a",
        "latest r3 b",
    ]
    assert list(filled.read(GROUP, Query(since=511, until=599))) == []


def test_request_id_filter(filled: LogStore) -> None:
    assert messages(filled.read(GROUP, Query(request_id="r2"))) == ["v1 r2 init", "v1 r2 start"]
    assert messages(filled.read(GROUP, Query(request_id="r1"))) == ["v1 r1 start", "v1 r1 end"]
    assert messages(filled.read(OTHER, Query(request_id="r1"))) == ["elsewhere"]
    assert list(filled.read(GROUP, Query(request_id="nope"))) == []


def test_version_filter_uses_the_streams_version(filled: LogStore) -> None:
    assert messages(filled.read(GROUP, Query(version="$LATEST"))) == [
        "latest stray",
        "latest r3 a",
        "latest r3 b",
    ]
    assert messages(filled.read(GROUP, Query(version="1"))) == [
        "v1 r2 init",
        "v1 r2 start",
        "v1 r1 start",
        "v1 r1 end",
    ]
    assert list(filled.read(GROUP, Query(version="2"))) == []


def test_kinds_filter(filled: LogStore) -> None:
    assert messages(filled.read(GROUP, Query(kinds=("init",)))) == ["v1 r2 init"]
    assert messages(filled.read(GROUP, Query(kinds=("other",)))) == ["latest stray"]
    assert messages(filled.read(GROUP, Query(kinds=("invoke", "init"), request_id="r2"))) == [
        "v1 r2 init",
        "v1 r2 start",
    ]
    assert len(list(filled.read(GROUP, Query(kinds=("invoke", "init", "other"))))) == 7
    assert list(filled.read(GROUP, Query(kinds=()))) == []


def test_streams_filter(filled: LogStore) -> None:
    assert messages(filled.read(GROUP, Query(streams=(LATEST_STREAM,)))) == [
        "latest stray",
        "latest r3 a",
        "latest r3 b",
    ]
    assert len(list(filled.read(GROUP, Query(streams=(STREAM, LATEST_STREAM))))) == 7
    assert list(filled.read(GROUP, Query(streams=()))) == []
    assert list(filled.read(GROUP, Query(streams=("nope",)))) == []


def test_after_and_before_a_position_in_time_order(filled: LogStore) -> None:
    every = list(filled.read(GROUP))
    assert messages(filled.read(GROUP, Query(after=(450, 4)))) == [
        "v1 r1 start",
        "v1 r1 end",
        "latest r3 a",
        "latest r3 b",
    ]
    assert messages(filled.read(GROUP, Query(after=(600, 6)))) == ["latest r3 b"]
    assert messages(filled.read(GROUP, Query(before=(450, 4)))) == ["latest stray", "v1 r2 init"]
    newest = list(filled.read(GROUP, Query(newest_first=True)))
    assert newest == every[::-1]
    back = filled.read(GROUP, Query(before=(600, 7), newest_first=True))
    assert messages(back)[:2] == ["latest r3 a", "v1 r1 end"]
    assert list(filled.read(GROUP, Query(after=(600, 7)))) == []


def test_summaries_of_groups_and_streams(filled: LogStore) -> None:
    groups = filled.summaries()
    assert [(g.name, g.first_event) for g in groups] == [(GROUP, 100), (OTHER, 450)]
    assert groups[0].stored_bytes == filled.groups()[GROUP]
    streams = filled.streams(GROUP)
    assert streams is not None
    assert [(s.name, s.first_event, s.last_event) for s in streams] == [  # by name
        (LATEST_STREAM, 100, 600),
        (STREAM, 400, 510),
    ]
    assert [(s.first_ingestion, s.last_ingestion, s.last_id) for s in streams] == [
        (2, 2, 7),
        (1, 1, 4),
    ]
    assert filled.streams("/aws/lambda/none") is None


def test_after_id_and_max_id_select_an_id_range_in_commit_order(filled: LogStore) -> None:
    after = list(filled.read(GROUP, Query(after_id=3)))
    assert [e.id for e in after] == [4, 5, 6, 7]  # by id, although 5 is the earliest
    assert messages(after) == ["v1 r2 start", "latest stray", "latest r3 a", "latest r3 b"]
    ranged = list(filled.read(GROUP, Query(after_id=2, max_id=5)))
    assert [e.id for e in ranged] == [3, 4, 5]
    assert [e.id for e in filled.read(GROUP, Query(max_id=4))] == [3, 4, 1, 2]  # by time
    assert list(filled.read(GROUP, Query(after_id=7))) == []
    assert list(filled.read(GROUP, Query(after_id=4, max_id=4))) == []
    assert [e.id for e in filled.read(OTHER, Query(after_id=0))] == [8]
    assert filled.last_id() == 8


def test_filters_combine(filled: LogStore) -> None:
    query = Query(since=450, version="1", kinds=("invoke",), max_id=2, after_id=1)
    assert messages(filled.read(GROUP, query)) == ["v1 r1 end"]


def test_unknown_group_yields_nothing(filled: LogStore) -> None:
    assert list(filled.read("/aws/lambda/missing")) == []
    assert list(filled.read("/aws/lambda/missing", Query(after_id=0))) == []


def test_create_false_needs_an_existing_database(state: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LogStore(state, create=False)
    assert not state.exists()
    created = LogStore(state)
    try:
        created.append([entry([(1, "kept")])], now=1)
    finally:
        created.close()
    reopened = LogStore(state, create=False)
    try:
        assert messages(reopened.read(GROUP)) == ["kept"]
    finally:
        reopened.close()


# -- many processes at once -----------------------------------------------------------------------

WRITER = """
import sys, time
from pathlib import Path
from lambdactl.logs.lines import LogEvent
from lambdactl.logs.store import LogEntry, LogStore

state, worker, go = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
batches, lines = int(sys.argv[4]), int(sys.argv[5])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
store = LogStore(state)
try:
    for b in range(batches):
        events = [LogEvent(1000 + b, f"w{worker} b{b} l{n}") for n in range(lines)]
        entry = LogEntry("/aws/lambda/fn", f"stream-{worker}", "1", events, f"w{worker}-b{b}")
        store.append([entry], now=b)
finally:
    store.close()
"""


def test_concurrent_processes_lose_and_interleave_nothing(tmp_path: Path, state: Path) -> None:
    workers, batches, lines = 4, 200, 5
    go = tmp_path / "go"
    LogStore(state).close()  # created first: opening a new database at once is tested below
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(state), str(w), str(go), str(batches), str(lines)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    try:
        for proc in procs:  # every writer is up before any starts: they really overlap
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        go.touch()
        for proc in procs:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    reader = LogStore(state, create=False)
    try:
        events = list(reader.read(GROUP))
        total = workers * batches * lines
        assert len(events) == total
        assert sorted(messages(events)) == sorted(
            f"w{w} b{b} l{n}" for w in range(workers) for b in range(batches) for n in range(lines)
        )
        assert reader.last_id() == total
        assert sorted(e.id for e in events) == list(range(1, total + 1))
        batch_of: dict[str | None, list[StoredEvent]] = defaultdict(list)
        for event in reader.read(GROUP, Query(after_id=0)):  # commit order
            batch_of[event.request_id].append(event)
        assert len(batch_of) == workers * batches
        for request_id, batch in batch_of.items():
            first = batch[0].id
            assert [e.id for e in batch] == list(range(first, first + lines)), request_id
            worker, number = str(request_id).split("-")
            assert messages(batch) == [f"{worker} {number} l{n}" for n in range(lines)]
            assert {e.stream for e in batch} == {f"stream-{worker[1:]}"}
        assert reader.groups() == {GROUP: stored_bytes(events)}
    finally:
        reader.close()


OPENER = """
import os, sys, time
from pathlib import Path
from lambdactl.logs.store import LogStore

base, rounds = Path(sys.argv[1]), int(sys.argv[2])
for r in range(rounds):
    print("ready", flush=True)
    while not os.path.exists(base / f"go{r}"):
        time.sleep(0)
    try:
        LogStore(base / f"round{r}").close()
    except Exception as exc:
        print(f"round {r}: {exc!r}", flush=True)
        sys.exit(1)
print("done", flush=True)
"""


def test_concurrent_processes_can_open_a_new_database(tmp_path: Path) -> None:
    """Several processes (CLI invokes, the worker, serve) opening the log database of a new
    project at the same moment: every one of them must succeed. Each round starts the
    opens at once on a fresh directory; the race is tried `rounds` times."""
    workers, rounds = 4, 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(tmp_path), str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(workers)
    ]
    try:
        for r in range(rounds):
            said = [proc.stdout.readline() if proc.stdout else "" for proc in procs]
            assert said == ["ready\n"] * workers, f"round {r - 1}: {said}"
            (tmp_path / f"go{r}").touch()
        said = [proc.stdout.readline() if proc.stdout else "" for proc in procs]
        assert said == ["done\n"] * workers, f"round {rounds - 1}: {said}"
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate()


def test_many_threads_share_one_store(store: LogStore) -> None:
    threads, writes = 6, 60
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(t: int) -> None:
        try:
            start.wait()
            for w in range(writes):
                store.append(
                    [entry([(w, f"t{t} w{w} l{n}") for n in range(3)], request_id=f"t{t}-w{w}")],
                    now=w,
                )
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    events = list(store.read(GROUP, Query(after_id=0)))
    assert len(events) == threads * writes * 3 == store.last_id()
    for i in range(0, len(events), 3):
        chunk = events[i : i + 3]
        assert len({e.request_id for e in chunk}) == 1
        t, w = str(chunk[0].request_id).split("-")
        assert messages(chunk) == [f"{t} {w} l{n}" for n in range(3)]


# -- ids are never reused -------------------------------------------------------------------------


def test_ids_keep_growing_after_retention_deleted_everything(state: Path, store: LogStore) -> None:
    store.append([entry([(T0 - 10 * DAY_MS, f"old {i}") for i in range(5)])], now=1)
    last = store.last_id()
    assert last == 5
    assert store.enforce_retention(lambda _g: LogRetention(days=1), now=T0) == 5
    assert list(store.read(GROUP)) == []
    assert store.groups() == {GROUP: 0}

    store.append([entry([(T0, "new 1"), (T0, "new 2")])], now=2)
    followed = list(store.read(GROUP, Query(after_id=last)))
    assert messages(followed) == ["new 1", "new 2"]
    assert [e.id for e in followed] == [6, 7]
    assert store.last_id() == 7

    # Also across connections: the sequence lives in the file.
    assert store.enforce_retention(lambda _g: LogRetention(days=1), now=T0 + 10 * DAY_MS) == 2
    store.close()
    again = LogStore(state)
    try:
        again.append([entry([(T0 + 10 * DAY_MS, "newest")])], now=3)
        assert [e.id for e in again.read(GROUP, Query(after_id=7))] == [8]
    finally:
        again.close()


# -- retention ------------------------------------------------------------------------------------


def test_retention_by_age_uses_each_groups_own_limits(store: LogStore) -> None:
    store.append(
        [
            entry(
                [
                    (T0 - 3 * DAY_MS, "fn 3 days"),
                    (T0 - DAY_MS - 1, "fn just over a day"),
                    (T0 - DAY_MS, "fn exactly a day"),
                    (T0 - 3_600_000, "fn an hour"),
                ]
            ),
            entry(
                [
                    (T0 - 11 * DAY_MS, "other 11 days"),
                    (T0 - 3 * DAY_MS, "other 3 days"),
                    (T0, "other now"),
                ],
                group=OTHER,
            ),
            entry([(T0 - 365 * DAY_MS, "third a year")], group="/aws/lambda/third"),
        ],
        now=T0,
    )
    limits = {
        GROUP: LogRetention(days=1, max_size_mb=100),
        OTHER: LogRetention(days=10, max_size_mb=100),
        "/aws/lambda/third": LogRetention(days=400, max_size_mb=100),
    }
    asked: list[str] = []

    def limit(group: str) -> LogRetention:
        asked.append(group)
        return limits[group]

    assert store.enforce_retention(limit, now=T0) == 3
    assert sorted(asked) == sorted(limits)
    fn = list(store.read(GROUP))
    other = list(store.read(OTHER))
    assert messages(fn) == ["fn exactly a day", "fn an hour"]
    assert messages(other) == ["other 3 days", "other now"]
    assert messages(store.read("/aws/lambda/third")) == ["third a year"]
    sizes = store.groups()
    assert sizes[GROUP] == stored_bytes(fn)
    assert sizes[OTHER] == stored_bytes(other)
    assert store.enforce_retention(limit, now=T0) == 0  # nothing more to do


def test_retention_by_fractional_days(store: LogStore) -> None:
    store.append([entry([(T0 - 13 * 3_600_000, "13 h"), (T0 - 11 * 3_600_000, "11 h")])], now=1)
    assert store.enforce_retention(lambda _g: LogRetention(days=0.5), now=T0) == 1
    assert messages(store.read(GROUP)) == ["11 h"]


def test_retention_by_size_cuts_oldest_down_to_ninety_percent(store: LogStore) -> None:
    max_mb = 0.01
    cap = int(max_mb * 1024 * 1024)
    size_one = len(("é" * 40 + "0000").encode()) + EVENT_OVERHEAD_BYTES  # 110
    store.append(
        [entry([(T0 + i, "é" * 40 + f"{i:04d}") for i in range(200)])],  # 22,000 bytes
        now=T0,
    )
    store.append([entry([(T0, "small")], group=OTHER)], now=T0)
    before = list(store.read(GROUP))
    assert store.groups()[GROUP] == 200 * size_one > cap

    deleted = store.enforce_retention(lambda _g: LogRetention(days=30, max_size_mb=max_mb), now=T0)
    kept = list(store.read(GROUP))
    assert deleted == 200 - len(kept)
    remaining = stored_bytes(kept)
    assert remaining <= 0.9 * cap
    assert remaining > 0.9 * cap - size_one  # only as many as needed were deleted
    assert kept == before[-len(kept) :]  # the newest are kept, in order
    assert store.groups() == {GROUP: remaining, OTHER: len("small") + EVENT_OVERHEAD_BYTES}
    assert messages(store.read(OTHER)) == ["small"]


def test_retention_by_size_leaves_groups_under_their_own_cap(store: LogStore) -> None:
    store.append([entry([(T0, "y" * 1000)] * 20)], now=T0)  # 20,520 bytes
    store.append([entry([(T0, "z" * 1000)] * 20, group=OTHER)], now=T0)
    limits = {GROUP: LogRetention(max_size_mb=1), OTHER: LogRetention(max_size_mb=0.01)}
    store.enforce_retention(limits.__getitem__, now=T0)
    assert len(list(store.read(GROUP))) == 20
    assert 0 < len(list(store.read(OTHER))) <= int(0.9 * 0.01 * 1024 * 1024) // 1026


def test_retention_deletes_in_chunks(store: LogStore) -> None:
    """More than one DELETE_CHUNK (5000) of rows to delete, by age and by size."""
    store.append(
        [
            entry([(T0 - 40 * DAY_MS, f"old {i}") for i in range(11_000)]),
            entry([(T0, f"fresh {i}") for i in range(1_000)]),
        ],
        now=T0,
    )
    store.append([entry([(T0 + i, "x" * 10) for i in range(12_000)], group=OTHER)], now=T0)
    limits = {GROUP: LogRetention(days=30), OTHER: LogRetention(days=30, max_size_mb=0.1)}
    deleted = store.enforce_retention(limits.__getitem__, now=T0)

    fn = list(store.read(GROUP))
    assert messages(fn) == [f"fresh {i}" for i in range(1_000)]
    other = list(store.read(OTHER))
    cap = int(0.1 * 1024 * 1024)
    assert len(other) == int(0.9 * cap) // 36
    assert [e.timestamp for e in other] == list(range(T0 + 12_000 - len(other), T0 + 12_000))
    assert deleted == 11_000 + 12_000 - len(other)
    assert store.groups() == {GROUP: stored_bytes(fn), OTHER: stored_bytes(other)}


def test_claim_retention_once_per_interval_across_connections(state: Path, store: LogStore) -> None:
    other = LogStore(state)
    try:
        assert store.claim_retention(now=T0, interval_ms=60_000) is True
        assert other.claim_retention(now=T0, interval_ms=60_000) is False
        assert store.claim_retention(now=T0 + 1, interval_ms=60_000) is False
        assert other.claim_retention(now=T0 + 59_999, interval_ms=60_000) is False
        assert other.claim_retention(now=T0 + 60_000, interval_ms=60_000) is True
        assert store.claim_retention(now=T0 + 60_000, interval_ms=60_000) is False
        assert store.claim_retention(now=T0 + 119_999, interval_ms=60_000) is False
        assert store.claim_retention(now=T0 + 120_000, interval_ms=60_000) is True
        assert other.claim_retention(now=T0 + 120_001, interval_ms=60_000) is False
    finally:
        other.close()


# -- a writer killed mid-stream ------------------------------------------------------------------

KILLED = """
import sys
from itertools import count
from pathlib import Path
from lambdactl.logs.lines import LogEvent
from lambdactl.logs.store import LogEntry, LogStore

store = LogStore(Path(sys.argv[1]))
for b in count():
    events = [LogEvent(b, f"b{b} l{n} " + "p" * 200) for n in range(20)]
    store.append([LogEntry("/aws/lambda/fn", "s", "1", events, f"b{b}")], now=b)
    print(b, flush=True)
"""


def test_kill_9_after_a_commit_loses_nothing_committed(state: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", KILLED, str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        committed = -1
        try:
            while committed < 30:
                line = proc.stdout.readline()
                assert line, proc.stderr.read() if proc.stderr else ""
                committed = int(line)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    check = sqlite3.connect(state / "logs.db")
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        check.close()
    reopened = LogStore(state, create=False)
    try:
        events = list(reopened.read(GROUP, Query(after_id=0)))
        batches: dict[str | None, list[StoredEvent]] = defaultdict(list)
        for event in events:
            batches[event.request_id].append(event)
        assert {f"b{b}" for b in range(committed + 1)} <= set(batches)
        for request_id, batch in batches.items():  # no half-stored batch
            assert [e.message.split()[1] for e in batch] == [f"l{n}" for n in range(20)]
            assert [e.id for e in batch] == list(range(batch[0].id, batch[0].id + 20))
            assert {e.message.split()[0] for e in batch} == {request_id}
        assert reopened.last_id() == len(events)
        assert reopened.groups() == {GROUP: stored_bytes(events)}
        reopened.append([entry([(10**6, "after the crash")])], now=1)
        assert messages(reopened.read(GROUP, Query(after_id=len(events)))) == ["after the crash"]
    finally:
        reopened.close()
