"""An environment's stdout and stderr (one pipe), split into log lines per invocation.

A background reader keeps the pipe from filling while the environment idles; `drain` reads
whatever the child has already written, under the same lock, so lines printed before the
runtime posted its response are always attributed to that invocation.
"""

from __future__ import annotations

import os
import select
import threading

from ..logs.lines import LogEvent, now_ms


class OutputPipe:
    def __init__(self, fd: int) -> None:
        self._fd = fd
        os.set_blocking(fd, False)
        self._lock = threading.Lock()
        self._partial = b""
        self._lines: list[LogEvent] = []
        self._closed = False
        threading.Thread(target=self._pump, name=f"output-{fd}", daemon=True).start()

    def drain(self, *, flush_partial: bool = False) -> list[LogEvent]:
        """All complete lines written so far (and the unfinished one, if asked), removed,
        each stamped with the time it was read: at once, since a thread waits on the pipe."""
        with self._lock:
            self._read_available()
            if flush_partial and self._partial:
                self._lines.append(LogEvent(now_ms(), self._partial.decode("utf-8", "replace")))
                self._partial = b""
            lines, self._lines = self._lines, []
            return lines

    def close(self) -> None:
        with self._lock:
            self._close_fd()

    def _close_fd(self) -> None:
        """Close once (call with the lock held); the pump thread then ends."""
        if not self._closed:
            self._closed = True
            try:
                os.close(self._fd)
            except OSError:
                pass

    def _pump(self) -> None:
        poller = select.poll()  # not select.select: it fails on descriptors past 1023
        poller.register(self._fd, select.POLLIN)
        while True:
            try:
                readable = poller.poll(500)
            except OSError:
                return
            if any(events & select.POLLNVAL for _fd, events in readable):
                return  # closed under us
            with self._lock:
                if self._closed or (readable and self._read_available()):
                    return

    def _read_available(self) -> bool:
        """Read without blocking; at end of file close and return True. Lock held."""
        if self._closed:
            return True
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return False
            except OSError:
                chunk = b""
            if not chunk:  # end of file: the child and everything it started are gone
                self._close_fd()
                return True
            data = self._partial + chunk
            *complete, self._partial = data.split(b"\n")
            now = now_ms()
            self._lines.extend(LogEvent(now, line.decode("utf-8", "replace")) for line in complete)
