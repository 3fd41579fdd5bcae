"""Starting runtime processes so that none outlives its environment, nor lambdactl.

Environments start their runtimes through `SPAWNER`:

- On Linux each runtime runs under a launcher (`bootstrap/launcher.py`): its parent and the
  subreaper of everything it starts, so that a process the handler puts in a new session or
  double-forks is adopted by the launcher, which kills it when the runtime ends. The runtime
  dies with its launcher, and the launcher is told (SIGTERM) when lambdactl dies:
  `PR_SET_PDEATHSIG`, which the kernel ties to the *thread* that forked, hence one spawner
  thread that lives as long as the process (the launcher sets it on itself, so that the
  spawner can use `vfork`). Elsewhere the runtime is started directly.
- A guardian process outlives lambdactl by a moment: it asks the launchers to clean up, then
  kills every process group it was told about.
"""

from __future__ import annotations

import math
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .interpreters import LAUNCHER

LAUNCHES = sys.platform.startswith("linux")
"""Whether runtimes run under the launcher: it needs Linux's `prctl`."""

PID_TIMEOUT = 10.0
"""How long to wait for a launcher to report its runtime's pid (AWS's Init limit)."""


@dataclass
class Runtime:
    """A started runtime. `process` is what lambdactl reaps: the launcher, where there is one;
    `pid` is the runtime itself, the leader of the process group that limits and kills act on."""

    process: subprocess.Popen[bytes]
    pid: int
    _status_fd: int | None = None
    _pending: bytes = b""

    def peak_memory_mb(self) -> int | None:
        """The runtime's own peak resident memory (its `wait4` rusage, which the launcher's
        would mix with the launcher's own) as its launcher reported it when the runtime ended;
        None without a launcher or a report. Call once the launcher has ended."""
        fd, self._status_fd = self._status_fd, None
        if fd is None:
            return None
        data = self._pending + _read_available(fd)
        os.close(fd)
        for line in data.splitlines():
            word, _, value = line.partition(b" ")
            if word == b"exit" and value.isdigit():
                return math.ceil(int(value) / 1024)  # Linux: kilobytes
        return None


GUARDIAN = """
import os, signal, sys, time
fd, launchers, groups, pending = int(sys.argv[1]), set(), set(), b""
while True:
    chunk = os.read(fd, 4096)
    if not chunk:
        break
    pending += chunk
    *lines, pending = pending.split(b"\\n")
    for line in lines:
        verb, pid = line.split()
        pid = int(pid)
        if verb == b"forget":
            launchers.discard(pid)
            groups.discard(pid)
        else:
            groups.add(pid)
            if verb == b"launcher":
                launchers.add(pid)

def gone(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as stat:
            return stat.read().rsplit(b") ", 1)[1][:1] == b"Z"
    except (OSError, IndexError):
        return True

for pid in launchers:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
deadline = time.monotonic() + 2.0
while launchers and time.monotonic() < deadline:
    launchers = {pid for pid in launchers if not gone(pid)}
    time.sleep(0.01)
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""
"""A tiny stdlib process that outlives lambdactl by a moment. When the pipe from lambdactl
reaches end of file (lambdactl is gone, however it ended), it sends SIGTERM to every launcher
(each then kills its runtime and everything it adopted), gives them up to 2 s, then kills
every process group it was told about: launchers and runtimes, stopped or not, and the
runtimes' children."""


class Spawner:
    """Starts runtime processes from one long-lived thread, each in its own process group,
    under a launcher on Linux; tells the guardian what to kill if lambdactl is killed."""

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[Callable[[], subprocess.Popen[bytes]], queue.Queue]] = (
            queue.Queue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._guardian_fd: int | None = None
        self._guardian: subprocess.Popen[bytes] | None = None

    def start(
        self,
        command: list[str],
        *,
        python: Sequence[str],
        script: bool,
        cwd: Path,
        env: dict[str, str],
        output_fd: int,
        launcher: Path = LAUNCHER,
    ) -> Runtime:
        """Start `command`: a program, or with `script` a script and its arguments that
        `python` (an interpreter and its options) runs. On Linux `python` runs `launcher`,
        which runs the command: for a script, in a fork of itself (one interpreter start).

        Raises OSError when the program cannot be executed, as `subprocess.Popen` does.
        """
        status_read, status_write = os.pipe() if LAUNCHES else (None, None)
        if status_write is not None:
            mode = "python" if script else "exec"
            argv = [*python, str(launcher), str(status_write), str(os.getpid()), mode, *command]
        else:
            argv = [*python, *command] if script else command

        def launch() -> subprocess.Popen[bytes]:
            self._ensure_guardian()
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output_fd,
                stderr=output_fd,
                start_new_session=True,  # its own process group: a kill takes its children too
                close_fds=True,
                pass_fds=() if status_write is None else (status_write,),
                # No preexec_fn: it would make Popen fork the whole process instead of vfork
                # (~20 ms each for a server with hundreds of threads); the launcher asks for
                # its parent-death signal itself.
            )
            self._tell_guardian(f"{'launcher' if LAUNCHES else 'group'} {process.pid}\n")
            return process

        try:
            process = self._in_spawner_thread(launch)
        except BaseException:
            if status_read is not None:
                os.close(status_read)
            raise
        finally:
            if status_write is not None:
                os.close(status_write)
        if status_read is None:
            return Runtime(process, process.pid)
        try:
            pid, pending = _runtime_pid(status_read)
        except OSError:
            os.close(status_read)
            process.wait()
            self.forget(process.pid)
            raise
        if pid is None:  # the launcher failed: what is there to kill is the launcher itself
            pid = process.pid
        else:
            self._tell_guardian(f"group {pid}\n")
        return Runtime(process, pid, status_read, pending)

    def forget(self, *pids: int) -> None:
        """These processes (and their groups) are gone: the guardian need not kill them."""
        self._tell_guardian("".join(f"forget {pid}\n" for pid in pids))

    def _in_spawner_thread(
        self, launch: Callable[[], subprocess.Popen[bytes]]
    ) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="spawner", daemon=True)
                self._thread.start()
        reply: queue.Queue = queue.Queue()
        self._requests.put((launch, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value

    def _run(self) -> None:
        while True:
            launch, reply = self._requests.get()
            try:
                reply.put((True, launch()))
            except BaseException as exc:  # handed to the caller's thread
                reply.put((False, exc))

    def _ensure_guardian(self) -> None:
        if self._guardian_fd is not None:
            return
        read_fd, write_fd = os.pipe()
        os.set_inheritable(write_fd, False)
        self._guardian = subprocess.Popen(  # kept: it runs as long as lambdactl does
            [sys.executable, "-I", "-S", "-c", GUARDIAN, str(read_fd)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(read_fd,),
            start_new_session=True,  # not in any environment's group, nor the terminal's
        )
        os.close(read_fd)
        self._guardian_fd = write_fd

    def _tell_guardian(self, line: str) -> None:
        with self._lock:
            if self._guardian_fd is not None:
                try:
                    os.write(self._guardian_fd, line.encode())
                except OSError:
                    pass


SPAWNER = Spawner()


def _runtime_pid(fd: int) -> tuple[int | None, bytes]:
    """The launcher's first line on its status pipe: (the runtime's pid, what was read past
    it). None if the launcher ended (or hung) without one; OSError if the program could not
    be executed."""
    data, deadline = b"", time.monotonic() + PID_TIMEOUT
    poller = select.poll()  # not select.select: it fails on descriptors past 1023
    poller.register(fd, select.POLLIN)
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            return None, data
        chunk = os.read(fd, 256)
        if not chunk:
            return None, data
        data += chunk
    line, _, pending = data.partition(b"\n")
    word, _, value = line.partition(b" ")
    if word == b"error" and value.isdigit():
        raise OSError(int(value), os.strerror(int(value)))
    return (int(value) if word == b"pid" and value.isdigit() else None), pending


def _read_available(fd: int) -> bytes:
    """All that can be read from `fd` now, without waiting."""
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, OSError):
            return data
        if not chunk:
            return data
        data += chunk
