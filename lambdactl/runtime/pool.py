"""Warm environments, kept per function version and reused one invocation at a time."""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from pathlib import Path

from ..errors import ShuttingDown
from ..logs.lines import LogEvent
from .environment import Environment, EnvironmentSpec
from .governor import Governor

_LIVE_POOLS: weakref.WeakSet[Pool] = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """At interpreter exit, no environment outlives lambdactl."""
    for pool in list(_LIVE_POOLS):
        pool.shutdown()


PoolKey = tuple[str, str, Hashable]
"""(function, version, revision): a `$LATEST` edit changes the revision, so its
environments are replaced rather than reused."""


class Pool:
    def __init__(
        self,
        scratch_root: Path,
        *,
        governor: Governor | None = None,
        idle_timeout: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        on_output: Callable[[Environment, list[LogEvent]], None] | None = None,
    ) -> None:
        """`on_output`: where an environment's last lines go when it is shut down."""
        self._scratch_root = scratch_root
        self._on_output = on_output
        self.governor = governor or Governor()
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._idle: dict[PoolKey, list[Environment]] = {}
        self._idle_since: dict[Environment, float] = {}
        self._busy: set[Environment] = set()
        self._revisions: dict[tuple[str, str], Hashable] = {}
        self._closed = False
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()
        _LIVE_POOLS.add(self)

    def acquire(self, key: PoolKey, spec: Callable[[], EnvironmentSpec]) -> Environment:
        """A warm idle environment for `key`, or a new (cold) one built from `spec()`;
        `ShuttingDown` once the pool is shut down. A new one is built outside the pool's
        lock (~2 ms: its spec, scratch directory, Runtime API server), so that a ramp of cold
        starts does not hold up warm invocations."""
        stale: list[Environment] = []
        with self._lock:
            if self._closed:
                raise _shut_down()
            self._revisions[key[:2]] = key[2]
            idle = self._idle.get(key)
            if idle:
                env = idle.pop(_warmest(idle))
                self._idle_since.pop(env, None)
                self._busy.add(env)
                return env
            for other in [k for k in self._idle if k[:2] == key[:2] and k != key]:
                stale += self._idle.pop(other)
        for old in stale:
            old.shutdown()
        env = Environment(
            spec(),
            scratch_root=self._scratch_root,
            governor=self.governor,
            on_output=self._on_output,
        )
        env.revision = key[2]
        with self._lock:
            closed = self._closed
            if not closed:
                self._busy.add(env)
        if closed:  # shut down meanwhile: it must not outlive the pool
            env.shutdown()
            raise _shut_down()
        return env

    def release(self, key: PoolKey, env: Environment) -> None:
        """Return `env` for reuse (a reset one is reused too: it re-inits on next use)."""
        with self._lock:
            self._busy.discard(env)
            current = self._revisions.get(key[:2]) == key[2]  # not replaced by an edit meanwhile
            if not self._closed and current:
                self._idle.setdefault(key, []).append(env)
                self._idle_since[env] = self._clock()
                if self._reaper is None:
                    self._reaper = threading.Thread(target=self._reap, name="reaper", daemon=True)
                    self._reaper.start()
                return
        env.shutdown()

    def sizes(self) -> dict[PoolKey, tuple[int, int]]:
        """(idle, busy) environment counts per key."""
        with self._lock:
            counts = {key: (len(envs), 0) for key, envs in self._idle.items() if envs}
            for env in self._busy:
                key = (env.spec.function, env.spec.version, env.revision)
                idle, busy = counts.get(key, (0, 0))
                counts[key] = (idle, busy + 1)
            return counts

    def reap(self) -> int:
        """Shut down environments idle longer than `idle_timeout`; how many were. One an
        editor is attached to (`--debug`) stays: shutting it down would end the session."""
        now = self._clock()
        expired: list[Environment] = []
        with self._lock:
            for key, envs in self._idle.items():
                keep = []
                for env in envs:
                    if now - self._idle_since.get(env, now) >= self.idle_timeout and not (
                        env.spec.debug is not None and env.attached
                    ):
                        expired.append(env)
                        self._idle_since.pop(env, None)
                    else:
                        keep.append(env)
                self._idle[key] = keep
        for env in expired:
            env.shutdown()
        return len(expired)

    def retire(self, which: Callable[[PoolKey], bool]) -> int:
        """Shut down the idle environments whose key `which` picks, and those busy now as
        they are released (what they run was changed: a reloaded manifest); how many were
        idle. A later `acquire` of such a key starts a new environment."""
        with self._lock:
            retired = [env for key in list(self._idle) if which(key) for env in self._idle.pop(key)]
            for env in retired:
                self._idle_since.pop(env, None)
            for pair, revision in list(self._revisions.items()):
                if which((*pair, revision)):
                    del self._revisions[pair]  # `release` then finds it not current
        for env in retired:
            env.shutdown()
        return len(retired)

    def _reap(self) -> None:
        # Computed each time: the idle timeout follows the manifest (a reload changes it).
        while not self._stop.wait(min(max(self.idle_timeout / 4, 0.05), 30.0)):
            self.reap()

    def shutdown(self) -> None:
        """Stop every environment, busy ones included; no child process outlives this."""
        self._stop.set()
        with self._lock:
            self._closed = True
            everything = [env for envs in self._idle.values() for env in envs] + list(self._busy)
            self._idle.clear()
            self._idle_since.clear()
            self._busy.clear()
        for env in everything:
            env.shutdown()


def _shut_down() -> ShuttingDown:
    return ShuttingDown("lambdactl is stopping: its environments are shut down")


def _warmest(idle: list[Environment]) -> int:
    """The index of the most recently used environment whose runtime still runs (one reset by
    a timeout or a failed init would init again), else of the most recently used."""
    for index in range(len(idle) - 1, -1, -1):
        if idle[index].alive:
            return index
    return len(idle) - 1
