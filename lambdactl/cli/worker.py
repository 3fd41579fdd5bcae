"""`lambdactl worker`: run the asynchronous retry worker; `worker status|stop`."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING

import typer

from ..errors import UsageError
from . import render
from .session import OUTPUT_OPTION, Output, session

if TYPE_CHECKING:
    from ..endpoint import Endpoint

app = typer.Typer(
    help="The retry worker that runs asynchronous invocations.", invoke_without_command=True
)


@app.callback()
def worker(
    ctx: typer.Context,
    idle_exit: float = typer.Option(
        None, "--idle-exit", metavar="SECONDS", help="Exit after this long with nothing to do."
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Events run at the same time."),
    lease: float = typer.Option(
        30.0,
        "--lease",
        metavar="SECONDS",
        help="How long an event stays leased without a heartbeat (a dead worker's events are "
        "taken over at once by the next worker).",
    ),
    output: Output = typer.Option(
        Output.text,
        "--output",
        "-o",
        help="text, or json: one object when started, one when stopped.",
    ),
) -> None:
    """Run the worker in the foreground (Ctrl-C finishes in-flight events, then exits; a
    second Ctrl-C hands them back to the queue and exits at once)."""
    if ctx.invoked_subcommand is not None:
        return
    _check_seconds("--lease", lease, zero=False)
    if idle_exit is not None:
        _check_seconds("--idle-exit", idle_exit, zero=True)
    import threading

    from .. import endpoint
    from ..events import daemon
    from ..events.worker import Worker
    from ..reload import Reloader
    from ..sources.host import IDLE_EXIT_KINDS, Host

    project = session(ctx).project()
    state = project.manifest.state_dir
    lock = daemon.hold(state)
    if lock is None:
        server = endpoint.running(state)
        if server is not None and output is Output.json:
            render.print_json(
                {"Status": "already running", "Pid": server.pid, "Endpoint": server.url}
            )
        elif server is not None:
            render.line(_inside(server))
        elif output is Output.json:
            render.print_json({"Status": "already running", "Pid": daemon.running_pid(state)})
        else:
            render.line("a worker is already running for this project")
        return
    stop = threading.Event()
    runner = Worker(project, concurrency=concurrency, lease=lease)
    # The event sources' pollers (we hold the lock); a worker that exits when idle runs only
    # those whose work ends (queues, streams): see `sources.host`.
    host = Host(project, runner.invoker, kinds=IDLE_EXIT_KINDS if idle_exit is not None else None)

    def finish(signum: int, _frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            # A second Ctrl-C: the events in flight go back to the queue now (in a thread:
            # this handler may interrupt the main thread anywhere).
            threading.Thread(target=runner.interrupt, daemon=True).start()
        stop.set()  # finish in-flight events, then exit
        host.halt()  # no new batch from the event sources

    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored
        signal.signal(signum, finish)
    whom = {"WorkerId": runner.owner, "Pid": os.getpid()}
    if output is Output.json:
        render.json_line({"Status": "started", **whom, "Manifest": str(project.manifest.path)})
    else:
        render.line(f"worker {runner.owner} (pid {os.getpid()}) for {project.manifest.path}")
    reclaimed = runner.take_over()  # we hold the lock: every other lease holder is dead
    if reclaimed and output is Output.text:
        render.line(f"took over {reclaimed} event(s) left leased by a worker that died")
    status = render.live_status(lambda: f"{runner.processed} event(s) taken, Ctrl-C to stop")
    lost = None
    reloader = Reloader(project, runner.invoker)  # manifest edits: sources follow them too
    reloader.start()
    host.start()
    try:
        with status if output is Output.text else contextlib.nullcontext():  # JSON: lines only
            lost = runner.run(
                stop,
                idle_exit=idle_exit,
                lost=daemon.watch(project.manifest.state_dir, lock),
                also_idle=host.idle_for,
            )
    finally:
        reloader.close()
        host.stop()  # batches in flight end (or, interrupted, show again later)
        if lost is not None and output is Output.text:
            render.line(f"worker exiting: {lost}; in-flight events stopped, nothing recorded")
        runner.close(abandon=lost is not None)
        if output is Output.json:
            stopped = {"Status": "stopped", **whom, "Processed": runner.processed}
            if lost is not None:
                stopped["Reason"] = lost
            render.json_line(stopped)
        else:
            render.line(f"worker stopped after {runner.processed} event(s)")


@app.command("status")
def status(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """Whether a worker runs for this project, and how many events wait."""
    from .. import endpoint
    from ..events import daemon, history

    project = session(ctx).project()
    state = project.manifest.state_dir
    pid = daemon.running_pid(state)
    server = endpoint.running(state) if pid is not None else None
    waiting = history.waiting(project)
    if output is Output.json:
        shape: dict[str, object] = {"Running": pid is not None, "Pid": pid, "Waiting": waiting}
        if server is not None:
            shape["Endpoint"] = server.url
        render.print_json(shape)
        return
    if server is not None:
        render.line(_inside(server))
    else:
        render.line(f"worker: {'running, pid ' + str(pid) if pid else 'not running'}")
    render.line(f"events waiting, running or delivering: {waiting}")


@app.command("stop")
def stop(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """Stop the project's worker (it finishes in-flight events first)."""
    from .. import endpoint
    from ..errors import LambdactlError
    from ..events import daemon

    state = session(ctx).project().manifest.state_dir
    server = endpoint.running(state)
    if server is not None:  # stopping it would stop the server: that is not this command's
        raise LambdactlError(
            f"{_inside(server)}: it stops with the server",
            hint=f"stop the server with Ctrl-C where it runs (or kill -TERM {server.pid})",
        )
    pid = daemon.running_pid(state)
    if pid is None:
        if output is Output.json:
            render.print_json({"Stopped": False, "Pid": None})
        else:
            render.line("no worker is running")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while daemon.running_pid(state) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    if daemon.running_pid(state) is not None:
        raise LambdactlError(f"worker {pid} did not stop within 30 s")
    if output is Output.json:
        render.print_json({"Stopped": True, "Pid": pid})
        return
    render.success(f"stopped worker {pid}")


def _inside(server: Endpoint) -> str:
    return f"lambdactl serve (pid {server.pid}, {server.url}) runs this project's worker"


def _check_seconds(option: str, value: float, *, zero: bool) -> None:
    """A duration option must be a finite number of seconds: NaN or infinity would be written
    into the leases of every event the worker takes."""
    import math

    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        kind = "zero or more" if zero else "more than zero"
        raise UsageError(f"{option} takes a number of seconds, {kind}, not {value}")
