"""Concurrency limits and throttling with real processes (issue 4; spec §2.4, §6).

A unit of concurrency is an flock'ed slot file, shared by every lambdactl process of a project.
Handlers: tests/fixtures/handlers/limits.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdactl.errors import TooManyRequestsException
from lambdactl.invoke import InvocationResult, Invoker
from lambdactl.runtime.concurrency import ConcurrencyLimits
from tests.runtime import call, fn, payload, process_gone

LIMITS = "limits.py"
RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT = "ConcurrentInvocationLimitExceeded"
REPO = Path(__file__).resolve().parents[2]

Launch = Callable[..., Invoker]




def together(count: int, work: Callable[[int], object]) -> list[tuple[object, float]]:
    """Run `work(i)` in `count` threads released at once: (result or exception, seconds)."""
    barrier = threading.Barrier(count)
    outcomes: list[tuple[object, float]] = [(None, 0.0)] * count

    def run(index: int) -> None:
        barrier.wait()
        started = time.monotonic()
        try:
            value: object = work(index)
        except Exception as exc:  # collected and asserted by the caller
            value = exc
        outcomes[index] = (value, time.monotonic() - started)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return outcomes


def split(outcomes: list[tuple[object, float]]) -> tuple[list, list]:
    """(successful InvocationResults, TooManyRequestsExceptions with their durations)."""
    ok = [value for value, _ in outcomes if isinstance(value, InvocationResult)]
    throttled = [(value, t) for value, t in outcomes if isinstance(value, TooManyRequestsException)]
    others = [value for value, _ in outcomes if value not in ok and isinstance(value, Exception)]
    assert not [o for o in others if not isinstance(o, TooManyRequestsException)], others
    return ok, throttled


def check_throttle(exc: TooManyRequestsException, reason: str) -> None:
    assert exc.reason == reason
    assert exc.message == "Rate Exceeded."
    assert exc.http_status == 429
    assert exc.aws_type == "TooManyRequestsException"
    assert exc.exit_code == 5
    assert str(exc) == f"TooManyRequestsException ({reason}): Rate Exceeded."


# -- reserved concurrency -----------------------------------------------------------------------


def test_reserved_concurrency_1_throttles_the_second_concurrent_call(launch: Launch) -> None:
    invoker = launch(f=fn("app.pid", LIMITS, reserved_concurrency=1, timeout=3))
    outcomes = together(2, lambda _i: call(invoker, sleep=1))
    ok, throttled = split(outcomes)
    assert len(ok) == 1 and len(throttled) == 1, outcomes
    exc, seconds = throttled[0]
    check_throttle(exc, RESERVED)
    assert seconds < 0.5  # refused at once, not after waiting for the slot
    assert ok[0].function_error is None
    winner = payload(ok[0])
    assert invoker.concurrency.in_use("f") == 0  # the slot was released
    # only one environment was ever started: the throttled call ran nothing
    assert [counts for counts in invoker.pool.sizes().values()] == [(1, 0)]
    after = call(invoker)
    assert after.function_error is None
    assert payload(after) == winner  # the warm environment, free again
    assert after.init_duration_ms is None


def test_reserved_concurrency_1_serial_calls_all_succeed(launch: Launch) -> None:
    invoker = launch(f=fn("app.count", LIMITS, reserved_concurrency=1))
    assert [payload(call(invoker)) for _ in range(5)] == [1, 2, 3, 4, 5]


def test_reserved_concurrency_0_throttles_everything(launch: Launch, tmp_path: Path) -> None:
    invoker = launch(f=fn("app.count", LIMITS, reserved_concurrency=0), g=fn("app.count", LIMITS))
    for _ in range(3):
        with pytest.raises(TooManyRequestsException) as info:
            call(invoker)
        check_throttle(info.value, RESERVED)
    with pytest.raises(TooManyRequestsException):
        invoker.invoke("f", qualifier="$LATEST")
    assert invoker.pool.sizes() == {}  # no environment was started
    assert invoker.invoke("f", invocation_type="DryRun").status_code == 204
    assert payload(call(invoker, "g")) == 1  # other functions are unaffected
    assert invoker.project.manifest.unreserved_concurrency == 1000


def test_cli_reports_a_throttle_with_exit_code_5(launch: Launch, cli) -> None:  # type: ignore[no-untyped-def]
    launch(f=fn("app.count", LIMITS, reserved_concurrency=0))
    result = cli("invoke", "f")
    assert result.code == 5
    assert result.out == ""
    assert result.err == (
        "error: TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded): "
        "Rate Exceeded.\n"
    )


# -- the account's limit ------------------------------------------------------------------------


def test_reservations_come_out_of_the_account_limit(launch: Launch) -> None:
    invoker = launch(
        {"account_concurrency": 101},
        r=fn("app.count", LIMITS, reserved_concurrency=1),
        u=fn("app.count", LIMITS),
    )
    manifest = invoker.project.manifest
    assert (manifest.account_concurrency, manifest.unreserved_concurrency) == (101, 100)
    limits = ConcurrencyLimits(manifest)
    held = [limits.acquire("u") for _ in range(100)]
    assert limits.in_use("u") == 100
    with pytest.raises(TooManyRequestsException) as info:
        limits.acquire("u")
    check_throttle(info.value, ACCOUNT)
    with pytest.raises(TooManyRequestsException) as through_invoker:
        call(invoker, "u")  # the Invoker takes the same slots
    check_throttle(through_invoker.value, ACCOUNT)
    # the reserved function has its own slot, untouched by the unreserved pool being full
    assert payload(call(invoker, "r")) == 1
    reserved = limits.acquire("r")
    with pytest.raises(TooManyRequestsException) as reserved_info:
        limits.acquire("r")
    check_throttle(reserved_info.value, RESERVED)
    reserved.release()
    held.pop().release()
    assert limits.in_use("u") == 99
    assert payload(call(invoker, "u")) == 1  # one slot free again
    for slot in held:
        slot.release()
    assert limits.in_use("u") == 0


def test_account_limit_exhausted_by_concurrent_calls(launch: Launch) -> None:
    invoker = launch({"account_concurrency": 2}, f=fn("app.pid", LIMITS, timeout=3))
    assert invoker.project.manifest.unreserved_concurrency == 2
    outcomes = together(3, lambda _i: call(invoker, sleep=1))
    ok, throttled = split(outcomes)
    assert len(ok) == 2 and len(throttled) == 1, outcomes
    check_throttle(throttled[0][0], ACCOUNT)
    assert throttled[0][1] < 0.5
    assert len({payload(result) for result in ok}) == 2  # two environments ran side by side
    assert invoker.concurrency.in_use("f") == 0
    assert call(invoker).function_error is None


def test_account_limit_is_shared_by_all_unreserved_functions(
    launch: Launch, tmp_path: Path
) -> None:
    invoker = launch(
        {"account_concurrency": 1}, f=fn("app.hold", LIMITS, timeout=3), g=fn("app.hold", LIMITS)
    )
    marker = tmp_path / "f.pid"
    holder = threading.Thread(
        target=call, args=(invoker, "f"), kwargs={"pid_file": str(marker), "sleep": 1}
    )
    holder.start()
    try:
        wait_for(marker)
        with pytest.raises(TooManyRequestsException) as info:
            call(invoker, "g")
        check_throttle(info.value, ACCOUNT)
    finally:
        holder.join(timeout=10)
    assert call(invoker, "g").function_error is None


def wait_for(path: Path, seconds: float = 10.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process is not None:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


# -- across processes ---------------------------------------------------------------------------


def test_slot_held_by_another_process_until_it_is_killed(
    launch: Launch, project_dir: Path, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    invoker = launch(f=fn("app.spawn", LIMITS, reserved_concurrency=1, timeout=30))
    pid_file = tmp_path / "holder.pid"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LAMBDACTL_MANIFEST", None)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lambdactl",
            "invoke",
            "f",
            "-p",
            json.dumps({"pid_file": str(pid_file)}),
        ],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(pid_file, 15, holder)
        runtime, sleeper = map(int, pid_file.read_text().split())
        assert invoker.concurrency.in_use("f") == 1
        with pytest.raises(TooManyRequestsException) as info:
            call(invoker, pid_file=str(tmp_path / "never"), **{"return": True})
        check_throttle(info.value, RESERVED)
        throttled = cli("invoke", "f", "-p", "{}")
        assert throttled.code == 5
        assert throttled.err == (
            "error: TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded):"
            " Rate Exceeded.\n"
        )
        assert not (tmp_path / "never").exists()

        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=5) == -signal.SIGKILL
        # the kernel dropped the dead process's flock: the slot is free at once
        assert invoker.concurrency.in_use("f") == 0
        mine = tmp_path / "mine.pid"
        result = call(invoker, pid_file=str(mine), **{"return": True})
        assert result.function_error is None, result.payload
        assert payload(result)[0] != runtime
        deadline = time.monotonic() + 2
        while not (process_gone(runtime) and process_gone(sleeper)):
            assert time.monotonic() < deadline, "the killed invoker left its runtime behind"
            time.sleep(0.02)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stderr is not None:
            holder.stderr.close()


# -- descriptors --------------------------------------------------------------------------------


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_probing_the_whole_unreserved_pool_keeps_few_descriptors_open(launch: Launch) -> None:
    from lambdactl.runtime.concurrency import MAX_SPARES

    invoker = launch(f=fn())
    invoker.concurrency.acquire("f").release()  # the pool's directory exists
    before = _open_descriptors()
    assert invoker.concurrency.in_use("f") == 0  # takes each of its 900 slots for an instant
    assert _open_descriptors() - before <= MAX_SPARES
