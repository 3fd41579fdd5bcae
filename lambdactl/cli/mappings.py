"""`lambdactl mappings ...`: the event source mappings (`events:`), their state, and enabling
or disabling them at run time (the process running the pollers follows within a second)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from . import render
from .session import OUTPUT_OPTION, Output, session

if TYPE_CHECKING:
    from ..project import Project
    from ..sources.mappings import Mapping
    from ..sources.specs import EventSource

app = typer.Typer(
    help="Event source mappings (the manifest's `events:` and those made through the API): "
    "their state and last result.",
    no_args_is_help=True,
)

UUID = typer.Argument(..., metavar="UUID")


@app.command("list")
def list_mappings(
    ctx: typer.Context,
    function: str = typer.Argument(None, metavar="[FUNCTION]"),
    output: Output = OUTPUT_OPTION,
) -> None:
    """List the mappings (ListEventSourceMappings), of one function or all."""
    from ..sources import mappings

    project = session(ctx).project()
    found = mappings.every(project, function)
    if output is Output.json:
        shapes = [_shape(project, source, state) for source, state in found]
        render.print_json({"EventSourceMappings": shapes})
        return
    rows = [
        [m.uuid, source.function, f"{source.kind} {source.identity}", m.state]
        + [m.last_processing_result]
        for source, m in found
    ]
    render.table(None, ["UUID", "Function", "Source", "State", "Last result"], rows)
    _say_where_they_run(project, [source for source, m in found if m.enabled])


def _say_where_they_run(project: Project, enabled: list[EventSource]) -> None:
    """Schedules and watched directories run only in a long-running lock holder (see
    `sources.host`): when none runs, say so rather than let them look alive."""
    from ..events import daemon
    from ..sources.host import IDLE_EXIT_KINDS

    kinds = sorted({source.kind for source in enabled} - IDLE_EXIT_KINDS - {"topic"})
    if not kinds or daemon.running_pid(project.manifest.state_dir) is not None:
        return
    render.note(
        f"{' and '.join(kinds)} sources run only while `lambdactl serve`, `dev` or a foreground "
        "`lambdactl worker` runs, and none runs now"
    )


@app.command("show")
def show(ctx: typer.Context, uuid: str = UUID, output: Output = OUTPUT_OPTION) -> None:
    """One mapping (GetEventSourceMapping)."""
    _answer(ctx, uuid, None, output)


@app.command("enable")
def enable(ctx: typer.Context, uuid: str = UUID, output: Output = OUTPUT_OPTION) -> None:
    """Enable a mapping: Enabling until the process running the pollers starts it (a
    declared one's choice holds until `enabled:` in the manifest is edited)."""
    _answer(ctx, uuid, True, output)


@app.command("disable")
def disable(ctx: typer.Context, uuid: str = UUID, output: Output = OUTPUT_OPTION) -> None:
    """Disable a mapping: Disabling until its poller stopped (batches in flight finish)."""
    _answer(ctx, uuid, False, output)


def _answer(ctx: typer.Context, uuid: str, enabled: bool | None, output: Output) -> None:
    from ..sources import mappings

    project = session(ctx).project()
    source, state = mappings.get(project, uuid)
    if enabled is not None:  # AWS's answer: Enabling or Disabling, until the host applies it
        source, state = mappings.update(project, uuid, enabled=enabled)
    shape = _shape(project, source, state)
    if output is Output.json:
        render.print_json(shape)
        return
    render.table(None, ["Key", "Value"], [[key, value] for key, value in shape.items()])


def _shape(project: Project, source: EventSource, state: Mapping) -> dict[str, Any]:
    from ..shapes.mappings import mapping
    from ..sources import mappings

    manifest = project.manifest
    return mapping(
        source,
        state,
        region=manifest.region,
        account=manifest.account,
        source_arn=mappings.source_arn(project, source),
    )
