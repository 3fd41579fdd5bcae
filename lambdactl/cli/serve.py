"""`lambdactl serve`: the project's functions behind one local endpoint for boto3 and the AWS
CLI (Lambda, SQS and CloudWatch Logs APIs), with the retry worker running inside."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from . import render
from .session import ENV_VARS_HELP, Output, session

if TYPE_CHECKING:
    from ..errors import LambdactlError
    from ..project import Project
    from ..reload import Reload

LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(
        3001,
        "--port",
        "-p",
        min=0,
        max=65535,
        help="Port (3001 as sam local start-lambda; 0: any free one).",
    ),
    env_vars: str = typer.Option(
        None,
        "--env-vars",
        metavar="FILE",
        help=ENV_VARS_HELP,
    ),
    output: Output = typer.Option(
        Output.text,
        "--output",
        "-o",
        help="text (a banner), or json: one object when ready, one when stopped.",
    ),
) -> None:
    """Serve the Lambda, SQS and Logs APIs on one port until Ctrl-C (point endpoint_url here)."""
    from ..api import server

    project, overrides, sock, listening = prepare(ctx, host, port, env_vars)

    def ready() -> None:
        announce(project, listening, host, output)

    def reloaded(reload: Reload) -> None:
        if output is Output.json:
            render.json_line(
                {
                    "Status": "reloaded",
                    "Manifest": str(reload.manifest),
                    "Changed": list(reload.changed),
                    "Added": list(reload.added),
                    "Removed": list(reload.removed),
                    "Settings": list(reload.settings),
                }
            )
        else:
            render.line(reload.summary())
            sys.stdout.flush()

    def rejected(error: LambdactlError) -> None:
        render.warning(f"{render.shown(str(error))} (the last valid manifest keeps serving)")

    server.serve(
        project,
        sock,
        listening,
        on_ready=ready,
        overrides=overrides,
        on_reload=reloaded,
        on_reject=rejected,
    )
    if output is Output.json:
        render.json_line({"Status": "stopped", "Endpoint": listening.url})
    else:
        render.line("server stopped")


def prepare(ctx: typer.Context, host: str, port: int, env_vars: str | None):  # type: ignore[no-untyped-def]
    """What `serve` and `dev` do before serving: the `--env-vars` file read, the project
    opened, the open-file limit raised, the socket bound, warnings said. (project,
    overrides, socket, `Listening`)."""
    from .. import variables
    from ..api import server

    overrides = variables.load(env_vars) if env_vars is not None else None
    project = session(ctx).project()
    if overrides is not None:
        for note in overrides.unknown(project.functions):
            render.warning(note)
    files = server.raise_file_limit()
    room, wanted = server.environments_within(files), project.manifest.account_concurrency
    if room < wanted:
        render.warning(
            f"the open-file limit ({files}) leaves room for about {room} environments at once, "
            f"fewer than the account concurrency ({wanted}): raise it (ulimit -Hn) to serve more"
        )
    sock = server.bind(host, port)
    listening = server.url_of(sock, host)
    if not _loopback(host):
        where = f"all interfaces ({host})" if server.all_interfaces(host) else host
        render.warning(
            f"listening on {where}: anyone who can reach this machine can invoke its functions"
        )
    return project, overrides, sock, listening


def announce(  # type: ignore[no-untyped-def]
    project, listening, host: str, output: Output, *, command: str = "serve", extra=()
) -> None:
    """The ready line (JSON) or the banner, once the server is ready; `extra`: lines the
    banner ends with."""
    from ..api import server

    if output is Output.json:
        render.json_line(
            {
                "Status": "ready",
                "Endpoint": listening.url,
                "Functions": sorted(project.functions),
                "FunctionUrls": _function_urls(project, listening.url),
                "Routes": routes_listed(project, listening.url),
            }
        )
    else:
        _banner(
            project,
            listening.url,
            everywhere=server.all_interfaces(host),
            command=command,
            extra=extra,
        )


def routes_listed(project: Project, endpoint: str) -> list[dict[str, str]]:
    """The API Gateway routes served (`http` events), for the ready line: method, URL (the
    route's path as written, under `/api`), function, kind of API (REST or HTTP), payload
    format."""
    from .. import routes

    return [
        {
            "Method": route.method,
            "Url": routes.address(route, endpoint),
            "Function": route.function,
            "Api": route.api_kind,
            "Payload": route.payload,
        }
        for route in routes.table(project.functions)
    ]


def routes_lines(project: Project, endpoint: str) -> list[str]:
    """The banner's lines for the routes: `route  GET URL -> function (HTTP API, payload
    2.0)`."""
    return [
        f"  route     {r['Method']} {r['Url']} -> {r['Function']} "
        f"({r['Api']} API, payload {r['Payload']})"
        for r in routes_listed(project, endpoint)
    ]


def sources_lines(project: Project) -> list[str]:
    """The banner's lines for the event sources the pollers run, one per mapping: kind,
    what it reads, its function, its state."""
    from ..sources import host, mappings
    from ..sources.specs import describe

    lines = []
    for source, state in mappings.every(project):
        if source.kind in host.POLLERS:
            what = f"{source.kind} {describe(source, project.manifest.root)}"
            lines.append(f"  source    {what} -> {source.function} ({state.state})")
    return lines


def _banner(  # type: ignore[no-untyped-def]
    project, url: str, *, everywhere: bool = False, command: str = "serve", extra=()
) -> None:
    """What the server serves, for a person: no line is ever wrapped, so the endpoint, the
    URLs and the suggested command copy whole. On a terminal too narrow for the table, the
    Runtime then the Handler column give way; to a pipe or file, plain lines."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    terminal = console.is_terminal

    def say(text: str, style: str | None = None) -> None:
        shown = escape(text) if style is None else f"[{style}]{escape(text)}[/]"
        console.print(shown if terminal else text, soft_wrap=True, markup=terminal)

    say(f"lambdactl {command} for {project.manifest.path}")
    where = "; listening on all interfaces" if everywhere else ""
    say(f"  endpoint  {url}  (Lambda, SQS and CloudWatch Logs APIs{where})")
    table = _function_table(project, url)
    if terminal:
        for column in ("Runtime", "Handler"):
            if _table_width(table) <= console.width:
                break
            table = _without(table, column)
    for i, line in enumerate(_aligned(table)):
        say(line, "bold" if i == 0 and terminal else None)
    say(f"  try: aws lambda invoke --endpoint-url {url} --function-name NAME out.json")
    for line in extra:
        say(line)
    for line in routes_lines(project, url):
        say(line)
    for line in sources_lines(project):
        say(line)
    say("  the retry worker runs inside; Ctrl-C stops everything")


def _function_table(project, url: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The banner's table: its header, then a row per function (its URL when it has one)."""
    addresses = _function_urls(project, url)
    header = ["Function", "Runtime", "Handler", *(["URL"] if addresses else [])]
    rows = [
        [name, spec.config.runtime, spec.config.handler]
        + ([addresses.get(name, "")] if addresses else [])
        for name, spec in sorted(project.functions.items())
    ]
    return [header, *rows]


def _without(table: list[list[str]], column: str) -> list[list[str]]:
    index = table[0].index(column)
    return [row[:index] + row[index + 1 :] for row in table]


BANNER_INDENT = "  "
BANNER_GAP = "  "


def _aligned(table: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        BANNER_INDENT + BANNER_GAP.join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
        for row in table
    ]


def _table_width(table: list[list[str]]) -> int:
    return max(len(line) for line in _aligned(table))


def _function_urls(project, endpoint: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each function's URL on this server, by function name (its unqualified URL when it
    has several)."""
    from .. import urls

    found: dict[str, str] = {}
    for (name, _q), url in urls.configured(project.manifest, project.functions).items():
        found.setdefault(name, url.url(endpoint))
    return found


def _loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
