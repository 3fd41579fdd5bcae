"""`list`, `show` and `validate`: what the manifest declares and what each function is now."""

from __future__ import annotations

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output, session


def register(app: typer.Typer) -> None:
    app.command("list")(list_functions)
    app.command("show")(show)
    app.command("validate")(validate)


def list_functions(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """List functions with their newest version, aliases, memory, timeout and runtime."""
    from .. import aliases, shapes, versions

    project = session(ctx).project()
    latest = [versions.latest(project, name) for name in project.manifest.functions]
    if output is Output.json:
        render.print_json(
            {"Functions": [shapes.function_configuration(project, v) for v in latest]}
        )
        return
    addresses, note = _addresses(project)
    rows = []
    for version in latest:
        published = project.store.list_versions(version.function)
        names = [a.name for a in aliases.list_aliases(project, version.function)]
        rows.append(
            (
                version.function,
                str(published[-1][0]) if published else "-",
                ", ".join(names) or "-",
                version.config.runtime,
                f"{version.config.memory} MB",
                f"{version.config.timeout} s",
                version.config.handler,
                version.description,
                *([addresses.get(version.function, "-")] if addresses else []),
            )
        )
    columns = (
        "Function",
        "Latest version",
        "Aliases",
        "Runtime",
        "Memory",
        "Timeout",
        "Handler",
        "Description",
        *(["URL"] if addresses else []),
    )
    give_way = {"Description": "ellipsis", "Handler": "fold", "URL": "fold"}
    render.table(None, columns, rows, give_way=give_way)
    if note:
        render.line(note)


def show(
    ctx: typer.Context,
    function: str = typer.Argument(
        ..., metavar="FUNCTION[:QUALIFIER]", autocompletion=completion.function_refs
    ),
    qualifier: str = typer.Option(
        None, "--qualifier", "-q", help="Version or alias.", autocompletion=completion.qualifiers
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Show a function's configuration (GetFunctionConfiguration)."""
    from .. import aliases, shapes

    project = session(ctx).project()
    ref = project.ref(function, qualifier)
    version = aliases.version_of(project, ref.name, ref.qualifier)
    shape = shapes.function_configuration(project, version, qualifier=ref.qualifier)
    if output is Output.json:
        render.print_json(shape)
        return
    config = version.config
    render.fields(
        shape["FunctionArn"],
        [
            ("Version", version.version),
            ("Runtime", config.runtime),
            ("Handler", config.handler),
            ("Memory", f"{config.memory} MB"),
            ("Timeout", f"{config.timeout} s"),
            ("Description", version.description),
            ("Environment", ", ".join(f"{k}={v}" for k, v in config.environment.items())),
            ("Layers", ", ".join(x["Arn"] for x in shape.get("Layers", []))),
            ("Code", str(version.code_dir)),
            ("CodeSha256", version.code_sha256),
            ("CodeSize", render.size(version.code_size)),
            ("LastModified", version.last_modified),
            ("RevisionId", version.revision_id),
            *_url_field(project, ref.name),
        ],
    )


def _addresses(project) -> tuple[dict[str, str], str | None]:  # type: ignore[no-untyped-def]
    """Function URLs by function (full while a server runs, else paths) and the note that
    goes with paths."""
    if not any(spec.url for spec in project.manifest.functions.values()):
        return {}, None
    from .. import endpoint, urls  # only for projects with URLs

    running = endpoint.running(project.manifest.state_dir)
    found = urls.addresses(project.manifest, running.url if running else None)
    return found, None if running else urls.NOT_SERVED


def _url_field(project, function: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    if project.manifest.functions[function].url is None:
        return []
    from ..urls import DEFAULT_ENDPOINT

    found, note = _addresses(project)
    address = found[function]
    if note:  # no server: the path, and where it would answer
        address += f" (no `lambdactl serve` runs; by default: {DEFAULT_ENDPOINT}{address})"
    return [("URL", address)]


def validate(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """Check the manifest: syntax, keys, types, ranges, paths and AWS's limits."""
    from .. import manifest

    path = session(ctx).manifest_path()
    loaded = manifest.load(path)
    names = list(loaded.functions)
    if output is Output.json:
        render.print_json({"Manifest": str(path), "Valid": True, "Functions": names})
        return
    render.success(f"{path} is valid: {len(names)} function(s): {', '.join(names)}")
