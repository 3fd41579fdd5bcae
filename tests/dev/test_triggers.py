"""`--on-change` texts: parsed as a shell would split them, checked against the project at
start (one line naming the text), and the line an answer makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdactl.dev.triggers import Trigger, outcome, parse
from lambdactl.errors import UsageError
from lambdactl.invoke import InvocationResult
from lambdactl.project import Project


def test_a_function_alone_sends_an_empty_object(project: Project) -> None:
    trigger = parse("hello", project)
    assert (trigger.function, trigger.qualifier, trigger.body()) == ("hello", None, b"{}")


def test_payload_and_qualifier(project: Project) -> None:
    trigger = parse("""hello:live --payload '{"name": "dev"}'""", project)
    assert (trigger.function, trigger.qualifier) == ("hello", "live")
    assert json.loads(trigger.body()) == {"name": "dev"}
    assert parse('hello --payload={"a":[1]}', project).body() == b'{"a":[1]}'
    assert parse('hello --payload {"a": [1, 2]}', project).body() == b'{"a": [1, 2]}'


def test_an_event_file_is_read_at_each_run(project: Project, project_dir: Path) -> None:
    event = project_dir / "event.json"
    event.write_text('{"n": 1}')
    trigger = parse("hello --event event.json", project)
    assert json.loads(trigger.body()) == {"n": 1}
    event.write_text('{"n": 2}')
    assert json.loads(trigger.body()) == {"n": 2}
    event.write_text("not json")
    with pytest.raises(UsageError, match=r"^--on-change hello: .*event\.json: not JSON"):
        trigger.body()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected FUNCTION"),
        ("--payload {}", "expected FUNCTION"),
        ("nope", "the project has no function nope"),
        ("hello --payload", "--payload needs a value"),
        ("hello --payload 'not json'", "--payload: not JSON"),
        ("hello --event missing.json", "cannot read"),
        ("hello --event e.json --payload {}", "not both"),
        ("hello --payload {} --payload {}", "given twice"),
        ("hello --qualifier 1", "unexpected '--qualifier'"),
        ("hello 'unclosed", "No closing quotation"),
        ("bad!", "functionName"),
        ("""hello --payload {"a": 1} extra""", "unexpected"),
    ],
)
def test_a_bad_text_is_one_line_naming_it(
    project: Project, project_dir: Path, text: str, message: str
) -> None:
    (project_dir / "e.json").write_text("{}")
    with pytest.raises(UsageError) as caught:
        parse(text, project)
    assert str(caught.value).startswith(f"--on-change {text!r}") or "missing.json" in text
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_line_shows_status_and_payload_head_or_the_error() -> None:
    trigger = Trigger("hello", "hello")
    ok = InvocationResult(200, "r", "$LATEST", payload=b'{"v": "' + b"x" * 300 + b'"}')
    level, line = outcome(trigger, ok)
    assert level == "info" and line.startswith('on-change hello: 200 {"v": "xxx')
    assert len(line) < 160 and line.endswith("…")
    error = json.dumps({"errorType": "ValueError", "errorMessage": "boom", "stackTrace": []})
    failed = InvocationResult(200, "r", "1", payload=error.encode(), function_error="Unhandled")
    qualified = Trigger("hello:1", "hello", "1")
    assert outcome(qualified, failed) == ("error", "on-change hello:1: 200 ValueError: boom")
