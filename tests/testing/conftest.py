"""A real project for the plugin's tests: functions.yaml and handler code in pytester's
directory, and the plugin registered as an installed lambdactl registers it (the entry
points of pyproject.toml, written as installed metadata first on the inner run's path)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
functions:
  hello:
    handler: app.handler
    code: src/app
    environment: {GREETING: Hello}
  broken:
    handler: app.broken
    code: src/app
    async:
      retry_delays: [0.05, 0.05]
      on_failure: {queue: failures}
    dead_letter: {queue: dead}
  relay:
    handler: app.relay
    code: src/app
    timeout: 30
  retried:
    handler: app.broken
    code: src/app
    dead_letter: {queue: dead}
queues:
  inbox: {}
  failures: {}
  dead: {}
streams:
  clicks: {shards: 1}
"""

HANDLER = """\
import json
import os

print("init", os.getpid())


def handler(event, context):
    print("handling", event.get("name"))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {
        "hello": event.get("name", "world"),
        "pid": os.getpid(),
        "greeting": os.environ.get("GREETING"),
        "client": context.client_context and context.client_context.custom,
    }


def relay(event, context):
    import boto3  # the SDK the runtime provides, pointed at the test's server

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="inbox")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    return url


def broken(event, context):
    print("broken by", event)
    raise RuntimeError("always")
"""


def installed_metadata(site: Path) -> None:
    """lambdactl's distribution metadata with pyproject.toml's entry points, as pip writes it
    on install: importlib.metadata (and so pytest's plugin autoloading) reads it from the
    first directory of the path that has one, this one."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        pytest.skip("tomllib is Python 3.11+")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    dist = site / f"lambdactl-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: lambdactl\nVersion: {project['version']}\n"
    )
    groups = [
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in project["entry-points"].items()
    ]
    (dist / "entry_points.txt").write_text("\n".join(groups))


@pytest.fixture
def functions(
    pytester: pytest.Pytester,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> pytest.Pytester:
    """pytester's directory holding a project (`hello`, `relay`, `broken`, `retried`;
    queues, a stream), with warnings as errors in the runs it makes."""
    site = tmp_path_factory.mktemp("site")
    installed_metadata(site)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join((str(site), str(REPO))))
    monkeypatch.delenv("LAMBDACTL_MANIFEST", raising=False)
    (pytester.path / "functions.yaml").write_text(MANIFEST)
    (pytester.path / "src" / "app").mkdir(parents=True)
    (pytester.path / "src" / "app" / "app.py").write_text(HANDLER)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    return pytester


def run(pytester: pytest.Pytester, test_code: str, *args: str) -> pytest.RunResult:
    """Run pytest in a process of its own on `test_code` (one test file, in tests/)."""
    tests = pytester.path / "tests"
    tests.mkdir(exist_ok=True)
    (tests / "test_functions.py").write_text(textwrap.dedent(test_code))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, "tests", timeout=180)
