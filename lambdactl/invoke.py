"""The invoker: the one path every call takes (CLI, REST API, worker, pollers, dev loop).

It validates the request the way the Invoke API does, resolves the qualifier to a version,
takes a warm environment from the pool and returns an `InvocationResult`. A function's
failure is data in that result, never an exception.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import endpoint, ids, versions
from .errors import (
    FunctionUnavailable,
    LambdactlError,
    StoreError,
    TooManyRequestsException,
    UsageError,
    ValidationException,
    enum_constraint,
    validation_message,
)
from .events import daemon
from .logs import lines
from .logs.lines import LogEvent
from .logs.reports import Report
from .logs.store import LogEntry, Query
from .logs.writer import LogWriter
from .payloads import check_payload, decode_client_context
from .project import Project
from .runtime import bytecode, debugger, dependencies, interpreters, npm
from .runtime.concurrency import ConcurrencyLimits
from .runtime.debugger import Debug
from .runtime.environment import Environment, EnvironmentSpec, Request, Result
from .runtime.governor import Governor
from .runtime.interpreters import Interpreter
from .runtime.pool import Pool, PoolKey

if TYPE_CHECKING:
    import random
    import subprocess

    from .variables import Overrides

log = logging.getLogger("lambdactl")

INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
LOG_TYPES = ("None", "Tail")

PASSTHROUGH_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
"""Credentials a function receives as its role's on AWS: here, the caller's own, if set."""
SERVICE_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
)
"""What the SDKs read as a service's endpoint: while the project's server runs, they point
at it, so a function's calls to Lambda, SQS and CloudWatch Logs stay on this machine."""
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "lambdactl",
    "AWS_SECRET_ACCESS_KEY": "lambdactl",
    "AWS_SESSION_TOKEN": "lambdactl",
}
"""Given to functions when the caller has no credentials of its own and the project's server
runs: the SDKs refuse to sign a request without any, and the local server does not check
them. All three, as a role's temporary credentials always come on AWS."""
DEBUG_THROTTLE_REASON = "ReservedFunctionConcurrentInvocationLimitExceeded"
"""What an invoke of the debugged function gets while another runs: one environment holds
the debug port, so the function runs as with a reserved concurrency of 1 on AWS."""
ENDPOINT_RECHECK_SECONDS = 1.0
"""How long an invoker that is not the server's own trusts its last look for the project's
server (a file read and a lock probe)."""
TRIGGERS_KEPT = 1000
"""How many queued events' triggers an invoker remembers (for their attempts' results)."""

_TRIGGER: ContextVar[str | None] = ContextVar("lambdactl_trigger", default=None)


@contextlib.contextmanager
def triggered_by(trigger: str) -> Iterator[None]:
    """Invokes made in this block (this thread) say `trigger` caused them: `queue orders`,
    `schedule rate(5 minutes)`, `files inbox/`. An Event invoke's trigger follows its event
    to the attempts this invoker makes of it (`InvocationResult.trigger`)."""
    token = _TRIGGER.set(trigger)
    try:
        yield
    finally:
        _TRIGGER.reset(token)


@dataclass(frozen=True)
class InvocationResult:
    """What Invoke returns, plus the timings and log lines behind it."""

    status_code: int
    request_id: str
    executed_version: str
    payload: bytes = b""
    function_error: str | None = None
    log_result: str | None = None
    """base64 of the last 4 KB of the log, when `Tail` was asked for."""
    report: Report | None = None
    """The invocation's metrics (its REPORT); None when nothing ran (Event, DryRun)."""
    log: tuple[str, ...] = field(default=(), repr=False)
    """START..REPORT, as stored."""
    init_log: tuple[str, ...] = field(default=(), repr=False)
    stream_name: str = ""
    trigger: str | None = None
    """What caused it (`triggered_by`), when that was said: an event source's poller."""
    stream_type: str | None = None
    """The content type of a response the function streamed (`awslambda.streamifyResponse`);
    None for a buffered one. `payload` holds the bytes written, as Invoke returns them."""

    @property
    def duration_ms(self) -> float:
        return self.report.duration_ms if self.report else 0.0

    @property
    def billed_duration_ms(self) -> int:
        return self.report.billed_duration_ms if self.report else 0

    @property
    def memory_mb(self) -> int:
        return self.report.memory_mb if self.report else 0

    @property
    def max_memory_mb(self) -> int:
        return self.report.max_memory_mb if self.report else 0

    @property
    def init_duration_ms(self) -> float | None:
        return self.report.init_duration_ms if self.report else None

    @property
    def error_type(self) -> str | None:
        return self.report.error_type if self.report else None


class Invoker:
    """Invokes a project's functions, keeping environments warm between calls."""

    def __init__(
        self,
        project: Project,
        *,
        rng: random.Random | None = None,
        throttle_cpu: bool | None = None,
        watch_code: bool = False,
        start_worker: bool = False,
        server_url: str | None = None,
        overrides: Overrides | None = None,
        debug: Debug | None = None,
        memory: int | None = None,
    ) -> None:
        """`throttle_cpu` None follows the manifest's `cpu_throttling` (default on).
        `watch_code`: for long-running processes, notice code edits from file-system events
        instead of re-scanning each function's files at every `$LATEST` invoke.
        `start_worker`: an Event invocation also starts the project's detached retry worker
        unless one runs, as the faces want (the worker's own invoker, and tests that drain
        events themselves, do not).
        `server_url`: this invoker is the project's server's, at that address; any other
        looks for a running server (`endpoint.running`). Either way, environments point the
        SDKs at the server while it runs (`SERVICE_ENDPOINT_VARIABLES`), and an environment
        started without it, or with another, is replaced rather than reused.
        `overrides`: environment variables from an `--env-vars` file, over (and beside) each
        version's own. The pool is this invoker's own, so they reach no other invoker's
        environments.
        `debug`: run that function's environments (every version) under debugpy, one at a
        time: its environments wait for an editor to attach, and while one is attached its
        limits do not run. An invoke of it while another runs is throttled
        (`TooManyRequestsException`, `DEBUG_THROTTLE_REASON`).
        `memory`: every environment this invoker starts has this memory size (MB) instead of
        its version's (`lambdactl tune`'s trials): nothing stored changes."""
        self.project = project
        self._memory = memory
        self.debug = debug
        self._debugging = threading.Lock()
        self._server_url = server_url
        self._overrides = overrides
        self._looked_up: tuple[float, str | None] | None = None
        self._start_worker = start_worker
        if watch_code:
            project.watch_code()
        self._throttle_cpu = throttle_cpu
        throttle = project.manifest.cpu_throttling if throttle_cpu is None else throttle_cpu
        manifest = project.manifest
        self.logs = _log_writer(project)
        self.pool = Pool(
            manifest.state_dir / "scratch",
            governor=Governor(throttle_cpu=throttle),
            idle_timeout=manifest.idle_timeout,
            on_output=self._store_leftover,
        )
        self.concurrency = ConcurrencyLimits(manifest, lambda: project.functions)
        self._rng = rng
        self._warned: set[str] = set()
        self._observers: list[Callable[[str, InvocationResult], None]] = []
        self._triggers: OrderedDict[str, str] = OrderedDict()
        """Request id of a queued event -> its trigger (the latest `TRIGGERS_KEPT`)."""
        self._triggers_lock = threading.Lock()
        self._bytecode: set[tuple[str, str]] = set()
        """(function, RevisionId) of each `$LATEST` this invoker started environments of:
        whose bytecode cache in `.lambda/pycache/` it made."""
        self._last_bytecode: Path | None = None
        self._bases: dict[tuple[str, Path | None], Path | None] = {}
        """(interpreter, provided directory) -> the project's base bytecode cache for them."""

    def invoke(
        self,
        function: str,
        *,
        qualifier: str | None = None,
        payload: bytes = b"",
        invocation_type: str = "RequestResponse",
        log_type: str = "None",
        client_context: str | None = None,
        request_id: str | None = None,
    ) -> InvocationResult:
        """Invoke synchronously, validate only (DryRun) or queue (Event: 202, nothing run).

        `client_context` is the base64 text of the X-Amz-Client-Context header.
        Raises `AwsError` for what AWS rejects before running anything.
        """
        _check_enum(invocation_type, "invocationType", INVOCATION_TYPES)
        _check_enum(log_type, "logType", LOG_TYPES)
        self._check_runnable(function)
        if invocation_type == "Event":  # queued durably; the worker runs it
            # Here, not at the top: a synchronous invoke does not pay for the event model.
            from .events.enqueue import enqueue

            queued_id, queued_version = enqueue(
                self.project, function, payload, qualifier=qualifier, request_id=request_id
            )
            self._remember_trigger(queued_id)
            if self._start_worker:
                daemon.ensure(self.project)
            return InvocationResult(202, queued_id, queued_version)
        event = check_payload(payload)
        context = decode_client_context(client_context)
        ref = self.project.ref(function, qualifier)
        resolution = versions.resolve(self.project, ref.name, ref.qualifier, rng=self._rng)
        version = resolution.version
        request_id = request_id or ids.uuid4()
        if invocation_type == "DryRun":
            return InvocationResult(204, request_id, version.version)
        debugging = self.debug is not None and self.debug.function == version.function
        if debugging and not self._debugging.acquire(blocking=False):
            raise TooManyRequestsException(DEBUG_THROTTLE_REASON)
        try:
            slot = self.concurrency.acquire(version.function)
            try:
                server = self._server()
                key = (version.function, version.version, (version.revision_id, server))
                if debugging:  # the environment that listens on the port must be this one
                    self.pool.retire(lambda k: k[0] == version.function and k != key)
                env = self.pool.acquire(key, lambda: self._spec(version, server))
                try:
                    outcome = env.invoke(
                        Request(request_id, event, resolution.invoked_arn, context)
                    )
                finally:
                    self.pool.release(key, env)
            finally:
                slot.release()
        finally:
            if debugging:
                self._debugging.release()
        self._store_log(version.function, version.version, outcome)
        tail = None
        if log_type == "Tail":
            tail = base64.b64encode(
                lines.tail(self._stored_log(version.function, outcome)).encode()
            ).decode()
        result = InvocationResult(
            status_code=200,
            request_id=request_id,
            executed_version=version.version,
            payload=outcome.payload,
            function_error="Unhandled" if outcome.function_error else None,
            log_result=tail,
            report=outcome.report,
            log=outcome.log,
            init_log=outcome.init_log,
            stream_name=outcome.stream_name,
            trigger=self._trigger_of(request_id),
            stream_type=outcome.stream_type,
        )
        for observer in self._observers:
            observer(version.function, result)
        return result

    def _check_runnable(self, function: str) -> None:
        """The one place a function that cannot run here (`FunctionSpec.unavailable`: a SAM
        template's S3 code, image, foreign runtime...) is refused, however it is invoked
        (sync, async, through serve, through a source); names that do not resolve are left
        to the usual path, which says what is wrong with them."""
        try:
            name = self.project.ref(function).name
        except LambdactlError:
            return
        spec = self.project.functions.get(name)
        if spec is not None and spec.unavailable:
            raise FunctionUnavailable(
                f"{name} cannot run here: {spec.unavailable}",
                hint="the template's other functions run; `lambdactl validate` lists what cannot",
            )

    def _remember_trigger(self, request_id: str) -> None:
        trigger = _TRIGGER.get()
        if trigger is None:
            return
        with self._triggers_lock:
            self._triggers[request_id] = trigger
            while len(self._triggers) > TRIGGERS_KEPT:
                self._triggers.popitem(last=False)

    def _trigger_of(self, request_id: str) -> str | None:
        """The trigger said around this call, else the one its queued event was sent with."""
        trigger = _TRIGGER.get()
        if trigger is not None:
            return trigger
        with self._triggers_lock:
            return self._triggers.get(request_id)

    def observe(self, observer: Callable[[str, InvocationResult], None]) -> None:
        """Call `observer` with (function, result) after each synchronous run, in the
        invoking thread (it must be quick): the dev loop's live view."""
        self._observers.append(observer)

    def recycle(self, function: str) -> None:
        """Shut down `function`'s environments that no invoke would use again: all of them
        once it is deleted, those of a deleted version, `$LATEST`'s of an older revision
        (UpdateFunctionCode/Configuration), rather than let them idle until the timeout."""
        if function not in self.project.functions:
            self.retire(function)
            return
        latest = versions.latest(self.project, function).revision_id
        published = {str(n) for n, _record in self.project.store.list_versions(function)}

        def stale(key: PoolKey) -> bool:
            name, version, revision = key
            if name != function:
                return False
            if version == versions.LATEST:
                return not (isinstance(revision, tuple) and revision[0] == latest)
            return version not in published

        self.pool.retire(stale)

    def override(self, overrides: Overrides | None) -> None:
        """Give the environments started from now on these `--env-vars` (an edited file's);
        those already warm keep theirs until retired."""
        self._overrides = overrides

    @property
    def overrides(self) -> Overrides | None:
        return self._overrides

    def prepare(
        self,
        function: str,
        *,
        started: Callable[[subprocess.Popen[str]], None] | None = None,
    ) -> Path | None:
        """Install what a new environment of `function`'s `$LATEST` needs from its working tree
        (requirements.txt; a Node.js function's package.json and lock file), without starting
        one, whatever `$LATEST` is held at: the dev loop does it in the background before
        letting `$LATEST` follow. The installed directory (None: nothing to install);
        `DependencyError` if pip or npm fails. `started`: see `dependencies.requirements`."""
        spec = self.project.function(function)
        runtime = spec.config.runtime
        if spec.upload is not None or not runtime.startswith(("python", "nodejs")):
            return None
        state = self.project.manifest.state_dir
        try:
            if runtime.startswith("nodejs"):
                node = _node(runtime, f"cannot install {function}'s packages")
                return npm.packages(spec.code, state, node, started=started)
            interpreter = interpreters.for_runtime(runtime, state / "runtime")
            return dependencies.requirements(spec.code, state, interpreter, started=started)
        except OSError as exc:
            raise StoreError.from_os(exc, state) from None

    def prune_bytecode(self) -> int:
        """Delete the bytecode caches (`.lambda/pycache/<RevisionId>`) of the `$LATEST`
        revisions this invoker ran that are superseded (the function's `$LATEST` has another
        RevisionId now, or it is gone) once no environment of theirs is left; how many. A
        published version's cache is never touched: its RevisionId is never `$LATEST`'s."""
        import shutil

        if not self._bytecode:
            return 0
        running = {
            key[2][0] if isinstance(key[2], tuple) else key[2]
            for key in self.pool.sizes()
            if key[1] == versions.LATEST
        }
        functions = self.project.functions
        pruned = 0
        for function, revision in sorted(self._bytecode.copy()):
            if revision in running:
                continue
            if function in functions:
                try:
                    if versions.latest(self.project, function).revision_id == revision:
                        continue
                except LambdactlError:
                    continue  # its code cannot be read now: look again later
            self._bytecode.discard((function, revision))
            shutil.rmtree(self.project.manifest.state_dir / "pycache" / revision, True)
            pruned += 1
        return pruned

    def attach(self, server_url: str | None) -> None:
        """Be the invoker of the server at `server_url` from now on, as if made with it (None:
        look for the project's running server again). Environments started from now on
        point the SDKs at it; those already warm were started without it and are not taken
        again (the pool key holds the server)."""
        self._server_url = server_url
        self._looked_up = None

    def switch(self, project: Project) -> None:
        """Invoke `project` from now on: the same manifest over a state directory at the same
        path whose contents were replaced (the pytest plugin's fresh state per test; the
        caller closes `logs` and the old project's store before replacing the files).

        What stays warm is what means the same code in the new state: environments of a
        manifest function's `$LATEST` (the pool key holds its RevisionId, so one whose
        revision the new state does not give is simply not taken again). The others are
        shut down: a published version's number, or a created function's name, names other
        code in another state."""

        def stale(key: PoolKey) -> bool:
            return key[1] != versions.LATEST or key[0] not in project.manifest.functions

        self.pool.retire(stale)
        self.logs.close()
        self.project = project
        self.logs = _log_writer(project)
        self.concurrency = ConcurrencyLimits(project.manifest, lambda: project.functions)
        self._looked_up = None

    def follow(self) -> None:
        """Take the project's settings from its manifest again, after `Project.adopt` (a
        reloaded manifest): the concurrency limits, the idle timeout and CPU throttling of the
        environments started from now on (unless this invoker was given its own)."""
        manifest = self.project.manifest
        self.pool.idle_timeout = manifest.idle_timeout
        if self._throttle_cpu is None:
            self.pool.governor.throttle_cpu = manifest.cpu_throttling
        self.concurrency = ConcurrencyLimits(manifest, lambda: self.project.functions)

    def retire(self, function: str | None = None, version: str | None = None) -> int:
        """Shut down the warm environments of `function` (None: every function) at `version`
        (None: every version); those running an invocation as soon as it ends. How many were
        idle. The next invocation starts a new one, with what the function is now."""
        return self.pool.retire(
            lambda key: (
                (function is None or key[0] == function) and (version is None or key[1] == version)
            )
        )

    def close(self) -> None:
        """Shut every environment down and store the last log lines."""
        self.pool.shutdown()
        self.logs.close()

    def _store_log(self, function: str, version: str, outcome: Result) -> None:
        group, stream = lines.group_name(function), outcome.stream_name
        rid = outcome.request_id
        self.logs.write(
            [
                LogEntry(group, stream, version, outcome.stray_events, kind="other"),
                LogEntry(group, stream, version, outcome.init_events, rid, kind="init"),
                LogEntry(group, stream, version, outcome.events, rid),
            ]
        )

    def _store_leftover(self, env: Environment, events: list[LogEvent]) -> None:
        """What an environment wrote after its last invocation, stored as it shuts down."""
        spec = env.spec
        group = lines.group_name(spec.function)
        self.logs.write([LogEntry(group, env.stream_name, spec.version, events, kind="other")])

    def _stored_log(self, function: str, outcome: Result) -> list[str]:
        """The invocation's lines (START..REPORT) read back from the log store, or the lines
        in hand when the store cannot give them: the result reaches the caller all the same
        (the writer has warned that they were not stored)."""
        if not self.logs.flush():
            return list(outcome.log)  # the store is stuck: the lines are still here
        group = lines.group_name(function)
        query = Query(request_id=outcome.request_id, kinds=("invoke",))
        try:
            stored = [event.message for event in self.logs.store().read(group, query)]
        except StoreError:  # damaged or unreadable
            return list(outcome.log)
        return stored or list(outcome.log)  # empty: the write failed

    def __enter__(self) -> Invoker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _server(self) -> str | None:
        """The URL of the project's running server, or None; looked for again after
        `ENDPOINT_RECHECK_SECONDS`, so an environment does not keep pointing at a server that
        stopped (or miss one that started) for longer than that."""
        if self._server_url is not None:
            return self._server_url
        now = time.monotonic()
        if self._looked_up is None or now - self._looked_up[0] >= ENDPOINT_RECHECK_SECONDS:
            found = endpoint.running(self.project.manifest.state_dir)
            self._looked_up = (now, found.url if found else None)
        return self._looked_up[1]

    def _surroundings(self, server: str | None) -> dict[str, str]:
        """What a function gets from outside its configuration: credentials (the caller's,
        else dummy ones while a server runs) and the SDKs' endpoints (the server's). The
        manifest's environment wins over the endpoints; credentials it cannot set."""
        # An empty variable is none, as the SDKs read it.
        env = {k: os.environ[k] for k in PASSTHROUGH_VARIABLES if os.environ.get(k)}
        if server is not None:
            env.update(dict.fromkeys(SERVICE_ENDPOINT_VARIABLES, server))
            if "AWS_ACCESS_KEY_ID" not in env:
                env.update(LOCAL_CREDENTIALS)
        return env

    def _bytecode_dir(
        self, version: versions.Version, interpreter: Interpreter, provided: Path | None
    ) -> Path:
        """The version's bytecode cache (`.lambda/pycache/<RevisionId>`), seeded when it is new
        from the project's base cache for `interpreter` (its standard library's and the
        provided SDK's bytecode, see `runtime.bytecode`) and from the last one this invoker
        made (see `seed_bytecode`)."""
        root = self.project.manifest.state_dir / "pycache"
        target = root / version.revision_id
        if not target.exists():
            sources = [self._base_bytecode(root, interpreter, provided)]
            last = self._last_bytecode
            if last is not None and last != target and last.is_dir():
                sources.append(last)
            own = (version.code_dir, *(layer.directory for layer in version.layers))
            seed_bytecode(target, [s for s in sources if s is not None], own)
        self._last_bytecode = target
        return target

    def _base_bytecode(
        self, root: Path, interpreter: Interpreter, provided: Path | None
    ) -> Path | None:
        """The project's base bytecode cache for `interpreter` (made once per project; looked
        for once per invoker)."""
        key = (interpreter.path, provided)
        known = self._bases.get(key)
        if key not in self._bases or (known is not None and not known.is_dir()):
            found = bytecode.stdlib(interpreter, self.project.manifest.state_dir / "runtime")
            self._bases[key] = bytecode.base(root, found, provided)
        return self._bases[key]

    def _spec(self, version: versions.Version, server: str | None = None) -> EnvironmentSpec:
        if not version.is_latest:
            _check_snapshots(version)
        config = version.config
        if self._overrides is not None:  # every function, published versions too
            environment = self._overrides.apply(version.function, config.environment)
            config = dataclasses.replace(config, environment=environment)
        if self._memory is not None:  # a trial's size, for this invoker's environments only
            config = dataclasses.replace(config, memory=self._memory)
        state = self.project.manifest.state_dir
        python = config.runtime.startswith("python")
        interpreter = interpreters.for_runtime(
            config.runtime if python else "python3", state / "runtime"
        )
        if python and interpreter.warning and interpreter.warning not in self._warned:
            self._warned.add(interpreter.warning)
            log.warning(interpreter.warning)
        node = None
        if config.runtime.startswith("nodejs"):
            node = _node(config.runtime, f"cannot run {version.function}")
            if node.warning and node.warning not in self._warned:
                self._warned.add(node.warning)
                log.warning(node.warning)
        debug = self.debug if self.debug and self.debug.function == version.function else None
        if debug is not None and not python:
            raise UsageError(
                f"cannot debug {version.function}: debugpy debugs Python runtimes, and it runs "
                f"{config.runtime}"
            )
        deps = provided = debugger_dir = None
        if python and version.is_latest:
            self._bytecode.add((version.function, version.revision_id))
        try:
            if python:
                deps = dependencies.requirements(
                    version.code_dir, state, interpreter, content=version.requirements
                )
                provided = dependencies.provided(state)
            elif node is not None:
                deps = npm.packages(version.code_dir, state, node, content=version.packages)
                runtime_major = config.runtime.removeprefix("nodejs").removesuffix(".x")
                layers = [layer.directory for layer in version.layers]
                own = [*([deps] if deps else [])]
                own += npm.module_dirs(version.code_dir, layers, runtime_major)
                provided = npm.sdk(version.code_dir, state, node, own=own)
        except OSError as exc:  # .lambda/deps or .lambda/runtime cannot be made or written
            raise StoreError.from_os(exc, state) from None
        if debug is not None:
            debugger.check_port(debug)
            debugger_dir = debugger.install(interpreter)
        return EnvironmentSpec(
            function=version.function,
            version=version.version,
            config=config,
            code_dir=version.code_dir,
            layer_dirs=tuple(layer.directory for layer in version.layers),
            region=self.project.manifest.region,
            account=self.project.manifest.account,
            interpreter=interpreter,
            dependency_dirs=(deps,) if deps else (),
            provided_dirs=(provided,) if provided else (),
            passthrough_env=self._surroundings(server),
            pycache_dir=self._bytecode_dir(version, interpreter, provided) if python else None,
            bootstrap=interpreters.compiled_bootstrap(interpreter, state / "runtime")
            if python
            else interpreters.BOOTSTRAP,
            launcher=interpreters.compiled_bootstrap(
                interpreter, state / "runtime", script=interpreters.LAUNCHER
            ),
            debug=debug,
            debugger_dir=debugger_dir,
            node=node,
        )


def _log_writer(project: Project) -> LogWriter:
    return LogWriter(
        project.manifest.state_dir,
        retention=lambda group: project.manifest.retention(group.removeprefix(lines.GROUP_PREFIX)),
    )


def seed_bytecode(target: Path, sources: Sequence[Path], own: tuple[Path, ...]) -> None:
    """Make the bytecode cache `target` (a new revision's) from `sources` (the project's base
    cache, another revision's), as hard links (the first source's file where two have one),
    leaving out what was compiled from the directories `own` (the version's code and layers,
    whose files may differ at the same size and second). Python reads every module's
    bytecode under its cache prefix, the standard library's too: without this, the first
    cold start of each revision (each save, in `dev`) compiles again everything the runtime
    imports (~100 ms; seconds for boto3 at 128 MB). A link is never written through: Python
    replaces a file it rewrites. Best effort: a cache that cannot be seeded is only slower."""
    import shutil
    import tempfile

    def link(source: str, destination: str) -> None:
        try:
            os.link(source, destination)
        except FileExistsError:
            pass

    try:
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".seed-"))
    except OSError:
        return
    try:
        for source in sources:
            left_out = {
                os.path.join(str(source), str(form).lstrip(os.sep))
                for directory in own
                for form in (directory.absolute(), directory.resolve())
            }

            def ignore(
                directory: str, names: list[str], left_out: set[str] = left_out
            ) -> list[str]:
                return [n for n in names if os.path.join(directory, n) in left_out]

            shutil.copytree(source, staging, ignore=ignore, copy_function=link, dirs_exist_ok=True)
        os.rename(staging, target)
    except OSError:  # made meanwhile by another start, or links refused: it compiles
        shutil.rmtree(staging, ignore_errors=True)


def _check_snapshots(version: versions.Version) -> None:
    """A published version's code and layers are snapshots in `.lambda/code/`: one that is
    gone is damaged state, not the function's import error."""
    for directory in (version.code_dir, *(layer.directory for layer in version.layers)):
        if not directory.is_dir():
            raise StoreError(
                f"the code of {version.function}:{version.version} is missing: {directory} "
                "is not a directory",
                hint="restore .lambda/code/ from a backup, or publish a new version",
            )


def _check_enum(value: str, field_name: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationException(validation_message(value, field_name, enum_constraint(allowed)))


def _node(runtime: str, doing: str) -> interpreters.Interpreter:
    """The `node` that runs `runtime`; `UsageError` (`doing`: what needed it) when none."""
    node = interpreters.node_for_runtime(runtime)
    if node is None:
        raise UsageError(
            f"{doing}: runtime {runtime} needs node on PATH, and none was found",
            hint="install Node.js, or pip install 'lambdactl[node]'",
        )
    return node
