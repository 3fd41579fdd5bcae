"""`lambdactl topic ...`: local topics, SNS-style fan-out to subscribed functions."""

from __future__ import annotations

import sys

import typer

from ..errors import UsageError
from . import render
from .session import OUTPUT_OPTION, Output, session

app = typer.Typer(
    help="Topics named in functions' events: publish fans out to each subscriber (async).",
    no_args_is_help=True,
)


@app.command("publish")
def publish(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The topic (or its ARN)."),
    message: str = typer.Argument(None, metavar="[MESSAGE]", help="The message ('-': stdin)."),
    subject: str = typer.Option(None, "--subject", help="The notification's Subject."),
    attribute: list[str] = typer.Option(
        None, "--attribute", metavar="NAME=VALUE", help="A String message attribute."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Publish a message (SNS Publish): one asynchronous invocation per subscribed function
    whose filter policy passes; the retry worker runs them."""
    from .. import topics

    attributes: dict[str, dict[str, str | bytes]] = {}
    for item in attribute or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"attribute '{item}' is not NAME=VALUE")
        attributes[key] = {"DataType": "String", "StringValue": value}
    text = _message(message)
    project = session(ctx).project()
    published = topics.publish(
        project, name, text, subject=subject, attributes=attributes, start_worker=True
    )
    for function, reason in published.failed:
        render.warning(f"not delivered to {function}: {reason}")
    if output is Output.json:
        render.print_json({"MessageId": published.message_id})
        return
    sent = ", ".join(d.function for d in published.deliveries) or "no function"
    skipped = [f"{f} (filtered out)" for f in published.filtered]
    skipped += [f"{f} (disabled)" for f in published.disabled]
    tail = f"; not to {', '.join(skipped)}" if skipped else ""
    render.success(f"published {published.message_id} to {sent}{tail}")


@app.command("list")
def list_topics(ctx: typer.Context, output: Output = OUTPUT_OPTION) -> None:
    """List the topics functions subscribe to (SNS ListTopics), with their subscribers."""
    from .. import topics

    found = topics.list_topics(session(ctx).project())
    if output is Output.json:
        render.print_json({"Topics": [{"TopicArn": t.arn} for t in found]})
        return
    rows = []
    for topic in found:
        subscribers = []
        for subscription in topic.subscriptions:
            notes = [] if subscription.source.filter_policy is None else ["filter policy"]
            notes += [] if subscription.source.enabled else ["disabled"]
            subscribers.append(subscription.function + (f" ({', '.join(notes)})" if notes else ""))
        rows.append((topic.name, ", ".join(subscribers), topic.arn))
    render.table(None, ("Topic", "Subscribers", "ARN"), rows, give_way={"ARN": "fold"})


def _message(message: str | None) -> str:
    # Bytes that are not UTF-8 are kept (as lone surrogates): SNS's check names them.
    if message == "-" or message is None:
        raw = getattr(sys.stdin, "buffer", None)
        return raw.read().decode("utf-8", "surrogateescape") if raw else sys.stdin.read()
    return message
