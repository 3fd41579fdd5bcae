"""`lambdactl invoke`, run in-process through the real entry point (real environments)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tty
from pathlib import Path

import pytest

from lambdactl import endpoint
from tests.api.conftest import Server
from tests.runtime import REQUEST_ID, fn, write_functions
from tests.test_lockfile import held

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
PARSE_PREFIX = (
    "error: InvalidRequestContentException: Could not parse request body into json: "
    "Could not parse payload into json: "
)


@pytest.fixture
def functions(project_dir: Path) -> Path:
    """`hello` (from tests/conftest.py) plus fixture functions."""
    write_functions(
        project_dir,
        {
            "hello": {"handler": "app.handler", "environment": {"GREETING": "Hello"}},
            "echo": fn("app.echo"),
            "fails": fn("app.fails"),
            "raw": fn("app.returns_plain_bytes", source=None),
            "ctx": fn("app.context_info"),
            "noisy": fn("app.noisy"),
            "broken": fn("app.handler", "import_missing.py"),
            "lines": fn("app.handler", source=None),
            "environ": fn("app.environ", environment={"STAGE": "prod", "TABLE": "t"}),
            # boto3 is imported in the handler: 1 GB (58% of a CPU), so a loaded machine does
            # not stretch its first import past the timeout (the test is about the endpoint)
            "caller": fn("app.invoke_other", "calls_aws.py", timeout=30, memory=1024),
        },
    )
    (project_dir / "src" / "raw" / "app.py").write_text(
        "def returns_plain_bytes(event, context):\n    return b'plain text, not json'\n"
    )
    (project_dir / "src" / "lines" / "app.py").write_text(
        "def handler(event, context):\n    return b'a\\nb\\n'\n"
    )
    return project_dir


def test_prints_the_payload_exactly(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "hello", "-p", '{"name":"x"}')
    assert result.code == 0
    assert result.out == '{"hello": "x"}'
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    match = re.match(rf"RequestId: ({REQUEST_ID})  Version: \$LATEST  Duration: ", lines[0])
    assert match, lines[0]
    assert "Init Duration: " in lines[0]
    assert "Memory Size: 128 MB" in lines[0]


def test_no_payload_sends_an_empty_object(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "echo")
    assert (result.code, result.out) == (0, "{}")


def test_raw_bytes_are_printed_as_returned(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "raw")
    assert (result.code, result.out) == (0, "plain text, not json")


def test_function_error_prints_the_error_payload_and_exits_1(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "fails")
    assert result.code == 1
    body = json.loads(result.out)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (body["errorMessage"], body["errorType"]) == ("bad thing", "ValueError")
    assert f"RequestId: {body['requestId']}" in result.err
    assert "Error: " in result.err


def test_init_error_exits_1(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "broken")
    assert result.code == 1
    assert json.loads(result.out) == {
        "errorMessage": "Unable to import module 'app': No module named 'missing_dependency_xyz'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert "Error: Runtime.ImportModuleError" in result.err


def test_output_json(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "hello", "-p", '{"name": "j"}', "--output", "json")
    assert result.code == 0
    shape = result.json()
    assert list(shape) == ["StatusCode", "ExecutedVersion", "Payload", "RequestId"]
    assert shape["StatusCode"] == 200
    assert shape["ExecutedVersion"] == "$LATEST"
    assert shape["Payload"] == {"hello": "j"}
    assert re.fullmatch(REQUEST_ID, shape["RequestId"])
    assert result.err == ""


def test_output_json_with_function_error_and_tail(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "fails", "--output", "json", "--log-type", "Tail")
    assert result.code == 1
    shape = result.json()
    assert list(shape) == [
        "StatusCode",
        "FunctionError",
        "ExecutedVersion",
        "LogResult",
        "Payload",
        "RequestId",
    ]
    assert (shape["StatusCode"], shape["FunctionError"]) == (200, "Unhandled")
    assert shape["Payload"]["requestId"] == shape["RequestId"]
    log = base64.b64decode(shape["LogResult"]).decode()
    assert log.startswith(f"START RequestId: {shape['RequestId']} Version: $LATEST\n")
    assert "[ERROR] ValueError: bad thing\r" in log
    assert f"\nEND RequestId: {shape['RequestId']}\n" in log
    assert re.search(rf"\nREPORT RequestId: {shape['RequestId']}\t.*\t\n$", log)


def test_tail_in_text_mode_goes_to_stderr(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "noisy", "--log-type", "Tail")
    assert (result.code, result.out) == (0, '"ok"')
    tail, _, _summary = result.err.rpartition("REPORT RequestId: ")
    assert len(tail.encode()) < 4096
    assert "END RequestId: " in tail
    assert "n" * 1000 in tail


def test_event_file(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event = tmp_path / "event.json"
    event.write_text('{"from": "file"}')
    result = cli("invoke", "echo", "--event", str(event))
    assert (result.code, json.loads(result.out)) == (0, {"from": "file"})
    missing = cli("invoke", "echo", "--event", str(tmp_path / "nope.json"))
    assert missing.code == 2
    assert "cannot read event file" in missing.err


def test_event_from_stdin(cli, functions, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    class Stdin:
        buffer = io.BytesIO(b'{"from": "stdin"}')

    monkeypatch.setattr(sys, "stdin", Stdin())
    result = cli("invoke", "echo", "--event", "-")
    assert (result.code, json.loads(result.out)) == (0, {"from": "stdin"})


def test_payload_and_event_together_is_a_usage_error(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event = tmp_path / "event.json"
    event.write_text("{}")
    result = cli("invoke", "echo", "-p", "{}", "--event", str(event))
    assert result.code == 2
    assert result.out == ""
    assert "not both" in result.err


def test_invalid_json_exits_2_with_aws_message(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "echo", "-p", '{"a": }')
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(PARSE_PREFIX + "Unexpected character ('}' (code 125))")


def test_payload_over_6_mb_exits_2(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event = tmp_path / "big.json"
    event.write_bytes(b'"' + b"x" * 6291456 + b'"')
    result = cli("invoke", "echo", "--event", str(event))
    assert result.code == 2
    assert result.err.strip() == (
        "error: RequestEntityTooLargeException: Request must be smaller than 6291456 bytes "
        "for the InvokeFunction operation"
    )


def test_dry_run_prints_nothing(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "echo", "-p", '{"a": 1}', "--invocation-type", "DryRun")
    assert (result.code, result.out) == (0, "")
    assert "DryRun: OK" in result.err
    as_json = cli("invoke", "echo", "--invocation-type", "DryRun", "--output", "json")
    assert as_json.code == 0
    assert as_json.json()["StatusCode"] == 204


def test_unknown_function_exits_3(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "nope")
    assert result.code == 3
    assert result.out == ""
    assert result.err.strip() == f"error: ResourceNotFoundException: Function not found: {ARN}:nope"


def test_unknown_qualifier_exits_3(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "echo:7")
    assert result.code == 3
    assert f"Function not found: {ARN}:echo:7" in result.err


def test_qualifier_and_client_context(cli, functions) -> None:  # type: ignore[no-untyped-def]
    assert cli("publish", "ctx").code == 0
    context = json.dumps({"custom": {"k": "v"}, "client": {"app_title": "T"}})
    result = cli("invoke", "ctx", "--qualifier", "1", "--client-context", context)
    assert result.code == 0
    seen = json.loads(result.out)
    assert seen["invoked_function_arn"] == f"{ARN}:ctx:1"
    assert seen["function_version"] == "1"
    assert seen["client_context"]["custom"] == {"k": "v"}
    assert seen["client_context"]["app_title"] == "T"
    assert "Version: 1" in result.err
    encoded = base64.b64encode(context.encode()).decode()
    again = cli("invoke", "ctx:1", "--client-context", encoded)
    assert json.loads(again.out)["client_context"]["custom"] == {"k": "v"}


def test_bad_invocation_type_exits_2(cli, functions) -> None:  # type: ignore[no-untyped-def]
    result = cli("invoke", "echo", "--invocation-type", "Later")
    assert result.code == 2
    assert "Member must satisfy enum value set: [Event, RequestResponse, DryRun]" in result.err


@pytest.mark.parametrize(
    ("given", "got"),
    [
        ("notjson", "'notjson'"),
        ("[1, 2]", "a JSON array"),
        ('"text"', "a JSON string"),
        (base64.b64encode(b"[1]").decode(), "a JSON array"),
    ],
)
def test_a_bad_client_context_says_what_the_flag_takes(cli, functions, given, got) -> None:  # type: ignore[no-untyped-def]
    for extra in ((), ("--async",)):
        result = cli("invoke", "ctx", "--client-context", given, *extra)
        assert (result.code, result.out) == (2, "")
        assert result.err.strip() == (
            "error: --client-context takes a JSON object such as "
            f'\'{{"custom": {{"key": "value"}}}}\' (or its base64), not {got}'
        )


def test_the_invoker_keeps_aws_wording_for_client_context(invoker) -> None:  # type: ignore[no-untyped-def]
    """The API's ClientContext is base64 text: what is not gets AWS's message."""
    from lambdactl.errors import InvalidRequestContentException

    with pytest.raises(InvalidRequestContentException) as raised:
        invoker.invoke("hello", client_context="notjson")
    assert str(raised.value) == (
        "InvalidRequestContentException: Client context must be a valid Base64-encoded JSON object."
    )


def _invoke_process(project_dir: Path, function: str, *, terminal: bool) -> tuple[bytes, str]:
    """`lambdactl invoke FUNCTION` as a process whose stdout is a terminal (a pty, in raw mode
    so the bytes arrive untranslated) or a pipe: (stdout bytes, stderr)."""
    if not terminal:
        done = subprocess.run(
            [sys.executable, "-m", "lambdactl", "invoke", function],
            cwd=project_dir,
            capture_output=True,
            timeout=60,
        )
        return done.stdout, done.stderr.decode()
    reader, writer = os.openpty()
    tty.setraw(writer)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lambdactl", "invoke", function],
            cwd=project_dir,
            stdout=writer,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(writer)
    out = b""
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # EIO: the terminal's other side is closed and drained
            break
        if not chunk:
            break
        out += chunk
    os.close(reader)
    return out, done.stderr.decode()


@pytest.mark.parametrize(
    ("function", "returned"),
    [("hello", b'{"hello": "world"}'), ("raw", b"plain text, not json"), ("lines", b"a\nb\n")],
)
def test_on_a_terminal_the_payload_ends_its_line(functions, function, returned) -> None:  # type: ignore[no-untyped-def]
    """So the summary on stderr starts a line of its own; a pipe gets the exact bytes."""
    piped, err = _invoke_process(functions, function, terminal=False)
    assert piped == returned, err
    shown, err = _invoke_process(functions, function, terminal=True)
    assert shown == returned.removesuffix(b"\n") + b"\n", err
    assert err.startswith("RequestId: ")


# --- with `lambdactl serve` running: the invoke is handed to it (cli/warm.py) ---------------


def stream_of(result) -> str:  # type: ignore[no-untyped-def]
    """The log stream, hence the environment, that ran an `environ` invoke."""
    assert result.code == 0, result.err
    return json.loads(result.out)["AWS_LAMBDA_LOG_STREAM_NAME"]  # type: ignore[no-any-return]


def test_a_running_server_takes_the_invoke_warm(cli, functions, serve) -> None:  # type: ignore[no-untyped-def]
    serve()
    first, second = cli("invoke", "environ"), cli("invoke", "environ")
    assert stream_of(first) == stream_of(second)  # one environment, kept warm by the server
    assert "Init Duration" in first.err
    assert "Init Duration" not in second.err
    again = cli("invoke", "environ", "-p{}")  # a spelling only typer parses: it hands over too
    assert stream_of(again) == stream_of(first)


def _normalized(text: str) -> str:
    """Output with what differs between any two runs (ids, durations, memory) and between a
    warm and a cold run (Init Duration, hence where a 4 KB tail starts) taken out."""
    text = re.sub(REQUEST_ID, "<id>", text)
    text = re.sub(r"(Duration|Max Memory Used): [\d.]+", r"\1: <n>", text)
    text = re.sub(r"n{100,}", "n…", text)  # `noisy`'s: the 4 KB tail starts where it will
    return re.sub(r"(\t|  )Init Duration: <n> ms", "", text)


def _shown(result) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    out = result.out
    if out.startswith("{"):  # -o json: the log's base64 decoded, to compare it as text
        shape = json.loads(out)
        if "LogResult" in shape:
            shape["LogResult"] = _normalized(base64.b64decode(shape["LogResult"]).decode())
        out = json.dumps(shape, indent=1)
    return result.code, _normalized(out), _normalized(result.err)


SAME_EITHER_WAY = [
    ("invoke", "hello", "-p", '{"name": "x"}'),
    ("invoke", "hello", "--payload={}", "-o", "json"),
    ("invoke", "fails"),
    ("invoke", "fails", "-o", "json", "--log-type", "Tail"),
    ("invoke", "noisy", "--log-type", "Tail"),
    ("invoke", "broken"),
    ("invoke", "echo", "--invocation-type", "DryRun"),
    ("invoke", "echo", "--invocation-type", "DryRun", "-o", "json"),
    ("invoke", "echo", "--async"),
    ("invoke", "echo", "--async", "-o", "json"),
    ("invoke", "raw"),
    ("invoke", "nope"),
    ("invoke", "echo:7"),
    ("invoke", "echo", "-q", "live"),
    ("invoke", "echo", "-p", '{"a": }'),
    ("invoke", "echo", "--invocation-type", "Later"),
    ("invoke", "bad name!"),
    ("invoke", "ctx", "--client-context", "[1]"),
    ("invoke", "echo", "--event", "/nonexistent/event.json"),
]


def test_the_output_is_the_same_through_the_server_and_here(  # type: ignore[no-untyped-def]
    cli, functions, serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDACTL_WORKER_IDLE_EXIT", "0.5")  # the local --async's worker
    server = serve()
    warm = [_shown(cli(*argv)) for argv in SAME_EITHER_WAY]
    server.stop()
    local = [_shown(cli(*argv)) for argv in SAME_EITHER_WAY]
    for argv, through_server, here in zip(SAME_EITHER_WAY, warm, local, strict=True):
        assert through_server == here, argv


def test_the_client_context_and_qualifier_reach_the_function(cli, functions, serve) -> None:  # type: ignore[no-untyped-def]
    assert cli("publish", "ctx").code == 0
    serve()
    context = json.dumps({"custom": {"k": "v"}})
    result = cli("invoke", "ctx", "--qualifier", "1", "--client-context", context)
    assert result.code == 0, result.err
    seen = json.loads(result.out)
    assert seen["invoked_function_arn"] == f"{ARN}:ctx:1"
    assert seen["client_context"]["custom"] == {"k": "v"}


def test_what_the_server_cannot_do_for_one_call_runs_here(  # type: ignore[no-untyped-def]
    cli, functions, serve, tmp_path: Path
) -> None:
    serve()
    warm = stream_of(cli("invoke", "environ"))
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"environ": {"TABLE": "local", "EXTRA": "x"}, "gone": {}}))
    result = cli("invoke", "environ", "--env-vars", str(env_file))
    assert stream_of(result) != warm  # the server's environments have their own variables
    seen = json.loads(result.out)
    assert (seen["STAGE"], seen["TABLE"], seen["EXTRA"]) == ("prod", "local", "x")
    assert result.err.startswith(
        f"warning: {env_file}: gone: the project has no function gone; ignored\n"
    )
    unthrottled = cli("invoke", "environ", "--no-cpu-throttle")
    assert stream_of(unthrottled) not in (warm, stream_of(result))
    assert "Init Duration" in unthrottled.err


def test_env_vars_cannot_reach_an_async_event(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "env.json"
    env_file.write_text("{}")
    result = cli("invoke", "environ", "--async", "--env-vars", str(env_file))
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines() == [
        "error: --env-vars applies to a function this command runs; an --async event is run "
        "later by the worker, without it",
        "hint: start `lambdactl serve --env-vars FILE`: its worker runs events with them",
    ]


def test_a_dotenv_file_adds_and_overrides(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / ".env"
    env_file.write_text('export STAGE=local  # mine\nGREETING="one\\ttwo"\n')
    result = cli("invoke", "environ", "--env-vars", str(env_file))
    assert result.code == 0, result.err
    seen = json.loads(result.out)
    assert (seen["STAGE"], seen["TABLE"], seen["GREETING"]) == ("local", "t", "one\ttwo")


def test_a_bad_dotenv_line_is_one_line(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / ".env"
    env_file.write_text("STAGE=local\nLAMBDA_TASK_ROOT=/elsewhere\n")
    result = cli("invoke", "environ", "--env-vars", str(env_file))
    assert (result.code, result.out) == (2, "")
    assert result.err.strip() == (
        f"error: {env_file}:2: LAMBDA_TASK_ROOT: Lambda was unable to configure your environment "
        "variables because the environment variables you have provided contains reserved keys "
        "that are currently not supported for modification. Reserved keys used in this request: "
        "LAMBDA_TASK_ROOT"
    )


def test_a_bad_env_vars_file_is_one_line(cli, functions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "env.json"
    env_file.write_text('{"environ": {"TABLE": "x",}}')
    result = cli("invoke", "environ", "--env-vars", str(env_file))
    assert (result.code, result.out) == (2, "")
    assert result.err.strip() == (
        f"error: {env_file}:1: invalid JSON: Expecting property name enclosed in double quotes "
        "(column 27)"
    )


def test_a_function_calling_another_reaches_the_server_from_here_too(  # type: ignore[no-untyped-def]
    cli, functions, serve
) -> None:
    """Run here (an option the server cannot honour), the function's boto3 still talks to
    the running server: the local invoker found it."""
    server: Server = serve()
    event = json.dumps({"function": "echo", "payload": {"via": "server"}})
    for extra in ((), ("--no-cpu-throttle",)):  # handed to the server; run here
        result = cli("invoke", "caller", "-p", event, *extra)
        assert result.code == 0, (result.out, result.err)
        assert json.loads(result.out) == {
            "StatusCode": 200,
            "Payload": {"via": "server"},
            "endpoint": server.url,
        }


def test_a_stale_endpoint_file_is_ignored(cli, functions, serve) -> None:  # type: ignore[no-untyped-def]
    server: Server = serve()
    warm = stream_of(cli("invoke", "environ"))
    server.stop(signal.SIGKILL)
    assert (functions / ".lambda" / endpoint.FILE_NAME).exists()
    result = cli("invoke", "environ")
    assert stream_of(result) != warm
    assert "Init Duration" in result.err
    assert "AWS_ENDPOINT_URL_LAMBDA" not in json.loads(result.out)


def test_a_server_gone_between_the_check_and_the_request_means_a_local_run(  # type: ignore[no-untyped-def]
    cli, functions
) -> None:
    """The lock is held and the file names its holder, but nothing listens on the port (the
    server closed it while stopping): the invoke runs here, once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = functions / ".lambda"
    state.mkdir(exist_ok=True)
    manifest = (functions / "functions.yaml").resolve()
    with held(state / "worker.lock") as holder:
        url = f"http://127.0.0.1:{port}"
        announced = endpoint.Endpoint(url, holder.pid, str(manifest), endpoint.stamp(manifest))
        endpoint.publish(state, announced)
        for argv in (("invoke", "hello"), ("invoke", "hello", "-p{}")):
            result = cli(*argv)
            assert (result.code, result.out) == (0, '{"hello": "world"}'), result.err
            assert "Init Duration" in result.err


def test_an_edited_manifest_is_run_here_not_by_the_server_that_read_the_old_one(  # type: ignore[no-untyped-def]
    cli, functions, serve
) -> None:
    serve()
    warm = stream_of(cli("invoke", "environ"))
    manifest = functions / "functions.yaml"
    data = json.loads(manifest.read_text())
    data["functions"]["environ"]["environment"]["STAGE"] = "edited"
    manifest.write_text(json.dumps(data))
    result = cli("invoke", "environ")
    assert stream_of(result) != warm
    assert json.loads(result.out)["STAGE"] == "edited"


# -- debugging (issue 11) -----------------------------------------------------------------------


def test_invoke_under_the_debugger_outlasts_its_timeout_while_stopped(  # type: ignore[no-untyped-def]
    project_dir: Path, debug_cache: Path
) -> None:
    from tests.dap import Dap, free_port, marked_line

    write_functions(project_dir, {"f": fn("app.handler", "debugged.py")})  # timeout 1 s
    code = (project_dir / "src" / "f" / "app.py").resolve()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "invoke", "f", "--debug-port", str(port)],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        waiting = process.stderr.readline().decode()
        assert waiting == f"waiting for a debugger to attach on 127.0.0.1:{port}\n"
        editor = Dap("127.0.0.1", port)
        editor.attach({code: [marked_line(code, "handler")]})
        thread = editor.stopped()["threadId"]
        time.sleep(2)  # stopped past the timeout
        # The handler then returns and the CLI ends, its environment with it: the editor may
        # see the connection close before debugpy's answer to `continue` (see `Dap.resume`);
        # the CLI's output below says whether the handler went on.
        editor.resume(thread, last=True)
        out, err = process.communicate(timeout=60)
        editor.disconnect()
    finally:
        process.kill()
        process.wait()
    assert (process.returncode, json.loads(out)) == (0, {"answer": 42})
    assert "Init Duration" in err.decode()


def test_a_debug_port_in_use_is_one_line(cli, functions) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("invoke", "hello", "--debug-port", str(port))
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines() == [
        f"error: cannot debug hello on 127.0.0.1:{port}: address already in use",
        "hint: choose another port with --debug-port",
    ]


def test_a_failed_debugpy_install_names_what_failed(  # type: ignore[no-untyped-def]
    cli, functions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dap import free_port

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # as without a network: nowhere to download from
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    result = cli("invoke", "hello", "--debug-port", str(free_port()))
    python = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    target = tmp_path / "cache" / "lambdactl" / "debugpy" / f"{python}-{os.uname().machine}"
    assert (result.code, result.out) == (8, "")
    [line] = result.err.splitlines()
    assert line.startswith(f"error: installing debugpy for {python} (")
    assert f") into {target} failed: ERROR: " in line
    assert not target.exists()
