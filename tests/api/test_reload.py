"""A running `lambdactl serve` follows edits of functions.yaml: a real server, boto3 and the
CLI as subprocesses, real edits of the file. Changes are waited for by polling (never by
timing), up to `WAIT_SECONDS`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambdactl import endpoint
from tests.api.conftest import Server

WAIT_SECONDS = 20.0

HANDLER = """\
import os

def handler(event, context):
    return {
        "greeting": os.environ.get("GREETING"),
        "pid": os.getpid(),
        "remaining": context.get_remaining_time_in_millis(),
    }
"""

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    environment: {{GREETING: {greeting}}}
    timeout: {timeout}
  other:
    handler: app.handler
    code: src/other
{more}"""

WORLD = """\
  world:
    handler: app.handler
    code: src/world
"""


def manifest(greeting: str = "Hello", timeout: int = 3, more: str = "") -> str:
    return MANIFEST.format(greeting=greeting, timeout=timeout, more=more)


@pytest.fixture
def project(project_dir: Path) -> Path:
    """hello (GREETING, timeout) and other, both answering their pid."""
    for name in ("hello", "other", "world"):
        (project_dir / "src" / name).mkdir(parents=True, exist_ok=True)
        (project_dir / "src" / name / "app.py").write_text(HANDLER)
    edit(project_dir, manifest())
    return project_dir


def edit(project_dir: Path, text: str) -> None:
    (project_dir / "functions.yaml").write_text(text)


def wait_for(check: Callable[[], Any], what: str) -> Any:
    """`check()`'s first truthy answer (exceptions count as not yet), or fail."""
    deadline = time.monotonic() + WAIT_SECONDS
    problem: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            answer = check()
        except Exception as exc:  # noqa: BLE001 - not yet: the server has not applied it
            problem, answer = exc, None
        if answer:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {WAIT_SECONDS} s (last: {problem!r})")


def invoke(client: Any, name: str) -> dict[str, Any]:
    answer = client.invoke(FunctionName=name)
    assert "FunctionError" not in answer
    return json.loads(answer["Payload"].read())  # type: ignore[no-any-return]


def announced(project_dir: Path) -> endpoint.Endpoint:
    found = endpoint.running(project_dir / ".lambda")
    assert found is not None
    return found


def reloads(output: str) -> list[dict[str, Any]]:
    """The `reloaded` lines of a stopped server's output (-o json)."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["Status"] == "reloaded"]


def cli_invoke(project_dir: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambdactl", "invoke", name],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_edit_of_timeout_and_environment_is_served_at_once(
    project: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    client = server.client()
    before = client.get_function_configuration(FunctionName="hello")
    assert (before["Timeout"], before["Environment"]["Variables"]) == (3, {"GREETING": "Hello"})
    first, other = invoke(client, "hello"), invoke(client, "other")
    assert first["remaining"] <= 3000

    edit(project, manifest(greeting="Bonjour", timeout=4))
    after = wait_for(
        lambda: (
            (c := client.get_function_configuration(FunctionName="hello"))["Timeout"] == 4 and c
        ),
        "the new Timeout",
    )
    assert after["Environment"]["Variables"] == {"GREETING": "Bonjour"}
    assert after["RevisionId"] != before["RevisionId"]
    now = invoke(client, "hello")
    assert now["greeting"] == "Bonjour"
    assert 3000 < now["remaining"] <= 4000
    assert now["pid"] != first["pid"]  # its environment was replaced
    assert invoke(client, "other")["pid"] == other["pid"]  # the other one stayed warm
    assert invoke(client, "hello")["pid"] == now["pid"]  # and the new one is kept warm

    output = server.stop()
    assert reloads(output) == [
        {
            "Status": "reloaded",
            "Manifest": str(project / "functions.yaml"),
            "Changed": ["hello"],
            "Added": [],
            "Removed": [],
            "Settings": [],
        }
    ]


def test_a_function_added_is_invokable_and_one_removed_is_not_found(
    project: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    client = server.client()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="world")

    edit(project, manifest(more=WORLD))
    wait_for(lambda: client.get_function(FunctionName="world"), "world added")
    assert invoke(client, "world")["greeting"] is None
    names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
    assert sorted(names) == ["hello", "other", "world"]

    edit(project, manifest())
    wait_for(
        lambda: "world" not in [f["FunctionName"] for f in client.list_functions()["Functions"]],
        "world removed",
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.invoke(FunctionName="world")
    assert missing.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:world"
    )
    assert [(r["Added"], r["Removed"]) for r in reloads(server.stop())] == [
        (["world"], []),
        ([], ["world"]),
    ]


def test_an_invalid_edit_keeps_the_last_valid_manifest_serving(
    project: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    client = server.client()
    warm = invoke(client, "hello")

    edit(project, manifest(timeout=4) + "  broken: [unclosed\n")
    declined = wait_for(lambda: announced(project).declined, "the invalid YAML noticed")
    assert declined.startswith("functions.yaml:")
    assert "invalid YAML" in declined
    assert client.get_function_configuration(FunctionName="hello")["Timeout"] == 3
    assert invoke(client, "hello")["pid"] == warm["pid"]  # still the same, warm

    # A warm CLI does not hand over to a server that refused the text on disk: it says why.
    local = cli_invoke(project, "hello")
    assert local.returncode == 2
    assert local.stderr.splitlines() == [
        f"warning: lambdactl serve (pid {server.process.pid}) keeps the last valid "
        "functions.yaml, as the edit is invalid: running here instead",
        f"error: {declined}",
    ]

    edit(project, manifest(timeout="nope"))  # type: ignore[arg-type]
    wait_for(lambda: "timeout" in announced(project).declined, "the invalid value noticed")
    assert client.get_function_configuration(FunctionName="hello")["Timeout"] == 3

    edit(project, manifest(timeout=5))
    wait_for(
        lambda: client.get_function_configuration(FunctionName="hello")["Timeout"] == 5,
        "the next valid edit",
    )
    wait_for(lambda: announced(project).serves(project / "functions.yaml"), "announced")
    assert announced(project).declined == ""

    output = server.stop()
    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {declined} (the last valid manifest keeps serving)",
        "warning: functions.yaml:8: functions.hello.timeout: expected a whole number, got "
        "string 'nope' (the last valid manifest keeps serving)",
    ]
    assert [r["Changed"] for r in reloads(output)] == [["hello"]]


def test_a_warm_cli_invoke_after_an_edit_goes_through_the_server(
    project: Path, serve: Callable[..., Server]
) -> None:
    serve()
    first = cli_invoke(project, "hello")
    second = cli_invoke(project, "hello")
    assert first.returncode == second.returncode == 0, first.stderr
    assert json.loads(first.stdout)["pid"] == json.loads(second.stdout)["pid"]  # warm: served

    edit(project, manifest(greeting="Hej"))  # and at once: the CLI waits for the server
    edited = cli_invoke(project, "hello")
    assert edited.returncode == 0, edited.stderr
    assert "warning" not in edited.stderr
    assert json.loads(edited.stdout)["greeting"] == "Hej"
    again = cli_invoke(project, "hello")
    assert json.loads(again.stdout)["pid"] == json.loads(edited.stdout)["pid"]
