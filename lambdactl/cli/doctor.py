"""`lambdactl doctor [--repair]`: the state of `.lambda/`, and rebuilding what can be rebuilt."""

from __future__ import annotations

import typer

from . import render
from .session import OUTPUT_OPTION, Output, session


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(
    ctx: typer.Context,
    repair: bool = typer.Option(
        False,
        "--repair",
        help="Move damaged files aside (never delete) and rebuild what can be rebuilt.",
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Check .lambda/ (state.db, logs.db, snapshots, recovery records, worker); exit 7 if
    something needs repair."""
    from .. import doctor as service
    from ..manifest import load

    manifest = load(session(ctx).manifest_path())
    report = service.repair(manifest) if repair else service.examine(manifest)
    if output is Output.json:
        render.print_json(_shape(report))
    else:
        _render(report, repaired=repair)
    if not report.healthy:
        raise typer.Exit(7)


def _shape(report) -> dict:  # type: ignore[no-untyped-def]
    return {
        "StateDirectory": str(report.state_dir),
        "Healthy": report.healthy,
        "Checks": [
            {"Part": c.part, "Status": c.status, "Detail": c.detail, "Repair": c.repair}
            for c in report.checks
        ],
        "Repaired": report.repaired,
        "Recovered": report.recovered,
        "Lost": report.lost,
    }


def _render(report, *, repaired: bool) -> None:  # type: ignore[no-untyped-def]
    for line in report.repaired:
        render.line(line)
    if report.recovered:
        render.line("recovered: " + ", ".join(report.recovered))
    for line in report.lost:
        render.line(f"lost: {line}")
    rows = [(c.part, c.status, c.detail) for c in report.checks]
    render.table(str(report.state_dir), ("Part", "Status", "Detail"), rows)
    if report.healthy:
        render.success("nothing to repair")
        return
    todo = [f"{c.part}: {c.repair}" for c in report.checks if c.repair]
    if repaired or not todo:
        render.warning("not everything could be repaired: see above")
        return
    render.line("lambdactl doctor --repair would:")
    for line in todo:
        render.line(f"  {line}")
