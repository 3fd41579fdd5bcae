"""`lambdactl dev`: `serve` plus a watcher that reloads what is saved, and a live view (or
plain lines: one per invocation, reload and notice)."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

from ..errors import UsageError
from . import render
from .serve import announce, prepare, routes_lines, sources_lines
from .session import ENV_VARS_HELP, Output, session

if TYPE_CHECKING:
    from ..dev.activity import Happening


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)


def dev(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(
        3001, "--port", "-p", min=0, max=65535, help="Port (0: any free one)."
    ),
    on_change: list[str] = typer.Option(
        [],
        "--on-change",
        metavar="'FUNCTION[:QUALIFIER] [--event FILE | --payload JSON]'",
        help="Invoke FUNCTION after each reload of it and show the answer (repeatable).",
    ),
    env_vars: str = typer.Option(
        None,
        "--env-vars",
        metavar="FILE",
        help=ENV_VARS_HELP + " Followed as it is edited.",
    ),
    debug: str = typer.Option(
        None,
        "--debug",
        metavar="FUNCTION",
        help="Run FUNCTION's environments under debugpy; each waits for your editor to attach.",
    ),
    debug_port: int = typer.Option(
        5678, "--debug-port", min=1, max=65535, help="The port debugpy listens on (127.0.0.1)."
    ),
    no_ui: bool = typer.Option(
        False, "--no-ui", help="Plain lines, one per invocation and reload (as to a pipe)."
    ),
    output: Output = typer.Option(
        Output.text,
        "--output",
        "-o",
        help="text, or json: one object when ready, then one per invocation, reload, notice.",
    ),
) -> None:
    """Serve the project and reload each function as its files are saved, until Ctrl-C."""
    from ..api import server
    from ..dev import triggers
    from ..dev.activity import Activity
    from ..dev.loop import Loop

    parsed = [triggers.parse(text, session(ctx).project()) for text in on_change]
    activity = Activity()
    debugged = _debugged(session(ctx).project(), debug, debug_port, activity)
    project, overrides, sock, listening = prepare(ctx, host, port, env_vars)
    loop = Loop(project, activity, triggers=parsed, env_vars=env_vars, debug=debugged)
    live = output is Output.text and not no_ui and sys.stdout.isatty()
    lines = Lines(output)

    def ready() -> None:
        if not live:
            announce(project, listening, host, output, command="dev", extra=_watching(loop))
            activity.listen(lines.say)

    @contextlib.contextmanager
    def alongside(running: server.Running) -> Iterator[None]:
        with loop.attach(running):
            if not live:
                yield
                return
            from ..dev import screen

            shown = [line.split(None, 1)[1] for line in sources_lines(project)]
            if shown:  # the view's footer shows it until something newer
                activity.note("event sources: " + "; ".join(shown))
            served = [line.split(None, 1)[1] for line in routes_lines(project, listening.url)]
            if served:  # each invocation's TRIGGER then names its route
                activity.note("routes: " + "; ".join(served))
            with screen.run(loop):
                yield

    server.serve(
        project,
        sock,
        listening,
        on_ready=ready,
        overrides=overrides,
        on_reload=loop.on_reload,
        on_reject=loop.on_reject,
        alongside=alongside,
        debug=debugged,
    )
    lines.stopped(listening.url)


def _debugged(project: Any, function: str | None, port: int, activity: Any) -> Any:
    """The `Debug` of `--debug FUNCTION` (checked: a Python function of the project, a port
    free now), which says in the activity each time an environment waits for the editor."""
    if function is None:
        return None
    from ..runtime import debugger

    name = project.ref(function).name
    spec = project.functions.get(name)
    if spec is None:
        raise UsageError(f"--debug {function}: the project has no function {name}")
    if not spec.config.runtime.startswith("python"):
        raise UsageError(
            f"--debug {function}: debugpy debugs Python runtimes, and it runs {spec.config.runtime}"
        )

    def waiting(debug: debugger.Debug) -> None:
        activity.note(
            f"{debug.function}: waiting for a debugger to attach on {debug.address}",
            function=debug.function,
        )

    debug = debugger.Debug(name, port, announce=waiting)
    debugger.check_port(debug)
    return debug


def _watching(loop: Any) -> list[str]:
    extra = [
        "  watching  the functions' code and layers, requirements.txt, the manifest"
        + (f", {loop.env_vars}" if loop.env_vars else "")
    ]
    extra += [f"  on change {trigger.text}" for trigger in loop.triggers]
    return extra



class Lines:
    """Plain lines (or JSON lines) for each invocation, reload and notice, as they happen,
    from whichever thread recorded them: one whole line at a time."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self._lock = threading.Lock()

    def say(self, happening: Happening) -> None:
        with self._lock:
            if self.output is Output.json:
                render.json_line(as_json(happening))
            else:
                sys.stdout.write(as_text(happening) + "\n")
                sys.stdout.flush()

    def stopped(self, url: str) -> None:
        with self._lock:
            if self.output is Output.json:
                render.json_line({"Status": "stopped", "Endpoint": url})
            else:
                render.line("server stopped")


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"


def as_text(happening: Happening) -> str:
    """One plain line: `12:00:01.250  hello  $LATEST  ok  3.1 ms  cold`, then what
    triggered it when known (`  (queue orders)`)."""
    from ..dev.activity import Invocation, Reloaded

    at = _clock(happening.at)
    if isinstance(happening, Invocation):
        temperature = "cold" if happening.cold else "warm"
        line = (
            f"{at}  {happening.function}  {happening.version}  {happening.status}  "
            f"{happening.duration_ms:.1f} ms  {temperature}"
        )
        if happening.failure is not None and happening.failure.message:
            line += f"  {render.shown(happening.failure.message)[:120]}"
        if happening.trigger:
            line += f"  ({render.shown(happening.trigger)})"
        return line
    if isinstance(happening, Reloaded):
        return f"{at}  {happening.function}  reloaded ({happening.reason})"
    prefix = "" if happening.level == "info" else f"{happening.level}: "
    return f"{at}  {prefix}{render.shown(happening.text)}"


def as_json(happening: Happening) -> dict[str, Any]:
    """One object per happening: `Status` is `invoked`, `reloaded` or `notice`."""
    from ..dev.activity import Invocation, Reloaded

    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(happening.at))
    at += f".{int(happening.at * 1000) % 1000:03d}Z"
    if isinstance(happening, Invocation):
        value: dict[str, Any] = {
            "Status": "invoked",
            "Time": at,
            "Function": happening.function,
            "Version": happening.version,
            "RequestId": happening.request_id,
            "Result": happening.status,
            "DurationMs": round(happening.duration_ms, 3),
            "Cold": happening.cold,
        }
        if happening.trigger:
            value["Trigger"] = happening.trigger
        if happening.failure is not None:
            value["Error"] = {
                "errorType": happening.failure.error_type,
                "errorMessage": happening.failure.message,
            }
        return value
    if isinstance(happening, Reloaded):
        return {
            "Status": "reloaded",
            "Time": at,
            "Function": happening.function,
            "Reason": happening.reason,
        }
    notice = {"Status": "notice", "Time": at, "Level": happening.level, "Text": happening.text}
    if happening.function is not None:
        notice["Function"] = happening.function
    return notice
