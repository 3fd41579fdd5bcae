"""lambdactl's Python runtime client, run for real in an execution environment.

Every expectation is AWS's managed Python runtime (awslambdaric): spec §2.1-2.3, §3, §4.2.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest

from lambdactl.logs import lines as logs
from lambdactl.manifest import FunctionConfig
from lambdactl.runtime import interpreters
from lambdactl.runtime.environment import Environment, EnvironmentSpec, Request
from tests.runtime import REQUEST_ID, Deployment, fn, payload, report_line

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
WARNING_PREFIX = "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the "


def _line_of(path: Path, text: str) -> int:
    """1-based number of the only line of `path` that contains `text`."""
    found = [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(found) == 1, found
    return found[0]


def _between_start_and_end(log: tuple[str, ...]) -> list[str]:
    start = next(i for i, line in enumerate(log) if line.startswith("START "))
    end = next(i for i, line in enumerate(log) if line.startswith("END "))
    return list(log[start + 1 : end])


# -- success payloads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("app.shaped", b'{"message": "hi", "nested": {"list": [1, 2.5, true, null]}}'),
        ("app.returns_none", b"null"),
        ("app.returns_bytes", b"\x00raw\xff bytes"),
        ("app.returns_decimal", b'{"price": 1.10, "big": 12345678901234567890.123}'),
        ("app.returns_non_ascii", b'{"name": "caf\\u00e9"}'),
    ],
    ids=["dict", "none", "bytes", "decimal", "non-ascii"],
)
def test_success_payload_bytes(deploy: Deployment, handler: str, expected: bytes) -> None:
    result = deploy(f=fn(handler)).invoke("f")
    assert result.payload == expected
    assert (result.status_code, result.function_error, result.executed_version) == (
        200,
        None,
        "$LATEST",
    )
    assert result.error_type is None


def test_event_round_trips_and_empty_payload_is_an_empty_object(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.echo"))
    sent = {"a": [1, "caf\u00e9", {"b": None}], "n": 1.5}
    echoed = invoker.invoke("f", payload=json.dumps(sent).encode())
    assert payload(echoed) == sent
    assert echoed.payload == b'{"a": [1, "caf\\u00e9", {"b": null}], "n": 1.5}'
    assert invoker.invoke("f", payload=b"").payload == b"{}"
    assert invoker.invoke("f", payload=b"  \n").payload == b"{}"


def test_python312_does_not_escape_non_ascii(deploy: Deployment) -> None:
    """From python3.12 on, the runtime encodes with ensure_ascii=False (spec §2.3)."""
    result = deploy(f=fn("app.returns_non_ascii", runtime="python3.12")).invoke("f")
    assert result.payload == '{"name": "caf\u00e9"}'.encode()


def test_negative_nan_decimal_is_written_as_nan(deploy: Deployment) -> None:
    result = deploy(f=fn("app.returns_nan_decimal")).invoke("f", payload=b'{"value": "-NaN"}')
    assert result.payload == b'{"value": NaN}'


# -- handler exceptions -------------------------------------------------------------------------


def test_handler_exception_payload(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.fails"))
    result = invoker.invoke("f")
    app = deploy.code_dir("f") / "app.py"
    call, boom = _line_of(app, "    _boom()"), _line_of(app, 'raise ValueError("bad thing")')
    body = payload(result)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body == {
        "errorMessage": "bad thing",
        "errorType": "ValueError",
        "requestId": result.request_id,
        "stackTrace": [
            f'  File "{app}", line {call}, in fails\n    _boom()\n',
            f'  File "{app}", line {boom}, in _boom\n    raise ValueError("bad thing")\n',
        ],
    }
    assert result.payload.startswith(b'{"errorMessage": "bad thing", "errorType": "ValueError", ')
    assert (result.status_code, result.function_error) == (200, "Unhandled")
    assert "python_runtime.py" not in result.payload.decode()

    error_line = (
        "[ERROR] ValueError: bad thing\rTraceback (most recent call last):\r"
        f'\u00a0\u00a0File "{app}", line {call}, in fails\r\u00a0\u00a0\u00a0\u00a0_boom()\r'
        f'\u00a0\u00a0File "{app}", line {boom}, in _boom\r'
        '\u00a0\u00a0\u00a0\u00a0raise ValueError("bad thing")'
    )
    assert _between_start_and_end(result.log) == [error_line]
    # the environment stays warm after a handler exception
    again = invoker.invoke("f")
    assert again.init_duration_ms is None
    assert payload(again)["requestId"] == again.request_id != result.request_id


def test_stack_trace_has_no_caret_lines(deploy: Deployment) -> None:
    result = deploy(f=fn("app.fails_in_expression")).invoke("f")
    app = deploy.code_dir("f") / "app.py"
    line = _line_of(app, 'return {"value": _boom()}')
    assert payload(result)["stackTrace"][0] == (
        f'  File "{app}", line {line}, in fails_in_expression\n    return {{"value": _boom()}}\n'
    )


def test_marshal_error(deploy: Deployment) -> None:
    result = deploy(f=fn("app.returns_set")).invoke("f")
    assert result.payload == (
        b'{"errorMessage": "Unable to marshal response: Object of type set is not JSON '
        b'serializable", "errorType": "Runtime.MarshalError", "requestId": "'
        + result.request_id.encode()
        + b'", "stackTrace": []}'
    )
    assert result.function_error == "Unhandled"
    assert _between_start_and_end(result.log) == [
        "[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type set is not "
        "JSON serializable\rTraceback (most recent call last):"
    ]


# -- init errors --------------------------------------------------------------------------------


def _init_error(message: str, error_type: str) -> bytes:
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}
    ).encode()


def _check_init_failure_logs(result, error_type: str, error_line: str) -> None:  # type: ignore[no-untyped-def]
    init_log = list(result.init_log)
    assert init_log[0].startswith("INIT_START Runtime Version: python:3.11.v")
    warning = [line for line in init_log if "LAMBDA_WARNING" in line]
    assert len(warning) == 1
    assert re.fullmatch(rf"\[WARNING\]\t{TIMESTAMP}\t\t{re.escape(WARNING_PREFIX)}.*\r", warning[0])
    assert warning[0].endswith(
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
    )
    assert error_line in init_log
    assert re.fullmatch(
        rf"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\t"
        rf"Error Type: {re.escape(error_type)}",
        init_log[-1],
    )
    rid = result.request_id
    assert result.log[0] == f"START RequestId: {rid} Version: $LATEST"
    assert result.log[1] == f"END RequestId: {rid}"
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        rf"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tStatus: error\t"
        rf"Error Type: {re.escape(error_type)}",
        result.log[2],
    )
    assert len(result.log) == 3
    assert (result.function_error, result.error_type) == ("Unhandled", error_type)


@pytest.mark.parametrize(
    ("source", "handler", "message", "error_type"),
    [
        (
            "basic.py",
            "nothere.handler",
            "Unable to import module 'nothere': No module named 'nothere'",
            "Runtime.ImportModuleError",
        ),
        (
            "import_missing.py",
            "app.handler",
            "Unable to import module 'app': No module named 'missing_dependency_xyz'",
            "Runtime.ImportModuleError",
        ),
        (
            "basic.py",
            "app.nope",
            "Handler 'nope' missing on module 'app'",
            "Runtime.HandlerNotFound",
        ),
    ],
    ids=["module-missing", "imports-missing-module", "handler-not-found"],
)
def test_init_error_payload(
    deploy: Deployment, source: str, handler: str, message: str, error_type: str
) -> None:
    result = deploy(f=fn(handler, source)).invoke("f")
    assert result.payload == _init_error(message, error_type)
    assert list(payload(result)) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert result.init_duration_ms is None
    _check_init_failure_logs(
        result,
        error_type,
        f"[ERROR] {error_type}: {message}\rTraceback (most recent call last):",
    )


def test_syntax_error(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.handler", None))
    app = deploy.code_dir("f") / "app.py"
    app.write_text("X = 1\ndef handler(event, context)\n    return X\n")
    result = invoker.invoke("f")
    message = "Syntax error in module 'app': expected ':' (app.py, line 2)"
    trace = f'  File "{app}" Line 2\n    def handler(event, context)\n'
    assert (
        result.payload
        == json.dumps(
            {
                "errorMessage": message,
                "errorType": "Runtime.UserCodeSyntaxError",
                "requestId": "",
                "stackTrace": [trace],
            }
        ).encode()
    )
    _check_init_failure_logs(
        result,
        "Runtime.UserCodeSyntaxError",
        f"[ERROR] Runtime.UserCodeSyntaxError: {message}\rTraceback (most recent call last):\r"
        f'\u00a0\u00a0File "{app}" Line 2\r\u00a0\u00a0\u00a0\u00a0def handler(event, context)',
    )


def test_other_exception_at_import(deploy: Deployment) -> None:
    result = deploy(f=fn("app.handler", "import_raises.py")).invoke("f")
    app = deploy.code_dir("f") / "app.py"
    body = payload(result)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (body["errorMessage"], body["errorType"], body["requestId"]) == (
        "broken at import",
        "RuntimeError",
        "",
    )
    line = _line_of(app, "raise RuntimeError")
    assert body["stackTrace"][-1] == (
        f'  File "{app}", line {line}, in <module>\n    raise RuntimeError("broken at import")\n'
    )
    assert not any("python_runtime.py" in frame for frame in body["stackTrace"])
    assert (result.function_error, result.error_type) == ("Unhandled", "RuntimeError")
    assert result.init_log[-1].endswith("\tPhase: init\tStatus: error\tError Type: RuntimeError")
    assert result.log[-1].endswith("\tStatus: error\tError Type: RuntimeError")


def test_init_is_retried_on_every_invoke_until_it_succeeds(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.handler", "import_missing.py"))
    first = invoker.invoke("f")
    second = invoker.invoke("f")
    for failed in (first, second):
        assert failed.error_type == "Runtime.ImportModuleError"
        assert failed.init_log[0].startswith("INIT_START ")
        assert failed.function_error == "Unhandled"
    (deploy.code_dir("f") / "app.py").write_text(
        "def handler(event, context):\n    return 'fixed'\n"
    )
    fixed = invoker.invoke("f")
    assert (fixed.payload, fixed.function_error) == (b'"fixed"', None)
    assert fixed.init_duration_ms is not None
    assert fixed.init_log[0].startswith("INIT_START ")


def test_malformed_handler_name(tmp_path: Path) -> None:
    """The manifest refuses such a handler, so drive an Environment directly."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    return 1\n")
    spec = EnvironmentSpec(
        function="bad",
        version="$LATEST",
        config=FunctionConfig(runtime="python3.11", handler="nodot", timeout=1),
        code_dir=code,
        layer_dirs=(),
        region="us-east-1",
        account="123456789012",
        interpreter=interpreters.for_runtime("python3.11"),
    )
    env = Environment(spec, scratch_root=tmp_path / "scratch")
    try:
        request_id = str(uuid.uuid4())
        arn = "arn:aws:lambda:us-east-1:123456789012:function:bad"
        result = env.invoke(Request(request_id, b"{}", arn))
    finally:
        env.shutdown()
    message = "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"
    assert result.payload == _init_error(message, "Runtime.MalformedHandlerName")
    assert result.function_error is True
    assert result.report.error_type == "Runtime.MalformedHandlerName"
    assert result.init_log[-1].endswith(
        "\tPhase: init\tStatus: error\tError Type: Runtime.MalformedHandlerName"
    )
    assert result.log[-1].endswith("\tStatus: error\tError Type: Runtime.MalformedHandlerName")
    assert not env.alive


# -- the context object -------------------------------------------------------------------------


def test_context_object(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.context_info"))
    client_context = {
        "custom": {"tenant": "acme", "n": 1},
        "env": {"locale": "en_GB"},
        "client": {"app_title": "My App", "installation_id": "inst-1"},
    }
    encoded = base64.b64encode(json.dumps(client_context).encode()).decode()
    result = invoker.invoke("f", client_context=encoded)
    seen = payload(result)
    remaining = seen.pop("remaining")
    assert 0 < remaining <= 1000
    stream = seen.pop("log_stream_name")
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)
    assert stream == result.stream_name
    assert seen == {
        "function_name": "f",
        "function_version": "$LATEST",
        "memory_limit_in_mb": "128",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "aws_request_id": result.request_id,
        "log_group_name": "/aws/lambda/f",
        "client_context": {
            "custom": {"tenant": "acme", "n": 1},
            "env": {"locale": "en_GB"},
            "app_title": "My App",
            "installation_id": "inst-1",
        },
        "cognito_identity_id": None,
        "cognito_identity_pool_id": None,
    }
    without = payload(invoker.invoke("f"))
    assert without["client_context"] is None
    assert without["log_stream_name"] == stream  # same (warm) environment, same stream


def test_client_context_written_over_several_lines(deploy: Deployment) -> None:
    """Valid JSON may contain newlines; the runtime must still get the object."""
    invoker = deploy(f=fn("app.context_info"))
    text = '{\n  "custom": {"k": "v"}\n}'
    result = invoker.invoke("f", client_context=base64.b64encode(text.encode()).decode())
    assert result.function_error is None, result.payload
    assert payload(result)["client_context"]["custom"] == {"k": "v"}


# -- what the function sees ---------------------------------------------------------------------


def test_environment_variables(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.environ", environment={"GREETING": "Hello", "STAGE": "dev"}))
    result = invoker.invoke("f")
    env = payload(result)
    code = str(deploy.code_dir("f"))
    expected = {
        "AWS_LAMBDA_FUNCTION_NAME": "f",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/f",
        "AWS_LAMBDA_LOG_STREAM_NAME": result.stream_name,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "LAMBDA_TASK_ROOT": code,
        "_HANDLER": "app.environ",
        "TZ": ":UTC",
        "GREETING": "Hello",
        "STAGE": "dev",
    }
    assert {key: env.get(key) for key in expected} == expected
    assert re.fullmatch(
        r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]", env["_X_AMZN_TRACE_ID"]
    )
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert "_LAMBDACTL_SYS_PATH" not in env
    assert "_LAMBDACTL_SYS_PATH_AFTER" not in env
    # a new trace id per invoke
    assert payload(invoker.invoke("f"))["_X_AMZN_TRACE_ID"] != env["_X_AMZN_TRACE_ID"]


@pytest.mark.parametrize("source", ["import_yaml.py", "import_typer.py"])
def test_lambdactl_dependencies_are_not_importable(deploy: Deployment, source: str) -> None:
    module = "yaml" if "yaml" in source else "typer"
    result = deploy(f=fn("app.handler", source)).invoke("f")
    assert result.payload == _init_error(
        f"Unable to import module 'app': No module named '{module}'", "Runtime.ImportModuleError"
    )


def test_layer_python_directory_is_importable(deploy: Deployment, project_dir: Path) -> None:
    layer = project_dir / "layers" / "common" / "python"
    layer.mkdir(parents=True)
    (layer / "shared.py").write_text("VALUE = 'from the layer'\n")
    result = deploy(f=fn("app.handler", "uses_layer.py", layers=["layers/common"])).invoke("f")
    assert payload(result) == {
        "value": "from the layer",
        "file": str((layer / "shared.py").resolve()),
    }


def test_working_directory_path_and_tmp(deploy: Deployment, project_dir: Path) -> None:
    seen = payload(deploy(f=fn("app.where")).invoke("f"))
    code = str(deploy.code_dir("f"))
    assert seen["cwd"] == code
    assert seen["sys_path"][0] == code
    assert not any("site-packages" in entry for entry in seen["sys_path"])
    assert not any("bootstrap" in entry for entry in seen["sys_path"])
    scratch = (project_dir / ".lambda" / "scratch").resolve()
    assert Path(seen["tmp"]).resolve().parent == scratch


# -- logs ---------------------------------------------------------------------------------------


def test_print_goes_to_the_log_between_start_and_end(deploy: Deployment) -> None:
    result = deploy(f=fn("app.prints")).invoke("f")
    rid = result.request_id
    assert result.log[0] == f"START RequestId: {rid} Version: $LATEST"
    assert list(result.log[1:3]) == ["x", "to stderr"]
    assert result.log[3] == f"END RequestId: {rid}"
    assert result.log[4].startswith(f"REPORT RequestId: {rid}\t")
    assert len(result.log) == 5


def test_logging_uses_the_runtime_text_format(deploy: Deployment) -> None:
    result = deploy(f=fn("app.logs")).invoke("f")
    lines = _between_start_and_end(result.log)
    assert len(lines) == 1
    assert re.fullmatch(rf"\[INFO\]\t{TIMESTAMP}\t{re.escape(result.request_id)}\thi", lines[0])
    assert re.fullmatch(REQUEST_ID, result.request_id)


def test_report_line_follows_end(deploy: Deployment) -> None:
    result = deploy(f=fn("app.echo")).invoke("f")
    assert report_line(result.log) == result.log[-1]
    assert result.log[-2] == logs.end(result.request_id)


def test_logging_first_imported_inside_the_handler_uses_the_runtime_format(
    deploy: Deployment, project_dir: Path
) -> None:
    invoker = deploy(f=fn("app.handler", None))
    (deploy.code_dir("f") / "app.py").write_text(
        "def handler(event, context):\n"
        "    import logging\n\n"
        "    logging.getLogger().setLevel(logging.INFO)\n"
        "    logging.getLogger('app').info('inside')\n"
        "    return [type(h).__name__ for h in logging.getLogger().handlers]\n"
    )
    result = invoker.invoke("f")
    assert payload(result) == ["_StdoutHandler"]
    lines = _between_start_and_end(result.log)
    assert len(lines) == 1
    assert re.fullmatch(rf"\[INFO\]\t{TIMESTAMP}\t{re.escape(result.request_id)}\tinside", lines[0])


# -- the runtime's own start --------------------------------------------------------------------


def test_the_runtime_has_loaded_what_awss_has_and_not_socket(deploy: Deployment) -> None:
    """`json` and `logging` are free for a handler, as on AWS, even one that imports them
    only when called (under CPU throttling, an import then would take ~1 s at 128 MB);
    `socket` (and the idna codec its name lookup loads), which AWS's runtime does not load,
    would cost every cold start ~3 ms."""
    invoker = deploy(f=fn("app.handler", None))
    (deploy.code_dir("f") / "app.py").write_text(
        "import sys\n\n"
        "NAMES = ('json', 'logging', 'traceback', 'socket', 'encodings.idna')\n"
        "LOADED = [name for name in NAMES if name in sys.modules]\n\n\n"
        "def handler(event, context):\n"
        "    return {'at_import': LOADED, 'at_call': [n for n in NAMES if n in sys.modules],\n"
        "            'event': event}\n"
    )
    result = invoker.invoke("f", payload=b'{"x": [1, 2.5, "\\u00e9"]}')
    loaded = ["json", "logging", "traceback"]
    assert payload(result) == {
        "at_import": loaded,
        "at_call": loaded,
        "event": {"x": [1, 2.5, "\u00e9"]},
    }


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32", "utf-16-le"])
def test_events_in_any_json_encoding_are_read_as_before(deploy: Deployment, encoding: str) -> None:
    invoker = deploy(f=fn("app.echo"))
    sent = {"a": [1, "caf\u00e9", {"b": None}], "n": -1.5e300, "big": 10**30}
    result = invoker.invoke("f", payload=json.dumps(sent).encode(encoding))
    assert payload(result) == sent


@pytest.mark.parametrize("module", ["json", "logging", "types", "re", "traceback"])
def test_a_module_named_like_the_runtimes_own_does_not_replace_it(
    deploy: Deployment, module: str
) -> None:
    """As on AWS, where the runtime imported them before the function's code."""
    invoker = deploy(f=fn("app.handler", None))
    code = deploy.code_dir("f")
    (code / f"{module}.py").write_text("raise RuntimeError('the function replaced the stdlib')\n")
    (code / "app.py").write_text(
        f"import {module}\nimport logging\n\n\n"
        "def handler(event, context):\n"
        f"    logging.getLogger().warning('file %s', {module}.__file__)\n"
        f"    return {module}.__file__\n"
    )
    result = invoker.invoke("f")
    assert result.function_error is None, result.payload
    assert not payload(result).startswith(str(code))
    (line,) = _between_start_and_end(result.log)
    assert re.fullmatch(rf"\[WARNING\]\t{TIMESTAMP}\t{REQUEST_ID}\tfile /.*", line)

