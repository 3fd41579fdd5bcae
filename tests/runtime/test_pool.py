"""The warm pool with real processes: scale-out, one invocation per environment at a time,
idle reaping, replacement of `$LATEST` environments (issue 4; spec §6).
Handlers: tests/fixtures/handlers/limits.py."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lambdactl import versions
from lambdactl.invoke import InvocationResult, Invoker
from lambdactl.runtime.pool import Pool
from tests.runtime import call, fn, payload, process_gone

LIMITS = "limits.py"

Launch = Callable[..., Invoker]


def wait_gone(pids: list[int], seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not all(process_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def together(count: int, work: Callable[[int], InvocationResult]) -> list[InvocationResult]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert all(isinstance(r, InvocationResult) for r in results), results
    return results


# -- scale-out ----------------------------------------------------------------------------------


def test_concurrent_invokes_scale_out_then_stay_warm(launch: Launch, tmp_path: Path) -> None:
    """Eight invokes at once run in eight environments at the same time: each holds its
    environment until all eight have started (a gate the test opens), which a pool that ran
    them one after another would never reach."""
    invoker = launch(f=fn("app.gated", LIMITS, timeout=60))
    gate = tmp_path / "gate"
    (gate / "started").mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=8) as executor:
        calls = [executor.submit(call, invoker, dir=str(gate), i=i, wait=50) for i in range(8)]
        deadline = time.monotonic() + 30
        while len(list((gate / "started").iterdir())) < 8:
            started = len(list((gate / "started").iterdir()))
            assert time.monotonic() < deadline, f"{started} of 8 invocations running at once"
            assert not any(c.done() for c in calls), [c.result() for c in calls if c.done()]
            time.sleep(0.02)
        [(pool_key, counts)] = invoker.pool.sizes().items()
        assert counts == (0, 8)  # eight environments, all busy at once
        (gate / "open").touch()
        results = [c.result(timeout=30) for c in calls]
    assert all(r.function_error is None for r in results)
    pids = {payload(r)["pid"] for r in results}
    assert len(pids) == 8  # eight environments
    assert all(r.init_duration_ms is not None for r in results)  # each one cold
    assert len({r.stream_name for r in results}) == 8
    assert pool_key[:2] == ("f", "$LATEST")
    assert invoker.pool.sizes()[pool_key] == (8, 0)

    for i in range(8):
        warm = call(invoker, dir=str(gate), i=10 + i)
        assert warm.init_duration_ms is None
        assert payload(warm)["pid"] in pids
    assert invoker.pool.sizes()[pool_key] == (8, 0)  # no new environment
    assert not any(process_gone(pid) for pid in pids)


def test_each_environment_runs_one_invocation_at_a_time(launch: Launch) -> None:
    invoker = launch(f=fn("app.span", LIMITS, timeout=5))
    spans: list[dict] = []
    lock = threading.Lock()

    def caller(index: int) -> InvocationResult:
        last = None
        for round_ in range(4):
            last = call(invoker, sleep=0.03, i=index * 10 + round_)
            with lock:
                spans.append(payload(last))
        assert last is not None
        return last

    together(12, caller)
    assert len(spans) == 48
    assert sorted(s["i"] for s in spans) == sorted(i * 10 + r for i in range(12) for r in range(4))
    by_pid: dict[int, list[dict]] = defaultdict(list)
    for span in spans:
        by_pid[span["pid"]].append(span)
    assert 1 < len(by_pid) <= 12
    reused = 0
    for pid_spans in by_pid.values():
        pid_spans.sort(key=lambda s: s["enter"])
        for before, after in zip(pid_spans, pid_spans[1:]):
            assert after["enter"] >= before["exit"], (before, after)  # never overlapping
            reused += 1
    assert reused == 48 - len(by_pid)  # every other invocation reused a warm environment


def test_many_concurrent_invokes_get_their_own_payloads(launch: Launch) -> None:
    invoker = launch(f=fn("app.echo", LIMITS))

    def one(index: int) -> tuple[int, InvocationResult]:
        return index, call(invoker, i=index, text="x" * index)

    with ThreadPoolExecutor(max_workers=16) as executor:
        outcomes = list(executor.map(one, range(100)))
    assert len(outcomes) == 100
    for index, result in outcomes:
        assert result.function_error is None
        assert json.loads(result.payload) == {"i": index, "text": "x" * index}
        assert result.log[0] == f"START RequestId: {result.request_id} Version: $LATEST"
    assert len({result.request_id for _, result in outcomes}) == 100
    [(idle, busy)] = invoker.pool.sizes().values()
    assert busy == 0 and 1 <= idle <= 16


# -- idle environments --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_environments_are_reaped_by_the_clock(launch: Launch) -> None:
    invoker = launch(f=fn("app.pid", LIMITS))
    clock = Clock()
    invoker.pool.shutdown()
    pool = invoker.pool = Pool(
        invoker.project.manifest.state_dir / "scratch",
        governor=invoker.pool.governor,
        idle_timeout=10.0,
        clock=clock,
    )
    first = call(invoker)
    pid = payload(first)
    assert first.init_duration_ms is not None
    clock.now += 9.9
    assert pool.reap() == 0
    warm = call(invoker)  # reuse restarts the idle time
    assert (payload(warm), warm.init_duration_ms) == (pid, None)
    clock.now += 9.9
    assert pool.reap() == 0
    assert not process_gone(pid)
    clock.now += 0.1
    assert pool.reap() == 1
    assert wait_gone([pid])
    assert pool.sizes() == {}
    assert pool.reap() == 0
    cold = call(invoker)
    assert cold.init_duration_ms is not None
    assert payload(cold) != pid


def test_reaper_only_takes_the_environments_idle_long_enough(launch: Launch) -> None:
    invoker = launch(f=fn("app.pid", LIMITS, timeout=3))
    clock = Clock()
    invoker.pool.shutdown()
    pool = invoker.pool = Pool(
        invoker.project.manifest.state_dir / "scratch", idle_timeout=10.0, clock=clock
    )
    pids = {payload(r) for r in together(2, lambda _i: call(invoker, sleep=0.3))}
    assert len(pids) == 2
    clock.now += 5
    recent = payload(call(invoker))  # one of them is used again at t+5
    [older] = pids - {recent}
    clock.now += 5
    assert pool.reap() == 1
    assert wait_gone([older])
    assert not process_gone(recent)
    assert [counts for counts in pool.sizes().values()] == [(1, 0)]


def test_idle_timeout_from_the_manifest(launch: Launch) -> None:
    invoker = launch({"idle_timeout": 0.2}, f=fn("app.pid", LIMITS))
    assert invoker.pool.idle_timeout == 0.2
    first = call(invoker)
    pid = payload(first)
    warm = call(invoker)  # right away: still warm
    assert (payload(warm), warm.init_duration_ms) == (pid, None)
    assert wait_gone([pid], 2.0), "the idle environment was not shut down"
    assert invoker.pool.sizes() == {}
    cold = call(invoker)
    assert cold.init_duration_ms is not None
    assert payload(cold) != pid


def test_default_idle_timeout_keeps_environments(launch: Launch) -> None:
    invoker = launch(f=fn("app.pid", LIMITS))
    assert invoker.pool.idle_timeout == 300.0
    pid = payload(call(invoker))
    time.sleep(0.3)
    assert invoker.pool.reap() == 0
    assert payload(call(invoker)) == pid


# -- $LATEST edits and published versions ------------------------------------------------------


@pytest.mark.parametrize("watch_code", [False, True], ids=["scan", "watch_code"])
def test_latest_edit_replaces_its_environment(launch: Launch, watch_code: bool) -> None:
    invoker = launch(f=fn("app.pid", LIMITS), watch_code=watch_code)
    versions.publish(invoker.project, "f")
    latest = call(invoker)
    published = invoker.invoke("f", qualifier="1")
    old, kept = payload(latest), payload(published)
    assert old != kept  # one environment per version
    assert payload(call(invoker)) == old  # warm

    app = Path(invoker.project.manifest.functions["f"].code) / "app.py"
    app.write_text(app.read_text() + "\nEDITED = True\n")
    if watch_code:
        time.sleep(0.2)  # file-system events arrive asynchronously (see the test below)
    edited = call(invoker)
    assert edited.init_duration_ms is not None  # Init Duration again
    assert "\tInit Duration: " in edited.log[-1]
    assert payload(edited) != old
    assert edited.stream_name != latest.stream_name
    assert wait_gone([old]), "the replaced $LATEST environment is still running"

    again = invoker.invoke("f", qualifier="1")
    assert (payload(again), again.init_duration_ms) == (kept, None)  # still warm
    assert again.stream_name == published.stream_name
    assert not process_gone(kept)
    keys = invoker.pool.sizes()
    assert sorted((key[1], counts) for key, counts in keys.items()) == [
        ("$LATEST", (1, 0)),
        ("1", (1, 0)),
    ]


def test_environment_busy_during_an_edit_is_not_kept(launch: Launch, tmp_path: Path) -> None:
    """An environment of the old `$LATEST` that was running when the code changed can never
    be used again: when its invocation ends it must go, not wait idle for `idle_timeout`."""
    invoker = launch(f=fn("app.hold", LIMITS, timeout=5))
    marker = tmp_path / "busy.pid"
    busy = threading.Thread(
        target=call, args=(invoker,), kwargs={"pid_file": str(marker), "sleep": 0.5}
    )
    busy.start()
    try:
        deadline = time.monotonic() + 10
        while not marker.exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        old = int(marker.read_text())
        app = Path(invoker.project.manifest.functions["f"].code) / "app.py"
        app.write_text(app.read_text() + "\nEDITED = True\n")
        new = call(invoker)
        assert new.init_duration_ms is not None and payload(new) != old
    finally:
        busy.join(timeout=10)
    assert [counts for counts in invoker.pool.sizes().values()] == [(1, 0)]
    assert wait_gone([old]), "the old revision's environment was kept"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="raises RLIMIT_NOFILE")
def test_an_environment_starts_and_logs_with_descriptors_past_1023_in_use(
    launch: Launch,
) -> None:
    """A long-running process (a worker, a server) holds many descriptors; the ones an
    environment gets then lie past select()'s limit of 1024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1100
    if hard != resource.RLIM_INFINITY and hard < wanted + 64:
        pytest.skip(f"the hard descriptor limit ({hard}) is too low")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted + 64), hard))
    held: list[int] = []
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        held.append(null)
        while held[-1] < wanted:
            held.append(os.dup(null))
        invoker = launch(f=fn("app.prints"))
        result = invoker.invoke("f", payload=b'{"x": 1}')
        assert result.function_error is None, result.payload
        assert result.payload == b'"ok"'
        assert "to stderr" in "\n".join(result.log), result.log
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_retired_environments_go_now_and_a_busy_one_when_it_is_released(launch: Launch) -> None:
    invoker = launch(f=fn("app.pid", LIMITS, timeout=5), g=fn("app.pid", LIMITS, timeout=5))
    pids = {payload(r) for r in together(2, lambda _i: call(invoker, sleep=0.3))}
    other = payload(call(invoker, "g"))
    with ThreadPoolExecutor(1) as running:
        busy = running.submit(call, invoker, sleep=1.0)
        deadline = time.monotonic() + 10
        while not any(b for _i, b in invoker.pool.sizes().values()):  # until it runs
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert invoker.pool.retire(lambda key: key[0] == "f") == 1
        busy_pid = payload(busy.result())
    [idle] = pids - {busy_pid}
    assert wait_gone([idle])
    assert wait_gone([busy_pid])  # not kept for reuse
    assert not process_gone(other)  # another function's: untouched
    assert [key[0] for key in invoker.pool.sizes()] == ["g"]
    assert payload(call(invoker)) not in pids  # a fresh one
