"""`list`, `show` and `validate`: the project's functions (the manifest's and those created
through the API) and what each is now, run-time overrides marked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from . import completion, render
from .session import OUTPUT_OPTION, Output, session


def register(app: typer.Typer) -> None:
    app.command("list")(list_functions)
    app.command("show")(show)
    app.command("validate")(validate)


def list_functions(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """List functions (the manifest's and those created through the API) with their newest
    version, aliases, memory, timeout and runtime."""
    from .. import aliases, shapes, versions

    project = session(ctx).project()
    specs = project.functions
    latest = [versions.latest(project, name) for name in specs]
    if output is Output.json:
        render.print_json(
            {"Functions": [shapes.function_configuration(project, v) for v in latest]}
        )
        return
    # The Source column only once the API created a function: manifest-only projects keep
    # their narrow table.
    sourced = any(spec.source != "manifest" for spec in specs.values())
    addresses, note = _addresses(project)
    rows = []
    for version in latest:
        published = project.store.list_versions(version.function)
        names = [a.name for a in aliases.list_aliases(project, version.function)]
        rows.append(
            (
                version.function,
                *([_SOURCES[specs[version.function].source]] if sourced else []),
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
        *(["Source"] if sourced else []),
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
    from ..manifest import FunctionConfig

    project = session(ctx).project()
    ref = project.ref(function, qualifier)
    version = aliases.version_of(project, ref.name, ref.qualifier)
    shape = shapes.function_configuration(project, version, qualifier=ref.qualifier)
    if output is Output.json:
        render.print_json(shape)
        return
    config = version.config
    spec = project.function(ref.name)
    # Run-time overrides are `$LATEST`'s: a published version froze what it had.
    overrides = spec.overrides if version.is_latest else {}

    def marked(key: str, shown: str, manifest: Callable[[Any], str]) -> str:
        if key not in overrides:
            return shown
        return f"{shown} (overridden at run time; manifest: {manifest(overrides[key])})"

    rows = [
        ("Source", _SOURCE_DETAIL[spec.source]),
        ("Version", version.version),
        ("Runtime", marked("runtime", config.runtime, str)),
        ("Handler", marked("handler", config.handler, str)),
        ("Memory", marked("memory", f"{config.memory} MB", lambda v: f"{v} MB")),
        ("Timeout", marked("timeout", f"{config.timeout} s", lambda v: f"{v} s")),
        ("Description", marked("description", version.description, repr)),
        ("Environment", marked("environment", _environment(config.environment), _environment)),
    ]
    recorded = (  # set through the API: shown, not modelled (see FunctionConfig)
        ("role", "Role", config.role, lambda v: v or "none"),
        ("tracing", "Tracing", config.tracing, str),
        ("ephemeral_storage", "EphemeralStorage", config.ephemeral_storage, lambda v: f"{v} MB"),
        ("kms_key_arn", "KMSKeyArn", config.kms_key_arn, lambda v: v or "none"),
    )
    for key, label, value, text in recorded:
        if value != FunctionConfig.__dataclass_fields__[key].default or key in overrides:
            rows.append((label, marked(key, text(value), text)))
    if config.logging.json or "logging" in overrides:
        rows.append(("Logging", marked("logging", _logging(config.logging.to_dict()), _logging)))
    if spec.reserved_concurrency is not None or "reserved_concurrency" in overrides:
        rows.append(
            (
                "Concurrency",
                marked("reserved_concurrency", _reserved(spec.reserved_concurrency), _reserved),
            )
        )
    rows += [
        ("Layers", ", ".join(x["Arn"] for x in shape.get("Layers", []))),
        ("Code", str(version.code_dir)),
        ("CodeSha256", version.code_sha256),
        ("CodeSize", render.size(version.code_size)),
        ("LastModified", version.last_modified),
        ("RevisionId", version.revision_id),
        *_url_fields(project, ref.name),
    ]
    rows += _async_fields(spec, ref.qualifier)
    if spec.events:
        rows.append(("Event sources", _sources(spec.events, project.manifest.root)))
    render.fields(shape["FunctionArn"], rows)


def _async_fields(spec: Any, qualifier: str | None) -> list[tuple[str, str]]:
    """What asynchronous invocations follow: for the qualifier shown (`Async`), then for each
    other qualifier given an EventInvokeConfig at run time (`Async QUALIFIER`), with where
    the settings come from; the dead-letter queue. Nothing when all is AWS's default."""
    from ..manifest import AsyncConfig

    shown = qualifier or "$LATEST"
    rows = []
    for key in [shown, *sorted(k for k in spec.event_invoke if k != shown)]:
        config = spec.async_config(key)
        if key not in spec.event_invoke:
            if config != AsyncConfig():
                rows.append(("Async", f"{_async(config)} (manifest)"))
            continue
        note = "deleted at run time" if spec.event_invoke[key] is None else "set at run time"
        if spec.source == "manifest" and spec.asynchronous != AsyncConfig():
            note += f"; manifest: {_async(spec.asynchronous)}"
        label = "Async" if key == shown else f"Async {key}"
        rows.append((label, f"{_async(config)} ({note})"))
    if spec.dead_letter is not None:
        rows.append(("Dead letter", _target(spec.dead_letter)))
    return rows


def _async(config: Any) -> str:
    """`retries 1, max age 600 s, on failure: queue failures` (destinations only when set;
    the local retry delays only when shortened)."""
    from ..manifest import AsyncConfig

    parts = [f"retries {config.maximum_retry_attempts}", f"max age {config.maximum_event_age} s"]
    if config.retry_delays != AsyncConfig().retry_delays:
        parts.append("retry delays " + ", ".join(f"{d:g} s" for d in config.retry_delays))
    for label, target in (("on success", config.on_success), ("on failure", config.on_failure)):
        if target is not None:
            parts.append(f"{label}: {_target(target)}")
    return ", ".join(parts)


def _target(destination: Any) -> str:
    return f"{destination.kind} {destination.name}"


_SOURCES = {"manifest": "manifest", "api": "API"}
_SOURCE_DETAIL = {
    "manifest": "manifest",
    "api": "API (created through the Lambda API; kept in .lambda/)",
}


def _environment(variables: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in dict(variables).items())


def _logging(logging: Any) -> str:
    return " ".join(f"{k}={v}" for k, v in dict(logging).items())


def _reserved(reserved: Any) -> str:
    return "none reserved" if reserved is None else f"{reserved} reserved"


def _addresses(project) -> tuple[dict[str, str], str | None]:  # type: ignore[no-untyped-def]
    """Function URLs by function (full while a server runs, else paths) and the note that
    goes with paths."""
    if not any(spec.url or spec.url_changes for spec in project.functions.values()):
        return {}, None
    from .. import endpoint, urls  # only for projects with URLs

    running = endpoint.running(project.manifest.state_dir)
    found = urls.addresses(project.manifest, project.functions, running.url if running else None)
    if not found:  # every URL was deleted at run time
        return {}, None
    return found, None if running else urls.NOT_SERVED


def _url_fields(project, function: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """One `URL` row per URL of the function, those made at run time said so; and the
    manifest's, when it was deleted at run time."""
    spec = project.function(function)
    if spec.url is None and not spec.url_changes:
        return []
    from .. import catalog, endpoint, urls

    running = endpoint.running(project.manifest.state_dir)
    rows = []
    for (name, qualifier), found in urls.configured(project.manifest, project.functions).items():
        if name != function:
            continue
        address = found.url(running.url) if running else found.path
        if not running:  # no server: the path, and where it would answer
            address += f" (no `lambdactl serve` runs; by default: {found.url()})"
        key = catalog.url_key(qualifier)
        if key in spec.overrides:  # a manifest function's URL made or changed at run time
            declared = spec.url if spec.url and spec.url.qualifier == qualifier else None
            address += (
                " (created at run time)"
                if declared is None
                else f" (changed at run time; manifest: {_url_settings(declared)})"
            )
        rows.append(("URL", address))
    declared_key = (spec.url.qualifier or catalog.LATEST) if spec.url is not None else None
    if declared_key in spec.url_changes and spec.url_changes[declared_key] is None:
        assert spec.url is not None
        path = urls.path_of(function, spec.url.qualifier)
        rows.append(("URL", f"none (deleted at run time; manifest: {path})"))
    return rows


def _url_settings(config: Any) -> str:
    """`auth NONE, BUFFERED, CORS from https://a.example` (what a URL was in the manifest)."""
    cors = config.cors
    shown = f"auth {config.auth}, {config.invoke_mode}"
    if cors is None:
        return shown + ", no CORS"
    return shown + f", CORS from {', '.join(cors.allow_origins) or 'no origin'}"


def validate(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """Check the manifest: syntax, keys, types, ranges, paths and AWS's limits; list each
    function's event sources."""
    from .. import manifest
    from ..sources import specs

    path = session(ctx).manifest_path()
    loaded = manifest.load(path)
    names = list(loaded.functions)
    sources = [source for spec in loaded.functions.values() for source in spec.events]
    if output is Output.json:
        listed = [
            {
                "Function": source.function,
                "Kind": source.kind,
                "Source": specs.describe(source, loaded.root),
                "UUID": source.uuid,
                "Enabled": source.enabled,
            }
            for source in sources
        ]
        shown = {"Manifest": str(path), "Valid": True, "Functions": names, "EventSources": listed}
        if loaded.warnings:
            shown["Warnings"] = list(loaded.warnings)
        render.print_json(shown)
        return
    for warning in loaded.warnings:  # what cannot run here, in a SAM template
        render.warning(render.shown(warning))
    render.success(f"{path} is valid: {len(names)} function(s): {', '.join(names)}")
    for name, spec in loaded.functions.items():
        if spec.events:
            render.line(f"  {name}: {_sources(spec.events, loaded.root)}")


def _sources(events: Any, root: Any) -> str:
    """`queue orders, files inbox, schedule rate(5 minutes) (disabled)`."""
    from ..sources import specs

    return ", ".join(
        f"{source.kind} {specs.describe(source, root)}"
        + ("" if source.enabled else " (disabled)")
        for source in events
    )
