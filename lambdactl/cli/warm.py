"""The warm path: `lambdactl invoke` handed to the project's running `lambdactl serve`, whose
environments are warm, over its own Lambda API (Invoke), with the same output as a local run;
`exchange` also carries `lambdactl publish`'s PublishVersion requests.

It has to start lean to be worth it, so it runs before the typer application is imported and
imports the standard library (`http.client`), `endpoint`, `layout`, `errors`, `logs.reports`,
`replies` and the output helpers only: the manifest is found but not read, the store is not opened.
The command is parsed here for the common spellings only; anything else (help, short options
run together, an event from stdin, options the server cannot honour for one call such as
`--env-vars` and `--cpu-throttle`) goes to typer, whose `invoke` hands over the same way
when it can.

The CLI runs the command itself when no server runs, when the one announced is dead (a stale
`.lambda/endpoint.json`), when it does not serve the manifest as it is on disk (another
manifest, or an edit it refused as invalid: one warning line says so; an edit it has not read
yet is waited for, `RELOAD_WAIT_SECONDS` at most, as it follows edits within moments), and,
once, when it stops between the check and the request (its port refuses the connection, or
closes it before answering: a request it had taken would be run a second time here, as the
AWS CLI resends one whose connection broke).
"""

from __future__ import annotations

import base64
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .. import endpoint, layout
from ..errors import AwsError, LambdactlError, TooManyRequestsException, UsageError, given_bytes
from . import render

TYPE_CHECKING = False  # not typing's: importing typing costs the warm path ~2.5 ms
if TYPE_CHECKING:
    from typing import Any

    from ..replies import Reply


VALUED = {
    "-q": "qualifier",
    "--qualifier": "qualifier",
    "-p": "payload",
    "--payload": "payload",
    "-e": "event",
    "--event": "event",
    "--invocation-type": "invocation_type",
    "--log-type": "log_type",
    "--client-context": "client_context",
    "-o": "output",
    "--output": "output",
}
"""`lambdactl invoke`'s options that take a value, as this path parses them."""
OUTPUTS = ("text", "json")
RELOAD_WAIT_SECONDS = 2.0
"""How long to wait for a running server to read an edit of the manifest (it does within
moments: see `reload`) before running the command here."""

_unreachable: set[str] = set()
"""Servers that refused this process once, or that do not serve the manifest as it is: the
command then runs locally, without asking them again (typer's `invoke` would otherwise try
the same server a second time, and say a second time why not)."""


@dataclass(frozen=True)
class Invocation:
    """One Invoke request, as the CLI's options give it."""

    function: str
    qualifier: str | None = None
    payload: bytes = b""
    invocation_type: str = "RequestResponse"
    log_type: str = "None"
    client_context: str | None = None
    """base64 of a JSON object, as the API carries it."""


def attempt(argv: list[str]) -> int | None:
    """Hand `lambdactl ARGV` to the project's server when it is an invoke this path parses
    and a server takes it: the exit code; None to run the command the usual way."""
    _unreachable.clear()  # a new command (in-process runs share this module)
    parsed = _parse(argv)
    if parsed is None:
        return None
    manifest_option, options = parsed
    try:
        server = server_of(manifest_option)
        if server is None:
            return None
        call = Invocation(
            options["function"],
            qualifier=options.get("qualifier"),
            payload=event_bytes(options.get("payload"), options.get("event")),
            invocation_type="Event"
            if "async" in options
            else options.get("invocation_type", "RequestResponse"),
            log_type=options.get("log_type", "None"),
            client_context=client_context(options.get("client_context")),
        )
        reply = _send(server, call)
        if reply is None:
            return None
        return show(reply, json_output=options.get("output") == "json")
    except LambdactlError as exc:
        render.failure(str(exc), exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def hand_off(manifest_option: str | None, call: Invocation, *, json_output: bool) -> int | None:
    """Invoke through the project's server and show the result: the exit code; None when no
    server takes it (run it locally). Raises `LambdactlError` for what the server refused."""
    server = server_of(manifest_option)
    if server is None:
        return None
    reply = _send(server, call)
    return None if reply is None else show(reply, json_output=json_output)


def show(result: Any, *, json_output: bool) -> int:
    """Print an invocation's result, local (`InvocationResult`) or handed off (`Reply`), the
    one way: the exit code (1 for a function error)."""
    if json_output:
        from ..shapes.functions import invoke_response

        render.print_json(invoke_response(result))
    elif result.status_code == 202:  # queued: the worker runs it
        render.line(result.request_id)
    else:
        if result.log_result is not None:
            sys.stderr.write(base64.b64decode(result.log_result).decode("utf-8", "replace"))
        if result.status_code != 204:
            sys.stdout.buffer.write(result.payload)
            if sys.stdout.isatty() and not result.payload.endswith(b"\n"):
                sys.stdout.buffer.write(b"\n")  # the summary below starts its own line
            sys.stdout.flush()
        render.invocation_summary(result)
    return 1 if result.function_error else 0


def event_bytes(payload: str | None, event: str | None) -> bytes:
    """The event `--payload` or `--event` (a file, or `-` for stdin) gives: b"" for none."""
    if payload is not None and event is not None:
        raise UsageError("give the event with --payload or --event, not both")
    if payload is not None:
        return given_bytes(payload)  # bytes that are not UTF-8 get AWS's error, as from a file
    if event == "-":
        return sys.stdin.buffer.read()
    if event is not None:
        try:
            return Path(event).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read event file {event}: {exc.strerror}") from None
    return b""


def client_context(text: str | None) -> str | None:
    """`--client-context` takes a JSON object, or its base64 as the API carries it (then
    passed on as is); plain JSON is encoded here. Anything else is the option's error, said
    in its terms."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = _base64_json(text)
        if isinstance(value, dict):
            return text
        got = _json_kind(value) if value is not None else f"'{text[:40]}'"
    else:
        if isinstance(value, dict):
            return base64.b64encode(given_bytes(text)).decode()
        got = _json_kind(value)
    raise UsageError(
        '--client-context takes a JSON object such as \'{"custom": {"key": "value"}}\' '
        f"(or its base64), not {got}"
    )


def _base64_json(text: str) -> object:
    from ..payloads import base64_json

    return base64_json(text)


def _json_kind(value: object) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return "a JSON " + kinds.get(type(value), "number")


def _parse(argv: list[str]) -> tuple[str | None, dict[str, Any]] | None:
    """(--manifest, options) of `[-f PATH] invoke FUNCTION [OPTION ...]` written in the
    spellings this path knows (`--name value`, `--name=value`, `-x value`; a repeated option
    keeps its last value, as click does); None for anything else."""
    words = iter(argv)
    manifest = None
    for word in words:
        if word in ("-f", "--manifest"):
            manifest = next(words, None)
            if manifest is None:
                return None
        elif word.startswith("--manifest="):
            manifest = word.removeprefix("--manifest=")
        elif word.startswith("-f") and len(word) > 2:
            manifest = word[2:]
        elif word == "invoke":
            break
        else:
            return None
    else:
        return None
    options: dict[str, Any] = {}
    positional = []
    for word in words:
        name, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if word == "--async":
            options["async"] = True
        elif name in VALUED:
            given = value if equals else next(words, None)
            if given is None:
                return None
            options[VALUED[name]] = given
        elif word.startswith("-") and word != "-":
            return None  # help, a local-only option, a cluster of short ones: typer's
        else:
            positional.append(word)
    if len(positional) != 1 or options.get("output", "text") not in OUTPUTS:
        return None
    if options.get("event") == "-":
        return None  # stdin is read once, by whichever path runs the command
    options["function"] = positional[0]
    return manifest, options


def server_of(manifest_option: str | None) -> endpoint.Endpoint | None:
    """The project's running server, if it serves the manifest as it is now."""
    try:
        manifest = layout.find(explicit=manifest_option).resolve()
    except (UsageError, OSError):
        return None  # the usual path says why
    state = manifest.parent / layout.STATE_DIR_NAME
    server = endpoint.running(state)
    if server is None or server.url in _unreachable:
        return None
    why = server.unlike(manifest)
    deadline = time.monotonic() + RELOAD_WAIT_SECONDS
    while why == endpoint.UNREAD and time.monotonic() < deadline:
        time.sleep(0.01)
        server = endpoint.running(state)
        if server is None:
            return None
        why = server.unlike(manifest)
    if why is not None:
        _unreachable.add(server.url)
        render.warning(f"lambdactl serve (pid {server.pid}) {why}: running here instead")
        return None
    return server


def _send(server: endpoint.Endpoint, call: Invocation) -> Reply | None:
    """POST the Invoke; the server's reply, or None when it could not be reached (the
    command then runs locally) or the request cannot be written as HTTP."""
    from urllib.parse import quote

    from ..replies import Reply

    if "/" in call.function:
        return None  # not a name the route can carry: the local run says what is wrong
    path = f"/2015-03-31/functions/{quote(call.function, safe=':')}/invocations"
    if call.qualifier is not None:
        path += f"?Qualifier={quote(call.qualifier, safe='')}"
    headers = {
        "X-Amz-Invocation-Type": call.invocation_type,
        "X-Amz-Log-Type": call.log_type,
        endpoint.SUMMARY_HEADER: "1",
    }
    if call.client_context is not None:
        headers["X-Amz-Client-Context"] = call.client_context
    answer = exchange(server, "POST", path, body=call.payload, headers=headers)
    if answer is None:
        return None
    summary = parsed(server, answer.headers.get(endpoint.SUMMARY_HEADER) or "{}")
    report = None
    if summary.get("Report") is not None:
        from ..logs.reports import from_json

        report = from_json(summary["Report"])
    return Reply(
        status_code=answer.status,
        request_id=answer.headers.get("x-amzn-RequestId", ""),
        executed_version=answer.headers.get(
            "X-Amz-Executed-Version", summary.get("ExecutedVersion", "")
        ),
        payload=answer.body,
        function_error=answer.headers.get("X-Amz-Function-Error"),
        log_result=answer.headers.get("X-Amz-Log-Result"),
        report=report,
    )


@dataclass(frozen=True)
class Answer:
    """A successful (2xx) response of the server."""

    status: int
    headers: Any
    """The response's headers (`http.client.HTTPMessage`: looked up without regard to case)."""
    body: bytes


def exchange(
    server: endpoint.Endpoint, method: str, path: str, *, body: bytes, headers: dict[str, str]
) -> Answer | None:
    """One request to the server: its answer; None when it could not be reached (refused,
    or the connection closed before an answer: run the command locally) or the request
    cannot be written as HTTP. An error in AWS's shape is raised as the local run raises
    it; any other answer but a 2xx (a bare 500, something that is not HTTP) is one line
    naming the server and what it answered."""
    import http.client

    host, port = server.host_port
    connection = http.client.HTTPConnection(host, port)
    try:
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
        except ValueError:
            return None  # a header value HTTP cannot carry: the local run validates it
        except ConnectionError:  # refused, or closed before an answer (RemoteDisconnected)
            _unreachable.add(server.url)
            return None
        except http.client.HTTPException:  # an answer, but not HTTP
            raise failure(server, "answered something that is not HTTP") from None
        try:
            data = response.read()
        except (ConnectionError, http.client.IncompleteRead):
            raise failure(server, "stopped while answering") from None
    finally:
        connection.close()
    answered = 200 <= response.status < 300
    error_type = response.headers.get("x-amzn-ErrorType")
    if error_type is None and not answered:
        error_type = _body_error_type(data)
    if error_type:
        raise _error(server, error_type, data)
    if not answered:
        said = data.decode("utf-8", "replace").strip().splitlines()
        detail = f": {said[0][:200]}" if said and said[0] != response.reason else ""
        raise failure(server, f"answered HTTP {response.status} {response.reason}{detail}")
    return Answer(response.status, response.headers, data)


def parsed(server: endpoint.Endpoint, text: str | bytes) -> Any:
    """JSON the server sent (a body, the summary header); anything else is its failure."""
    try:
        return json.loads(text)
    except ValueError:
        raise failure(server, "answered with JSON that does not parse") from None


def failure(server: endpoint.Endpoint, what: str) -> LambdactlError:
    return LambdactlError(
        f"lambdactl serve (pid {server.pid}, {server.url}) {what}",
        hint="its output says more",
    )


def _body_error_type(body: bytes) -> str | None:
    """An error's type from a body alone, where botocore looks when there is no
    `x-amzn-ErrorType` header (`__type`, or `code`)."""
    try:
        fields = json.loads(body)
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    found = fields.get("__type") or fields.get("code")
    return str(found).rpartition("#")[2] if found else None


def _error(server: endpoint.Endpoint, error_type: str, body: bytes) -> LambdactlError:
    """The error AWS's type names, with the message the server sent; a failure of the server
    itself (ServiceException) as its own line."""
    try:
        fields = json.loads(body)
        message = str(fields.get("message", fields.get("Message", "")))
    except (ValueError, AttributeError):
        fields, message = {}, body.decode("utf-8", "replace").strip().partition("\n")[0]
    if not isinstance(fields, dict):
        fields = {}
    error_type = error_type.partition(":")[0]  # botocore: `Type:extra` names Type
    kind = _aws_errors().get(error_type)
    if kind is TooManyRequestsException:
        return TooManyRequestsException(str(fields.get("Reason", "")), message)
    if kind is None or kind is AwsError:
        error = failure(server, f"failed: {error_type}: {message}")
        error.exit_code = AwsError.exit_code  # an error in AWS's shape, of AWS's kind
        return error
    return kind(message)


def _aws_errors() -> dict[str, type[AwsError]]:
    found: dict[str, type[AwsError]] = {}
    waiting: list[type[AwsError]] = [AwsError]
    while waiting:
        kind = waiting.pop()
        found.setdefault(kind.aws_type, kind)
        waiting.extend(kind.__subclasses__())
    return found
