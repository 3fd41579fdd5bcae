"""`lambdactl deploy`: the manifest's functions, versions, aliases and wiring on AWS Lambda."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output, session

if TYPE_CHECKING:
    from ..cloud.deployment import Deployment
    from ..cloud.plan import Step


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)


def deploy(
    ctx: typer.Context,
    functions: list[str] = typer.Argument(
        None, metavar="[FUNCTION ...]", autocompletion=completion.functions
    ),
    region: str = typer.Option(
        None, "--region", metavar="REGION", help="The AWS region (default: the manifest's)."
    ),
    profile: str = typer.Option(
        None, "--profile", metavar="NAME", help="An AWS profile (default: boto3's usual chain)."
    ),
    endpoint_url: str = typer.Option(
        None,
        "--endpoint-url",
        metavar="URL",
        help="Another endpoint than AWS's (moto, LocalStack); dummy credentials when none.",
    ),
    prefix: str = typer.Option(
        "", "--prefix", metavar="TEXT", help="Put before every deployed name (dev-, prod-)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; write nothing to AWS."),
    prune: bool = typer.Option(
        False, "--prune", help="Delete what was deployed before and is gone from the manifest."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before writing."),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Deploy the manifest's functions to AWS Lambda: code, configuration, versions, aliases,
    URLs, queues, streams, topics, schedules and event source mappings. A second deploy with
    nothing changed writes nothing; a deploy that failed half-way is finished by the next."""
    from ..cloud.apply import Target
    from ..cloud.deployment import prepare

    project = session(ctx).project()
    target = Target(region or project.manifest.region, profile, endpoint_url)
    names = [project.ref(f).name for f in functions or ()]
    quiet = output is Output.json
    packaging = ["…"]
    with render.live_status(lambda: f"packaging {packaging[0]}"):
        deployment = prepare(
            project,
            target,
            selected=names,
            prefix=prefix,
            prune=prune,
            on_package=lambda name: packaging.__setitem__(0, name),
        )
    if not quiet:
        _show_plan(deployment)
    if dry_run or deployment.up_to_date:
        if quiet:
            render.print_json(_shaped(deployment, target, applied=0, dry_run=dry_run))
        elif deployment.up_to_date:
            render.success("up to date: nothing to write")
        else:
            render.note("dry run: nothing written")
        return
    if not yes and not quiet and sys.stdin.isatty():
        typer.confirm("Apply this plan?", abort=True)
    applied = _apply(deployment, quiet=quiet)
    if quiet:
        render.print_json(_shaped(deployment, target, applied=applied, dry_run=False))
        return
    render.success(f"deployed: {applied} steps written, state in {deployment.state.path}")


def _show_plan(deployment: Deployment) -> None:
    for name, why in deployment.left_out:
        render.warning(f"{name}: left out ({why})")
    for note in deployment.notes:
        render.warning(note)
    rows = [(s.shown, s.action, s.reason) for s in deployment.steps]
    render.table(None, ("Resource", "Action", "Reason"), rows, give_way={"Reason": "fold"})


def _shaped(deployment: Deployment, target: Any, *, applied: int, dry_run: bool) -> dict:
    return {
        "Region": target.region,
        "StateFile": str(deployment.state.path),
        "DryRun": dry_run,
        "UpToDate": deployment.up_to_date,
        "Written": applied,
        "Steps": [
            {
                "Resource": s.resource,
                "Name": s.shown,
                "Action": s.action,
                "Reason": s.reason,
                "Function": s.function,
            }
            for s in deployment.steps
        ],
    }


def _apply(deployment: Deployment, *, quiet: bool) -> int:
    """Carry out the plan, with one progress line per function on a terminal."""
    if quiet or not sys.stdout.isatty():
        return deployment.apply(on_step=None if quiet else _plain)
    from rich.progress import BarColumn, Progress, TextColumn

    counts: dict[str, int] = {}
    for step in deployment.steps:
        if step.writes:
            owner = step.function or SHARED
            counts[owner] = counts.get(owner, 0) + 1
    with Progress(
        TextColumn("{task.fields[name]:<24}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"),
    ) as progress:
        tasks = {
            name: progress.add_task("waiting", total=total, name=name)
            for name, total in counts.items()
        }

        def on_step(step: Step, phase: str) -> None:
            task = tasks[step.function or SHARED]
            if phase == "done":
                progress.advance(task)
                progress.update(task, description=f"{step.shown} {step.action}d")
            else:
                word = step.action if phase == "start" else phase
                progress.update(task, description=f"{word} {step.shown}")

        return deployment.apply(on_step=on_step)


SHARED = "(shared)"
"""The progress line of layers, queues, streams and topics."""


def _plain(step: Step, phase: str) -> None:
    if phase == "done":
        render.note(f"{step.shown}: {step.action}d")
