"""Warm environments, kept per function version and reused one invocation at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path

from .environment import Environment, EnvironmentSpec
from .limits import Governor

PoolKey = tuple[str, str, Hashable]
"""(function, version, revision): a `$LATEST` edit changes the revision, so its
environments are replaced rather than reused."""


class Pool:
    def __init__(self, scratch_root: Path, *, governor: Governor | None = None) -> None:
        self._scratch_root = scratch_root
        self.governor = governor or Governor()
        self._lock = threading.Lock()
        self._idle: dict[PoolKey, list[Environment]] = {}
        self._busy: set[Environment] = set()
        self._closed = False

    def acquire(self, key: PoolKey, spec: Callable[[], EnvironmentSpec]) -> Environment:
        """A warm idle environment for `key`, or a new (cold) one built from `spec()`."""
        stale: list[Environment] = []
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            idle = self._idle.get(key)
            if idle:
                env = idle.pop()
            else:
                for other in [k for k in self._idle if k[:2] == key[:2] and k != key]:
                    stale += self._idle.pop(other)
                env = Environment(spec(), scratch_root=self._scratch_root, governor=self.governor)
            self._busy.add(env)
        for old in stale:
            old.shutdown()
        return env

    def release(self, key: PoolKey, env: Environment) -> None:
        """Return `env` for reuse (a reset one is reused too: it re-inits on next use)."""
        with self._lock:
            self._busy.discard(env)
            if not self._closed:
                self._idle.setdefault(key, []).append(env)
                return
        env.shutdown()

    def shutdown(self) -> None:
        """Stop every environment, busy ones included; no child process outlives this."""
        with self._lock:
            self._closed = True
            everything = [env for envs in self._idle.values() for env in envs] + list(self._busy)
            self._idle.clear()
            self._busy.clear()
        for env in everything:
            env.shutdown()
