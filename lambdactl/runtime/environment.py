"""An execution environment: one runtime process serving one function version, one
invocation at a time, over its own Runtime API. The only code that starts processes.

Lifecycle, as on AWS: the first invoke starts the process and waits for its first
`GET /next` (init); later invokes reuse it (warm). A timeout or a crash resets the
environment: the process (and everything it started) is killed and the next invoke inits
again, while the scratch directory that plays `/tmp` survives.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import ids
from ..errors import StoreError, TooManyOpenFiles
from ..logs import lines
from ..logs.lines import LogEvent
from ..logs.platform import PlatformLog
from ..logs.reports import Report
from ..manifest import FunctionConfig
from . import protocol
from .debugger import Deadline, Debug, state
from .governor import Governor, forget_process, peak_memory_mb, rusage_peak_mb
from .interpreters import BOOTSTRAP, LAUNCHER, NODE_BOOTSTRAP, Interpreter
from .output import OutputPipe
from .protocol import Invocation, Posted
from .server import RuntimeApiServer
from .spawner import SPAWNER, Runtime

INIT_LIMIT_SECONDS = 10.0
"""AWS bounds the Init phase to 10 s."""

INIT_CONCURRENCY = 8 * (os.cpu_count() or 1)
"""Environments of one process that init at the same time; more wait for their turn. On AWS
each environment inits on CPUs of its own; here hundreds of runtimes starting at once on a
few cores would each take longer than the 10 s limit (1,000 Python runtimes need ~30 s of
CPU), and fail it. In turns each inits about as fast as it would alone, and a CPU-bound ramp
takes no longer as a whole."""
_INIT_TURNS = threading.BoundedSemaphore(INIT_CONCURRENCY)


_GO_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGINT: "interrupt",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGPIPE: "broken pipe",
    signal.SIGHUP: "hangup",
    signal.SIGQUIT: "quit",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGALRM: "alarm clock",
}
"""How AWS's (Go) platform names the signal that ended a runtime."""


@dataclass(frozen=True)
class EnvironmentSpec:
    """Everything needed to start environments for one function version."""

    function: str
    version: str
    config: FunctionConfig
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    region: str
    account: str
    interpreter: Interpreter
    dependency_dirs: tuple[Path, ...] = ()
    """`requirements.txt` installs (`package.json`'s `node_modules`): on the path right after
    the code."""
    provided_dirs: tuple[Path, ...] = ()
    """What the managed runtime itself provides (boto3; the AWS SDK's `node_modules`): last
    on the path."""
    passthrough_env: dict[str, str] = field(default_factory=dict)
    """What the function gets from its surroundings rather than its configuration (on AWS,
    its role's credentials): the caller's credentials, the SDKs' endpoints of the project's
    server. The configuration's environment wins over these."""
    bootstrap: Path = BOOTSTRAP
    """The Python runtime client to run (its source, or bytecode compiled for the
    interpreter)."""
    pycache_dir: Path | None = None
    """Where the Python runtime keeps bytecode: per revision, so an edit that keeps a file's
    size and mtime can never run stale bytecode, and snapshots stay untouched."""
    launcher: Path = LAUNCHER
    """The launcher that runs the runtime on Linux (its source, or bytecode compiled for the
    interpreter)."""
    debug: Debug | None = None
    """Run under debugpy, listening there: Init waits for an editor; while one is attached
    the limits (Init, timeout, CPU share) do not run (see `debugger.py`)."""
    debugger_dir: Path | None = None
    """Where debugpy is installed: last on the path of a debugged environment only."""
    node: Interpreter | None = None
    """The `node` that runs a `nodejs*` runtime (the Python `interpreter` runs the launcher)."""


@dataclass(frozen=True)
class Request:
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: str | None = None
    cognito_identity: str | None = None


@dataclass(frozen=True)
class Result:
    """What one invocation in this environment produced. `events` is START..REPORT;
    `init_events` the init phase it caused; `stray_events` what the environment wrote
    between invocations, delivered with the next one."""

    request_id: str
    payload: bytes
    function_error: bool
    report: Report
    """Its metrics, status and error type: the data its REPORT line is written from."""
    events: tuple[LogEvent, ...]
    init_events: tuple[LogEvent, ...] = ()
    stream_name: str = ""
    stray_events: tuple[LogEvent, ...] = ()
    stream_type: str | None = None
    """For a response the function streamed: its content type (`application/octet-stream`
    unless it said otherwise; AWS's http-integration-response type after
    `HttpResponseStream.from`). None for a buffered response."""

    @property
    def log(self) -> tuple[str, ...]:
        return tuple(event.message for event in self.events)

    @property
    def init_log(self) -> tuple[str, ...]:
        return tuple(event.message for event in self.init_events)


class Environment:
    def __init__(
        self,
        spec: EnvironmentSpec,
        *,
        scratch_root: Path,
        governor: Governor | None = None,
        on_output: Callable[[Environment, list[LogEvent]], None] | None = None,
    ) -> None:
        """`on_output` receives what the environment wrote after its last invocation, when
        it is shut down (invocations carry their own lines)."""
        self.spec = spec
        self._on_output = on_output
        self._governor = governor or Governor(throttle_cpu=False)
        self.revision: object = None
        """Set by the pool: what this environment's code and configuration are."""
        self._out_of_memory = False
        self.id = ids.hex_id()
        self.stream_name = lines.stream_name(spec.version, self.id)
        self._platform = PlatformLog(
            spec.config.logging, function=spec.function, version=spec.version
        )
        self.scratch = scratch_root / self.id
        try:
            self.scratch.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError.from_os(exc, self.scratch) from None
        self._posts: queue.Queue[Posted] = queue.Queue()
        try:
            self._server = RuntimeApiServer(self._posts.put)
        except OSError as exc:
            shutil.rmtree(self.scratch, ignore_errors=True)
            TooManyOpenFiles.check(exc)
            raise
        self._runtime: Runtime | None = None
        self._high_water_mb = 0
        """The runtime's exact peak memory (`VmHWM`) as last read while it ran. Once it has
        ended, only `wait4`'s `ru_maxrss` is left, which the kernel takes from its approximate
        per-CPU counters (272 KB low measured, on 2 CPUs): a crash reports no less than this."""
        self._output: OutputPipe | None = None
        self.invocations = 0
        self._life = threading.Lock()
        """Orders starting the runtime against `shutdown`, which may come from another thread
        while an invocation is about to start it."""
        self._shut = False

    @property
    def alive(self) -> bool:
        """Whether the runtime still runs. Under a launcher, the runtime itself is asked too:
        one that ended between invocations (a Node runtime exits right after posting an
        unhandled rejection) leaves its launcher cleaning up for a moment, and an invocation
        handed to it then would fail as a crash instead of starting a new runtime."""
        runtime = self._runtime
        if runtime is None or runtime.process.poll() is not None:
            return False
        if runtime.pid != runtime.process.pid:
            try:
                os.kill(runtime.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                pass
        return True

    @property
    def attached(self) -> bool:
        """Whether an editor is attached to this environment's debugger (never without one)."""
        return self.spec.debug is not None and state(self.spec.debug) == "attached"

    @property
    def pid(self) -> int | None:
        """The runtime's pid (on Linux its launcher's child)."""
        return self._runtime.pid if self._runtime else None

    def invoke(self, request: Request) -> Result:
        """Run one invocation to its end: response, function error, crash or timeout."""
        self.invocations += 1
        init_log: list[LogEvent] = []
        init_ms: float | None = None
        stray = self._platform.application(self._output.drain()) if self._output else []
        if not self.alive:
            failed, init_ms, init_log = self._init()
            if failed is not None:
                return self._init_failure(request, failed, init_ms, init_log, stray)
        log = self._platform.start(request.request_id)
        timeout = self.spec.config.timeout
        self._watch_limits(cpu=True)
        started = time.monotonic()
        self._server.hand_over(
            Invocation(
                request_id=request.request_id,
                payload=request.payload,
                deadline_ms=int(time.time() * 1000) + timeout * 1000,
                invoked_arn=request.invoked_arn,
                trace_id=_trace_id(),
                client_context=request.client_context,
                cognito_identity=request.cognito_identity,
            )
        )
        deadline = Deadline(started + timeout, self.spec.debug, on_attach=self._debugger_attached)
        outcome = self._wait(request.request_id, deadline)
        if outcome is None:
            return self._timeout(request, log, init_ms, init_log, stray)
        duration = max(0.0, (outcome.at - started) * 1000)
        memory = self._release_limits()
        if outcome.kind == "exit":
            return self._crash(request, outcome, log, duration, init_ms, init_log, memory, stray)
        log += self._drain()
        if outcome.kind == "too_large":
            payload = _compact(
                {
                    "errorMessage": "Response payload size exceeded maximum allowed payload size "
                    f"({protocol.MAX_RESPONSE_BYTES} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            )
        else:
            payload = outcome.body
        return self._finish(
            request,
            log,
            init_log,
            payload=payload,
            function_error=outcome.kind != "response",
            duration=duration,
            init_ms=init_ms,
            memory=memory,
            stray=stray,
            stream_type=(outcome.content_type or "application/octet-stream")
            if outcome.streamed
            else None,
        )

    def shutdown(self) -> None:
        """Kill the runtime and everything it started; remove the scratch directory. Safe from
        any thread, also while an invocation runs (it ends as a runtime killed by a signal
        does), and for good: no runtime starts in this environment afterwards."""
        with self._life:
            if self._shut:
                return
            self._shut = True
        self._kill()
        leftover = self._drain()
        if leftover and self._on_output is not None:
            self._on_output(self, leftover)
        self._server.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- phases --------------------------------------------------------------------------------

    def _init(self) -> tuple[Posted | None, float, list[LogEvent]]:
        """Start the runtime and wait for its first `/next`: (failure or None, ms, log)."""
        self._reset_channel()
        interpreter = self.spec.node or self.spec.interpreter
        version, version_arn = lines.runtime_version(
            self.spec.config.runtime, interpreter.version, self.spec.region
        )
        with _INIT_TURNS:  # its turn: the wait is not Init (nor counted in its limit)
            log = self._platform.init_start(version, version_arn)
            began = time.monotonic()
            failure = self._spawn()
            if failure is None:
                self._watch_limits(cpu=False)  # init runs at full speed, but within its memory
                failure = self._wait_ready(
                    Deadline(began + INIT_LIMIT_SECONDS, self.spec.debug, until_attached=True)
                )
            elapsed = ((failure.at if failure else time.monotonic()) - began) * 1000
        if failure is None:
            self._read_high_water()  # what Init used, should the first invocation crash
        log += self._drain()
        return failure, elapsed, log

    def _wait_ready(self, deadline: Deadline) -> Posted | None:
        """The runtime's first `/next` (None), or why it will not come."""
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                return Posted("init_timeout", at=time.monotonic())
            try:
                post = self._posts.get(timeout=remaining)
            except queue.Empty:
                continue
            if post.kind == "ready":
                return None
            if post.kind == "no_files":  # its runtime cannot even be talked to
                self._release_limits()
                self._kill()
                raise TooManyOpenFiles()
            if post.kind == "init_error" or (
                post.kind == "exit" and post.request_id == self._exit_key
            ):
                return post

    def _spawn(self) -> Posted | None:
        command = self._command()
        if command is None:
            bootstrap = [str(self.spec.code_dir / "bootstrap")]
            bootstrap += [str(d / "bootstrap") for d in self.spec.layer_dirs]
            reason = f"Couldn't find valid bootstrap(s): [{' '.join(bootstrap)}]"
            return Posted("no_entrypoint", body=reason.encode(), at=time.monotonic())
        if self._runtime is not None:  # it may have ended by itself, between invocations
            SPAWNER.forget(self._runtime.process.pid, self._runtime.pid)
            self._runtime = None
        with self._life:
            if self._shut:  # shut down before it could start: as if killed at once
                return Posted("exit", exit_status=-signal.SIGKILL, at=time.monotonic())
            try:
                read_fd, write_fd = os.pipe()
            except OSError as exc:
                TooManyOpenFiles.check(exc)
                raise
            try:
                self._runtime = SPAWNER.start(
                    command,
                    python=self._python(),
                    script=not (self._is_provided or self._is_node),
                    cwd=self.spec.code_dir,
                    env=self._environ(),
                    output_fd=write_fd,
                    launcher=self.spec.launcher,
                )
            except OSError as exc:
                os.close(read_fd)
                os.close(write_fd)
                TooManyOpenFiles.check(exc)  # not the function's fault
                reason = f"fork/exec {command[0]}: {(exc.strerror or str(exc)).lower()}"
                return Posted("no_entrypoint", body=reason.encode(), at=time.monotonic())
        os.close(write_fd)
        self._out_of_memory = False
        self._high_water_mb = 0
        self._output = OutputPipe(read_fd)
        threading.Thread(target=self._watch, args=(self._runtime,), daemon=True).start()
        return None

    def _watch(self, runtime: Runtime) -> None:
        """Reap the runtime (or its launcher, which ends as the runtime did) with `wait4`,
        which also tells its peak memory: once it is reaped, /proc no longer can."""
        process = runtime.process
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        except ChildProcessError:  # already reaped by Popen
            code, peak = process.returncode, None
        else:
            code = os.waitstatus_to_exitcode(status)
            process.returncode = code  # keep Popen consistent: we reaped it
            peak = rusage_peak_mb(usage)
        reported = runtime.peak_memory_mb()
        self._posts.put(
            Posted(
                "exit",
                request_id=str(process.pid),
                exit_status=code,
                peak_memory_mb=peak if reported is None else reported,
                at=time.monotonic(),
            )
        )

    def _wait(self, request_id: str, deadline: Deadline) -> Posted | None:
        """The outcome of `request_id`, or None at the deadline."""
        current = self._exit_key
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                return None
            try:
                post = self._posts.get(timeout=remaining)
            except queue.Empty:
                continue
            if post.kind == "exit" and post.request_id == current:
                return post
            if post.kind in ("response", "error", "too_large") and post.request_id == request_id:
                return post

    def _timeout(
        self,
        request: Request,
        log: list[LogEvent],
        init_ms: float | None,
        init_log: list[LogEvent],
        stray: list[LogEvent],
    ) -> Result:
        timeout = float(self.spec.config.timeout)
        memory = self._release_limits()
        self._kill()
        log += self._drain()
        log += self._platform.fault(lines.timed_out(request.request_id, timeout))
        payload = _compact(
            {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request.request_id} Error: Task timed out after "
                f"{timeout:.2f} seconds",
            }
        )
        return self._finish(
            request,
            log,
            init_log,
            payload=payload,
            duration=timeout * 1000,
            init_ms=init_ms,
            memory=memory,
            status="timeout",
            error_type="Sandbox.Timedout",
            stray=stray,
        )

    def _crash(
        self,
        request: Request,
        outcome: Posted,
        log: list[LogEvent],
        duration: float,
        init_ms: float | None,
        init_log: list[LogEvent],
        memory: int,
        stray: list[LogEvent],
    ) -> Result:
        memory = max(outcome.peak_memory_mb or 0, memory)
        self._kill()
        reason = _exit_reason(outcome.exit_status)
        message = f"RequestId: {request.request_id} Error: {reason}"
        log += self._drain()
        # The caller sees the runtime's exit either way; REPORT names the cause.
        error_type = "Runtime.OutOfMemory" if self._out_of_memory else "Runtime.ExitError"
        log += self._platform.fault(message, "Runtime.ExitError")
        return self._finish(
            request,
            log,
            init_log,
            payload=_compact({"errorType": "Runtime.ExitError", "errorMessage": message}),
            duration=duration,
            init_ms=init_ms,
            memory=memory,
            status="error",
            error_type=error_type,
            stray=stray,
        )

    def _init_failure(
        self,
        request: Request,
        failure: Posted,
        init_ms: float,
        init_log: list[LogEvent],
        stray: list[LogEvent],
    ) -> Result:
        """Init failed: the invoke returns the init error, and the next invoke inits again."""
        memory = max(failure.peak_memory_mb or 0, self._release_limits())
        self._kill()
        init_log += self._drain()
        if failure.kind == "init_error":
            payload = failure.body
            error_type = failure.error_type or _error_type_of(payload) or "Runtime.Unknown"
            status = "error"
        elif failure.kind == "no_entrypoint":
            error_type, status = "Runtime.InvalidEntrypoint", "error"
            message = f"RequestId: {request.request_id} Error: {failure.body.decode()}"
            payload = _compact({"errorType": error_type, "errorMessage": message})
        elif failure.kind == "init_timeout":
            error_type, status = "Sandbox.Timedout", "timeout"
            payload = _compact(
                {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request.request_id} Error: Task timed out "
                    f"after {INIT_LIMIT_SECONDS:.2f} seconds",
                }
            )
        else:
            message = f"RequestId: {request.request_id} Error: {_exit_reason(failure.exit_status)}"
            payload = _compact({"errorType": "Runtime.ExitError", "errorMessage": message})
            status = "error"
            error_type = "Runtime.OutOfMemory" if self._out_of_memory else "Runtime.ExitError"
        init_log += self._platform.init_report(
            init_ms,
            phase="init",
            status=status,
            error_type=None if status == "timeout" else error_type,
        )
        return self._finish(
            request,
            self._platform.start(request.request_id),
            init_log,
            payload=payload,
            duration=init_ms,
            init_ms=None,  # reported by INIT_REPORT, not REPORT
            memory=memory,
            status="error",
            error_type=error_type,
            stray=stray,
        )

    def _finish(
        self,
        request: Request,
        log: list[LogEvent],
        init_log: list[LogEvent],
        *,
        payload: bytes,
        duration: float,
        init_ms: float | None,
        memory: int,
        function_error: bool = True,
        status: str = "success",
        error_type: str | None = None,
        stray: list[LogEvent] | None = None,
        stream_type: str | None = None,
    ) -> Result:
        """END and REPORT (with `Status` unless it succeeded), and the invocation's result."""
        log += self._platform.end(
            request.request_id,
            status=status,
            duration_ms=duration,
            produced_bytes=len(payload),
            error_type=error_type,
        )
        report = Report.measured(
            request.request_id,
            duration_ms=duration,
            memory_mb=self.spec.config.memory,
            max_memory_mb=memory,
            init_duration_ms=init_ms,
            status=status,
            error_type=error_type,
        )
        log += self._platform.report(report)
        return Result(
            request.request_id,
            payload,
            function_error,
            report,
            tuple(log),
            tuple(init_log),
            self.stream_name,
            tuple(stray or ()),
            stream_type,
        )

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def _is_provided(self) -> bool:
        return self.spec.config.runtime.startswith("provided")

    @property
    def _is_node(self) -> bool:
        return self.spec.config.runtime.startswith("nodejs")

    @property
    def _exit_key(self) -> str:
        """How the runtime's exit is posted: by the pid of the process reaped."""
        return str(self._runtime.process.pid) if self._runtime else ""

    def _command(self) -> list[str] | None:
        """A `provided` runtime's bootstrap executable; or the Python runtime client (a script
        that `_python()` runs) with its arguments."""
        if self._is_provided:
            for directory in (self.spec.code_dir, *self.spec.layer_dirs):
                candidate = directory / "bootstrap"
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return [str(candidate)]
            return None
        if self._is_node:
            node = self.spec.node.path if self.spec.node else "node"
            return [node, str(NODE_BOOTSTRAP), self.spec.config.handler]
        return [str(self.spec.bootstrap), self.spec.config.handler]

    def _python(self) -> list[str]:
        """The interpreter and its options that run the launcher and the Python runtime client."""
        # -I: no user site, no PYTHON* variables, no script directory on sys.path;
        # -S: no site-packages at all. The bootstrap builds the function's sys.path itself.
        if self._is_provided or self._is_node:
            return [self.spec.interpreter.path, "-I", "-S"]
        pycache = ["-X", f"pycache_prefix={self.spec.pycache_dir}"] if self.spec.pycache_dir else []
        if self.spec.debug is not None:
            # Breakpoints in the standard library's frozen modules would be missed; debugpy
            # warns into the function's log unless they are off (older Pythons ignore it).
            pycache += ["-X", "frozen_modules=off"]
        return [self.spec.interpreter.path, "-I", "-S", "-u", *pycache]

    def _environ(self) -> dict[str, str]:
        spec, config = self.spec, self.spec.config
        python_paths = []
        for layer in spec.layer_dirs:
            python_paths.append(layer / "python" / "lib" / f"{config.runtime}" / "site-packages")
            python_paths.append(layer / "python")
        path_dirs = [str(layer / "bin") for layer in spec.layer_dirs]
        if spec.node is not None:
            path_dirs.append(str(Path(spec.node.path).parent))
        path_dirs += [str(Path(spec.interpreter.path).parent), os.environ.get("PATH", os.defpath)]
        env = {
            **spec.passthrough_env,
            **config.environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.function,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": lines.group_name(spec.function),
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream_name,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_RUNTIME_API": self._server.address,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
            "_HANDLER": config.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": os.pathsep.join(path_dirs),
            "LD_LIBRARY_PATH": os.pathsep.join(str(layer / "lib") for layer in spec.layer_dirs),
            "TMPDIR": str(self.scratch),
            "HOME": str(self.scratch),
        }
        if config.logging.json:  # as on AWS, only when the function is set to JSON
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = config.logging.application_level
        if self._is_node:
            env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{config.runtime}"
            major = config.runtime.removeprefix("nodejs").removesuffix(".x")
            modules = [
                layer / "nodejs" / f"node{major}" / "node_modules" for layer in spec.layer_dirs
            ]
            modules += [layer / "nodejs" / "node_modules" for layer in spec.layer_dirs]
            # AWS's order: the function's packages (its node_modules, beside the handler),
            # the layers', the runtime's own (the AWS SDK), the code.
            search = [*spec.dependency_dirs, *modules, *spec.provided_dirs, spec.code_dir]
            env["NODE_PATH"] = os.pathsep.join(str(p) for p in search)
        if config.runtime.startswith("python"):
            env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{config.runtime}"
            search = [spec.code_dir, *spec.dependency_dirs, *python_paths]
            env["_LAMBDACTL_SYS_PATH"] = os.pathsep.join(str(p) for p in search)
            after = [*spec.provided_dirs]
            if spec.debug is not None and spec.debugger_dir is not None:
                after.append(spec.debugger_dir)
                env["_LAMBDACTL_DEBUG"] = spec.debug.address
                env["_LAMBDACTL_DEBUGGER_DIR"] = str(spec.debugger_dir)
            env["_LAMBDACTL_SYS_PATH_AFTER"] = os.pathsep.join(str(p) for p in after)
        return env

    def _drain(self) -> list[LogEvent]:
        """The function's output so far, as its log level keeps it."""
        if self._output is None:
            return []
        return self._platform.application(self._output.drain(flush_partial=True))

    def _watch_limits(self, *, cpu: bool) -> None:
        if self._runtime is not None:
            self._governor.watch(
                self._runtime.pid, memory_mb=self.spec.config.memory, cpu=cpu, on_oom=self._oom
            )

    def _debugger_attached(self, attached: bool) -> None:
        """A stopped debugger must not be throttled (SIGSTOP freezes the editor's session
        too); memory stays watched."""
        self._watch_limits(cpu=not attached)

    def _release_limits(self) -> int:
        """Stop enforcing; the peak memory in MB seen so far (kernel's or sampled)."""
        if self._runtime is None:
            return 0
        sampled = self._governor.unwatch(self._runtime.pid)
        return max(sampled, self._read_high_water())

    def _read_high_water(self) -> int:
        """The runtime's peak memory in MB: the kernel's exact high-water mark while it runs,
        the last one read once it has ended (never lower: a process's peak only grows)."""
        if self._runtime is not None:
            self._high_water_mb = max(self._high_water_mb, peak_memory_mb(self._runtime.pid))
        return self._high_water_mb

    def _oom(self) -> None:
        self._out_of_memory = True

    def _kill(self) -> None:
        """Kill the runtime's process group; its launcher then kills what it adopted, reaps it
        all and ends."""
        runtime = self._runtime
        if runtime is None:
            return
        self._governor.unwatch(runtime.pid)
        _kill_group(runtime.pid)
        forget_process(runtime.pid)
        try:
            runtime.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a launcher stuck cleaning up: give up on it
            _kill_group(runtime.process.pid)
        SPAWNER.forget(runtime.process.pid, runtime.pid)
        self._server.forget()

    def _reset_channel(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None
        self._server.forget()
        while True:
            try:
                self._posts.get_nowait()
            except queue.Empty:
                return


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_reason(status: int | None) -> str:
    if status is None or status == 0:
        return "Runtime exited without providing a reason"
    if status < 0:
        name = _GO_SIGNAL_NAMES.get(signal.Signals(-status), f"signal {-status}")
        return f"Runtime exited with error: signal: {name}"
    return f"Runtime exited with error: exit status {status}"


def _error_type_of(body: bytes) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value.get("errorType") if isinstance(value, dict) else None


def _compact(value: dict[str, str]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _trace_id() -> str:
    now = int(time.time())
    return f"Root=1-{now:08x}-{ids.hex_id(24)};Parent={ids.hex_id(16)};Sampled=0"
