"""`lambdactl invoke`: run a function and print what it returned.

While the project's `lambdactl serve` runs, the invoke is handed to it (`warm.py`), unless
an option asks for what the server cannot do for one call (`--env-vars`, `--cpu-throttle`,
`--debug-port`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from . import completion, render, target, warm
from .session import ENV_VARS_HELP, OUTPUT_OPTION, Output, session

if TYPE_CHECKING:
    from ..runtime.debugger import Debug


def register(app: typer.Typer) -> None:
    app.command("invoke")(invoke)


def invoke(
    ctx: typer.Context,
    function: str = typer.Argument(
        ..., metavar="FUNCTION[:QUALIFIER]", autocompletion=completion.function_refs
    ),
    qualifier: str = typer.Option(
        None, "--qualifier", "-q", help="Version or alias.", autocompletion=completion.qualifiers
    ),
    payload: str = typer.Option(None, "--payload", "-p", help="The event, as JSON text."),
    event: str = typer.Option(
        None, "--event", "-e", metavar="FILE", help="Read the event from FILE ('-' for stdin)."
    ),
    invocation_type: str = typer.Option(
        "RequestResponse", "--invocation-type", help="RequestResponse, Event or DryRun."
    ),
    asynchronous: bool = typer.Option(False, "--async", help="Short for --invocation-type Event."),
    log_type: str = typer.Option(
        "None", "--log-type", help="Tail prints the last 4 KB of the invocation's log."
    ),
    client_context: str = typer.Option(
        None,
        "--client-context",
        metavar="JSON",
        help="A JSON object (or its base64): the handler's context.client_context.",
    ),
    cpu_throttle: bool = typer.Option(
        None,
        "--cpu-throttle/--no-cpu-throttle",
        help="CPU share proportional to memory, as on AWS (default: the manifest's "
        "cpu_throttling, on). Runs the function here, not in a running serve.",
    ),
    env_vars: str = typer.Option(
        None,
        "--env-vars",
        metavar="FILE",
        help=f"{ENV_VARS_HELP} Runs the function here, not in a running serve.",
    ),
    debug_port: int = typer.Option(
        None,
        "--debug-port",
        metavar="PORT",
        min=1,
        max=65535,
        help="Run the function under debugpy listening on 127.0.0.1:PORT and wait for an "
        "editor to attach (its timeout and CPU share do not run while one is). Runs the "
        "function here, not in a running serve.",
    ),
    remote: bool = target.remote_option("Invoke"),
    region: str = target.REGION_OPTION,
    profile: str = target.PROFILE_OPTION,
    endpoint_url: str = target.ENDPOINT_OPTION,
    prefix: str = target.PREFIX_OPTION,
    output: Output = OUTPUT_OPTION,
) -> None:
    """Invoke a function synchronously; its response goes to stdout (exit 1 on a function error)."""
    from ..invoke import Invoker

    call = warm.Invocation(
        function,
        qualifier=qualifier,
        payload=warm.event_bytes(payload, event),
        invocation_type="Event" if asynchronous else invocation_type,
        log_type=log_type,
        client_context=warm.client_context(client_context),
    )
    where = target.Remote(region, profile, endpoint_url, prefix)
    where.refuse_unless(remote)
    if remote:
        given = {"--env-vars": env_vars, "--debug-port": debug_port, "--cpu-throttle": cpu_throttle}
        _invoke_remote(
            ctx,
            call,
            [k for k, v in given.items() if v is not None],
            where,
            json_output=output is Output.json,
        )
        return
    overrides = None
    if debug_port is not None and call.invocation_type == "Event":
        from ..errors import UsageError

        raise UsageError(
            "--debug-port applies to a function this command runs; an --async event is run "
            "later by the worker, without it"
        )
    # A running serve has its own --env-vars (or none), the same for all its environments:
    # handed over, this call's file would be ignored, so it runs here, in this process.
    if env_vars is not None:
        from .. import variables
        from ..errors import UsageError

        if call.invocation_type == "Event":
            raise UsageError(
                "--env-vars applies to a function this command runs; an --async event is run "
                "later by the worker, without it",
                hint="start `lambdactl serve --env-vars FILE`: its worker runs events with them",
            )
        overrides = variables.load(env_vars)
    elif cpu_throttle is None and debug_port is None:  # the server can do it: hand it over
        code = warm.hand_off(session(ctx).manifest_option, call, json_output=output is Output.json)
        if code is not None:
            raise typer.Exit(code)
    project = session(ctx).project()
    if overrides is not None:
        for note in overrides.unknown(project.functions):
            render.warning(note)
    debug = None
    if debug_port is not None:
        from ..runtime.debugger import Debug

        debug = Debug(project.ref(call.function).name, debug_port, announce=_announce)
    with Invoker(
        project, throttle_cpu=cpu_throttle, start_worker=True, overrides=overrides, debug=debug
    ) as invoker:
        result = invoker.invoke(
            call.function,
            qualifier=call.qualifier,
            payload=call.payload,
            invocation_type=call.invocation_type,
            log_type=call.log_type,
            client_context=call.client_context,
        )
    code = warm.show(result, json_output=output is Output.json)
    if code:
        raise typer.Exit(code)


def _announce(debug: Debug) -> None:
    render.note(f"waiting for a debugger to attach on {debug.address}")


def _invoke_remote(
    ctx: typer.Context,
    call: warm.Invocation,
    local_only: list[str],
    where: target.Remote,
    *,
    json_output: bool,
) -> None:
    """The same request to the deployed function, its answer shown as a local one's."""
    from ..cloud import remote

    if local_only:
        from ..errors import UsageError

        raise UsageError(f"{local_only[0]} applies to a function run here, not with --remote")
    project = session(ctx).project()
    ref = project.ref(call.function, call.qualifier)
    reply = remote.invoke(
        where.target(project),
        where.name(ref.name),
        qualifier=ref.qualifier,
        payload=call.payload,
        invocation_type=call.invocation_type,
        log_type=call.log_type,
        client_context=call.client_context,
    )
    code = warm.show(reply, json_output=json_output)
    if code:
        raise typer.Exit(code)
