"""`lambdactl logs` and `lambdactl tail`: read (and follow) a function's log group."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import typer

from ..errors import UsageError, given_bytes, utf8_problem
from . import completion, render, target
from .session import Output, session

if TYPE_CHECKING:
    from ..cloud.apply import Clients
    from ..cloud.watch import CloudEvent, Window
    from ..logs.reports import Report
    from ..project import Project


def register(app: typer.Typer) -> None:
    app.command("logs")(logs)
    app.command("tail")(tail)


FUNCTION_ARGUMENT = typer.Argument(
    None,
    metavar="[FUNCTION]",
    help="Function name (or ARN); none: every function.",
    autocompletion=completion.functions,
)
SINCE_OPTION = typer.Option(
    None, "--since", metavar="WHEN", help="From this time: 10m, 1h, 2d or ISO (UTC if no zone)."
)
UNTIL_OPTION = typer.Option(None, "--until", metavar="WHEN", help="Up to this time.")
FILTER_OPTION = typer.Option(
    None,
    "--filter",
    metavar="PATTERN",
    help='CloudWatch filter pattern: words, "phrase", ?any, -not, { $.level = "ERROR" }.',
)
REQUEST_OPTION = typer.Option(None, "--request-id", metavar="ID", help="One invocation's lines.")
VERSION_OPTION = typer.Option(None, "--version", metavar="V", help="Only this version's streams.")
LOG_OUTPUT_OPTION = typer.Option(
    Output.text,
    "--output",
    "-o",
    help="text, or json: one filter-log-events event per line (with its logGroupName when "
    "showing every function).",
)


def logs(
    ctx: typer.Context,
    function: str = FUNCTION_ARGUMENT,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    pattern: str = FILTER_OPTION,
    request_id: str = REQUEST_OPTION,
    version: str = VERSION_OPTION,
    output: Output = LOG_OUTPUT_OPTION,
    remote: bool = target.remote_option("Read the logs of"),
    region: str = target.REGION_OPTION,
    profile: str = target.PROFILE_OPTION,
    endpoint_url: str = target.ENDPOINT_OPTION,
    prefix: str = target.PREFIX_OPTION,
) -> None:
    """Show a function's logs (log group /aws/lambda/FUNCTION), or every function's, oldest
    first."""
    where = target.Remote(region, profile, endpoint_url, prefix)
    where.refuse_unless(remote)
    _show(
        ctx,
        function,
        follow,
        since,
        until,
        pattern,
        request_id,
        version,
        output,
        where if remote else None,
    )


def tail(
    ctx: typer.Context,
    function: str = FUNCTION_ARGUMENT,
    since: str = typer.Option(
        "10m", "--since", metavar="WHEN", help="Start this far back (10m, 1h, 2d or ISO)."
    ),
    pattern: str = FILTER_OPTION,
    request_id: str = REQUEST_OPTION,
    version: str = VERSION_OPTION,
    output: Output = LOG_OUTPUT_OPTION,
    remote: bool = target.remote_option("Read the logs of"),
    region: str = target.REGION_OPTION,
    profile: str = target.PROFILE_OPTION,
    endpoint_url: str = target.ENDPOINT_OPTION,
    prefix: str = target.PREFIX_OPTION,
) -> None:
    """Follow a function's logs (or every function's): the last 10 minutes, then new lines as
    they come (Ctrl-C ends)."""
    where = target.Remote(region, profile, endpoint_url, prefix)
    where.refuse_unless(remote)
    _show(
        ctx,
        function,
        True,
        since,
        None,
        pattern,
        request_id,
        version,
        output,
        where if remote else None,
    )


def _show(
    ctx: typer.Context,
    function: str | None,
    follow: bool,
    since: str | None,
    until: str | None,
    pattern_text: str | None,
    request_id: str | None,
    version: str | None,
    output: Output,
    where: target.Remote | None = None,
) -> None:
    from ..logs import lines, reader
    from ..logs.query import FilterPattern, parse_time
    from ..logs.store import Query

    texts = {"--filter": pattern_text, "--request-id": request_id, "--version": version}
    for option, text in texts.items():
        if text is not None and utf8_problem(given_bytes(text)):
            raise UsageError(f"{option} is not UTF-8 text: {given_bytes(text)!r}")
    project = session(ctx).project()
    if where is not None:
        window = _window(project, function, since, until, pattern_text, request_id, version)
        _show_remote(project, where, function, window, follow=follow, output=output)
        return
    state = project.manifest.state_dir
    group = None if function is None else _group(project, function, ctx.info_name or "logs")
    now = lines.now_ms()
    query = Query(
        since=parse_time(since, now=now, option="--since") if since else None,
        until=parse_time(until, now=now, option="--until") if until else None,
        request_id=request_id,
        version=version,
    )
    pattern = FilterPattern(pattern_text) if pattern_text is not None else None
    if follow:  # SIGTERM ends following as Ctrl-C does: quietly, exit 0
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    if output is Output.json:
        printer = _json_line if group else _json_line_with_group
    else:
        printer = _Printer(names=None if group else list(project.functions)).print
    try:
        for event in reader.read(state, group, query, pattern=pattern, follow=follow):
            printer(event)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `lambdactl logs f | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _window(
    project: Project,
    function: str | None,
    since: str | None,
    until: str | None,
    pattern: str | None,
    request_id: str | None,
    version: str | None,
) -> Window:
    """What `logs --remote` asks CloudWatch for: the same options as a local `logs`."""
    from ..cloud.watch import Window
    from ..logs import lines
    from ..logs.query import parse_time

    if function is None:
        raise UsageError("--remote reads one function's logs: name the FUNCTION")
    if project.ref(function).qualifier is not None:
        raise UsageError(
            f"logs belong to a function, not '{function}': use --version to pick a version's "
            "streams"
        )
    now = lines.now_ms()
    return Window(
        since=parse_time(since, now=now, option="--since") if since else None,
        until=parse_time(until, now=now, option="--until") if until else None,
        pattern=pattern,
        request_id=request_id,
        version=version,
    )


def _show_remote(
    project: Project,
    where: target.Remote,
    function: str | None,
    window: Window,
    *,
    follow: bool,
    output: Output,
) -> None:
    """The deployed function's log group, printed as a local one's."""
    import dataclasses

    from ..cloud import watch
    from ..cloud.apply import Clients

    assert function is not None  # _window refused None
    name = project.ref(function).name
    clients = Clients(where.target(project))
    group = watch.log_group(clients, where.name(name), local=name)
    if window.version not in (None, "$LATEST"):
        window = dataclasses.replace(
            window, version=_remote_version(project, where, clients, name, window.version)
        )
    printer = _json_cloud if output is Output.json else _Printer().print
    if follow:  # SIGTERM ends following as Ctrl-C does: quietly, exit 0
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for event in watch.read(clients, group, window, follow=follow):
            printer(event)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `lambdactl logs f --remote | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _remote_version(
    project: Project, where: target.Remote, clients: Clients, function: str, version: str | None
) -> str:
    """The remote number of local `version` (they may differ), from the deploy state."""
    from ..cloud.state import DeployState

    path = clients.state_file(project.manifest.state_dir, prefix=where.prefix)
    deployed = DeployState.load(path).functions.get(function)
    remote = deployed.versions.get(str(version)) if deployed else None
    if remote is None:
        raise UsageError(
            f"version {version} of {function} is not deployed to this target",
            hint=f"publish it, then `lambdactl deploy {function}`",
        )
    return remote


def _json_cloud(event: CloudEvent) -> None:
    """One event as filter-log-events returned it: the keys and order of a local one's."""
    render.json_line(
        {
            "logStreamName": event.stream,
            "timestamp": event.timestamp,
            "message": event.text,
            "ingestionTime": event.ingestion_time,
            "eventId": event.event_id,
        }
    )


def _group(project: Project, function: str, command: str) -> str:
    """The log group of `function`: one the manifest declares, or one that was logged to (a
    function removed from the manifest keeps its group, as on AWS)."""
    from ..errors import ResourceNotFoundException
    from ..logs import lines, reader

    ref = project.ref(function)
    if ref.qualifier is not None:
        raise UsageError(
            f"logs belong to a function, not '{function}': use --version to pick a version's "
            "streams"
        )
    group = lines.group_name(ref.name)
    declared = list(project.functions)
    if ref.name in declared or group in reader.groups(project.manifest.state_dir):
        return group
    shown = ", ".join(declared[:10])
    if len(declared) > 10:
        shown += f" and {len(declared) - 10} more"
    raise ResourceNotFoundException(
        f"Function not found: {project.arn(ref.name)}; the functions are {shown} "
        f"(lambdactl {command} with no function shows them all)"
    )


def _json_line(event: Any) -> None:
    """One event as `aws logs filter-log-events` returns it (messages end in a newline)."""
    from ..shapes.logs import filtered_event

    render.json_line(filtered_event(event))


def _json_line_with_group(event: Any) -> None:
    """One event of every function's: its log group first, then filter-log-events' keys."""
    from ..shapes.logs import filtered_event

    render.json_line(filtered_event(event, with_group=True))


# -- human output --------------------------------------------------------------------------------

_STYLES = {
    "dim": "2",
    "red": "31",
    "bold_red": "1;31",
    "yellow": "33",
    "green": "32",
    "cyan": "36",
    "magenta": "35",
}
_LEVEL_STYLES = {
    "ERROR": "bold_red",
    "CRITICAL": "bold_red",
    "FATAL": "bold_red",
    "WARNING": "yellow",
    "WARN": "yellow",
    "DEBUG": "dim",
    "TRACE": "dim",
}
_TEXT_LEVEL = re.compile(r"\[(ERROR|CRITICAL|FATAL|WARNING|WARN|INFO|DEBUG|TRACE)\]\t")
_LOG_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class _Printer:
    """Timestamp, (with `names`: the function's name, padded to the longest of them,) the
    stream's short id, then the line: levels coloured, a stack trace kept together under its
    line, REPORT summarised and marked when cold or failed."""

    def __init__(self, *, names: list[str] | None = None) -> None:
        self.colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.name_width = None if names is None else max(map(len, names), default=0)

    def print(self, event: Any) -> None:
        stamp = datetime.fromtimestamp(event.timestamp / 1000, timezone.utc)
        when = stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{event.timestamp % 1000:03d}"
        prefix = f"{self._paint(when, 'dim')} "
        indent = len(when) + 1
        if self.name_width is not None:
            name = event.group.rsplit("/", 1)[-1].ljust(self.name_width)  # /aws/lambda/NAME
            prefix += f"{self._paint(name, 'magenta')} "
            indent += len(name) + 1
        prefix += f"{self._paint(_short_stream(event.stream), 'cyan')} "
        indent += len(_short_stream(event.stream)) + 1
        body = self._body(event.message)
        sys.stdout.write(prefix + body.replace("\n", "\n" + " " * indent) + "\n")
        sys.stdout.flush()

    def _paint(self, text: str, style: str | None) -> str:
        if not self.colour or not style:
            return text
        return f"\033[{_STYLES[style]}m{text}\033[0m"

    def _body(self, message: str) -> str:
        from ..logs import reports

        report = reports.parse(message)  # a REPORT line or a platform.report record
        if report is not None:
            return self._summary(report)
        if message.startswith(("START RequestId: ", "END RequestId: ", "INIT_START ")):
            return self._paint(message, "dim")
        if message.startswith("INIT_REPORT "):
            return self._paint(message, "red" if "\tStatus: " in message else "dim")
        if message.startswith("{"):
            record = _json_object(message)
            if record is not None:
                return self._record(record, message)
        # A traceback arrives as one event with `\r` between its lines (and NBSP indents).
        text = message.replace("\r", "\n").replace("\u00a0", " ")
        level = _TEXT_LEVEL.match(message)
        if level:
            # `[INFO]\t<time>\t<request id>\t<message>`: the time and the invocation are
            # already on the line and in its START, so only the level and message remain.
            parts = text.split("\t", 3)
            if len(parts) == 4 and _LOG_TIME.fullmatch(parts[1]):
                text = f"{parts[0]} {parts[3]}"
            return self._paint(text.replace("\t", "  "), _LEVEL_STYLES.get(level.group(1)))
        text = text.replace("\t", "  ")
        if " Task timed out after " in message or message.startswith("RequestId: "):
            return self._paint(text, "red")
        if message.startswith("Runtime.") or message.startswith("Sandbox."):
            return self._paint(text, "red")
        return text

    def _summary(self, report: Report) -> str:
        parts = [
            f"REPORT {report.request_id}",
            f"{report.duration_ms:.2f} ms (billed {report.billed_duration_ms} ms)",
            f"{report.max_memory_mb}/{report.memory_mb} MB",
        ]
        cold = report.init_duration_ms is not None
        if cold:
            parts.append(f"cold start, init {report.init_duration_ms:.2f} ms")
        failed = report.status != "success"
        if failed:
            error_type = report.stated_error_type
            parts.append(report.status + (f" {error_type}" if error_type else ""))
        style = "bold_red" if failed else ("yellow" if cold else "green")
        return self._paint("  ".join(parts), style)

    def _record(self, record: dict[str, Any], message: str) -> str:
        kind = record.get("type")
        data = record.get("record")
        if isinstance(kind, str) and kind.startswith("platform.") and isinstance(data, dict):
            return self._platform(kind, data, message)
        level = str(record.get("level", record.get("log_level", "INFO"))).upper()
        text = str(record.get("message", record.get("errorMessage", message)))
        if "errorType" in record and "message" not in record:
            text = f"{record['errorType']}: {text}"
        lines = [f"[{level}] {text}"]
        trace = record.get("stackTrace")
        if isinstance(trace, list):
            lines += [str(frame).rstrip("\n") for frame in trace]
        return self._paint("\n".join(lines), _LEVEL_STYLES.get(level))

    def _platform(self, kind: str, data: dict[str, Any], message: str) -> str:
        if kind == "platform.start":
            return self._paint(f"START {data.get('requestId')} {data.get('version')}", "dim")
        if kind == "platform.initStart":
            return self._paint(f"INIT_START {data.get('runtimeVersion')}", "dim")
        failed = data.get("status") not in (None, "success")
        if kind == "platform.initReport":
            duration = (data.get("metrics") or {}).get("durationMs")
            text = f"INIT_REPORT {duration} ms  phase {data.get('phase')}  {data.get('status')}"
            text += f" {data['errorType']}" if data.get("errorType") else ""
            return self._paint(text, "red" if failed else "dim")
        return self._paint(message, "red" if failed else "dim")


def _short_stream(stream: str) -> str:
    """`2026/11/27/[$LATEST]3893ab…` -> `[$LATEST]3893ab`."""
    name = stream.rsplit("/", 1)[-1]
    head, _, hexid = name.rpartition("]")
    return f"{head}]{hexid[:6]}" if head else name[:12]


def _json_object(message: str) -> dict[str, Any] | None:
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
