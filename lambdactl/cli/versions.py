"""`publish`, `versions` and `delete-version`."""

from __future__ import annotations

import typer

from . import completion, render, warm
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
    project = session(ctx).project()
    names = [project.ref(f).name for f in functions] if functions else list(project.functions)
    for name in names:
        project.function(name)  # all names checked before anything is published
    handed = _publish_through_server(session(ctx).manifest_option, names, description)
    if handed is not None:
        shaped, created = handed
    else:
        from .. import shapes, versions  # here: a publish handed to a server needs neither

        results = [versions.publish(project, name, description=description) for name in names]
        shaped = [shapes.function_configuration(project, v) for v, _created in results]
        created = [new for _version, new in results]
    moved = _auto_publish_aliases(project, shaped)
    if output is Output.json:
        render.print_json(shaped[0] if len(shaped) == 1 else shaped)
        return
    rows = [
        (
            shape["FunctionName"],
            shape["Version"],
            "published" if new else "unchanged",
            render.short_sha(shape["CodeSha256"]),
            render.size(shape["CodeSize"]),
            shape["Description"],
        )
        for shape, new in zip(shaped, created, strict=True)
    ]
    render.table(None, ("Function", "Version", "Status", "CodeSha256", "Size", "Description"), rows)
    for function, alias, version in moved:
        render.line(f"{function}: alias {alias} -> version {version} (AutoPublishAlias)")


def _auto_publish_aliases(project, shaped: list[dict]) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Point each published function's AutoPublishAlias (a SAM template's) at the version
    just published, as SAM does on a deploy that publishes: (function, alias, version)."""
    moved = []
    for shape in shaped:
        spec = project.functions.get(shape["FunctionName"])
        if spec is None or not spec.auto_publish_alias:
            continue
        from .. import aliases

        aliases.point(project, spec.name, spec.auto_publish_alias, shape["Version"])
        moved.append((spec.name, spec.auto_publish_alias, shape["Version"]))
    return moved


def _publish_through_server(
    manifest_option: str | None, names: list[str], description: str | None
) -> tuple[list[dict], list[bool]] | None:
    """Publish `names` through the project's running server (PublishVersion, one request
    each): each version's FunctionConfiguration and whether it was created; None when no
    server takes it (then all are published here: those it did come back unchanged)."""
    import json

    from ..endpoint import SUMMARY_HEADER

    server = warm.server_of(manifest_option)
    if server is None:
        return None
    request = json.dumps({} if description is None else {"Description": description})
    shaped, created = [], []
    for name in names:
        path = f"/2015-03-31/functions/{name}/versions"
        answer = warm.exchange(
            server, "POST", path, body=request.encode(), headers={SUMMARY_HEADER: "1"}
        )
        if answer is None:
            return None
        shape, summary = warm.parsed(server, answer.body), warm.parsed(
            server, answer.headers.get(SUMMARY_HEADER) or "{}"
        )
        if not isinstance(shape, dict) or not isinstance(summary, dict):
            raise warm.failure(
                server, "answered PublishVersion with something other than a FunctionConfiguration"
            )
        shaped.append(shape)
        created.append(bool(summary.get("Created")))
    return shaped, created


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
    remote = _remote_versions(project, ref.name)
    if remote:  # deployed somewhere (`lambdactl deploy`): the remote number beside the local
        shown = [(row[0], remote.get(row[0], ""), *row[1:]) for row in rows]
        render.table(ref.name, (columns[0], "Remote", *columns[1:]), shown)
        return
    render.table(ref.name, columns, rows)


def _remote_versions(project, function: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Local version -> its remote number ("3"; with several targets: "3 (TARGET), ...")."""
    from ..cloud.state import remote_versions

    found = remote_versions(project.manifest.state_dir, function)
    several = len({target for pairs in found.values() for target, _ in pairs}) > 1
    return {
        local: ", ".join(f"{number} ({target})" if several else number for target, number in pairs)
        for local, pairs in found.items()
    }


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
