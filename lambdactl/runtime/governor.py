"""What an environment may use, measured and enforced: memory and CPU share.

One `Governor` thread watches every busy environment of a process:

- **Memory**: the resident memory of the runtime process and its descendants is sampled
  every 10 ms (Linux: `/proc`; elsewhere `ps` every 100 ms). An environment over its
  configured memory is killed, as Lambda's OOM killer does, and the invoke reports
  `Runtime.OutOfMemory`. A spike shorter than the sampling interval can slip through. A
  runtime without children that has used no CPU since its last sample cannot have grown
  (a page is only made resident by running): it is not sampled again until it runs.
- **CPU**: AWS gives 1 vCPU at 1,769 MB and proportionally less (or more, up to 6) elsewhere,
  and enforces it as Linux's CFS bandwidth control does: per period, at most
  `quota = share × period` of CPU; what a period leaves unused is lost (no carry-over); a
  process that used its quota waits for the next period boundary. So does the governor, with
  periods of `PERIOD_SECONDS` per environment: an invocation starts a fresh period with a full
  quota; the runtime's CPU time (Linux: the kernel's CPU clock of the process, all its
  threads) is metered against the period's quota; once it is used (give or take the clock's
  granularity, `CLOCK_SLACK`) the process group is stopped (`SIGSTOP`) and continued at the
  next boundary. An overrun (CPU used past the quota before a check saw it) is owed to the
  next period, as CFS charges it.
  Why not a bucket refilled continuously: it lets an invocation run unthrottled for
  `quota / (1 − share)` (137 ms at 1,024 MB), so short handlers stopped speeding up long
  before 1,769 MB, unlike on AWS. Where CPU time cannot be read, the same rule becomes a plain
  duty cycle (running counts as fully busy).
  Processes the handler starts are stopped and continued with it but their CPU is not
  metered.

The governor checks every `INTERVAL`, or less often when it watches so many environments
(hundreds of invocations held by a server) that its rounds would take more than `BUDGET` of
a CPU: it then paces itself, and every check comes proportionally later.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ONE_VCPU_MB = 1769
"""AWS: 'At 1,769 MB, a function has the equivalent of one vCPU'."""

MAX_VCPUS = 6.0

INTERVAL = 0.002
"""Seconds between the governor's CPU checks."""

MEMORY_INTERVAL = 0.010 if sys.platform.startswith("linux") else 0.100

BUDGET = 0.10
"""The share of one CPU the governor's own checks may take, however many it watches."""

PERIOD_SECONDS = 0.100
"""CFS's default period: a throttled process runs in chunks of `share × period` CPU (7 ms at
128 MB), its quota. Finer chunks cost the handler measurably more CPU per unit of work (cold
caches after every stop: +50% at 2 ms chunks, +7% at 7 ms), which would skew the share."""

CLOCK_SLACK = 0.005
"""How far past its quota a process may seem to be before it is stopped. The kernel's CPU
clock of a whole process advances in scheduler ticks while it runs (4 ms steps measured here),
so a process using a whole vCPU appeared up to a tick ahead of wall time and was stopped near
the end of each period. The overrun is owed to the next period: the share is unchanged."""

_PERIOD_NS = int(PERIOD_SECONDS * 1e9)
_SLACK_NS = CLOCK_SLACK * 1e9
_LINUX = sys.platform.startswith("linux")
_CPUS = os.cpu_count() or 1
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def cpu_share(memory_mb: int) -> float:
    """vCPUs for a memory size: memory / 1769, at most 6."""
    return min(MAX_VCPUS, memory_mb / ONE_VCPU_MB)


def peak_memory_mb(pid: int) -> int:
    """The process's peak resident memory in MB (AWS's `Max Memory Used`), 0 if unknown.

    Linux reads the kernel's high-water mark (`VmHWM`); elsewhere the current RSS from `ps`
    is the best portable approximation.
    """
    if _LINUX:
        try:
            data = _proc_read(pid, "status")
            start = data.index(b"VmHWM:") + 6
            return math.ceil(int(data[start : data.index(b"kB", start)]) / 1024)
        except (OSError, ValueError):
            return 0
    return math.ceil(_ps_rss_kb([pid]) / 1024)


_proc_fds: dict[tuple[int, str], int] = {}
_proc_lock = threading.Lock()


def _proc_read(pid: int, name: str, *, empty: bool = False) -> bytes:
    """Read /proc/<pid>/<name>, keeping the file open between calls (half the cost).
    ProcessLookupError once the process is gone (an empty read, unless the file may be
    `empty`, as a `children` file is)."""
    key = (pid, name)
    with _proc_lock:
        fd = _proc_fds.get(key)
        if fd is None:
            fd = _proc_fds[key] = os.open(f"/proc/{pid}/{name}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            data: bytes | None = os.pread(fd, 8192, 0)
        except OSError:
            data = None
        if data is None or not (data or empty):
            # The process is gone (or its pid was reused): start afresh next time.
            os.close(_proc_fds.pop(key))
            raise ProcessLookupError(pid)
        return data


def forget_process(pid: int) -> None:
    """Release what was kept open for `pid` (call when it has exited)."""
    with _proc_lock:
        for key in [k for k in _proc_fds if k[0] == pid]:
            os.close(_proc_fds.pop(key))


def rusage_peak_mb(usage: resource.struct_rusage) -> int:
    """`ru_maxrss` in MB: kilobytes on Linux, bytes on macOS."""
    kilobytes = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return math.ceil(kilobytes / 1024)


@dataclass
class _Watch:
    pid: int
    memory_limit_kb: int
    share: float | None
    on_oom: Callable[[], None]
    remaining_ns: float = 0.0
    """CPU the current period's quota has left (negative: an overrun owed to the next)."""
    last_cpu_ns: int | None = None
    last_wall_ns: int = field(default_factory=time.monotonic_ns)
    period_start_ns: int = 0
    last_memory_ns: int = 0
    memory_cpu_ns: int | None = None
    """The runtime's CPU time at its last memory sample."""
    has_children: bool = True
    """Whether that sample found processes below the runtime (their memory counts too)."""
    stopped: bool = False
    peak_kb: int = 0
    killed: bool = False
    removed: bool = False


class Governor:
    """Enforces memory and CPU share on the environments it is told to watch."""

    def __init__(self, *, throttle_cpu: bool = True) -> None:
        self.throttle_cpu = throttle_cpu
        self._watches: dict[int, _Watch] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def watch(self, pid: int, *, memory_mb: int, cpu: bool, on_oom: Callable[[], None]) -> None:
        """Start (or change) watching `pid`. `cpu` False: memory only (e.g. during init)."""
        share = cpu_share(memory_mb) if cpu and self.throttle_cpu else None
        if share is not None and share >= _CPUS:
            share = None  # more vCPUs than the machine has: nothing to hold back
        with self._lock:
            current = self._watches.get(pid)
            # An invocation starts a fresh period with a full quota, metered from now.
            quota = share * _PERIOD_NS if share is not None else 0.0
            cpu_now, now = _cpu_ns(pid), time.monotonic_ns()
            if current is not None:
                current.share = share
                current.remaining_ns = quota
                current.last_cpu_ns, current.last_wall_ns = cpu_now, now
                current.period_start_ns = now
                if current.stopped:  # a full quota (or none to meter): it runs again
                    _signal_group(pid, signal.SIGCONT)
                    current.stopped = False
            else:
                # First checks one interval from now: most invocations are over by then.
                self._watches[pid] = _Watch(
                    pid,
                    memory_mb * 1024,
                    share,
                    on_oom,
                    quota,
                    last_cpu_ns=cpu_now,
                    last_wall_ns=now,
                    period_start_ns=now,
                    last_memory_ns=now,
                )
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="governor", daemon=True)
                self._thread.start()
            self._wake.notify()

    def unwatch(self, pid: int) -> int:
        """Stop watching `pid` (continuing it if it was stopped); its sampled peak in MB."""
        with self._lock:
            watch = self._watches.pop(pid, None)
            if watch is None:
                return 0
            watch.removed = True  # under the lock: the governor can no longer stop it
            if watch.stopped:
                _signal_group(pid, signal.SIGCONT)
        return math.ceil(watch.peak_kb / 1024)

    def _run(self) -> None:
        pause = INTERVAL
        while True:
            with self._lock:
                while not self._watches:
                    self._wake.wait()
            time.sleep(pause)
            began = time.thread_time()
            with self._lock:
                watches = list(self._watches.values())
            for watch in watches:
                if watch.killed:
                    continue
                # CPU, then wall time, read together: a clock read after a preemption would
                # make CPU time outrun wall time (stopping a whole vCPU's process).
                cpu = _cpu_ns(watch.pid)
                now = time.monotonic_ns()
                if now - watch.last_memory_ns >= MEMORY_INTERVAL * 1e9:
                    watch.last_memory_ns = now
                    self._check_memory(watch, cpu)
                if watch.share is not None and not watch.killed:
                    with self._lock:  # decide and signal under the lock (see `unwatch`)
                        share = watch.share  # `watch` may have turned metering off meanwhile
                        if not watch.removed and share is not None:
                            self._decide(watch, share, cpu, now)
            # The round's own CPU time, not its wall time: on a loaded machine a preempted
            # round looked costly, and checks (CPU share, memory) came up to 76 ms apart.
            pause = max(INTERVAL, (time.thread_time() - began) * (1 / BUDGET - 1))

    def _check_memory(self, watch: _Watch, cpu: int | None) -> None:
        if cpu is not None and cpu == watch.memory_cpu_ns and not watch.has_children:
            return  # it has not run since its last sample: it cannot have grown
        used_kb, watch.has_children = _tree_rss_kb(watch.pid)
        watch.memory_cpu_ns = cpu
        with self._lock:
            if watch.removed:
                return
            watch.peak_kb = max(watch.peak_kb, used_kb)
            if used_kb > watch.memory_limit_kb:
                watch.killed = True
                watch.on_oom()
                _signal_group(watch.pid, signal.SIGKILL)

    def _decide(self, watch: _Watch, share: float, cpu: int | None, now: int) -> None:
        """CFS bandwidth control: a period's quota, no carry-over, stopped until the next
        boundary once it is used."""
        if watch.last_cpu_ns is None and cpu is not None:
            watch.last_cpu_ns, watch.last_wall_ns = cpu, now  # first sample: start metering
            return
        elapsed = now - watch.last_wall_ns
        if cpu is None or watch.last_cpu_ns is None:
            used = 0 if watch.stopped else elapsed  # no CPU clock: a plain duty cycle
        else:
            used = cpu - watch.last_cpu_ns
        watch.last_cpu_ns, watch.last_wall_ns = cpu, now
        since = now - watch.period_start_ns
        if since < _PERIOD_NS:
            watch.remaining_ns -= used
        else:
            watch.period_start_ns += since - since % _PERIOD_NS
            # The part of `used` after the boundary (pro rata) is the new period's.
            later = used * min(1.0, (now - watch.period_start_ns) / elapsed) if elapsed else 0
            left = watch.remaining_ns - (used - later)
            # A fresh quota: what was left is lost, an overrun is owed (CFS charges it too).
            watch.remaining_ns = share * _PERIOD_NS + min(0.0, left) - later
        if watch.stopped:
            if watch.remaining_ns > 0:  # a new period's quota: run again
                _signal_group(watch.pid, signal.SIGCONT)
                watch.stopped = False
        elif watch.remaining_ns < -_SLACK_NS:
            watch.stopped = _signal_group(watch.pid, signal.SIGSTOP)


def _signal_group(pid: int, signum: int) -> bool:
    try:
        os.killpg(pid, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _cpu_ns(pid: int) -> int | None:
    """CPU time of all the process's threads in ns (Linux), None where unavailable or once
    it is gone. One system call: the kernel's CPU clock of the process, whose id glibc's
    `clock_getcpuclockid` would compute (reading /proc for each thread cost ~30 µs)."""
    if not _LINUX:
        return None
    try:
        return time.clock_gettime_ns(((~pid) << 3) | _CPUCLOCK_SCHED)
    except OSError:
        return None


_CPUCLOCK_SCHED = 2
"""Linux's clock of the scheduler's CPU time, the low bits of a process CPU clock's id."""


def _tree_rss_kb(pid: int) -> tuple[int, bool]:
    """Resident memory of `pid` and all its descendants, in KB; and whether it has any.

    The runtime's own files in /proc are kept open between samples (`_proc_read`)."""
    if not _LINUX:
        return _ps_rss_kb([pid]), True
    try:
        rss, children = _rss_and_children(pid, kept=True)
    except (OSError, ValueError, IndexError):
        return 0, False
    total, pending, seen = rss, list(children), {pid}
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            rss, more = _rss_and_children(current, kept=False)
        except (OSError, ValueError, IndexError):
            continue
        total += rss
        pending.extend(more)
    return total, bool(children)


def _rss_and_children(pid: int, *, kept: bool) -> tuple[int, list[int]]:
    """A process's resident KB (`stat`'s rss) and its children (each thread's `children`:
    only the main thread's when it has one thread, the usual case)."""
    fields = _read(pid, "stat", kept).rsplit(b") ", 1)[1].split()
    rss_kb, threads = int(fields[21]) * _PAGE // 1024, int(fields[17])
    tasks = [str(pid)] if threads == 1 else os.listdir(f"/proc/{pid}/task")
    children = [
        int(child)
        for task in tasks
        for child in _read(pid, f"task/{task}/children", kept and task == str(pid)).split()
    ]
    return rss_kb, children


def _read(pid: int, name: str, kept: bool) -> bytes:
    if kept:
        return _proc_read(pid, name, empty=name != "stat")
    with open(f"/proc/{pid}/{name}", "rb") as file:
        return file.read()


def _ps_rss_kb(pids: list[int]) -> int:
    try:
        out = subprocess.run(
            ["ps", "-o", "rss=", "-g", ",".join(map(str, pids))], capture_output=True, text=True
        )
        return sum(int(line) for line in out.stdout.split() if line.strip().isdigit())
    except (OSError, ValueError):
        return 0
