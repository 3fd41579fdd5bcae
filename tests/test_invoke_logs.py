"""The invoker stores every environment's output in the log store: each invocation's lines,
what an environment wrote between invocations, and what it wrote before it was shut down."""

from __future__ import annotations

import base64
import time
from pathlib import Path

from lambdactl.logs.store import LogStore, Query, StoredEvent
from tests.runtime import Deployment, call, fn

GROUP = "/aws/lambda/f"


def stored(project_dir: Path) -> list[StoredEvent]:
    store = LogStore(project_dir / ".lambda", create=False)
    try:
        return list(store.read(GROUP, Query(after_id=0)))  # in commit order
    finally:
        store.close()


def test_lines_written_between_invocations_are_stored_before_the_next_start(
    deploy: Deployment, project_dir: Path
) -> None:
    invoker = deploy(f=fn("app.handler", "late_output.py"))
    first = call(invoker, tag="one", after=0.1)
    time.sleep(0.4)  # the late line is written while the environment idles
    second = call(invoker, tag="two", after=5)
    assert invoker.logs.flush()
    events = stored(project_dir)
    late = [e for e in events if e.message == "late line one"]
    assert len(late) == 1
    assert (late[0].request_id, late[0].kind) == (None, "other")
    assert late[0].stream == first.stream_name == second.stream_name
    starts = [e for e in events if e.message.startswith("START ")]
    assert [s.request_id for s in starts] == [first.request_id, second.request_id]
    assert starts[0].id < late[0].id < starts[1].id  # stored just before the next START
    assert starts[0].timestamp <= late[0].timestamp <= starts[1].timestamp
    assert "late line one" not in second.log  # not part of the next invocation's log


def test_lines_written_before_an_environment_shuts_down_are_stored(
    deploy: Deployment, project_dir: Path
) -> None:
    invoker = deploy(f=fn("app.handler", "late_output.py"))
    result = call(invoker, tag="last", after=0.2)
    time.sleep(0.5)
    invoker.close()  # shuts the environment down, then the writer stores what is pending
    late = [e for e in stored(project_dir) if e.message == "late line last"]
    assert len(late) == 1
    assert (late[0].stream, late[0].kind) == (result.stream_name, "other")


def test_tail_is_read_back_from_the_store(deploy: Deployment, project_dir: Path) -> None:
    invoker = deploy(f=fn("app.handler", "late_output.py"))
    result = invoker.invoke("f", payload=b'{"tag": "x", "after": 5}', log_type="Tail")
    assert result.log_result is not None
    tail = base64.b64decode(result.log_result).decode()
    mine = [e.message for e in stored(project_dir) if e.request_id == result.request_id]
    invocation = [m for m in mine if not m.startswith("INIT_")]
    assert tail == "\n".join(invocation) + "\n"
    assert invocation[0].startswith("START ") and invocation[-1].startswith("REPORT ")
