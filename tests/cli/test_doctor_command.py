"""A lost or damaged `.lambda/` is never a new project: commands refuse it (exit 7, one line
naming the file and the way back) and `lambdactl doctor [--repair]` says what it holds,
moves damaged files aside and rebuilds versions and aliases from the ledger.

Real `python -m lambdactl` processes: the state database is truncated or removed between
them, as a user would, with no connection of the test's own left open on it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lambdactl.events import daemon

LOST_WITH_STATE = [
    "$LATEST RevisionIds (new ones are made)",
    "layer version numbers that no published version names",
    "queues made with 'queue create' (those the manifest declares are made again) "
    "and every queue's messages",
    "asynchronous events and their history",
    "settings changed at run time through the API (overrides of the manifest's functions, "
    "reserved concurrency, event invoke configs, function URLs)",
]


class Run:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.code, self.out, self.err = done.returncode, done.stdout, done.stderr

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def lambdactl(project_dir: Path):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "lambdactl", *args],
            capture_output=True,
            text=True,
            cwd=project_dir,
            timeout=60,
        )
        return Run(done)

    return run


def moved_aside(state: Path, name: str) -> list[Path]:
    """Where repairs moved the database `name` (its -wal and -shm files left out)."""
    pattern = rf"{re.escape(name)}\.damaged-\d{{8}}T\d{{6}}Z"
    return [p for p in state.iterdir() if re.fullmatch(pattern, p.name)]


def edit(project_dir: Path, line: str) -> None:
    with (project_dir / "src" / "hello" / "app.py").open("a") as code:
        code.write(f"# {line}\n")


def published(lambdactl) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = lambdactl("versions", "hello", "-o", "json")
    assert result.code == 0, result.err
    return [v for v in result.json()["Versions"] if v["Version"] != "$LATEST"]


def test_an_empty_state_database_is_refused_then_rebuilt(lambdactl, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    state = project_dir / ".lambda"
    assert lambdactl("publish").code == 0
    edit(project_dir, "two")
    assert lambdactl("publish", "--description", "second").code == 0
    assert lambdactl("alias", "create", "hello", "live", "--version", "1").code == 0
    before = published(lambdactl)
    alias = lambdactl("alias", "show", "hello", "live", "-o", "json").json()

    (state / "state.db").write_bytes(b"")  # `: > .lambda/state.db`
    for command in (("list",), ("versions", "hello"), ("invoke", "hello:live")):
        refused = lambdactl(*command)
        assert (refused.code, refused.out) == (7, ""), command
        first, hint = refused.err.splitlines()
        assert first == (
            f"error: state database {state / 'state.db'} is empty, but {state} holds code "
            "snapshots and version records: run 'lambdactl doctor --repair' to rebuild it "
            "(nothing is deleted)"
        )
        assert hint.startswith("hint: 'lambdactl doctor' shows first what can be recovered")
    assert (state / "state.db").stat().st_size == 0  # nothing made a new one

    checked = lambdactl("doctor", "-o", "json")
    assert checked.code == 7
    report = checked.json()
    assert report["Healthy"] is False
    state_check = report["Checks"][0]
    assert (state_check["Part"], state_check["Status"]) == ("state.db", "empty")
    assert state_check["Repair"] == "move it aside, make a new one, rebuild from the ledger"
    assert (report["Repaired"], report["Recovered"], report["Lost"]) == ([], [], [])

    repaired = lambdactl("doctor", "--repair", "-o", "json")
    assert repaired.code == 0, repaired.out + repaired.err
    report = repaired.json()
    assert report["Healthy"] is True
    [aside] = moved_aside(state, "state.db")
    assert aside.stat().st_size == 0  # moved, not deleted
    assert report["Repaired"][0] == f"moved {state / 'state.db'} aside to {aside}"
    assert report["Repaired"][-1] == f"made a new {state / 'state.db'}"  # after -wal, -shm
    assert report["Recovered"] == ["version hello:1", "version hello:2", "alias hello:live -> 1"]
    assert report["Lost"] == LOST_WITH_STATE

    assert published(lambdactl) == before  # numbers, CodeSha256, RevisionIds, descriptions
    assert lambdactl("alias", "show", "hello", "live", "-o", "json").json() == alias
    ran = lambdactl("invoke", "hello:live")
    assert (ran.code, json.loads(ran.out)) == (0, {"hello": "world"})
    again = lambdactl("publish", "-o", "json")  # nothing changed since version 2
    assert again.json()["Version"] == "2"


def test_a_removed_state_database_keeps_deleted_numbers_used(lambdactl, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    state = project_dir / ".lambda"
    for n in range(3):
        edit(project_dir, f"v{n}")
        assert lambdactl("publish").code == 0
    assert lambdactl("delete-version", "hello", "3").code == 0
    for path in state.glob("state.db*"):  # `rm .lambda/state.db*`
        path.unlink()

    refused = lambdactl("versions", "hello")
    assert refused.code == 7
    assert refused.err.startswith(f"error: state database {state / 'state.db'} is missing, ")

    text = lambdactl("doctor", "--repair")
    assert text.code == 0, text.err
    assert "recovered: version hello:1, version hello:2\n" in text.out
    assert "lost: asynchronous events and their history\n" in text.out
    assert not list(state.glob("*.damaged-*"))  # there was nothing to move
    assert [v["Version"] for v in published(lambdactl)] == ["1", "2"]
    edit(project_dir, "v4")
    assert lambdactl("publish", "-o", "json").json()["Version"] == "4"  # 3 stays used


def test_without_records_the_loss_is_said_and_the_snapshots_kept(
    lambdactl, project_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    """A project published before lambdactl kept records: nothing to rebuild versions from."""
    state = project_dir / ".lambda"
    assert lambdactl("publish").code == 0
    shutil.rmtree(state / "ledger")
    (state / "state.db").write_bytes(b"")
    refused = lambdactl("list")
    assert refused.code == 7
    assert f"{state} holds code snapshots: run 'lambdactl doctor --repair'" in refused.err

    repaired = lambdactl("doctor", "--repair", "-o", "json").json()
    assert repaired["Recovered"] == []
    assert repaired["Lost"] == [
        f"the versions behind 1 code snapshot(s) in {state / 'code'} that no record names "
        "(published before lambdactl kept version records), and aliases of them; the "
        "snapshots are kept",
        *LOST_WITH_STATE,
    ]
    assert len(list((state / "code").glob("*.zip"))) == 1
    assert published(lambdactl) == []


def test_doctor_writes_missing_records_and_then_they_serve(lambdactl, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    state = project_dir / ".lambda"
    assert lambdactl("publish").code == 0
    assert lambdactl("alias", "create", "hello", "live", "--version", "1").code == 0
    shutil.rmtree(state / "ledger")  # as after publishing with an older lambdactl

    checked = lambdactl("doctor")
    assert checked.code == 7
    assert "lambdactl doctor --repair would:\n" in checked.out
    assert "  ledger: write the missing records; put back what state.db is missing\n" in (
        checked.out
    )
    repaired = lambdactl("doctor", "--repair", "-o", "json").json()
    assert repaired["Repaired"] == [
        "wrote the record of version hello:1",
        "wrote the record of alias hello:live",
    ]
    assert {c["Part"]: c["Status"] for c in repaired["Checks"]} == {
        "state.db": "ok",
        "logs.db": "none",
        "snapshots": "ok",
        "ledger": "ok",
        "worker": "not running",
    }
    ok = lambdactl("doctor")
    assert ok.code == 0
    assert ok.out.endswith("✓ nothing to repair\n")

    (state / "state.db").write_bytes(b"")
    rebuilt = lambdactl("doctor", "--repair", "-o", "json").json()
    assert rebuilt["Recovered"] == ["version hello:1", "alias hello:live -> 1"]


def test_damaged_databases_are_moved_aside(lambdactl, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    state = project_dir / ".lambda"
    assert lambdactl("publish").code == 0
    assert lambdactl("invoke", "hello").code == 0  # makes logs.db
    (state / "logs.db").write_bytes(b"garbage " * 1000)
    (state / "state.db").write_bytes(b"garbage " * 1000)
    report = lambdactl("doctor", "-o", "json").json()
    statuses = {c["Part"]: (c["Status"], c["Detail"]) for c in report["Checks"]}
    assert statuses["state.db"] == ("damaged", f"{state / 'state.db'}: file is not a database")
    assert statuses["logs.db"] == ("damaged", f"{state / 'logs.db'}: file is not a database")

    repaired = lambdactl("doctor", "--repair", "-o", "json").json()
    assert repaired["Healthy"] is True
    assert repaired["Recovered"] == ["version hello:1"]
    for name in ("state.db", "logs.db"):
        [aside] = moved_aside(state, name)
        assert aside.read_bytes() == b"garbage " * 1000
    assert lambdactl("invoke", "hello:1").code == 0
    assert lambdactl("logs", "hello").code == 0


def test_a_missing_snapshot_tree_is_extracted_again(lambdactl, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from lambdactl.store.blobs import _remove

    state = project_dir / ".lambda"
    assert lambdactl("publish").code == 0
    [zipped] = (state / "code").glob("*.zip")
    _remove(zipped.with_suffix(""))  # the read-only tree
    report = lambdactl("doctor", "-o", "json").json()
    assert report["Checks"][2]["Status"] == "incomplete"
    repaired = lambdactl("doctor", "--repair", "-o", "json").json()
    assert repaired["Repaired"] == [f"extracted snapshot {zipped.stem[:12]}… again from its zip"]
    assert lambdactl("invoke", "hello:1").code == 0


def test_repair_refuses_to_move_the_state_of_a_running_worker(lambdactl, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    state = project_dir / ".lambda"
    assert lambdactl("publish").code == 0
    (state / "state.db").write_bytes(b"")
    lock = daemon.hold(state)  # this test process plays the worker
    assert lock is not None
    try:
        refused = lambdactl("doctor", "--repair")
    finally:
        os.close(lock)
    assert refused.code == 7
    assert refused.err.startswith(
        f"error: a worker is running for this project (pid {os.getpid()})"
    )
    assert not list(state.glob("*.damaged-*"))


def test_a_new_project_is_still_new(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    state = project_dir / ".lambda"
    state.mkdir()
    (state / "state.db").write_bytes(b"")  # made, never written: nothing shows a used project
    lock = daemon.hold(state)  # a worker lock file is no sign of use either
    assert lock is not None
    os.close(lock)
    assert cli("list").code == 0
    checked = cli("doctor", "-o", "json")
    assert checked.code == 0
    assert list(checked.json()) == [
        "StateDirectory",
        "Healthy",
        "Checks",
        "Repaired",
        "Recovered",
        "Lost",
    ]
