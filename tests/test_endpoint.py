"""`.lambda/endpoint.json`: a real `lambdactl serve` announces itself, withdraws on a clean
stop, and a file left by one killed with SIGKILL is recognised as stale."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lambdactl import endpoint
from tests.api.conftest import start_server
from tests.test_lockfile import held


def state(project_dir: Path) -> Path:
    return project_dir / ".lambda"


def test_a_running_server_is_found_with_its_manifest(project_dir: Path) -> None:
    server = start_server(project_dir)
    try:
        found = endpoint.running(state(project_dir))
        assert found is not None
        assert (found.url, found.pid) == (server.url, server.process.pid)
        assert found.manifest == str((project_dir / "functions.yaml").resolve())
        assert found.serves(project_dir / "functions.yaml")
    finally:
        server.stop()
    assert not (state(project_dir) / endpoint.FILE_NAME).exists()  # withdrawn
    assert endpoint.running(state(project_dir)) is None


def test_a_killed_servers_file_is_stale(project_dir: Path) -> None:
    server = start_server(project_dir)
    server.process.kill()  # SIGKILL: no chance to withdraw
    server.process.communicate(timeout=30)
    assert (state(project_dir) / endpoint.FILE_NAME).exists()
    assert endpoint.running(state(project_dir)) is None


def test_a_file_naming_a_process_that_does_not_hold_the_lock_is_stale(project_dir: Path) -> None:
    """A reused pid, or a worker that took the lock after the server died."""
    state(project_dir).mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with held(state(project_dir) / "worker.lock") as holder:
            endpoint.publish(state(project_dir), endpoint.Endpoint("http://127.0.0.1:9", other.pid))
            assert endpoint.running(state(project_dir)) is None
            found = endpoint.Endpoint("http://127.0.0.1:9", holder.pid)
            endpoint.publish(state(project_dir), found)
            assert endpoint.running(state(project_dir)) == found
    finally:
        other.kill()
        other.wait()


def test_this_process_finds_its_own_announcement_and_withdraws_only_its_own(
    project_dir: Path,
) -> None:
    state(project_dir).mkdir()
    mine = endpoint.Endpoint("http://127.0.0.1:3001", os.getpid())
    endpoint.publish(state(project_dir), mine)
    assert endpoint.running(state(project_dir)) == mine
    endpoint.withdraw(state(project_dir), os.getpid() + 1)
    assert endpoint.running(state(project_dir)) == mine
    endpoint.withdraw(state(project_dir), os.getpid())
    assert endpoint.running(state(project_dir)) is None


def test_an_unreadable_or_damaged_file_is_no_server(project_dir: Path) -> None:
    path = state(project_dir) / endpoint.FILE_NAME
    state(project_dir).mkdir()
    for text in ("", "{", "[]", '{"url": "http://x:1"}', '{"url": 1, "pid": "x"}'):
        path.write_text(text)
        assert endpoint.running(state(project_dir)) is None, text


def test_an_edited_or_other_manifest_is_not_the_one_served(project_dir: Path) -> None:
    manifest = project_dir / "functions.yaml"
    announced = endpoint.Endpoint(
        "http://127.0.0.1:3001",
        os.getpid(),
        manifest=str(manifest.resolve()),
        stamp=endpoint.stamp(manifest),
    )
    assert announced.serves(manifest)
    other = project_dir / "functions.yml"
    other.write_text(manifest.read_text())
    assert not announced.serves(other)
    time.sleep(0.01)  # a new modification time even on a coarse clock
    manifest.write_text(manifest.read_text() + "\n")
    assert not announced.serves(manifest)


def test_why_a_server_does_not_serve_the_manifest_on_disk(project_dir: Path) -> None:
    manifest = (project_dir / "functions.yaml").resolve()
    now = endpoint.stamp(manifest)
    served = endpoint.Endpoint("http://127.0.0.1:3001", 7, str(manifest), now, now)
    assert served.unlike(manifest) is None
    assert served.unlike(project_dir / "functions.yml") == f"serves another manifest, {manifest}"
    older = endpoint.Endpoint("http://127.0.0.1:3001", 7, str(manifest), (1, 2), (1, 2))
    assert older.unlike(manifest) == endpoint.UNREAD  # it reads edits within moments
    refused = endpoint.Endpoint("http://127.0.0.1:3001", 7, str(manifest), (1, 2), now, "bad")
    assert refused.unlike(manifest) == (
        "keeps the last valid functions.yaml, as the edit is invalid"
    )
    state(project_dir).mkdir()
    endpoint.publish(state(project_dir), refused)
    assert endpoint._read(state(project_dir) / endpoint.FILE_NAME) == refused


def test_the_file_is_written_whole(project_dir: Path) -> None:
    state(project_dir).mkdir()
    endpoint.publish(state(project_dir), endpoint.Endpoint("http://[::1]:3001", 42, "m", (1, 2)))
    data = json.loads((state(project_dir) / endpoint.FILE_NAME).read_text())
    assert data == {
        "url": "http://[::1]:3001",
        "pid": 42,
        "manifest": "m",
        "stamp": [1, 2],
        "seen": [0, 0],
        "declined": "",
    }
    assert endpoint.Endpoint("http://[::1]:3001", 42).host_port == ("::1", 3001)
    assert [p.name for p in state(project_dir).iterdir()] == [endpoint.FILE_NAME]


def test_a_stopping_server_withdraws_on_sigint_too(project_dir: Path) -> None:
    server = start_server(project_dir)
    server.stop(signal.SIGINT)
    assert endpoint.running(state(project_dir)) is None
    assert not (state(project_dir) / endpoint.FILE_NAME).exists()
