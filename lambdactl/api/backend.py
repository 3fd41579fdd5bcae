"""What every request handler works with: the project, its invoker, the endpoint's address,
and a way to run blocking service code without blocking the event loop."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import TooManyOpenFiles
from ..invoke import Invoker
from ..project import Project

T = TypeVar("T")

THREADS = 1100
"""Blocking calls in flight at once: the account's 1,000 concurrent invocations plus room for
the quick ones (configuration reads, queue writes) beside them. Threads are started as they
are needed and then kept."""


@dataclass
class Backend:
    project: Project
    invoker: Invoker
    endpoint: str
    """The base URL clients use, e.g. `http://127.0.0.1:3001`."""
    threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(THREADS, thread_name_prefix="request")
    )
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the server starts to stop: what only waits (a long poll) answers now."""

    async def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `function` in a worker thread: services block (SQLite, environments), the event
        loop must not. The store and the pool are safe to use from many threads.

        The event loop's own executor, not `anyio.to_thread`: its capacity limiter and cancel
        scopes cost ~40 µs of CPU per request (5% of a warm invoke's); a call is never
        cancelled here (an invocation runs to its end, or the server cuts it off)."""
        bound = functools.partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self.threads, bound)
        except OSError as exc:  # out of descriptors, wherever: said as such, not as a bug
            TooManyOpenFiles.check(exc)
            raise
