"""The official AWS runtime client (awslambdaric), unmodified, against our Runtime API.

The same handler runs twice: under `runtime: provided` with a `bootstrap` that execs
`python -m awslambdaric app.handler`, and under our own `python3.11` runtime. Everything the
caller can observe must match, apart from the request id.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from lambdactl.invoke import Invoker
from lambdactl.project import Project

pytest.importorskip("awslambdaric", reason="awslambdaric ships Linux wheels only")

HANDLER = '''\
import os

COUNT = 0


def handler(event, context):
    global COUNT
    COUNT += 1
    print("seen", event)
    if event.get("fail"):
        raise ValueError("bad thing")
    if event.get("unserialisable"):
        return {1, 2}
    return {
        "count": COUNT,
        "memory": context.memory_limit_in_mb,
        "arn_parts": context.invoked_function_arn.count(":"),
        "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 3000,
        "version": context.function_version,
        "trace": bool(os.environ.get("_X_AMZN_TRACE_ID")),
        "event": event,
    }
'''


@pytest.fixture
def twins(project_dir):
    code = project_dir / "twin"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    bootstrap = code / "bootstrap"
    bootstrap.write_text(f"#!/bin/sh\nexec {sys.executable} -m awslambdaric app.handler\n")
    bootstrap.chmod(0o755)
    (project_dir / "functions.yaml").write_text(
        textwrap.dedent(
            """\
            functions:
              official:
                runtime: provided.al2023
                handler: app.handler
                code: twin
              ours:
                runtime: python3.11
                handler: app.handler
                code: twin
            """
        )
    )
    project = Project.open(project_dir / "functions.yaml")
    with Invoker(project) as invoker:
        yield invoker
    project.close()


def _both(invoker, payload: bytes):
    official = invoker.invoke("official", payload=payload)
    ours = invoker.invoke("ours", payload=payload)
    return official, ours


def _normalised(result) -> bytes:
    return result.payload.replace(result.request_id.encode(), b"<id>")


def test_success_is_identical(twins):
    for round_number in (1, 2):  # the second is warm: module state persists in both
        official, ours = _both(twins, b'{"name": "Ada", "n": 1.5}')
        assert official.function_error is None and ours.function_error is None
        assert official.payload == ours.payload
        assert json.loads(ours.payload)["count"] == round_number
    assert official.init_duration_ms is None and ours.init_duration_ms is None


def test_handler_exception_is_identical(twins):
    official, ours = _both(twins, b'{"fail": true}')
    assert official.function_error == ours.function_error == "Unhandled"
    assert _normalised(official) == _normalised(ours)
    body = json.loads(ours.payload)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["requestId"] == ours.request_id
    error_line = [line for line in ours.log if line.startswith("[ERROR]")]
    assert error_line == [line for line in official.log if line.startswith("[ERROR]")]
    assert error_line[0].startswith(
        "[ERROR] ValueError: bad thing\rTraceback (most recent call last):\r\u00a0\u00a0File "
    )


def test_marshal_error_is_identical(twins):
    official, ours = _both(twins, b'{"unserialisable": true}')
    assert _normalised(official) == _normalised(ours)
    assert json.loads(ours.payload)["errorType"] == "Runtime.MarshalError"


def test_import_error_is_identical(twins, project_dir):
    (project_dir / "twin" / "app.py").write_text("import missing_module_xyz\n")
    official, ours = _both(twins, b"{}")
    assert official.payload == ours.payload
    assert json.loads(ours.payload) == {
        "errorMessage": "Unable to import module 'app': No module named 'missing_module_xyz'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert official.error_type == ours.error_type == "Runtime.ImportModuleError"

    def runtime_lines(result):  # the runtime's own output, timestamps dropped
        lines = [line for line in result.init_log if not line.startswith("INIT_")]
        return [line.split("\t", 3)[-1] if line.startswith("[WARNING]") else line for line in lines]

    assert runtime_lines(official) == runtime_lines(ours)
    assert runtime_lines(ours)[0].startswith("LAMBDA_WARNING: Unhandled exception.")
    assert runtime_lines(ours)[1].startswith("[ERROR] Runtime.ImportModuleError: Unable to import")


def test_handler_not_found_is_identical(twins, project_dir):
    (project_dir / "twin" / "app.py").write_text("def other(event, context):\n    return 1\n")
    official, ours = _both(twins, b"{}")
    assert official.payload == ours.payload
    assert json.loads(ours.payload)["errorMessage"] == "Handler 'handler' missing on module 'app'"
