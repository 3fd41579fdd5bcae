"""The Invoker: validation, lifecycle, platform log lines and payload limits (spec §2, §4.2).

Every test runs real execution environments; `deploy` shuts them down at the end.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import threading
import time
from pathlib import Path

import pytest

from lambdactl import aliases, versions
from lambdactl.errors import (
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdactl.invoke import Invoker
from lambdactl.store.sqlite import SqliteStore
from tests.runtime import (
    REQUEST_ID,
    Deployment,
    fn,
    payload,
    process_gone,
    report_fields,
    report_line,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"
REPORT_HEAD = (
    r"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t"
)
TOO_LARGE = {
    "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    "errorType": "Function.ResponseSizeTooLarge",
}




def _run(invoker: Invoker, **event: object):  # type: ignore[no-untyped-def]
    return invoker.invoke("f", payload=json.dumps(event).encode())


def test_invoke_validates_before_running(deploy: Deployment, tmp_path: Path) -> None:
    invoker = deploy(f=fn("app.marker"))
    marker = tmp_path / "marker"
    with pytest.raises(InvalidRequestContentException):
        invoker.invoke("f", payload=b"{nope")
    with pytest.raises(RequestEntityTooLargeException):
        invoker.invoke("f", payload=b" " * (6291456 + 1))
    with pytest.raises(ValidationException) as info:
        invoker.invoke("f", invocation_type="Sync")
    assert info.value.message == (
        "1 validation error detected: Value 'Sync' at 'invocationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
    )
    with pytest.raises(ValidationException):
        invoker.invoke("f", log_type="Full")
    with pytest.raises(ResourceNotFoundException) as missing:
        invoker.invoke("nope")
    assert missing.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )
    queued = invoker.invoke("f", invocation_type="Event")  # queued for the worker, not run here
    assert (queued.status_code, queued.payload) == (202, b"")
    assert not marker.exists()
    assert not (Path(".lambda") / "scratch").exists() or not any(
        (Path(".lambda") / "scratch").iterdir()
    )


# -- successful invokes and the platform lines --------------------------------------------------


def test_hello_function(invoker: Invoker) -> None:
    result = invoker.invoke("hello", payload=b'{"name": "x"}')
    assert result.payload == b'{"hello": "x"}'
    assert (result.status_code, result.executed_version, result.function_error) == (
        200,
        "$LATEST",
        None,
    )
    assert re.fullmatch(REQUEST_ID, result.request_id)
    assert result.log_result is None
    assert result.memory_mb == 128


def test_warm_reuse_and_report_lines(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.count"))
    results = [invoker.invoke("f") for _ in range(3)]
    assert [r.payload for r in results] == [b"1", b"2", b"3"]
    cold, *warm = results
    assert cold.init_duration_ms is not None and cold.init_duration_ms > 0
    assert cold.init_log[0].startswith("INIT_START Runtime Version: python:3.11.v")
    assert "\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:" in cold.init_log[0]
    for result in warm:
        assert result.init_duration_ms is None
        assert result.init_log == ()
        assert result.stream_name == cold.stream_name
    for result in results:
        rid = re.escape(result.request_id)
        assert result.log[0] == f"START RequestId: {result.request_id} Version: $LATEST"
        assert result.log[-2] == f"END RequestId: {result.request_id}"
        head = REPORT_HEAD.format(rid=rid)
        if result is cold:
            assert re.fullmatch(head + r"Init Duration: \d+\.\d\d ms\t", result.log[-1])
        else:
            assert re.fullmatch(head, result.log[-1])
        fields = report_fields(result.log[-1])
        assert fields["Duration"] == f"{result.duration_ms:.2f} ms"
        billed = math.ceil(result.duration_ms + (result.init_duration_ms or 0.0))
        assert result.billed_duration_ms == billed
        assert fields["Billed Duration"] == f"{billed} ms"
        assert fields["Max Memory Used"] == f"{result.max_memory_mb} MB"
        assert result.max_memory_mb > 0
    assert report_fields(cold.log[-1])["Init Duration"] == f"{cold.init_duration_ms:.2f} ms"


def test_request_id_can_be_given(deploy: Deployment) -> None:
    result = deploy(f=fn("app.context_info")).invoke("f", request_id="my-request")
    assert result.request_id == "my-request"
    assert payload(result)["aws_request_id"] == "my-request"
    assert result.log[0] == "START RequestId: my-request Version: $LATEST"


def test_concurrent_invokes_use_separate_environments(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.run"))
    first = payload(_run(invoker, do="pid"))
    results: list[object] = [None, None]

    def call(i: int) -> None:
        results[i] = _run(invoker, do="pid", sleep=0.4)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    pids = {payload(r) for r in results}
    assert len(pids) == 2
    assert first in pids  # the warm one was reused, a second one was started


def test_concurrent_invokes_after_an_edit(
    deploy: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoker = deploy(f=fn("app.echo"))
    app = deploy.code_dir("f") / "app.py"
    app.write_text(app.read_text() + "\nEDITED = True\n")  # a new $LATEST revision to record
    ensure = SqliteStore._ensure_function

    def slow_ensure(db: object, function: str) -> None:
        time.sleep(0.2)  # a slow write transaction (a busy disk) widens the race window
        ensure(db, function)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteStore, "_ensure_function", staticmethod(slow_ensure))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            invoker.invoke("f", invocation_type="DryRun")
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []


def test_close_kills_every_environment(project_dir: Path) -> None:
    deployment = Deployment(project_dir)
    try:
        invoker = deployment(f=fn("app.run"))
        pid = payload(_run(invoker, do="pid"))
        assert not process_gone(pid)
        invoker.close()
        assert process_gone(pid)
    finally:
        deployment.close()


# -- Tail ---------------------------------------------------------------------------------------


def test_tail_returns_the_invocation_log(deploy: Deployment) -> None:
    result = deploy(f=fn("app.prints")).invoke("f", log_type="Tail")
    text = base64.b64decode(result.log_result).decode()
    assert text == "\n".join(result.log) + "\n"
    lines = text.splitlines()
    assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
    assert lines[1:3] == ["x", "to stderr"]
    assert lines[3] == f"END RequestId: {result.request_id}"
    assert lines[4].startswith(f"REPORT RequestId: {result.request_id}\t")


def test_tail_is_the_last_4_kb(deploy: Deployment) -> None:
    result = deploy(f=fn("app.noisy")).invoke("f", log_type="Tail")
    raw = base64.b64decode(result.log_result)
    assert len(raw) == 4096
    text = raw.decode()
    assert text.endswith(report_line(result.log) + "\n")
    assert f"END RequestId: {result.request_id}\n" in text
    assert "START RequestId" not in text
    assert ("\n".join(result.log) + "\n").endswith(text)


# -- response size ------------------------------------------------------------------------------


def test_response_at_the_limit_is_returned(deploy: Deployment) -> None:
    result = deploy(f=fn("app.returns_size")).invoke("f", payload=b'{"size": 6291556}')
    assert result.function_error is None
    assert result.payload == b"x" * 6291556


def test_response_over_the_limit(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.returns_size"))
    result = invoker.invoke("f", payload=b'{"size": 6291557}')
    assert json.loads(result.payload) == TOO_LARGE
    assert result.payload == json.dumps(TOO_LARGE, separators=(",", ":")).encode()
    assert (result.status_code, result.function_error) == (200, "Unhandled")
    # the runtime itself is fine: the environment stays warm
    again = invoker.invoke("f", payload=b'{"size": 3}')
    assert (again.payload, again.init_duration_ms) == (b"xxx", None)


# -- DryRun -------------------------------------------------------------------------------------


def test_dry_run_runs_nothing(deploy: Deployment, tmp_path: Path) -> None:
    invoker = deploy(f=fn("app.marker"))
    marker = tmp_path / "marker"
    event = json.dumps({"path": str(marker)}).encode()
    result = invoker.invoke("f", payload=event, invocation_type="DryRun")
    assert (result.status_code, result.payload, result.function_error) == (204, b"", None)
    assert result.executed_version == "$LATEST"
    assert result.log == ()
    time.sleep(0.2)
    assert not marker.exists()
    with pytest.raises(ResourceNotFoundException) as info:
        invoker.invoke("f", qualifier="9", invocation_type="DryRun")
    assert info.value.message == f"Function not found: {ARN}:9"
    with pytest.raises(ResourceNotFoundException):
        invoker.invoke("f:nosuchalias", invocation_type="DryRun")
    with pytest.raises(InvalidRequestContentException):
        invoker.invoke("f", payload=b"{", invocation_type="DryRun")
    # and a real invoke does run it
    assert invoker.invoke("f", payload=event).payload == b'"ran"'
    assert marker.read_text() == "ran"


# -- crashes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"do": "exit", "status": 3}, "Runtime exited with error: exit status 3"),
        ({"do": "hard_exit"}, "Runtime exited without providing a reason"),
        ({"do": "kill"}, "Runtime exited with error: signal: killed"),
    ],
    ids=["sys.exit(3)", "os._exit(0)", "SIGKILL"],
)
def test_runtime_exit_error(deploy: Deployment, event: dict, reason: str) -> None:
    invoker = deploy(f=fn("app.run"))
    assert payload(_run(invoker, do="count")) == 1
    result = _run(invoker, **event)
    rid = result.request_id
    message = f"RequestId: {rid} Error: {reason}"
    assert (
        result.payload
        == ('{"errorType":"Runtime.ExitError","errorMessage":"' + message + '"}').encode()
    )
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.ExitError")
    assert result.init_duration_ms is None
    assert result.log[0] == f"START RequestId: {rid} Version: $LATEST"
    assert list(result.log[-4:-1]) == [message, "Runtime.ExitError", f"END RequestId: {rid}"]
    assert re.fullmatch(
        REPORT_HEAD.format(rid=re.escape(rid)) + r"Status: error\tError Type: Runtime.ExitError",
        result.log[-1],
    )
    after = _run(invoker, do="count")
    assert payload(after) == 1  # a new process: globals start over
    assert after.init_duration_ms is not None
    assert re.search(r"\tInit Duration: \d+\.\d\d ms\t$", after.log[-1])


def test_crash_reports_the_memory_used(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.run"))
    warm = _run(invoker, do="count")
    crashed = _run(invoker, do="exit", status=3)
    assert crashed.error_type == "Runtime.ExitError"
    assert crashed.max_memory_mb >= warm.max_memory_mb > 0
    assert report_fields(crashed.log[-1])["Max Memory Used"] == f"{crashed.max_memory_mb} MB"


def test_exit_during_init(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.handler", None))
    (deploy.code_dir("f") / "app.py").write_text("import sys\n\nsys.exit(2)\n")
    result = invoker.invoke("f")
    rid = result.request_id
    assert result.payload == (
        b'{"errorType":"Runtime.ExitError","errorMessage":"RequestId: '
        + rid.encode()
        + b' Error: Runtime exited with error: exit status 2"}'
    )
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.ExitError")
    assert result.init_log[-1].endswith(
        "\tPhase: init\tStatus: error\tError Type: Runtime.ExitError"
    )
    assert result.log[-1].endswith("\tStatus: error\tError Type: Runtime.ExitError")


# -- timeout ------------------------------------------------------------------------------------


def test_timeout(deploy: Deployment, tmp_path: Path) -> None:
    invoker = deploy(f=fn("app.run"))
    assert payload(_run(invoker, do="count")) == 1
    pid_file = tmp_path / "grandchild.pid"
    started = time.monotonic()
    result = _run(invoker, do="hang", pid_file=str(pid_file))
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 4.0
    rid = result.request_id
    assert (
        result.payload
        == (
            '{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: '
            + rid
            + ' Error: Task timed out after 1.00 seconds"}'
        ).encode()
    )
    assert (result.function_error, result.error_type) == ("Unhandled", "Sandbox.Timedout")
    assert result.duration_ms == 1000.0
    assert result.billed_duration_ms == 1000
    report = result.log[-1]
    assert re.fullmatch(
        rf"REPORT RequestId: {re.escape(rid)}\tDuration: 1000\.00 ms\tBilled Duration: 1000 ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tStatus: timeout",
        report,
    )
    assert result.log[-2] == f"END RequestId: {rid}"
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {re.escape(rid)} "
        r"Task timed out after 1\.00 seconds",
        result.log[-3],
    )
    assert "hanging" in result.log

    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 3
    while not process_gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(grandchild), "the handler's subprocess survived the timeout"

    kept = _run(invoker, do="read_tmp")
    assert payload(kept) == "written before the timeout"  # /tmp survives the reset
    assert kept.init_duration_ms is not None  # the environment was re-initialised
    assert payload(_run(invoker, do="count")) == 1  # module globals start over


# -- qualifiers, versions and aliases -----------------------------------------------------------


def test_invoked_function_arn_echoes_the_qualifier(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.context_info"))
    project = invoker.project
    versions.publish(project, "f")
    aliases.create(project, "f", "live", version="1")
    cases = [
        ({}, ARN, "$LATEST", "$LATEST"),
        ({"qualifier": "$LATEST"}, f"{ARN}:$LATEST", "$LATEST", "$LATEST"),
        ({"qualifier": "1"}, f"{ARN}:1", "1", "1"),
        ({"qualifier": "live"}, f"{ARN}:live", "1", "1"),
    ]
    for kwargs, arn, executed, version in cases:
        result = invoker.invoke("f", **kwargs)
        seen = payload(result)
        assert seen["invoked_function_arn"] == arn
        assert (result.executed_version, seen["function_version"]) == (executed, version)
        assert result.log[0] == f"START RequestId: {result.request_id} Version: {executed}"
        assert re.fullmatch(
            rf"\d{{4}}/\d\d/\d\d/\[{re.escape(version)}\][0-9a-f]{{32}}", seen["log_stream_name"]
        )
    assert payload(invoker.invoke("f:live"))["invoked_function_arn"] == f"{ARN}:live"
    assert payload(invoker.invoke(f"{ARN}:1"))["invoked_function_arn"] == f"{ARN}:1"


def test_published_version_runs_its_snapshot(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.handler", "version_value.py"))
    code = deploy.code_dir("f")
    versions.publish(invoker.project, "f")
    app = code / "app.py"
    app.write_text(app.read_text().replace('VALUE = "v1"', 'VALUE = "v2"'))
    one = payload(invoker.invoke("f", qualifier="1"))
    latest = payload(invoker.invoke("f"))
    assert (one["value"], one["version"]) == ("v1", "1")
    assert (latest["value"], latest["version"]) == ("v2", "$LATEST")
    assert latest["cwd"] == str(code)
    assert one["cwd"] != str(code)
    assert (Path(one["cwd"]) / "app.py").read_text().count('VALUE = "v1"') == 1


def test_editing_latest_replaces_the_warm_environment(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.handler", "version_value.py"))
    first = invoker.invoke("f")
    assert payload(first)["value"] == "v1"
    app = deploy.code_dir("f") / "app.py"
    app.write_text(app.read_text().replace('VALUE = "v1"', 'VALUE = "edited"'))
    second = invoker.invoke("f")
    assert payload(second)["value"] == "edited"
    assert second.init_duration_ms is not None
    assert second.stream_name != first.stream_name


def test_edit_with_same_size_and_mtime_runs_the_new_code(deploy: Deployment) -> None:
    invoker = deploy(f=fn("app.handler", "version_value.py"))
    assert payload(invoker.invoke("f"))["value"] == "v1"
    app = deploy.code_dir("f") / "app.py"
    before = app.stat()
    app.write_text(app.read_text().replace('VALUE = "v1"', 'VALUE = "v2"'))
    os.utime(app, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `git checkout` may leave it
    second = invoker.invoke("f")
    assert second.init_duration_ms is not None  # lambdactl saw the edit: a new environment
    assert payload(second)["value"] == "v2"


def test_switch_keeps_only_latest_environments_warm(project_dir: Path) -> None:
    """The pytest plugin's move to a test's fresh state: `$LATEST` stays warm, a published
    version's environment goes; the state is where `Manifest.state` says, not `.lambda/`."""
    import dataclasses

    from lambdactl.manifest import load
    from lambdactl.project import Project
    from lambdactl.store import CodeStore, open_store

    state = project_dir.parent / "elsewhere"
    manifest = dataclasses.replace(load(project_dir / "functions.yaml"), state=state)

    def opened() -> Project:
        return Project(manifest, open_store(state), CodeStore(state))

    project = opened()
    invoker = Invoker(project)
    try:
        invoker.invoke("hello")
        versions.publish(project, "hello")
        invoker.invoke("hello", qualifier="1")
        assert sorted(key[1] for key in invoker.pool.sizes()) == ["$LATEST", "1"]
        invoker.logs.close()
        project.close()
        project = opened()
        invoker.switch(project)
        assert [key[1] for key in invoker.pool.sizes()] == ["$LATEST"]
        result = invoker.invoke("hello")
        assert json.loads(result.payload) == {"hello": "world"}
        assert "Init Duration" not in result.log[-1]  # the warm one
        assert invoker.project is project
    finally:
        invoker.close()
        project.close()
    assert (state / "state.db").is_file() and (state / "logs.db").is_file()
    assert not (project_dir / ".lambda").exists()
