"""Measuring what an environment uses (and, later, enforcing what it may use)."""

from __future__ import annotations

import math
import resource
import subprocess
import sys


def peak_memory_mb(pid: int) -> int:
    """The process's peak resident memory in MB (AWS's `Max Memory Used`), 0 if unknown.

    Linux reads the kernel's high-water mark (`VmHWM`); elsewhere the current RSS from `ps`
    is the best portable approximation.
    """
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return math.ceil(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            return 0
        return 0
    try:
        out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
        return math.ceil(int(out.stdout.strip() or 0) / 1024)
    except (OSError, ValueError):
        return 0


def rusage_peak_mb(usage: resource.struct_rusage) -> int:
    """`ru_maxrss` in MB: kilobytes on Linux, bytes on macOS."""
    kilobytes = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return math.ceil(kilobytes / 1024)
