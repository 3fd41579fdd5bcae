"""The lock file that names its holder: real `flock`s, held by this process and by another."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from lambdactl import lockfile

HOLD = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "os.ftruncate(fd, 0); os.write(fd, str(os.getpid()).encode())\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


@contextlib.contextmanager
def held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock at `path` (as a worker or a server does), killed
    at the end."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.kill()
        holder.communicate()


def test_nobody_holds_a_new_lock(tmp_path: Path) -> None:
    assert lockfile.holder(tmp_path / "x.lock") is None


def test_the_holder_is_named_until_it_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    fd = lockfile.hold(path)
    assert fd is not None
    assert path.read_text() == str(os.getpid())
    assert lockfile.hold(path) is None  # another descriptor cannot take it
    assert lockfile.holder(path) == os.getpid()
    os.close(fd)
    assert lockfile.holder(path) is None


def test_a_probe_leaves_the_name_alone(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    path.write_text("12345")
    fd = lockfile.hold(path, claim=False)
    assert fd is not None
    os.close(fd)
    assert path.read_text() == "12345"


def test_another_process_holding_it_is_named_and_its_death_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with held(path) as holder:
        assert lockfile.holder(path) == holder.pid
    assert lockfile.holder(path) is None  # the kernel let go with the process
    assert path.read_text() == str(holder.pid)  # the stale name is still written
