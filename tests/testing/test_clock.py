"""Asynchronous events on the test's clock: AWS's retry delays (1 and 2 minutes) jumped
over by `wait`, the event age moved by `clock.advance`."""

from __future__ import annotations

import pytest

from lambdactl.errors import UsageError
from lambdactl.testing.clock import Clock
from tests.testing.conftest import run

pytest_plugins = ("pytester",)


def test_advance_moves_forward_only() -> None:
    clock = Clock()
    before = clock.now()
    assert clock.advance(60) >= before + 60
    assert clock.advance_to(before) >= before + 60  # a moment behind: no move
    with pytest.raises(UsageError, match="seconds must be 0 or more, not -1"):
        clock.advance(-1)
    with pytest.raises(UsageError):
        clock.advance(float("nan"))


def test_retries_and_event_age_run_on_the_test_clock(functions: pytest.Pytester) -> None:
    result = run(
        functions,
        """
        import json, time

        def test_fails_twice_then_goes_to_the_dead_letter_queue(lambdactl):
            request_id = lambdactl.invoke_async("retried", {"n": 1})
            event = lambdactl.wait(request_id, timeout=10)  # AWS's delays: 1 + 2 minutes
            assert (event.state.value, event.attempts) == ("failed", 3)
            starts = [attempt.time for attempt in event.history]
            assert starts[1] - starts[0] >= 60 and starts[2] - starts[1] >= 120
            assert lambdactl.clock.now() - time.time() > 120  # moved, not slept
            [dead] = lambdactl.queue("dead").receive()
            assert json.loads(dead["Body"]) == {"n": 1}

        def test_each_test_starts_at_the_real_time(lambdactl):
            assert lambdactl.clock.now() - time.time() < 60

        def test_an_old_event_is_not_attempted(lambdactl):
            request_id = lambdactl.invoke_async("retried", {"n": 2})
            lambdactl.clock.advance(6 * 3600 + 1)  # past AWS's maximum event age
            event = lambdactl.wait(request_id)
            assert (event.state.value, event.attempts) == ("failed", 0)
            assert event.condition == "EventAgeExceeded"
            assert lambdactl.logs("retried") == []

        def test_without_advancing_the_wait_times_out(lambdactl):
            import pytest
            request_id = lambdactl.invoke_async("retried", {"n": 3})
            due = "still retrying after 0.2 s .its next attempt is due in 60 s"
            with pytest.raises(TimeoutError, match=due):
                lambdactl.wait(request_id, timeout=0.2, advance=False)
        """,
    )
    result.assert_outcomes(passed=4)
