"""Reading a log group: what is stored, then (when following) what arrives, from any writer.

Following polls the store for events committed after the last one seen. It needs nothing
from the writers, so it keeps going while invokes, workers and servers come and go, and it
waits for the log database if nothing has been logged yet.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

from .query import FilterPattern
from .store import GroupSummary, LogStore, Query, StoredEvent, StreamSummary

POLL_SECONDS = 0.1
"""How often following looks for new events: well inside the 250 ms users should wait."""


def read(
    state_dir: Path,
    group: str | None,
    query: Query = Query(),
    *,
    pattern: FilterPattern | None = None,
    follow: bool = False,
    stop: threading.Event | None = None,
) -> Iterator[StoredEvent]:
    """The group's events (every group's, for None) matching `query` and `pattern` in time
    order; then, if `follow`, new ones as they are stored, until `stop` is set."""
    stop = stop or threading.Event()
    if pattern is not None and pattern.required:  # let SQLite skip what cannot match
        query = dataclasses.replace(query, contains=query.contains + pattern.required)
    store = _open(state_dir, wait=follow, stop=stop)
    if store is None:
        return
    try:
        last = store.last_id()
        history = dataclasses.replace(query, max_id=last)
        yield from _matching(store.read(group, history), pattern)
        while follow and not stop.wait(POLL_SECONDS):
            newest = store.last_id()  # every event up to it is committed: ids follow commits
            if newest > last:
                fresh = dataclasses.replace(query, after_id=last, max_id=newest)
                yield from _matching(store.read(group, fresh), pattern)
                last = newest
    finally:
        store.close()


def groups(state_dir: Path) -> dict[str, int]:
    """Every stored log group with its size in bytes (empty when nothing was logged)."""
    store = _open(state_dir, wait=False, stop=threading.Event())
    if store is None:
        return {}
    try:
        return store.groups()
    finally:
        store.close()


def summaries(state_dir: Path) -> list[GroupSummary]:
    """Every stored log group, by name (empty when nothing was logged)."""
    store = _open(state_dir, wait=False, stop=threading.Event())
    if store is None:
        return []
    try:
        return store.summaries()
    finally:
        store.close()


def streams(state_dir: Path, group: str) -> list[StreamSummary] | None:
    """The group's streams, by name; None when the group does not exist."""
    store = _open(state_dir, wait=False, stop=threading.Event())
    if store is None:
        return None
    try:
        return store.streams(group)
    finally:
        store.close()


def _open(state_dir: Path, *, wait: bool, stop: threading.Event) -> LogStore | None:
    while True:
        try:
            return LogStore(state_dir, create=False)
        except FileNotFoundError:
            if not wait or stop.wait(POLL_SECONDS):
                return None


def _matching(
    events: Iterator[StoredEvent], pattern: FilterPattern | None
) -> Iterator[StoredEvent]:
    if pattern is None:
        yield from events
    else:
        yield from (event for event in events if pattern.matches(event.message))
