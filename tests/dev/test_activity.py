"""The dev loop's record: what the live view and the plain lines are drawn from."""

from __future__ import annotations

import json
from pathlib import Path

from lambdactl.dev.activity import KEPT_INVOCATIONS, Activity, Invocation, Notice, Reloaded
from lambdactl.invoke import Invoker
from lambdactl.project import Project

FAILING = """\
def handler(event, context):
    if event.get("fail"):
        raise ValueError("bad order " + str(event["fail"]))
    return {"ok": True}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def test_real_invocations_are_recorded_with_their_error_and_trace(
    project_dir: Path, project: Project
) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(FAILING)
    activity = Activity()
    heard: list[object] = []
    activity.listen(heard.append)
    with Invoker(project) as invoker:
        invoker.observe(activity.invoked)
        invoker.invoke("hello", payload=b"{}")
        invoker.invoke("hello", payload=json.dumps({"fail": 7}).encode())
    snap = activity.snapshot(
        endpoint="http://127.0.0.1:1",
        manifest="functions.yaml",
        functions=["hello"],
        environments={"hello": (1, 0)},
    )
    first, second = reversed(snap.invocations)  # newest first
    assert first.cold and first.status == "ok" and first.version == "$LATEST"
    assert not second.cold and second.status == "ValueError"
    assert snap.failure == second
    assert second.failure is not None and second.failure.message == "bad order 7"
    assert any("raise ValueError" in line for line in second.failure.trace)
    (row,) = snap.functions
    assert (row.name, row.warm, row.invocations, row.errors) == ("hello", 1, 2, 1)
    assert row.p50_ms is not None and row.p50_ms > 0
    assert heard == [first, second]


def test_a_payload_that_is_not_an_error_object_is_still_a_failure() -> None:
    from lambdactl.dev.activity import _failure

    assert _failure(b"not json").error_type == "Unhandled"
    assert _failure(b'{"errorType": "Runtime.ExitError"}').error_type == "Runtime.ExitError"
    assert _failure(b"[1]").message == "[1]"


def test_reloads_notices_clear_and_bounds() -> None:
    activity = Activity(clock=Clock())
    heard: list[object] = []
    activity.listen(heard.append)
    reload = activity.reloaded("hello", "app.py")
    notice = activity.note("manifest rejected", level="error")
    activity.status("hello", "installing requirements")
    assert heard == [reload, notice]
    assert isinstance(reload, Reloaded) and isinstance(notice, Notice)
    for i in range(KEPT_INVOCATIONS + 5):
        activity._invocations.appendleft(
            Invocation(
                at=i,
                function="hello",
                version="$LATEST",
                request_id=str(i),
                duration_ms=1.0,
                init_ms=None,
            )
        )
    snap = activity.snapshot(
        endpoint="e", manifest="m", functions=["hello", "other"], environments={}
    )
    assert len(snap.invocations) == KEPT_INVOCATIONS
    assert snap.invocations[0].request_id == str(KEPT_INVOCATIONS + 4)
    assert snap.functions[0].last_reload == reload.at
    assert snap.functions[0].status == "installing requirements"
    assert snap.functions[1].invocations == 0 and snap.functions[1].p50_ms is None
    assert snap.notices == (notice,)
    activity.clear()
    cleared = activity.snapshot(endpoint="e", manifest="m", functions=["hello"], environments={})
    assert cleared.invocations == () and cleared.notices == () and cleared.failure is None
    assert cleared.functions[0].status == "installing requirements"  # under way: kept
    assert cleared.functions[0].last_reload == reload.at
