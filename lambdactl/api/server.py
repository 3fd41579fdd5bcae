"""`lambdactl serve`'s process: the HTTP endpoint, the warm environments behind it and the
project's retry worker, started together and stopped together.

The server holds the project's worker lock for as long as it runs, so no other worker
delivers the same events, and announces its address in `.lambda/endpoint.json` (see
`endpoint`) for the CLI's warm path and for the functions it runs. It follows edits of its
manifest (`reload`). `lambdactl dev` is this same process with more running alongside
(`serve`'s `alongside`: a `Running` server's invoker, reloader and orderly stop).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import endpoint
from ..errors import LambdactlError
from ..events import daemon
from ..invoke import Invoker
from ..project import Project
from ..reload import Reload, Reloader
from .backend import Backend

if TYPE_CHECKING:
    from ..events.worker import Worker
    from ..runtime.debugger import Debug
    from ..sources.host import Host
    from ..variables import Overrides

log = logging.getLogger("lambdactl")

GRACE_SECONDS = 5.0
"""How long a stopping server lets the invocations in flight (requests and events) end
before it cuts them off."""
CUT_OFF_SECONDS = 10.0
"""After the grace, how long uvicorn waits for the answers of what was cut off before it
drops the connections left (a safety net: they take milliseconds)."""
WORKER_HANDOVER_SECONDS = 30.0
"""How long to wait for a running `lambdactl worker` to finish its events and let go."""


@dataclass(frozen=True)
class Listening:
    """What the banner says: where the server listens."""

    url: str
    host: str
    port: int


FILES_PER_ENVIRONMENT = 9
"""Descriptors the server holds per environment in flight (measured: ~8.2; a warm idle one
~7.3): its Runtime API listener and connection, output and status pipes, /proc files the
governor keeps open, a concurrency slot, the client's connection."""


def environments_within(file_limit: int) -> int:
    """About how many environments an open-file limit leaves room for."""
    return max(0, (file_limit - 64) // FILES_PER_ENVIRONMENT)


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit: each invocation in flight holds
    a client socket, a Runtime API socket and an environment's pipes. The new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            return hard
    return soft


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: a free one), or a one-line error.

    Made with `IPPROTO_TCP` and `TCP_NODELAY`, which accepted connections inherit: asyncio's
    own loop sets `TCP_NODELAY` on a connection only when its socket says `IPPROTO_TCP`
    (`socket.create_server` leaves 0), and without it every response waits ~40 ms for a
    delayed ACK (uvloop, when installed, sets it anyway)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":  # as create_server: a restarted server rebinds at once
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise LambdactlError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another port with --port (0 picks a free one)",
        ) from None
    return sock


def url_of(sock: socket.socket, host: str) -> Listening:
    """Where clients are told to connect (the banner, `endpoint.json`, queue and function
    URLs, the functions' AWS_ENDPOINT_URL_*): `host` itself, except for an address that
    means all interfaces (0.0.0.0, ::), which no client can connect to: the loopback of
    its family stands for it."""
    port = sock.getsockname()[1]
    advertised = connectable(host)
    shown = f"[{advertised}]" if ":" in advertised else advertised
    return Listening(url=f"http://{shown}:{port}", host=host, port=port)


def connectable(host: str) -> str:
    """`host`, or the loopback address of its family when it means every interface."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a name: as given
    if not address.is_unspecified:
        return host
    return "::1" if address.version == 6 else "127.0.0.1"


def all_interfaces(host: str) -> bool:
    """Whether `host` (0.0.0.0, ::) means every interface of the machine."""
    return connectable(host) != host


@contextlib.contextmanager
def worker_lock(project: Project) -> Iterator[int]:
    """Hold the project's worker lock for the server's life. A `lambdactl worker` that holds
    it is asked to stop (it finishes its events) and the lock taken over; another server is
    an error."""
    state = project.manifest.state_dir
    lock = daemon.hold(state)
    if lock is None:
        other = endpoint.running(state)
        if other is not None:
            raise LambdactlError(
                f"lambdactl serve already runs for this project at {other.url} (pid {other.pid})"
            )
        lock = _take_from_worker(state)
    try:
        yield lock
    finally:
        os.close(lock)


def _take_from_worker(state: os.PathLike[str]) -> int:
    state_dir = Path(state)
    pid = daemon.running_pid(state_dir)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WORKER_HANDOVER_SECONDS
    while time.monotonic() < deadline:
        lock = daemon.hold(state_dir)
        if lock is not None:
            return lock
        time.sleep(0.05)
    raise LambdactlError(
        f"the project's worker (pid {pid}) did not stop within {WORKER_HANDOVER_SECONDS:.0f} s",
        hint="stop it with `lambdactl worker stop`, then start serve again",
    )


@dataclass(frozen=True)
class Running:
    """A server that runs, for what runs alongside it in the same process (the dev loop)."""

    project: Project
    invoker: Invoker
    """The server's own: every call (API, worker) goes through it."""
    reloader: Reloader
    listening: Listening
    quit: Callable[[], None]
    """Stop in order, as a first Ctrl-C does; from any thread."""


class Shutdown:
    """How the server stops. The first SIGINT or SIGTERM starts an orderly stop: no new
    request or event is taken, and those in flight get `grace` seconds to end; then they are
    cut off. A second SIGINT (Ctrl-C) cuts them off at once. Thread-safe."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self._changed = threading.Condition()
        self._deadline: float | None = None
        self._forced = False
        self._finished = False

    def request(self, signum: int | None = None) -> None:
        """Start the stop (a signal, or the server ending by itself); a second SIGINT
        forces it."""
        with self._changed:
            if self._deadline is None:
                self._deadline = time.monotonic() + self.grace
            elif signum == signal.SIGINT:
                self._forced = True
            self._changed.notify_all()

    def finish(self) -> None:
        """Everything in flight has ended: nothing is left to cut off."""
        with self._changed:
            self._finished = True
            self._changed.notify_all()

    def wait_requested(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._deadline is not None or self._finished)

    def wait_due(self) -> bool:
        """Wait until what is in flight must be cut off (True: the grace is over, or the stop
        was forced) or has all ended (False)."""
        with self._changed:
            while not (self._forced or self._finished):
                assert self._deadline is not None  # called once requested
                left = self._deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return not self._finished


def serve(
    project: Project,
    sock: socket.socket,
    listening: Listening,
    *,
    on_ready: Callable[[], None] = lambda: None,
    overrides: Overrides | None = None,
    grace: float = GRACE_SECONDS,
    on_reload: Callable[[Reload], None] = lambda _reload: None,
    on_reject: Callable[[LambdactlError], None] = lambda _error: None,
    alongside: Callable[[Running], AbstractContextManager[object]] | None = None,
    debug: Debug | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (or `Running.quit`); then stop: see `stop_in_order`.
    `overrides`: environment variables from `--env-vars`. `on_reload` and `on_reject` hear
    of each edit of the manifest applied, and of each refused (see `Reloader`).
    `alongside`: what runs beside the server (`dev`'s watcher and view), entered once
    everything is started, before `on_ready`, and left once the stop is under way: no new
    request is taken, the requests and events in flight and the environments are still
    there (and are cut off when the grace is over, if they do not end before). `debug`: run
    that function under debugpy (see `runtime.debugger`)."""
    import uvicorn

    from ..events.worker import Worker
    from ..sources.host import Host
    from .app import build

    manifest = project.manifest.path
    invoker = Invoker(
        project, watch_code=True, server_url=listening.url, overrides=overrides, debug=debug
    )
    reloader = Reloader(project, invoker, on_reload=on_reload, on_reject=on_reject)
    backend = Backend(project=project, invoker=invoker, endpoint=listening.url)
    config = uvicorn.Config(
        build(backend),
        log_level="warning",
        access_log=False,
        lifespan="off",
        # Only a safety net: the invocations in flight are cut off when the grace is over,
        # and their answers sent, well before (see `stop_in_order`).
        timeout_graceful_shutdown=math.ceil(grace + CUT_OFF_SECONDS),
        server_header=False,
        date_header=True,
    )

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # ours stay installed (`on_signal`), for the whole stop, not uvicorn's part

    server = Server(config)
    shutdown = Shutdown(grace)

    def on_signal(signum: int | None, _frame: object = None) -> None:
        shutdown.request(signum)
        server.should_exit = True  # uvicorn: close the listener, wait for requests in flight

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    state = project.manifest.state_dir
    with worker_lock(project) as lock:
        worker = Worker(project, invoker=invoker)
        halt = threading.Event()
        worker.take_over()
        host = Host(project, invoker)  # the event sources' pollers: we hold the lock
        host.start()
        runner = threading.Thread(
            target=worker.run,
            args=(halt,),
            kwargs={"lost": daemon.watch(state, lock)},
            name="worker",
            daemon=True,
        )
        runner.start()
        # Published once the text on disk is applied, saying which it is: the CLI compares.
        reloader.start(
            endpoint.Endpoint(url=listening.url, pid=os.getpid(), manifest=str(manifest))
        )
        stopper = threading.Thread(
            target=stop_in_order,
            args=(shutdown, worker, halt, backend, state, reloader, host),
            name="stopper",
            daemon=True,
        )
        stopper.start()
        beside: contextlib.ExitStack = contextlib.ExitStack()
        try:
            if alongside is not None:
                running = Running(project, invoker, reloader, listening, lambda: on_signal(None))
                beside.enter_context(alongside(running))
            on_ready()
            server.run(sockets=[sock])
        finally:
            shutdown.request()  # also when uvicorn ended by itself (an error)
            server.should_exit = True  # also when what runs alongside failed to start
            try:
                beside.close()
            finally:
                backend.threads.shutdown()  # every request was answered: they are idle
                runner.join()  # its events end, or are cut off and handed back
                host.stop()  # its batches end, or are cut off (their messages show again)
                shutdown.finish()
                stopper.join()
                reloader.close()
                worker.close()  # every environment is shut down, the last log lines stored
                endpoint.withdraw(state, os.getpid())


def stop_in_order(
    shutdown: Shutdown,
    worker: Worker,
    halt: threading.Event,
    backend: Backend,
    state: Path,
    reloader: Reloader,
    host: Host,
) -> None:
    """The stop, once requested: the endpoint file is withdrawn (the CLI no longer hands work
    to this server), the retry worker takes no new event and SQS long polls answer with what
    they have, while uvicorn closes the listener and lets the requests in flight end. If the
    grace runs out (or a second Ctrl-C comes) first, `Worker.interrupt` cuts everything off:
    each environment is shut down, so a synchronous invoke still running answers as an invoke
    whose runtime was killed does (200, `X-Amz-Function-Error: Unhandled`,
    `Runtime.ExitError` "signal: killed": a definite answer, which the client does not retry,
    where a dropped connection would leave it guessing, and retrying), and each asynchronous
    event in flight is handed back to the queue."""
    shutdown.wait_requested()
    reloader.close()  # it would publish the endpoint file again
    endpoint.withdraw(state, os.getpid())
    halt.set()
    host.halt()  # the event sources take no new batch
    backend.stopping.set()  # long polls answer (empty) at their next look
    if shutdown.wait_due():
        worker.interrupt()
