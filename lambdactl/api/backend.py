"""What every request handler works with: the project, its invoker, the endpoint's address,
and a way to run blocking service code without blocking the event loop."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from ..invoke import Invoker
from ..project import Project

T = TypeVar("T")

THREADS = 1100
"""Blocking calls in flight at once: the account's 1,000 concurrent invocations plus room for
the quick ones (configuration reads, queue writes) beside them."""


@dataclass
class Backend:
    project: Project
    invoker: Invoker
    endpoint: str
    """The base URL clients use, e.g. `http://127.0.0.1:3001`."""
    limiter: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(THREADS))

    async def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `function` in a worker thread: services block (SQLite, environments), the event
        loop must not. The store and the pool are safe to use from many threads."""
        bound = functools.partial(function, *args, **kwargs)
        return await anyio.to_thread.run_sync(bound, limiter=self.limiter)
