"""`lambdactl invoke`: run a function and print what it returned."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import typer

from ..errors import UsageError, given_bytes
from . import completion, render
from .session import OUTPUT_OPTION, Output, session


def register(app: typer.Typer) -> None:
    app.command("invoke")(invoke)


def invoke(
    ctx: typer.Context,
    function: str = typer.Argument(
        ..., metavar="FUNCTION[:QUALIFIER]", autocompletion=completion.function_refs
    ),
    qualifier: str = typer.Option(
        None, "--qualifier", "-q", help="Version or alias.", autocompletion=completion.qualifiers
    ),
    payload: str = typer.Option(None, "--payload", "-p", help="The event, as JSON text."),
    event: str = typer.Option(
        None, "--event", "-e", metavar="FILE", help="Read the event from FILE ('-' for stdin)."
    ),
    invocation_type: str = typer.Option(
        "RequestResponse", "--invocation-type", help="RequestResponse, Event or DryRun."
    ),
    asynchronous: bool = typer.Option(False, "--async", help="Short for --invocation-type Event."),
    log_type: str = typer.Option(
        "None", "--log-type", help="Tail prints the last 4 KB of the invocation's log."
    ),
    client_context: str = typer.Option(
        None,
        "--client-context",
        metavar="JSON",
        help="A JSON object (or its base64): the handler's context.client_context.",
    ),
    cpu_throttle: bool = typer.Option(
        None,
        "--cpu-throttle/--no-cpu-throttle",
        help="CPU share proportional to memory, as on AWS (default: the manifest's "
        "cpu_throttling, on).",
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Invoke a function synchronously; its response goes to stdout (exit 1 on a function error)."""
    from .. import shapes
    from ..invoke import Invoker

    body = _event_bytes(payload, event)
    context = _client_context(client_context)
    if asynchronous:
        invocation_type = "Event"
    project = session(ctx).project()
    with Invoker(project, throttle_cpu=cpu_throttle, start_worker=True) as invoker:
        result = invoker.invoke(
            function,
            qualifier=qualifier,
            payload=body,
            invocation_type=invocation_type,
            log_type=log_type,
            client_context=context,
        )
    if output is Output.json:
        render.print_json(shapes.invoke_response(result))
    elif result.status_code == 202:  # queued: the worker runs it
        render.line(result.request_id)
    else:
        if result.log_result is not None:
            sys.stderr.write(base64.b64decode(result.log_result).decode("utf-8", "replace"))
        if result.status_code != 204:
            sys.stdout.buffer.write(result.payload)
            if sys.stdout.isatty() and not result.payload.endswith(b"\n"):
                sys.stdout.buffer.write(b"\n")  # the summary below starts its own line
            sys.stdout.flush()
        render.invocation_summary(result)
    if result.function_error:
        raise typer.Exit(1)


def _event_bytes(payload: str | None, event: str | None) -> bytes:
    if payload is not None and event is not None:
        raise UsageError("give the event with --payload or --event, not both")
    if payload is not None:
        return given_bytes(payload)  # bytes that are not UTF-8 get AWS's error, as from a file
    if event == "-":
        return sys.stdin.buffer.read()
    if event is not None:
        try:
            return Path(event).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read event file {event}: {exc.strerror}") from None
    return b""


def _client_context(text: str | None) -> str | None:
    """The flag takes a JSON object, or its base64 as the API carries it (then passed on as
    is); plain JSON is encoded here. Anything else is the flag's error, said in its terms."""
    from ..payloads import base64_json

    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = base64_json(text)
        if isinstance(value, dict):
            return text
        got = _json_kind(value) if value is not None else f"'{text[:40]}'"
    else:
        if isinstance(value, dict):
            return base64.b64encode(given_bytes(text)).decode()
        got = _json_kind(value)
    raise UsageError(
        '--client-context takes a JSON object such as \'{"custom": {"key": "value"}}\' '
        f"(or its base64), not {got}"
    )


def _json_kind(value: object) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return "a JSON " + kinds.get(type(value), "number")
