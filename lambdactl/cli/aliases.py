"""`alias create|update|delete|list|show`."""

from __future__ import annotations

from collections.abc import Mapping

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output, session

app = typer.Typer(help="Create, change, list and delete aliases.", no_args_is_help=True)

FUNCTION = typer.Argument(..., metavar="FUNCTION", autocompletion=completion.functions)
ALIAS = typer.Argument(..., metavar="ALIAS")
EXISTING_ALIAS = typer.Argument(..., metavar="ALIAS", autocompletion=completion.aliases)
ROUTING = typer.Option(
    None,
    "--routing",
    metavar="VERSION=WEIGHT",
    help="Send WEIGHT (0..1) of invocations to one more version, e.g. --routing 3=0.1.",
)
DESCRIPTION = typer.Option(None, "--description", "-d")


@app.command("create")
def create(
    ctx: typer.Context,
    function: str = FUNCTION,
    alias: str = ALIAS,
    version: str = typer.Option(
        ...,
        "--version",
        "-v",
        help="The version the alias points to.",
        autocompletion=completion.versions,
    ),
    routing: list[str] = ROUTING,
    description: str = DESCRIPTION,
    output: Output = OUTPUT_OPTION,
) -> None:
    """Create an alias pointing to a version."""
    from .. import aliases

    project = session(ctx).project()
    name = project.ref(function).name
    created = aliases.create(
        project,
        name,
        alias,
        version=version,
        routing=aliases.parse_routing(routing or []),
        description=description or "",
    )
    _print(project, created, output, "created")


@app.command("update")
def update(
    ctx: typer.Context,
    function: str = FUNCTION,
    alias: str = EXISTING_ALIAS,
    version: str = typer.Option(None, "--version", "-v", autocompletion=completion.versions),
    routing: list[str] = ROUTING,
    no_routing: bool = typer.Option(False, "--no-routing", help="Remove the routing."),
    description: str = DESCRIPTION,
    output: Output = OUTPUT_OPTION,
) -> None:
    """Change an alias's version, routing or description."""
    from .. import aliases

    project = session(ctx).project()
    name = project.ref(function).name
    new_routing = {} if no_routing else (aliases.parse_routing(routing) if routing else None)
    updated = aliases.update(
        project, name, alias, version=version, routing=new_routing, description=description
    )
    _print(project, updated, output, "updated")


@app.command("delete")
def delete(
    ctx: typer.Context,
    function: str = FUNCTION,
    alias: str = EXISTING_ALIAS,
    output: Output = OUTPUT_OPTION,
) -> None:
    """Delete an alias (DeleteAlias)."""
    from .. import aliases

    project = session(ctx).project()
    name = project.ref(function).name
    aliases.delete(project, name, alias)
    if output is Output.json:
        render.print_json({})  # DeleteAlias returns no body
        return
    render.success(f"deleted {project.arn(name, alias)}")


@app.command("show")
def show(
    ctx: typer.Context,
    function: str = FUNCTION,
    alias: str = EXISTING_ALIAS,
    output: Output = OUTPUT_OPTION,
) -> None:
    """Show one alias (GetAlias)."""
    from .. import aliases

    project = session(ctx).project()
    name = project.ref(function).name
    _print(project, aliases.get(project, name, alias), output, None)


@app.command("list")
def list_aliases(
    ctx: typer.Context, function: str = FUNCTION, output: Output = OUTPUT_OPTION
) -> None:
    """List a function's aliases (ListAliases)."""
    from .. import aliases, shapes

    project = session(ctx).project()
    name = project.ref(function).name
    found = aliases.list_aliases(project, name)
    if output is Output.json:
        render.print_json({"Aliases": [shapes.alias_configuration(project, a) for a in found]})
        return
    rows = [(a.name, a.version, _routing(a.routing), a.description) for a in found]
    render.table(name, ("Alias", "Version", "Routing", "Description"), rows)


def _print(project, alias, output: Output, verb: str | None) -> None:  # type: ignore[no-untyped-def]
    from .. import shapes

    shape = shapes.alias_configuration(project, alias)
    if output is Output.json:
        render.print_json(shape)
        return
    if verb:
        render.success(f"{verb} {shape['AliasArn']}")
    render.fields(
        shape["AliasArn"],
        [
            ("Version", alias.version),
            ("Routing", _routing(alias.routing)),
            ("Description", alias.description),
            ("RevisionId", alias.revision_id),
        ],
    )


def _routing(routing: Mapping[str, float]) -> str:
    return ", ".join(f"{v}: {w:.0%}" for v, w in routing.items())
