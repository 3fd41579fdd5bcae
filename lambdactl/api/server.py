"""`lambdactl serve`'s process: the HTTP endpoint, the warm environments behind it and the
project's retry worker, started together and stopped together.

The server holds the project's worker lock for as long as it runs, so no other worker
delivers the same events, and announces its address in `.lambda/endpoint.json` (see
`endpoint`) for the CLI's warm path and for the functions it runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import endpoint
from ..errors import LambdactlError
from ..events import daemon
from ..invoke import Invoker
from ..project import Project
from .backend import Backend

log = logging.getLogger("lambdactl")

GRACE_SECONDS = 5.0
"""How long a stopping server lets requests in flight finish before it closes them."""
WORKER_HANDOVER_SECONDS = 30.0
"""How long to wait for a running `lambdactl worker` to finish its events and let go."""


@dataclass(frozen=True)
class Listening:
    """What the banner says: where the server listens."""

    url: str
    host: str
    port: int


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
    """The listening socket (port 0: a free one), or a one-line error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise LambdactlError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another port with --port (0 picks a free one)",
        ) from None


def url_of(sock: socket.socket, host: str) -> Listening:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return Listening(url=f"http://{shown}:{port}", host=host, port=port)


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
    from pathlib import Path

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


def serve(
    project: Project,
    sock: socket.socket,
    listening: Listening,
    *,
    on_ready: Callable[[], None] = lambda: None,
) -> None:
    """Serve until SIGINT or SIGTERM; then stop taking requests, let those in flight finish
    (up to `GRACE_SECONDS`), hand in-flight events back to the queue and shut every
    environment down."""
    import uvicorn

    from ..events.worker import Worker
    from .app import build

    invoker = Invoker(project, watch_code=True)
    backend = Backend(project=project, invoker=invoker, endpoint=listening.url)
    config = uvicorn.Config(
        build(backend),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=int(GRACE_SECONDS),
        server_header=False,
        date_header=True,
    )
    server = uvicorn.Server(config)

    def stop(_signum: int, _frame: object) -> None:
        server.should_exit = True

    # Ours, installed first: uvicorn restores them and re-raises the signal when it is done.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    state = project.manifest.state_dir
    with worker_lock(project) as lock:
        worker = Worker(project, invoker=invoker)
        halt = threading.Event()
        worker.take_over()
        runner = threading.Thread(
            target=worker.run,
            args=(halt,),
            kwargs={"lost": daemon.watch(state, lock)},
            name="worker",
            daemon=True,
        )
        runner.start()
        endpoint.publish(state, endpoint.Endpoint(url=listening.url, pid=os.getpid()))
        try:
            on_ready()
            server.run(sockets=[sock])
        finally:
            endpoint.withdraw(state, os.getpid())
            halt.set()
            runner.join()
            worker.close()
