"""The dev loop: what `lambdactl dev` runs beside `serve`'s server, in the same process.

It follows every function's code directory and layers (the events `Changes` lets through:
editors' swap and backup files, `.git/`, `__pycache__`, `.lambda/` and what `.lambdaignore`
excludes never count), the manifest (through the server's `Reloader`) and the `--env-vars`
file. Events are settled (`SETTLE_SECONDS` without one; a save is several events), then each
function they touched is worked out again (`versions.latest`: its content hashed), and only a
function whose `$LATEST` RevisionId changed is reloaded: its `$LATEST` environments of older
revisions are shut down (`Invoker.recycle`; other functions and published versions stay
warm), the reload recorded (`Activity.reloaded`) and its `--on-change` invocations run.

An invoke never waits for this loop: the invoker notices the change itself (the same events)
as soon as it is written. The one exception is requirements.txt: its edit holds `$LATEST`
where it was (`versions.hold`, from the watcher's thread, before any invoke can see it) while
the new requirements install in the background; invokes keep getting the old code meanwhile,
and `$LATEST` follows once they are installed. If the install fails, the old code keeps
running, and later code edits run with the last requirements that installed. A Node.js
function's package.json and package-lock.json are its requirements.txt: an edit of either
installs its packages (`npm ci`, or `npm install` without a lock file) in the same way.

Everything that changes state runs in the loop's own thread, one cycle at a time; the view's
keys (`reload_all`, `clear`, `quit`) only ask it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import variables, versions
from ..errors import LambdactlError
from ..invoke import triggered_by
from ..store import lifecycle
from ..store.lifecycle import EventState
from ..versions import LATEST
from .activity import Activity, Snapshot
from .triggers import Trigger, outcome

if TYPE_CHECKING:
    from ..api.server import Running
    from ..invoke import InvocationResult
    from ..manifest import FunctionSpec
    from ..project import Project
    from ..reload import Reload
    from ..runtime.debugger import Debug

log = logging.getLogger("lambdactl")

SETTLE_SECONDS = 0.02
"""Quiet time after the last event before the files are looked at: an editor's save is a
burst of events within a millisecond or two (a rename, a write, a swap file), so this is
enough to make one reload of it, and small beside the save-to-answer target (150 ms)."""
SETTLE_LIMIT_SECONDS = 1.0
"""Files written without pause are looked at after this long all the same."""
LOOK_SECONDS = 1.0
"""How often the loop looks without an event (bytecode of retired revisions to delete)."""
COUNT_SECONDS = 0.5
"""How long the asynchronous events' counts shown are reused (a query each)."""
REQUIREMENTS = "requirements.txt"
PACKAGE_JSON = "package.json"
PACKAGE_LOCK = "package-lock.json"

Contents = dict[str, bytes | None]
"""A function's dependency files (`_files_of`) by name: their content (see `_contents`)."""


@dataclass
class _Install:
    """A requirements (or npm packages) install under way in the background."""

    content: Contents
    files: list[str]
    """The dependency files whose edit it installs (what the reload will name)."""
    thread: threading.Thread | None = None
    process: subprocess.Popen[str] | None = None
    deferred: list[str] = field(default_factory=list)
    """Why the function must reload once it is done (code edited meanwhile)."""


@dataclass
class _Pending:
    """What the watcher and the view asked for since the last cycle."""

    paths: dict[str, None] = field(default_factory=dict)
    env_vars: bool = False
    everything: bool = False
    reloads: list[Reload] = field(default_factory=list)
    installed: list[tuple[str, Contents, str | None]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.paths or self.env_vars or self.everything or self.reloads or self.installed
        )


class Loop:
    """Watches, reloads and records for a running server (`attach`); what the live view
    uses: `snapshot()`, `reload_all()`, `clear()`, `quit()` (all safe from any thread)."""

    def __init__(
        self,
        project: Project,
        activity: Activity | None = None,
        *,
        triggers: Sequence[Trigger] = (),
        env_vars: str | None = None,
        settle: float = SETTLE_SECONDS,
        debug: Debug | None = None,
    ) -> None:
        self.project = project
        self.activity = activity or Activity()
        self.triggers = tuple(triggers)
        self.env_vars = env_vars
        self.debug = debug
        self._settle = settle
        self._running: Running | None = None
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._known: dict[str, str] = {}
        """The `$LATEST` RevisionId each function was last reported at."""
        self._dependencies: dict[str, Contents] = {}
        """The dependency files each function's `$LATEST` runs with (requirements.txt; a
        Node.js function's package.json and package-lock.json)."""
        self._dependency_files: dict[str, tuple[tuple[str, str], ...]] = {}
        """A dependency file (real path) -> (function, file name) of each function whose code
        directory holds it."""
        self._installs: dict[str, _Install] = {}
        self._failed: set[str] = set()
        """Functions whose latest dependencies did not install (held at the last that did)."""
        self._env_text: bytes | None = None
        self._env_refused: bytes | None = None
        self._runs = ThreadPoolExecutor(1, thread_name_prefix="on-change")
        self._queued_runs: set[int] = set()
        self._counted: tuple[float, int, int] = (0.0, 0, 0)

    # -- what the view uses ------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """What the view draws now."""
        running = self._running
        environments: dict[str, tuple[int, int]] = {}
        if running is not None:
            for (function, _version, _revision), (
                idle,
                busy,
            ) in running.invoker.pool.sizes().items():
                warm, busy_now = environments.get(function, (0, 0))
                environments[function] = (warm + idle, busy_now + busy)
        queued, retrying = self._counts()
        return self.activity.snapshot(
            endpoint=running.listening.url if running else "",
            manifest=str(self.project.manifest.path),
            functions=list(self.project.functions),
            environments=environments,
            queued=queued,
            retrying=retrying,
            debug=self._debugging(),
        )

    def reload_all(self) -> None:
        """Read the manifest and the env-vars file again and restart every function's
        `$LATEST` (the next invoke of each is a cold start); `r` in the view."""
        with self._lock:
            self._pending.everything = True
        self._wake.set()

    def clear(self) -> None:
        """Forget what was recorded (`c` in the view)."""
        self.activity.clear()

    def quit(self) -> None:
        """Stop the whole process in order, as Ctrl-C does (`q` in the view)."""
        if self._running is not None:
            self._running.quit()

    # -- the server's side -------------------------------------------------------------------

    def on_reload(self, reload: Reload) -> None:
        """An edit of the manifest was applied (the server's `Reloader`, any thread)."""
        with self._lock:
            self._pending.reloads.append(reload)
        self._wake.set()

    def on_reject(self, error: LambdactlError) -> None:
        """An edit of the manifest was refused: said, the last valid one keeps running."""
        self.activity.note(f"{error} (the last valid manifest keeps running)", level="error")

    @contextlib.contextmanager
    def attach(self, running: Running) -> Iterator[Loop]:
        """Follow the files for `running` (the server's `alongside`) until the stop."""
        self._running = running
        running.invoker.observe(self._invoked)
        self._start()
        try:
            yield self
        finally:
            self._stop()

    def _invoked(self, function: str, result: InvocationResult) -> None:
        self.activity.invoked(function, result)

    def _start(self) -> None:
        project = self.project
        for name in project.functions:
            self._baseline(name)
        self._map_files()
        if self.env_vars is not None:
            self._env_text = _read(Path(self.env_vars))
        changes = project.changes
        assert changes is not None  # the server's invoker watches its code
        changes.listen(self._heard)
        if self.env_vars is not None:
            changes.watch_file(Path(self.env_vars), self._env_poked)
        self._thread = threading.Thread(target=self._run, name="dev-loop", daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        """No more cycles; installs under way stopped (pip or npm and what it started); the
        `--on-change` run under way ends (or is cut off with the environments)."""
        with self._lock:
            self._closed = True
            installs = list(self._installs.values())
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        for install in installs:
            _kill(install.process)
        for install in installs:
            if install.thread is not None:
                install.thread.join()
        self._runs.shutdown(wait=True, cancel_futures=True)

    # -- the watcher's thread: quick ----------------------------------------------------------

    def _heard(self, path: str) -> None:
        """A file that can change a function's package changed. An edited requirements.txt
        (package.json, package-lock.json) holds the functions' `$LATEST` at once, before an
        invoke can see the new file."""
        for function, _name in self._dependency_files.get(path, ()):
            if function not in self.project.held:
                self._hold(function)
        with self._lock:
            self._pending.paths[path] = None
        self._wake.set()

    def _env_poked(self) -> None:
        with self._lock:
            self._pending.env_vars = True
        self._wake.set()

    # -- the loop's thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(LOOK_SECONDS)
            if self._closed:
                return
            if woken:
                self._wait_quiet()
            with self._lock:
                if self._closed:
                    return
                pending, self._pending = self._pending, _Pending()
            try:
                if pending:
                    self._cycle(pending)
                assert self._running is not None
                self._running.invoker.prune_bytecode()
            except LambdactlError as exc:
                self.activity.note(str(exc), level="error")
            except Exception as exc:  # the loop must go on: said, with the trace in the log
                log.debug("dev loop", exc_info=True)
                self.activity.note(f"internal error: {exc!r}", level="error")

    def _wait_quiet(self) -> None:
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        while True:
            self._wake.clear()
            if not self._wake.wait(self._settle) or time.monotonic() >= deadline or self._closed:
                self._wake.clear()
                return

    def _cycle(self, pending: _Pending) -> None:
        """One look at what changed: the manifest's edits first (they say which files are
        whose), the env-vars file, the files, the installs that ended; then each function
        touched is reloaded if its `$LATEST` changed (or `forced`)."""
        assert self._running is not None
        reasons: dict[str, list[str]] = {}
        forced: set[str] = set()
        reloads = pending.reloads
        if pending.everything:
            self._running.reloader.check()  # tells `on_reload` of an edit, in this thread
            with self._lock:
                reloads += self._pending.reloads
                self._pending.reloads = []
        for reload in reloads:
            self._manifest_reloaded(reload, reasons, forced)
        self._map_files()
        if (pending.env_vars or pending.everything) and self.env_vars is not None:
            self._env_vars_edited(reasons, forced, again=pending.everything)
        edited_dependencies = self._files_edited(list(pending.paths), reasons)
        for function, names in edited_dependencies.items():
            self._dependencies_edited(function, names, reasons)
        for function, content, error in pending.installed:
            self._installed(function, content, error, reasons, forced)
        if pending.everything:
            self.project.latest_versions.clear()  # hashed again, should an event have been missed
            self._running.invoker.retire(None, LATEST)
            for function in self.project.functions:
                reasons.setdefault(function, []).append("reload")
                forced.add(function)
        for function, why in reasons.items():
            self._reload(function, why, forced=function in forced)

    def _reload(self, function: str, why: list[str], *, forced: bool) -> None:
        """Reload `function` if its `$LATEST` changed (or `forced`)."""
        assert self._running is not None
        if function not in self.project.functions:
            return
        install = self._installs.get(function)
        if install is not None:  # held: reloads once its dependencies are in
            install.deferred += [w for w in why if w not in install.deferred]
            return
        try:
            revision = versions.latest(self.project, function).revision_id
        except LambdactlError as exc:
            self.activity.note(f"{function}: {exc}", level="error", function=function)
            return
        if revision == self._known.get(function) and not forced:
            return
        self._known[function] = revision
        self._running.invoker.recycle(function)
        self.activity.reloaded(function, _reason(why))
        self._fire(function)

    def _baseline(self, function: str) -> None:
        """What `function` runs now, to tell its next change by."""
        spec = self.project.functions.get(function)
        if spec is None:
            return
        self._dependencies[function] = _contents(spec)
        with contextlib.suppress(LambdactlError):
            self._known[function] = versions.latest(self.project, function).revision_id

    def _map_files(self) -> None:
        files: dict[str, tuple[tuple[str, str], ...]] = {}
        for name, spec in self.project.functions.items():
            if spec.upload is None:
                for file in _files_of(spec):
                    path = os.path.realpath(spec.code / file)
                    files[path] = (*files.get(path, ()), (name, file))
        self._dependency_files = files

    def _hold(self, function: str, *, follow: bool = False) -> None:
        """Hold `function`'s `$LATEST` at the dependency files that installed last (see
        `versions.hold`; with `follow`, its code follows the tree)."""
        installed = self._dependencies.get(function, {})
        packages = None
        if PACKAGE_JSON in installed:
            packages = (installed[PACKAGE_JSON] or b"", installed.get(PACKAGE_LOCK))
        versions.hold(
            self.project,
            function,
            installed.get(REQUIREMENTS) or b"",
            packages=packages,
            follow=follow,
        )

    # -- the manifest ---------------------------------------------------------------------------

    def _manifest_reloaded(
        self, reload: Reload, reasons: dict[str, list[str]], forced: set[str]
    ) -> None:
        from ..reload import EVERY_ENVIRONMENT

        self.activity.note(reload.summary())
        why = reload.manifest.name
        for function in reload.removed:
            self._known.pop(function, None)
            self._dependencies.pop(function, None)
            self._failed.discard(function)
            versions.release(self.project, function)
        for function in reload.added:
            self._dependencies[function] = _contents(self.project.function(function))
        for function in reload.changed:
            spec = self.project.functions.get(function)
            known = self._dependencies.get(function, {})
            if spec is not None and set(_files_of(spec)) != set(known):
                # Another runtime (Python <-> Node.js): other files, as they are now.
                self._dependencies[function] = _contents(spec)
        everything = any(key in EVERY_ENVIRONMENT for key in reload.settings)
        touched = self.project.functions if everything else (*reload.changed, *reload.added)
        for function in touched:
            reasons.setdefault(function, []).append(why)
            if everything:
                forced.add(function)

    # -- the env-vars file ----------------------------------------------------------------------

    def _env_vars_edited(
        self, reasons: dict[str, list[str]], forced: set[str], *, again: bool
    ) -> None:
        """Read the env-vars file again; if it is valid and says something new, the functions
        whose variables it changed (`variables.changed`) restart, every version of them:
        the file's variables reach them all."""
        assert self._running is not None and self.env_vars is not None
        path = Path(self.env_vars)
        text = _read(path)
        if text == self._env_text and not again:
            return
        try:
            overrides = variables.load(self.env_vars)
        except LambdactlError as exc:
            if text != self._env_refused:
                self._env_refused = text
                self.activity.note(
                    f"{exc} (the last valid {path.name} stays in force)", level="error"
                )
            return
        self._env_text, self._env_refused = text, None
        invoker = self._running.invoker
        before = invoker.overrides
        invoker.override(overrides)
        for note in overrides.unknown(self.project.functions):
            self.activity.note(note, level="warning")
        for function in variables.changed(before, overrides, self.project.functions):
            invoker.retire(function)
            reasons.setdefault(function, []).append(path.name)
            forced.add(function)

    # -- code and dependencies ------------------------------------------------------------------

    def _files_edited(
        self, paths: list[str], reasons: dict[str, list[str]]
    ) -> dict[str, list[str]]:
        """Note each function whose code or layers `paths` are in; the functions whose
        dependency files (requirements.txt; package.json, package-lock.json) are among them,
        with those files' names."""
        roots = [
            (os.path.realpath(directory), name)
            for name, spec in self.project.functions.items()
            if spec.upload is None
            for directory in (spec.code, *spec.layers)
        ]
        dependencies: dict[str, list[str]] = {}
        base = self.project.manifest.path.parent
        for path in paths:
            for root, function in roots:
                if path != root and not path.startswith(root + os.sep):
                    continue
                names = [n for f, n in self._dependency_files.get(path, ()) if f == function]
                if names:
                    edited = dependencies.setdefault(function, [])
                    edited += [name for name in names if name not in edited]
                    continue
                shown = _shown(path, base)
                why = reasons.setdefault(function, [])
                if shown not in why:
                    why.append(shown)
                if function in self._failed and function not in self._installs:
                    # Their install failed: the code follows again, with what installed last.
                    self._hold(function, follow=True)
        return dependencies

    def _dependencies_edited(
        self, function: str, names: list[str], reasons: dict[str, list[str]]
    ) -> None:
        """`names`, dependency files of `function`, were edited: installed in the background
        if they say something new."""
        spec = self.project.functions.get(function)
        if spec is None:
            return
        install = self._installs.get(function)
        if install is not None:  # looked at again when it ends
            install.files += [name for name in names if name not in install.files]
            return
        content = _contents(spec)
        if content == self._dependencies.get(function):
            # Touched, saved unchanged, or put back as it was when it last installed: nothing
            # to install, and `$LATEST` follows the tree again (a reload if it changed).
            self._failed.discard(function)
            versions.release(self.project, function)
            why = reasons.setdefault(function, [])
            why += [name for name in names if name not in why]
            return
        if function not in self.project.held:
            self._hold(function)
        self._install(function, content, names)

    def _install(self, function: str, content: Contents, files: list[str]) -> None:
        assert self._running is not None
        invoker = self._running.invoker
        install = _Install(content, list(files))
        shown = ", ".join(files)

        def started(process: subprocess.Popen[str]) -> None:
            install.process = process
            if self._closed:
                _kill(process)

        def run() -> None:
            error = None
            try:
                invoker.prepare(function, started=started)
            except LambdactlError as exc:
                error = str(exc)
            except Exception as exc:  # said, never fatal to the loop
                error = f"installing {shown} failed: {exc!r}"
            with self._lock:
                self._pending.installed.append((function, content, error))
            self._wake.set()

        self._installs[function] = install
        node = PACKAGE_JSON in content
        self.activity.status(function, f"installing {'packages' if node else 'requirements'}")
        self.activity.note(
            f"{function}: {shown} changed: installing; the previous code answers meanwhile",
            function=function,
        )
        install.thread = threading.Thread(target=run, name=f"install-{function}", daemon=True)
        install.thread.start()

    def _installed(
        self,
        function: str,
        content: Contents,
        error: str | None,
        reasons: dict[str, list[str]],
        forced: set[str],
    ) -> None:
        assert self._running is not None
        install = self._installs.pop(function, None)
        spec = self.project.functions.get(function)
        if install is None or spec is None:
            return
        now = _contents(spec)
        if error is None:
            if now != content:  # edited again meanwhile
                self._install(function, now, install.files)
                self._installs[function].deferred = install.deferred
                return
            self._dependencies[function] = content
            self._failed.discard(function)
            versions.release(self.project, function)
            self.activity.status(function, "")
            # Environments started while it was held run the previous dependencies.
            self._running.invoker.retire(function, LATEST)
            why = reasons.setdefault(function, [])
            why += [w for w in [*install.deferred, *install.files] if w not in why]
            forced.add(function)
            return
        self.activity.status(function, "")
        self.activity.note(
            f"{error.splitlines()[0]} (the previous code keeps running)",
            level="error",
            function=function,
        )
        self._failed.add(function)
        if now != content:
            self._install(function, now, install.files)
            self._installs[function].deferred = install.deferred
        elif install.deferred:  # code edited meanwhile: it runs, with what installed last
            self._hold(function, follow=True)
            reasons.setdefault(function, []).extend(install.deferred)

    # -- --on-change ----------------------------------------------------------------------------

    def _fire(self, function: str) -> None:
        """Run `function`'s `--on-change` invocations, off this thread (one at a time; one
        waiting per trigger at most: a burst of reloads runs it once more, not once each)."""
        for index, trigger in enumerate(self.triggers):
            if trigger.function != function:
                continue
            with self._lock:
                if index in self._queued_runs or self._closed:
                    continue
                self._queued_runs.add(index)
            self._runs.submit(self._run_trigger, index, trigger)

    def _run_trigger(self, index: int, trigger: Trigger) -> None:
        with self._lock:
            self._queued_runs.discard(index)
        assert self._running is not None
        try:
            with triggered_by("on-change"):
                result = self._running.invoker.invoke(
                    trigger.function, qualifier=trigger.qualifier, payload=trigger.body()
                )
        except LambdactlError as exc:
            self.activity.note(
                f"on-change {trigger.target}: {exc}", level="error", function=trigger.function
            )
            return
        level, line = outcome(trigger, result)
        self.activity.note(line, level=level, function=trigger.function)

    def _debugging(self) -> str:
        """`hello on 127.0.0.1:5678 (attached)`: the function under the debugger, its address
        and whether an editor is attached (or its environment waits for one); empty when
        none is."""
        if self.debug is None:
            return ""
        from ..runtime import debugger

        state = debugger.state(self.debug)
        shown = {"attached": "attached", "listening": "waiting for the editor"}.get(state, "")
        text = f"{self.debug.function} on {self.debug.address}"
        return f"{text} ({shown})" if shown else text

    # -- the asynchronous queue -----------------------------------------------------------------

    def _counts(self) -> tuple[int, int]:
        """(events not finished, of which waiting for a retry), reused for `COUNT_SECONDS`."""
        at, queued, retrying = self._counted
        now = time.monotonic()
        if now - at < COUNT_SECONDS and at:
            return queued, retrying
        try:
            store = self.project.store
            queued = store.count_events(lifecycle.WAITING)
            retrying = store.count_events((EventState.RETRYING,))
        except LambdactlError:
            pass  # shown as they were
        self._counted = (now, queued, retrying)
        return queued, retrying


def _files_of(spec: FunctionSpec) -> tuple[str, ...]:
    """The files whose edit is installed in the background before `$LATEST` follows it."""
    if spec.config.runtime.startswith("nodejs"):
        return (PACKAGE_JSON, PACKAGE_LOCK)
    return (REQUIREMENTS,)


def _contents(spec: FunctionSpec) -> Contents:
    """`spec`'s dependency files as they are now: a missing requirements.txt or package.json
    reads as empty (nothing to install), a missing lock file as None (`npm install`)."""
    return {
        name: _read(spec.code / name) if name == PACKAGE_LOCK else _read(spec.code / name) or b""
        for name in _files_of(spec)
    }


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _shown(path: str, base: Path) -> str:
    """A changed file for a person: relative to the project when inside it."""
    try:
        return str(Path(path).relative_to(os.path.realpath(base)))
    except ValueError:
        return path


def _reason(why: list[str]) -> str:
    shown = why[:3]
    return ", ".join(shown) + (f" and {len(why) - 3} more" if len(why) > 3 else "")


def _kill(process: subprocess.Popen[str] | None) -> None:
    """Stop an installer (pip, npm) and everything it started (its own session)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
