"""`publish`, `versions` and `delete-version`."""

from __future__ import annotations

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output, session


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("versions")(list_versions)
    app.command("delete-version")(delete_version)


def publish(
    ctx: typer.Context,
    functions: list[str] = typer.Argument(
        None, metavar="[FUNCTION ...]", autocompletion=completion.functions
    ),
    description: str = typer.Option(None, "--description", "-d", help="The version's description."),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Snapshot code and configuration as new immutable versions (all functions by default)."""
    from .. import shapes, versions

    project = session(ctx).project()
    names = (
        [project.ref(f).name for f in functions] if functions else list(project.functions)
    )
    for name in names:
        project.function(name)  # all names checked before anything is published
    results = [versions.publish(project, name, description=description) for name in names]
    if output is Output.json:
        shaped = [shapes.function_configuration(project, v) for v, _created in results]
        render.print_json(shaped[0] if len(shaped) == 1 else shaped)
        return
    rows = [
        (
            v.function,
            v.version,
            "published" if created else "unchanged",
            render.short_sha(v.code_sha256),
            render.size(v.code_size),
            v.description,
        )
        for v, created in results
    ]
    render.table(None, ("Function", "Version", "Status", "CodeSha256", "Size", "Description"), rows)


def list_versions(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", autocompletion=completion.functions),
    output: Output = OUTPUT_OPTION,
) -> None:
    """List $LATEST and the published versions (ListVersionsByFunction)."""
    from .. import aliases, shapes, versions

    project = session(ctx).project()
    ref = project.ref(function)
    every = versions.list_versions(project, ref.name)
    if output is Output.json:
        shaped = [shapes.function_configuration(project, v, qualifier=v.version) for v in every]
        render.print_json({"Versions": shaped})
        return
    pointing: dict[str, list[str]] = {}
    for alias in aliases.list_aliases(project, ref.name):
        pointing.setdefault(alias.version, []).append(alias.name)
        for extra, weight in alias.routing.items():
            pointing.setdefault(extra, []).append(f"{alias.name} ({weight:.0%})")
    rows = [
        (
            v.version,
            ", ".join(pointing.get(v.version, [])),
            v.description,
            render.short_sha(v.code_sha256),
            render.size(v.code_size),
            f"{v.config.memory} MB",
            f"{v.config.timeout} s",
            render.short_time(v.last_modified),
        )
        for v in every
    ]
    columns = (
        "Version",
        "Aliases",
        "Description",
        "CodeSha256",
        "Size",
        "Memory",
        "Timeout",
        "LastModified (UTC)",
    )
    render.table(ref.name, columns, rows)


def delete_version(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", autocompletion=completion.functions),
    version: str = typer.Argument(..., metavar="VERSION", autocompletion=completion.published),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Delete a published version (refused while an alias points to it)."""
    from .. import versions

    project = session(ctx).project()
    ref = project.ref(function)
    versions.delete(project, ref.name, version)
    if output is Output.json:
        render.print_json({})  # DeleteFunction (with a qualifier) returns no body
        return
    render.success(f"deleted {project.arn(ref.name, version)}")
