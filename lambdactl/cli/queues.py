"""`lambdactl queue ...`: local SQS-like queues."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..errors import UsageError
from . import render
from .session import OUTPUT_OPTION, Output, session

app = typer.Typer(
    help="Local queues with SQS semantics (durable in .lambda/).", no_args_is_help=True
)

NAME = typer.Argument(..., metavar="NAME")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = NAME,
    visibility_timeout: int = typer.Option(None, "--visibility-timeout", help="Seconds (30)."),
    delay: int = typer.Option(None, "--delay", help="Seconds before a sent message shows (0)."),
    retention: int = typer.Option(None, "--retention", help="Seconds messages are kept (4 days)."),
    fifo: bool = typer.Option(False, "--fifo", help="A FIFO queue (name ends with .fifo)."),
    content_based_deduplication: bool = typer.Option(False, "--content-based-deduplication"),
    dead_letter: str = typer.Option(
        None, "--dead-letter", metavar="QUEUE", help="Move messages received too often here."
    ),
    max_receive_count: int = typer.Option(
        None, "--max-receive-count", help="Receives before the move (1..1000; 10)."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Create a queue (CreateQueue); the same name and attributes again is not an error."""
    from .. import queues
    from ..manifest import DEFAULT_MAX_RECEIVE_COUNT
    from ..shapes import sqs

    given = {
        "visibility_timeout": visibility_timeout,
        "delay": delay,
        "retention": retention,
        "fifo": fifo or None,
        "content_based_deduplication": content_based_deduplication or None,
        "dead_letter": dead_letter,
        "max_receive_count": max_receive_count,
    }
    if max_receive_count is not None and dead_letter is None:
        raise UsageError("--max-receive-count needs --dead-letter QUEUE")
    if dead_letter is not None and max_receive_count is None:
        given["max_receive_count"] = DEFAULT_MAX_RECEIVE_COUNT
    project = session(ctx).project()
    queue = queues.create(project, name, {k: v for k, v in given.items() if v is not None})
    if output is Output.json:
        render.print_json(sqs.create_queue(queues.url(project, queue.name)))
        return
    render.success(f"queue {queue.name} ({queues.url(project, queue.name)})")


@app.command("list")
def list_queues(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """List queues (ListQueues), with their message counts and URLs (the running server's,
    else SQS's own form)."""
    from .. import endpoint, queues
    from ..shapes import sqs

    project = session(ctx).project()
    found = queues.list_queues(project)
    served = endpoint.running(project.manifest.state_dir)
    base = served.url if served is not None else None
    if output is Output.json:
        render.print_json(sqs.list_queues([queues.url(project, q.name, base) for q in found]))
        return
    rows = []
    for queue in found:
        visible, in_flight = queues.counts(project, queue.name)
        attributes = queue.attributes
        rows.append(
            (
                queue.name,
                "FIFO" if queue.fifo else "standard",
                str(visible),
                str(in_flight),
                f"{attributes['visibility_timeout']} s",
                f"{attributes['delay']} s",
                f"{queue.dead_letter} ({queue.max_receive_count})" if queue.dead_letter else "-",
                queues.url(project, queue.name, base),
            )
        )
    columns = (
        "Queue",
        "Type",
        "Visible",
        "In flight",
        "Visibility",
        "Delay",
        "Dead letter (max receives)",
        "URL",
    )
    render.table(None, columns, rows, give_way={"URL": "fold"})


@app.command("send")
def send(
    ctx: typer.Context,
    name: str = NAME,
    body: str = typer.Argument(None, metavar="[BODY]", help="The message body ('-': stdin)."),
    body_file: Path = typer.Option(None, "--body-file", help="Read the body from a file."),
    delay: int = typer.Option(None, "--delay", help="Seconds before it can be received."),
    group_id: str = typer.Option(None, "--group-id", help="FIFO message group."),
    deduplication_id: str = typer.Option(None, "--deduplication-id", help="FIFO de-dup id."),
    attribute: list[str] = typer.Option(
        None, "--attribute", metavar="NAME=VALUE", help="A String message attribute."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Send a message (SendMessage); when an enabled mapping reads the queue, the project's
    worker is started unless one runs, to deliver it."""
    from .. import queues
    from ..sources import mappings

    text = _body(body, body_file)
    attributes = {}
    for item in attribute or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"attribute '{item}' is not NAME=VALUE")
        attributes[key] = {"DataType": "String", "StringValue": value}
    project = session(ctx).project()
    response = queues.send(
        project,
        name,
        text,
        delay=delay,
        group_id=group_id,
        deduplication_id=deduplication_id,
        message_attributes=attributes or None,
    )
    mappings.wake(project, "queue", name)  # its function's poller runs in the worker
    if output is Output.json:
        render.print_json(response)
        return
    render.success(f"sent {response['MessageId']} to {name}")


@app.command("receive")
def receive(
    ctx: typer.Context,
    name: str = NAME,
    max_messages: int = typer.Option(1, "--max", help="1..10 messages."),
    wait: int = typer.Option(None, "--wait", help="Long poll up to this many seconds (0..20)."),
    visibility_timeout: int = typer.Option(None, "--visibility-timeout"),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Receive messages (ReceiveMessage); they stay hidden for the visibility timeout."""
    from .. import queues
    from ..shapes import sqs

    project = session(ctx).project()
    messages = queues.receive(
        project, name, max_messages=max_messages, wait=wait, visibility_timeout=visibility_timeout
    )
    if output is Output.json:
        render.print_json(sqs.received(messages))
        return
    if not messages:
        render.line("no messages")
        return
    for message in messages:
        render.fields(
            message["MessageId"],
            [
                ("Body", message["Body"]),
                ("ReceiptHandle", message["ReceiptHandle"]),
                ("Receive count", message["Attributes"]["ApproximateReceiveCount"]),
                ("Attributes", json.dumps(message.get("MessageAttributes", {}))),
            ],
        )


@app.command("delete-message")
def delete_message(
    ctx: typer.Context,
    name: str = NAME,
    receipt_handle: str = typer.Argument(..., metavar="RECEIPT_HANDLE"),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Delete a received message by its receipt handle (DeleteMessage)."""
    from .. import queues

    queues.delete_message(session(ctx).project(), name, receipt_handle)
    _done(output, "deleted")


@app.command("purge")
def purge(ctx: typer.Context, name: str = NAME, output: Output = OUTPUT_OPTION) -> None:
    """Delete every message in the queue (PurgeQueue)."""
    from .. import queues

    count = queues.purge(session(ctx).project(), name)
    _done(output, f"purged {count} message(s) from {name}")


@app.command("delete")
def delete(ctx: typer.Context, name: str = NAME, output: Output = OUTPUT_OPTION) -> None:
    """Delete the queue and its messages (DeleteQueue)."""
    from .. import queues

    queues.delete(session(ctx).project(), name)
    _done(output, f"deleted queue {name}")


def _done(output: Output, message: str) -> None:
    """DeleteMessage, PurgeQueue and DeleteQueue return no body: `{}` in JSON."""
    if output is Output.json:
        render.print_json({})
    else:
        render.success(message)


def _body(body: str | None, body_file: Path | None) -> str:
    if body is not None and body_file is not None:
        raise UsageError("give the body as an argument or with --body-file, not both")
    # Bytes that are not UTF-8 are kept (as lone surrogates, like a command line's): SQS's
    # InvalidMessageContents names them.
    if body_file is not None:
        try:
            return body_file.read_bytes().decode("utf-8", "surrogateescape")
        except OSError as exc:
            raise UsageError(f"cannot read {body_file}: {exc}") from None
    if body == "-" or body is None:
        raw = getattr(sys.stdin, "buffer", None)
        return raw.read().decode("utf-8", "surrogateescape") if raw else sys.stdin.read()
    return body
