"""The typer application: registers the command groups and owns the one error edge."""

from __future__ import annotations

import copy
import logging
import os
import sys

import typer

from ..errors import LambdactlError
from . import (
    aliases,
    deploy,
    dev,
    doctor,
    events,
    export,
    functions,
    invoke,
    logs,
    mappings,
    queues,
    render,
    scaffold,
    serve,
    streams,
    topics,
    tune,
    versions,
    worker,
)
from .completion import Group
from .session import OUTPUT_OPTION, Output, Session

app = typer.Typer(
    name="lambdactl",
    help="Define, version and invoke AWS-Lambda-style functions locally, without Docker.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion (cli/completion.py)
    cls=Group,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global(
    ctx: typer.Context,
    manifest: str = typer.Option(
        None,
        "--manifest",
        "-f",
        metavar="PATH",
        help="The functions.yaml or SAM template.yaml to use (default: $LAMBDACTL_MANIFEST, "
        "or search upward).",
    ),
    parameter_overrides: str = typer.Option(
        None,
        "--parameter-overrides",
        metavar="TEXT",
        help="A SAM template's parameters, as sam's: 'Key=Value Key2=Value2' or "
        "'ParameterKey=K,ParameterValue=V ...' (remembered in .lambda/ for later commands).",
    ),
    region: str = typer.Option(
        None,
        "--region",
        metavar="REGION",
        help="A SAM template's AWS::Region (default us-east-1; remembered in .lambda/).",
    ),
    account: str = typer.Option(
        None,
        "--account",
        metavar="ID",
        help="A SAM template's AWS::AccountId (default 000000000000; remembered in .lambda/).",
    ),
) -> None:
    ctx.obj = Session(
        manifest_option=manifest,
        parameter_overrides=parameter_overrides,
        region=region,
        account=account,
    )
    if (parameter_overrides, region, account) != (None, None, None):
        ctx.obj.manifest_path()  # remembered before any command hands its work to a server
    ctx.call_on_close(ctx.obj.close)


@app.command("version")
def _version(output: Output = OUTPUT_OPTION) -> None:
    """Print lambdactl's version."""
    from .. import __version__

    if output is Output.json:
        from .render import print_json

        print_json({"Version": __version__})
        return
    typer.echo(f"lambdactl {__version__}")


functions.register(app)
versions.register(app)
invoke.register(app)
logs.register(app)
scaffold.register(app)
doctor.register(app)
serve.register(app)
dev.register(app)
deploy.register(app)
tune.register(app)
app.add_typer(aliases.app, name="alias")
app.add_typer(queues.app, name="queue")
app.add_typer(mappings.app, name="mappings")
app.add_typer(streams.app, name="stream")
app.add_typer(topics.app, name="topic")
app.add_typer(worker.app, name="worker")
app.add_typer(events.app, name="events")
app.add_typer(export.app, name="export")


class _WarningLine(logging.Handler):
    """lambdactl's own warnings (e.g. an interpreter stand-in) as one stderr line each."""

    def emit(self, record: logging.LogRecord) -> None:
        render.warning(render.shown(record.getMessage()))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; every expected failure becomes one line."""
    _exit_cleanly_on_termination()
    logger = logging.getLogger("lambdactl")
    if not logger.handlers:
        logger.addHandler(_WarningLine())
        logger.propagate = False
    try:
        _only_the_command(sys.argv[1:] if argv is None else argv)(args=argv, prog_name="lambdactl")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except LambdactlError as exc:
        render.failure(str(exc), exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so in one line, traceback on request
        render.failure(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a lambdactl bug; rerun with LAMBDACTL_DEBUG=1 for the traceback",
        )
        return 70
    return 0


def _only_the_command(argv: list[str]) -> typer.Typer:
    """`app` with only the command that `argv` names, when it names one: typer builds every
    registered command's options from its signature at each start (~6 ms for all of them).
    Help, completion and anything unrecognised get the whole app."""
    if os.environ.get("_LAMBDACTL_COMPLETE"):
        return app
    words = iter(argv)
    valued = ("-f", "--manifest", "--parameter-overrides", "--region", "--account")
    for word in words:
        if word in valued:
            next(words, None)
        elif word.startswith(tuple(f"{name}=" for name in valued[1:])) or (
            word.startswith("-f") and len(word) > 2
        ):
            continue
        elif word.startswith("-"):
            return app
        else:
            commands = [c for c in app.registered_commands if c.name == word]
            groups = [g for g in app.registered_groups if g.name == word]
            if not commands and not groups:
                return app
            pruned = copy.copy(app)
            pruned.registered_commands, pruned.registered_groups = commands, groups
            return pruned
    return app


def _exit_cleanly_on_termination() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C does, so environments are shut down."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, terminate)
