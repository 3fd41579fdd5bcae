from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"

CONFIGURATION_KEYS = {
    "FunctionName",
    "FunctionArn",
    "Runtime",
    "Role",
    "Handler",
    "CodeSize",
    "Description",
    "Timeout",
    "MemorySize",
    "LastModified",
    "CodeSha256",
    "Version",
    "Environment",
    "TracingConfig",
    "RevisionId",
    "State",
    "LastUpdateStatus",
    "PackageType",
    "Architectures",
    "EphemeralStorage",
    "SnapStart",
    "LoggingConfig",
}


def test_validate_reports_the_functions(cli):
    result = cli("validate")
    assert result.code == 0
    assert "valid: 1 function(s): hello" in result.out


def test_bad_manifest_is_one_line_exit_2(cli, write_manifest):
    write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
            memory: 64
        """
    )
    result = cli("publish")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines == [
        "error: functions.yaml:5: functions.hello.memory: 1 validation error detected: Value '64' "
        "at 'memorySize' failed to satisfy constraint: Member must have value greater than or "
        "equal to 128"
    ]
    assert result.out == ""


def test_no_manifest_found(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("list")
    assert result.code == 2
    assert result.err.startswith(f"error: no functions.yaml in {tmp_path}")
    assert "hint:" in result.err


def test_manifest_option_and_environment_variable(cli, project_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("--manifest", str(project_dir / "functions.yaml"), "validate").code == 0
    assert cli("-f", str(project_dir), "validate").code == 0
    monkeypatch.setenv("LAMBDACTL_MANIFEST", str(project_dir / "functions.yaml"))
    assert cli("validate").code == 0


def test_publish_json_is_publish_version_response(cli):
    result = cli("publish", "hello", "-o", "json")
    assert result.code == 0
    shape = result.json()
    assert set(shape) == CONFIGURATION_KEYS
    assert shape["FunctionArn"] == f"{ARN}:1"
    assert shape["Version"] == "1"
    assert shape["Environment"] == {"Variables": {"GREETING": "Hello"}}
    assert shape["State"] == "Active"
    again = cli("publish", "hello", "-o", "json").json()
    assert again["Version"] == "1"
    assert again["RevisionId"] == shape["RevisionId"]


def test_publish_several_functions_gives_a_list(cli, write_manifest, project_dir):
    (project_dir / "src" / "other").mkdir()
    (project_dir / "src" / "other" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    write_manifest(
        """\
        account: "123456789012"
        functions:
          hello: {handler: app.handler, code: src/hello}
          other: {handler: app.handler, code: src/other}
        """
    )
    result = cli("publish", "-o", "json", "--description", "first")
    assert [(v["FunctionName"], v["Version"], v["Description"]) for v in result.json()] == [
        ("hello", "1", "first"),
        ("other", "1", "first"),
    ]


def test_publish_unknown_function_publishes_nothing(cli, project):
    result = cli("publish", "hello", "nope")
    assert result.code == 3
    assert result.err.strip() == (
        "error: ResourceNotFoundException: Function not found: "
        "arn:aws:lambda:us-east-1:123456789012:function:nope"
    )
    assert project.store.list_versions("hello") == []


def test_versions_lists_latest_first(cli, project_dir):
    cli("publish")
    (project_dir / "src" / "hello" / "app.py").write_text("def handler(e, c):\n    return 2\n")
    cli("publish")
    listed = cli("versions", "hello", "-o", "json").json()["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2"]
    assert [v["FunctionArn"] for v in listed] == [f"{ARN}:$LATEST", f"{ARN}:1", f"{ARN}:2"]
    text = cli("versions", "hello")
    assert text.code == 0 and "$LATEST" in text.out


def test_list_is_list_functions(cli):
    shape = cli("list", "-o", "json").json()
    assert [f["FunctionArn"] for f in shape["Functions"]] == [ARN]
    assert shape["Functions"][0]["Version"] == "$LATEST"


def test_show_accepts_every_way_of_naming(cli):
    cli("publish")
    cli("alias", "create", "hello", "live", "--version", "1")
    for name in ("hello:1", f"{ARN}:1", "123456789012:function:hello:1"):
        assert cli("show", name, "-o", "json").json()["FunctionArn"] == f"{ARN}:1"
    via_alias = cli("show", "hello", "--qualifier", "live", "-o", "json").json()
    assert (via_alias["FunctionArn"], via_alias["Version"]) == (f"{ARN}:live", "1")
    assert cli("show", ARN, "-o", "json").json()["FunctionArn"] == ARN
    missing = cli("show", "hello:9")
    assert missing.code == 3
    assert f"Function not found: {ARN}:9" in missing.err


def test_alias_commands_print_aws_shapes(cli):
    cli("publish")
    created = cli("alias", "create", "hello", "live", "-v", "1", "-d", "prod", "-o", "json")
    assert created.json() == {
        "AliasArn": f"{ARN}:live",
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "prod",
        "RevisionId": created.json()["RevisionId"],
    }
    listed = cli("alias", "list", "hello", "-o", "json").json()
    assert [a["Name"] for a in listed["Aliases"]] == ["live"]
    shown = cli("alias", "show", "hello", "live", "-o", "json").json()
    assert shown == created.json()
    dup = cli("alias", "create", "hello", "live", "-v", "1")
    assert dup.code == 4
    assert dup.err.strip() == f"error: ResourceConflictException: Alias already exists: {ARN}:live"


def test_alias_routing_round_trip(cli, project_dir):
    cli("publish")
    (project_dir / "src" / "hello" / "app.py").write_text("def handler(e, c):\n    return 2\n")
    cli("publish")
    cli("alias", "create", "hello", "live", "-v", "1")
    routed = cli("alias", "update", "hello", "live", "--routing", "2=0.25", "-o", "json").json()
    assert routed["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert routed["FunctionVersion"] == "1"
    cleared = cli("alias", "update", "hello", "live", "--no-routing", "-o", "json").json()
    assert "RoutingConfig" not in cleared
    bad = cli("alias", "update", "hello", "live", "--routing", "2")
    assert bad.code == 2
    assert "not VERSION=WEIGHT" in bad.err


def test_delete_version_refused_while_aliased(cli):
    cli("publish")
    cli("alias", "create", "hello", "live", "-v", "1")
    refused = cli("delete-version", "hello", "1")
    assert refused.code == 4
    assert refused.err.strip() == (
        "error: ResourceConflictException: Unable to delete version because the following "
        "aliases reference it: [live]"
    )
    assert cli("alias", "delete", "hello", "live").code == 0
    assert cli("delete-version", "hello", "1").code == 0
    assert [v["Version"] for v in cli("versions", "hello", "-o", "json").json()["Versions"]] == [
        "$LATEST"
    ]


def test_init_scaffolds_and_refuses_to_overwrite(cli, tmp_path, monkeypatch):
    target = tmp_path / "fresh"
    result = cli("init", str(target))
    assert result.code == 0
    assert (target / "functions.yaml").is_file()
    assert ".lambda/" in (target / ".gitignore").read_text()
    monkeypatch.chdir(target)
    assert cli("publish", "-o", "json").json()["Version"] == "1"
    again = cli("init", str(target))
    assert again.code == 2
    assert "already exists" in again.err


@pytest.mark.parametrize("runtime", ["nodejs20.x", "nodejs22.x", "nodejs24.x"])
def test_init_scaffolds_a_node_function_that_runs(cli, tmp_path, monkeypatch, runtime):
    """`--runtime nodejs*`: AWS console's `index.mjs` (an async `handler`), the same messages as
    the Python scaffold; what it made publishes and answers."""
    target = tmp_path / "fresh"
    result = cli("init", str(target), "--runtime", runtime)
    assert result.code == 0, result.err
    code = target / "functions" / "hello"
    assert [line.split()[-1] for line in result.out.splitlines()[:3]] == [
        str(target / "functions.yaml"),
        str(code / "index.mjs"),
        str(target / ".gitignore"),
    ]
    [next_line] = [line for line in result.out.splitlines() if line.startswith("next: ")]
    assert next_line.endswith("&& lambdactl publish && lambdactl versions hello")
    assert "export const handler = async (event, context) =>" in (code / "index.mjs").read_text()
    assert (target / ".gitignore").read_text().split() == [".lambda/", "node_modules/"]
    monkeypatch.chdir(target)
    shown = cli("show", "hello", "-o", "json").json()
    assert (shown["Runtime"], shown["Handler"]) == (runtime, "index.handler")
    assert cli("publish", "-o", "json").json()["Version"] == "1"
    answer = cli("invoke", "hello:1", "--payload", '{"name": "Ann"}')
    assert answer.code == 0, answer.err
    assert json.loads(answer.out) == {"statusCode": 200, "body": '{"message":"Hello, Ann!"}'}
    events = [json.loads(line) for line in cli("logs", "hello", "-o", "json").out.splitlines()]
    assert any(e["message"].endswith("\tINFO\tgreeting Ann from hello\n") for e in events), events


@pytest.mark.parametrize(
    ("runtime", "reason"),
    [
        ("nodejs18.x", "The runtime parameter of nodejs18.x is no longer supported for creating"),
        ("python3.8", "The runtime parameter of python3.8 is no longer supported for creating"),
        ("provided.al2023", "not a runtime init scaffolds"),
        ("node", "not a runtime init scaffolds"),
    ],
)
def test_init_refuses_a_runtime_it_cannot_scaffold(cli, tmp_path, runtime, reason):
    result = cli("init", str(tmp_path / "fresh"), "--runtime", runtime)
    assert result.code == 2
    error, hint = result.err.strip().splitlines()
    assert error.startswith(f"error: --runtime {runtime}: {reason}")
    assert hint == (
        "hint: choose one of: python3.9, python3.10, python3.11, python3.12, python3.13, "
        "python3.14, nodejs20.x, nodejs22.x, nodejs24.x"
    )
    assert not (tmp_path / "fresh").exists()  # refused before writing anything


def test_console_script_never_prints_a_traceback(project_dir):
    (project_dir / "functions.yaml").write_text("functions:\n  hello: [1, 2\n")
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "validate"],
        capture_output=True,
        text=True,
        cwd=Path(project_dir),
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: functions.yaml:")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("where", ["fresh", "two words/fresh", ".", "../sibling"])
def test_init_prints_next_steps_that_work_from_here(cli, tmp_path, monkeypatch, where):
    """The `next:` line, run by a shell in the directory `init` ran in, uses the new project
    (not a manifest found upward from here, not none)."""
    here = tmp_path / "here"
    here.mkdir()
    (here / "functions.yaml").write_text("functions: {}\n")  # a project `init` must not use
    if where == ".":
        here = here / "empty"
        here.mkdir()
    monkeypatch.chdir(here)
    result = cli("init", where)
    assert result.code == 0, result.err
    [next_line] = [line for line in result.out.splitlines() if line.startswith("next: ")]
    shell = (
        f'lambdactl() {{ {shlex.quote(sys.executable)} -m lambdactl "$@"; }}\n'
        + next_line.removeprefix("next: ")
    )
    done = subprocess.run(["sh", "-ec", shell], cwd=here, capture_output=True, text=True)
    assert done.returncode == 0, (next_line, done.stderr)
    project = (here / where).resolve()
    assert (project / ".lambda").is_dir()
    assert not (tmp_path / "here" / ".lambda").exists()


def test_list_and_show_give_function_urls(cli, write_manifest, project_dir, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert "URL" not in cli("list").out  # no function has one: no column
    write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
            url: true
          quiet:
            handler: app.handler
            code: src/hello
        """
    )
    listed = cli("list")
    assert listed.code == 0
    assert "URL" in listed.out and "/url/hello/" in listed.out
    assert "answer while `lambdactl serve` runs" in listed.out  # no server: paths, said so
    shown = cli("show", "hello").out
    assert (
        "/url/hello/ (no `lambdactl serve` runs; by default: http://127.0.0.1:3001/url/hello/)"
        in " ".join(shown.split())
    )
    assert "URL" not in cli("show", "quiet").out
    assert "Url" not in json.dumps(cli("list", "-o", "json").json())  # ListFunctions' shape


def test_list_and_show_give_full_urls_while_a_server_runs(
    cli, write_manifest, project_dir, monkeypatch
):
    from lambdactl import endpoint

    monkeypatch.setenv("COLUMNS", "200")  # the whole URL on one line
    write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
            url: {qualifier: live}
        """
    )
    cli("list")  # makes .lambda/
    state = project_dir / ".lambda"
    endpoint.publish(state, endpoint.Endpoint(url="http://127.0.0.1:4555", pid=os.getpid()))
    listed = cli("list").out
    assert "http://127.0.0.1:4555/url/hello:live/" in listed
    assert "answer while" not in listed
    shown = " ".join(cli("show", "hello").out.split())
    assert "URL http://127.0.0.1:4555/url/hello:live/" in shown


def test_show_gives_the_asynchronous_settings_of_the_manifest(cli, write_manifest, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
            async:
              maximum_retry_attempts: 1
              maximum_event_age: 600
              retry_delays: [1, 2]
              on_failure: {queue: failures}
            dead_letter: {queue: dead}
          plain:
            handler: app.handler
            code: src/hello
        queues:
          failures: {}
          dead: {}
        """
    )
    fields = dict(
        (line[2:18].strip(), line[19:])
        for line in cli("show", "hello").out.splitlines()
        if line.startswith("  ")
    )
    assert fields["Async"] == (
        "retries 1, max age 600 s, retry delays 1 s, 2 s, on failure: queue failures (manifest)"
    )
    assert fields["Dead letter"] == "queue dead"
    assert "Async" not in cli("show", "plain").out  # AWS's defaults: nothing to say
