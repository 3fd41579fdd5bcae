"""Resource limits with real processes: timeout, memory (OOM kill) and CPU share (issue 4;
spec §2.2, §6). Handlers: tests/fixtures/handlers/limits.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdactl.invoke import InvocationResult, Invoker
from lambdactl.runtime.governor import ONE_VCPU_MB, cpu_share
from tests.runtime import (
    call,
    fn,
    payload,
    process_gone,
    report_fields,
    report_line,
)

LIMITS = "limits.py"
REPORT_HEAD = (
    r"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: 128 MB\tMax Memory Used: (\d+) MB\t"
)
TOLERANCE = 0.15
"""How far over its share a throttled handler may run: it starts with a period's quota (7 ms
at 128 MB) and runs on until the governor's next check."""
FAST_SECONDS = 0.18
"""CPU seconds the `burn` handler uses: ~2.5 s of wall time at 128 MB."""

Launch = Callable[..., Invoker]


def wait_gone(pid: int, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not process_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def exit_error(rid: str, reason: str) -> bytes:
    return (
        '{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ' + rid + " Error: " + reason
    ).encode() + b'"}'


# -- timeout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hang", "spin"])
def test_timeout_stops_a_handler_that_ignores_signals(
    launch: Launch, tmp_path: Path, mode: str
) -> None:
    """SIGTERM/SIGINT ignored, every exception swallowed (sleeping or burning CPU, which the
    CPU governor may have stopped): the timeout still ends it and resets the environment."""
    invoker = launch(f=fn("app.stubborn", LIMITS))
    assert payload(call(invoker, do="count")) == 1
    assert payload(call(invoker, do="count")) == 2
    old_pid = payload(call(invoker, do="pid"))
    pid_file = tmp_path / "stubborn.pid"
    started = time.monotonic()
    result = call(invoker, do=mode, pid_file=str(pid_file))
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 3.0
    assert int(pid_file.read_text()) == old_pid
    rid = result.request_id
    assert (
        result.payload
        == (
            '{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: '
            + rid
            + ' Error: Task timed out after 1.00 seconds"}'
        ).encode()
    )
    assert (result.status_code, result.function_error, result.error_type) == (
        200,
        "Unhandled",
        "Sandbox.Timedout",
    )
    assert (result.duration_ms, result.billed_duration_ms) == (1000.0, 1000)
    assert re.fullmatch(
        REPORT_HEAD.format(rid=re.escape(rid)).replace(r"\d+\.\d\d ms", r"1000\.00 ms", 1)
        + "Status: timeout",
        result.log[-1],
    )
    assert result.log[-2] == f"END RequestId: {rid}"
    assert result.log[-3].endswith(f" {rid} Task timed out after 1.00 seconds")
    assert wait_gone(old_pid), "the signal-ignoring runtime survived its timeout"

    after = call(invoker, do="count")
    assert payload(after) == 1  # module globals start over
    assert after.init_duration_ms is not None  # re-initialised
    assert payload(call(invoker, do="pid")) != old_pid


# -- memory -------------------------------------------------------------------------------------


def test_allocation_past_memory_is_killed_as_out_of_memory(launch: Launch) -> None:
    # CPU share off: at 128 MB a throttled allocation loop on a busy machine can outlast its timeout
    invoker = launch(throttle_cpu=False, f=fn("app.allocate", LIMITS, memory=128, timeout=5))
    warm = call(invoker, mb=1)
    old_pid = payload(warm)["pid"]
    result = call(invoker, mb=300)
    rid = result.request_id
    message = f"RequestId: {rid} Error: Runtime exited with error: signal: killed"
    assert result.payload == exit_error(rid, "Runtime exited with error: signal: killed")
    assert json.loads(result.payload) == {"errorType": "Runtime.ExitError", "errorMessage": message}
    assert (result.status_code, result.function_error, result.error_type) == (
        200,
        "Unhandled",
        "Runtime.OutOfMemory",
    )
    assert result.init_duration_ms is None
    assert list(result.log[-4:-1]) == [message, "Runtime.ExitError", f"END RequestId: {rid}"]
    report = report_line(result.log)
    match = re.fullmatch(
        REPORT_HEAD.format(rid=re.escape(rid)) + r"Status: error\tError Type: Runtime\.OutOfMemory",
        report,
    )
    assert match, report
    assert report.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    used = int(match.group(1))
    assert used == result.max_memory_mb
    assert 128 <= used < 300  # stopped on the way, not after the whole allocation
    assert wait_gone(old_pid)

    after = call(invoker, mb=2)
    assert after.function_error is None
    assert payload(after)["mb"] == 2
    assert payload(after)["pid"] != old_pid
    assert after.init_duration_ms is not None  # a new environment process
    assert "Init Duration: " in report_line(after.log)


def oom_in_child(launch: Launch, tmp_path: Path) -> tuple[InvocationResult, int]:
    invoker = launch(
        throttle_cpu=False, f=fn("app.allocate_in_child", LIMITS, memory=128, timeout=5)
    )
    pid_file = tmp_path / "child.pid"
    result = call(invoker, mb=300, pid_file=str(pid_file))
    return result, int(pid_file.read_text())


def test_memory_of_the_handlers_children_counts(launch: Launch, tmp_path: Path) -> None:
    result, child = oom_in_child(launch, tmp_path)
    assert result.payload == exit_error(
        result.request_id, "Runtime exited with error: signal: killed"
    )
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.OutOfMemory")
    assert report_line(result.log).endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    assert wait_gone(child)


def test_max_memory_used_includes_the_children_that_ran_out(launch: Launch, tmp_path: Path) -> None:
    result, _child = oom_in_child(launch, tmp_path)
    assert result.error_type == "Runtime.OutOfMemory"
    assert result.max_memory_mb >= 128  # it was killed for using more than 128 MB


def test_allocation_within_memory_is_measured(launch: Launch) -> None:
    invoker = launch(f=fn("app.allocate", LIMITS, memory=128, timeout=5))
    call(invoker, mb=0)
    baseline = call(invoker, mb=0)
    assert baseline.init_duration_ms is None and baseline.function_error is None
    assert 0 < baseline.max_memory_mb < 100
    grown = call(invoker, mb=20)
    assert grown.function_error is None and grown.error_type is None
    assert payload(grown)["mb"] == 20
    assert grown.init_duration_ms is None  # same, still warm environment
    assert baseline.max_memory_mb + 15 < grown.max_memory_mb < 128
    fields = report_fields(report_line(grown.log))
    assert fields["Max Memory Used"] == f"{grown.max_memory_mb} MB"
    assert "Status" not in fields


def test_memory_growth_during_init_is_out_of_memory(launch: Launch) -> None:
    invoker = launch(
        f=fn("app.noop", LIMITS, memory=128, timeout=3, environment={"ALLOC_AT_INIT_MB": "300"})
    )
    result = call(invoker)
    rid = result.request_id
    assert result.payload == exit_error(rid, "Runtime exited with error: signal: killed")
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.OutOfMemory")
    assert re.fullmatch(
        r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\t"
        r"Error Type: Runtime\.OutOfMemory",
        result.init_log[-1],
    )
    assert report_line(result.log).endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    assert result.max_memory_mb >= 128


def test_init_within_memory_succeeds(launch: Launch) -> None:
    invoker = launch(
        f=fn("app.noop", LIMITS, memory=128, timeout=3, environment={"ALLOC_AT_INIT_MB": "30"})
    )
    result = call(invoker)
    assert (result.function_error, result.payload) == (None, b"null")
    assert result.init_duration_ms is not None
    assert 30 < result.max_memory_mb < 128


# -- CPU share ----------------------------------------------------------------------------------
#
# Measured inside the handler against its own wall time (`burn`: spin until the process has
# used C seconds of CPU, the same demand whatever the machine's momentary speed), with the time
# it waited for a CPU (the machine's load) told apart from the time the governor held it
# stopped. Load slows a function, but it cannot lift a throttled one over its share, make the
# governor hold it longer than its share requires, or make the governor stop an unthrottled
# one: these tests assert only that. How many times slower one memory size runs than another
# is a speed comparison that load (and this VM's drifting CPU speed) skews:
# `benchmarks/scaling.py` measures it, for fixed work and for a fixed CPU demand.


def burn(invoker: Invoker, function: str, cpu: float) -> dict[str, float]:
    result = call(invoker, function, cpu=cpu)
    assert result.function_error is None, result.payload
    return payload(result)


def held(run: dict[str, float]) -> float:
    """Seconds the handler was neither running nor waiting for a CPU: held stopped by the
    governor (a spinning handler does nothing else)."""
    return run["elapsed"] - run["cpu"] - run["waited"]


def never_held(run: dict[str, float]) -> bool:
    return held(run) < run["elapsed"] * 0.1


def held_back(run: dict[str, float]) -> bool:
    return held(run) > run["elapsed"] / 2


def functions(handler: str) -> dict[str, dict]:
    return {
        "small": fn(handler, LIMITS, memory=128, timeout=10),
        "big": fn(handler, LIMITS, memory=ONE_VCPU_MB, timeout=10),
    }


def test_cpu_share_follows_memory_formula() -> None:
    assert cpu_share(128) == pytest.approx(128 / 1769)
    assert cpu_share(ONE_VCPU_MB) == 1.0
    assert cpu_share(10240) == pytest.approx(10240 / 1769)
    assert cpu_share(20000) == 6.0


def test_cpu_bound_handler_at_128_mb_gets_128_over_1769_of_a_vcpu(launch: Launch) -> None:
    invoker = launch(**functions("app.burn"))
    burn(invoker, "small", 0.001)  # both warm: init is not throttled, an invocation is
    burn(invoker, "big", 0.001)
    share = 128 / 1769  # AWS's: 1 vCPU at 1,769 MB
    small = burn(invoker, "small", FAST_SECONDS)
    assert small["cpu"] < share * small["elapsed"] * (1 + TOLERANCE), small  # at most its share
    assert held_back(small), small
    assert held(small) * share < small["cpu"] * (1 + TOLERANCE), small  # no longer than due
    big = burn(invoker, "big", FAST_SECONDS)
    assert never_held(big), big  # a whole vCPU at 1,769 MB


def unheld_ratio(run: dict[str, float]) -> float:
    """Wall time not spent waiting for a CPU, over CPU time: 1 when never held stopped."""
    return (run["elapsed"] - run["waited"]) / run["cpu"]


def test_a_short_handler_is_throttled_below_one_vcpu(launch: Launch) -> None:
    """CFS bandwidth control, as AWS: 130 ms of CPU at 1,024 MB (0.58 vCPU, a 58 ms quota
    per 100 ms period) is held stopped until each boundary once its quota is used (~200 ms
    in all); a continuously refilled bucket let it run unthrottled (137 ms of credit). At
    1,769 MB (one vCPU) it never waits."""
    invoker = launch(
        mid=fn("app.burn", LIMITS, memory=1024, timeout=10),
        big=fn("app.burn", LIMITS, memory=ONE_VCPU_MB, timeout=10),
    )
    burn(invoker, "mid", 0.001)
    burn(invoker, "big", 0.001)
    mid = burn(invoker, "mid", 0.13)
    assert unheld_ratio(mid) > 1.2, mid
    big = burn(invoker, "big", 0.13)
    assert unheld_ratio(big) < 1.2, big


def test_long_run_duty_cycle_is_the_share(launch: Launch) -> None:
    """Over many periods, the CPU granted is the share (0.29 at 512 MB): no carry-over lifts
    it, and being continued only at boundaries does not sink it far below."""
    invoker = launch(f=fn("app.burn", LIMITS, memory=512, timeout=10))
    burn(invoker, "f", 0.001)
    run = burn(invoker, "f", 0.3)
    granted = 1 / unheld_ratio(run)
    assert cpu_share(512) * 0.7 < granted < cpu_share(512) * (1 + TOLERANCE), run


@pytest.mark.parametrize("where", ["invoker", "manifest"])
def test_cpu_throttling_can_be_turned_off(launch: Launch, where: str) -> None:
    if where == "invoker":
        invoker = launch(throttle_cpu=False, **functions("app.burn"))
    else:
        invoker = launch({"cpu_throttling": False}, **functions("app.burn"))
        assert invoker.project.manifest.cpu_throttling is False
    burn(invoker, "small", 0.001)
    small = burn(invoker, "small", 0.1)  # throttled, it would be held ~1.3 s of ~1.4 s
    assert never_held(small), small


def test_invoker_flag_overrides_the_manifest(launch: Launch) -> None:
    invoker = launch({"cpu_throttling": False}, throttle_cpu=True, **functions("app.burn"))
    burn(invoker, "small", 0.001)
    small = burn(invoker, "small", 0.04)
    assert held_back(small), small


def test_metering_turned_off_continues_a_stopped_process() -> None:
    """A debugger attaching to a throttled environment (issue 11): it must run on at once."""
    import subprocess
    import sys

    from lambdactl.runtime.governor import Governor
    from tests.dap import wait_until

    def stopped() -> bool:
        return Path(f"/proc/{busy.pid}/stat").read_text().rsplit(") ", 1)[1][0] == "T"

    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
    governor = Governor()
    try:
        governor.watch(busy.pid, memory_mb=128, cpu=True, on_oom=lambda: None)
        wait_until(stopped, 10)
        governor.watch(busy.pid, memory_mb=128, cpu=False, on_oom=lambda: None)
        assert not stopped()
    finally:
        governor.unwatch(busy.pid)
        busy.kill()
        busy.wait()


def test_noop_handler_at_128_mb_is_not_slowed(launch: Launch) -> None:
    invoker = launch(f=fn("app.noop", LIMITS, memory=128))
    call(invoker)
    for _ in range(10):
        started = time.perf_counter()
        result = call(invoker)
        elapsed = time.perf_counter() - started
        assert result.init_duration_ms is None and result.payload == b"null"
        assert elapsed < 0.050, elapsed


def test_cli_flag_turns_cpu_throttling_off(launch: Launch, cli) -> None:  # type: ignore[no-untyped-def]
    launch(**functions("app.burn"))
    event = json.dumps({"cpu": 0.05})
    free = cli("invoke", "small", "--no-cpu-throttle", "-p", event)
    assert free.code == 0, free.err
    assert never_held(json.loads(free.out)), free.out
    throttled = cli("invoke", "small", "-p", event)  # on by default
    assert throttled.code == 0, throttled.err
    assert held_back(json.loads(throttled.out)), throttled.out
