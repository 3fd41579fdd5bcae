"""`lambdactl export sam`: the manifest as an AWS SAM template."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import render
from .session import OUTPUT_OPTION, Output, session

if TYPE_CHECKING:
    from ..project import Project
    from ..sam.export import Published

app = typer.Typer(
    help="Write the project in another tool's format (a SAM template).", no_args_is_help=True
)


@app.command("sam")
def sam(
    ctx: typer.Context,
    template_file: Path = typer.Option(
        None,
        "--template-file",
        "-t",
        metavar="PATH",
        help="Write the template here (default: print it). CodeUri and ContentUri paths are "
        "relative to its directory.",
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Write the manifest as an AWS SAM template: functions, layers, queues, streams, topics,
    event sources, an execution role per function, and the alias that tracks the newest
    version as AutoPublishAlias. -o json: the template as JSON; text: YAML."""
    from .. import __version__
    from ..sam import export

    project = session(ctx).project()
    directory = template_file.parent if template_file else project.manifest.root
    exported = export.template(
        project.manifest, directory=directory, published=_published(project), version=__version__
    )
    text = export.json_text(exported) if output is Output.json else export.yaml_text(exported)
    if template_file is None:  # the notes are in the template (Metadata.Lambdactl.Notes)
        typer.echo(text, nl=False)
        return
    export.save(template_file, text)
    for note in exported.notes:
        render.warning(note)
    if output is Output.json:
        render.print_json({"TemplateFile": str(template_file), "Resources": exported.resources})
        return
    render.success(
        f"wrote {template_file}: {exported.functions} functions, {exported.resources} resources"
    )


def _published(project: Project) -> dict[str, Published]:
    """Each manifest function's newest published version and its aliases."""
    from .. import aliases, versions
    from ..sam.export import AliasPointer, Published

    found = {}
    for name in project.manifest.functions:
        numbers = [int(v.version) for v in versions.list_versions(project, name) if not v.is_latest]
        pointers = tuple(
            AliasPointer(a.name, a.version, dict(a.routing))
            for a in aliases.list_aliases(project, name)
        )
        found[name] = Published(str(max(numbers)) if numbers else None, pointers)
    return found
