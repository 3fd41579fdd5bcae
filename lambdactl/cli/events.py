"""`lambdactl events list|show|redrive`: asynchronous invocations and their attempts;
`lambdactl events generate`: a sample event of a source type, to invoke a function with."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import typer
from typer.core import TyperCommand

from . import completion, render
from .session import OUTPUT_OPTION, Output, session

app = typer.Typer(
    help="Asynchronous invocations: their state and attempts; sample events.",
    no_args_is_help=True,
)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@app.command("list")
def list_events(
    ctx: typer.Context,
    function: str = typer.Option(
        None,
        "--function",
        help="Only this function's events.",
        autocompletion=completion.functions,
    ),
    state: str = typer.Option(
        None,
        "--state",
        metavar="STATE",
        help="Only events in this state (a wrong one lists the states).",
        autocompletion=completion.event_states,
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """List asynchronous events, oldest first."""
    from ..events import history

    # a str, not the EventState enum as a choice: the lifecycle (and the store) would then
    # be imported at every start of lambdactl
    wanted = history.state_named(state) if state is not None else None
    found = history.list_events(session(ctx).project(), function=function, state=wanted)
    if output is Output.json:
        render.print_json({"Events": [event.document() for event in found]})
        return
    rows = [
        (e.id, e.function, e.state.value, str(e.attempts), e.condition or "-", _when(e.enqueued_at))
        for e in found
    ]
    render.table(
        None, ("RequestId", "Function", "State", "Attempts", "Condition", "Queued (UTC)"), rows
    )


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="REQUEST_ID"),
    output: Output = OUTPUT_OPTION,
) -> None:
    """One event: each attempt's time, duration, outcome and error."""
    from ..events import history

    event = history.show(session(ctx).project(), request_id)
    if output is Output.json:
        render.print_json(event.document())
        return
    render.fields(
        event.id,
        [
            ("Function", event.function + (f":{event.qualifier}" if event.qualifier else "")),
            ("State", event.state.value),
            ("Condition", event.condition),
            ("Queued", _when(event.enqueued_at)),
            ("Payload", event.payload[:200]),
        ],
    )
    rows = [
        (str(i + 1), _when(a.time), f"{a.duration_ms:.1f} ms", a.outcome, a.error or "")
        for i, a in enumerate(event.history)
    ]
    render.table("attempts", ("#", "Time (UTC)", "Duration", "Outcome", "Error"), rows)


@app.command("redrive")
def redrive(
    ctx: typer.Context,
    request_id: str = typer.Argument(None, metavar="[REQUEST_ID]"),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed event."),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Queue failed events again (from their first attempt)."""
    from ..errors import UsageError
    from ..events import history

    project = session(ctx).project()
    if (request_id is None) == (not all_failed):
        raise UsageError("give a REQUEST_ID or --all-failed (not both)")
    redriven = history.redrive_failed(project, request_id)
    if request_id and not redriven:
        raise UsageError(f"event {request_id} has not failed: nothing to redrive")
    if output is Output.json:
        render.print_json({"Redriven": redriven})
        return
    render.success(f"redriven {len(redriven)} event(s)")


_TYPES = (
    "s3-put, s3-delete, sqs, sns, kinesis, dynamodb, schedule, apigw-rest, apigw-http, "
    "function-url, alb, cloudwatch-logs"
)
"""The types `generate` makes (`shapes.samples.TYPES`, written out: help is built at start)."""
_HTTP = "HTTP (apigw-rest, apigw-http, function-url, alb)"


class _OneLineErrors(TyperCommand):
    """click's usage errors (an unknown flag, a bad number) as lambdactl's one line, with
    the types listed."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from typer.exceptions import TyperException

        from ..errors import UsageError

        try:
            return super().parse_args(ctx, args)
        except TyperException as exc:  # click's UsageError (vendored by typer) is one
            raise UsageError(
                f"events generate: {exc.format_message()} (types: {_TYPES})",
                hint="`lambdactl events generate -h` lists each type's flags",
            ) from None


def _option(*names: str, panel: str, help: str, **kw: Any) -> Any:
    return typer.Option(None, *names, rich_help_panel=panel, help=help, **kw)


@app.command("generate", cls=_OneLineErrors)
def generate(
    ctx: typer.Context,
    kind: str = typer.Argument(..., metavar="TYPE", help=f"One of: {_TYPES}."),
    time: str = _option(
        "--time",
        panel="Any type",
        help="The event's time: ISO 8601 or epoch seconds (default: now).",
    ),
    bucket: str = _option("--bucket", panel="S3 (s3-put, s3-delete)", help="Bucket name."),
    key: str = _option(
        "--key",
        panel="S3 (s3-put, s3-delete)",
        help="Object key (as stored; the event carries it URL-encoded).",
    ),
    size: int = _option(
        "--size",
        panel="S3 (s3-put, s3-delete)",
        min=0,
        help="s3-put: the object's size; eTag is the MD5 of that many zero bytes (default 1024).",
    ),
    file: str = _option(
        "--file",
        panel="S3 (s3-put, s3-delete)",
        metavar="PATH",
        help="s3-put: size and eTag from this file (the key defaults to its name).",
    ),
    body: list[str] = _option(
        "--body",
        panel=_HTTP,
        help="The request body. sqs: a message body "
        "(repeat for more records); s3-put: the object's content.",
    ),
    method: str = _option("--method", panel=_HTTP, help="GET, or POST with a --body."),
    path: str = _option("--path", panel=_HTTP, help="The request path (a ?query is kept)."),
    header: list[str] = _option(
        "--header",
        panel=_HTTP,
        metavar="NAME=VALUE",
        help="A request "
        "header (repeatable). A --body without content-type gets "
        "application/json when it is JSON, else text/plain.",
    ),
    query: list[str] = _option(
        "--query", panel=_HTTP, metavar="NAME=VALUE", help="A query parameter (repeatable)."
    ),
    function: str = _option("--function", panel=_HTTP, help="function-url: the URL's function."),
    multi_value: bool = typer.Option(
        False,
        "--multi-value",
        rich_help_panel=_HTTP,
        help="alb: multi-value headers and query parameters.",
    ),
    queue: str = _option(
        "--queue", panel="SQS", help="Queue name (a .fifo name gives a FIFO queue's record)."
    ),
    attribute: list[str] = _option(
        "--attribute",
        panel="SQS",
        metavar="NAME=VALUE",
        help="sqs, sns: a String message attribute (repeatable).",
    ),
    group_id: str = _option("--group-id", panel="SQS", help="A FIFO queue's MessageGroupId."),
    message: list[str] = _option(
        "--message", panel="SNS", help="sns: the message; cloudwatch-logs: a log line (repeatable)."
    ),
    subject: str = _option("--subject", panel="SNS", help="The message's subject."),
    topic: str = _option("--topic", panel="SNS", help="Topic name."),
    data: list[str] = _option(
        "--data", panel="Kinesis", help="A record's data, as text (repeat for more records)."
    ),
    partition_key: str = _option("--partition-key", panel="Kinesis", help="Partition key."),
    stream: str = _option("--stream", panel="Kinesis", help="Stream name."),
    table: str = _option("--table", panel="DynamoDB", help="Table name."),
    event_name: str = _option(
        "--event-name",
        panel="DynamoDB",
        metavar="INSERT|MODIFY|REMOVE",
        help="The change (default INSERT).",
    ),
    keys: str = _option(
        "--keys",
        panel="DynamoDB",
        metavar="JSON",
        help='The item\'s key, plain JSON (converted to typed values), e.g. \'{"id": "1"}\'.',
    ),
    new_image: str = _option(
        "--new-image",
        panel="DynamoDB",
        metavar="JSON",
        help="The item after the change, plain JSON.",
    ),
    old_image: str = _option(
        "--old-image",
        panel="DynamoDB",
        metavar="JSON",
        help="The item before the change, plain JSON.",
    ),
    rule: str = _option("--rule", panel="Schedule", help="Rule name."),
    input: str = _option(
        "--input",
        panel="Schedule",
        metavar="JSON",
        help="The target's constant input: sent instead of the scheduled event, as AWS does.",
    ),
    log_group: str = _option("--log-group", panel="CloudWatch Logs", help="Log group name."),
    log_stream: str = _option("--log-stream", panel="CloudWatch Logs", help="Log stream name."),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Print a sample event of TYPE, like `sam local generate-event`, for `lambdactl invoke
    FUNCTION --event -`. Values come from the flags and the manifest's region and account
    (us-east-1 and 000000000000 outside a project); hashes, ids and sequence numbers are
    real, times are now (or --time). Either output is the event itself, as indented JSON."""
    from ..shapes import samples

    given = samples.SampleOptions(
        time=time,
        bucket=bucket,
        key=key,
        size=size,
        file=file,
        body=tuple(body or ()),
        queue=queue,
        attribute=tuple(attribute or ()),
        group_id=group_id,
        message=tuple(message or ()),
        subject=subject,
        topic=topic,
        data=tuple(data or ()),
        partition_key=partition_key,
        stream=stream,
        table=table,
        event_name=event_name,
        keys=keys,
        new_image=new_image,
        old_image=old_image,
        rule=rule,
        input=input,
        method=method,
        path=path,
        header=tuple(header or ()),
        query=tuple(query or ()),
        function=function,
        multi_value=multi_value,
        log_group=log_group,
        log_stream=log_stream,
    )
    region, account = _where(ctx)
    render.print_json(samples.generate(kind, given, region=region, account=account))


def _where(ctx: typer.Context) -> tuple[str, str]:
    """The manifest's region and account; AWS-like defaults when there is no manifest (a
    sample needs no project), but a manifest named and missing, or broken, is an error."""
    import os

    from ..errors import UsageError
    from ..manifest import Manifest, load

    chosen = session(ctx)
    try:
        path = chosen.manifest_path()
    except UsageError:
        if chosen.manifest_option or os.environ.get("LAMBDACTL_MANIFEST"):
            raise
        return Manifest.region, Manifest.account  # the dataclass's defaults
    manifest = load(path)
    return manifest.region, manifest.account
