"""The background log writer (`lambdactl.logs.writer.LogWriter`) on real SQLite files:
writes are handed over and stored by `flush`/`close`, many threads share one writer, an
unusable state directory warns once, and retention runs on the writer's thread with the
writer's clock."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import cast

import pytest

from lambdactl.logs.lines import LogEvent, now_ms
from lambdactl.logs.store import LogEntry, LogStore, Query, StoredEvent
from lambdactl.logs.writer import LogWriter
from lambdactl.manifest import LogRetention

GROUP = "/aws/lambda/fn"
OTHER = "/aws/lambda/other"
STREAM = "2024/05/01/[1]0123456789abcdef0123456789abcdef"
DAY_MS = 86_400_000


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "project" / ".lambda"


@pytest.fixture
def writers(state: Path) -> Iterator[Callable[..., LogWriter]]:
    """Opens LogWriters on `state` (keyword arguments as LogWriter's); all closed after."""
    opened: list[LogWriter] = []

    def open_writer(**options: object) -> LogWriter:
        writer = LogWriter(options.pop("state_dir", state), **options)  # type: ignore[arg-type]
        opened.append(writer)
        return writer

    yield open_writer
    for writer in opened:
        writer.close()


@pytest.fixture
def lambdactl_log(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """caplog for the "lambdactl" logger (which the CLI may have stopped propagating)."""
    monkeypatch.setattr(logging.getLogger("lambdactl"), "propagate", True)
    caplog.set_level(logging.WARNING, logger="lambdactl")
    return caplog


def entry(
    messages: Sequence[str],
    *,
    ts: int | None = None,
    group: str = GROUP,
    request_id: str | None = None,
    kind: str = "invoke",
) -> LogEntry:
    """Lines stamped `ts` (default: now, so that the default 30-day retention keeps them)."""
    stamp = now_ms() if ts is None else ts
    return LogEntry(group, STREAM, "1", [LogEvent(stamp, m) for m in messages], request_id, kind)


def stored(state: Path, group: str = GROUP, query: Query = Query()) -> list[StoredEvent]:
    """What a fresh connection reads back (not the writer's own)."""
    store = LogStore(state, create=False)
    try:
        return list(store.read(group, query))
    finally:
        store.close()


def messages(events: Iterable[StoredEvent]) -> list[str]:
    return [event.message for event in events]


@pytest.fixture
def held_lock(state: Path) -> Iterator[Callable[[], None]]:
    """Holds the log database's write lock from another connection until the returned
    callable (or the end of the test) releases it."""
    LogStore(state).close()
    other = sqlite3.connect(state / "logs.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            other.execute("COMMIT")

    try:
        yield release
    finally:
        release()
        other.close()


# -- handing over and storing ---------------------------------------------------------------------


def test_flush_stores_what_was_written_with_the_clocks_time(
    state: Path, writers: Callable[..., LogWriter]
) -> None:
    writer = writers(clock=lambda: 4242)
    writer.write(
        [
            entry(["INIT_START", "init done"], request_id="r1", kind="init"),
            entry(["START", "hello\tworld", "é 😀", "", "REPORT"], request_id="r1"),
        ]
    )
    writer.write([entry(["stray"], kind="other", ts=999)])
    assert writer.flush()
    events = stored(state)
    assert messages(events) == [
        "stray",
        "INIT_START",
        "init done",
        "START",
        "hello\tworld",
        "é 😀",
        "",
        "REPORT",
    ]
    assert [e.kind for e in events] == ["other"] + ["init"] * 2 + ["invoke"] * 5
    assert {e.ingestion_time for e in events} == {4242}
    assert [e.id for e in events[1:]] == list(range(events[1].id, events[1].id + 7))
    assert messages(writer.store().read(GROUP, Query(request_id="r1", kinds=("invoke",)))) == [
        "START",
        "hello\tworld",
        "é 😀",
        "",
        "REPORT",
    ]
    assert writer.store() is writer.store()


def test_flush_with_nothing_written_returns_at_once(writers: Callable[..., LogWriter]) -> None:
    writer = writers()
    assert writer.flush(timeout=5)


def test_write_hands_over_without_waiting_for_storage(
    state: Path, writers: Callable[..., LogWriter], held_lock: Callable[[], None]
) -> None:
    writer = writers()
    # The database is locked by another connection: a write that waited for storage would
    # block here (for the store's 30 s busy timeout).
    writer.write([entry(["one", "two"], request_id="a")])
    writer.write([entry(["three"], request_id="b")])
    assert not writer.flush(timeout=0.2)  # cannot be stored while the lock is held
    assert stored(state) == []
    held_lock()
    assert writer.flush()
    assert messages(stored(state)) == ["one", "two", "three"]


def test_entries_without_events_are_skipped(state: Path, writers: Callable[..., LogWriter]) -> None:
    writer = writers()
    writer.write([entry([]), entry([], group=OTHER)])
    assert writer.flush()
    assert not (state / "logs.db").exists()  # nothing to store: the database is not even made

    writer.write([entry([], group=OTHER, kind="init"), entry(["kept"]), entry([], group=OTHER)])
    assert writer.flush()
    store = LogStore(state, create=False)
    try:
        assert store.groups() == {GROUP: len("kept") + 26}
        assert list(store.read(OTHER)) == []
    finally:
        store.close()


def test_close_stores_pending_entries(
    state: Path, writers: Callable[..., LogWriter], held_lock: Callable[[], None]
) -> None:
    writer = writers()
    for n in range(20):
        writer.write([entry([f"line {n}"], request_id=f"r{n}")])
    held_lock()
    writer.close()  # no flush: close itself stores what is pending
    assert messages(stored(state)) == [f"line {n}" for n in range(20)]


def test_writing_after_close_is_ignored(state: Path, writers: Callable[..., LogWriter]) -> None:
    writer = writers()
    writer.write([entry(["before"])])
    writer.close()
    writer.write([entry(["after"])])
    assert writer.flush(timeout=5)
    writer.close()  # twice is fine
    assert messages(stored(state)) == ["before"]


def test_close_without_writing_creates_nothing(
    state: Path, writers: Callable[..., LogWriter]
) -> None:
    writers().close()
    assert not state.exists()


def test_many_threads_share_one_writer(state: Path, writers: Callable[..., LogWriter]) -> None:
    writer = writers()
    threads, writes = 8, 50
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(t: int) -> None:
        try:
            start.wait()
            for w in range(writes):
                rid = f"t{t}-w{w}"
                writer.write(
                    [
                        entry([f"{rid} init {n}" for n in range(2)], request_id=rid, kind="init"),
                        entry([f"{rid} invoke {n}" for n in range(3)], request_id=rid),
                    ]
                )
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert writer.flush()

    events = stored(state, query=Query(after_id=0))  # commit order
    assert len(events) == threads * writes * 5
    assert sorted(messages(events)) == sorted(
        f"t{t}-w{w} {part} {n}"
        for t in range(threads)
        for w in range(writes)
        for part, count in (("init", 2), ("invoke", 3))
        for n in range(count)
    )
    for i in range(0, len(events), 5):  # each write's lines together and in order
        chunk = events[i : i + 5]
        rid = chunk[0].request_id
        assert [e.request_id for e in chunk] == [rid] * 5
        assert messages(chunk) == [f"{rid} init 0", f"{rid} init 1"] + [
            f"{rid} invoke {n}" for n in range(3)
        ]
        assert [e.kind for e in chunk] == ["init", "init", "invoke", "invoke", "invoke"]
    writer.close()
    store = LogStore(state, create=False)
    try:
        assert store.last_id() == len(events)
    finally:
        store.close()


# -- an unusable state directory ------------------------------------------------------------------


def test_unwritable_state_dir_warns_once_and_does_not_raise(
    tmp_path: Path, writers: Callable[..., LogWriter], lambdactl_log: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file")
    state_dir = blocker / ".lambda"
    writer = writers(state_dir=state_dir)
    writer.write([entry(["lost 1"])])
    assert writer.flush()
    writer.write([entry(["lost 2"])])
    writer.write([entry(["lost 3"])])
    assert writer.flush()
    writer.close()
    records = [r for r in lambdactl_log.records if r.name == "lambdactl"]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].levelno == logging.WARNING
    assert f"{blocker} is a file where lambdactl keeps a directory" in records[0].getMessage()
    assert blocker.read_text() == "a regular file"


# -- retention ------------------------------------------------------------------------------------


def test_retention_runs_on_the_writer_thread_with_its_clock(
    state: Path, writers: Callable[..., LogWriter]
) -> None:
    real = now_ms()
    t0 = real + 1000 * DAY_MS  # the writer's clock is far in the future
    clock = [t0]
    asked: list[str] = []

    def limits(group: str) -> LogRetention:
        asked.append(group)
        return LogRetention(days=1) if group == GROUP else LogRetention(days=10_000)

    writer = writers(retention=limits, clock=lambda: clock[0])
    writer.write(
        [
            entry(["written long ago"], ts=real),
            entry(["an hour old"], ts=t0 - 3_600_000),
            entry(["other, long ago"], ts=real, group=OTHER),
        ]
    )
    assert writer.flush()
    # Retention runs after a batch is stored; the next batch is stored after it has run.
    writer.write([entry(["two days old"], ts=t0 - 2 * DAY_MS)])
    assert writer.flush()
    writer.write([entry(["marker 1"], ts=t0)])
    assert writer.flush()
    assert messages(stored(state)) == ["two days old", "an hour old", "marker 1"]
    assert messages(stored(state, OTHER)) == ["other, long ago"]  # its own limit: 10,000 days
    assert set(asked) == {GROUP, OTHER}

    # At most once a minute: "two days old" outlived the passes after it (not due yet) ...
    clock[0] = t0 + 60_000
    writer.write([entry(["marker 2"], ts=t0 + 60_000)])
    assert writer.flush()
    writer.write([entry(["marker 3"], ts=t0 + 60_000)])
    assert writer.flush()
    # ... and goes once a minute has passed on the writer's clock.
    assert messages(stored(state)) == ["an hour old", "marker 1", "marker 2", "marker 3"]
    events = stored(state)
    assert [e.ingestion_time for e in events] == [t0, t0, t0 + 60_000, t0 + 60_000]
    writer.close()
    store = LogStore(state, create=False)
    try:
        assert store.groups() == {
            GROUP: sum(len(m.encode()) + 26 for m in messages(events)),
            OTHER: len("other, long ago") + 26,
        }
    finally:
        store.close()


def test_retention_by_size_from_the_writer(state: Path, writers: Callable[..., LogWriter]) -> None:
    writer = writers(retention=lambda _group: LogRetention(days=30, max_size_mb=0.01))
    cap = int(0.01 * 1024 * 1024)
    now = now_ms()
    writer.write([entry([f"{n:03d} " + "x" * 96 for n in range(200)], ts=now)])  # 25,200 bytes
    writer.close()  # the retention pass after the batch is done when the thread has stopped
    events = stored(state)
    assert 0 < len(events) < 200
    assert sum(len(e.message) + 26 for e in events) <= 0.9 * cap
    assert messages(events)[-1].startswith("199 ")  # the newest are kept


# -- a paused read of the writer's store ----------------------------------------------------------


def test_entries_survive_a_paused_read_of_the_writers_store(
    state: Path, writers: Callable[..., LogWriter], lambdactl_log: pytest.LogCaptureFixture
) -> None:
    writer = writers()
    writer.write([entry([f"line {n}" for n in range(10)])])
    assert writer.flush()
    writer.write([entry(["line 10"])])  # stored after the first batch's retention pass
    assert writer.flush()
    reading = cast(Generator[StoredEvent, None, None], writer.store().read(GROUP, batch=2))
    try:
        assert next(reading).message == "line 0"
        other = LogStore(state)
        try:
            other.append([entry(["from another process"])], now=1)
        finally:
            other.close()
        writer.write([entry(["written meanwhile"])])
        assert writer.flush()
    finally:
        reading.close()
    assert messages(stored(state))[-2:] == ["from another process", "written meanwhile"]
