"""`lambdactl events list|show|redrive`: asynchronous invocations and their attempts."""

from __future__ import annotations

from datetime import datetime, timezone

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output, session

app = typer.Typer(help="Asynchronous invocations: their state and attempts.", no_args_is_help=True)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@app.command("list")
def list_events(
    ctx: typer.Context,
    function: str = typer.Option(
        None,
        "--function",
        help="Only this function's events.",
        autocompletion=completion.functions,
    ),
    state: str = typer.Option(
        None, "--state", help="pending, running, retrying, delivering, succeeded or failed."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """List asynchronous events, oldest first."""
    from ..events import history

    found = history.list_events(session(ctx).project(), function=function, state=state)
    if output is Output.json:
        render.print_json({"Events": found})
        return
    rows = [
        (
            e["id"],
            e["function"],
            e["state"],
            str(e["data"].get("attempts", 0)),
            e["data"].get("condition") or "-",
            _when(e["enqueued_at"]),
        )
        for e in found
    ]
    render.table(
        None, ("RequestId", "Function", "State", "Attempts", "Condition", "Queued (UTC)"), rows
    )


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="REQUEST_ID"),
    output: Output = OUTPUT_OPTION,
) -> None:
    """One event: each attempt's time, duration, outcome and error."""
    from ..events import history

    event = history.show(session(ctx).project(), request_id)
    if output is Output.json:
        render.print_json(event)
        return
    data = event["data"]
    render.fields(
        event["id"],
        [
            (
                "Function",
                event["function"] + (f":{data['qualifier']}" if data.get("qualifier") else ""),
            ),
            ("State", event["state"]),
            ("Condition", data.get("condition")),
            ("Queued", _when(event["enqueued_at"])),
            ("Payload", data["payload"][:200]),
        ],
    )
    rows = [
        (
            str(i + 1),
            _when(a.get("time")),
            f"{a.get('duration_ms', 0):.1f} ms",
            a.get("outcome", "-"),
            a.get("error") or "",
        )
        for i, a in enumerate(data.get("history", []))
    ]
    render.table("attempts", ("#", "Time (UTC)", "Duration", "Outcome", "Error"), rows)


@app.command("redrive")
def redrive(
    ctx: typer.Context,
    request_id: str = typer.Argument(None, metavar="[REQUEST_ID]"),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed event."),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Queue failed events again (from their first attempt)."""
    from ..errors import UsageError
    from ..events import history

    project = session(ctx).project()
    if (request_id is None) == (not all_failed):
        raise UsageError("give a REQUEST_ID or --all-failed (not both)")
    redriven = history.redrive_failed(project, request_id)
    if request_id and not redriven:
        raise UsageError(f"event {request_id} has not failed: nothing to redrive")
    if output is Output.json:
        render.print_json({"Redriven": redriven})
        return
    render.success(f"redriven {len(redriven)} event(s)")
