"""The files poller (`lambdactl.sources.files`): files created, overwritten and deleted in a
real directory reach a real function as S3 records, through the real asynchronous path (the
durable event queue, a real Worker)."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.files import FilesPoller, missing_result
from lambdactl.sources.host import POLLERS
from lambdactl.sources.specs import FilesSource
from tests.events import Harness, handler


class Watch:
    """A started poller on `inbox/` and a Worker running its function `drop`."""

    def __init__(self, harness: Harness, project_dir: Path, **source: Any) -> None:
        (project_dir / "inbox").mkdir(exist_ok=True)
        self.harness = harness
        self.inbox = project_dir / "inbox"
        self.project = harness.deploy(
            {"drop": handler("succeeds", events=[{"files": {"path": "inbox", **source}}])}
        )
        found = self.project.functions["drop"].events[0]
        assert isinstance(found, FilesSource)
        self.source = found
        self.poller = FilesPoller(self.project, harness.invoker(self.project), found)
        self.worker = harness.worker(self.project)
        self.poller.start()

    def records(self, count: int) -> list[dict[str, Any]]:
        """Drive the worker until the function ran `count` times; each run's one record."""
        deadline = time.monotonic() + 20
        while len(self.harness.runs()) < count:
            self.worker.run_once()
            assert time.monotonic() < deadline, f"{len(self.harness.runs())} runs, not {count}"
            time.sleep(0.01)
        time.sleep(0.6)  # more than the settle time: nothing else comes
        self.worker.run_once()
        runs = self.harness.runs()
        assert len(runs) == count, [r["event"] for r in runs]
        assert all(len(r["event"]["Records"]) == 1 for r in runs)
        return [r["event"]["Records"][0] for r in runs]

    def close(self) -> None:
        self.poller.stop()
        self.poller.join()


@pytest.fixture
def harness(project_dir: Path) -> Iterator[Harness]:
    opened = Harness(project_dir)
    yield opened
    opened.close()


@pytest.fixture
def watch(harness: Harness, project_dir: Path) -> Iterator[Watch]:
    opened = Watch(harness, project_dir)
    yield opened
    opened.close()


def summary(record: dict[str, Any]) -> tuple[Any, ...]:
    obj = record["s3"]["object"]
    return (
        record["eventName"],
        record["s3"]["bucket"]["name"],
        obj["key"],
        obj.get("size"),
        obj.get("eTag"),
    )


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_registered_as_the_files_poller() -> None:
    assert "files" in POLLERS


def test_create_overwrite_delete_are_s3_records(watch: Watch) -> None:
    (watch.inbox / "red flower.jpg").write_bytes(b"petals")
    [created] = watch.records(1)
    assert summary(created) == ("ObjectCreated:Put", "inbox", "red+flower.jpg", 6, md5(b"petals"))
    assert created["eventSource"] == "aws:s3" and created["awsRegion"] == "us-east-1"
    assert created["s3"]["bucket"]["arn"] == "arn:aws:s3:::inbox"

    (watch.inbox / "red flower.jpg").write_bytes(b"more petals")
    watch.records(2)  # (a file deleted before it was read has no Put: its content is gone)
    (watch.inbox / "red flower.jpg").unlink()
    records = watch.records(3)
    assert [summary(r) for r in records[1:]] == [
        ("ObjectCreated:Put", "inbox", "red+flower.jpg", 11, md5(b"more petals")),
        ("ObjectRemoved:Delete", "inbox", "red+flower.jpg", None, None),
    ]
    assert records[1]["s3"]["object"]["sequencer"] < records[2]["s3"]["object"]["sequencer"]
    result = mappings.current(watch.project, watch.source).last_processing_result
    assert result == mappings.OK


def test_keys_are_paths_below_the_directory(watch: Watch) -> None:
    (watch.inbox / "2026" / "03").mkdir(parents=True)
    time.sleep(0.1)  # the new directories are watched
    (watch.inbox / "2026" / "03" / "a&b.csv").write_text("x,y\n")
    [record] = watch.records(1)
    assert summary(record) == ("ObjectCreated:Put", "inbox", "2026/03/a%26b.csv", 4, md5(b"x,y\n"))


def test_a_file_written_slowly_fires_once_with_its_final_size(watch: Watch) -> None:
    with open(watch.inbox / "slow.bin", "wb") as file:
        for _ in range(5):
            file.write(b"0123456789")
            file.flush()
            time.sleep(0.1)
    [record] = watch.records(1)
    assert summary(record) == ("ObjectCreated:Put", "inbox", "slow.bin", 50, md5(b"0123456789" * 5))


def test_a_file_held_open_past_the_settle_time_fires_at_its_close(watch: Watch) -> None:
    with open(watch.inbox / "held.txt", "wb") as file:
        file.write(b"first")
        file.flush()
        time.sleep(0.8)  # quiet, but still open
        file.write(b" second")
    [record] = watch.records(1)
    assert summary(record)[3:] == (12, md5(b"first second"))


def test_editor_temporaries_and_links_out_are_ignored(watch: Watch, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for name in (".notes.txt.swp", "notes.txt~", ".#notes.txt", "4913"):
        (watch.inbox / name).write_text("temporary")
        (watch.inbox / name).unlink()
    os.symlink(outside, watch.inbox / "link.txt")
    (watch.inbox / ".lambda").mkdir()
    (watch.inbox / ".lambda" / "state.txt").write_text("ours")
    # An editor's save: write a temporary, rename it over the file.
    (watch.inbox / "notes.txt~").write_text("saved")
    os.rename(watch.inbox / "notes.txt~", watch.inbox / "notes.txt")
    [record] = watch.records(1)
    assert summary(record) == ("ObjectCreated:Put", "inbox", "notes.txt", 5, md5(b"saved"))


def test_only_the_declared_events_fire(harness: Harness, project_dir: Path) -> None:
    watch = Watch(harness, project_dir, events=["removed"])
    try:
        (watch.inbox / "a.txt").write_text("a")
        time.sleep(0.6)
        (watch.inbox / "a.txt").unlink()
        [record] = watch.records(1)
        assert summary(record) == ("ObjectRemoved:Delete", "inbox", "a.txt", None, None)
    finally:
        watch.close()


def test_stop_ends_the_watch(harness: Harness, project_dir: Path) -> None:
    watch = Watch(harness, project_dir)
    watch.close()
    (watch.inbox / "late.txt").write_text("late")
    time.sleep(0.5)
    assert not watch.poller.fired
    assert isinstance(watch.project, Project)


def test_a_real_worker_runs_the_watch(harness: Harness, project_dir: Path) -> None:
    """The host in `lambdactl worker` (the worker-lock holder) watches and invokes."""
    (project_dir / "inbox").mkdir()
    harness.deploy({"drop": handler("succeeds", events=[{"files": {"path": "inbox"}}])})
    harness.spawn_worker()
    deadline = time.monotonic() + 30
    while not harness.runs():  # the watch starts with the worker: drop until it is seen
        assert time.monotonic() < deadline, (project_dir.parent / "worker.out").read_text()
        (project_dir / "inbox" / "probe.txt").write_text(str(time.monotonic()))
        time.sleep(0.5)
    [record] = harness.runs()[0]["event"]["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["object"]["key"] == "probe.txt"


def test_a_deleted_directory_is_said_once_and_watched_when_it_comes_back(
    harness: Harness, project_dir: Path
) -> None:
    """In a real `lambdactl worker`: one line when the watched directory is deleted (not one
    per look), the mapping's LastProcessingResult says it, and the watch resumes when the
    directory comes back."""
    import shutil

    inbox = project_dir / "inbox"
    inbox.mkdir()
    project = harness.deploy({"drop": handler("succeeds", events=[{"files": {"path": "inbox"}}])})
    source = project.functions["drop"].events[0]
    log = project_dir.parent / "worker.out"
    harness.spawn_worker()

    def result() -> str:
        return mappings.current(project, source).last_processing_result

    def lines(text: str) -> list[str]:
        return [line for line in log.read_text().splitlines() if text in line]

    def until(check: Any) -> None:
        deadline = time.monotonic() + 30
        while not check():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)

    def drop_until_run(name: str, runs: int) -> None:
        deadline = time.monotonic() + 30
        while len(harness.runs()) < runs:  # watched from some moment on: drop until seen
            assert time.monotonic() < deadline, log.read_text()
            (inbox / name).write_text(str(time.monotonic()))
            time.sleep(0.3)

    drop_until_run("first.txt", 1)
    until(lambda: result() == mappings.OK)
    shutil.rmtree(inbox)
    until(lambda: result() == missing_result(str(inbox)))
    time.sleep(1.5)  # several quiet looks for it
    [said] = lines("was deleted")
    assert f"files source inbox/ of function drop: {inbox} was deleted" in said
    inbox.mkdir()
    before = len(harness.runs())
    drop_until_run("again.txt", before + 1)
    assert harness.runs()[-1]["event"]["Records"][0]["s3"]["object"]["key"] == "again.txt"
    until(lambda: result() == mappings.OK)
    assert len(lines("is there now; watching it")) == 1
    assert len(lines("was deleted")) == 1
    assert "Traceback" not in log.read_text()


def test_a_directory_missing_at_start_is_watched_once_it_appears(
    harness: Harness, project_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A poller started while its directory is gone (a mapping enabled again after the
    directory was deleted): one warning, a quiet wait, then the watch."""
    watch = Watch(harness, project_dir)
    watch.close()
    watch.inbox.rmdir()
    caplog.set_level("WARNING", logger="lambdactl")
    logger = logging.getLogger("lambdactl")
    logger.addHandler(caplog.handler)  # also when the CLI's setup stopped it propagating
    poller = FilesPoller(watch.project, harness.invoker(watch.project), watch.source)
    poller.start()
    try:
        assert not poller.watching
        result = mappings.current(watch.project, watch.source).last_processing_result
        assert result == missing_result(str(watch.inbox))
        time.sleep(1.0)  # a few looks: said once
        # Each record once (it may reach caplog's handler twice: here and through the root).
        ours = {id(r): r.getMessage() for r in caplog.records if r.name == "lambdactl"}
        said = list(ours.values())
        assert said == [
            f"files source inbox/ of function drop: directory {watch.inbox} does not exist; "
            "the watch starts when it appears"
        ]
        watch.inbox.mkdir()
        deadline = time.monotonic() + 20
        while not poller.watching:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (watch.inbox / "new.txt").write_text("new")
        deadline = time.monotonic() + 20
        while not poller.fired:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert list(poller.fired) == [("ObjectCreated:Put", "new.txt")]
        result = mappings.current(watch.project, watch.source).last_processing_result
        assert result == mappings.OK
    finally:
        logger.removeHandler(caplog.handler)
        poller.stop()
        poller.join()
