"""`--output json` on every command: one table, one row per command.

A new command joins by adding its row to COMMANDS (`test_every_command_is_in_the_table` fails
until it does). A row runs `argv` plus `-o json` through the real CLI after its `setup`, and
checks the keys of the printed object: exactly `keys` (an AWS response's shape; `{}` for an
empty body) or, for streaming commands (`lines`), the keys of every line's object.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main

from lambdactl.cli.commands import app
from lambdactl.project import Project
from tests.cli.test_commands import CONFIGURATION_KEYS as CONFIGURATION

ALIAS = {"AliasArn", "Name", "FunctionVersion", "Description", "RevisionId"}
LOG_EVENT = {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
EVENT = {"id", "function", "state", "due_at", "enqueued_at", "data"}
MAPPING = {
    "UUID",
    "EventSourceMappingArn",
    "EventSourceArn",
    "FunctionArn",
    "State",
    "StateTransitionReason",
    "LastModified",
    "LastProcessingResult",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "FunctionResponseTypes",
}


def enqueued(project_dir: Path) -> dict[str, str]:
    """An asynchronous event, queued without starting a worker: {RequestId}."""
    from lambdactl.events.enqueue import enqueue

    project = Project.open(project_dir / "functions.yaml")
    try:
        request_id, _version = enqueue(project, "hello", b"{}")
    finally:
        project.close()
    return {"RequestId": request_id}


def with_queue_source(project_dir: Path) -> dict[str, str]:
    """Function `hello` polls a local queue `orders`: {UUID} of that mapping."""
    path = project_dir / "functions.yaml"
    path.write_text(
        path.read_text().replace("    description: Greets\n", "    events: [{queue: orders}]\n")
        + "queues:\n  orders: {}\n"
    )
    project = Project.open(path)
    try:
        return {"UUID": project.functions["hello"].events[0].uuid}
    finally:
        project.close()


def subscribed(project_dir: Path) -> dict[str, str]:
    """`hello` subscribed to the topic `t`, its filter policy refusing every message (so a
    publish queues nothing and starts no worker)."""
    from tests.conftest import MANIFEST

    subscription = "    events:\n      - topic: t\n        filter_policy: {kind: [none]}\n"
    (project_dir / "functions.yaml").write_text(MANIFEST + subscription)
    return {}


Setup = str | Callable[[Path], dict[str, str]]
"""A command line run first (its `-o json` values fill `{Key}` in argv), a function of the
project directory returning such values, or `@FIXTURE`: that fixture's value fills
`{FIXTURE}` (`@moto_url`)."""


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    keys: set[str] | list[set[str]]
    """The object's keys; for a stream (`lines`), every line's, or each line's in turn."""
    setup: tuple[Setup, ...] = ()
    lines: bool = False
    """A stream: one JSON object per line."""
    process: bool = False
    """Run as a process of its own (it sets signal handlers, or runs until stopped)."""
    follow: bool = False
    """Runs until stopped: read its first line, then SIGTERM."""


ALIASED = ("publish", "alias create hello live -v 1")
SENT = ("queue create q", "queue send q hi")
PUT = ("stream create s --shards 2", "stream put s hi -k a")
COMMANDS = [
    Command("version", "", {"Version"}),
    Command("init", "fresh", {"Directory", "Files"}),
    Command("validate", "", {"Manifest", "Valid", "Functions", "EventSources"}),
    Command("list", "", {"Functions"}),
    Command("show", "hello", CONFIGURATION),
    Command("publish", "hello", CONFIGURATION),
    Command("versions", "hello", {"Versions"}),
    Command("delete-version", "hello 1", set(), setup=("publish",)),
    Command("invoke", "hello", {"StatusCode", "ExecutedVersion", "Payload", "RequestId"}),
    Command("logs", "hello", LOG_EVENT, setup=("invoke hello",), lines=True),
    Command("logs", "", {"logGroupName", *LOG_EVENT}, setup=("invoke hello",), lines=True),
    Command("tail", "hello", LOG_EVENT, ("invoke hello",), lines=True, process=True, follow=True),
    Command("alias create", "hello live -v 1", ALIAS, setup=("publish",)),
    Command("alias update", "hello live -d new", ALIAS, setup=ALIASED),
    Command("alias show", "hello live", ALIAS, setup=ALIASED),
    Command("alias list", "hello", {"Aliases"}, setup=ALIASED),
    Command("alias delete", "hello live", set(), setup=ALIASED),
    Command("queue create", "q", {"QueueUrl"}),
    Command("queue list", "", {"QueueUrls"}, setup=("queue create q",)),
    Command("queue send", "q hi", {"MD5OfMessageBody", "MessageId"}, setup=("queue create q",)),
    Command("queue receive", "q", {"Messages"}, setup=SENT),
    Command("queue delete-message", "q {ReceiptHandle}", set(), (*SENT, "queue receive q")),
    Command("queue purge", "q", set(), setup=SENT),
    Command("queue delete", "q", set(), setup=("queue create q",)),
    Command("mappings list", "", {"EventSourceMappings"}, setup=(with_queue_source,)),
    *(
        Command(f"mappings {verb}", "{UUID}", MAPPING, setup=(with_queue_source,))
        for verb in ("show", "enable", "disable")
    ),
    Command("stream create", "s --shards 2 --retention-hours 48", set()),
    Command("stream list", "", {"StreamNames", "HasMoreStreams", "StreamSummaries"}, PUT),
    Command("stream describe", "s", {"StreamDescription"}, setup=PUT),
    Command("stream put", "s hi -k a", {"ShardId", "SequenceNumber"}, ("stream create s",)),
    Command("stream read", "s", {"Shards"}, setup=PUT),
    Command("stream delete", "s", set(), setup=PUT),
    Command("topic publish", "t hi", {"MessageId"}, setup=(subscribed,)),
    Command("topic list", "", {"Topics"}, setup=(subscribed,)),
    Command(
        "worker",
        "--idle-exit 0.1",
        [{"Status", "WorkerId", "Pid", "Manifest"}, {"Status", "WorkerId", "Pid", "Processed"}],
        lines=True,
        process=True,
    ),
    Command(
        "serve",
        "--port 0",
        {"Status", "Endpoint", "Functions", "FunctionUrls", "Routes"},
        lines=True,
        process=True,
        follow=True,
    ),
    Command(
        "dev",
        "--port 0 --no-ui",
        {"Status", "Endpoint", "Functions", "FunctionUrls", "Routes"},
        lines=True,
        process=True,
        follow=True,
    ),
    Command("worker status", "", {"Running", "Pid", "Waiting"}),
    Command("worker stop", "", {"Stopped", "Pid"}),
    Command("events list", "", {"Events"}, setup=(enqueued,)),
    Command("events show", "{RequestId}", EVENT, setup=(enqueued,)),
    Command("events redrive", "--all-failed", {"Redriven"}),
    Command("events generate", "sqs --body hi", {"Records"}),
    Command(
        "export sam",
        "",
        {"AWSTemplateFormatVersion", "Transform", "Description", "Metadata", "Resources"},
    ),
    Command(
        "deploy",
        "--dry-run --endpoint-url {moto_url}",
        {"Region", "StateFile", "DryRun", "UpToDate", "Written", "Steps"},
        setup=("@moto_url",),
    ),
    Command(
        "tune",
        "hello --memory 128 --runs 1 --warm-up 0",
        {"Sizes", "Recommendation", "Prices", "Calibration", "Interrupted", "Note"},
    ),
    Command(
        "doctor",
        "",
        {"StateDirectory", "Healthy", "Checks", "Repaired", "Recovered", "Lost"},
        setup=("publish",),
    ),
]


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every command the CLI registers, by name ("alias create"); a group that runs by itself
    (`worker`) is a command too."""
    for name, command in group.commands.items():
        path = (*prefix, name)
        if hasattr(command, "commands"):
            if command.invoke_without_command:
                yield " ".join(path)
            yield from _commands(command, path)
        else:
            yield " ".join(path)


def test_every_command_is_in_the_table() -> None:
    registered = set(_commands(typer.main.get_command(app)))
    tested = {command.name for command in COMMANDS}
    assert registered - tested == set(), "add these commands to COMMANDS"
    assert tested - registered == set()


def _flatten(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _flatten(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item)


def _run_process(project_dir: Path, argv: list[str], *, follow: bool) -> str:
    """stdout of `lambdactl ARGV` run to its end, or (`follow`) its first line, after which it
    is stopped with SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", *argv],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if not follow:
            out, err = process.communicate(timeout=60)
            assert (process.returncode, err) == (0, ""), (out, err)
            return out
        assert process.stdout is not None
        line = process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        return line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: f"{c.name} {c.args}".strip())
def test_output_json(cli, project_dir: Path, command: Command, request) -> None:  # type: ignore[no-untyped-def]
    values: dict[str, str] = {}
    for step in command.setup:
        if isinstance(step, str) and step.startswith("@"):
            values[step[1:]] = request.getfixturevalue(step[1:])
            continue
        if callable(step):
            values.update(step(project_dir))
            continue
        done = cli(*step.split(), "-o", "json")
        assert done.code == 0, (step, done)
        values.update((k, v) for k, v in _flatten(done.json()) if isinstance(v, str))
    argv = [*command.name.split(), *(word.format(**values) for word in command.args.split())]
    argv += ["-o", "json"]
    if command.process:
        out = _run_process(project_dir, argv, follow=command.follow)
    else:
        result = cli(*argv)
        assert (result.code, result.err) == (0, ""), result
        out = result.out
    if not command.lines:
        value = json.loads(out)
        assert isinstance(value, dict) and set(value) == command.keys, value
        return
    objects = [json.loads(line) for line in out.splitlines()]
    expected = command.keys if isinstance(command.keys, list) else [command.keys] * len(objects)
    assert [set(value) for value in objects] == expected, objects
