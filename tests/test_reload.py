"""`Reloader`: an edited manifest is validated and applied to a live project and invoker
(functions added, removed, reconfigured; only what changed loses its warm environments); an
invalid one is refused once and the last valid one keeps serving. In-process, with real
environments; the server's side is tests/api/test_reload.py."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import endpoint, functions, queues
from lambdactl.errors import ResourceNotFoundException, TooManyRequestsException
from lambdactl.functions import Configuration
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.reload import Reload, Reloader
from tests.runtime import process_gone

HANDLER = """\
import os

def handler(event, context):
    return {"greeting": os.environ.get("GREETING"), "pid": os.getpid()}
"""

MANIFEST = """\
region: us-east-1
account: "123456789012"
{top}functions:
  hello:
    handler: app.handler
    code: src/hello
    environment: {{GREETING: {greeting}}}
  other:
    handler: app.handler
    code: src/other
{more}"""


def manifest(greeting: str = "Hello", more: str = "", top: str = "") -> str:
    return MANIFEST.format(greeting=greeting, more=more, top=top)


class Live:
    """A project opened as a long-running process opens it, its invoker and its reloader;
    what the reloader reported."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project = Project.open(root / "functions.yaml")
        self.invoker = Invoker(self.project, watch_code=True)
        self.reloads: list[Reload] = []
        self.rejected: list[str] = []
        self.reloader = Reloader(
            self.project,
            self.invoker,
            on_reload=self.reloads.append,
            on_reject=lambda error: self.rejected.append(str(error)),
            poll=0.05,
        )

    def edit(self, text: str) -> None:
        (self.root / "functions.yaml").write_text(text)

    def invoke(self, name: str) -> dict[str, Any]:
        result = self.invoker.invoke(name)
        assert result.function_error is None, result.payload
        return json.loads(result.payload)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.reloader.close()
        self.invoker.close()
        self.project.close()


@pytest.fixture
def live(project_dir: Path) -> Iterator[Live]:
    for name in ("hello", "other", "world"):
        (project_dir / "src" / name).mkdir(parents=True, exist_ok=True)
        (project_dir / "src" / name / "app.py").write_text(HANDLER)
    (project_dir / "functions.yaml").write_text(manifest())
    opened = Live(project_dir)
    yield opened
    opened.close()


def wait_for(check: Callable[[], Any], what: str, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_a_reconfigured_function_gets_new_environments_and_the_others_stay_warm(
    live: Live,
) -> None:
    hello, other = live.invoke("hello"), live.invoke("other")
    live.edit(manifest(greeting="Hej"))
    reload = live.reloader.check()
    assert reload == Reload(manifest=live.project.manifest.path, changed=("hello",))
    assert live.reloads == [reload]  # told as the thread's looks are
    sizes = live.invoker.pool.sizes()
    assert [key[0] for key in sizes] == ["other"]  # hello's was shut down at once
    now = live.invoke("hello")
    assert now == {"greeting": "Hej", "pid": now["pid"]} and now["pid"] != hello["pid"]
    assert live.invoke("other")["pid"] == other["pid"]


def test_the_same_text_again_applies_nothing_and_a_comment_changes_nothing(live: Live) -> None:
    assert live.reloader.check() is None  # as opened
    live.edit(manifest() + "# a comment\n")
    assert live.reloader.check() == Reload(manifest=live.project.manifest.path)
    assert live.reloader.check() is None


def test_functions_added_and_removed(live: Live) -> None:
    world = "  world:\n    handler: app.handler\n    code: src/world\n"
    live.edit(manifest(more=world))
    assert live.reloader.check() == Reload(manifest=live.project.manifest.path, added=("world",))
    pid = live.invoke("world")["pid"]
    live.edit(manifest())
    assert live.reloader.check() == Reload(manifest=live.project.manifest.path, removed=("world",))
    with pytest.raises(ResourceNotFoundException):
        live.invoker.invoke("world")
    assert all(key[0] != "world" for key in live.invoker.pool.sizes())
    wait_for(lambda: process_gone(pid), "world's environment shut down")


def test_an_invalid_edit_is_refused_once_and_the_last_valid_manifest_serves(live: Live) -> None:
    served = live.project.manifest
    live.edit(manifest(greeting="Hej").replace("handler: app.handler", "handler: 'no dot'", 1))
    assert live.reloader.check() is None
    assert live.reloader.check() is None  # the same text: not said again
    assert live.rejected == [
        "functions.yaml:5: functions.hello.handler: 1 validation error detected: Value "
        "'no dot' at 'handler' failed to satisfy constraint: Member must satisfy regular "
        r"expression pattern: [^\s]+"
    ]
    assert live.project.manifest is served
    assert live.invoke("hello")["greeting"] == "Hello"
    live.edit(manifest(greeting="Hej"))
    assert live.reloader.check() is not None
    assert live.invoke("hello")["greeting"] == "Hej"


def test_a_manifest_gone_for_a_while_is_said_once(live: Live) -> None:
    path = live.root / "functions.yaml"
    text = path.read_text()
    path.unlink()  # an editor's save by rename, seen midway; or a checkout
    assert live.reloader.check() is None
    assert live.reloader.check() is None
    assert len(live.rejected) == 1 and "cannot read manifest" in live.rejected[0]
    assert live.invoke("hello")["greeting"] == "Hello"
    path.write_text(text.replace("Hello", "Hi"))
    assert live.reloader.check() is not None
    assert live.invoke("hello")["greeting"] == "Hi"


def test_an_edit_drops_the_run_time_override_of_the_key_it_changes(live: Live) -> None:
    functions.update_configuration(live.project, "hello", Configuration(timeout=10))
    functions.update_configuration(live.project, "other", Configuration(timeout=20))
    assert live.project.function("hello").config.timeout == 10
    live.edit(manifest().replace("code: src/hello\n", "code: src/hello\n    timeout: 7\n"))
    assert live.reloader.check() is not None
    assert live.project.function("hello").config.timeout == 7  # the manifest's, now
    assert live.project.function("other").config.timeout == 20  # untouched: kept


def test_reserved_concurrency_and_queues_follow(live: Live) -> None:
    warm = live.invoke("hello")["pid"]
    text = manifest().replace("code: src/hello\n", "code: src/hello\n    reserved_concurrency: 0\n")
    live.edit(text + "queues:\n  jobs: {visibility_timeout: 5}\n")
    reload = live.reloader.check()
    assert reload is not None
    assert (reload.changed, reload.settings) == (("hello",), ("queues",))
    with pytest.raises(TooManyRequestsException):
        live.invoker.invoke("hello")
    assert queues.get(live.project, "jobs").attributes["visibility_timeout"] == 5
    live.edit(manifest())
    assert live.reloader.check() is not None
    assert live.invoke("hello")["pid"] == warm  # a limit, not a configuration: still warm


def test_event_sources_change_the_function_not_its_revision_and_streams_follow(
    live: Live,
) -> None:
    from lambdactl import versions

    warm = live.invoke("hello")["pid"]
    revision = versions.latest(live.project, "hello").revision_id
    events = "    events: [{queue: jobs}, {schedule: rate(1 hour)}]\n"
    text = manifest().replace("code: src/hello\n", "code: src/hello\n" + events)
    live.edit(text + "queues:\n  jobs: {}\nstreams:\n  clicks: {shards: 2}\n")
    reload = live.reloader.check()
    assert reload is not None
    assert (reload.changed, reload.settings) == (("hello",), ("queues", "streams"))
    spec = live.project.function("hello")
    assert [(s.kind, s.identity) for s in spec.events] == [
        ("queue", "jobs"),
        ("schedule", "rate(1 hour)"),
    ]
    assert live.project.manifest.streams["clicks"].shards == 2
    assert versions.latest(live.project, "hello").revision_id == revision  # not configuration
    assert live.invoke("hello")["pid"] == warm  # nor what its environments run


def test_project_wide_settings_follow(live: Live) -> None:
    live.invoke("hello")
    top = "account_concurrency: 400\nidle_timeout: 12\n"
    live.edit(manifest(top=top))
    reload = live.reloader.check()
    assert reload is not None
    assert reload.settings == ("account_concurrency", "idle_timeout")
    assert live.invoker.pool.idle_timeout == 12
    assert live.project.unreserved_concurrency == 400
    assert live.invoker.pool.sizes()  # no setting every environment carries: still warm
    live.edit(manifest(top=top.replace("400", "300")).replace("us-east-1", "eu-west-1"))
    reload = live.reloader.check()
    assert reload is not None and reload.settings == ("region", "account_concurrency")
    assert live.invoker.pool.sizes() == {}  # AWS_REGION is in every environment
    assert live.project.arn("hello") == "arn:aws:lambda:eu-west-1:123456789012:function:hello"


def test_the_thread_follows_edits_and_announces_the_text_it_serves(live: Live) -> None:
    state = live.root / ".lambda"
    state.mkdir(exist_ok=True)
    path = live.project.manifest.path
    announced = endpoint.Endpoint(url="http://127.0.0.1:9", pid=1, manifest=str(path))
    live.reloader.start(announced)
    assert endpoint._read(state / endpoint.FILE_NAME).serves(path)  # type: ignore[union-attr]

    live.edit(manifest(greeting="Hej"))
    wait_for(lambda: live.reloads, "the edit applied")
    assert live.reloads == [Reload(manifest=path, changed=("hello",))]
    wait_for(lambda: endpoint._read(state / endpoint.FILE_NAME).serves(path), "announced")  # type: ignore[union-attr]

    # A function whose code directory is made after the manifest names it: refused, then
    # applied at the next look, without another edit.
    new = "  later:\n    handler: app.handler\n    code: src/later\n"
    live.edit(manifest(greeting="Hej", more=new))
    wait_for(lambda: live.rejected, "the missing directory refused")
    found = endpoint._read(state / endpoint.FILE_NAME)
    assert found is not None and found.declined == live.rejected[0]
    assert found.unlike(path) == "keeps the last valid functions.yaml, as the edit is invalid"
    (live.root / "src" / "later").mkdir()
    (live.root / "src" / "later" / "app.py").write_text(HANDLER)
    wait_for(lambda: len(live.reloads) == 2, "applied once the directory is there")
    assert live.reloads[1].added == ("later",)
    assert len(live.rejected) == 1

    live.reloader.close()
    (state / endpoint.FILE_NAME).unlink()
    live.edit(manifest())
    time.sleep(0.3)  # nothing is published once closed (a stopping server withdrew it)
    assert not (state / endpoint.FILE_NAME).exists()
