"""A long-running process (`serve`, later `dev`) follows edits of its manifest.

An edit is noticed from file-system events (the watcher `Project.watch_code` started; the
manifest's directory alone, not the tree below it), settled (an editor's save is several
events: wait until `SETTLE_SECONDS` pass without one), then read and validated. A valid text
is applied at once: the project's functions are composed from it (`Project.adopt`: functions
added, removed, reconfigured; run-time overrides of the keys it changed dropped), the invoker
takes its limits (`Invoker.follow`), and the warm environments of what changed are shut down
(`$LATEST` of a function whose configuration or code changed; every version of a removed one;
all of them when a setting every environment carries changed: region, account, CPU
throttling). The other functions' environments stay warm. An invalid text is reported and
the last valid manifest keeps serving, until the next edit (or the next look, for an error
that something else can cure, such as a code directory not made yet).

Nothing here is on the invoke path: the watcher's thread only wakes this one, which applies
the edit. As a safety net for file systems without events (network mounts), the file is also
looked at (one `stat`) every `POLL_SECONDS`.

While the process announces an endpoint (`endpoint.json`), this keeps it saying which text of
the manifest is served, so the CLI hands commands over only to a server that runs the
manifest as it is on disk.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import endpoint
from . import manifest as manifest_module
from .errors import LambdactlError
from .invoke import Invoker
from .manifest import FunctionSpec, Manifest
from .project import Project
from .versions import LATEST

log = logging.getLogger("lambdactl")

SETTLE_SECONDS = 0.05
"""Quiet time after the last event of an edit before it is read (one save, one reload)."""
SETTLE_LIMIT_SECONDS = 1.0
"""A file written without pause is read after this long all the same."""
POLL_SECONDS = 1.0
"""How often the file is looked at without an event (one `stat`)."""

SETTINGS = {
    "region": "region",
    "account": "account",
    "account_concurrency": "account_concurrency",
    "idle_timeout": "idle_timeout",
    "cpu_throttling": "cpu_throttling",
    "queues": "queues",
    "streams": "streams",
    "logs": "log_retention",
}
"""The manifest's project-wide keys, with the `Manifest` field each one sets."""
EVERY_ENVIRONMENT = ("region", "account", "cpu_throttling")
"""Settings every environment is started with: a change of one replaces them all."""


@dataclass(frozen=True)
class Reload:
    """What applying an edited manifest changed."""

    manifest: Path
    changed: tuple[str, ...] = ()
    """Functions that are not what they were (configuration, code directory, limits...)."""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    """Project-wide keys that changed (`SETTINGS`' names)."""

    def summary(self) -> str:
        """One line for a person: `functions.yaml reloaded: hello changed, world added`."""
        parts = [
            *(f"{name} changed" for name in self.changed),
            *(f"{name} added" for name in self.added),
            *(f"{name} removed" for name in self.removed),
            *(f"{key} changed" for key in self.settings),
        ]
        return f"{self.manifest.name} reloaded: {', '.join(parts) or 'nothing changed'}"


def compare(
    before: Mapping[str, FunctionSpec],
    after: Mapping[str, FunctionSpec],
    old: Manifest,
    new: Manifest,
) -> Reload:
    """What changed from (`old`, its functions `before`) to (`new`, `after`)."""
    return Reload(
        manifest=new.path,
        changed=tuple(n for n in after if n in before and before[n] != after[n]),
        added=tuple(n for n in after if n not in before),
        removed=tuple(n for n in before if n not in after),
        settings=tuple(k for k, f in SETTINGS.items() if getattr(old, f) != getattr(new, f)),
    )


def runs_differently(before: FunctionSpec, after: FunctionSpec) -> bool:
    """Whether `after`'s `$LATEST` runs in another environment than `before`'s: what its
    RevisionId is made of changed (configuration, code, layers). Its event sources (`events`)
    are not: a function whose sources changed is `changed`, its environments stay warm."""
    return (before.config, before.code, before.layers, before.upload) != (
        after.config,
        after.code,
        after.layers,
        after.upload,
    )


class Reloader:
    """Follows the edits of `project`'s manifest for `invoker` (and the endpoint it announces).

    `on_reload` is called with each applied edit (a text that changes nothing included),
    `on_reject` with the error of each invalid one (once per text and error), both from this
    object's thread."""

    def __init__(
        self,
        project: Project,
        invoker: Invoker,
        *,
        on_reload: Callable[[Reload], None] = lambda _reload: None,
        on_reject: Callable[[LambdactlError], None] = lambda _error: None,
        settle: float = SETTLE_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.project = project
        self.invoker = invoker
        self.path = project.manifest.path
        self._on_reload = on_reload
        self._on_reject = on_reject
        self._settle = settle
        self._poll = poll
        self._lock = threading.Lock()
        """One look at a time (the thread's, and `check` called by others)."""
        self._poked = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._announced: endpoint.Endpoint | None = None
        self._served: tuple[int, int] = (0, 0)
        self._seen: tuple[int, int] = (0, 0)
        self._seen_text: str | None = None
        self._declined: str = ""

    def start(self, announced: endpoint.Endpoint | None = None) -> None:
        """Start following. The text on disk now is applied first, silently (it may have been
        edited since the project was opened); `announced` is then published, saying it."""
        self._announced = announced
        with self._lock:
            self._look(read=True, quiet=True)
            self._announce()
        changes = self.project.changes
        if changes is None:
            self.project.watch_code()
            changes = self.project.changes
        assert changes is not None
        changes.watch_file(self.path, self._poked.set)  # a template's options: polled
        self._thread = threading.Thread(target=self._run, name="reload", daemon=True)
        self._thread.start()

    def check(self) -> Reload | None:
        """Read the manifest now and apply it if it is a valid new text: what changed (also
        told to `on_reload`); None when nothing was applied (the same text, or an invalid
        one: `on_reject` was told)."""
        with self._lock:
            return self._look(read=True)

    def close(self) -> None:
        """Stop following; the endpoint is not published again (it may be withdrawn)."""
        with self._lock:
            self._closed = True
        self._poked.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    # -- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closed:
            event = self._poked.wait(self._poll)
            if self._closed:
                return
            if event:
                self._wait_quiet()
            with self._lock:
                if self._closed:
                    return
                try:  # a text it refused may become valid without an edit (a directory made)
                    self._look(read=event or bool(self._declined))
                except LambdactlError as exc:  # the store, while composing: said, not fatal
                    self._on_reject(exc)

    def _wait_quiet(self) -> None:
        """Until no event came for `settle` seconds (at most `SETTLE_LIMIT_SECONDS`)."""
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        while True:
            self._poked.clear()
            if not self._poked.wait(self._settle) or time.monotonic() >= deadline:
                self._poked.clear()
                return

    # -- one look ------------------------------------------------------------------------------

    def _look(self, *, read: bool, quiet: bool = False) -> Reload | None:
        """Apply the manifest on disk if it changed (under `_lock`): what changed, None when
        nothing was applied. `read`: read its text even if its stamp is the same (two edits
        within one tick of the file system's clock share one). `quiet`: `on_reload` is not
        told (an invalid text is reported all the same)."""
        stamp = endpoint.stamp(self.path)
        if not read and stamp == self._seen:
            return None
        try:
            text = manifest_module.read(self.path)
        except LambdactlError as exc:
            self._decline(stamp, None, exc, quiet=quiet)
            return None
        if endpoint.stamp(self.path) != stamp:  # written meanwhile: its events will follow
            self._poked.set()
            return None
        raw, text = text, text + _options_text(self.path)  # a template's options count too
        if text == self._seen_text and not self._declined:
            self._served = self._seen = stamp  # the same text (touched, saved unchanged)
            self._announce()
            return None
        try:
            loaded = manifest_module.load(self.path, text=raw)
        except LambdactlError as exc:
            self._decline(stamp, text, exc, quiet=quiet)
            return None
        # The first look finds the text the project was opened with, as a rule: nothing new.
        opened = self._seen_text is None and loaded == self.project.manifest
        reload = self._apply(loaded)
        self._served = self._seen = stamp
        self._seen_text, self._declined = text, ""
        self._announce()
        if opened:
            return None
        if not quiet:
            self._on_reload(reload)
        return reload

    def _decline(
        self, stamp: tuple[int, int], text: str | None, error: LambdactlError, *, quiet: bool
    ) -> None:
        """The text on disk is invalid: the last valid manifest keeps serving."""
        message = str(error)
        repeated = text == self._seen_text and message == self._declined  # None: unreadable
        self._seen, self._seen_text, self._declined = stamp, text, message
        self._announce()
        if not repeated:
            self._on_reject(error)

    def _apply(self, new: Manifest) -> Reload:
        """Serve `new` from now on: what changed."""
        project, old = self.project, self.project.manifest
        if new == old:  # a comment, a key moved: nothing to do
            return Reload(manifest=new.path)
        before = dict(project.functions)
        project.adopt(new)
        after = dict(project.functions)
        reload = compare(before, after, old, new)
        self.invoker.follow()
        if any(key in EVERY_ENVIRONMENT for key in reload.settings):
            self.invoker.retire()
        else:
            for name in reload.removed:
                self.invoker.retire(name)
            for name in reload.changed:
                if runs_differently(before[name], after[name]):
                    self.invoker.retire(name, LATEST)
        return reload

    def _announce(self) -> None:
        if self._announced is None or self._closed:
            return
        self._announced = dataclasses.replace(
            self._announced, stamp=self._served, seen=self._seen, declined=self._declined
        )
        endpoint.publish(self.project.manifest.state_dir, self._announced)


def _options_text(manifest: Path) -> str:
    """The options remembered for a SAM template (`sam/options.py`) as text ("" for none)."""
    try:
        return "\0" + endpoint.options_path(manifest).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
