"""Starting runtime processes so that none outlives lambdactl, however lambdactl ends.

Environments start their runtimes through `SPAWNER`: one long-lived thread (the kernel ties
`PR_SET_PDEATHSIG` to the thread that forked), and a guardian process that kills what is left
when lambdactl is gone.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

GUARDIAN = """
import os, signal, sys
fd, groups, pending = int(sys.argv[1]), set(), b""
while True:
    chunk = os.read(fd, 4096)
    if not chunk:
        break
    pending += chunk
    *lines, pending = pending.split(b"\\n")
    for line in lines:
        sign, group = line.split()
        (groups.add if sign == b"+" else groups.discard)(int(group))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""
"""A tiny stdlib process that outlives lambdactl by a moment: when the pipe from lambdactl
reaches end of file (lambdactl is gone, however it ended), it kills every environment's
process group it was told about: runtimes, stopped or not, and their children."""


class Spawner:
    """Starts runtime processes from one long-lived thread, each in its own process group.

    Two safety nets make sure no environment outlives lambdactl, even after `kill -9`:
    a guardian process (above) that kills the groups when lambdactl's end of a pipe closes,
    and, on Linux, `PR_SET_PDEATHSIG` on each runtime. The kernel ties the latter to the
    *thread* that forked, hence a thread that lives as long as the process.
    """

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[Callable[[], subprocess.Popen[bytes]], queue.Queue]] = (
            queue.Queue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._guardian_fd: int | None = None
        self._guardian: subprocess.Popen[bytes] | None = None

    def start(
        self, command: list[str], *, cwd: Path, env: dict[str, str], output_fd: int
    ) -> subprocess.Popen[bytes]:
        def launch() -> subprocess.Popen[bytes]:
            self._ensure_guardian()
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output_fd,
                stderr=output_fd,
                start_new_session=True,  # its own process group: a kill takes its children too
                close_fds=True,
                preexec_fn=_die_with_parent(),
            )
            self._tell_guardian(f"+ {process.pid}\n")
            return process

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

    def forget(self, pid: int) -> None:
        """The process group `pid` is gone: the guardian need not kill it."""
        self._tell_guardian(f"- {pid}\n")

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


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that sets PR_SET_PDEATHSIG to SIGKILL (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the hook ran
            os._exit(1)

    return hook
